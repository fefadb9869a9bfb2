//! The shared conformance prompts, their constants and the tools they offer.

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::json;

use genai_core::ToolDef;

/// The text prompt (shared contract).
pub const TEXT_PROMPT: &str = "Reply with exactly one word: hello.";
/// The seed used by the seed scenario.
pub const SEED: u64 = 7;
/// The max_tokens prompt.
pub const MAX_TOKENS_PROMPT: &str =
    "Write a detailed, multi-paragraph explanation of how ocean tides work.";
/// The token limit of the max_tokens scenario.
pub const MAX_TOKENS: u32 = 12;
/// The stop-sequence prompt.
pub const STOP_PROMPT: &str = "Count from one to ten in words, separated by spaces.";
/// The stop sequence of the stop scenario.
pub const STOP_SEQUENCE: &str = "five";
/// The free-form JSON prompt.
pub const JSON_PROMPT: &str =
    "Is an apple a fruit? Reply only with a JSON object with one boolean field named is_fruit.";
/// The JSON schema prompt.
pub const JSON_SCHEMA_PROMPT: &str = "Is an apple a fruit? Answer with the field is_fruit.";
/// The tools prompt.
pub const TOOLS_PROMPT: &str =
    "Use the square_root tool to compute the square root of 144. Reply with the result only.";
/// How many alternatives per token the logprobs scenario asks for.
pub const TOP_LOGPROBS: u8 = 2;
/// The reasoning prompt.
pub const REASONING_PROMPT: &str =
    "What is 17 times 3? Think it through, then answer with the number.";

/// The answer of the JSON schema scenario; its schema is the shared contract's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FruitAnswer {
    /// Whether an apple is a fruit.
    pub is_fruit: bool,
}

/// The `square_root` tool of the tools scenarios.
pub fn square_root_tool() -> ToolDef {
    ToolDef::new(
        "square_root",
        "Computes the square root of a number",
        json!({"type":"object","properties":{"number":{"type":"number"}},"required":["number"]}),
    )
}

/// The `pick_color` tool of the tool bias scenario, its enum in the order given.
pub fn pick_color_tool(first: &str, second: &str) -> ToolDef {
    ToolDef::new(
        "pick_color",
        "Records the better colour",
        json!({"type":"object","properties":{"color":{"type":"string","enum":[first, second]}},"required":["color"]}),
    )
}
