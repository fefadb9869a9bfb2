//! `genai summarize`: a summary of a text.

use std::path::PathBuf;

use clap::Args;
use genai_core::{Result, SummarizeRequest};

use crate::fallback::{call, FallbackArgs, Summarization};
use crate::input::one_text;
use crate::output::print_text;
use crate::ProviderArgs;

/// Default model of `genai summarize`.
pub(crate) const SUMMARIZE_MODEL: &str = genai_cloudflare::DEFAULT_SUMMARY_MODEL;

/// `genai summarize`.
#[derive(Args, Debug)]
pub(crate) struct SummarizeArgs {
    /// The text to summarise (`-` reads standard input).
    text: Option<String>,
    #[command(flatten)]
    pub(crate) provider: ProviderArgs,
    #[command(flatten)]
    fallback: FallbackArgs,
    /// A file holding the text (`-`: standard input; `--input` is the older spelling).
    #[arg(long, alias = "input", value_name = "FILE", conflicts_with = "text")]
    file: Option<PathBuf>,
    /// The longest summary wanted, in tokens.
    #[arg(long, value_name = "N")]
    max_length: Option<u32>,
}

pub(crate) async fn summarize(args: SummarizeArgs) -> Result<()> {
    let (answer, _) =
        call::<Summarization>(&args.provider, &args.fallback, SUMMARIZE_MODEL, || {
            let text = one_text(
                args.text.as_deref(),
                args.file.as_deref(),
                "summarize",
                " or --file FILE",
            )?;
            let mut req = SummarizeRequest::new(text);
            req.max_length = args.max_length;
            Ok(req)
        })
        .await?;
    let out = &answer.value;
    // The reply names the model that wrote the summary.
    let by = out.model.as_deref().unwrap_or(answer.model());
    print_text(&answer, by, &out.text, out.cost, args.provider.format);
    Ok(())
}
