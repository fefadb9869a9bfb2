//! `genai image` and the image files of `genai chat --image`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::Args;
use genai_core::{
    ChatRequest, Error, FallbackImageGenerator, ImageModel, ImageRequest, Media, Message,
};

use crate::fallback::{FallbackArgs, Members, ServedFields};

use super::{provider, Format, ProviderArgs};

/// The model `genai image` uses when none is given.
pub(crate) const DEFAULT_IMAGE_MODEL: &str = "@cf/black-forest-labs/flux-1-schnell";

#[derive(Args, Debug)]
pub(crate) struct ImageArgs {
    /// What the image shows (`-` reads it from standard input).
    prompt: String,
    #[command(flatten)]
    pub(crate) provider: ProviderArgs,
    #[command(flatten)]
    fallback: FallbackArgs,
    /// Where to write the image (`-` = standard output, refused on a terminal). Without an
    /// extension, the one of the image's type is added.
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    /// What the image must not show.
    #[arg(long, value_name = "TEXT")]
    negative_prompt: Option<String>,
    /// Width in pixels.
    #[arg(long)]
    width: Option<u32>,
    /// Height in pixels.
    #[arg(long)]
    height: Option<u32>,
    /// Diffusion steps.
    #[arg(long)]
    steps: Option<u32>,
    /// How closely to follow the prompt.
    #[arg(long)]
    guidance: Option<f64>,
    /// Random seed.
    #[arg(long)]
    seed: Option<u64>,
    /// An input image to transform (image to image, inpainting); `-` reads standard input.
    #[arg(long, value_name = "FILE")]
    image: Option<PathBuf>,
    /// The inpainting mask (white = paint), the size of --image; `-` reads standard input.
    #[arg(long, value_name = "FILE")]
    mask: Option<PathBuf>,
    /// How far to move away from --image, 0 to 1.
    #[arg(long, value_name = "F")]
    strength: Option<f64>,
}

impl ImageArgs {
    /// The format chosen, for the error line.
    pub(crate) fn format(&self) -> Format {
        self.provider.format
    }
}

/// Reads an image file (`-`: standard input): bounded by the largest image any model takes
/// (a device such as `/dev/zero` is read only that far), sniffed (never trusted by its
/// extension), not empty.
pub(crate) fn read_image(path: &Path) -> genai_core::Result<Media> {
    let shown = if crate::input::is_stdin(path) {
        "the image on standard input".to_owned()
    } else {
        path.display().to_string()
    };
    let bytes = crate::input::read_bytes(path, "image", crate::input::MAX_IMAGE_BYTES)?;
    if bytes.is_empty() {
        return Err(Error::invalid_request(format!(
            "{shown} is empty (0 bytes)"
        )));
    }
    let media = Media::from_bytes(bytes)
        .map_err(|e| Error::invalid_request(format!("{shown}: {}", e.message())))?;
    if !media.is_image() {
        return Err(Error::invalid_request(format!(
            "{shown} is {}, not an image",
            media.media_type()
        )));
    }
    Ok(media)
}

/// Attaches the images of `chat --image` to the last user turn.
pub(crate) fn attach_images(req: &mut ChatRequest, paths: &[PathBuf]) -> genai_core::Result<()> {
    if paths.is_empty() {
        return Ok(());
    }
    let images = paths
        .iter()
        .map(|p| read_image(p))
        .collect::<genai_core::Result<Vec<_>>>()?;
    match req
        .messages
        .iter_mut()
        .rev()
        .find(|m| matches!(m, Message::User { .. }))
    {
        Some(Message::User { media, .. }) => media.extend(images),
        _ => req.messages.push(Message::user_with_media("", images)),
    }
    Ok(())
}

/// `genai image`.
pub(crate) async fn image(args: ImageArgs) -> genai_core::Result<()> {
    crate::output::check_binary_out(&args.out, "image")?;
    // Where the image goes is checked before the paid request.
    crate::output::check_out(&args.out)?;
    let prompt = crate::input::text_arg(&args.prompt, "prompt", crate::input::MAX_TEXT_BYTES)?;
    let mut req = ImageRequest::new(prompt);
    req.negative_prompt = args.negative_prompt.clone();
    req.width = args.width;
    req.height = args.height;
    req.steps = args.steps;
    req.guidance = args.guidance;
    req.seed = args.seed;
    req.strength = args.strength;
    req.image = args.image.as_deref().map(read_image).transpose()?;
    req.mask = args.mask.as_deref().map(read_image).transpose()?;
    let mut where_to = args.provider.clone();
    where_to
        .model
        .get_or_insert_with(|| DEFAULT_IMAGE_MODEL.to_owned());
    let client = provider(&where_to)?;
    let workers = client.provider();
    let first = genai_core::ProviderGen::model(&client);
    let (mut made, model, attempts) = if args.fallback.any() {
        let members = Members::make(
            genai_core::Provider::name(&workers),
            first,
            &args.fallback,
            |id| Ok(Arc::new(workers.image_generator(id)?) as Arc<dyn ImageModel>),
        )?;
        let served = FallbackImageGenerator::new(members.list)?
            .check_capabilities(!args.provider.no_capability_check && members.usable)
            .generate_served(&req)
            .await?;
        (served.value, served.served_by, Some(served.attempts))
    } else {
        let model = workers.image_generator(first)?;
        (model.generate(&req).await?, model.model().to_owned(), None)
    };
    for w in &made.warnings {
        eprintln!("warning: {w}");
    }
    let out = crate::output::media_path(&args.out, &made.reply.media_type().await?);
    let served = attempts.as_deref().map(|attempts| ServedFields {
        served_by: &model,
        attempts,
    });
    crate::output::deliver_media(made.reply, &out, &model, served, args.provider.format).await
}
