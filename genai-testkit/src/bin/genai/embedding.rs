//! `genai embed`: one vector per input text, in input order (docs/cli.md, "Tasks beyond chat").

use std::path::PathBuf;

use clap::Args;
use genai_core::{Cost, EmbedRequest, Pooling, Result, Usage};

use crate::fallback::{call, Embedding, FallbackArgs, ServedFields};
use crate::input::gather;
use crate::output::json_line;
use crate::{Format, ProviderArgs};

/// Default model of `genai embed`.
pub(crate) const EMBED_MODEL: &str = "@cf/baai/bge-base-en-v1.5";

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum PoolingArg {
    Mean,
    Cls,
}

/// `genai embed`.
#[derive(Args, Debug)]
pub(crate) struct EmbedArgs {
    /// Texts to embed (`-` reads one text from standard input).
    texts: Vec<String>,
    #[command(flatten)]
    pub(crate) provider: ProviderArgs,
    #[command(flatten)]
    fallback: FallbackArgs,
    /// A file of texts, one per line (after the TEXT arguments); `-` reads them from
    /// standard input, one vector per line.
    #[arg(long, value_name = "FILE")]
    input: Option<PathBuf>,
    /// How token vectors are pooled (mean and cls vectors are not comparable).
    #[arg(long, value_enum)]
    pooling: Option<PoolingArg>,
}

#[derive(serde::Serialize)]
struct EmbedLine<'a> {
    model: &'a str,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    served: Option<ServedFields<'a>>,
    dimensions: usize,
    embeddings: &'a [Vec<f32>],
    usage: &'a Usage,
    cost: Option<Cost>,
}

pub(crate) async fn embed(args: EmbedArgs) -> Result<()> {
    let (answer, _) = call::<Embedding>(&args.provider, &args.fallback, EMBED_MODEL, || {
        let texts = gather(&args.texts, args.input.as_deref())?;
        let mut req = EmbedRequest::new(texts);
        if let Some(p) = args.pooling {
            req = req.pooling(match p {
                PoolingArg::Mean => Pooling::Mean,
                PoolingArg::Cls => Pooling::Cls,
            });
        }
        Ok(req)
    })
    .await?;
    let out = &answer.value;
    let (model, served) = answer.served(answer.model(), args.provider.format);
    match args.provider.format {
        Format::Json => json_line(&EmbedLine {
            model,
            served,
            dimensions: out.dimensions,
            embeddings: &out.embeddings,
            usage: &out.usage,
            cost: out.cost,
        }),
        Format::Text => {
            for v in &out.embeddings {
                json_line(v);
            }
        }
    }
    Ok(())
}
