//! `--fallback MODEL`, shared by chat and the task commands, and the fields it adds to their
//! `--format json` object.

use std::sync::Arc;

use clap::Args;
use genai_core::{Attempt, Result, Served};

use crate::Format;

/// The models to fall over to.
#[derive(Args, Debug, Clone, Default)]
pub(crate) struct FallbackArgs {
    /// A model tried when the ones before it fail in a way another model may not (busy,
    /// rate limited after the retries, unavailable, retired, plan required); repeatable, tried
    /// in order. Invalid requests, authentication and budget errors stop at once.
    #[arg(long = "fallback", value_name = "MODEL")]
    pub(crate) models: Vec<String>,
}

impl FallbackArgs {
    /// Whether any fallback model was given.
    pub(crate) fn any(&self) -> bool {
        !self.models.is_empty()
    }
}

/// `"served_by"` and `"attempts"`, flattened into a command's JSON object when `--fallback`
/// was given.
#[derive(serde::Serialize)]
pub(crate) struct ServedFields<'a> {
    pub(crate) served_by: &'a str,
    pub(crate) attempts: &'a [Attempt],
}

/// In text output, says on stderr which model served the call when another failed first.
pub(crate) fn note_attempts(served_by: &str, attempts: &[Attempt]) {
    if attempts.is_empty() {
        return;
    }
    let failed: Vec<String> = attempts
        .iter()
        .map(|a| format!("{} ({})", a.model, a.error.kind))
        .collect();
    eprintln!(
        "[fallback] served by {served_by} after {}",
        failed.join(", ")
    );
}

/// A fallback model refused before any request for a reason another model may not share
/// (retired, plan required): a chain member that fails with that refusal, so the chain moves
/// on and reports it among the attempts.
#[derive(Debug)]
pub(crate) struct Refused {
    provider: String,
    model: String,
    kind: genai_core::ErrorKind,
    message: String,
}

impl Refused {
    pub(crate) fn new(provider: &str, model: &str, e: &genai_core::Error) -> Self {
        Refused {
            provider: provider.to_owned(),
            model: model.to_owned(),
            kind: e.kind(),
            message: e.message().to_owned(),
        }
    }

    fn error(&self) -> genai_core::Error {
        genai_core::Error::new(self.kind, self.message.clone()).with_provider(self.provider.clone())
    }
}

#[genai_core::async_trait]
impl genai_core::ProviderGen for Refused {
    fn name(&self) -> &str {
        &self.provider
    }

    fn model(&self) -> &str {
        &self.model
    }

    /// Everything, so that it never narrows the chain's capabilities: it answers nothing.
    fn capabilities(&self) -> genai_core::ModelCapabilities {
        let mut caps = genai_core::Capabilities::uniform(genai_core::Support::Supported);
        let all = genai_core::Modalities {
            text: true,
            image: true,
            audio: true,
            video: true,
            document: true,
        };
        caps.input = all;
        caps.output = all;
        genai_core::ModelCapabilities {
            sync: caps,
            stream: caps,
        }
    }

    async fn gen_sync(
        &self,
        _req: &genai_core::ChatRequest,
    ) -> genai_core::Result<genai_core::ChatResponse> {
        Err(self.error())
    }

    async fn gen_stream(
        &self,
        _req: &genai_core::ChatRequest,
    ) -> genai_core::Result<genai_core::ChatStream> {
        Err(self.error())
    }
}

/// The first model followed by the `--fallback` models, each made by `make`.
pub(crate) fn members<M: ?Sized>(
    first: Arc<M>,
    fallback: &FallbackArgs,
    make: impl Fn(&str) -> Result<Arc<M>>,
) -> Result<Vec<Arc<M>>> {
    let mut all = vec![first];
    for model in &fallback.models {
        all.push(make(model)?);
    }
    Ok(all)
}

/// Who served a call through a chain: the model and the ones that failed first.
pub(crate) struct Who {
    model: String,
    attempts: Vec<Attempt>,
}

impl Who {
    pub(crate) fn of<T>(served: Served<T>) -> (T, Option<Who>) {
        let who = Who {
            model: served.served_by,
            attempts: served.attempts,
        };
        (served.value, Some(who))
    }

    /// The JSON fields, and in text output the note on stderr.
    pub(crate) fn fields(who: &Option<Who>, format: Format) -> Option<ServedFields<'_>> {
        let who = who.as_ref()?;
        if format == Format::Text {
            note_attempts(&who.model, &who.attempts);
        }
        Some(ServedFields {
            served_by: &who.model,
            attempts: &who.attempts,
        })
    }
}
