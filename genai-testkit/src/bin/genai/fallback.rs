//! `--fallback MODEL`, shared by chat and the task commands, and the fields it adds to their
//! `--format json` object.

use std::sync::Arc;

use clap::Args;
use genai_cloudflare::WorkersAi;
use genai_core::{Attempt, Result, Served};

use crate::{Format, ProviderArgs};

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
fn members<M: ?Sized>(
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

/// A kind the task commands call the same way: a model made from its id, called alone, or
/// with `--fallback` through the kind's chain.
pub(crate) trait TaskKind {
    /// The kind's model trait.
    type Model: ?Sized;
    /// Its request.
    type Request;
    /// Its result.
    type Output;
    /// The provider's model of this kind with this id.
    fn make(workers: &WorkersAi, id: &str) -> Result<Arc<Self::Model>>;
    /// The model's id.
    fn id(model: &Self::Model) -> &str;
    /// One call to one model.
    async fn call(model: &Self::Model, req: &Self::Request) -> Result<Self::Output>;
    /// One call through the chain of `members`, in order.
    async fn chain(
        members: Vec<Arc<Self::Model>>,
        check: bool,
        req: &Self::Request,
    ) -> Result<Served<Self::Output>>;
}

/// Implements [`TaskKind`] for each kind: its marker type, model trait, request, result, the
/// provider's constructor, the call, and the chain with its served call.
macro_rules! task_kinds {
    ($($kind:ident: $model:ident, $req:ident, $out:ident, $make:ident, $call:ident,
       $chain:ident, $served:ident;)*) => {$(
        #[doc = concat!("The `", stringify!($model), "` kind, as the task commands call it.")]
        pub(crate) struct $kind;

        impl TaskKind for $kind {
            type Model = dyn genai_core::$model;
            type Request = genai_core::$req;
            type Output = genai_core::$out;

            fn make(workers: &WorkersAi, id: &str) -> Result<Arc<Self::Model>> {
                Ok(Arc::new(workers.$make(id)?))
            }

            fn id(model: &Self::Model) -> &str {
                model.model()
            }

            async fn call(model: &Self::Model, req: &Self::Request) -> Result<Self::Output> {
                model.$call(req).await
            }

            async fn chain(
                members: Vec<Arc<Self::Model>>,
                check: bool,
                req: &Self::Request,
            ) -> Result<Served<Self::Output>> {
                genai_core::$chain::new(members)?
                    .check_capabilities(check)
                    .$served(req)
                    .await
            }
        }
    )*};
}

task_kinds! {
    Embedding: EmbeddingModel, EmbedRequest, Embeddings, embedder, embed,
        FallbackEmbedder, embed_served;
    Reranking: RerankingModel, RerankRequest, Ranking, reranker, rerank,
        FallbackReranker, rerank_served;
    Classification: ClassificationModel, ClassifyRequest, Classification, classifier, classify,
        FallbackClassifier, classify_served;
    Translation: TranslationModel, TranslateRequest, Translation, translator, translate,
        FallbackTranslator, translate_served;
    Summarization: SummarizationModel, SummarizeRequest, Summary, summarizer, summarize,
        FallbackSummarizer, summarize_served;
}

/// What a task command's call gave: the result, the model asked first, and with
/// `--fallback` who served it.
pub(crate) struct Answer<T> {
    pub(crate) value: T,
    model: String,
    who: Option<Who>,
}

impl<T> Answer<T> {
    /// The model the output names (the one that served, with `--fallback`), `model` unless
    /// a chain served; and the fields `--fallback` adds (in text output, its note on stderr).
    pub(crate) fn served<'a>(
        &'a self,
        model: &'a str,
        format: Format,
    ) -> (&'a str, Option<ServedFields<'a>>) {
        let served = Who::fields(&self.who, format);
        (served.as_ref().map_or(model, |s| s.served_by), served)
    }

    /// The id of the model asked first.
    pub(crate) fn model(&self) -> &str {
        &self.model
    }
}

/// The one shape of the task commands: the provider and the first model (`--model`, else
/// `default`) made before the request is read (`request`), then one call to that model or,
/// with `--fallback`, through the chain. Returns the answer and the request.
pub(crate) async fn call<K: TaskKind>(
    provider: &ProviderArgs,
    fallback: &FallbackArgs,
    default: &str,
    request: impl FnOnce() -> Result<K::Request>,
) -> Result<(Answer<K::Output>, K::Request)> {
    let (workers, model) = crate::options::workers_ai(provider, default)?;
    let first = K::make(&workers, &model)?;
    let req = request()?;
    let (value, who) = if fallback.any() {
        let all = members(first.clone(), fallback, |m| K::make(&workers, m))?;
        let served = K::chain(all, !provider.no_capability_check, &req).await?;
        let who = Who {
            model: served.served_by,
            attempts: served.attempts,
        };
        (served.value, Some(who))
    } else {
        (K::call(&first, &req).await?, None)
    };
    let model = K::id(&first).to_owned();
    Ok((Answer { value, model, who }, req))
}

/// Who served a call through a chain: the model and the ones that failed first.
struct Who {
    model: String,
    attempts: Vec<Attempt>,
}

impl Who {
    /// The JSON fields, and in text output the note on stderr.
    fn fields(who: &Option<Who>, format: Format) -> Option<ServedFields<'_>> {
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
