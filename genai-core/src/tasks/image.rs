//! Text to image: a prompt (and for some models an input image and a mask) to a picture.

use std::fmt::Debug;

use async_trait::async_trait;

use crate::error::{Error, Result};
use crate::media::Media;
use crate::media_reply::MediaReply;

/// What to draw.
///
/// Every option is `None` by default, leaving the model's default; a model that does not take
/// an option refuses it through [`ImageCapabilities::check`] rather than dropping it.
///
/// ```
/// use genai_core::ImageRequest;
/// let req = ImageRequest::new("a red fox in the snow").size(512, 384).steps(4).seed(7);
/// assert_eq!((req.width, req.height), (Some(512), Some(384)));
/// assert!(req.validate().is_ok());
/// assert!(ImageRequest::new(" ").validate().is_err());
/// assert!(ImageRequest::new("x").strength(1.5).validate().is_err());
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct ImageRequest {
    /// What the image shows.
    pub prompt: String,
    /// What it must not show.
    pub negative_prompt: Option<String>,
    /// Width in pixels.
    pub width: Option<u32>,
    /// Height in pixels.
    pub height: Option<u32>,
    /// Diffusion steps.
    pub steps: Option<u32>,
    /// How closely to follow the prompt.
    pub guidance: Option<f64>,
    /// Random seed, for a reproducible image.
    pub seed: Option<u64>,
    /// How far to move away from the input image (0 = keep it, 1 = ignore it).
    pub strength: Option<f64>,
    /// An input image (image to image, inpainting).
    pub image: Option<Media>,
    /// The inpainting mask: white where to paint, the same size as `image`.
    pub mask: Option<Media>,
}

impl ImageRequest {
    /// An image of `prompt`.
    pub fn new(prompt: impl Into<String>) -> Self {
        ImageRequest {
            prompt: prompt.into(),
            ..ImageRequest::default()
        }
    }

    /// Sets what the image must not show.
    pub fn negative_prompt(mut self, text: impl Into<String>) -> Self {
        self.negative_prompt = Some(text.into());
        self
    }

    /// Sets the size in pixels.
    pub fn size(mut self, width: u32, height: u32) -> Self {
        self.width = Some(width);
        self.height = Some(height);
        self
    }

    /// Sets the number of diffusion steps.
    pub fn steps(mut self, steps: u32) -> Self {
        self.steps = Some(steps);
        self
    }

    /// Sets the guidance scale.
    pub fn guidance(mut self, guidance: f64) -> Self {
        self.guidance = Some(guidance);
        self
    }

    /// Sets the seed.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self
    }

    /// Sets the strength of an image-to-image transformation.
    pub fn strength(mut self, strength: f64) -> Self {
        self.strength = Some(strength);
        self
    }

    /// Sets the input image.
    pub fn image(mut self, image: Media) -> Self {
        self.image = Some(image);
        self
    }

    /// Sets the inpainting mask.
    pub fn mask(mut self, mask: Media) -> Self {
        self.mask = Some(mask);
        self
    }

    /// Refuses what no model could serve: a blank prompt, a zero size or step count, a
    /// strength outside 0..=1, a guidance that is not a finite number, an input that is not
    /// an image, a mask without an image, and a mask whose size differs from the image's
    /// (read from the PNG or JPEG headers).
    pub fn validate(&self) -> Result<()> {
        super::non_blank(&self.prompt, "the prompt")?;
        if self
            .negative_prompt
            .as_deref()
            .is_some_and(|n| n.trim().is_empty())
        {
            return Err(Error::invalid_request("the negative prompt is empty"));
        }
        for (value, what) in [
            (self.width, "the width"),
            (self.height, "the height"),
            (self.steps, "the number of steps"),
        ] {
            if value == Some(0) {
                return Err(Error::invalid_request(format!("{what} must be at least 1")));
            }
        }
        if let Some(s) = self.strength {
            if !(0.0..=1.0).contains(&s) {
                return Err(Error::invalid_request(format!(
                    "the strength must be between 0 and 1, got {s}"
                )));
            }
        }
        if self.guidance.is_some_and(|g| !g.is_finite()) {
            return Err(Error::invalid_request(
                "the guidance must be a finite number",
            ));
        }
        for (media, what) in [(&self.image, "input image"), (&self.mask, "mask")] {
            if let Some(m) = media {
                if m.is_empty() {
                    return Err(Error::invalid_request(format!("the {what} is empty")));
                }
                if !m.is_image() {
                    return Err(Error::invalid_request(format!(
                        "the {what} is {}, not an image",
                        m.media_type()
                    )));
                }
            }
        }
        match (&self.image, &self.mask) {
            (None, Some(_)) => Err(Error::invalid_request(
                "a mask needs an input image to paint into",
            )),
            (Some(image), Some(mask)) => {
                let (Some(i), Some(m)) = (image_size(image.data()), image_size(mask.data())) else {
                    return Err(Error::invalid_request(
                        "the sizes of the input image and the mask cannot be read (PNG, JPEG, \
                         GIF, WebP and BMP headers are read)",
                    ));
                };
                if i != m {
                    return Err(Error::invalid_request(format!(
                        "the mask is {}x{} but the input image is {}x{}: they must be the same size",
                        m.0, m.1, i.0, i.1
                    )));
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// The names of the options set, in the order of the fields (for messages).
    fn options_set(&self) -> Vec<&'static str> {
        let mut set = Vec::new();
        let flags = [
            (self.negative_prompt.is_some(), "negative_prompt"),
            (self.width.is_some(), "width"),
            (self.height.is_some(), "height"),
            (self.steps.is_some(), "steps"),
            (self.guidance.is_some(), "guidance"),
            (self.seed.is_some(), "seed"),
            (self.strength.is_some(), "strength"),
            (self.image.is_some(), "image"),
            (self.mask.is_some(), "mask"),
        ];
        for (on, name) in flags {
            if on {
                set.push(name);
            }
        }
        set
    }
}

/// The width and height of a PNG, JPEG, GIF, WebP or BMP image, read from its header.
///
/// ```
/// let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
/// png.extend_from_slice(&[0, 0, 2, 0, 0, 0, 1, 128]);
/// assert_eq!(genai_core::image_size(&png), Some((512, 384)));
/// assert_eq!(genai_core::image_size(b"not an image"), None);
/// ```
pub fn image_size(b: &[u8]) -> Option<(u32, u32)> {
    let be32 =
        |i: usize| -> Option<u32> { Some(u32::from_be_bytes(b.get(i..i + 4)?.try_into().ok()?)) };
    let be16 = |i: usize| -> Option<u32> {
        Some(u32::from(u16::from_be_bytes(
            b.get(i..i + 2)?.try_into().ok()?,
        )))
    };
    let le16 = |i: usize| -> Option<u32> {
        Some(u32::from(u16::from_le_bytes(
            b.get(i..i + 2)?.try_into().ok()?,
        )))
    };
    let le32 =
        |i: usize| -> Option<u32> { Some(u32::from_le_bytes(b.get(i..i + 4)?.try_into().ok()?)) };
    if b.starts_with(b"\x89PNG\r\n\x1a\n") && b.get(12..16) == Some(b"IHDR") {
        return Some((be32(16)?, be32(20)?));
    }
    if b.starts_with(b"GIF87a") || b.starts_with(b"GIF89a") {
        return Some((le16(6)?, le16(8)?));
    }
    if b.starts_with(b"BM") {
        let h = le32(22)? as i32;
        return Some((le32(18)?, h.unsigned_abs()));
    }
    if b.starts_with(b"RIFF") && b.get(8..12) == Some(b"WEBP") {
        return match b.get(12..16)? {
            b"VP8 " => Some((le16(26)? & 0x3fff, le16(28)? & 0x3fff)),
            b"VP8L" => {
                let bits = le32(21)?;
                Some(((bits & 0x3fff) + 1, ((bits >> 14) & 0x3fff) + 1))
            }
            b"VP8X" => {
                let w = le32(24)? & 0xff_ffff;
                let h = le32(27)? & 0xff_ffff;
                Some((w + 1, h + 1))
            }
            _ => None,
        };
    }
    if b.starts_with(b"\xff\xd8") {
        let mut i = 2;
        while i + 4 <= b.len() {
            if b[i] != 0xff {
                return None;
            }
            let marker = b[i + 1];
            if marker == 0xff {
                i += 1;
                continue;
            }
            if marker == 0xd8 || (0xd0..=0xd7).contains(&marker) || marker == 0x01 {
                i += 2;
                continue;
            }
            let len = be16(i + 2)? as usize;
            let sof = matches!(marker, 0xc0..=0xcf) && !matches!(marker, 0xc4 | 0xc8 | 0xcc);
            if sof {
                let h = be16(i + 5)?;
                let w = be16(i + 7)?;
                return Some((w, h));
            }
            if marker == 0xda || len < 2 {
                return None;
            }
            i += 2 + len;
        }
    }
    None
}

/// How a model reads one numeric option: whether it takes it, and its bounds.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
#[non_exhaustive]
pub struct Range {
    /// The smallest accepted value.
    pub min: f64,
    /// The largest accepted value.
    pub max: f64,
}

impl Range {
    /// Values from `min` to `max`, both included.
    pub const fn new(min: f64, max: f64) -> Range {
        Range { min, max }
    }

    fn check(self, value: f64, what: &str) -> Result<()> {
        if value < self.min || value > self.max {
            return Err(Error::invalid_request(format!(
                "{what} must be between {} and {} for this model, got {value}",
                self.min, self.max
            )));
        }
        Ok(())
    }
}

/// What a text-to-image model takes: which options, in which ranges. `None` = not taken.
///
/// ```
/// use genai_core::{ErrorKind, ImageCapabilities, ImageRequest, Range};
/// let flux = ImageCapabilities::new(Some(2048)).steps(Range::new(1.0, 8.0));
/// assert!(flux.check(&ImageRequest::new("a fox").steps(4)).is_ok());
/// let e = flux.check(&ImageRequest::new("a fox").size(512, 512)).unwrap_err();
/// assert_eq!(e.kind(), ErrorKind::Unsupported);
/// assert!(e.message().contains("width"));
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq)]
#[non_exhaustive]
pub struct ImageCapabilities {
    /// The longest prompt, in characters, when the model has a limit.
    pub max_prompt_chars: Option<usize>,
    /// A negative prompt.
    pub negative_prompt: bool,
    /// Width and height, in this range of pixels.
    pub size: Option<Range>,
    /// The size is rounded down to a multiple of this (8 for Stable Diffusion).
    pub size_multiple: Option<u32>,
    /// Diffusion steps, in this range.
    pub steps: Option<Range>,
    /// Guidance, in this range.
    pub guidance: Option<Range>,
    /// A seed.
    pub seed: bool,
    /// An input image (and a strength).
    pub image: bool,
    /// An inpainting mask.
    pub mask: bool,
    /// The largest input image or mask, in bytes, when known.
    pub max_image_bytes: Option<usize>,
    /// An input image is required (an image-to-image model).
    pub image_required: bool,
    /// A mask is required (an inpainting model).
    pub mask_required: bool,
}

impl ImageCapabilities {
    /// A model that takes a prompt (of at most `max_prompt_chars` characters) and nothing
    /// else yet; the builder methods add what it takes.
    pub fn new(max_prompt_chars: Option<usize>) -> Self {
        ImageCapabilities {
            max_prompt_chars,
            ..ImageCapabilities::default()
        }
    }

    /// Takes a negative prompt.
    pub fn negative_prompt(mut self) -> Self {
        self.negative_prompt = true;
        self
    }

    /// Takes a width and a height in `range`, rounded down to a multiple of `multiple`
    /// (1 = not rounded).
    pub fn size(mut self, range: Range, multiple: u32) -> Self {
        self.size = Some(range);
        self.size_multiple = (multiple > 1).then_some(multiple);
        self
    }

    /// Takes a step count in `range`.
    pub fn steps(mut self, range: Range) -> Self {
        self.steps = Some(range);
        self
    }

    /// Takes a guidance in `range`.
    pub fn guidance(mut self, range: Range) -> Self {
        self.guidance = Some(range);
        self
    }

    /// Takes a seed.
    pub fn seed(mut self) -> Self {
        self.seed = true;
        self
    }

    /// Takes an input image (and a strength) of at most `max_bytes`, and a mask when `mask`.
    pub fn image(mut self, max_bytes: Option<usize>, mask: bool) -> Self {
        self.image = true;
        self.mask = mask;
        self.max_image_bytes = max_bytes;
        self
    }

    /// Requires an input image, and a mask when `mask` (image-to-image and inpainting models).
    pub fn image_required(mut self, mask: bool) -> Self {
        self.image_required = true;
        self.mask_required = mask;
        self
    }

    /// Validates `req`, refuses with [`Unsupported`](crate::ErrorKind::Unsupported) every
    /// option the model does not take (naming them all), and with
    /// [`InvalidRequest`](crate::ErrorKind::InvalidRequest) values outside its ranges, before
    /// any request. Returns warnings about what the model will change (a size it rounds).
    pub fn check(&self, req: &ImageRequest) -> Result<Vec<String>> {
        req.validate()?;
        let refused: Vec<&str> = req
            .options_set()
            .into_iter()
            .filter(|name| !self.takes(name))
            .collect();
        if !refused.is_empty() {
            let takes: Vec<&str> = [
                "negative_prompt",
                "width",
                "height",
                "steps",
                "guidance",
                "seed",
                "strength",
                "image",
                "mask",
            ]
            .into_iter()
            .filter(|n| self.takes(n))
            .collect();
            let takes = if takes.is_empty() {
                "the prompt only".to_owned()
            } else {
                format!("the prompt and {}", takes.join(", "))
            };
            return Err(Error::unsupported(format!(
                "this model does not take {} (it takes {takes})",
                refused.join(", ")
            )));
        }
        if self.image_required && req.image.is_none() {
            return Err(Error::invalid_request(
                "this model transforms an input image: give one",
            ));
        }
        if self.mask_required && req.mask.is_none() {
            return Err(Error::invalid_request(
                "this model paints into the white part of a mask: give one, the size of the image",
            ));
        }
        if let Some(max) = self.max_prompt_chars {
            let n = req.prompt.chars().count();
            if n > max {
                return Err(Error::invalid_request(format!(
                    "the prompt is {n} characters; this model takes at most {max}"
                )));
            }
        }
        let mut warnings = Vec::new();
        if let Some(range) = self.size {
            for (value, what) in [(req.width, "the width"), (req.height, "the height")] {
                if let Some(v) = value {
                    range.check(f64::from(v), what)?;
                    if let Some(k) = self.size_multiple.filter(|k| v % k != 0) {
                        warnings.push(format!(
                            "{what} {v} is not a multiple of {k}: the model makes it {}",
                            v - v % k
                        ));
                    }
                }
            }
        }
        if let (Some(range), Some(v)) = (self.steps, req.steps) {
            range.check(f64::from(v), "the number of steps")?;
        }
        if let (Some(range), Some(v)) = (self.guidance, req.guidance) {
            range.check(v, "the guidance")?;
        }
        if let Some(max) = self.max_image_bytes {
            for (m, what) in [(&req.image, "input image"), (&req.mask, "mask")] {
                if let Some(m) = m.as_ref().filter(|m| m.len() > max) {
                    return Err(Error::invalid_request(format!(
                        "the {what} is {} bytes; this model takes at most {max}",
                        m.len()
                    )));
                }
            }
        }
        Ok(warnings)
    }

    fn takes(&self, option: &str) -> bool {
        match option {
            "negative_prompt" => self.negative_prompt,
            "width" | "height" => self.size.is_some(),
            "steps" => self.steps.is_some(),
            "guidance" => self.guidance.is_some(),
            "seed" => self.seed,
            "strength" | "image" => self.image,
            "mask" => self.mask,
            _ => false,
        }
    }
}

/// An image as the service made it, not yet read, and what the caller should know about it.
///
/// [`MediaReply::save`] streams it to a file (nothing left behind on failure);
/// [`MediaReply::collect`] gathers it into a [`Media`].
#[derive(Debug)]
#[non_exhaustive]
pub struct GeneratedImage {
    /// The image bytes, as they arrive (their type read from the bytes).
    pub reply: MediaReply,
    /// What the model changed or ignored in the request (e.g. a size it rounded).
    pub warnings: Vec<String>,
}

impl GeneratedImage {
    /// An image with no warnings.
    pub fn new(reply: MediaReply) -> Self {
        GeneratedImage {
            reply,
            warnings: Vec::new(),
        }
    }

    /// Adds warnings.
    pub fn with_warnings(mut self, warnings: Vec<String>) -> Self {
        self.warnings.extend(warnings);
        self
    }
}

/// A model that makes an image from a prompt (and maybe an input image and a mask).
///
/// ```
/// use std::path::Path;
/// use std::sync::Arc;
/// use genai_core::{ImageModel, ImageRequest};
///
/// async fn draw(model: Arc<dyn ImageModel>) -> genai_core::Result<()> {
///     let image = model.generate(&ImageRequest::new("a lighthouse at dusk")).await?;
///     for w in &image.warnings {
///         eprintln!("warning: {w}");
///     }
///     let written = image.reply.save(Path::new("lighthouse.img")).await?;
///     println!("{} bytes of {}", written.bytes, written.media_type);
///     Ok(())
/// }
/// ```
#[async_trait]
pub trait ImageModel: Send + Sync + Debug {
    /// The provider's name.
    fn name(&self) -> &str;

    /// The configured model id.
    fn model(&self) -> &str;

    /// What the model takes.
    fn capabilities(&self) -> ImageCapabilities;

    /// Makes the image.
    async fn generate(&self, req: &ImageRequest) -> Result<GeneratedImage>;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    fn png(w: u32, h: u32) -> Media {
        let mut b = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
        b.extend_from_slice(&w.to_be_bytes());
        b.extend_from_slice(&h.to_be_bytes());
        Media::with_type("image/png", b)
    }

    #[test]
    fn sizes_come_from_headers() {
        let jpeg: &[u8] = &[
            0xff, 0xd8, 0xff, 0xe0, 0, 4, 0, 0, 0xff, 0xc0, 0, 11, 8, 0, 48, 0, 64, 3,
        ];
        assert_eq!(image_size(jpeg), Some((64, 48)));
        assert_eq!(image_size(png(7, 9).data()), Some((7, 9)));
        assert_eq!(image_size(b"GIF89a\x05\0\x06\0"), Some((5, 6)));
        assert_eq!(image_size(&[0xff, 0xd8, 0xff]), None);
    }

    #[test]
    fn mask_of_another_size_is_refused() {
        let req = ImageRequest::new("x").image(png(64, 64)).mask(png(32, 64));
        let e = req.validate().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidRequest);
        assert!(e.message().contains("32x64"), "{e}");
        assert!(ImageRequest::new("x").mask(png(1, 1)).validate().is_err());
        assert!(ImageRequest::new("x")
            .image(png(8, 8))
            .mask(png(8, 8))
            .validate()
            .is_ok());
    }

    #[test]
    fn options_not_taken_are_named_and_ranges_enforced() {
        let sd = ImageCapabilities::new(None)
            .negative_prompt()
            .size(Range::new(256.0, 2048.0), 8)
            .steps(Range::new(1.0, 20.0))
            .guidance(Range::new(0.0, 30.0))
            .seed()
            .image(Some(100), false);
        let warnings = sd.check(&ImageRequest::new("x").size(500, 512)).unwrap();
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(sd.check(&ImageRequest::new("x").steps(21)).is_err());
        assert!(sd.check(&ImageRequest::new("x").size(100, 512)).is_err());
        let e = sd
            .check(&ImageRequest::new("x").image(png(8, 8)).mask(png(8, 8)))
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Unsupported);
        let big = Media::with_type("image/png", vec![0x89; 101]);
        assert!(sd.check(&ImageRequest::new("x").image(big)).is_err());
        let flux = ImageCapabilities::new(Some(5)).steps(Range::new(1.0, 8.0));
        let e = flux
            .check(&ImageRequest::new("x").seed(1).guidance(2.0))
            .unwrap_err();
        assert!(e.message().contains("guidance, seed"), "{e}");
        assert!(flux.check(&ImageRequest::new("too long")).is_err());
    }
}
