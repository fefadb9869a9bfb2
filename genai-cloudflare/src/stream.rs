//! Streamed replies: SSE events in, [`StreamEvent`]s out.

use genai_core::http::SseBody;
use genai_core::text::excerpt;
use genai_core::{ChatStream, Error, Result, StreamEvent};

use crate::reply::Shaper;
use crate::wire::WireResult;

/// Decodes the data of SSE events into events, with no I/O: fed by the client, and directly
/// by tests, benches and fuzzers.
#[derive(Debug)]
pub(crate) struct StreamDecoder {
    shaper: Shaper,
    done: bool,
}

impl StreamDecoder {
    pub(crate) fn new(shaper: Shaper) -> Self {
        StreamDecoder {
            shaper,
            done: false,
        }
    }

    /// Handles the data of one event (`[DONE]` included).
    pub(crate) fn on_data(&mut self, data: &[u8]) -> Result<()> {
        if self.done {
            return Ok(());
        }
        if data == b"[DONE]" {
            self.done = true;
            return self.shaper.finish();
        }
        let chunk: WireResult<'_> = serde_json::from_slice(data).map_err(|e| {
            Error::protocol(format!(
                "a stream event is not valid JSON ({e}): {}",
                excerpt(&String::from_utf8_lossy(data), 120)
            ))
        })?;
        self.shaper.apply(chunk, false)?;
        if self.shaper.stopped() {
            // A stop sequence matched: nothing after it matters.
            self.done = true;
            self.shaper.finish()?;
        }
        Ok(())
    }

    /// The body ended: fine after `[DONE]`, a protocol error before it.
    pub(crate) fn on_eof(&mut self) -> Result<()> {
        if self.done {
            return Ok(());
        }
        self.done = true;
        Err(Error::protocol(
            "the stream ended before [DONE]: the reply is incomplete",
        ))
    }

    /// Whether no more input is needed.
    pub(crate) fn is_done(&self) -> bool {
        self.done
    }

    /// The next event ready for the caller.
    pub(crate) fn pop(&mut self) -> Option<StreamEvent> {
        self.shaper.pop()
    }
}

struct State {
    body: Option<SseBody>,
    decoder: StreamDecoder,
    span: tracing::Span,
    failed: bool,
    /// The API token, scrubbed from errors.
    secret: String,
}

/// The caller's stream over an SSE body. Reading stops at `[DONE]` or a stop sequence, and the
/// connection is closed then (or when the stream is dropped). `secret` never appears in an
/// error it yields.
pub(crate) fn chat_stream(
    body: SseBody,
    decoder: StreamDecoder,
    span: tracing::Span,
    secret: String,
) -> ChatStream {
    let state = State {
        body: Some(body),
        decoder,
        span,
        failed: false,
        secret,
    };
    ChatStream::new(futures_util::stream::unfold(state, |mut st| async move {
        loop {
            if let Some(ev) = st.decoder.pop() {
                if let StreamEvent::Usage(u) = &ev {
                    st.span.record("input_tokens", u.input_tokens);
                    st.span.record("output_tokens", u.output_tokens);
                }
                return Some((Ok(ev), st));
            }
            if st.failed || st.decoder.is_done() {
                return None;
            }
            let body = st.body.as_mut()?;
            let step = match body.next_event().await {
                Ok(Some(ev)) => st.decoder.on_data(&ev.data),
                Ok(None) => st.decoder.on_eof(),
                Err(e) => Err(e),
            };
            if let Err(e) = step {
                st.failed = true;
                st.body = None;
                let e = crate::errors::redact(e.with_provider(crate::errors::PROVIDER), &st.secret);
                tracing::debug!(parent: &st.span, kind = %e.kind(), "stream failed");
                return Some((Err(e), st));
            }
        }
    }))
}
