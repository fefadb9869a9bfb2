//! Citations: an answer from a provided document that points at it.

use super::probe::{excerpt, probe, Ctx, Probe};
use super::prompts::{CITATIONS_ANSWER, CITATIONS_DOCUMENT, CITATIONS_QUESTION, CITATIONS_TITLE};
use genai_core::{ChatRequest, ChatResponse};

/// Whether `reply` cites the document it was given.
///
/// The chat contract ([`ChatResponse`]) has no citation field yet, so no reply can show one:
/// a backend that returns citations needs that field first. Until then the scenario still
/// sends the document and records, in its note, whether the answer came from it.
fn cites(_reply: &ChatResponse) -> bool {
    false
}

/// citations: the document as one user turn (plain, then with a Markdown title), the
/// question as the next; the reply must cite the document.
pub async fn citations(ctx: Ctx<'_>) -> Probe {
    let mut p = probe();
    let mut answered = Vec::new();
    for document in [
        CITATIONS_DOCUMENT.to_owned(),
        format!("{CITATIONS_TITLE}\n\n{CITATIONS_DOCUMENT}"),
    ] {
        let req = ChatRequest::new().user(document).user(CITATIONS_QUESTION);
        let Some(r) = ctx.send(&mut p, &req).await else {
            return p;
        };
        if !cites(&r) {
            let from_document = if r.text.contains(CITATIONS_ANSWER) {
                "answered from the document"
            } else {
                "did not answer from the document"
            };
            p.fail(format!(
                "no citations; {from_document}: {:?}",
                excerpt(&r.text)
            ));
            return p;
        }
        answered.push(r);
    }
    p.pass(format!("{} answers cite the document", answered.len()));
    p
}
