//! Scripted faults: what can go wrong between a client and Workers AI.

use std::time::Duration;

/// The longest any stall lasts, whatever the configured duration: a forgotten fault must not
/// hang a test run.
pub(crate) const MAX_STALL: Duration = Duration::from_secs(120);

/// A failure the emulator injects into one request (see
/// [`EmulatorConfig::faults`](super::EmulatorConfig::faults)).
///
/// Faults that shape a stream (`CutMidStream`, `TruncatedEvent`, `GarbageEvent`, `NoDone`) act
/// on the SSE events of a streamed reply; on a plain JSON reply the first three send half of
/// the body (or a garbage body) and `NoDone` changes nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fault {
    /// No fault: the request is served normally.
    None,
    /// 429 with a `Retry-After` header (the given value, sent verbatim) and error code 3021.
    RateLimited {
        /// Value of the `Retry-After` header, e.g. `"1"`.
        retry_after: String,
    },
    /// 429 with error code 3040 "Capacity temporarily exceeded, please try again.".
    Capacity,
    /// This HTTP status (5xx; anything else is sent as 500) with a JSON error body.
    ServerError(u16),
    /// Waits before answering: before the status line and headers when `before_headers`,
    /// otherwise after the headers, before the first byte of the body. The wait is capped at
    /// two minutes.
    Stall {
        /// Stall before the headers (`true`) or between headers and body (`false`).
        before_headers: bool,
        /// How long to wait.
        duration: Duration,
    },
    /// Sends this many SSE events, then drops the connection (no `[DONE]`).
    CutMidStream {
        /// Events sent before the cut.
        after_events: usize,
    },
    /// Sends this many SSE events, then half of the next one, then drops the connection.
    TruncatedEvent {
        /// Whole events sent before the truncated one.
        after_events: usize,
    },
    /// Sends this many SSE events, then a `data: {not json` event, then the rest of the stream.
    GarbageEvent {
        /// Events sent before the garbage one.
        after_events: usize,
    },
    /// Sends every event but not the final `data: [DONE]`, and ends the body cleanly.
    NoDone,
    /// Answers 200 with a `text/html` page instead of JSON (as a misconfigured proxy would).
    HtmlBody,
    /// Sends the headers with the whole body's `Content-Length`, then only the first half of
    /// the body, then drops the connection (a truncated binary or JSON reply).
    ShortBody,
}

impl Fault {
    /// The stall to apply before the headers, if any.
    pub(crate) fn stall_before_headers(&self) -> Option<Duration> {
        match self {
            Fault::Stall {
                before_headers: true,
                duration,
            } => Some((*duration).min(MAX_STALL)),
            _ => None,
        }
    }

    /// The stall to apply between the headers and the body, if any.
    pub(crate) fn stall_before_body(&self) -> Option<Duration> {
        match self {
            Fault::Stall {
                before_headers: false,
                duration,
            } => Some((*duration).min(MAX_STALL)),
            _ => None,
        }
    }
}

/// How a body ends once its events are sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ending {
    /// Normal end of the body.
    Clean,
    /// Abort the connection (the client sees an incomplete body).
    Abort,
}

/// The body chunks to send for an SSE stream made of `events` (JSON payloads, without the
/// `data: ` framing), after applying `fault`.
pub(crate) fn sse_chunks(events: &[String], fault: &Fault) -> (Vec<String>, Ending) {
    let framed: Vec<String> = events
        .iter()
        .map(|event| format!("data: {event}\n\n"))
        .collect();
    let done = "data: [DONE]\n\n".to_owned();
    match fault {
        Fault::CutMidStream { after_events } => (
            framed.into_iter().take(*after_events).collect(),
            Ending::Abort,
        ),
        Fault::TruncatedEvent { after_events } => {
            let mut chunks: Vec<String> = framed.iter().take(*after_events).cloned().collect();
            let next = framed.get(*after_events).unwrap_or(&done);
            chunks.push(first_half(next).to_owned());
            (chunks, Ending::Abort)
        }
        Fault::GarbageEvent { after_events } => {
            let mut chunks = framed;
            let at = (*after_events).min(chunks.len());
            chunks.insert(at, "data: {not json\n\n".to_owned());
            chunks.push(done);
            (chunks, Ending::Clean)
        }
        Fault::NoDone => (framed, Ending::Clean),
        _ => {
            let mut chunks = framed;
            chunks.push(done);
            (chunks, Ending::Clean)
        }
    }
}

/// The body chunks to send for a JSON body, after applying `fault`.
pub(crate) fn json_chunks(body: String, fault: &Fault) -> (Vec<String>, Ending) {
    match fault {
        Fault::CutMidStream { .. } | Fault::TruncatedEvent { .. } | Fault::ShortBody => {
            (vec![first_half(&body).to_owned()], Ending::Abort)
        }
        Fault::GarbageEvent { .. } => (vec!["{not json".to_owned()], Ending::Clean),
        _ => (vec![body], Ending::Clean),
    }
}

/// The first half of `text`, cut on a character boundary.
fn first_half(text: &str) -> &str {
    let mut cut = text.len() / 2;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    &text[..cut]
}

/// Status, error code and message of the faults that replace the whole reply with an error.
pub(crate) fn error_reply(fault: &Fault) -> Option<(u16, u32, String)> {
    match fault {
        Fault::RateLimited { .. } => Some((
            429,
            3021,
            "Too many requests: you have exceeded the rate limit for this model.".to_owned(),
        )),
        Fault::Capacity => Some((
            429,
            3040,
            "Capacity temporarily exceeded, please try again.".to_owned(),
        )),
        Fault::ServerError(status) => {
            let status = if (500..=599).contains(status) {
                *status
            } else {
                500
            };
            Some((status, 3043, "Internal server error".to_owned()))
        }
        _ => None,
    }
}

/// The page sent by [`Fault::HtmlBody`].
pub(crate) const HTML_PAGE: &str = "<!DOCTYPE html>\n<html lang=\"en\">\n<head><title>Gateway \
     placeholder | genai-rs emulator</title></head>\n<body>\n<h1>Something between you and \
     the API answered with a web page.</h1>\n<p>This page stands in for a captive portal or a \
     misconfigured proxy.</p>\n</body>\n</html>\n";

#[cfg(test)]
mod tests {
    use super::*;

    fn events() -> Vec<String> {
        vec![
            r#"{"response":"a"}"#.to_owned(),
            r#"{"response":"b"}"#.to_owned(),
        ]
    }

    #[test]
    fn normal_stream_ends_with_done() {
        let (chunks, ending) = sse_chunks(&events(), &Fault::None);
        assert_eq!(
            chunks.concat(),
            "data: {\"response\":\"a\"}\n\ndata: {\"response\":\"b\"}\n\ndata: [DONE]\n\n"
        );
        assert_eq!(ending, Ending::Clean);
    }

    #[test]
    fn cut_drops_the_rest_and_aborts() {
        let (chunks, ending) = sse_chunks(&events(), &Fault::CutMidStream { after_events: 1 });
        assert_eq!(chunks, vec!["data: {\"response\":\"a\"}\n\n".to_owned()]);
        assert_eq!(ending, Ending::Abort);
    }

    #[test]
    fn truncated_sends_half_an_event() {
        let (chunks, ending) = sse_chunks(&events(), &Fault::TruncatedEvent { after_events: 1 });
        assert_eq!(chunks.len(), 2);
        assert!(!chunks[1].ends_with("\n\n"));
        assert!(chunks[1].starts_with("data: {"));
        assert_eq!(ending, Ending::Abort);
    }

    #[test]
    fn garbage_is_inserted_and_stream_completes() {
        let (chunks, ending) = sse_chunks(&events(), &Fault::GarbageEvent { after_events: 1 });
        assert_eq!(chunks[1], "data: {not json\n\n");
        assert_eq!(chunks.last().map(String::as_str), Some("data: [DONE]\n\n"));
        assert_eq!(ending, Ending::Clean);
    }

    #[test]
    fn no_done_ends_cleanly_without_done() {
        let (chunks, ending) = sse_chunks(&events(), &Fault::NoDone);
        assert!(!chunks.concat().contains("[DONE]"));
        assert_eq!(ending, Ending::Clean);
    }

    #[test]
    fn stalls_are_capped() {
        let fault = Fault::Stall {
            before_headers: true,
            duration: Duration::from_secs(86_400),
        };
        assert_eq!(fault.stall_before_headers(), Some(MAX_STALL));
        assert_eq!(fault.stall_before_body(), None);
    }

    #[test]
    fn server_error_status_is_always_5xx() {
        assert_eq!(
            error_reply(&Fault::ServerError(503)).map(|e| e.0),
            Some(503)
        );
        assert_eq!(
            error_reply(&Fault::ServerError(200)).map(|e| e.0),
            Some(500)
        );
        assert_eq!(error_reply(&Fault::Capacity).map(|e| e.1), Some(3040));
    }

    #[test]
    fn half_respects_utf8() {
        assert_eq!(first_half("aé"), "a");
    }
}
