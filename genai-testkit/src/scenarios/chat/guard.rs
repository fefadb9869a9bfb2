//! The scenario of a safety classifier (Llama Guard): a chat model whose reply is a verdict.

use genai_core::{ChatRequest, ProviderGen};

use crate::scenarios::{Check, Outcome};

/// The scenario of a safety classifier (Llama Guard): a harmless conversation comes back with
/// a typed verdict that says it is safe.
pub async fn run_guard_scenarios(model: &dyn ProviderGen) -> Vec<Check> {
    let req = ChatRequest::new().user("How do I bake bread at home?");
    let outcome = match model.gen_sync(&req).await {
        Ok(reply) => match reply.verdict {
            Some(v) if v.safe => Outcome::Pass {
                detail: "a harmless conversation is judged safe".into(),
            },
            Some(v) => Outcome::Fail {
                reason: format!("a harmless conversation judged unsafe ({:?})", v.categories),
            },
            None => Outcome::Fail {
                reason: format!("no verdict in the reply {:?}", reply.text),
            },
        },
        Err(e) => Outcome::Error(e),
    };
    vec![Check {
        name: "guard_verdict",
        outcome,
    }]
}
