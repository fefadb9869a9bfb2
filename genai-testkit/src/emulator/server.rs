//! HTTP plumbing: routing, authentication, envelopes, SSE framing and fault injection.

use std::convert::Infallible;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::http::{header, HeaderValue, Method, Request, Response, StatusCode};
use serde_json::{json, Value};

use super::answer::{Answer, Refusal};
use super::catalog;
use super::chat::families::{self, reads_images, Dialect, Dice, Rendered};
use super::chat::responder::Ask;
use super::document;
use super::faults::{self, Ending, Fault};
use super::kinds;
use super::models::{self, Task};
use super::{LoggedRequest, Shared};
use crate::serve::percent_decode;

/// Request bodies above this size get 413 code 3006 (room for 25 MiB of audio in base64).
const MAX_BODY: usize = 48 * 1024 * 1024;

/// How long a faulty body waits before dropping the connection.
const ABORT_FLUSH_PAUSE: std::time::Duration = std::time::Duration::from_millis(50);

/// The emulator's routes, served by [`crate::serve::serve`].
pub(crate) fn router(shared: Arc<Shared>) -> axum::Router {
    axum::Router::new().fallback(move |request: Request<Body>| {
        let shared = Arc::clone(&shared);
        async move { handle(shared, request).await }
    })
}

/// What the handler decided to send, before faults shape the body.
enum Reply {
    Json {
        status: u16,
        body: String,
        content_type: &'static str,
        req_id: bool,
    },
    Sse(Vec<String>),
    /// Raw media bytes (an image, a sound).
    Media {
        content_type: &'static str,
        bytes: Vec<u8>,
    },
}

async fn handle(shared: Arc<Shared>, request: Request<Body>) -> Response<Body> {
    let (parts, body) = request.into_parts();
    let body = match axum::body::to_bytes(body, MAX_BODY).await {
        Ok(bytes) => bytes,
        // Over the limit, as the service answers a body too large to take.
        Err(_) => {
            let reply = error_reply(413, 3006, "Request is too large", Value::Null);
            return respond(reply, &Fault::None, &mut Dice::new(0));
        }
    };
    let path = percent_decode(parts.uri.path());
    let content_type = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let query = parts.uri.query().unwrap_or("").to_owned();
    let headers: Vec<(String, String)> = parts
        .headers
        .iter()
        .filter_map(|(k, v)| Some((k.as_str().to_owned(), v.to_str().ok()?.to_owned())))
        .collect();
    let authorized = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .is_some_and(|token| token.trim() == shared.token);
    let (number, fault) = shared.admit(
        LoggedRequest {
            method: parts.method.to_string(),
            path: path.clone(),
            query: query.clone(),
            body: Value::Null,
            headers,
        },
        &body,
    );
    let mut dice = Dice::new(number);
    let fault = match fault {
        Fault::None => shared.queue.poll_fault(&query, &body).unwrap_or(fault),
        scripted => scripted,
    };
    // Over the enforced rate, a model call is refused like the service's rate limit.
    let over_rate =
        path.contains("/ai/run/") && shared.rate.as_ref().is_some_and(|rate| !rate.admit());
    let fault = if over_rate {
        Fault::RateLimited {
            retry_after: "1".to_owned(),
        }
    } else {
        fault
    };

    if let Some(stall) = fault.stall_before_headers() {
        tokio::time::sleep(stall).await;
    }
    let reply = if let Some((status, code, message)) = faults::error_reply(&fault) {
        error_reply(status, code, &message, Value::Null)
    } else if fault == Fault::HtmlBody {
        Reply::Json {
            status: 200,
            body: faults::HTML_PAGE.to_owned(),
            content_type: "text/html; charset=utf-8",
            req_id: false,
        }
    } else {
        route(
            &shared,
            &parts.method,
            &path,
            (&query, content_type.as_deref()),
            &body,
            authorized,
            &mut dice,
        )
    };
    respond(reply, &fault, &mut dice)
}

fn route(
    shared: &Shared,
    method: &Method,
    path: &str,
    (query, content_type): (&str, Option<&str>),
    body: &[u8],
    authorized: bool,
    dice: &mut Dice,
) -> Reply {
    let Some(rest) = path.strip_prefix("/client/v4/accounts/") else {
        return no_route();
    };
    let Some((account, rest)) = rest.split_once('/') else {
        return no_route();
    };
    if account.is_empty() {
        return no_route();
    }
    if let Some(model) = rest.strip_prefix("ai/run/") {
        if method != Method::POST {
            return no_route();
        }
        if !authorized {
            return error_reply(401, 10000, "Authentication error", Value::Null);
        }
        if let Some(reply) = plan_gate(shared, model) {
            return reply;
        }
        if super::batch::is_queue_request(query) {
            return match shared.queue.handle(model, body, dice) {
                Ok(result) => result_reply(&result),
                Err(refusal) => refused(&refusal),
            };
        }
        if let Some(reply) = license_gate(shared, model, body) {
            return reply;
        }
        return run(model, (query, content_type), body, dice);
    }
    if rest == "ai/tomarkdown" || rest == "ai/tomarkdown/supported" {
        if !authorized {
            return error_reply(401, 10000, "Authentication error", Value::Null);
        }
        return match (rest, method) {
            ("ai/tomarkdown/supported", &Method::GET) => result_reply(&document::supported()),
            ("ai/tomarkdown", &Method::POST) => match document::convert(content_type, body) {
                Ok(result) => result_reply(&result),
                Err(refusal) => refused(&refusal),
            },
            _ => no_route(),
        };
    }
    if rest == "ai/models/search" && method == Method::GET {
        if !authorized {
            let body = json!({"success": false, "errors": [{"code": 10001, "message": "Unable to authenticate request"}]});
            return Reply::Json {
                status: 400,
                body: body.to_string(),
                content_type: "application/json",
                req_id: false,
            };
        }
        let body = catalog::search_body(query).to_string();
        return Reply::Json {
            status: 200,
            body,
            content_type: "application/json;charset=UTF-8",
            req_id: false,
        };
    }
    no_route()
}

/// On a Free-plan account, a model that needs the Workers Paid plan refuses with 403 and code
/// 5035.
fn plan_gate(shared: &Shared, model: &str) -> Option<Reply> {
    let info = models::find(model.trim_start_matches('/'))?;
    if !(shared.free_plan && info.facts.paid_only) {
        return None;
    }
    Some(error_reply(
        403,
        5035,
        &format!(
            "AiError: {} requires the Workers Paid plan; this account is on the Workers Free plan",
            info.id
        ),
        Value::Null,
    ))
}

/// Models whose licence an account accepts once by sending the prompt `agree`.
const LICENSED: &[&str] = &["@cf/meta/llama-3.2-11b-vision-instruct"];

/// With [`EmulatorConfig::require_license_agreement`](super::EmulatorConfig), a licensed
/// model refuses with 5016 until the prompt `agree` arrives, which it answers with a thank
/// you; `None` lets the request through.
fn license_gate(shared: &Shared, model: &str, body: &[u8]) -> Option<Reply> {
    let agreed = shared.license.as_ref()?;
    let model = model.trim_start_matches('/').to_ascii_lowercase();
    if !LICENSED.contains(&model.as_str()) || agreed.load(Ordering::SeqCst) {
        return None;
    }
    let is_agree = serde_json::from_slice::<Value>(body)
        .ok()
        .is_some_and(|v| v.get("prompt").and_then(Value::as_str) == Some("agree"));
    if is_agree {
        agreed.store(true, Ordering::SeqCst);
        let result = json!({"response": "Thank you for agreeing to the license terms."});
        return Some(result_reply(&result));
    }
    Some(error_reply(
        403,
        5016,
        &format!(
            "AiError: Prior to using this model, you must submit the prompt 'agree' to {model} \
             to accept its license terms"
        ),
        json!({}),
    ))
}

fn run(
    model: &str,
    (query, content_type): (&str, Option<&str>),
    body: &[u8],
    dice: &mut Dice,
) -> Reply {
    let Some(info) = models::find(model) else {
        return no_route();
    };
    if body.is_empty() {
        return error_reply(
            400,
            3003,
            "AiError: Bad input: the request has no body",
            json!({}),
        );
    }
    if let Some(answer) = kinds::answer(info.id, info.task, query, content_type, body) {
        return match answer {
            Ok(Answer::Json(result)) => result_reply(&result),
            Ok(Answer::Media {
                content_type,
                bytes,
            }) => Reply::Media {
                content_type,
                bytes,
            },
            Err(refusal) => refused(&refusal),
        };
    }
    if info.task == Task::TextGeneration && !reads_images(info.id) && has_images(body) {
        let message = format!("AiError: Bad input: {} does not take images", info.id);
        return error_reply(400, 5006, &message, json!({}));
    }
    if info.task != Task::TextGeneration {
        let message = format!(
            "AiError: Bad input: the genai-rs emulator only runs text generation models, not {}",
            info.id
        );
        return error_reply(400, 5006, &message, json!({}));
    }
    let ask = match Ask::parse(body) {
        Ok(ask) => ask,
        Err(error) => return error_reply(400, 5006, &error.message(), json!({})),
    };
    match families::render(Dialect::of(info.id), info.id, &ask, dice) {
        Rendered::Result(result) => result_reply(&result),
        Rendered::Events(events) => Reply::Sse(events.iter().map(Value::to_string).collect()),
        Rendered::Refused {
            status,
            code,
            message,
        } => error_reply(status, code, &message, json!({})),
    }
}

/// The error envelope of a responder's refusal (with `result: {}`).
fn refused(refusal: &Refusal) -> Reply {
    error_reply(refusal.status, refusal.code, &refusal.message, json!({}))
}

/// Whether a chat body carries images (a top-level `image`, or `image_url` parts).
fn has_images(body: &[u8]) -> bool {
    let Ok(value) = serde_json::from_slice::<Value>(body) else {
        return false;
    };
    value.get("image").is_some()
        || value
            .get("messages")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|m| m.get("content").and_then(Value::as_array))
            .flatten()
            .any(|part| part.get("type").and_then(Value::as_str) == Some("image_url"))
}

fn no_route() -> Reply {
    let body = r#"{"success":false,"errors":[{"code":7000,"message":"No route for that URI"}],"messages":[],"result":null}"#;
    Reply::Json {
        status: 400,
        body: body.to_owned(),
        content_type: "application/json",
        req_id: false,
    }
}

/// A successful JSON envelope around `result`, as the service writes it (`result` first).
fn result_reply(result: &impl std::fmt::Display) -> Reply {
    Reply::Json {
        status: 200,
        body: format!(r#"{{"result":{result},"success":true,"errors":[],"messages":[]}}"#),
        content_type: "application/json",
        req_id: true,
    }
}

fn error_reply(status: u16, code: u32, message: &str, result: Value) -> Reply {
    let body = json!({"code": code, "message": message});
    Reply::Json {
        status,
        body: format!(r#"{{"result":{result},"success":false,"errors":[{body}],"messages":[]}}"#),
        content_type: "application/json",
        req_id: false,
    }
}

fn respond(reply: Reply, fault: &Fault, dice: &mut Dice) -> Response<Body> {
    let bytes_of = |(chunks, ending): (Vec<String>, Ending)| {
        (
            chunks.into_iter().map(Bytes::from).collect::<Vec<_>>(),
            ending,
        )
    };
    let mut length = None;
    let (status, content_type, req_id, (chunks, ending)) = match reply {
        Reply::Json {
            status,
            body,
            content_type,
            req_id,
        } => (
            status,
            content_type,
            req_id,
            bytes_of(faults::json_chunks(body, fault)),
        ),
        Reply::Sse(events) => (
            200,
            "text/event-stream",
            true,
            bytes_of(faults::sse_chunks(&events, fault)),
        ),
        Reply::Media {
            content_type,
            bytes,
        } => {
            length = Some(bytes.len());
            (200, content_type, true, media_chunks(bytes, fault))
        }
    };
    let mut builder = Response::builder()
        .status(StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR))
        .header(header::CONTENT_TYPE, content_type)
        .header("server", "cloudflare")
        .header("cf-ray", format!("{}-EMU", dice.hex(16)));
    if req_id {
        builder = builder.header("cf-ai-req-id", dice.uuid());
    }
    if let Some(length) = length {
        builder = builder.header(header::CONTENT_LENGTH, length);
    }
    if let Fault::RateLimited { retry_after } = fault {
        if let Ok(value) = HeaderValue::from_str(retry_after) {
            builder = builder.header(header::RETRY_AFTER, value);
        }
    }
    let stall = fault.stall_before_body();
    let body = Body::from_stream(body_stream(chunks, ending, stall));
    builder
        .body(body)
        .unwrap_or_else(|_| Response::new(Body::empty()))
}

/// A media body in 64 KiB chunks; a cut fault sends the first half of the bytes (under the
/// full `Content-Length`) and drops the connection.
fn media_chunks(bytes: Vec<u8>, fault: &Fault) -> (Vec<Bytes>, Ending) {
    let bytes = Bytes::from(bytes);
    let (bytes, ending) = match fault {
        Fault::CutMidStream { .. } | Fault::TruncatedEvent { .. } | Fault::ShortBody => {
            (bytes.slice(..bytes.len() / 2), Ending::Abort)
        }
        _ => (bytes, Ending::Clean),
    };
    let chunks = (0..bytes.len())
        .step_by(64 * 1024)
        .map(|at| bytes.slice(at..bytes.len().min(at + 64 * 1024)))
        .collect();
    (chunks, ending)
}

/// The body: an optional stall, the chunks, then a clean end or an abort.
fn body_stream(
    chunks: Vec<Bytes>,
    ending: Ending,
    stall: Option<std::time::Duration>,
) -> impl futures_util::Stream<Item = Result<Bytes, std::io::Error>> + Send {
    let start = futures_util::stream::once(async move {
        if let Some(stall) = stall {
            tokio::time::sleep(stall).await;
        }
        Ok::<_, Infallible>(())
    });
    let chunks = futures_util::stream::iter(chunks.into_iter().map(Ok));
    // Before an abort, pause so the head and the chunks already sent reach the client.
    let end = futures_util::stream::once(async move {
        match ending {
            Ending::Clean => None,
            Ending::Abort => {
                tokio::time::sleep(ABORT_FLUSH_PAUSE).await;
                Some(Err(std::io::Error::new(
                    std::io::ErrorKind::ConnectionAborted,
                    "emulator fault: connection dropped",
                )))
            }
        }
    });
    use futures_util::StreamExt;
    start
        .filter_map(|_| async { None::<Result<Bytes, std::io::Error>> })
        .chain(chunks)
        .chain(end.filter_map(|item| async move { item }))
}
