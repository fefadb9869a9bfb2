//! `genai summarize`: a summary of a text.

use std::path::PathBuf;
use std::sync::Arc;

use clap::Args;
use genai_core::{FallbackSummarizer, Result, SummarizationModel, SummarizeRequest};

use crate::fallback::{FallbackArgs, Models, Who};
use crate::input::one_text;
use crate::options::workers_ai;
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
    let (workers, model) = workers_ai(&args.provider, SUMMARIZE_MODEL)?;
    let models = Models::make(&workers, &model, &args.fallback, |m| {
        Ok(Arc::new(workers.summarizer(m)?) as Arc<dyn SummarizationModel>)
    })?;
    let text = one_text(
        args.text.as_deref(),
        args.file.as_deref(),
        "summarize",
        " or --file FILE",
    )?;
    let mut req = SummarizeRequest::new(text);
    req.max_length = args.max_length;
    let (out, who, summarizer) = match models {
        Models::Chain(all) => {
            let served = FallbackSummarizer::new(all.list)?
                .check_capabilities(!args.provider.no_capability_check && all.usable)
                .summarize_served(&req)
                .await?;
            let by = served.served_by.clone();
            let (out, who) = Who::of(served);
            (out, who, by)
        }
        Models::One(summarizer) => (
            summarizer.summarize(&req).await?,
            None,
            summarizer.model().to_owned(),
        ),
    };
    // The reply names the model that wrote the summary.
    let by = out.model.as_deref().unwrap_or(&summarizer);
    print_text(args.provider.format, by, &out.text, out.cost, &who);
    Ok(())
}
