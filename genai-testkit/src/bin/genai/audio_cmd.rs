//! `genai speak` (text to speech, streamed to a file or stdout) and `genai transcribe`
//! (speech to text from a file or stdin).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::Args;
use genai_core::{
    Error, FallbackSpeech, FallbackTranscriber, Media, MediaFile, MediaSource, SpeechModel,
    SpeechRequest, TranscribeRequest, TranscriptionModel,
};
use serde_json::json;

use crate::fallback_args::{note_attempts, FallbackArgs, Members};
use crate::{emit_line, Format, ProviderArgs};

/// The model `genai speak` uses when none is given.
pub(crate) const DEFAULT_SPEECH_MODEL: &str = "@cf/deepgram/aura-1";
/// The model `genai transcribe` uses when none is given.
pub(crate) const DEFAULT_TRANSCRIPTION_MODEL: &str = "@cf/openai/whisper-large-v3-turbo";

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

#[derive(Args, Debug)]
pub(crate) struct TranscribeArgs {
    /// The audio file (`-` reads it from standard input). Its type is read from its bytes.
    file: PathBuf,
    #[command(flatten)]
    pub(crate) provider: ProviderArgs,
    #[command(flatten)]
    fallback: FallbackArgs,
    /// The spoken language, e.g. `en`.
    #[arg(long, value_name = "CODE")]
    language: Option<String>,
    /// Context for the model: names, spellings, the topic.
    #[arg(long, value_name = "TEXT")]
    prompt: Option<String>,
}

impl SpeakArgs {
    /// The output format.
    pub(crate) fn provider_format(&self) -> Format {
        self.provider.format
    }
}

impl TranscribeArgs {
    /// The output format.
    pub(crate) fn provider_format(&self) -> Format {
        self.provider.format
    }
}

fn model_of(args: &ProviderArgs, default: &str) -> String {
    args.model.clone().unwrap_or_else(|| default.to_owned())
}

/// `genai speak`.
pub(crate) async fn speak(args: SpeakArgs) -> genai_core::Result<()> {
    crate::output::check_binary_out(&args.out, "audio")?;
    let provider = crate::provider(&args.provider)?.provider();
    let first = model_of(&args.provider, DEFAULT_SPEECH_MODEL);
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
    let served = attempts
        .as_deref()
        .map(|attempts| crate::fallback_args::ServedFields {
            served_by: &served_by,
            attempts,
        });
    crate::output::deliver_media(reply, &out, &served_by, served, args.provider.format).await
}

/// The audio to send: refuses an empty file, one over `limit` bytes, and bytes that are not
/// audio (sniffed, whatever the file name says), all before any request. A file is streamed
/// from disk as it is sent; standard input is read into one buffer.
pub(crate) async fn read_audio(path: &Path, limit: Option<u64>) -> genai_core::Result<MediaSource> {
    let too_big = |n: u64, limit: u64| {
        Error::invalid_request(format!(
            "the audio is {n} bytes; this model takes at most {limit}"
        ))
    };
    let cannot = |e: std::io::Error| {
        Error::invalid_request(format!("cannot read the audio {}: {e}", path.display()))
    };
    let empty =
        || Error::invalid_request(format!("the audio {} is empty (0 bytes)", path.display()));
    let not_audio = |e: Error| {
        Error::invalid_request(format!("{} is not audio: {}", path.display(), e.message()))
    };
    let source = if path.as_os_str() == "-" {
        let cap = limit.unwrap_or(genai_cloudflare::MAX_AUDIO_BYTES);
        let buf = crate::input::read_bytes(path, "audio", cap)?;
        if buf.is_empty() {
            return Err(empty());
        }
        MediaSource::from(Media::from_bytes(buf).map_err(not_audio)?)
    } else {
        let meta = tokio::fs::metadata(path).await.map_err(cannot)?;
        if !meta.is_file() {
            return Err(Error::invalid_request(format!(
                "{} is not a file",
                path.display()
            )));
        }
        if let Some(limit) = limit.filter(|l| meta.len() > *l) {
            return Err(too_big(meta.len(), limit));
        }
        if meta.len() == 0 {
            return Err(empty());
        }
        MediaSource::from(MediaFile::open(path).await?)
    };
    if !source.is_audio() {
        return Err(Error::invalid_request(format!(
            "{} is {}, not audio",
            path.display(),
            source.media_type()
        )));
    }
    Ok(source)
}

/// `genai transcribe`.
pub(crate) async fn transcribe(args: TranscribeArgs) -> genai_core::Result<()> {
    let provider = crate::provider(&args.provider)?.provider();
    let first = model_of(&args.provider, DEFAULT_TRANSCRIPTION_MODEL);
    let (model, chain): (Arc<dyn TranscriptionModel>, _) = if args.fallback.any() {
        let members = Members::make(
            genai_core::Provider::name(&provider),
            &first,
            &args.fallback,
            |id| Ok(Arc::new(provider.transcriber(id)?) as Arc<dyn TranscriptionModel>),
        )?;
        let chain = Arc::new(
            FallbackTranscriber::new(members.list)?
                .check_capabilities(!args.provider.no_capability_check && members.usable),
        );
        (chain.clone(), Some(chain))
    } else {
        (Arc::new(provider.transcriber(&first)?), None)
    };
    let audio = read_audio(&args.file, model.capabilities().max_audio_bytes).await?;
    let mut req = TranscribeRequest::new(audio);
    req.language = args.language;
    req.prompt = args.prompt;
    let (t, served_by, attempts) = match &chain {
        Some(chain) => {
            let served = chain.transcribe_served(&req).await?;
            (served.value, served.served_by, Some(served.attempts))
        }
        None => (
            model.transcribe(&req).await?,
            model.model().to_owned(),
            None,
        ),
    };
    match args.provider.format {
        Format::Json => {
            let segments: Vec<_> = t
                .segments
                .iter()
                .map(|s| json!({"start": s.start, "end": s.end, "text": s.text}))
                .collect();
            let words: Vec<_> = t
                .words
                .iter()
                .map(|w| json!({"word": w.word, "start": w.start, "end": w.end}))
                .collect();
            let mut line = json!({
                "model": served_by,
                "text": t.text,
                "language": t.language,
                "duration": t.duration,
                "segments": segments,
                "words": words,
                "cost": t.cost,
            });
            if let (Some(attempts), Some(fields)) = (&attempts, line.as_object_mut()) {
                fields.insert("served_by".into(), served_by.clone().into());
                fields.insert(
                    "attempts".into(),
                    serde_json::to_value(attempts).unwrap_or_default(),
                );
            }
            emit_line(&line.to_string());
        }
        Format::Text => {
            if let Some(attempts) = &attempts {
                note_attempts(&served_by, attempts);
            }
            emit_line(&t.text);
        }
    }
    Ok(())
}
