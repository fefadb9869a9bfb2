//! A fake text-to-image model: a PNG of the asked size, in the colour the prompt names.

use async_trait::async_trait;
use genai_core::{
    Error, GeneratedImage, ImageCapabilities, ImageModel, ImageRequest, Media, MediaReply, Range,
};

use super::words;
use crate::fixtures::{decode_png, solid_png};

/// Colours the fake paints, by name.
const COLOURS: [(&str, [u8; 3]); 8] = [
    ("red", [200, 30, 30]),
    ("green", [30, 160, 60]),
    ("blue", [30, 70, 200]),
    ("yellow", [230, 200, 40]),
    ("white", [255, 255, 255]),
    ("black", [0, 0, 0]),
    ("orange", [240, 140, 20]),
    ("night", [10, 10, 40]),
];

/// The size of a picture when none is asked.
const DEFAULT_SIZE: u32 = 256;

/// A fake [`ImageModel`]: one PNG of the asked size (256x256 by default; with an input image,
/// that image's size) in the first colour the prompt names (grey otherwise). It takes every
/// option (size 64 to 1024, steps, guidance, seed, a negative prompt, an input image and a
/// mask) and checks them as a real model's capabilities do.
///
/// ```
/// use genai_core::{ImageModel, ImageRequest};
/// use genai_testkit::fake::ScriptedImageModel;
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let model = ScriptedImageModel::new("fake/image");
/// let made = model.generate(&ImageRequest::new("a red fox").size(128, 64)).await.unwrap();
/// let png = made.reply.collect().await.unwrap();
/// assert_eq!(genai_core::image_size(png.data()), Some((128, 64)));
/// # });
/// ```
#[derive(Debug, Clone)]
pub struct ScriptedImageModel {
    pub(super) model: String,
}

impl ScriptedImageModel {
    /// A fake image model called `model`.
    pub fn new(model: impl Into<String>) -> Self {
        ScriptedImageModel {
            model: model.into(),
        }
    }
}

#[async_trait]
impl ImageModel for ScriptedImageModel {
    fn name(&self) -> &str {
        "fake"
    }

    fn model(&self) -> &str {
        &self.model
    }

    fn capabilities(&self) -> ImageCapabilities {
        ImageCapabilities::new(Some(2048))
            .negative_prompt()
            .size(Range::new(64.0, 1024.0), 1)
            .steps(Range::new(1.0, 50.0))
            .guidance(Range::new(0.0, 20.0))
            .seed()
            .image(Some(10 << 20), true)
    }

    async fn generate(&self, req: &ImageRequest) -> Result<GeneratedImage, Error> {
        let warnings = self.capabilities().check(req)?;
        let source = req.image.as_ref().and_then(|i| decode_png(i.data()));
        let (width, height) = match (req.width, req.height, &source) {
            (Some(w), Some(h), _) => (w, h),
            (w, h, Some(p)) => (w.unwrap_or(p.width), h.unwrap_or(p.height)),
            (w, h, None) => (w.unwrap_or(DEFAULT_SIZE), h.unwrap_or(DEFAULT_SIZE)),
        };
        let colour = words(&req.prompt)
            .find_map(|w| COLOURS.iter().find(|(name, _)| *name == w))
            .map_or([128, 128, 128], |(_, rgb)| *rgb);
        let png = Media::with_type("image/png", solid_png(width, height, colour));
        Ok(GeneratedImage::new(MediaReply::from_media(png)).with_warnings(warnings))
    }
}
