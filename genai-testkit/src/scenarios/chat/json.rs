//! JSON replies: free-form JSON mode and a JSON schema.

use super::probe::{excerpt, probe, Ctx, Probe};
use super::prompts::{FruitAnswer, JSON_PROMPT, JSON_SCHEMA_PROMPT};
use genai_core::{ChatRequest, ResponseFormat};
use serde_json::Value;

/// json: the reply decodes as a JSON object with a boolean `is_fruit`.
pub async fn json_mode(ctx: Ctx<'_>) -> Probe {
    let mut p = probe();
    let req = ChatRequest::new().user(JSON_PROMPT).json();
    if let Some(r) = ctx.send(&mut p, &req).await {
        match r.decode_json::<Value>() {
            Ok(v) if v.get("is_fruit").is_some_and(Value::is_boolean) => {
                p.pass(format!("decoded {v}"))
            }
            Ok(v) => p.fail(format!(
                "JSON without a boolean is_fruit: {}",
                excerpt(&v.to_string())
            )),
            Err(e) => p.fail(e.message().to_string()),
        }
    }
    p
}

/// json_schema: the reply decodes into [`FruitAnswer`] (schema from `json_schema_for`).
pub async fn json_schema(ctx: Ctx<'_>) -> Probe {
    let mut p = probe();
    let req = ChatRequest::new()
        .user(JSON_SCHEMA_PROMPT)
        .response_format(ResponseFormat::json_schema_for::<FruitAnswer>());
    if let Some(r) = ctx.send(&mut p, &req).await {
        match r.decode_json::<FruitAnswer>() {
            Ok(a) => p.pass(format!("decoded is_fruit = {}", a.is_fruit)),
            Err(e) => p.fail(e.message().to_string()),
        }
    }
    p
}
