//! Log-probabilities of the generated tokens.

use super::probe::{excerpt, probe, Ctx, Probe};
use super::prompts::{TEXT_PROMPT, TOP_LOGPROBS};
use genai_core::ChatRequest;

/// A log-probability: a number of at most 0.
fn is_logprob(x: f64) -> bool {
    x.is_finite() && x <= 0.0
}

/// logprobs: the text prompt with [`TOP_LOGPROBS`] alternatives per token; the reply carries
/// one entry per generated token whose tokens spell the answer, each with a log-probability
/// of at most 0 and at most that many alternatives (the most likely first).
pub async fn logprobs(ctx: Ctx<'_>) -> Probe {
    let mut p = probe();
    let req = ChatRequest::new().user(TEXT_PROMPT).logprobs(TOP_LOGPROBS);
    if let Some(r) = ctx.send(&mut p, &req).await {
        let spelled: String = r.logprobs.iter().map(|t| t.token.as_str()).collect();
        let bad_value = r
            .logprobs
            .iter()
            .any(|t| !is_logprob(t.logprob) || t.top.iter().any(|a| !is_logprob(a.logprob)));
        let too_many = r
            .logprobs
            .iter()
            .any(|t| t.top.len() > usize::from(TOP_LOGPROBS));
        let unordered = r
            .logprobs
            .iter()
            .any(|t| t.top.windows(2).any(|w| w[0].logprob < w[1].logprob));
        if r.logprobs.is_empty() {
            p.fail(format!(
                "no log-probabilities; answered {:?}",
                excerpt(&r.text)
            ));
        } else if spelled.trim() != r.text.trim() {
            p.fail(format!(
                "the tokens spell {:?}, the answer is {:?}",
                excerpt(&spelled),
                excerpt(&r.text)
            ));
        } else if bad_value {
            p.fail("a log-probability above 0 or not a number");
        } else if too_many {
            p.fail(format!("more than {TOP_LOGPROBS} alternatives for a token"));
        } else if unordered {
            p.fail("alternatives not ordered most likely first");
        } else if r.logprobs.iter().all(|t| t.top.is_empty()) {
            p.fail("no alternatives for any token");
        } else {
            p.pass(format!(
                "{} tokens with log-probabilities",
                r.logprobs.len()
            ));
        }
    }
    p
}
