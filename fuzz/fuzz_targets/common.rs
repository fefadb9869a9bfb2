//! What the targets share: one model per wire family and the requests that change how replies
//! are shaped. The first input byte picks both, so the fuzzer explores every family.

use genai_core::{ChatRequest, ToolDef};

/// One model of each wire family.
pub const MODELS: &[&str] = genai_cloudflare::decode::FAMILY_SAMPLES;

/// The model and request that `selector` picks.
pub fn pick(selector: u8) -> (&'static str, ChatRequest) {
    let model = MODELS[usize::from(selector) % MODELS.len()];
    let req = match (selector / 8) % 4 {
        0 => ChatRequest::new().user("Say something."),
        1 => ChatRequest::new().user("Use the tool.").tool(ToolDef::new(
            "square_root",
            "Computes the square root of a number",
            serde_json::json!({"type":"object","properties":{"number":{"type":"number"}},"required":["number"]}),
        )),
        2 => ChatRequest::new().user("Answer in JSON.").json(),
        _ => {
            let mut r = ChatRequest::new().user("Count.");
            r.stop = vec!["five".into()];
            r
        }
    };
    (model, req)
}

/// Splits `body` into pieces whose sizes cycle through `sizes` (each 1..=256).
pub fn pieces<'a>(body: &'a [u8], sizes: &[u8]) -> Vec<&'a [u8]> {
    let mut out = Vec::new();
    let mut rest = body;
    let mut i = 0;
    while !rest.is_empty() {
        let n = sizes
            .get(i % sizes.len().max(1))
            .map_or(rest.len(), |s| usize::from(*s) + 1)
            .min(rest.len());
        let (head, tail) = rest.split_at(n);
        out.push(head);
        rest = tail;
        i += 1;
    }
    out
}
