//! Classification: texts (`distilbert-sst-2-int8`) and images (`resnet-50`).
//!
//! An image goes as the raw request body with its sniffed media type, never as the JSON
//! array of integers the schema also allows (about four times larger).

use std::sync::Arc;

use genai_core::{
    async_trait, sniff_media_type, Classification, ClassificationCapabilities, ClassificationModel,
    ClassifyInput, ClassifyRequest, Error, Label, Metered, ModelKind, Result,
};
use serde::{Deserialize, Serialize};

use super::{finish_error, run_body, run_json, within_token_limit, Billed, Call};
use crate::errors::PROVIDER;
use crate::metering::token_ceiling;
use crate::transport::{Body, Transport};

/// A Workers AI classification model: text (`@cf/huggingface/distilbert-sst-2-int8`) or
/// image (`@cf/microsoft/resnet-50`).
///
/// ```
/// use genai_cloudflare::CloudflareChat;
/// use genai_core::{ClassificationModel, ClassifyRequest, ErrorKind, Media};
/// let provider = CloudflareChat::builder()
///     .account_id("0123456789abcdef0123456789abcdef")
///     .api_token("my-token")
///     .build_provider()
///     .unwrap();
/// let resnet = provider.classifier("@cf/microsoft/resnet-50").unwrap();
/// assert!(resnet.capabilities().image && !resnet.capabilities().text);
/// let distilbert = provider.classifier("@cf/huggingface/distilbert-sst-2-int8").unwrap();
/// assert!(distilbert.capabilities().text);
/// ```
#[derive(Debug, Clone)]
pub struct CloudflareClassifier {
    transport: Arc<Transport>,
    model: String,
    image: bool,
}

impl CloudflareClassifier {
    pub(crate) fn over(transport: Arc<Transport>, model: String, image: bool) -> Self {
        CloudflareClassifier {
            model,
            image,
            transport,
        }
    }
}

#[derive(Serialize)]
struct TextBody<'a> {
    text: &'a str,
}

#[derive(Deserialize)]
struct WireLabel {
    label: String,
    score: f32,
}

#[async_trait]
impl ClassificationModel for CloudflareClassifier {
    fn name(&self) -> &str {
        PROVIDER
    }

    fn model(&self) -> &str {
        &self.model
    }

    fn capabilities(&self) -> ClassificationCapabilities {
        if self.image {
            ClassificationCapabilities::IMAGE
        } else {
            ClassificationCapabilities::TEXT
        }
    }

    async fn classify(&self, req: &ClassifyRequest) -> Result<Classification> {
        let fail = |e: Error| finish_error(&self.transport, e, "classify");
        if self.transport.check_capabilities {
            self.capabilities().check(req).map_err(fail)?;
        } else {
            req.validate().map_err(fail)?;
        }
        let billed: Billed<Vec<WireLabel>> = match &req.input {
            ClassifyInput::Text(text) => {
                if self.transport.check_capabilities && self.model.contains("distilbert") {
                    within_token_limit(text, 510, &self.model, "the text").map_err(fail)?;
                }
                let worst = Metered::tokens(token_ceiling(text.len(), 1), 0);
                let call = Call::new(
                    "classify",
                    &self.model,
                    ModelKind::TextClassification,
                    worst,
                );
                run_json(&self.transport, call, &TextBody { text }).await?
            }
            ClassifyInput::Image(image) => {
                // The bytes decide the media type, not what the caller stated.
                let media_type = sniff_media_type(image.data())
                    .filter(|t| t.starts_with("image/"))
                    .ok_or_else(|| {
                        fail(Error::invalid_request(format!(
                            "the {} bytes given as an image are not a known image format \
                             (PNG, JPEG, GIF, WebP, BMP, TIFF)",
                            image.len()
                        )))
                    })?;
                let body = Body::raw(image.data().clone(), media_type).map_err(fail)?;
                let worst = Metered::requests(1);
                let call = Call::new(
                    "classify",
                    &self.model,
                    ModelKind::ImageClassification,
                    worst,
                );
                run_body(&self.transport, call, &body).await?
            }
            _ => {
                return Err(fail(Error::unsupported(
                    "this input kind is not supported by Workers AI classification",
                )))
            }
        };
        let rate_limit = billed.rate_limit();
        let (labels, cost) = billed.settle(&self.transport, &self.model, &Metered::requests(1));
        let mut classification =
            classification_of(labels, req.top_k).map_err(|e| fail(e.with_provider(PROVIDER)))?;
        classification.cost = cost;
        classification.rate_limit = rate_limit;
        Ok(classification)
    }
}

/// The labels of a reply, each with a numeric score.
fn classification_of(labels: Vec<WireLabel>, top_k: Option<usize>) -> Result<Classification> {
    let labels = labels
        .into_iter()
        .map(|l| {
            if l.score.is_finite() {
                Ok(Label::new(l.label, l.score))
            } else {
                Err(Error::protocol(format!(
                    "label `{}` has no numeric score",
                    l.label
                )))
            }
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Classification::new(labels, top_k))
}

/// Decodes a classification reply as the client does (for fuzzers and property tests).
pub(crate) fn decode_classification(
    status: u16,
    body: &[u8],
    top_k: Option<usize>,
) -> Result<Classification> {
    crate::transport::decode_envelope::<Vec<WireLabel>>(status, body)
        .and_then(|labels| classification_of(labels, top_k))
}
