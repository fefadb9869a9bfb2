//! The shared transport: URLs, authentication, sending with retries, bounded reads, the
//! envelope, and redaction. Every operation (chat, the catalog, each task kind) goes through
//! it; none of them calls another.

use std::fmt;

use bytes::Bytes;
use futures_util::stream::{self, StreamExt as _};
use genai_core::http::{self, BinaryBody, Deadline, HttpOptions, RetryPolicy};
use genai_core::text::excerpt;
use genai_core::{Error, Media, MediaClass, MediaFile, MediaReply, Result, Usage};
use reqwest::header::{HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE};
use serde::de::DeserializeOwned;
use serde::Deserialize;

use crate::errors::{self, WireError, PROVIDER};
use crate::hints::Hints;
use crate::metering::{Metering, ReplyMeta};

/// The largest input image sent, to an image model (an image or a mask) or in a chat turn.
/// Workers AI publishes no limit per request; this keeps the base64 form (a third larger) of
/// an image and its mask well within the request sizes it is known to take.
pub const MAX_INPUT_IMAGE_BYTES: usize = 7 * 1024 * 1024;

/// One account's connection to Workers AI, shared by every model handle (behind an `Arc`).
#[derive(Clone)]
pub(crate) struct Transport {
    /// `{base}/accounts/{account}/ai/run/` or the AI Gateway's `.../workers-ai/`.
    pub(crate) run_base: String,
    /// `{base}/accounts/{account}/ai/models/search`.
    pub(crate) models_url: String,
    pub(crate) auth: HeaderValue,
    pub(crate) http: reqwest::Client,
    pub(crate) options: HttpOptions,
    pub(crate) check_capabilities: bool,
    pub(crate) log_content: bool,
    /// Sent with every run request: the AI Gateway's options, the session affinity.
    pub(crate) headers: reqwest::header::HeaderMap,
    /// Whether run requests go through an AI Gateway (which may cache replies).
    pub(crate) on_gateway: bool,
    /// Appended to every run URL (`?tags=...`), or empty.
    pub(crate) run_query: String,
    /// How many embedding calls of one request may be in flight at once.
    pub(crate) embedding_concurrency: usize,
    /// Prices, the budget, the client-side limiter and `rejectIfBusy`.
    pub(crate) metering: Metering,
    /// What explains a failure (a mistyped model, a wrong API root, a refused token).
    pub(crate) hints: Hints,
}

impl fmt::Debug for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Transport")
            .field("run_base", &self.run_base)
            .field("api_token", &"[redacted]")
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

/// A request body and its media type.
#[derive(Debug, Clone)]
pub(crate) struct Body {
    data: BodyData,
    pub(crate) content_type: HeaderValue,
}

/// What a body is made of: bytes in memory, or a file streamed from disk as it is sent (read
/// again for each attempt, so a retry sends the same bytes).
#[derive(Debug, Clone)]
enum BodyData {
    Bytes(Bytes),
    /// The file's bytes, as they are.
    File(MediaFile),
    /// `prefix`, the file's bytes in base64, `suffix` (a JSON string field holding the file).
    Base64File {
        prefix: Bytes,
        file: MediaFile,
        suffix: Bytes,
    },
    /// Pieces sent one after the other (a multipart body whose files stream from disk).
    Pieces(Vec<Piece>),
}

/// One piece of a body made of pieces: bytes, or a file's bytes read as they are sent.
#[derive(Debug, Clone)]
pub(crate) enum Piece {
    Bytes(Bytes),
    File(MediaFile),
}

impl Piece {
    fn len(&self) -> u64 {
        match self {
            Piece::Bytes(b) => b.len() as u64,
            Piece::File(f) => f.len(),
        }
    }
}

impl Body {
    /// A JSON body.
    pub(crate) fn json(value: &impl serde::Serialize) -> Result<Body> {
        let bytes = serde_json::to_vec(value).map_err(|e| {
            Error::invalid_request("the request could not be encoded").with_source(e)
        })?;
        Ok(Body::json_bytes(Bytes::from(bytes)))
    }

    /// Bytes that already are JSON.
    pub(crate) fn json_bytes(bytes: Bytes) -> Body {
        Body {
            data: BodyData::Bytes(bytes),
            content_type: HeaderValue::from_static("application/json"),
        }
    }

    /// Raw bytes of the given media type (an image, a sound), sent as the whole body.
    pub(crate) fn raw(bytes: Bytes, media_type: &str) -> Result<Body> {
        Ok(Body {
            data: BodyData::Bytes(bytes),
            content_type: content_type(media_type)?,
        })
    }

    /// A file sent as the whole body, with its media type, streamed from disk.
    pub(crate) fn raw_file(file: MediaFile) -> Result<Body> {
        Ok(Body {
            content_type: content_type(file.media_type())?,
            data: BodyData::File(file),
        })
    }

    /// JSON whose one large string field is a file in base64, encoded while it is sent:
    /// `prefix` ends just inside the string's opening quote, `suffix` starts at its closing
    /// quote.
    pub(crate) fn json_with_base64_file(prefix: Bytes, file: MediaFile, suffix: Bytes) -> Body {
        Body {
            data: BodyData::Base64File {
                prefix,
                file,
                suffix,
            },
            content_type: HeaderValue::from_static("application/json"),
        }
    }

    /// A body of `pieces` sent in order, of the given content type (a multipart form).
    pub(crate) fn pieces(pieces: Vec<Piece>, content_type: &str) -> Result<Body> {
        Ok(Body {
            content_type: self::content_type(content_type)?,
            data: BodyData::Pieces(pieces),
        })
    }

    /// The pieces of a body made of pieces.
    #[cfg(test)]
    pub(crate) fn test_pieces(&self) -> &[Piece] {
        match &self.data {
            BodyData::Pieces(p) => p,
            _ => &[],
        }
    }

    /// The body's bytes when they are in memory.
    #[cfg(test)]
    pub(crate) fn bytes(&self) -> Option<&Bytes> {
        match &self.data {
            BodyData::Bytes(b) => Some(b),
            _ => None,
        }
    }

    /// The files the body streams.
    fn files(&self) -> Vec<&MediaFile> {
        match &self.data {
            BodyData::Bytes(_) => Vec::new(),
            BodyData::File(f) | BodyData::Base64File { file: f, .. } => vec![f],
            BodyData::Pieces(pieces) => pieces
                .iter()
                .filter_map(|p| match p {
                    Piece::File(f) => Some(f),
                    Piece::Bytes(_) => None,
                })
                .collect(),
        }
    }

    /// The body's size in bytes.
    pub(crate) fn len(&self) -> u64 {
        match &self.data {
            BodyData::Bytes(b) => b.len() as u64,
            BodyData::File(f) => f.len(),
            BodyData::Base64File {
                prefix,
                file,
                suffix,
            } => prefix.len() as u64 + file.base64_len() + suffix.len() as u64,
            BodyData::Pieces(pieces) => pieces.iter().map(Piece::len).sum(),
        }
    }

    /// A fresh body for one attempt.
    fn to_reqwest(&self) -> reqwest::Body {
        match &self.data {
            BodyData::Bytes(b) => reqwest::Body::from(b.clone()),
            BodyData::File(f) => reqwest::Body::wrap_stream(f.chunks()),
            BodyData::Base64File {
                prefix,
                file,
                suffix,
            } => {
                let head = stream::once(std::future::ready(Ok(prefix.clone())));
                let tail = stream::once(std::future::ready(Ok(suffix.clone())));
                reqwest::Body::wrap_stream(head.chain(file.base64_chunks()).chain(tail))
            }
            BodyData::Pieces(pieces) => {
                let parts = pieces.clone().into_iter().map(|p| match p {
                    Piece::Bytes(b) => stream::once(std::future::ready(Ok(b))).boxed(),
                    Piece::File(f) => f.chunks().boxed(),
                });
                reqwest::Body::wrap_stream(stream::iter(parts).flatten())
            }
        }
    }
}

fn content_type(media_type: &str) -> Result<HeaderValue> {
    HeaderValue::from_str(media_type)
        .map_err(|_| Error::invalid_request(format!("`{media_type}` is not a valid media type")))
}

/// The `x-session-affinity` value, checked.
pub(crate) fn affinity_header(key: &str) -> Result<HeaderValue> {
    let key = key.trim();
    if key.is_empty() {
        return Err(Error::config("the session affinity key is empty"));
    }
    HeaderValue::from_str(key).map_err(|_| {
        Error::config("the session affinity key contains characters not allowed in a header")
    })
}

/// A model id as it goes into the URL: trimmed, without a leading `/`, not empty, and in the
/// shape of a Workers AI id (`@cf/author/name`, `@hf/author/name`, or a fine-tune's
/// `author/name` or plain name): at most three `/`-separated parts, none of them empty, `.`
/// or `..`, each made of letters, digits and `@ - _ .`.
///
/// Anything else (`../../zone/x`, `?`, `#`, `%`, spaces, control characters) would send the
/// token to another API path than `/ai/run`, so it is refused with
/// [`InvalidRequest`](genai_core::ErrorKind::InvalidRequest) before any request. The checked
/// id needs no percent-encoding; [`run_url`](Transport::run_url) encodes it anyway.
pub(crate) fn normalize_model(model: &str) -> Result<String> {
    let model = model.trim().trim_start_matches('/');
    if model.is_empty() {
        return Err(Error::config("the model id is empty"));
    }
    let shown = || excerpt(&model.escape_debug().to_string(), 120);
    let refuse = |why: &str| {
        Error::invalid_request(format!(
            "`{}` is not a model id: {why} (ids look like @cf/author/name)",
            shown()
        ))
    };
    let parts: Vec<&str> = model.split('/').collect();
    if parts.len() > 3 {
        return Err(refuse("it has more than three `/`-separated parts"));
    }
    for part in &parts {
        if part.is_empty() || *part == "." || *part == ".." {
            return Err(refuse("a part between `/` is empty, `.` or `..`"));
        }
        if let Some(c) = part.chars().find(|c| !is_id_char(*c)) {
            return Err(refuse(&format!(
                "it contains {}, which ids never hold",
                c.escape_debug()
            )));
        }
    }
    Ok(model.to_owned())
}

/// Adds `"options": {"rejectIfBusy": true}` beside the input of a JSON request body (an
/// object), for a synchronous call that should fail at once rather than wait for capacity.
pub(crate) fn reject_if_busy(body: &mut serde_json::Value) {
    if let Some(obj) = body.as_object_mut() {
        let options = obj
            .entry("options")
            .or_insert_with(|| serde_json::Value::Object(serde_json::Map::new()));
        if let Some(o) = options.as_object_mut() {
            o.insert("rejectIfBusy".to_owned(), serde_json::Value::Bool(true));
        }
    }
}

/// The characters a model id may hold.
fn is_id_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "@-_.".contains(c)
}

/// `value` percent-encoded for one URL path segment or query value: everything but the
/// unreserved characters (RFC 3986) and `@` is written `%XX`.
pub(crate) fn percent_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~@".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A model id as a URL path: each part percent-encoded, the `/` between them kept.
fn model_path(model: &str) -> String {
    model
        .split('/')
        .map(percent_encode)
        .collect::<Vec<_>>()
        .join("/")
}

/// The `{result, success, errors}` envelope of every JSON reply: the one type chat, the tasks
/// and the embeddings' typed fast path read replies with (`T` may borrow from the body).
#[derive(Debug, Deserialize)]
pub(crate) struct Envelope<T> {
    pub(crate) result: Option<T>,
    #[serde(default)]
    pub(crate) success: Option<bool>,
    #[serde(default)]
    pub(crate) errors: Vec<WireError>,
}

impl<T> Envelope<T> {
    /// Whether the envelope reports failure (`success: false` or any error).
    pub(crate) fn failed(&self) -> bool {
        self.success == Some(false) || !self.errors.is_empty()
    }
}

/// The token counts a JSON reply reports (chat replies and chunks, embeddings); the
/// Responses form names the first two `input_tokens` and `output_tokens`.
#[derive(Debug, Clone, Copy, Default, Deserialize)]
pub(crate) struct WireUsage {
    #[serde(default, alias = "input_tokens")]
    pub(crate) prompt_tokens: Option<u64>,
    #[serde(default, alias = "output_tokens")]
    pub(crate) completion_tokens: Option<u64>,
    #[serde(default)]
    pub(crate) total_tokens: Option<u64>,
}

impl WireUsage {
    /// Our usage; all zeros means "not measured" (Hermes in JSON-schema mode), never a count.
    pub(crate) fn normalise(self) -> Usage {
        let all = [
            self.prompt_tokens,
            self.completion_tokens,
            self.total_tokens,
        ];
        if all.iter().all(|v| v.unwrap_or(0) == 0) {
            return Usage::default();
        }
        Usage::new(
            self.prompt_tokens,
            self.completion_tokens,
            self.total_tokens,
        )
    }

    /// The usage of a call that reads only (embeddings): input tokens, the total the input
    /// when not given.
    pub(crate) fn input_only(self) -> Usage {
        Usage::new(
            self.prompt_tokens,
            None,
            self.total_tokens.or(self.prompt_tokens),
        )
    }
}

impl Transport {
    /// The account's URL of `path` beside the model search (`tomarkdown`...), always on the
    /// API (not through an AI Gateway).
    pub(crate) fn account_url(&self, path: &str) -> String {
        let ai = self
            .models_url
            .strip_suffix("models/search")
            .unwrap_or(&self.models_url);
        format!("{ai}{path}")
    }

    /// The run URL of `model`.
    pub(crate) fn run_url(&self, model: &str) -> String {
        format!("{}{}{}", self.run_base, model_path(model), self.run_query)
    }

    /// The run URL of `model` with one more query parameter.
    pub(crate) fn run_url_with(&self, model: &str, param: &str) -> String {
        let sep = if self.run_query.is_empty() { '?' } else { '&' };
        format!("{}{sep}{param}", self.run_url(model))
    }

    /// The API token, only to scrub it from errors.
    pub(crate) fn token(&self) -> &str {
        self.auth
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or("")
    }

    /// Removes the token from an error about to reach the caller.
    pub(crate) fn redact(&self, err: Error) -> Error {
        errors::redact(err, self.token())
    }

    /// Posts `body` to `url` (retrying what may succeed later) and returns the successful
    /// reply, headers read, body not yet.
    pub(crate) async fn post(
        &self,
        url: &str,
        body: &Body,
        accept: &'static str,
        deadline: &Deadline,
    ) -> Result<reqwest::Response> {
        self.post_with(&self.options, url, body, accept, deadline)
            .await
    }

    /// Like [`post`](Self::post), for a request whose reply must never come from a cache
    /// (a poll of a queued job asks the same question until the answer changes): through an
    /// AI Gateway it bypasses the gateway's cache, whatever the configured options.
    pub(crate) async fn post_uncached(
        &self,
        url: &str,
        body: &Body,
        accept: &'static str,
        deadline: &Deadline,
    ) -> Result<reqwest::Response> {
        let fresh = self.uncached();
        fresh
            .post_with(&fresh.options, url, body, accept, deadline)
            .await
    }

    /// Posts `body` once, without any retry and around any gateway cache (for a call that
    /// must not be repeated blindly, nor answered with an earlier call's reply), and reads the
    /// whole successful JSON reply: its status and body.
    pub(crate) async fn post_once(
        &self,
        url: &str,
        body: &Body,
        deadline: &Deadline,
    ) -> Result<(u16, Bytes)> {
        let fresh = self.uncached();
        let mut options = fresh.options;
        options.retry = RetryPolicy::none();
        let resp = fresh
            .post_with(&options, url, body, "application/json", deadline)
            .await?;
        let status = resp.status().as_u16();
        Ok((status, fresh.read(resp, deadline).await?))
    }

    /// This transport, or through an AI Gateway a copy whose requests skip its cache.
    fn uncached(&self) -> std::borrow::Cow<'_, Transport> {
        if !self.on_gateway {
            return std::borrow::Cow::Borrowed(self);
        }
        let mut fresh = self.clone();
        fresh.headers.remove("cf-aig-cache-ttl");
        fresh
            .headers
            .insert("cf-aig-skip-cache", HeaderValue::from_static("true"));
        std::borrow::Cow::Owned(fresh)
    }

    async fn post_with(
        &self,
        options: &HttpOptions,
        url: &str,
        body: &Body,
        accept: &'static str,
        deadline: &Deadline,
    ) -> Result<reqwest::Response> {
        let files = body.files();
        for file in &files {
            file.check_unchanged().await?;
        }
        let reject_if_busy = self.metering.reject_if_busy;
        let sent = http::send(
            options,
            deadline,
            || {
                self.http
                    .post(url)
                    .header(AUTHORIZATION, self.auth.clone())
                    .header(CONTENT_TYPE, body.content_type.clone())
                    .header(ACCEPT, accept)
                    .header(CONTENT_LENGTH, body.len())
                    .headers(self.headers.clone())
                    .body(body.to_reqwest())
            },
            |f| {
                let err = errors::map_failure(f);
                // Out of capacity on a request that asked to fail at once: not worth a retry.
                if reject_if_busy && err.code() == Some(errors::CAPACITY_EXCEEDED) {
                    err.with_kind(genai_core::ErrorKind::Busy)
                } else {
                    err
                }
            },
        )
        .await;
        match sent {
            // A file that changed while it was being sent broke the body, not the connection.
            Err(e) => {
                for file in &files {
                    if let Err(changed) = file.check_unchanged().await {
                        return Err(changed.with_provider(PROVIDER));
                    }
                }
                Err(e)
            }
            sent => sent,
        }
        .map_err(|e| {
            let model = url
                .strip_prefix(self.run_base.as_str())
                .map(|rest| rest.split('?').next().unwrap_or(rest));
            self.hints.explain(e, model).with_provider(PROVIDER)
        })
    }

    /// Gets `url` and returns the successful reply.
    pub(crate) async fn get(&self, url: &str, deadline: &Deadline) -> Result<reqwest::Response> {
        http::send(
            &self.options,
            deadline,
            || self.http.get(url).header(AUTHORIZATION, self.auth.clone()),
            errors::map_failure,
        )
        .await
        .map_err(|e| self.hints.explain(e, None).with_provider(PROVIDER))
    }

    /// Reads a whole reply body within the size and time limits.
    pub(crate) async fn read(&self, resp: reqwest::Response, deadline: &Deadline) -> Result<Bytes> {
        let opts = &self.options;
        http::read_body(
            resp,
            opts.max_response_bytes,
            deadline,
            opts.idle_timeout,
            false,
        )
        .await
        .map_err(|e| e.with_provider(PROVIDER))
    }

    /// Posts a request to `model` and decodes the `result` of the JSON envelope as `T`, with
    /// what the reply's headers say (cost, rate limits).
    pub(crate) async fn run_json<T: DeserializeOwned>(
        &self,
        model: &str,
        body: &Body,
        deadline: &Deadline,
    ) -> Result<(T, ReplyMeta)> {
        let resp = self
            .post(&self.run_url(model), body, "application/json", deadline)
            .await?;
        let meta = ReplyMeta::of(resp.headers());
        let status = resp.status().as_u16();
        let bytes = self.read(resp, deadline).await?;
        Ok((decode_envelope(status, &bytes)?, meta))
    }
}

impl Transport {
    /// Posts a request to `model` whose reply is media, read by its `Content-Type`, never by
    /// the model's name: raw bytes are handed back as they arrive, once their first bytes
    /// show media of `class` (else a `protocol` error quoting them: an HTML page, a JSON
    /// error sent as octet-stream, a gzip body); a JSON reply has its envelope checked and
    /// its `result` turned into the media by `unwrap_json`, checked the same way.
    /// `headerless` is the type of the raw samples the request asked for, if any.
    pub(crate) async fn run_media(
        &self,
        model: &str,
        body: &Body,
        deadline: Deadline,
        (class, headerless): (MediaClass, Option<&'static str>),
        unwrap_json: impl FnOnce(&serde_json::Value) -> Result<Media>,
    ) -> Result<(MediaReply, ReplyMeta)> {
        let resp = self
            .post(&self.run_url(model), body, "*/*", &deadline)
            .await?;
        let meta = ReplyMeta::of(resp.headers());
        let is_json = resp
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| ct.contains("json"));
        if is_json {
            let status = resp.status().as_u16();
            let bytes = self.read(resp, &deadline).await?;
            let result: serde_json::Value = decode_envelope(status, &bytes)?;
            let mut reply = MediaReply::from_media(unwrap_json(&result)?).expect(class, headerless);
            reply.media_type().await.map_err(|e| self.redact(e))?;
            return Ok((reply, meta));
        }
        let status = resp.status().as_u16();
        let body = BinaryBody::new(resp, &self.options, deadline)
            .map_err(|e| e.with_provider(PROVIDER))?;
        let mut reply = MediaReply::from_body(body).expect(class, headerless);
        // The first bytes decide, before anyone writes a file.
        reply.media_type().await.map_err(|e| {
            let e = match e.kind() {
                genai_core::ErrorKind::Protocol => e.with_status(status),
                _ => e,
            };
            self.redact(e.with_provider(PROVIDER))
        })?;
        Ok((reply, meta))
    }
}

/// Reads the JSON envelope of `body`: the service's error when it reports failure, a protocol
/// error when it is not an envelope (or its `result` is not a `T`), else its `result`.
pub(crate) fn open_envelope<'a, T: Deserialize<'a>>(
    status: u16,
    body: &'a [u8],
) -> Result<Option<T>> {
    let envelope: Envelope<T> = serde_json::from_slice(body).map_err(|e| {
        Error::protocol(format!(
            "HTTP {status}: the reply is not a Workers AI JSON envelope ({e}): {}",
            excerpt(&String::from_utf8_lossy(body), 200)
        ))
        .with_status(status)
        .with_provider(PROVIDER)
    })?;
    if envelope.failed() {
        return Err(errors::from_codes(status, &envelope.errors).with_status(status));
    }
    Ok(envelope.result)
}

/// Decodes a JSON envelope whose `result` is a `T`: an envelope that reports failure is the
/// service's error; one that does not decode, or has no `result`, is a protocol error.
pub(crate) fn decode_envelope<T: DeserializeOwned>(status: u16, body: &[u8]) -> Result<T> {
    let quote = || excerpt(&String::from_utf8_lossy(body), 200);
    // Read as a tree first, so that a failure is reported whatever shape its `result` has.
    let result = open_envelope::<serde_json::Value>(status, body)?
        .filter(|r| !r.is_null())
        .ok_or_else(|| {
            Error::protocol(format!(
                "HTTP {status}: the reply has no `result`: {}",
                quote()
            ))
            .with_status(status)
            .with_provider(PROVIDER)
        })?;
    serde_json::from_value(result).map_err(|e| {
        Error::protocol(format!(
            "HTTP {status}: the reply's `result` does not have the expected shape ({e}): {}",
            quote()
        ))
        .with_status(status)
        .with_provider(PROVIDER)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use genai_core::ErrorKind;

    #[derive(Debug, Deserialize, PartialEq)]
    struct Out {
        summary: String,
    }

    #[test]
    fn envelopes_decode_or_fail_typed() {
        let ok: Out = decode_envelope(
            200,
            br#"{"result":{"summary":"s"},"success":true,"errors":[]}"#,
        )
        .unwrap();
        assert_eq!(ok.summary, "s");
        let cases: [(&[u8], ErrorKind); 4] = [
            (b"<html>", ErrorKind::Protocol),
            (br#"{"result":null,"success":true,"errors":[]}"#, ErrorKind::Protocol),
            (br#"{"result":{"other":1},"success":true}"#, ErrorKind::Protocol),
            (
                br#"{"result":null,"success":false,"errors":[{"code":5006,"message":"bad input"}]}"#,
                ErrorKind::InvalidRequest,
            ),
        ];
        for (body, kind) in cases {
            let e = decode_envelope::<Out>(400, body).unwrap_err();
            assert_eq!(e.kind(), kind, "{e}");
        }
    }

    #[test]
    fn zero_usage_is_unreported() {
        let u = WireUsage {
            prompt_tokens: Some(0),
            completion_tokens: Some(0),
            total_tokens: Some(0),
        };
        assert!(!u.normalise().is_reported());
        let u = WireUsage {
            prompt_tokens: Some(3),
            completion_tokens: Some(4),
            total_tokens: None,
        };
        assert_eq!(u.normalise().total_tokens, Some(7));
    }
}
