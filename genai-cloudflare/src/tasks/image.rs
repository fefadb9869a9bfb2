//! Text to image: FLUX, Lucid Origin, Phoenix, Stable Diffusion (XL base and lightning,
//! DreamShaper, 1.5 img2img and inpainting).
//!
//! The reply is read by its `Content-Type` (a JSON envelope whose `image` is base64, or the raw
//! bytes), never by the model's name; the media type reported comes from the bytes.

use std::sync::Arc;

use genai_core::http::Deadline;
use genai_core::{
    async_trait, decode_base64, Error, GeneratedImage, ImageCapabilities, ImageModel, ImageRequest,
    Media, MediaClass, Metered, ModelKind, Range, Result,
};
use serde_json::{Map, Value};

use super::finish_error;
use crate::errors::PROVIDER;
use crate::transport::{Body, Transport, MAX_INPUT_IMAGE_BYTES};

/// A Workers AI text-to-image model, e.g. `@cf/black-forest-labs/flux-1-schnell`.
///
/// ```no_run
/// use genai_cloudflare::CloudflareChat;
/// use genai_core::{ImageModel, ImageRequest};
/// # async fn run() -> genai_core::Result<()> {
/// let provider = CloudflareChat::builder().build_provider()?;
/// let flux = provider.image_generator("@cf/black-forest-labs/flux-1-schnell")?;
/// let image = flux.generate(&ImageRequest::new("a red fox in the snow").steps(4)).await?;
/// let written = image.reply.save(std::path::Path::new("fox.jpg")).await?;
/// assert_eq!(written.media_type, "image/jpeg");
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct CloudflareImageModel {
    transport: Arc<Transport>,
    model: String,
}

impl CloudflareImageModel {
    pub(crate) fn over(transport: Arc<Transport>, model: String) -> Self {
        CloudflareImageModel { model, transport }
    }
}

/// What each model's input schema takes.
pub(crate) fn image_capabilities(model: &str) -> ImageCapabilities {
    let m = model.to_ascii_lowercase();
    let name = m.rsplit('/').next().unwrap_or(&m);
    if name.starts_with("flux-2-klein") {
        // Multipart form; a fixed number of steps; up to four reference images.
        ImageCapabilities::new(None)
            .size(Range::new(64.0, 2048.0), 16)
            .seed()
            .image(Some(MAX_INPUT_IMAGE_BYTES), false)
    } else if name.starts_with("flux-2-") {
        ImageCapabilities::new(None)
            .size(Range::new(64.0, 2048.0), 16)
            .steps(Range::new(1.0, 50.0))
            .guidance(Range::new(0.0, 20.0))
            .seed()
            .image(Some(MAX_INPUT_IMAGE_BYTES), false)
    } else if name.starts_with("flux-1-schnell") {
        // `additionalProperties: false`: prompt and steps only.
        ImageCapabilities::new(Some(2048)).steps(Range::new(1.0, 8.0))
    } else if name.starts_with("lucid-origin") {
        ImageCapabilities::new(None)
            .size(Range::new(1.0, 2500.0), 1)
            .steps(Range::new(1.0, 40.0))
            .guidance(Range::new(0.0, 10.0))
            .seed()
    } else if name.starts_with("phoenix") {
        ImageCapabilities::new(None)
            .negative_prompt()
            .size(Range::new(1.0, 2048.0), 1)
            .steps(Range::new(1.0, 50.0))
            .guidance(Range::new(2.0, 10.0))
            .seed()
    } else if name.contains("stable-diffusion") || name.contains("dreamshaper") {
        let caps = ImageCapabilities::new(None)
            .negative_prompt()
            .size(Range::new(256.0, 2048.0), 8)
            .steps(Range::new(1.0, 20.0))
            .guidance(Range::new(0.0, f64::MAX))
            .seed()
            .image(Some(MAX_INPUT_IMAGE_BYTES), true);
        if name.ends_with("-img2img") {
            caps.image_required(false)
        } else if name.ends_with("-inpainting") {
            caps.image_required(true)
        } else {
            caps
        }
    } else {
        // A model this crate does not know: everything is sent, the service judges.
        ImageCapabilities::new(None)
            .negative_prompt()
            .size(Range::new(1.0, f64::MAX), 1)
            .steps(Range::new(1.0, f64::MAX))
            .guidance(Range::new(f64::MIN, f64::MAX))
            .seed()
            .image(Some(MAX_INPUT_IMAGE_BYTES), true)
    }
}

/// The JSON body: `steps` for FLUX (its only name for it), `num_steps` elsewhere; the input
/// image as `image_b64` (the schema's compact form), the mask as the int array the schema
/// only allows.
pub(crate) fn image_body(model: &str, req: &ImageRequest) -> Map<String, Value> {
    let flux = model.to_ascii_lowercase().contains("flux-1-schnell");
    let mut body = Map::new();
    body.insert("prompt".into(), req.prompt.clone().into());
    let mut put = |key: &str, value: Option<Value>| {
        if let Some(v) = value {
            body.insert(key.to_owned(), v);
        }
    };
    put(
        "negative_prompt",
        req.negative_prompt.clone().map(Value::from),
    );
    put("width", req.width.map(Value::from));
    put("height", req.height.map(Value::from));
    put(
        if flux { "steps" } else { "num_steps" },
        req.steps.map(Value::from),
    );
    put("guidance", req.guidance.map(Value::from));
    put("seed", req.seed.map(Value::from));
    put("strength", req.strength.map(Value::from));
    put(
        "image_b64",
        req.image.as_ref().map(|i| i.to_base64().into()),
    );
    put(
        "mask",
        req.mask
            .as_ref()
            .map(|m| Value::Array(m.data().iter().map(|b| Value::from(*b)).collect())),
    );
    body
}

#[async_trait]
impl ImageModel for CloudflareImageModel {
    fn name(&self) -> &str {
        PROVIDER
    }

    fn model(&self) -> &str {
        &self.model
    }

    fn capabilities(&self) -> ImageCapabilities {
        image_capabilities(&self.model)
    }

    async fn generate(&self, req: &ImageRequest) -> Result<GeneratedImage> {
        let warnings = if self.transport.check_capabilities {
            self.capabilities()
                .check(req)
                .map_err(|e| self.name_alternatives(e, req))
        } else {
            req.validate().map(|()| Vec::new())
        }
        .map_err(|e| finish_error(&self.transport, e, "image"))?;
        // Sizes not given are taken as the usual 1024x1024 default.
        let used = Metered::image(
            req.width.unwrap_or(1024),
            req.height.unwrap_or(1024),
            req.steps,
        );
        let multipart = crate::facts::lookup(&self.model).is_some_and(|f| f.multipart);
        let call = super::Call::new("image", &self.model, ModelKind::TextToImage, used);
        let billed = super::run_metered(&self.transport, call, async {
            let body = if multipart {
                multipart_body(req)?
            } else {
                let mut body = Value::Object(image_body(&self.model, req));
                if self.transport.metering.reject_if_busy {
                    crate::transport::reject_if_busy(&mut body);
                }
                Body::json(&body)?
            };
            let deadline = Deadline::after(self.transport.options.timeout);
            self.transport
                .run_media(
                    &self.model,
                    &body,
                    deadline,
                    (MediaClass::Image, None),
                    wrapped_image,
                )
                .await
        })
        .await?;
        let (reply, cost) = billed.settle(&self.transport, &self.model, &used);
        Ok(GeneratedImage::new(reply.with_cost(cost)).with_warnings(warnings))
    }
}

/// The multipart form of the FLUX.2 models: one text part per field (`prompt`, `width`,
/// `height`, `steps`, `guidance`, `seed`) and the reference image as the file part
/// `input_image_0`.
pub(crate) fn multipart_body(req: &ImageRequest) -> Result<Body> {
    let mut fields: Vec<(&str, String)> = vec![("prompt", req.prompt.clone())];
    let mut put = |key: &'static str, value: Option<String>| {
        if let Some(v) = value {
            fields.push((key, v));
        }
    };
    put("width", req.width.map(|v| v.to_string()));
    put("height", req.height.map(|v| v.to_string()));
    put("steps", req.steps.map(|v| v.to_string()));
    put("guidance", req.guidance.map(|v| v.to_string()));
    put("seed", req.seed.map(|v| v.to_string()));
    let image = req.image.as_ref();
    let (bytes, content_type) = encode_multipart(&fields, image);
    Body::raw(bytes.into(), &content_type)
}

/// A `multipart/form-data` body and its content type, with a boundary found in none of the
/// parts.
fn encode_multipart(fields: &[(&str, String)], image: Option<&Media>) -> (Vec<u8>, String) {
    let contains = |hay: &[u8], needle: &[u8]| hay.windows(needle.len()).any(|w| w == needle);
    let mut n: u64 = 0x9e37_79b9;
    let boundary = loop {
        let candidate = format!("genai-rs-{n:016x}");
        let b = candidate.as_bytes();
        let clash = fields.iter().any(|(_, v)| contains(v.as_bytes(), b))
            || image.is_some_and(|i| contains(i.data(), b));
        if !clash {
            break candidate;
        }
        n = n.wrapping_mul(0x0100_0000_01b3).wrapping_add(1);
    };
    let mut out = Vec::new();
    for (name, value) in fields {
        out.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    if let Some(image) = image {
        let ext = image.media_type().rsplit('/').next().unwrap_or("bin");
        out.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"input_image_0\"; \
                 filename=\"input_image_0.{ext}\"\r\nContent-Type: {}\r\n\r\n",
                image.media_type()
            )
            .as_bytes(),
        );
        out.extend_from_slice(image.data());
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (out, format!("multipart/form-data; boundary={boundary}"))
}

impl CloudflareImageModel {
    /// A refused option with the known image models that take the request (at most three).
    fn name_alternatives(&self, err: Error, req: &ImageRequest) -> Error {
        if err.kind() != genai_core::ErrorKind::Unsupported {
            return err;
        }
        let able: Vec<String> = self
            .transport
            .hints
            .known_of(genai_core::ModelKind::TextToImage)
            .into_iter()
            .filter(|id| *id != self.model && image_capabilities(id).check(req).is_ok())
            .take(3)
            .map(|id| format!("`{id}`"))
            .collect();
        if able.is_empty() {
            return err;
        }
        err.with_hint(format!("models that do: {}", able.join(", ")))
    }
}

/// The image of a JSON reply `{"image": "<base64>"}`, typed by its bytes.
pub(crate) fn wrapped_image(result: &Value) -> Result<Media> {
    let text = result.get("image").and_then(Value::as_str).ok_or_else(|| {
        Error::protocol("the reply has no `image` string (expected base64 image bytes)")
    })?;
    let bytes = decode_base64(text)?;
    let media = Media::from_bytes(bytes).map_err(|e| {
        Error::protocol(format!(
            "the reply's `image` is not an image: {}",
            e.message()
        ))
    })?;
    if !media.is_image() {
        return Err(Error::protocol(format!(
            "the reply's `image` is {}, not an image",
            media.media_type()
        )));
    }
    Ok(media)
}

#[cfg(test)]
mod tests {
    use super::*;
    use genai_core::ErrorKind;

    #[test]
    fn flux_2_bodies_are_multipart_forms() {
        let req = ImageRequest::new("a \"quoted\" fox").size(512, 256).seed(7);
        let (bytes, content_type) = encode_multipart(
            &[("prompt", req.prompt.clone()), ("width", "512".into())],
            None,
        );
        let boundary = content_type
            .strip_prefix("multipart/form-data; boundary=")
            .unwrap();
        let text = String::from_utf8(bytes).unwrap();
        assert!(text.starts_with(&format!("--{boundary}\r\n")));
        assert!(text.contains("name=\"prompt\"\r\n\r\na \"quoted\" fox\r\n"));
        assert!(text.ends_with(&format!("--{boundary}--\r\n")));
        let body = multipart_body(&req).unwrap();
        let sent = String::from_utf8(body.bytes().unwrap().to_vec()).unwrap();
        for part in [
            "\"width\"\r\n\r\n512",
            "\"height\"\r\n\r\n256",
            "\"seed\"\r\n\r\n7",
        ] {
            assert!(sent.contains(part), "{part}: {sent}");
        }
        assert!(!sent.contains("steps"));
    }

    #[test]
    fn bodies_follow_each_schema() {
        let req = ImageRequest::new("a fox").steps(4);
        let flux = image_body("@cf/black-forest-labs/flux-1-schnell", &req);
        assert_eq!(
            Value::Object(flux),
            serde_json::json!({"prompt":"a fox","steps":4})
        );
        let png = Media::with_type("image/png", vec![1u8, 2, 3]);
        let req = ImageRequest::new("a fox")
            .image(png.clone())
            .mask(png)
            .strength(0.5);
        let sd = image_body("@cf/runwayml/stable-diffusion-v1-5-inpainting", &req);
        assert_eq!(sd["image_b64"], "AQID");
        assert_eq!(sd["mask"], serde_json::json!([1, 2, 3]));
        assert!(!sd.contains_key("image"));
    }

    #[test]
    fn flux_refuses_what_it_does_not_take() {
        let caps = image_capabilities("@cf/black-forest-labs/flux-1-schnell");
        let e = caps
            .check(&ImageRequest::new("x").size(512, 512).seed(3))
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Unsupported);
        assert!(e.message().contains("width, height, seed"), "{e}");
        assert!(caps.check(&ImageRequest::new("x").steps(9)).is_err());
        let sd = image_capabilities("@cf/stabilityai/stable-diffusion-xl-base-1.0");
        assert!(sd.check(&ImageRequest::new("x").size(512, 384)).is_ok());
    }

    #[test]
    fn wrapped_images_are_typed_by_their_bytes() {
        let jpeg = serde_json::json!({"image": "/9j/4AAQ"});
        assert_eq!(wrapped_image(&jpeg).unwrap().media_type(), "image/jpeg");
        let bad = serde_json::json!({"image": "aGVsbG8="});
        assert_eq!(wrapped_image(&bad).unwrap_err().kind(), ErrorKind::Protocol);
        assert!(wrapped_image(&serde_json::json!({})).is_err());
    }
}
