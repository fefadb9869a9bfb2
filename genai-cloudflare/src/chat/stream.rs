//! Streamed replies: SSE events in, [`StreamEvent`]s out.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_util::Stream;
use genai_core::http::SseBody;
use genai_core::text::excerpt;
use genai_core::{ChatStream, Error, Result, StreamEvent};

use crate::chat::chunk::{self, Chunk};
use crate::chat::reply::Shaper;
use crate::chat::wire::WireResult;

/// Decodes the data of SSE events into events, with no I/O: fed by the client, and directly
/// by tests, benches and fuzzers.
#[derive(Debug)]
pub(crate) struct StreamDecoder {
    shaper: Shaper,
    done: bool,
    /// Whether chunks go through [`chunk::read`] first (off only to compare with the general
    /// decoder).
    fast: bool,
}

impl StreamDecoder {
    pub(crate) fn new(shaper: Shaper) -> Self {
        StreamDecoder {
            shaper,
            done: false,
            fast: true,
        }
    }

    /// A decoder that reads every chunk with the general decoder: what the chunk reader must
    /// agree with, for property tests and benches.
    pub(crate) fn general_only(shaper: Shaper) -> Self {
        StreamDecoder {
            fast: false,
            ..StreamDecoder::new(shaper)
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
        if data.iter().all(u8::is_ascii_whitespace) {
            return Ok(()); // an empty keep-alive event
        }
        let mut chunk = Chunk::default();
        if self.fast && chunk::read(data, &mut chunk).is_some() {
            // Any usual chunk of either family, in one pass.
            self.shaper.apply_chunk(&mut chunk)?;
        } else {
            let chunk: WireResult<'_> = serde_json::from_slice(data).map_err(|e| {
                Error::protocol(format!(
                    "a stream event is not valid JSON ({e}): {}",
                    excerpt(&String::from_utf8_lossy(data), 120)
                ))
            })?;
            if let Some(errors) = chunk.reported_error() {
                // The service gave up mid-stream: what came before is not a complete reply.
                self.done = true;
                return Err(crate::errors::from_codes(200, &errors));
            }
            self.shaper.apply(chunk, false)?;
        }
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

    /// Whether an event is ready for the caller.
    pub(crate) fn has_event(&self) -> bool {
        self.shaper.has_event()
    }

    /// The next event ready for the caller.
    pub(crate) fn pop(&mut self) -> Option<StreamEvent> {
        self.shaper.pop()
    }
}

type Read = Pin<Box<dyn Future<Output = (SseBody, Result<()>)> + Send>>;

/// The caller's stream. Events already read are decoded synchronously in `poll_next`, their
/// data borrowed from the SSE buffer; only a network read is a future (one per read, not per
/// event).
struct EventStream {
    body: Option<SseBody>,
    reading: Option<Read>,
    decoder: StreamDecoder,
    span: tracing::Span,
    /// When the request was sent, until the first chunk of content has been recorded on the
    /// span (its time to first chunk); `None` after, so later events cost one check.
    first_chunk_from: Option<std::time::Instant>,
    failed: bool,
    /// The API token, scrubbed from errors.
    secret: String,
}

impl EventStream {
    /// Decodes the events already read until one is ready; `Ok(false)` when more bytes are
    /// needed.
    fn drain_buffered(&mut self) -> Result<bool> {
        let Some(body) = self.body.as_mut() else {
            return Ok(false);
        };
        loop {
            if self.decoder.has_event() || self.decoder.is_done() {
                return Ok(true);
            }
            let ended = body.is_ended();
            match body.next_buffered()? {
                Some(data) => self.decoder.on_data(data)?,
                None if ended => {
                    self.decoder.on_eof()?;
                    return Ok(true);
                }
                None => return Ok(false),
            }
        }
    }

    fn fail(&mut self, e: Error) -> Poll<Option<Result<StreamEvent>>> {
        self.failed = true;
        self.body = None;
        self.reading = None;
        // An error ends the stream: events queued by the same chunk are not delivered after it.
        while self.decoder.pop().is_some() {}
        let e = crate::errors::redact(e.with_provider(crate::errors::PROVIDER), &self.secret);
        tracing::debug!(parent: &self.span, kind = %e.kind(), "stream failed");
        Poll::Ready(Some(Err(e)))
    }
}

impl Stream for EventStream {
    type Item = Result<StreamEvent>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            if let Some(ev) = this.decoder.pop() {
                if let Some(sent) = this.first_chunk_from {
                    if matches!(
                        ev,
                        StreamEvent::TextDelta(_)
                            | StreamEvent::ReasoningDelta(_)
                            | StreamEvent::ToolCall(_)
                    ) {
                        genai_core::telemetry::record_time_to_first_chunk(&this.span, sent);
                        this.first_chunk_from = None;
                    }
                }
                if let StreamEvent::Usage(u) = &ev {
                    this.span.record("input_tokens", u.input_tokens);
                    this.span.record("output_tokens", u.output_tokens);
                }
                return Poll::Ready(Some(Ok(ev)));
            }
            if this.failed || this.decoder.is_done() {
                // Closes the connection as soon as nothing more is needed.
                this.body = None;
                this.reading = None;
                return Poll::Ready(None);
            }
            match this.drain_buffered() {
                Ok(true) => continue,
                Ok(false) => {}
                Err(e) => return this.fail(e),
            }
            let reading = match &mut this.reading {
                Some(r) => r,
                None => {
                    let Some(mut body) = this.body.take() else {
                        return Poll::Ready(None);
                    };
                    this.reading.insert(Box::pin(async move {
                        let r = body.read_more().await;
                        (body, r)
                    }))
                }
            };
            let Poll::Ready((body, r)) = reading.as_mut().poll(cx) else {
                return Poll::Pending;
            };
            this.reading = None;
            this.body = Some(body);
            if let Err(e) = r {
                return this.fail(e);
            }
        }
    }
}

/// The caller's stream over an SSE body. Reading stops at `[DONE]` or a stop sequence, and the
/// connection is closed then (or when the stream is dropped). `secret` never appears in an
/// error it yields. `sent` is when the request went out: the span gets the time from then to
/// the first chunk of content.
pub(crate) fn chat_stream(
    body: SseBody,
    decoder: StreamDecoder,
    span: tracing::Span,
    sent: std::time::Instant,
    secret: String,
) -> ChatStream {
    ChatStream::new(EventStream {
        body: Some(body),
        reading: None,
        decoder,
        span,
        first_chunk_from: Some(sent),
        failed: false,
        secret,
    })
}
