//! The one error type every backend returns.

use std::borrow::Cow;
use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::limits::RateLimit;

/// A `Result` whose error is [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong, in terms a caller can act on.
///
/// The `snake_case` name ([`ErrorKind::as_str`]) is stable: the `genai` CLI prints it and
/// scripts match on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ErrorKind {
    /// The credentials are missing, malformed or rejected.
    Unauthenticated,
    /// The credentials are valid but not allowed to do this (terms not accepted, paid plan...).
    PermissionDenied,
    /// The model, account or route does not exist.
    NotFound,
    /// The request is malformed or breaks the service's rules.
    InvalidRequest,
    /// The model cannot honour the request (feature not supported by this model or mode).
    Unsupported,
    /// Too many requests or a used-up quota.
    RateLimited,
    /// The service is temporarily unable to answer (5xx, out of capacity).
    Unavailable,
    /// The connection failed before a reply arrived.
    Connection,
    /// The reply does not follow the wire protocol (truncated, not JSON, too large...).
    Protocol,
    /// A time limit was reached.
    Timeout,
    /// The client is misconfigured (missing account id, bad base URL...).
    Config,
    /// The model is out of capacity for now (another model may not be).
    Busy,
    /// The model was retired and no longer answers.
    Retired,
    /// The model needs a plan the account does not have.
    PlanRequired,
    /// The call would exceed the caller's spending budget.
    Budget,
    /// A local file or stream could not be read or written (a full disk, a closed output):
    /// nothing was wrong with the request or the reply.
    Io,
}

impl ErrorKind {
    /// The stable `snake_case` name of this kind.
    ///
    /// ```
    /// assert_eq!(genai_core::ErrorKind::RateLimited.as_str(), "rate_limited");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Unauthenticated => "unauthenticated",
            ErrorKind::PermissionDenied => "permission_denied",
            ErrorKind::NotFound => "not_found",
            ErrorKind::InvalidRequest => "invalid_request",
            ErrorKind::Unsupported => "unsupported",
            ErrorKind::RateLimited => "rate_limited",
            ErrorKind::Unavailable => "unavailable",
            ErrorKind::Connection => "connection",
            ErrorKind::Protocol => "protocol",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Config => "config",
            ErrorKind::Busy => "busy",
            ErrorKind::Retired => "retired",
            ErrorKind::PlanRequired => "plan_required",
            ErrorKind::Budget => "budget",
            ErrorKind::Io => "io",
        }
    }

    /// Whether an error of this kind is worth retrying by default.
    fn retryable_by_default(self) -> bool {
        matches!(
            self,
            ErrorKind::RateLimited | ErrorKind::Unavailable | ErrorKind::Connection
        )
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

type Source = Box<dyn std::error::Error + Send + Sync + 'static>;

/// The error of every `genai` operation.
///
/// It carries a [`kind`](Error::kind), a human message, and when the error came from the
/// service: the HTTP status, the provider's error code and request id, and the delay the
/// service asked for before a retry. It never carries a credential.
///
/// ```
/// use genai_core::{Error, ErrorKind};
/// let err = Error::new(ErrorKind::RateLimited, "slow down")
///     .with_status(429)
///     .with_retry_after(std::time::Duration::from_secs(2));
/// assert!(err.is_retryable());
/// assert_eq!(err.status(), Some(429));
/// ```
pub struct Error {
    inner: Box<Inner>,
}

struct Inner {
    kind: ErrorKind,
    message: String,
    provider: Option<Cow<'static, str>>,
    operation: Option<&'static str>,
    status: Option<u16>,
    code: Option<i64>,
    request_id: Option<String>,
    retry_after: Option<Duration>,
    rate_limit: Option<RateLimit>,
    retryable: bool,
    source: Option<Source>,
}

impl Error {
    /// A new error of `kind` with a human-readable message.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            inner: Box::new(Inner {
                kind,
                message: message.into(),
                provider: None,
                operation: None,
                status: None,
                code: None,
                request_id: None,
                retry_after: None,
                rate_limit: None,
                retryable: kind.retryable_by_default(),
                source: None,
            }),
        }
    }

    /// Shorthand for an [`ErrorKind::Unsupported`] error.
    pub fn unsupported(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::Unsupported, message)
    }

    /// Shorthand for an [`ErrorKind::InvalidRequest`] error.
    pub fn invalid_request(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::InvalidRequest, message)
    }

    /// Shorthand for an [`ErrorKind::Protocol`] error.
    pub fn protocol(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::Protocol, message)
    }

    /// Shorthand for an [`ErrorKind::Config`] error.
    pub fn config(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::Config, message)
    }

    /// Names the provider that produced the error.
    pub fn with_provider(mut self, provider: impl Into<Cow<'static, str>>) -> Self {
        self.inner.provider = Some(provider.into());
        self
    }

    /// Names the operation that failed (`chat`, `embed`, `rerank`, `transcribe`...), unless
    /// one is already named.
    ///
    /// ```
    /// let e = genai_core::Error::invalid_request("empty input").with_operation("embed");
    /// assert_eq!(e.operation(), Some("embed"));
    /// assert_eq!(e.to_string(), "embed: invalid_request: empty input");
    /// ```
    pub fn with_operation(mut self, operation: &'static str) -> Self {
        self.inner.operation.get_or_insert(operation);
        self
    }

    /// Adds advice to the message (what to check, what was probably meant), keeping
    /// everything else.
    ///
    /// ```
    /// let e = genai_core::Error::config("no token").with_hint("set CLOUDFLARE_API_TOKEN");
    /// assert_eq!(e.message(), "no token (set CLOUDFLARE_API_TOKEN)");
    /// ```
    pub fn with_hint(mut self, hint: impl fmt::Display) -> Self {
        let hint = hint.to_string();
        if !hint.is_empty() {
            self.inner.message = format!("{} ({hint})", self.inner.message);
        }
        self
    }

    /// Attaches the HTTP status of the reply.
    pub fn with_status(mut self, status: u16) -> Self {
        self.inner.status = Some(status);
        self
    }

    /// Attaches the provider's own error code.
    pub fn with_code(mut self, code: i64) -> Self {
        self.inner.code = Some(code);
        self
    }

    /// Attaches the provider's request id (worth quoting in a support request).
    pub fn with_request_id(mut self, id: impl Into<String>) -> Self {
        self.inner.request_id = Some(id.into());
        self
    }

    /// Attaches the delay the service asked for before a retry.
    pub fn with_retry_after(mut self, delay: Duration) -> Self {
        self.inner.retry_after = Some(delay);
        self
    }

    /// Attaches the rate-limit state the failed reply reported.
    pub fn with_rate_limit(mut self, rate_limit: RateLimit) -> Self {
        self.inner.rate_limit = Some(rate_limit);
        self
    }

    /// Changes the kind (keeping everything else), and whether a retry may succeed to that
    /// kind's default.
    ///
    /// ```
    /// use genai_core::{Error, ErrorKind};
    /// let e = Error::new(ErrorKind::Unavailable, "Capacity temporarily exceeded").with_code(3040);
    /// let busy = e.with_kind(ErrorKind::Busy);
    /// assert_eq!((busy.kind(), busy.code(), busy.is_retryable()), (ErrorKind::Busy, Some(3040), false));
    /// ```
    pub fn with_kind(mut self, kind: ErrorKind) -> Self {
        self.inner.kind = kind;
        self.inner.retryable = kind.retryable_by_default();
        self
    }

    /// Overrides whether retrying may succeed.
    pub fn with_retryable(mut self, retryable: bool) -> Self {
        self.inner.retryable = retryable;
        self
    }

    /// Attaches the underlying cause.
    pub fn with_source(mut self, source: impl Into<Source>) -> Self {
        self.inner.source = Some(source.into());
        self
    }

    /// What went wrong.
    pub fn kind(&self) -> ErrorKind {
        self.inner.kind
    }

    /// The human-readable message (for errors from the service: the service's own words).
    pub fn message(&self) -> &str {
        &self.inner.message
    }

    /// The provider that produced the error, when known.
    pub fn provider(&self) -> Option<&str> {
        self.inner.provider.as_deref()
    }

    /// The operation that failed, when named.
    pub fn operation(&self) -> Option<&'static str> {
        self.inner.operation
    }

    /// The HTTP status, when the error came from an HTTP reply.
    pub fn status(&self) -> Option<u16> {
        self.inner.status
    }

    /// The provider's error code, when the reply had one.
    pub fn code(&self) -> Option<i64> {
        self.inner.code
    }

    /// The provider's request id, when the reply had one.
    pub fn request_id(&self) -> Option<&str> {
        self.inner.request_id.as_deref()
    }

    /// The delay the service asked for before trying again.
    pub fn retry_after(&self) -> Option<Duration> {
        self.inner.retry_after
    }

    /// The rate-limit state the failed reply reported, when it had rate-limit headers.
    pub fn rate_limit(&self) -> Option<RateLimit> {
        self.inner.rate_limit
    }

    /// Whether the same request may succeed if sent again later.
    pub fn is_retryable(&self) -> bool {
        self.inner.retryable
    }

    /// Whether a time limit was reached.
    pub fn is_timeout(&self) -> bool {
        self.inner.kind == ErrorKind::Timeout
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Error");
        d.field("kind", &self.inner.kind)
            .field("message", &self.inner.message);
        if let Some(p) = &self.inner.provider {
            d.field("provider", p);
        }
        if let Some(o) = self.inner.operation {
            d.field("operation", &o);
        }
        if let Some(s) = self.inner.status {
            d.field("status", &s);
        }
        if let Some(c) = self.inner.code {
            d.field("code", &c);
        }
        if let Some(r) = &self.inner.request_id {
            d.field("request_id", r);
        }
        if let Some(r) = self.inner.retry_after {
            d.field("retry_after", &r);
        }
        if let Some(r) = &self.inner.rate_limit {
            d.field("rate_limit", r);
        }
        d.field("retryable", &self.inner.retryable);
        if let Some(s) = &self.inner.source {
            d.field("source", s);
        }
        d.finish()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(p) = &self.inner.provider {
            write!(f, "{p}: ")?;
        }
        if let Some(o) = self.inner.operation {
            write!(f, "{o}: ")?;
        }
        write!(f, "{}: {}", self.inner.kind, self.inner.message)?;
        match (self.inner.status, self.inner.code) {
            (Some(s), Some(c)) => write!(f, " (status {s}, code {c})"),
            (Some(s), None) => write!(f, " (status {s})"),
            (None, Some(c)) => write!(f, " (code {c})"),
            (None, None) => Ok(()),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.inner
            .source
            .as_ref()
            .map(|s| s.as_ref() as &(dyn std::error::Error + 'static))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_have_stable_names_matching_serde() {
        for kind in [
            ErrorKind::Unauthenticated,
            ErrorKind::PermissionDenied,
            ErrorKind::NotFound,
            ErrorKind::InvalidRequest,
            ErrorKind::Unsupported,
            ErrorKind::RateLimited,
            ErrorKind::Unavailable,
            ErrorKind::Connection,
            ErrorKind::Protocol,
            ErrorKind::Timeout,
            ErrorKind::Config,
            ErrorKind::Busy,
            ErrorKind::Retired,
            ErrorKind::PlanRequired,
            ErrorKind::Budget,
        ] {
            let json = serde_json::to_string(&kind).unwrap();
            assert_eq!(json, format!("\"{}\"", kind.as_str()));
        }
    }

    #[test]
    fn display_includes_status_and_code() {
        let e = Error::new(ErrorKind::Unauthenticated, "Authentication error")
            .with_provider("cloudflare")
            .with_status(401)
            .with_code(10000);
        assert_eq!(
            e.to_string(),
            "cloudflare: unauthenticated: Authentication error (status 401, code 10000)"
        );
        assert!(!e.is_retryable());
    }

    #[test]
    fn retryable_defaults_follow_kind() {
        assert!(Error::new(ErrorKind::Unavailable, "x").is_retryable());
        assert!(Error::new(ErrorKind::Connection, "x").is_retryable());
        assert!(!Error::new(ErrorKind::InvalidRequest, "x").is_retryable());
        assert!(!Error::new(ErrorKind::RateLimited, "quota")
            .with_retryable(false)
            .is_retryable());
    }
}
