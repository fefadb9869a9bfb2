//! The one place that turns Workers AI error replies into [`genai_core::Error`].

use genai_core::http::{status_kind, HttpFailure};
use genai_core::text::excerpt;
use genai_core::{Error, ErrorKind};
use serde::Deserialize;

/// Workers AI's code for "out of capacity" (HTTP 429): `busy` when the request asked for
/// `rejectIfBusy`.
pub(crate) const CAPACITY_EXCEEDED: i64 = 3040;

/// The provider name on every error.
pub(crate) const PROVIDER: &str = "cloudflare";

/// `{"code":…,"message":…}` of an error body.
#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct WireError {
    #[serde(default)]
    pub(crate) code: Option<i64>,
    #[serde(default)]
    pub(crate) message: Option<String>,
}

/// What replaces the token wherever the service echoed it back.
const REDACTED: &str = "[redacted]";

/// Removes `secret` from an error about to reach the caller.
///
/// Error messages quote the service's words and the start of odd bodies, and a service or a
/// proxy may echo the `Authorization` header there (or in a request-id header). Such an error
/// is rebuilt with every occurrence replaced; its source is dropped, as it cannot be rewritten.
///
/// Only whole occurrences count: the secret standing alone, not inside a longer run of token
/// characters. A very short token (say `a`) is then hidden where it is echoed, without turning
/// `Authentication` into `Authenticreplaced`.
pub(crate) fn redact(err: Error, secret: &str) -> Error {
    if secret.is_empty() || !mentions(&err, secret) {
        return err;
    }
    let mut clean = Error::new(err.kind(), replace_whole(err.message(), secret))
        .with_retryable(err.is_retryable());
    if let Some(p) = err.provider() {
        clean = clean.with_provider(p.to_owned());
    }
    if let Some(s) = err.status() {
        clean = clean.with_status(s);
    }
    if let Some(c) = err.code() {
        clean = clean.with_code(c);
    }
    if let Some(id) = err.request_id() {
        clean = clean.with_request_id(replace_whole(id, secret));
    }
    if let Some(d) = err.retry_after() {
        clean = clean.with_retry_after(d);
    }
    if let Some(rl) = err.rate_limit() {
        clean = clean.with_rate_limit(rl);
    }
    clean
}

/// Letters and digits: an occurrence of the secret next to one of them is part of a longer
/// word, not the secret.
fn token_char(c: char) -> bool {
    c.is_alphanumeric()
}

/// The byte ranges where `secret` stands alone in `text`.
fn whole_occurrences<'a>(
    text: &'a str,
    secret: &'a str,
) -> impl Iterator<Item = (usize, usize)> + 'a {
    text.match_indices(secret).filter_map(move |(start, _)| {
        let end = start + secret.len();
        let before = text[..start].chars().next_back();
        let after = text[end..].chars().next();
        let alone = !before.is_some_and(token_char) && !after.is_some_and(token_char);
        alone.then_some((start, end))
    })
}

/// Whether `secret` stands alone somewhere in `text`.
fn contains_whole(text: &str, secret: &str) -> bool {
    whole_occurrences(text, secret).next().is_some()
}

/// `text` with every whole occurrence of `secret` replaced by the redaction mark.
fn replace_whole(text: &str, secret: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for (start, end) in whole_occurrences(text, secret) {
        out.push_str(&text[last..start]);
        out.push_str(REDACTED);
        last = end;
    }
    out.push_str(&text[last..]);
    out
}

/// Whether `secret` appears anywhere in `err`, its chain of causes included.
fn mentions(err: &Error, secret: &str) -> bool {
    if contains_whole(err.message(), secret)
        || err
            .request_id()
            .is_some_and(|id| contains_whole(id, secret))
    {
        return true;
    }
    let mut source = std::error::Error::source(err);
    // Bounded: a cyclic chain cannot exist in safe code, but a very long one could.
    for _ in 0..32 {
        let Some(s) = source else { return false };
        if contains_whole(&s.to_string(), secret) || contains_whole(&format!("{s:?}"), secret) {
            return true;
        }
        source = s.source();
    }
    false
}

/// Maps a non-2xx reply. The service's own message is kept word for word.
pub(crate) fn map_failure(f: HttpFailure) -> Error {
    // Workers AI says `errors: [...]`; the AI Gateway says `error: [...]` (or one object).
    #[derive(serde::Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        Many(Vec<WireError>),
        One(WireError),
    }
    #[derive(serde::Deserialize)]
    struct Body {
        #[serde(default)]
        errors: Vec<WireError>,
        #[serde(default)]
        error: Option<OneOrMany>,
    }
    let errors = serde_json::from_slice::<Body>(&f.body)
        .map(|b| match (b.errors.is_empty(), b.error) {
            (true, Some(OneOrMany::Many(v))) => v,
            (true, Some(OneOrMany::One(e))) => vec![e],
            _ => b.errors,
        })
        .unwrap_or_default();
    let mut err = match errors.first() {
        Some(_) => from_codes(f.status, &errors).with_status(f.status),
        None => {
            let body = f.body_text();
            let body = body.trim();
            let message = if body.is_empty() {
                format!("HTTP {} with an empty body", f.status)
            } else {
                format!("HTTP {}: {}", f.status, excerpt(body, 200))
            };
            f.default_error(message)
        }
    };
    if let Some(d) = f.retry_after() {
        err = err.with_retry_after(d);
    }
    if let Some(id) = f
        .header("cf-ai-req-id")
        .or_else(|| f.header("cf-aig-log-id"))
        .or_else(|| f.header("cf-ray"))
    {
        err = err.with_request_id(id);
    }
    err.with_provider(PROVIDER)
}

/// Maps the `errors` of an error body, given the HTTP status (200 for an envelope that said
/// `success: false`).
pub(crate) fn from_codes(status: u16, errors: &[WireError]) -> Error {
    let first = errors.first().cloned().unwrap_or_default();
    let message = errors
        .iter()
        .filter_map(|e| e.message.as_deref())
        .collect::<Vec<_>>()
        .join("; ");
    let message = if message.is_empty() {
        format!("HTTP {status}: the service reported an error without a message")
    } else {
        message
    };
    let (kind, retryable) = match first.code {
        Some(10000 | 10001) => (ErrorKind::Unauthenticated, false),
        Some(5023 | 5025 | 5005) => (ErrorKind::Unsupported, false),
        Some(5016 | 5018 | 3041) => (ErrorKind::PermissionDenied, false),
        // The model needs the Workers Paid plan; the account is on the Free plan.
        Some(5035) => (ErrorKind::PlanRequired, false),
        Some(7000 | 7003 | 5007 | 3042) => (ErrorKind::NotFound, false),
        Some(5006 | 3003 | 3006 | 8006) => (ErrorKind::InvalidRequest, false),
        // A 4xx: never retried (the service gave up on this request; sending it again is the
        // caller's call).
        Some(3007 | 3008) => (ErrorKind::Timeout, false),
        Some(3040) => (ErrorKind::Unavailable, true),
        Some(3021) => (ErrorKind::RateLimited, true),
        // The daily free allocation is used up: retrying today will not help.
        Some(3036) => (ErrorKind::RateLimited, false),
        // AI Gateway: no such gateway; an authenticated gateway without its token; the
        // gateway's rate limit; guardrails that blocked the prompt or the reply; the upstream
        // call failed.
        Some(2001) => (ErrorKind::NotFound, false),
        Some(2009) => (ErrorKind::Unauthenticated, false),
        Some(2003) => (ErrorKind::RateLimited, true),
        Some(2016 | 2017) => (ErrorKind::PermissionDenied, false),
        Some(2005) => (ErrorKind::Unavailable, true),
        _ => {
            let kind = if status == 200 {
                ErrorKind::Protocol
            } else {
                status_kind(status)
            };
            (
                kind,
                matches!(kind, ErrorKind::RateLimited | ErrorKind::Unavailable),
            )
        }
    };
    let message = if kind == ErrorKind::PlanRequired && !message.contains("Workers Paid") {
        format!(
            "{message} (this model needs the Workers Paid plan; the account is on the Free plan)"
        )
    } else {
        message
    };
    let mut err = Error::new(kind, message).with_retryable(retryable);
    if let Some(code) = first.code {
        err = err.with_code(code);
    }
    err.with_provider(PROVIDER)
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use reqwest::header::HeaderMap;
    use std::time::Duration;

    fn failure(status: u16, body: &str, headers: &[(&'static str, &str)]) -> Error {
        let mut map = HeaderMap::new();
        for (k, v) in headers {
            map.insert(*k, v.parse().unwrap());
        }
        map_failure(HttpFailure {
            status,
            headers: map,
            body: Bytes::from(body.to_owned()),
        })
    }

    /// Every error body shape the service is known to send, written by us.
    #[test]
    fn error_table() {
        let rows: &[(u16, &str, ErrorKind, Option<i64>, bool)] = &[
            (
                401,
                r#"{"result":null,"success":false,"errors":[{"code":10000,"message":"Authentication error"}],"messages":[]}"#,
                ErrorKind::Unauthenticated,
                Some(10000),
                false,
            ),
            (
                400,
                r#"{"success":false,"errors":[{"code":10001,"message":"Unable to authenticate request"}]}"#,
                ErrorKind::Unauthenticated,
                Some(10001),
                false,
            ),
            (
                400,
                r#"{"success":false,"errors":[{"code":7000,"message":"No route for that URI"}],"messages":[],"result":null}"#,
                ErrorKind::NotFound,
                Some(7000),
                false,
            ),
            (
                400,
                r#"{"success":false,"errors":[{"code":7003,"message":"Could not route to /accounts/x/ai/run, perhaps your object identifier is invalid?"}]}"#,
                ErrorKind::NotFound,
                Some(7003),
                false,
            ),
            (
                403,
                r#"{"errors":[{"message":"AiError: Ai: JSON Schema mode is not supported with stream mode. (00000000-1111-2222-3333-444444444444)","code":5023}],"success":false,"result":{},"messages":[]}"#,
                ErrorKind::Unsupported,
                Some(5023),
                false,
            ),
            (
                403,
                r#"{"errors":[{"message":"AiError: Ai: This model does not support JSON Schema. (abc)","code":5025}],"success":false,"result":{},"messages":[]}"#,
                ErrorKind::Unsupported,
                Some(5025),
                false,
            ),
            (
                400,
                r#"{"errors":[{"message":"AiError: AiError: Error: oneOf at '/' not met, 0 matches: required properties at '/' are 'prompt'","code":5006}],"success":false,"result":{},"messages":[]}"#,
                ErrorKind::InvalidRequest,
                Some(5006),
                false,
            ),
            (
                403,
                r#"{"errors":[{"code":5016,"message":"Please accept the model's terms first"}],"success":false}"#,
                ErrorKind::PermissionDenied,
                Some(5016),
                false,
            ),
            (
                403,
                r#"{"errors":[{"code":5035,"message":"Model requires a paid plan"}],"success":false,"result":null,"messages":[]}"#,
                ErrorKind::PlanRequired,
                Some(5035),
                false,
            ),
            (
                429,
                r#"{"errors":[{"code":3040,"message":"Capacity temporarily exceeded, please try again."}],"success":false}"#,
                ErrorKind::Unavailable,
                Some(3040),
                true,
            ),
            (
                429,
                r#"{"errors":[{"code":3036,"message":"You have used up your daily free allocation"}],"success":false}"#,
                ErrorKind::RateLimited,
                Some(3036),
                false,
            ),
            (
                429,
                r#"{"errors":[{"code":3021,"message":"Too many requests"}],"success":false}"#,
                ErrorKind::RateLimited,
                Some(3021),
                true,
            ),
            (
                408,
                r#"{"errors":[{"code":3007,"message":"Request timeout"}],"success":false}"#,
                ErrorKind::Timeout,
                Some(3007),
                false,
            ),
            (
                413,
                r#"{"errors":[{"code":3006,"message":"Request is too large"}],"success":false}"#,
                ErrorKind::InvalidRequest,
                Some(3006),
                false,
            ),
            (
                500,
                r#"{"errors":[{"code":1234,"message":"Internal"}],"success":false}"#,
                ErrorKind::Unavailable,
                Some(1234),
                true,
            ),
            (
                502,
                "<html><body>Bad gateway</body></html>",
                ErrorKind::Unavailable,
                None,
                true,
            ),
            (503, "", ErrorKind::Unavailable, None, true),
            (404, "not json", ErrorKind::NotFound, None, false),
        ];
        for (status, body, kind, code, retryable) in rows {
            let e = failure(*status, body, &[]);
            assert_eq!(e.kind(), *kind, "{body}");
            assert_eq!(e.code(), *code, "{body}");
            assert_eq!(e.status(), Some(*status));
            assert_eq!(e.is_retryable(), *retryable, "{body}");
            assert_eq!(e.provider(), Some("cloudflare"));
            assert!(!e.message().is_empty());
            if e.kind() == ErrorKind::PlanRequired {
                assert!(e.message().contains("Workers Paid plan"), "{e}");
            }
        }
    }

    #[test]
    fn an_echoed_token_is_redacted_everywhere() {
        let e = failure(
            401,
            r#"{"errors":[{"code":10000,"message":"bad token s3cr3t-t0k3n"}]}"#,
            &[("retry-after", "3"), ("cf-ai-req-id", "id-s3cr3t-t0k3n")],
        );
        let e = redact(e, "s3cr3t-t0k3n");
        assert_eq!(e.message(), "bad token [redacted]");
        assert_eq!(e.request_id(), Some("id-[redacted]"));

        assert_eq!(
            (e.kind(), e.status(), e.code(), e.provider()),
            (
                ErrorKind::Unauthenticated,
                Some(401),
                Some(10000),
                Some("cloudflare")
            )
        );
        assert_eq!(e.retry_after(), Some(Duration::from_secs(3)));
        assert!(!format!("{e:?}").contains("s3cr3t"));
        let clean = failure(500, "nothing to hide", &[]);
        assert_eq!(
            redact(clean, "s3cr3t").message(),
            "HTTP 500: nothing to hide"
        );
    }

    #[test]
    fn a_very_short_token_does_not_garble_the_words_that_contain_it() {
        let e = Error::new(
            ErrorKind::Unauthenticated,
            "Authentication error: token a is not valid",
        );
        let e = redact(e, "a");
        assert_eq!(
            e.message(),
            "Authentication error: token [redacted] is not valid"
        );
        let e = redact(
            Error::new(ErrorKind::Unavailable, "Service unavailable"),
            "e",
        );
        assert_eq!(e.message(), "Service unavailable");
        let e = redact(Error::new(ErrorKind::Unavailable, "echo: Bearer xy."), "xy");
        assert_eq!(e.message(), "echo: Bearer [redacted].");
    }

    #[test]
    fn service_words_are_kept_and_headers_read() {
        let e = failure(
            429,
            r#"{"errors":[{"code":3021,"message":"slow down"}]}"#,
            &[("retry-after", "12"), ("cf-ai-req-id", "req-1")],
        );
        assert_eq!(e.message(), "slow down");
        assert_eq!(e.retry_after(), Some(Duration::from_secs(12)));
        assert_eq!(e.request_id(), Some("req-1"));
        let html = failure(502, "<html>proxy says no</html>", &[]);
        assert!(html.message().contains("HTTP 502") && html.message().contains("proxy says no"));
    }
}
