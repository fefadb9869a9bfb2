//! A fake summariser: the text's first words, within the asked length.

use async_trait::async_trait;
use genai_core::{
    Error, SummarizationCapabilities, SummarizationModel, SummarizeRequest, Summary, Support,
};

/// The length of a summary when none is asked, in words.
const DEFAULT_WORDS: usize = 30;

/// A fake [`SummarizationModel`]: the first sentence of the text, cut to the asked length in
/// words (30 when none is asked) and never longer than half the text.
///
/// ```
/// use genai_core::{SummarizationModel, SummarizeRequest};
/// use genai_testkit::fake::ScriptedSummarizer;
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let model = ScriptedSummarizer::new("fake/summarization");
/// let text = "The harvest was good. The weather was mild. The rivers were full.";
/// let out = model.summarize(&SummarizeRequest::new(text)).await.unwrap();
/// assert_eq!(out.text, "The harvest was good.");
/// # });
/// ```
#[derive(Debug, Clone)]
pub struct ScriptedSummarizer {
    pub(super) model: String,
}

impl ScriptedSummarizer {
    /// A fake summariser called `model`.
    pub fn new(model: impl Into<String>) -> Self {
        ScriptedSummarizer {
            model: model.into(),
        }
    }
}

#[async_trait]
impl SummarizationModel for ScriptedSummarizer {
    fn name(&self) -> &str {
        "fake"
    }

    fn model(&self) -> &str {
        &self.model
    }

    fn capabilities(&self) -> SummarizationCapabilities {
        let mut caps = SummarizationCapabilities::default();
        caps.max_length = Support::Supported;
        caps
    }

    async fn summarize(&self, req: &SummarizeRequest) -> Result<Summary, Error> {
        self.capabilities().check(req)?;
        let first = match req.text.find(". ") {
            Some(at) => &req.text[..=at],
            None => req.text.as_str(),
        };
        let all = req.text.split_whitespace().count();
        let limit = req
            .max_length
            .map_or(DEFAULT_WORDS, |n| n as usize)
            .min(all.div_ceil(2))
            .max(1);
        let text: Vec<&str> = first.split_whitespace().take(limit).collect();
        Ok(Summary::new(text.join(" ")).by(self.model.clone()))
    }
}
