//! `genai transcribe`: speech to text from a file or stdin, and the audio reader `batch` uses too.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::Args;
use genai_core::{
    Error, FallbackTranscriber, Media, MediaFile, MediaSource, TranscribeRequest,
    TranscriptionModel,
};
use serde_json::json;

use crate::fallback::{note_attempts, FallbackArgs, Members};
use crate::{emit_line, Format, ProviderArgs};

/// The model `genai transcribe` uses when none is given.
pub(crate) const DEFAULT_TRANSCRIPTION_MODEL: &str = "@cf/openai/whisper-large-v3-turbo";

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

impl TranscribeArgs {
    /// The output format.
    pub(crate) fn provider_format(&self) -> Format {
        self.provider.format
    }
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
    let first = args.provider.model_or(DEFAULT_TRANSCRIPTION_MODEL);
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
