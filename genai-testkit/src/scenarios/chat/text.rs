//! The text basics: a plain answer, a seed, a token limit and a stop sequence.

use super::probe::{excerpt, probe, words, Ctx, Probe};
use super::prompts::{
    MAX_TOKENS, MAX_TOKENS_PROMPT, SEED, STOP_PROMPT, STOP_SEQUENCE, TEXT_PROMPT,
};
use genai_core::{ChatRequest, FinishReason};

/// text: a one-word answer containing "hello".
pub async fn text(ctx: Ctx<'_>) -> Probe {
    let mut p = probe();
    let req = ChatRequest::new().user(TEXT_PROMPT);
    if let Some(r) = ctx.send(&mut p, &req).await {
        if r.text.to_lowercase().contains("hello") {
            p.pass(format!("answered {:?}", excerpt(&r.text)));
        } else if r.text.trim().is_empty() && !r.reasoning.trim().is_empty() {
            p.fail(format!(
                "no answer after {} words of reasoning (finish {:?})",
                words(&r.reasoning),
                r.finish_reason
            ));
        } else {
            p.fail(format!("no \"hello\" in {:?}", excerpt(&r.text)));
        }
    }
    p
}

/// seed: the same request with seed [`SEED`], twice, gives the same non-empty answer.
pub async fn seed(ctx: Ctx<'_>) -> Probe {
    let mut p = probe();
    let req = ChatRequest::new().user(TEXT_PROMPT).seed(SEED);
    let Some(a) = ctx.send(&mut p, &req).await else {
        return p;
    };
    let Some(b) = ctx.send(&mut p, &req).await else {
        return p;
    };
    if a.text.is_empty() {
        p.fail("empty answer");
    } else if a.text == b.text {
        p.pass("same answer twice");
    } else {
        p.fail(format!(
            "answers differ: {:?} then {:?}",
            excerpt(&a.text),
            excerpt(&b.text)
        ));
    }
    p
}

/// max_tokens: at most [`MAX_TOKENS`] words (and output tokens, when reported), finish
/// `length`. For a model that reasons, its reasoning counts: a reply cut inside the reasoning
/// still shows the limit at work.
pub async fn max_tokens(ctx: Ctx<'_>) -> Probe {
    let mut p = probe();
    let req = ChatRequest::new()
        .user(MAX_TOKENS_PROMPT)
        .max_tokens(MAX_TOKENS);
    if let Some(r) = ctx.send(&mut p, &req).await {
        let n = words(&r.text) + words(&r.reasoning);
        let limit = u64::from(MAX_TOKENS);
        if r.text.trim().is_empty() && r.reasoning.trim().is_empty() {
            p.fail("empty answer");
        } else if n as u64 > limit {
            p.fail(format!("{n} words for a limit of {MAX_TOKENS}"));
        } else if r.usage.output_tokens.is_some_and(|t| t > limit) {
            p.fail(format!(
                "{} output tokens reported for a limit of {MAX_TOKENS}",
                r.usage.output_tokens.unwrap_or_default()
            ));
        } else if r.finish_reason != FinishReason::Length {
            p.fail(format!(
                "finish reason {:?} instead of length",
                r.finish_reason
            ));
        } else {
            p.pass(format!("{n} words, finish length"));
        }
    }
    p
}

/// stop: the count stops before "five", finish `stop_sequence`.
pub async fn stop(ctx: Ctx<'_>) -> Probe {
    let mut p = probe();
    let req = ChatRequest::new().user(STOP_PROMPT).stop(STOP_SEQUENCE);
    if let Some(r) = ctx.send(&mut p, &req).await {
        let t = r.text.to_lowercase();
        if !t.contains("four") {
            p.fail(format!("no \"four\" in {:?}", excerpt(&r.text)));
        } else if t.contains("five") || t.contains("six") {
            p.fail(format!("not stopped: {:?}", excerpt(&r.text)));
        } else if r.finish_reason != FinishReason::StopSequence {
            p.fail(format!(
                "finish reason {:?} instead of stop_sequence",
                r.finish_reason
            ));
        } else {
            p.pass("stopped before the sequence, finish stop_sequence");
        }
    }
    p
}
