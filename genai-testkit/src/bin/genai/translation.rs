//! `genai translate`: a text in another language.

use std::path::PathBuf;

use clap::Args;
use genai_core::{Result, TranslateRequest};

use crate::fallback::{call, FallbackArgs, Translation};
use crate::input::one_text;
use crate::output::print_text;
use crate::ProviderArgs;

/// Default model of `genai translate`.
pub(crate) const TRANSLATE_MODEL: &str = "@cf/meta/m2m100-1.2b";

/// `genai translate`.
#[derive(Args, Debug)]
pub(crate) struct TranslateArgs {
    /// The text to translate (`-` reads standard input).
    text: Option<String>,
    #[command(flatten)]
    pub(crate) provider: ProviderArgs,
    #[command(flatten)]
    fallback: FallbackArgs,
    /// The language to translate into (a code: fr, de, ja...).
    #[arg(long, value_name = "LANG")]
    to: String,
    /// The language of the text (default: the model's, English for m2m100).
    #[arg(long, value_name = "LANG")]
    from: Option<String>,
    /// A file holding the text (`-`: standard input; `--input` is the older spelling).
    #[arg(long, alias = "input", value_name = "FILE", conflicts_with = "text")]
    file: Option<PathBuf>,
}

pub(crate) async fn translate(args: TranslateArgs) -> Result<()> {
    let (answer, _) = call::<Translation>(&args.provider, &args.fallback, TRANSLATE_MODEL, || {
        let text = one_text(
            args.text.as_deref(),
            args.file.as_deref(),
            "translate",
            " or --file FILE",
        )?;
        let mut req = TranslateRequest::new(text, args.to.trim());
        if let Some(from) = &args.from {
            req = req.from(from.trim());
        }
        Ok(req)
    })
    .await?;
    let out = &answer.value;
    print_text(
        &answer,
        answer.model(),
        &out.text,
        out.cost,
        args.provider.format,
    );
    Ok(())
}
