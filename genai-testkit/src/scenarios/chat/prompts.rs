//! The shared conformance prompts, their constants and the tools they offer.
//!
//! The requests have the shape of the reference scoreboard's smoke runs (the same options,
//! tools, schema field and message layout; the prompts are worded here), so a recording of
//! those runs can be replayed scenario by scenario: see [`Scenario::cases`].
//!
//! [`Scenario::cases`]: crate::scoreboard::Scenario::cases

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::json;

use genai_core::ToolDef;

/// The text prompt (shared contract).
pub const TEXT_PROMPT: &str = "Reply with exactly one word: hello.";
/// The seed used by the seed scenario.
pub const SEED: u64 = 42;
/// The max_tokens prompt.
pub const MAX_TOKENS_PROMPT: &str =
    "Write a detailed, multi-paragraph explanation of how ocean tides work.";
/// The token limit of the max_tokens scenario.
pub const MAX_TOKENS: u32 = 16;
/// The stop-sequence prompt.
pub const STOP_PROMPT: &str = "Count from one to ten in words, separated by spaces.";
/// The stop sequence of the stop scenario.
pub const STOP_SEQUENCE: &str = "five";
/// The free-form JSON prompt.
pub const JSON_PROMPT: &str =
    "Is an apple a fruit? Reply only with a JSON object with one boolean field named is_fruit.";
/// The JSON schema prompt.
pub const JSON_SCHEMA_PROMPT: &str = "Is an apple a fruit? Answer with the field is_fruit.";
/// The number the tools scenarios ask the square root of.
pub const SQUARE_ROOT_OF: u64 = 132_413;
/// The tool's result given back in the tool result scenario: the square root, rounded.
pub const SQUARE_ROOT_RESULT: &str = "363.89";
/// The tools prompt.
pub const TOOLS_PROMPT: &str =
    "Use the square_root tool to compute the square root of 132413. Reply with the result only.";
/// The document of the citations scenario (its markdown variant adds a title).
pub const CITATIONS_DOCUMENT: &str =
    "Zorbland is a small island nation. Its capital is Pellow, a port town on the east coast.";
/// The title the markdown variant of the citations document starts with.
pub const CITATIONS_TITLE: &str = "# Zorbland";
/// The question of the citations scenario, answered by the document.
pub const CITATIONS_QUESTION: &str = "Which town is the capital of Zorbland?";
/// The answer the citations document gives.
pub const CITATIONS_ANSWER: &str = "Pellow";
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

/// The `best_country` tool of the tool bias scenario, its enum in the order given.
pub fn best_country_tool(first: &str, second: &str) -> ToolDef {
    ToolDef::new(
        "best_country",
        "Records which country is the better one",
        json!({"type":"object","properties":{"country":{"type":"string","enum":[first, second]}},"required":["country"]}),
    )
}
