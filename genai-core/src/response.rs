//! What comes back: text, reasoning, tool calls, usage and why the model stopped.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::cost::{Cost, Metered};
use crate::error::{Error, Result};
use crate::limits::RateLimit;
use crate::request::Message;
use crate::tool::ToolCall;

/// Token counts of one call. A field is `None` when the service did not report it: never a
/// made-up zero.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Usage {
    /// Tokens read (the prompt).
    pub input_tokens: Option<u64>,
    /// Tokens generated.
    pub output_tokens: Option<u64>,
    /// Both together.
    pub total_tokens: Option<u64>,
}

impl Usage {
    /// Counts as reported; the total is derived from the other two when not given.
    ///
    /// ```
    /// let u = genai_core::Usage::new(Some(3), Some(4), None);
    /// assert_eq!(u.total_tokens, Some(7));
    /// assert_eq!(genai_core::Usage::new(None, None, None), genai_core::Usage::default());
    /// ```
    pub fn new(input: Option<u64>, output: Option<u64>, total: Option<u64>) -> Self {
        let total = total.or(match (input, output) {
            (Some(i), Some(o)) => Some(i + o),
            _ => None,
        });
        Usage {
            input_tokens: input,
            output_tokens: output,
            total_tokens: total,
        }
    }

    /// Whether the service reported anything at all.
    pub fn is_reported(&self) -> bool {
        self.input_tokens.is_some() || self.output_tokens.is_some() || self.total_tokens.is_some()
    }
}

impl Metered {
    /// One call with this token usage (an embedding call reports input tokens only: its
    /// output counts as zero when the total equals the input).
    ///
    /// ```
    /// use genai_core::{Metered, Usage};
    /// let m = Metered::usage(&Usage::new(Some(5), None, Some(5)));
    /// assert_eq!((m.input_tokens, m.output_tokens), (Some(5), Some(0)));
    /// ```
    pub fn usage(usage: &Usage) -> Metered {
        let output = usage
            .output_tokens
            .or(match (usage.input_tokens, usage.total_tokens) {
                (Some(i), Some(t)) if t >= i => Some(t - i),
                _ => None,
            });
        Metered {
            input_tokens: usage.input_tokens,
            output_tokens: output,
            ..Metered::default()
        }
    }
}

/// Why the model stopped.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum FinishReason {
    /// The model ended its reply.
    Stop,
    /// The reply reached the token limit.
    Length,
    /// The model called tools and waits for their results.
    ToolCalls,
    /// A requested stop sequence was reached.
    StopSequence,
    /// The service filtered the reply.
    ContentFilter,
    /// The service did not say and nothing allowed an inference.
    #[default]
    Unknown,
}

impl FinishReason {
    /// The stable name (`stop`, `length`...), or `None` for [`FinishReason::Unknown`].
    pub fn as_str(self) -> Option<&'static str> {
        match self {
            FinishReason::Stop => Some("stop"),
            FinishReason::Length => Some("length"),
            FinishReason::ToolCalls => Some("tool_calls"),
            FinishReason::StopSequence => Some("stop_sequence"),
            FinishReason::ContentFilter => Some("content_filter"),
            FinishReason::Unknown => None,
        }
    }
}

/// The model's reply to one [`ChatRequest`](crate::ChatRequest).
///
/// ```
/// use genai_core::{ChatResponse, FinishReason};
/// let reply = ChatResponse::new(r#"{"is_fruit": true}"#).finish_reason(FinishReason::Stop);
/// #[derive(serde::Deserialize)]
/// struct Answer { is_fruit: bool }
/// assert!(reply.decode_json::<Answer>().unwrap().is_fruit);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ChatResponse {
    /// The answer, without reasoning. A JSON reply is its JSON text.
    pub text: String,
    /// The model's reasoning, when it showed any (empty otherwise).
    pub reasoning: String,
    /// The tools the model called.
    pub tool_calls: Vec<ToolCall>,
    /// Token counts.
    pub usage: Usage,
    /// Why the model stopped.
    pub finish_reason: FinishReason,
    /// The log-probability of each generated token, when the request asked for them
    /// ([`ChatRequest::logprobs`](crate::ChatRequest::logprobs)); empty otherwise.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub logprobs: Vec<TokenLogprob>,
    /// A safety classifier's verdict (Llama Guard models); `None` for other models.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verdict: Option<GuardVerdict>,
    /// What the caller should know about how the reply was made, though the call succeeded
    /// (for example: the model id is an alias another model now answers).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// What the call cost: reported by the service, or estimated from the model's price and
    /// the usage (streams); `None` when neither is possible.
    #[serde(default)]
    pub cost: Option<Cost>,
    /// The rate-limit state the reply reported, when it carried rate-limit headers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_limit: Option<RateLimit>,
    /// The model that answered, when a [`FallbackChat`](crate::FallbackChat) chose it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub served_by: Option<String>,
    /// The models a [`FallbackChat`](crate::FallbackChat) tried first, and how each failed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attempts: Vec<Attempt>,
}

/// A model tried before another one served the call, and how it failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Attempt {
    /// The model.
    pub model: String,
    /// Its provider.
    pub provider: String,
    /// Its error.
    pub error: ErrorSummary,
}

impl Attempt {
    /// `model` of `provider` failed with `error`.
    pub fn new(provider: impl Into<String>, model: impl Into<String>, error: &Error) -> Self {
        Attempt {
            model: model.into(),
            provider: provider.into(),
            error: ErrorSummary::of(error),
        }
    }
}

/// An error as data: its kind, HTTP status, provider code and message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ErrorSummary {
    /// What went wrong.
    pub kind: crate::error::ErrorKind,
    /// The HTTP status, when the error came from a reply.
    pub status: Option<u16>,
    /// The provider's error code.
    pub code: Option<i64>,
    /// The message.
    pub message: String,
}

impl ErrorSummary {
    /// The summary of `e`.
    pub fn of(e: &Error) -> Self {
        ErrorSummary {
            kind: e.kind(),
            status: e.status(),
            code: e.code(),
            message: e.message().to_owned(),
        }
    }
}

/// One generated token with its log-probability and the most likely alternatives.
///
/// ```
/// use genai_core::{TokenLogprob, TopLogprob};
/// let t = TokenLogprob {
///     token: "Hello".into(),
///     logprob: -0.01,
///     top: vec![TopLogprob { token: "Hi".into(), logprob: -4.6 }],
/// };
/// assert!(t.probability() > 0.98);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TokenLogprob {
    /// The token as text.
    pub token: String,
    /// Its natural log-probability (0 or less).
    pub logprob: f64,
    /// The most likely tokens at this position, most likely first.
    #[serde(default)]
    pub top: Vec<TopLogprob>,
}

impl TokenLogprob {
    /// The token's probability, `exp(logprob)`.
    pub fn probability(&self) -> f64 {
        self.logprob.exp()
    }
}

/// An alternative token at one position.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TopLogprob {
    /// The token as text.
    pub token: String,
    /// Its natural log-probability.
    pub logprob: f64,
}

/// What a safety classifier (Llama Guard) decided about a conversation.
///
/// ```
/// use genai_core::GuardVerdict;
/// let v = GuardVerdict::parse("unsafe\nS1,S10").unwrap();
/// assert_eq!(v, GuardVerdict { safe: false, categories: vec!["S1".into(), "S10".into()] });
/// assert_eq!(GuardVerdict::parse(" safe ").unwrap(), GuardVerdict::safe());
/// assert!(GuardVerdict::parse("I cannot tell").is_none());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct GuardVerdict {
    /// Whether the conversation is safe.
    pub safe: bool,
    /// The hazard categories found (e.g. `S1`), empty when safe.
    #[serde(default)]
    pub categories: Vec<String>,
}

impl GuardVerdict {
    /// The `safe` verdict.
    pub fn safe() -> Self {
        GuardVerdict {
            safe: true,
            categories: Vec::new(),
        }
    }

    /// Reads a verdict as classifiers write it: `safe`, or `unsafe` followed by a line of
    /// comma-separated categories; or the JSON object `{"safe":…,"categories":[…]}`. `None`
    /// when the text is neither.
    pub fn parse(text: &str) -> Option<GuardVerdict> {
        let text = crate::text::strip_code_fence(text).trim();
        if text.starts_with('{') {
            let v: GuardVerdict = serde_json::from_str(text).ok()?;
            return Some(v);
        }
        let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
        match lines.next()?.to_ascii_lowercase().as_str() {
            "safe" => lines.next().is_none().then(GuardVerdict::safe),
            "unsafe" => {
                let categories = lines
                    .next()
                    .map(|l| {
                        l.split(',')
                            .map(str::trim)
                            .filter(|c| !c.is_empty())
                            .map(str::to_owned)
                            .collect()
                    })
                    .unwrap_or_default();
                lines.next().is_none().then_some(GuardVerdict {
                    safe: false,
                    categories,
                })
            }
            _ => None,
        }
    }
}

impl ChatResponse {
    /// A reply with this answer text and nothing else (for fakes and tests).
    pub fn new(text: impl Into<String>) -> Self {
        ChatResponse {
            text: text.into(),
            ..ChatResponse::default()
        }
    }

    /// Sets the finish reason.
    pub fn finish_reason(mut self, reason: FinishReason) -> Self {
        self.finish_reason = reason;
        self
    }

    /// Sets the reasoning.
    pub fn reasoning(mut self, reasoning: impl Into<String>) -> Self {
        self.reasoning = reasoning.into();
        self
    }

    /// Sets the tool calls.
    pub fn tool_calls(mut self, calls: Vec<ToolCall>) -> Self {
        self.tool_calls = calls;
        self
    }

    /// Sets the usage.
    pub fn usage(mut self, usage: Usage) -> Self {
        self.usage = usage;
        self
    }

    /// Decodes the answer as JSON into `T`.
    ///
    /// A Markdown code fence around the JSON (a common habit of models) is tolerated.
    /// Fails with [`ErrorKind::Protocol`](crate::ErrorKind::Protocol) when the text is not
    /// JSON of that shape.
    pub fn decode_json<T: DeserializeOwned>(&self) -> Result<T> {
        let text = crate::text::strip_code_fence(&self.text);
        serde_json::from_str(text).map_err(|e| {
            Error::protocol(format!(
                "the reply is not JSON of the expected shape ({e}): {}",
                crate::text::excerpt(&self.text, 200)
            ))
        })
    }

    /// This reply as an assistant turn, to continue the conversation.
    pub fn to_message(&self) -> Message {
        Message::Assistant {
            content: self.text.clone(),
            tool_calls: self.tool_calls.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_json_is_a_protocol_error() {
        let r = ChatResponse {
            text: "yes".into(),
            ..Default::default()
        };
        let e = r.decode_json::<serde_json::Value>().unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::Protocol);
    }

    #[test]
    fn finish_reason_names() {
        assert_eq!(FinishReason::ToolCalls.as_str(), Some("tool_calls"));
        assert_eq!(FinishReason::Unknown.as_str(), None);
        assert_eq!(
            serde_json::to_string(&FinishReason::StopSequence).unwrap(),
            "\"stop_sequence\""
        );
    }
}
