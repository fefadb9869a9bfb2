//! `genai speak`: text to speech, streamed to a file or stdout.

use std::path::PathBuf;
use std::sync::Arc;

use clap::Args;
use genai_core::{FallbackSpeech, SpeechModel, SpeechRequest};

use crate::fallback::{FallbackArgs, Members, ServedFields};
use crate::{Format, ProviderArgs};

/// The model `genai speak` uses when none is given.
pub(crate) const DEFAULT_SPEECH_MODEL: &str = "@cf/deepgram/aura-1";

#[derive(Args, Debug)]
pub(crate) struct SpeakArgs {
    /// The text to read aloud (`-` reads it from standard input).
    text: String,
    #[command(flatten)]
    pub(crate) provider: ProviderArgs,
    #[command(flatten)]
    fallback: FallbackArgs,
    /// Where to write the audio (`-` for standard output). Written through a temporary file:
    /// a failed reply leaves nothing behind.
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    /// Voice (speaker) name, e.g. `luna` for aura-1.
    #[arg(long, value_name = "NAME")]
    voice: Option<String>,
    /// Language of the text, e.g. `fr` for melotts (`--lang` is the older spelling).
    #[arg(long, alias = "lang", value_name = "CODE")]
    language: Option<String>,
    /// Audio encoding, e.g. `mp3` or `linear16` (aura-1).
    #[arg(long)]
    encoding: Option<String>,
    /// Container, e.g. `wav` or `none` (aura-1).
    #[arg(long)]
    container: Option<String>,
    /// Sample rate in Hz (aura-1).
    #[arg(long)]
    sample_rate: Option<u32>,
    /// Bit rate in bits per second (aura-1).
    #[arg(long)]
    bit_rate: Option<u32>,
}

impl SpeakArgs {
    /// The output format.
    pub(crate) fn provider_format(&self) -> Format {
        self.provider.format
    }
}

/// `genai speak`.
pub(crate) async fn speak(args: SpeakArgs) -> genai_core::Result<()> {
    crate::output::check_binary_out(&args.out, "audio")?;
    let provider = crate::provider(&args.provider)?.provider();
    let first = args.provider.model_or(DEFAULT_SPEECH_MODEL);
    // With --fallback, the chain: the model whose limits apply, and the call that says who
    // served it.
    let (model, chain): (Arc<dyn SpeechModel>, _) = if args.fallback.any() {
        let members = Members::make(
            genai_core::Provider::name(&provider),
            &first,
            &args.fallback,
            |id| Ok(Arc::new(provider.speech(id)?) as Arc<dyn SpeechModel>),
        )?;
        let chain = Arc::new(
            FallbackSpeech::new(members.list)?
                .check_capabilities(!args.provider.no_capability_check && members.usable),
        );
        (chain.clone(), Some(chain))
    } else {
        (Arc::new(provider.speech(&first)?), None)
    };
    // Where the audio goes is checked before the paid request.
    crate::output::check_out(&args.out)?;
    // A character is at most 4 bytes of UTF-8: more bytes than that cannot be a text the
    // model takes.
    let limit = model
        .capabilities()
        .max_text_chars
        .map_or(crate::input::MAX_TEXT_BYTES, |c| c as u64 * 4);
    let text = crate::input::text_arg(&args.text, "text", limit)?;
    let mut req = SpeechRequest::new(text.trim());
    req.voice = args.voice;
    req.language = args.language;
    req.encoding = args.encoding;
    req.container = args.container;
    req.sample_rate = args.sample_rate;
    req.bit_rate = args.bit_rate;
    let (mut reply, served_by, attempts) = match &chain {
        Some(chain) => {
            let served = chain.speak_served(&req).await?;
            (served.value, served.served_by, Some(served.attempts))
        }
        None => (model.speak(&req).await?, model.model().to_owned(), None),
    };
    let out = crate::output::media_path(&args.out, &reply.media_type().await?);
    let served = attempts.as_deref().map(|attempts| ServedFields {
        served_by: &served_by,
        attempts,
    });
    crate::output::deliver_media(reply, &out, &served_by, served, args.provider.format).await
}
