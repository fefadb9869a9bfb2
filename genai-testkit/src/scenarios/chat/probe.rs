//! What every scenario shares: the call context, a run's outcome and replies, and the stream
//! checks.

use std::future::Future;
use std::time::Duration;

use genai_core::{
    ChatRequest, ChatResponse, ChatStream, Error, ErrorKind, Mode, ProviderGen, StreamEvent,
};

use crate::scenarios::Outcome;

/// The limit on one call when none is given (see `SuiteConfig::call_timeout`).
pub(super) const DEFAULT_CALL_TIMEOUT: Duration = Duration::from_secs(120);

/// A run's outcome and every reply it received (judged later for usage and finish reason).
#[derive(Debug)]
pub struct Probe {
    /// The outcome.
    pub outcome: Outcome,
    /// The replies received, in order.
    pub replies: Vec<ChatResponse>,
}

impl Probe {
    pub(super) fn pass(&mut self, detail: impl Into<String>) {
        self.outcome = Outcome::Pass {
            detail: detail.into(),
        };
    }

    pub(super) fn fail(&mut self, reason: impl Into<String>) {
        self.outcome = Outcome::Fail {
            reason: reason.into(),
        };
    }
}

/// What every scenario needs: the provider, the mode and the per-call limit.
#[derive(Debug, Clone, Copy)]
pub struct Ctx<'a> {
    /// The provider under test.
    pub provider: &'a dyn ProviderGen,
    /// Sync (`gen_sync`) or stream (`gen_stream`, folded).
    pub mode: Mode,
    /// Limit on one call.
    pub timeout: Duration,
}

impl<'a> Ctx<'a> {
    /// A context with the default per-call limit.
    pub fn new(provider: &'a dyn ProviderGen, mode: Mode) -> Self {
        Ctx {
            provider,
            mode,
            timeout: DEFAULT_CALL_TIMEOUT,
        }
    }

    /// Sends `req` in this mode and returns the (folded) reply.
    ///
    /// In stream mode the events are checked for order: exactly one `Finish`, last, and tool
    /// calls complete (a name and an object of arguments); a violation is an
    /// [`ErrorKind::Protocol`] error.
    pub async fn call(&self, req: &ChatRequest) -> Result<ChatResponse, Error> {
        match self.mode {
            Mode::Sync => bounded(self.timeout, self.provider.gen_sync(req)).await,
            Mode::Stream => {
                bounded(self.timeout, async {
                    let stream = self.provider.gen_stream(req).await?;
                    let events = read_events(stream).await?;
                    check_order(&events)?;
                    ChatStream::from_events(events).collect_response().await
                })
                .await
            }
        }
    }

    /// Sends `req` and records the reply into `probe`; `None` (with the probe set to the
    /// error) when the call failed.
    pub(super) async fn send(&self, probe: &mut Probe, req: &ChatRequest) -> Option<ChatResponse> {
        match self.call(req).await {
            Ok(reply) => {
                probe.replies.push(reply.clone());
                Some(reply)
            }
            Err(e) => {
                probe.outcome = Outcome::Error(e);
                None
            }
        }
    }
}

async fn bounded<T>(
    limit: Duration,
    fut: impl Future<Output = Result<T, Error>>,
) -> Result<T, Error> {
    match tokio::time::timeout(limit, fut).await {
        Ok(r) => r,
        Err(_) => Err(Error::new(
            ErrorKind::Timeout,
            format!("no complete reply within {} s", limit.as_secs_f64()),
        )),
    }
}

/// Upper bound on the events of one stream, so a runaway stream cannot loop forever.
const MAX_EVENTS: usize = 100_000;

async fn read_events(mut stream: ChatStream) -> Result<Vec<StreamEvent>, Error> {
    let mut events = Vec::new();
    while let Some(event) = stream.next_event().await {
        events.push(event?);
        if events.len() > MAX_EVENTS {
            return Err(Error::protocol(format!(
                "the stream sent more than {MAX_EVENTS} events"
            )));
        }
    }
    Ok(events)
}

/// Checks that stream events are well ordered: one `Finish`, last, and complete tool calls.
pub fn check_order(events: &[StreamEvent]) -> Result<(), Error> {
    let finishes = events
        .iter()
        .filter(|e| matches!(e, StreamEvent::Finish(_)))
        .count();
    match (finishes, events.last()) {
        (1, Some(StreamEvent::Finish(_))) => {}
        (0, _) => return Err(Error::protocol("the stream ended without a Finish event")),
        (1, _) => return Err(Error::protocol("events came after the Finish event")),
        (n, _) => {
            return Err(Error::protocol(format!(
                "the stream sent {n} Finish events"
            )))
        }
    }
    for event in events {
        if let StreamEvent::ToolCall(call) = event {
            if call.name.is_empty() || !call.arguments.is_object() {
                return Err(Error::protocol(format!(
                    "incomplete tool call in the stream: name `{}`, arguments {}",
                    call.name, call.arguments
                )));
            }
        }
    }
    Ok(())
}

pub(super) fn probe() -> Probe {
    Probe {
        outcome: Outcome::Fail {
            reason: "not judged".into(),
        },
        replies: Vec::new(),
    }
}

pub(super) fn excerpt(text: &str) -> String {
    genai_core::text::excerpt(text, 80)
}

pub(super) fn words(text: &str) -> usize {
    text.split_whitespace().count()
}

#[cfg(test)]
mod tests {
    use super::*;
    use genai_core::{FinishReason, ToolCall};
    use serde_json::json;

    #[test]
    fn stream_order_is_checked() {
        let finish = StreamEvent::Finish(FinishReason::Stop);
        let text = StreamEvent::TextDelta("x".into());
        assert!(check_order(&[text.clone(), finish.clone()]).is_ok());
        assert!(check_order(std::slice::from_ref(&text)).is_err());
        assert!(check_order(&[finish.clone(), text.clone()]).is_err());
        assert!(check_order(&[finish.clone(), finish.clone()]).is_err());
        let partial = StreamEvent::ToolCall(ToolCall::new("t", json!("{\"a\":")));
        assert!(check_order(&[partial, finish]).is_err());
    }
}
