//! The document conversion scenarios: a small web page converted with its text kept, and
//! several files converted in one call, one result each, in order.
//!
//! ```no_run
//! use genai_testkit::scenarios::{run_document_scenarios, Outcome};
//! # async fn run(converter: &dyn genai_core::DocumentConverter) {
//! for check in run_document_scenarios(converter).await {
//!     assert!(matches!(check.outcome, Outcome::Pass { .. }), "{}: {:?}", check.name, check.outcome);
//! }
//! # }
//! ```

use genai_core::{ConvertRequest, Document, DocumentConverter};

use crate::scenarios::check::{fail, pass};
use crate::scenarios::{Check, Outcome};

/// The words the probe page carries.
const PROBE: &str = "genai scoreboard probe";

/// Whether `converter` really converts: one small web page, whose text must come back (the
/// scoreboard's test of a provider's conversion before chat models read documents through it).
pub(crate) async fn page_converts(converter: &dyn DocumentConverter) -> Outcome {
    let page = match Document::from_bytes("probe.html", format!("<h1>Probe</h1><p>{PROBE}</p>")) {
        Ok(page) => page,
        Err(e) => return Outcome::Error(e),
    };
    let texts = match converter.convert(&ConvertRequest::new([page])).await {
        Ok(conversion) => conversion.into_texts(),
        Err(e) => return Outcome::Error(e),
    };
    match texts {
        Ok(texts) if texts.iter().any(|t| t.text.contains(PROBE)) => {
            pass("the page's text came back")
        }
        Ok(texts) => fail(format!(
            "the page's text is missing from {:?}",
            texts.iter().map(|t| t.text.as_str()).collect::<Vec<_>>()
        )),
        Err(e) => Outcome::Error(e),
    }
}

/// Document conversion scenarios: `document-page` (a web page's text comes back) and
/// `document-files` (two files in one call give two results, in order, under their names).
pub async fn run_document_scenarios(converter: &dyn DocumentConverter) -> Vec<Check> {
    let mut checks = vec![Check::new("document-page", page_converts(converter).await)];
    let files = [
        ("first.html", "<p>The first file.</p>"),
        ("second.txt", "The second file."),
    ];
    let docs: Result<Vec<Document>, _> = files
        .iter()
        .map(|(name, text)| Document::from_bytes(*name, *text))
        .collect();
    let outcome = match docs {
        Err(e) => Outcome::Error(e),
        Ok(docs) => match converter.convert(&ConvertRequest::new(docs)).await {
            Err(e) => Outcome::Error(e),
            Ok(out) => {
                let names: Vec<&str> = out.files.iter().map(|f| f.name.as_str()).collect();
                let failed = out.failures();
                if names != ["first.html", "second.txt"] {
                    fail(format!("results for {names:?}"))
                } else if failed > 0 {
                    fail(format!("{failed} of the 2 files failed"))
                } else {
                    pass("2 files, 2 results in order")
                }
            }
        },
    };
    checks.push(Check::new("document-files", outcome));
    checks
}
