//! Reasoning: a thought process kept apart from the answer.

use super::probe::{excerpt, probe, words, Ctx, Probe};
use super::prompts::REASONING_PROMPT;
use genai_core::ChatRequest;

/// reasoning: non-empty reasoning apart from an answer containing 51.
pub async fn reasoning(ctx: Ctx<'_>) -> Probe {
    let mut p = probe();
    let mut req = ChatRequest::new().user(REASONING_PROMPT);
    // Some hybrid models think only when switched on (DeepSeek V4): switch it on where the
    // model has the switch.
    if ctx
        .provider
        .capabilities()
        .mode(ctx.mode)
        .thinking
        .is_usable()
    {
        req = req.thinking(true);
    }
    if let Some(r) = ctx.send(&mut p, &req).await {
        if r.reasoning.trim().is_empty() {
            p.fail(format!("no reasoning; answered {:?}", excerpt(&r.text)));
        } else if r.text.contains("<think>") || r.text.contains("</think>") {
            p.fail("reasoning tags left in the answer");
        } else if !r.text.contains("51") {
            p.fail(format!("no \"51\" in the answer {:?}", excerpt(&r.text)));
        } else {
            p.pass(format!(
                "{} words of reasoning, then 51",
                words(&r.reasoning)
            ));
        }
    }
    p
}
