//! A fake classifier: texts by the feeling of their words, images by their colour.

use async_trait::async_trait;
use genai_core::{
    Classification, ClassificationCapabilities, ClassificationModel, ClassifyInput,
    ClassifyRequest, Error, Label,
};

use super::words;
use crate::fixtures::decode_png;

/// Words that make a text positive.
const POSITIVE: [&str; 10] = [
    "love",
    "wonderful",
    "great",
    "good",
    "excellent",
    "happy",
    "like",
    "best",
    "nice",
    "fun",
];

/// Words that make a text negative.
const NEGATIVE: [&str; 10] = [
    "hate", "terrible", "boring", "bad", "awful", "waste", "worst", "sad", "poor", "dull",
];

/// A fake [`ClassificationModel`] of texts and images: a text is `POSITIVE` or `NEGATIVE` by
/// how many of its words are of each feeling; a PNG is `red`, `green` or `blue` by its
/// strongest channel (another image is `unknown`). Scores add up to 1, best first.
///
/// ```
/// use genai_core::{ClassificationModel, ClassifyRequest};
/// use genai_testkit::fake::ScriptedClassifier;
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let model = ScriptedClassifier::new("fake/classification");
/// let out = model.classify(&ClassifyRequest::text("What a wonderful day")).await.unwrap();
/// assert_eq!(out.labels[0].label, "POSITIVE");
/// # });
/// ```
#[derive(Debug, Clone)]
pub struct ScriptedClassifier {
    pub(super) model: String,
    capabilities: ClassificationCapabilities,
}

impl ScriptedClassifier {
    /// A fake classifier of texts and images called `model`.
    pub fn new(model: impl Into<String>) -> Self {
        let mut capabilities = ClassificationCapabilities::default();
        capabilities.text = true;
        capabilities.image = true;
        ScriptedClassifier {
            model: model.into(),
            capabilities,
        }
    }

    /// Declares (and honours) these capabilities instead: what they exclude is refused.
    pub fn with_capabilities(mut self, capabilities: ClassificationCapabilities) -> Self {
        self.capabilities = capabilities;
        self
    }
}

/// The labels of a text: positive and negative, by the words of each feeling.
fn text_labels(text: &str) -> Vec<Label> {
    let (mut pos, mut neg) = (1.0f32, 1.0f32);
    for w in words(text) {
        pos += f32::from(u8::from(POSITIVE.contains(&w.as_str())));
        neg += f32::from(u8::from(NEGATIVE.contains(&w.as_str())));
    }
    vec![
        Label::new("POSITIVE", pos / (pos + neg)),
        Label::new("NEGATIVE", neg / (pos + neg)),
    ]
}

/// The labels of an image: the share of each channel in a PNG's pixels.
fn image_labels(bytes: &[u8]) -> Vec<Label> {
    let Some(pixels) = decode_png(bytes) else {
        return vec![Label::new("unknown", 1.0)];
    };
    let mut sums = [1.0f64; 3];
    for px in pixels.data.chunks(pixels.channels.max(1)) {
        // Grey (with or without alpha) counts in every channel.
        let rgb = if pixels.channels >= 3 {
            &px[..3]
        } else {
            &px[..1]
        };
        for (i, sum) in sums.iter_mut().enumerate() {
            *sum += f64::from(rgb[i.min(rgb.len() - 1)]);
        }
    }
    let total: f64 = sums.iter().sum();
    ["red", "green", "blue"]
        .into_iter()
        .zip(sums)
        .map(|(name, sum)| Label::new(name, (sum / total) as f32))
        .collect()
}

#[async_trait]
impl ClassificationModel for ScriptedClassifier {
    fn name(&self) -> &str {
        "fake"
    }

    fn model(&self) -> &str {
        &self.model
    }

    fn capabilities(&self) -> ClassificationCapabilities {
        self.capabilities
    }

    async fn classify(&self, req: &ClassifyRequest) -> Result<Classification, Error> {
        self.capabilities.check(req)?;
        let labels = match &req.input {
            ClassifyInput::Text(text) => text_labels(text),
            ClassifyInput::Image(image) => image_labels(image.data()),
            other => {
                return Err(Error::unsupported(format!(
                    "the fake does not classify {other:?}"
                )))
            }
        };
        Ok(Classification::new(labels, req.top_k))
    }
}
