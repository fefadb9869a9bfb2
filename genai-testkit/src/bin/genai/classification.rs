//! `genai classify`: labels of a text or an image, best first.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;
use genai_core::{ClassifyRequest, Cost, Result};

use crate::fallback::{call, Classification, FallbackArgs, ServedFields};
use crate::input::one_text;
use crate::output::json_line;
use crate::{Format, ProviderArgs};

/// Default model of `genai classify` for a text.
pub(crate) const CLASSIFY_MODEL: &str = "@cf/huggingface/distilbert-sst-2-int8";
/// Default model of `genai classify --image`.
pub(crate) const CLASSIFY_IMAGE_MODEL: &str = "@cf/microsoft/resnet-50";

/// `genai classify`.
#[derive(Args, Debug)]
pub(crate) struct ClassifyArgs {
    /// The text to classify (`-` reads standard input).
    text: Option<String>,
    #[command(flatten)]
    pub(crate) provider: ProviderArgs,
    #[command(flatten)]
    fallback: FallbackArgs,
    /// Classify this image file instead of a text (`-` reads it from standard input).
    #[arg(long, value_name = "FILE", conflicts_with = "text")]
    image: Option<PathBuf>,
    /// Keep only the best N labels.
    #[arg(long, value_name = "N")]
    top_k: Option<usize>,
}

#[derive(serde::Serialize)]
struct ClassifyLine<'a> {
    model: &'a str,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    served: Option<ServedFields<'a>>,
    labels: Vec<LabelLine<'a>>,
    cost: Option<Cost>,
}

#[derive(serde::Serialize)]
struct LabelLine<'a> {
    label: &'a str,
    score: f32,
}

pub(crate) async fn classify(args: ClassifyArgs) -> Result<()> {
    let default = if args.image.is_some() {
        CLASSIFY_IMAGE_MODEL
    } else {
        CLASSIFY_MODEL
    };
    let (answer, _) = call::<Classification>(&args.provider, &args.fallback, default, || {
        let mut req = match &args.image {
            Some(path) => ClassifyRequest::image(crate::image::read_image(path)?),
            None => ClassifyRequest::text(one_text(
                args.text.as_deref(),
                None,
                "classify",
                " or --image FILE",
            )?),
        };
        req.top_k = args.top_k;
        Ok(req)
    })
    .await?;
    let out = &answer.value;
    let (model, served) = answer.served(answer.model(), args.provider.format);
    match args.provider.format {
        Format::Json => json_line(&ClassifyLine {
            model,
            served,
            labels: out
                .labels
                .iter()
                .map(|l| LabelLine {
                    label: &l.label,
                    score: l.score,
                })
                .collect(),
            cost: out.cost,
        }),
        Format::Text => {
            let mut lines = std::io::stdout().lock();
            for l in &out.labels {
                crate::output::note_stdout(writeln!(lines, "{}\t{}", l.label, l.score));
            }
        }
    }
    Ok(())
}
