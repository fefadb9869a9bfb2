//! Streamed replies: events, the named stream type, and folding a stream into a reply.

use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_util::Stream;

use crate::cost::Cost;
use crate::error::Result;
use crate::limits::RateLimit;
use crate::response::{ChatResponse, FinishReason, GuardVerdict, TokenLogprob, Usage};
use crate::tool::ToolCall;

/// One piece of a streamed reply.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum StreamEvent {
    /// More answer text.
    TextDelta(String),
    /// More reasoning text.
    ReasoningDelta(String),
    /// A tool call, complete (assembled from all its fragments) before it is emitted.
    ToolCall(ToolCall),
    /// Token counts (usually once, near the end).
    Usage(Usage),
    /// Log-probabilities of the tokens generated since the previous such event.
    Logprobs(Vec<TokenLogprob>),
    /// A safety classifier's verdict (Llama Guard models), just before `Finish`.
    Verdict(GuardVerdict),
    /// What the call cost (computed once, at the end, from the usage and the model's price;
    /// or as the service reported it), just before `Finish`.
    Cost(Cost),
    /// Why the model stopped; the last event of a successful stream.
    Finish(FinishReason),
}

/// A streamed reply: a `'static` stream of [`StreamEvent`]s.
///
/// Dropping it closes the connection. An error item ends the stream; events yielded before it
/// were real.
///
/// ```
/// use genai_core::{ChatStream, StreamEvent, FinishReason};
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let stream = ChatStream::from_events(vec![
///     StreamEvent::TextDelta("Hel".into()),
///     StreamEvent::TextDelta("lo".into()),
///     StreamEvent::Finish(FinishReason::Stop),
/// ]);
/// let reply = stream.collect_response().await.unwrap();
/// assert_eq!(reply.text, "Hello");
/// # });
/// ```
pub struct ChatStream {
    inner: Pin<Box<dyn Stream<Item = Result<StreamEvent>> + Send + 'static>>,
    rate_limit: Option<RateLimit>,
}

impl ChatStream {
    /// Wraps any stream of events.
    pub fn new(stream: impl Stream<Item = Result<StreamEvent>> + Send + 'static) -> Self {
        ChatStream {
            inner: Box::pin(stream),
            rate_limit: None,
        }
    }

    /// The same stream, with the rate-limit state its reply's headers reported.
    pub fn with_rate_limit(mut self, rate_limit: Option<RateLimit>) -> Self {
        self.rate_limit = rate_limit;
        self
    }

    /// The rate-limit state the reply's headers reported, when they had any.
    pub fn rate_limit(&self) -> Option<RateLimit> {
        self.rate_limit
    }

    /// A stream that yields these events, then ends.
    pub fn from_events(events: Vec<StreamEvent>) -> Self {
        ChatStream::new(futures_util::stream::iter(events.into_iter().map(Ok)))
    }

    /// The events of a complete reply, in the order a stream yields them.
    pub fn from_response(reply: ChatResponse) -> Self {
        let rate_limit = reply.rate_limit;
        let mut events = Vec::new();
        if !reply.reasoning.is_empty() {
            events.push(StreamEvent::ReasoningDelta(reply.reasoning));
        }
        if !reply.text.is_empty() {
            events.push(StreamEvent::TextDelta(reply.text));
        }
        events.extend(reply.tool_calls.into_iter().map(StreamEvent::ToolCall));
        if !reply.logprobs.is_empty() {
            events.push(StreamEvent::Logprobs(reply.logprobs));
        }
        if reply.usage.is_reported() {
            events.push(StreamEvent::Usage(reply.usage));
        }
        if let Some(verdict) = reply.verdict {
            events.push(StreamEvent::Verdict(verdict));
        }
        if let Some(cost) = reply.cost {
            events.push(StreamEvent::Cost(cost));
        }
        events.push(StreamEvent::Finish(reply.finish_reason));
        ChatStream::from_events(events).with_rate_limit(rate_limit)
    }

    /// The next event, or `None` at the end.
    pub async fn next_event(&mut self) -> Option<Result<StreamEvent>> {
        futures_util::StreamExt::next(self).await
    }

    /// Reads the whole stream and folds it into the reply `gen_sync` would have returned.
    pub async fn collect_response(mut self) -> Result<ChatResponse> {
        let mut acc = ResponseAccumulator::default();
        while let Some(event) = self.next_event().await {
            acc.push(event?);
        }
        let mut reply = acc.finish();
        reply.rate_limit = self.rate_limit;
        Ok(reply)
    }
}

impl Stream for ChatStream {
    type Item = Result<StreamEvent>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner.as_mut().poll_next(cx)
    }
}

impl fmt::Debug for ChatStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChatStream").finish_non_exhaustive()
    }
}

/// Folds stream events into a [`ChatResponse`].
///
/// ```
/// use genai_core::{ResponseAccumulator, StreamEvent};
/// let mut acc = ResponseAccumulator::default();
/// acc.push(StreamEvent::ReasoningDelta("hmm".into()));
/// acc.push(StreamEvent::TextDelta("42".into()));
/// let reply = acc.finish();
/// assert_eq!((reply.reasoning.as_str(), reply.text.as_str()), ("hmm", "42"));
/// ```
#[derive(Debug, Default)]
pub struct ResponseAccumulator {
    reply: ChatResponse,
}

impl ResponseAccumulator {
    /// Adds one event.
    pub fn push(&mut self, event: StreamEvent) {
        match event {
            // The first delta is taken as is: a whole reply is not copied again.
            StreamEvent::TextDelta(t) if self.reply.text.is_empty() => self.reply.text = t,
            StreamEvent::TextDelta(t) => self.reply.text.push_str(&t),
            StreamEvent::ReasoningDelta(t) => self.reply.reasoning.push_str(&t),
            StreamEvent::ToolCall(c) => self.reply.tool_calls.push(c),
            StreamEvent::Usage(u) => self.reply.usage = u,
            StreamEvent::Logprobs(l) => self.reply.logprobs.extend(l),
            StreamEvent::Verdict(v) => self.reply.verdict = Some(v),
            StreamEvent::Cost(c) => self.reply.cost = Some(c),
            StreamEvent::Finish(f) => self.reply.finish_reason = f,
        }
    }

    /// The reply so far.
    pub fn finish(self) -> ChatResponse {
        self.reply
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[tokio::test]
    async fn from_response_round_trips_through_collect() {
        let reply = ChatResponse {
            text: "x".into(),
            reasoning: "r".into(),
            tool_calls: vec![ToolCall::new("t", json!({}))],
            usage: Usage {
                input_tokens: Some(1),
                output_tokens: Some(2),
                total_tokens: Some(3),
            },
            finish_reason: FinishReason::ToolCalls,
            logprobs: vec![TokenLogprob {
                token: "x".into(),
                logprob: -0.5,
                top: Vec::new(),
            }],
            verdict: Some(GuardVerdict::safe()),
            cost: Some(crate::Cost::from_neurons(1.5, crate::CostSource::Estimated)),
            rate_limit: Some(crate::RateLimit {
                limit: Some(10),
                ..Default::default()
            }),
            ..ChatResponse::default()
        };
        let back = ChatStream::from_response(reply.clone())
            .collect_response()
            .await
            .unwrap();
        assert_eq!(back, reply);
    }

    #[tokio::test]
    async fn an_error_item_fails_the_collection() {
        let s = ChatStream::new(futures_util::stream::iter(vec![
            Ok(StreamEvent::TextDelta("partial".into())),
            Err(crate::Error::protocol("cut")),
        ]));
        let e = s.collect_response().await.unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::Protocol);
    }

    #[test]
    fn chat_stream_is_send_and_static() {
        fn assert_send_static<T: Send + 'static>() {}
        assert_send_static::<ChatStream>();
    }
}
