//! Per-family behaviour of Workers AI models: every quirk is decided here, by family name.
//!
//! The service speaks two wire shapes (native `result.response`, and OpenAI chat completions
//! for newer models) and each model family has its own habits: where tool calls go, whether
//! reasoning is inline `<think>` text, what JSON modes it accepts. The rest of the crate asks
//! [`Family`] instead of testing model ids.

use genai_core::{ArgumentCoercion, Capabilities, Modalities, ModelCapabilities, Support};

use crate::facts::{self, Thinking, Wire};

/// A family of Workers AI models that share wire behaviour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Family {
    /// Llama 3.x: flat tool calls in sync replies; in streams the call arrives as JSON text.
    Llama3,
    /// Llama 4 Scout: OpenAI-style tool calls and streamed deltas; JSON replies as objects.
    Llama4Scout,
    /// Hermes 2 Pro: tool calls as `<tool_call>` text with Python-style quotes.
    Hermes,
    /// DeepSeek R1 distill and QwQ: inline `<think>` reasoning; no tool calls.
    InlineReasoning,
    /// Newer models that speak OpenAI chat completions on `/ai/run` (GLM, Qwen3, Kimi,
    /// GPT-OSS, Nemotron, Granite 4, Gemma 4...).
    OpenAiChat,
    /// Other native text generation models: plain text only.
    Native,
}

/// How a family writes tool calls as text when it does not structure them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TextCalls {
    /// Nothing to recover.
    None,
    /// Llama JSON: `{"type":"function","name":…,"parameters":{…}}`.
    LlamaJson,
    /// Hermes: `<tool_call>{'arguments': {…}, 'name': …}</tool_call>`.
    HermesTags,
    /// The arguments alone as JSON (GPT-OSS leaking a forced call into `content`).
    ArgumentsOnly,
}

/// Ids the facts table does not list that accept `response_format: json_schema` (sync):
/// older Llama 3.1 builds outside today's catalog.
const UNLISTED_JSON_SCHEMA_MODELS: &[&str] = &[
    "@cf/meta/llama-3.1-70b-instruct",
    "@cf/meta/llama-3.1-8b-instruct",
    "@cf/meta/llama-3.1-8b-instruct-fast",
];

/// Whether `model` accepts `response_format: json_schema` in sync mode (every native model
/// refuses it in stream mode with code 5023; others answer 403 code 5025).
fn json_schema_sync(m: &str) -> bool {
    facts::lookup(m).map_or_else(
        || UNLISTED_JSON_SCHEMA_MODELS.contains(&m),
        |f| f.json_schema,
    )
}

/// The chat models of today's catalog (the usual choices first: those that take a JSON
/// schema, then the native ones with reliable tool calls, then the others).
pub(crate) fn named_models() -> impl Iterator<Item = &'static str> {
    let chat = || facts::catalog().filter(|f| f.kind == genai_core::ModelKind::Chat);
    chat()
        .filter(|f| f.json_schema)
        .chain(chat().filter(|f| f.wire == Wire::Native && f.function_calling))
        .chain(chat())
        .map(|f| f.id)
}

/// Id prefixes of models that speak OpenAI chat completions, for ids the facts table does
/// not know (newer models of the same vendors).
const OPENAI_PREFIXES: &[&str] = &[
    "@cf/openai/gpt-oss-",
    "@cf/moonshotai/kimi-",
    "@cf/zai-org/",
    "@cf/qwen/qwen3",
    "@cf/nvidia/nemotron",
    "@cf/ibm-granite/granite-4",
    "@cf/google/gemma-4",
    "@cf/deepseek-ai/deepseek-v4",
];

/// OpenAI-shaped models that show reasoning, for ids the facts table does not know.
const OPENAI_REASONING_PREFIXES: &[&str] = &[
    "@cf/openai/gpt-oss-",
    "@cf/moonshotai/kimi-",
    "@cf/zai-org/",
    "@cf/nvidia/nemotron",
    "@cf/google/gemma-4",
    "@cf/deepseek-ai/deepseek-v4",
];

/// What the wire needs to know about one model beyond its [`Family`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Traits {
    /// The wire family.
    pub(crate) family: Family,
    /// A Llama Guard classifier: the reply is a verdict.
    pub(crate) guard: bool,
    /// GPT-OSS: a reasoning effort goes in the Responses form (`input`, `reasoning.effort`).
    pub(crate) responses_effort: bool,
    /// The Mistral-3 schema: a tool turn must carry a `tool_call_id` of 9 letters or digits.
    pub(crate) tool_call_ids: bool,
    /// The output limit goes in `max_completion_tokens` (`max_tokens` is deprecated there).
    pub(crate) max_completion_tokens: bool,
    /// The `chat_template_kwargs` key that switches thinking (`enable_thinking`, or
    /// `thinking` for Kimi K2.6).
    pub(crate) thinking_key: &'static str,
}

impl Traits {
    /// The traits of `model`.
    pub(crate) fn of(model: &str) -> Traits {
        let m = model.to_ascii_lowercase();
        Traits {
            family: Family::of(&m),
            guard: is_guard(&m),
            responses_effort: m.starts_with("@cf/openai/gpt-oss-"),
            tool_call_ids: m.contains("mistral-small-3"),
            max_completion_tokens: facts::lookup(&m).is_some_and(|f| f.max_completion_tokens),
            thinking_key: facts::lookup(&m)
                .and_then(|f| f.reasoning)
                .and_then(|r| r.thinking_key())
                .unwrap_or("enable_thinking"),
        }
    }

    /// A family's traits when no model id is known.
    pub(crate) fn of_family(family: Family) -> Traits {
        Traits {
            family,
            guard: false,
            responses_effort: false,
            tool_call_ids: false,
            max_completion_tokens: false,
            thinking_key: "enable_thinking",
        }
    }
}

/// Llama Guard classifiers (`llama-guard-3-8b`, `llamaguard-7b-awq`).
fn is_guard(m: &str) -> bool {
    m.contains("llama-guard") || m.contains("llamaguard")
}

/// Llama 3.0 (`llama-3-8b-instruct` and its `-awq` and `@hf/` builds): trained without tool
/// calling, and the catalog does not mark it `function_calling`. Its schema's `tools` field is
/// the template every older native model shares (Llama 2 and base models have it too).
fn is_llama3_0(m: &str) -> bool {
    m.contains("llama-3-8b")
}

/// How the tool calls of every family are bent into the declared schema: every slip forgiven,
/// the coercion `ToolDef::decode_arguments` applies (no Workers AI model constrains its tool
/// arguments to the schema), so a returned call and its decoded value agree.
pub(crate) const ARGUMENT_COERCION: ArgumentCoercion = ArgumentCoercion::LENIENT;

/// Native models have no finish reason; without `max_tokens` many stop at this many tokens.
pub(crate) const NATIVE_DEFAULT_MAX_TOKENS: u64 = 256;

impl Family {
    /// The family of a model id.
    ///
    /// ```
    /// use genai_cloudflare::Family;
    /// assert_eq!(Family::of("@cf/meta/llama-3.3-70b-instruct-fp8-fast"), Family::Llama3);
    /// assert_eq!(Family::of("@cf/deepseek-ai/deepseek-r1-distill-qwen-32b"), Family::InlineReasoning);
    /// assert_eq!(Family::of("@cf/zai-org/glm-4.7-flash"), Family::OpenAiChat);
    /// ```
    pub fn of(model: &str) -> Family {
        let m = model.to_ascii_lowercase();
        let has = |prefixes: &[&str]| prefixes.iter().any(|p| m.starts_with(p));
        let wire = crate::facts::lookup(&m).map(|f| f.wire);
        if wire == Some(Wire::OpenAiChat) || (wire.is_none() && has(OPENAI_PREFIXES)) {
            Family::OpenAiChat
        } else if m.contains("llama-4-scout") {
            Family::Llama4Scout
        } else if m.contains("hermes-2-pro") {
            Family::Hermes
        } else if m.contains("deepseek-r1") || m.contains("qwq") {
            Family::InlineReasoning
        } else if m.contains("llama-3") || m.contains("llama3") {
            Family::Llama3
        } else {
            Family::Native
        }
    }

    /// Whether requests and replies use the OpenAI chat-completions shape.
    pub(crate) fn openai_wire(self) -> bool {
        self == Family::OpenAiChat
    }

    /// Whether `stream: true` really streams for `model`.
    pub(crate) fn streams(self, model: &str) -> bool {
        !facts::lookup(model).is_some_and(|f| f.no_streaming)
    }

    /// Whether the reply text carries inline `<think>` reasoning.
    pub(crate) fn inline_reasoning(self) -> bool {
        self == Family::InlineReasoning
    }

    /// How tool calls written as text are recognised.
    pub(crate) fn text_calls(self) -> TextCalls {
        match self {
            Family::Llama3 | Family::Llama4Scout => TextCalls::LlamaJson,
            Family::Hermes => TextCalls::HermesTags,
            Family::OpenAiChat => TextCalls::ArgumentsOnly,
            Family::InlineReasoning | Family::Native => TextCalls::None,
        }
    }

    /// Whether the service applies stop sequences itself (else the client does).
    pub(crate) fn server_stop(self) -> bool {
        self.openai_wire()
    }

    /// The output limit the service applies when the request sets none, if known.
    pub(crate) fn default_max_tokens(self) -> Option<u64> {
        (!self.openai_wire()).then_some(NATIVE_DEFAULT_MAX_TOKENS)
    }

    /// What `model` (of this family) can do, per mode, from this crate's knowledge alone.
    ///
    /// ```
    /// use genai_cloudflare::Family;
    /// use genai_core::Support;
    /// let caps = Family::Llama3.capabilities("@cf/meta/llama-3.2-3b-instruct");
    /// assert_eq!(caps.sync.json_schema, Support::Unsupported);
    /// assert_eq!(caps.sync.stop, Support::Supported); // applied by the client
    /// ```
    pub fn capabilities(self, model: &str) -> ModelCapabilities {
        use Support::{Flaky, Supported, Unsupported};
        let m = model.to_ascii_lowercase();
        let schema_sync = if json_schema_sync(&m) {
            Supported
        } else {
            Unsupported
        };
        let known = facts::lookup(&m);
        // Native tool calls are reliable only where the catalog marks `function_calling`.
        let reliable_tools = known.is_some_and(|f| f.function_calling);
        let native_tools = if reliable_tools { Supported } else { Flaky };
        let has = |prefixes: &[&str]| prefixes.iter().any(|p| m.starts_with(p));
        let guard = is_guard(&m);
        let reasoning = known.map(|f| f.reasoning);
        let mut base = Capabilities {
            tools: Unsupported,
            tool_choice_forced: Unsupported,
            json: Supported,
            json_schema: schema_sync,
            seed: Supported,
            max_tokens: Supported,
            stop: Supported,
            usage: Supported,
            finish_reason: Supported,
            reasoning: Unsupported,
            reasoning_effort: Unsupported,
            thinking: Unsupported,
            // Only where the schema has the `lora` field: a model merely marked `lora` in the
            // catalog would drop the adapter silently.
            lora: if known.is_some_and(|f| f.lora_field) {
                Supported
            } else {
                Unsupported
            },
            // Every older native schema has `prompt` with `raw`; OpenAI-shaped ones mostly not.
            raw: if self.openai_wire() && !known.is_some_and(|f| f.raw_prompt) {
                Unsupported
            } else {
                Supported
            },
            logprobs: Unsupported,
            input: Modalities::TEXT,
            output: Modalities::TEXT,
        };
        match self {
            Family::Llama3 if is_llama3_0(&m) => {}
            Family::Llama3 => base.tools = native_tools,
            Family::Llama4Scout => {
                base.tools = Supported;
                base.input.image = true;
            }
            Family::Hermes => base.tools = Supported,
            Family::InlineReasoning => base.reasoning = Supported,
            Family::Native => {
                base.json = Flaky;
                if reliable_tools {
                    base.tools = Supported;
                }
            }
            Family::OpenAiChat => {
                base.tools = Supported;
                // `required` is advisory on these models; a named tool is enforced.
                base.tool_choice_forced = Flaky;
                base.json_schema = Supported;
                let reasons = match reasoning {
                    Some(how) => how.is_some(),
                    None => has(OPENAI_REASONING_PREFIXES),
                };
                if reasons {
                    base.reasoning = Supported;
                    base.reasoning_effort = Supported;
                }
                let switch = match reasoning {
                    Some(how) => how.is_some_and(|r| r.thinking != Thinking::None),
                    None => m.starts_with("@cf/zai-org/"),
                };
                if switch {
                    base.thinking = Supported;
                }
                if !known.is_some_and(|f| f.no_logprobs) {
                    base.logprobs = Supported;
                }
            }
        }
        if guard {
            // Llama Guard 3's schema is one object: `messages`, `max_tokens`, `temperature`
            // and `response_format` (json_object) only. Guard 7B has the common schema.
            base.tools = Unsupported;
            base.json_schema = Unsupported;
            if m.contains("llama-guard-3") {
                base.seed = Unsupported;
                base.raw = Unsupported;
                base.lora = Unsupported;
            }
        }
        base.input.image = crate::chat::vision::reads_images(&m);
        if crate::chat::vision::is_describer(&m) {
            base = crate::chat::vision::describer_capabilities(base);
        }
        let mut stream = base;
        if !self.openai_wire() {
            // Every native model refuses JSON schema with stream (403, code 5023).
            stream.json_schema = Unsupported;
        }
        ModelCapabilities { sync: base, stream }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Support::{Flaky, Supported, Unsupported};

    /// The family table: one row per model, the flags that differ between families.
    #[test]
    fn family_table() {
        // (model, family, sync tools, sync json_schema, stream json_schema, reasoning, forced choice)
        let rows = [
            (
                "@cf/meta/llama-3.3-70b-instruct-fp8-fast",
                Family::Llama3,
                Supported,
                Supported,
                Unsupported,
                Unsupported,
                Unsupported,
            ),
            (
                "@cf/meta/llama-3.2-3b-instruct",
                Family::Llama3,
                Flaky,
                Unsupported,
                Unsupported,
                Unsupported,
                Unsupported,
            ),
            (
                "@cf/meta/llama-3.2-1b-instruct",
                Family::Llama3,
                Flaky,
                Unsupported,
                Unsupported,
                Unsupported,
                Unsupported,
            ),
            (
                "@cf/meta/llama-4-scout-17b-16e-instruct",
                Family::Llama4Scout,
                Supported,
                Supported,
                Unsupported,
                Unsupported,
                Unsupported,
            ),
            (
                "@hf/nousresearch/hermes-2-pro-mistral-7b",
                Family::Hermes,
                Supported,
                Supported,
                Unsupported,
                Unsupported,
                Unsupported,
            ),
            (
                "@cf/deepseek-ai/deepseek-r1-distill-qwen-32b",
                Family::InlineReasoning,
                Unsupported,
                Supported,
                Unsupported,
                Supported,
                Unsupported,
            ),
            (
                "@cf/qwen/qwq-32b",
                Family::InlineReasoning,
                Unsupported,
                Unsupported,
                Unsupported,
                Supported,
                Unsupported,
            ),
            (
                "@cf/zai-org/glm-4.7-flash",
                Family::OpenAiChat,
                Supported,
                Supported,
                Supported,
                Supported,
                Flaky,
            ),
            (
                "@cf/openai/gpt-oss-120b",
                Family::OpenAiChat,
                Supported,
                Supported,
                Supported,
                Supported,
                Flaky,
            ),
            (
                "@cf/ibm-granite/granite-4.0-h-micro",
                Family::OpenAiChat,
                Supported,
                Supported,
                Supported,
                Unsupported,
                Flaky,
            ),
            (
                "@cf/mistral/mistral-7b-instruct-v0.1",
                Family::Native,
                Unsupported,
                Unsupported,
                Unsupported,
                Unsupported,
                Unsupported,
            ),
            (
                "@cf/mistralai/mistral-small-3.1-24b-instruct",
                Family::Native,
                Supported,
                Unsupported,
                Unsupported,
                Unsupported,
                Unsupported,
            ),
        ];
        for (model, family, tools, schema_sync, schema_stream, reasoning, forced) in rows {
            assert_eq!(Family::of(model), family, "{model}");
            let caps = family.capabilities(model);
            let got = (
                caps.sync.tools,
                caps.sync.json_schema,
                caps.stream.json_schema,
                caps.sync.reasoning,
                caps.sync.tool_choice_forced,
            );
            assert_eq!(
                got,
                (tools, schema_sync, schema_stream, reasoning, forced),
                "{model}"
            );
            assert_eq!(
                caps.sync.stop, Supported,
                "{model}: stop is always honoured"
            );
            assert_eq!(caps.sync.usage, Supported);
        }
    }

    /// The options of the request, per model, as the schemas declare them.
    #[test]
    fn option_flags_follow_the_schemas() {
        // (model, tools, lora, raw, reasoning_effort, thinking, logprobs)
        let rows = [
            (
                "@cf/meta/llama-3-8b-instruct",
                Unsupported,
                Unsupported,
                Supported,
                Unsupported,
                Unsupported,
                Unsupported,
            ),
            (
                "@cf/meta/llama-3-8b-instruct-awq",
                Unsupported,
                Unsupported,
                Supported,
                Unsupported,
                Unsupported,
                Unsupported,
            ),
            (
                "@hf/meta-llama/meta-llama-3-8b-instruct",
                Unsupported,
                Unsupported,
                Supported,
                Unsupported,
                Unsupported,
                Unsupported,
            ),
            (
                "@cf/meta/llama-3.2-11b-vision-instruct",
                Flaky,
                Supported,
                Supported,
                Unsupported,
                Unsupported,
                Unsupported,
            ),
            (
                "@cf/mistralai/mistral-small-3.1-24b-instruct",
                Supported,
                Unsupported,
                Supported,
                Unsupported,
                Unsupported,
                Unsupported,
            ),
            (
                "@cf/meta/llama-3.2-3b-instruct",
                Flaky,
                Supported,
                Supported,
                Unsupported,
                Unsupported,
                Unsupported,
            ),
            (
                "@cf/google/gemma-3-12b-it",
                Unsupported,
                Unsupported,
                Supported,
                Unsupported,
                Unsupported,
                Unsupported,
            ),
            (
                "@cf/meta/llama-guard-3-8b",
                Unsupported,
                Unsupported,
                Unsupported,
                Unsupported,
                Unsupported,
                Unsupported,
            ),
            (
                "@hf/thebloke/llamaguard-7b-awq",
                Unsupported,
                Unsupported,
                Supported,
                Unsupported,
                Unsupported,
                Unsupported,
            ),
            (
                "@hf/thebloke/deepseek-coder-6.7b-base-awq",
                Unsupported,
                Unsupported,
                Supported,
                Unsupported,
                Unsupported,
                Unsupported,
            ),
            (
                "@cf/zai-org/glm-4.7-flash",
                Supported,
                Unsupported,
                Unsupported,
                Supported,
                Supported,
                Supported,
            ),
            (
                "@cf/qwen/qwen3-30b-a3b-fp8",
                Supported,
                Unsupported,
                Supported,
                Supported,
                Supported,
                Supported,
            ),
            (
                "@cf/openai/gpt-oss-20b",
                Supported,
                Unsupported,
                Supported,
                Supported,
                Unsupported,
                Unsupported,
            ),
        ];
        for (model, tools, lora, raw, effort, thinking, logprobs) in rows {
            let caps = Family::of(model).capabilities(model);
            for c in [caps.sync, caps.stream] {
                assert_eq!(
                    (
                        c.tools,
                        c.lora,
                        c.raw,
                        c.reasoning_effort,
                        c.thinking,
                        c.logprobs
                    ),
                    (tools, lora, raw, effort, thinking, logprobs),
                    "{model}"
                );
            }
        }
        assert!(Traits::of("@cf/meta/llama-guard-3-8b").guard);
        assert!(Traits::of("@cf/zai-org/glm-4.7-flash").max_completion_tokens);
        assert!(!Traits::of("@cf/qwen/qwen3-30b-a3b-fp8").max_completion_tokens);
        assert!(Traits::of("@cf/openai/gpt-oss-120b").responses_effort);
    }

    #[test]
    fn only_some_openai_models_refuse_to_stream() {
        assert!(!Family::OpenAiChat.streams("@cf/openai/gpt-oss-20b"));
        assert!(!Family::OpenAiChat.streams("@cf/moonshotai/kimi-k2.6"));
        assert!(Family::OpenAiChat.streams("@cf/zai-org/glm-4.7-flash"));
        assert!(Family::Llama3.streams("@cf/meta/llama-3.2-1b-instruct"));
    }
}
