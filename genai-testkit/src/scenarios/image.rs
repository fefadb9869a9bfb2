//! Conformance scenarios of the image kinds: text to image (the image decodes at the asked
//! size and as the stated type; image to image; inpainting; options a model does not take are
//! refused before any request) and image to text through chat (a picture described).
//!
//! ```no_run
//! use genai_testkit::scenarios::run_image_scenarios;
//! # async fn run(model: &dyn genai_core::ImageModel) {
//! for check in run_image_scenarios(model).await {
//!     println!("{}: {:?}", check.name, check.outcome);
//! }
//! # }
//! ```

use genai_core::{
    image_size, sniff_media_type, ChatRequest, ErrorKind, ImageModel, ImageRequest, Media, Message,
    ProviderGen,
};

use crate::fixtures::{self, decode_png};
use crate::scenarios::check::{fail, pass};
use crate::scenarios::{Check, Outcome};

/// A plain PNG of one colour, made here (no fixture files).
pub fn solid_png(width: u32, height: u32, rgb: [u8; 3]) -> Media {
    Media::with_type("image/png", fixtures::solid_png(width, height, rgb))
}

/// Whether `media` is a whole image of its stated type: the type sniffed from the bytes
/// matches, the size is readable, a PNG inflates to its pixels and a JPEG ends with its
/// end-of-image marker. Returns the size.
fn whole_image(media: &Media) -> Result<(u32, u32), String> {
    let sniffed = sniff_media_type(media.data());
    if sniffed != Some(media.media_type()) {
        return Err(format!(
            "stated {}, the bytes are {}",
            media.media_type(),
            sniffed.unwrap_or("not a known format")
        ));
    }
    let size = image_size(media.data()).ok_or("the image's size cannot be read")?;
    match media.media_type() {
        "image/png" if decode_png(media.data()).is_none() => {
            return Err("the PNG does not decode".to_owned())
        }
        "image/jpeg" if !media.data().ends_with(&[0xff, 0xd9]) => {
            return Err("the JPEG has no end-of-image marker".to_owned())
        }
        _ => {}
    }
    Ok(size)
}

async fn generate(model: &dyn ImageModel, req: &ImageRequest) -> Result<Media, Outcome> {
    let made = model.generate(req).await.map_err(Outcome::Error)?;
    made.reply.collect().await.map_err(Outcome::Error)
}

/// Text-to-image scenarios: an image of the asked size (when the model takes a size) that
/// decodes as its stated type; image to image and inpainting when the model takes them; an
/// option the model does not take refused before any request.
pub async fn run_image_scenarios(model: &dyn ImageModel) -> Vec<Check> {
    let caps = model.capabilities();
    let mut checks = Vec::new();

    let mut req = ImageRequest::new("a red fox in the snow");
    let asked = caps
        .size
        .filter(|r| r.min <= 384.0 && r.max >= 512.0)
        .map(|_| (512, 384));
    if let Some((w, h)) = asked {
        req = req.size(w, h);
    }
    if caps.image_required {
        req = req.image(solid_png(64, 64, [30, 70, 200])).strength(0.8);
    }
    if caps.mask_required {
        req = req.mask(solid_png(64, 64, [255, 255, 255]));
    }
    let outcome = match generate(model, &req).await {
        Ok(media) => match whole_image(&media) {
            Ok(size) if asked.is_some_and(|a| a != size) => fail(format!(
                "asked {:?}, got {}x{}",
                asked.unwrap_or_default(),
                size.0,
                size.1
            )),
            Ok((w, h)) => pass(format!("{} {w}x{h}", media.media_type())),
            Err(why) => fail(why),
        },
        Err(outcome) => outcome,
    };
    checks.push(Check {
        name: "image decodes at the asked size and as the stated type",
        outcome,
    });

    if caps.image {
        let source = solid_png(64, 64, [30, 70, 200]);
        let mut req = ImageRequest::new("the same scene at night")
            .image(source.clone())
            .strength(0.5);
        let name = if caps.mask {
            req = req.mask(solid_png(64, 64, [255, 255, 255]));
            "image to image with a mask (inpainting) gives an image"
        } else {
            "image to image gives an image"
        };
        let outcome = match generate(model, &req).await {
            Ok(media) => match whole_image(&media) {
                Ok((w, h)) => pass(format!("{} {w}x{h}", media.media_type())),
                Err(why) => fail(why),
            },
            Err(outcome) => outcome,
        };
        checks.push(Check { name, outcome });
    }

    let unsupported = if !caps.seed {
        Some(ImageRequest::new("a fox").seed(1))
    } else if !caps.negative_prompt {
        Some(ImageRequest::new("a fox").negative_prompt("blur"))
    } else if !caps.image {
        Some(ImageRequest::new("a fox").image(solid_png(8, 8, [0, 0, 0])))
    } else {
        None
    };
    if let Some(req) = unsupported {
        let outcome = match model.generate(&req).await {
            Err(e) if e.kind() == ErrorKind::Unsupported => pass(e.message().to_owned()),
            Err(e) => Outcome::Error(e),
            Ok(_) => fail("an option the model does not take was sent anyway"),
        };
        checks.push(Check {
            name: "an option the model does not take is refused before any request",
            outcome,
        });
    }
    checks
}

/// Image-to-text scenario through chat: a red picture attached to a user turn is described
/// in a non-empty text (the detail says whether the colour was named).
pub async fn run_describe_scenarios(model: &dyn ProviderGen) -> Vec<Check> {
    let picture = solid_png(64, 64, [200, 30, 30]);
    let req = ChatRequest::new().message(Message::user_with_media(
        "What is in this picture?",
        vec![picture],
    ));
    let outcome = match model.gen_sync(&req).await {
        Ok(reply) if reply.text.trim().is_empty() => fail("the reply has no text"),
        Ok(reply) => {
            let named = reply.text.to_lowercase().contains("red");
            pass(format!(
                "{}{}",
                genai_core::text::excerpt(&reply.text, 80),
                if named { " (names the colour)" } else { "" }
            ))
        }
        Err(e) => Outcome::Error(e),
    };
    vec![Check {
        name: "a picture is described",
        outcome,
    }]
}
