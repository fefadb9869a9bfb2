//! `genai translate`: a text in another language.

use std::path::PathBuf;
use std::sync::Arc;

use clap::Args;
use genai_core::{FallbackTranslator, Result, TranslateRequest, TranslationModel};

use crate::fallback::{FallbackArgs, Models, Who};
use crate::input::one_text;
use crate::options::workers_ai;
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
    let (workers, model) = workers_ai(&args.provider, TRANSLATE_MODEL)?;
    let models = Models::make(&workers, &model, &args.fallback, |m| {
        Ok(Arc::new(workers.translator(m)?) as Arc<dyn TranslationModel>)
    })?;
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
    let (out, who, translator) = match models {
        Models::Chain(all) => {
            let served = FallbackTranslator::new(all.list)?
                .check_capabilities(!args.provider.no_capability_check && all.usable)
                .translate_served(&req)
                .await?;
            let by = served.served_by.clone();
            let (out, who) = Who::of(served);
            (out, who, by)
        }
        Models::One(translator) => (
            translator.translate(&req).await?,
            None,
            translator.model().to_owned(),
        ),
    };
    print_text(args.provider.format, &translator, &out.text, out.cost, &who);
    Ok(())
}
