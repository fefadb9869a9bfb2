//! What a model can do, per mode, and the one place that refuses what it cannot.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::request::{ChatRequest, ResponseFormat};

/// How well a feature works. The default is [`Support::Unsupported`].
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Support {
    /// The model cannot do it: a request that needs it fails with
    /// [`ErrorKind::Unsupported`](crate::ErrorKind::Unsupported) before any network call.
    #[default]
    Unsupported,
    /// The service accepts it but does not always honour it.
    Flaky,
    /// It works.
    Supported,
}

impl Support {
    /// Whether a request may use the feature (supported or flaky).
    pub fn is_usable(self) -> bool {
        self != Support::Unsupported
    }
}

/// The kinds of content a model reads or writes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Modalities {
    /// Text.
    pub text: bool,
    /// Images.
    pub image: bool,
    /// Audio.
    pub audio: bool,
    /// Video.
    pub video: bool,
    /// Documents (PDF...).
    pub document: bool,
}

impl Modalities {
    /// Text only.
    pub const TEXT: Modalities = Modalities {
        text: true,
        image: false,
        audio: false,
        video: false,
        document: false,
    };
}

/// What a model can do in one mode (sync or stream). Plain `Copy` flags.
///
/// ```
/// use genai_core::{Capabilities, Support};
/// let caps = Capabilities { tools: Support::Supported, ..Capabilities::default() };
/// assert!(caps.tools.is_usable());
/// assert!(!caps.json_schema.is_usable());
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Capabilities {
    /// Declared tools and tool calls.
    pub tools: Support,
    /// Forcing a tool call (`tool_choice` required or named).
    pub tool_choice_forced: Support,
    /// Free-form JSON replies.
    pub json: Support,
    /// JSON replies that follow a schema.
    pub json_schema: Support,
    /// Reproducible sampling with a seed.
    pub seed: Support,
    /// A limit on generated tokens.
    pub max_tokens: Support,
    /// Stop sequences.
    pub stop: Support,
    /// Token usage in the reply.
    pub usage: Support,
    /// A finish reason in the reply (reported or reliably inferred).
    pub finish_reason: Support,
    /// Reasoning shown apart from the answer.
    pub reasoning: Support,
    /// A reasoning effort (`low`, `medium`, `high`) in the request.
    #[serde(default)]
    pub reasoning_effort: Support,
    /// Switching thinking on or off (hybrid reasoning models).
    #[serde(default)]
    pub thinking: Support,
    /// A fine-tune (LoRA) named in the request.
    #[serde(default)]
    pub lora: Support,
    /// Raw completion: the prompt sent without the chat template.
    #[serde(default)]
    pub raw: Support,
    /// Per-token log-probabilities with their top alternatives.
    #[serde(default)]
    pub logprobs: Support,
    /// What the model reads.
    pub input: Modalities,
    /// What the model writes.
    pub output: Modalities,
}

impl Capabilities {
    /// Every feature flag set to `support`, text in and out.
    ///
    /// ```
    /// use genai_core::{Capabilities, Support};
    /// let caps = Capabilities::uniform(Support::Flaky);
    /// assert_eq!(caps.tools, Support::Flaky);
    /// assert!(caps.input.text && !caps.input.image);
    /// ```
    pub fn uniform(support: Support) -> Self {
        let s = support;
        Capabilities {
            tools: s,
            tool_choice_forced: s,
            json: s,
            json_schema: s,
            seed: s,
            max_tokens: s,
            stop: s,
            usage: s,
            finish_reason: s,
            reasoning: s,
            reasoning_effort: s,
            thinking: s,
            lora: s,
            raw: s,
            logprobs: s,
            input: Modalities::TEXT,
            output: Modalities::TEXT,
        }
    }
}

/// Sync or stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// One request, one complete reply.
    Sync,
    /// The reply arrives as events.
    Stream,
}

impl Mode {
    /// `sync` or `stream`.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Sync => "sync",
            Mode::Stream => "stream",
        }
    }
}

/// A model's capabilities in both modes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ModelCapabilities {
    /// When calling `gen_sync`.
    pub sync: Capabilities,
    /// When calling `gen_stream`.
    pub stream: Capabilities,
}

impl ModelCapabilities {
    /// The capabilities of `mode`.
    pub fn mode(&self, mode: Mode) -> &Capabilities {
        match mode {
            Mode::Sync => &self.sync,
            Mode::Stream => &self.stream,
        }
    }

    /// Validates `req` and refuses it if it needs a feature this model lacks in `mode`.
    ///
    /// Backends call this first in `gen_sync`/`gen_stream`, so nothing reaches the network
    /// that the model cannot honour.
    ///
    /// ```
    /// use genai_core::{ChatRequest, ErrorKind, Mode, ModelCapabilities};
    /// let caps = ModelCapabilities::default(); // supports nothing
    /// let err = caps.check(Mode::Stream, &ChatRequest::new().user("hi").seed(1)).unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::Unsupported);
    /// assert!(err.message().contains("seed"));
    /// ```
    pub fn check(&self, mode: Mode, req: &ChatRequest) -> Result<()> {
        req.validate()?;
        let caps = self.mode(mode);
        let refuse = |feature: &str| {
            Err(Error::unsupported(format!(
                "this model does not support {feature} in {} mode",
                mode.as_str()
            )))
        };
        if !req.tools.is_empty() && !caps.tools.is_usable() {
            return refuse("tools");
        }
        if req.tool_choice.as_ref().is_some_and(|c| c.is_forced())
            && !caps.tool_choice_forced.is_usable()
        {
            return refuse("a forced tool choice");
        }
        match req.response_format {
            ResponseFormat::Text => {}
            ResponseFormat::Json if !caps.json.is_usable() => return refuse("JSON replies"),
            ResponseFormat::JsonSchema { .. } if !caps.json_schema.is_usable() => {
                return refuse("JSON schema replies")
            }
            _ => {}
        }
        let media = req.messages.iter().flat_map(|m| m.media());
        for m in media {
            if m.is_image() && !caps.input.image {
                return refuse("image input");
            }
            if m.is_audio() && !caps.input.audio {
                return refuse("audio input");
            }
            if !m.is_image() && !m.is_audio() {
                return refuse(&format!("{} input", m.media_type()));
            }
        }
        if req.seed.is_some() && !caps.seed.is_usable() {
            return refuse("a seed");
        }
        if req.max_tokens.is_some() && !caps.max_tokens.is_usable() {
            return refuse("max_tokens");
        }
        if !req.stop.is_empty() && !caps.stop.is_usable() {
            return refuse("stop sequences");
        }
        if req.reasoning_effort.is_some() && !caps.reasoning_effort.is_usable() {
            return refuse("a reasoning effort");
        }
        if req.thinking.is_some() && !caps.thinking.is_usable() {
            return refuse("switching thinking on or off");
        }
        if req.lora.is_some() && !caps.lora.is_usable() {
            return refuse("a LoRA fine-tune");
        }
        if req.raw && !caps.raw.is_usable() {
            return refuse("raw prompts");
        }
        if req.logprobs.is_some() && !caps.logprobs.is_usable() {
            return refuse("log-probabilities");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ErrorKind, ToolChoice, ToolDef};
    use serde_json::json;

    type Case = (ChatRequest, fn(&mut Capabilities), &'static str);

    #[test]
    fn each_feature_is_checked_against_its_flag() {
        let tool = ToolDef::new("t", "", json!({"type":"object"}));
        let base = ChatRequest::new().user("x");
        let cases: Vec<Case> = vec![
            (
                base.clone().tool(tool.clone()),
                |c| c.tools = Support::Unsupported,
                "tools",
            ),
            (
                base.clone()
                    .tool(tool.clone())
                    .tool_choice(ToolChoice::Required),
                |c| c.tool_choice_forced = Support::Unsupported,
                "forced",
            ),
            (
                base.clone().json(),
                |c| c.json = Support::Unsupported,
                "JSON replies",
            ),
            (
                base.clone().response_format(ResponseFormat::JsonSchema {
                    name: "x".into(),
                    schema: json!({"type":"object"}),
                }),
                |c| c.json_schema = Support::Unsupported,
                "schema",
            ),
            (
                base.clone().seed(1),
                |c| c.seed = Support::Unsupported,
                "seed",
            ),
            (
                base.clone().max_tokens(3),
                |c| c.max_tokens = Support::Unsupported,
                "max_tokens",
            ),
            (
                base.clone().stop("x"),
                |c| c.stop = Support::Unsupported,
                "stop",
            ),
            (
                base.clone().reasoning_effort(crate::ReasoningEffort::Low),
                |c| c.reasoning_effort = Support::Unsupported,
                "reasoning effort",
            ),
            (
                base.clone().thinking(false),
                |c| c.thinking = Support::Unsupported,
                "thinking",
            ),
            (
                base.clone().lora("my-adapter"),
                |c| c.lora = Support::Unsupported,
                "LoRA",
            ),
            (base.clone().raw(), |c| c.raw = Support::Unsupported, "raw"),
            (
                base.clone().logprobs(2),
                |c| c.logprobs = Support::Unsupported,
                "log-probabilities",
            ),
        ];
        for (req, disable, needle) in cases {
            let mut caps = ModelCapabilities {
                sync: Capabilities::uniform(Support::Supported),
                stream: Capabilities::uniform(Support::Flaky),
            };
            assert!(caps.check(Mode::Sync, &req).is_ok());
            assert!(caps.check(Mode::Stream, &req).is_ok(), "flaky is usable");
            disable(&mut caps.stream);
            assert!(caps.check(Mode::Sync, &req).is_ok());
            let err = caps.check(Mode::Stream, &req).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Unsupported);
            assert!(err.message().contains(needle), "{}", err.message());
            assert!(err.message().contains("stream mode"));
        }
    }

    #[test]
    fn invalid_requests_fail_before_capabilities() {
        let caps = ModelCapabilities::default();
        let err = caps.check(Mode::Sync, &ChatRequest::new()).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidRequest);
    }
}
