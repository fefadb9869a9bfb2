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
/// on and reports it among the attempts. `C` is what it claims to take: for chat everything,
/// for the other kinds the capabilities of a member that could be made, so that it narrows
/// nothing.
#[derive(Debug)]
pub(crate) struct Refused<C = ()> {
    provider: String,
    model: String,
    kind: genai_core::ErrorKind,
    message: String,
    caps: C,
}

impl Refused {
    pub(crate) fn new(provider: &str, model: &str, e: &genai_core::Error) -> Self {
        Refused {
            provider: provider.to_owned(),
            model: model.to_owned(),
            kind: e.kind(),
            message: e.message().to_owned(),
            caps: (),
        }
    }
}

impl<C> Refused<C> {
    /// The same refusal, claiming to take `caps`.
    fn taking<D>(self, caps: D) -> Refused<D> {
        Refused {
            provider: self.provider,
            model: self.model,
            kind: self.kind,
            message: self.message,
            caps,
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

/// A kind of model a task command chains: what its capabilities are and how a [`Refused`]
/// stands in for one of its models.
pub(crate) trait Member {
    /// The kind's capabilities.
    type Caps: Copy + Default + std::fmt::Debug + Send + Sync + 'static;
    /// What `model` takes.
    fn caps(model: &Self) -> Self::Caps;
    /// `refused`, as a member of this kind.
    fn stand_in(refused: Refused<Self::Caps>) -> Arc<Self>;
}

/// Implements a task kind's trait for [`Refused`] (every call fails with the refusal) and
/// [`Member`] for the kind.
macro_rules! refused_member {
    ($($trait:ident, $caps:ident, $req:ident, $out:ty, $call:ident;)*) => {$(
        #[genai_core::async_trait]
        impl genai_core::$trait for Refused<genai_core::$caps> {
            fn name(&self) -> &str {
                &self.provider
            }

            fn model(&self) -> &str {
                &self.model
            }

            fn capabilities(&self) -> genai_core::$caps {
                self.caps
            }

            async fn $call(&self, _req: &genai_core::$req) -> genai_core::Result<$out> {
                Err(self.error())
            }
        }

        impl Member for dyn genai_core::$trait {
            type Caps = genai_core::$caps;

            fn caps(model: &Self) -> Self::Caps {
                model.capabilities()
            }

            fn stand_in(refused: Refused<Self::Caps>) -> Arc<Self> {
                Arc::new(refused)
            }
        }
    )*};
}

refused_member! {
    EmbeddingModel, EmbeddingCapabilities, EmbedRequest, genai_core::Embeddings, embed;
    RerankingModel, RerankingCapabilities, RerankRequest, genai_core::Ranking, rerank;
    ClassificationModel, ClassificationCapabilities, ClassifyRequest, genai_core::Classification, classify;
    TranslationModel, TranslationCapabilities, TranslateRequest, genai_core::Translation, translate;
    SummarizationModel, SummarizationCapabilities, SummarizeRequest, genai_core::Summary, summarize;
    ImageModel, ImageCapabilities, ImageRequest, genai_core::GeneratedImage, generate;
    SpeechModel, SpeechCapabilities, SpeechRequest, genai_core::MediaReply, speak;
    TranscriptionModel, TranscriptionCapabilities, TranscribeRequest, genai_core::Transcript, transcribe;
}

/// The members of a task command's chain: `first`, then the `--fallback` models, each made
/// by `make`. A model refused before any request for a reason another model may not share
/// (retired, plan required: [`genai_core::falls_over`]) becomes a [`Refused`] member, taking
/// what the first model that could be made takes; any other refusal stops here.
pub(crate) struct Members<M: ?Sized> {
    /// In the order they are tried.
    pub(crate) list: Vec<Arc<M>>,
    /// Whether any of them could be made: when none could, the chain's capabilities say
    /// nothing and the request goes down the chain unchecked, to fail with each refusal.
    pub(crate) usable: bool,
}

impl<M: Member + ?Sized> Members<M> {
    pub(crate) fn make(
        provider: &str,
        first: &str,
        fallback: &FallbackArgs,
        make: impl Fn(&str) -> genai_core::Result<Arc<M>>,
    ) -> genai_core::Result<Self> {
        let mut made: Vec<Result<Arc<M>, Refused>> = Vec::new();
        for id in std::iter::once(first).chain(fallback.models.iter().map(String::as_str)) {
            made.push(match make(id) {
                Ok(m) => Ok(m),
                Err(e) if genai_core::falls_over(&e) => Err(Refused::new(provider, id, &e)),
                Err(e) => return Err(e),
            });
        }
        let caps = made
            .iter()
            .find_map(|m| m.as_ref().ok().map(|m| M::caps(m)));
        let usable = caps.is_some();
        let caps = caps.unwrap_or_default();
        let list = made
            .into_iter()
            .map(|m| m.unwrap_or_else(|r| M::stand_in(r.taking(caps))))
            .collect();
        Ok(Members { list, usable })
    }
}

/// The model a task command calls: alone, or with `--fallback` the members of its chain.
/// Made before the input is read, so that a model refused for good (a mistyped id, a model of
/// another kind) fails first.
pub(crate) enum Models<M: ?Sized> {
    /// No `--fallback`: the one model.
    One(Arc<M>),
    /// The chain's members.
    Chain(Members<M>),
}

impl<M: Member + ?Sized> Models<M> {
    pub(crate) fn make(
        workers: &WorkersAi,
        first: &str,
        fallback: &FallbackArgs,
        make: impl Fn(&str) -> Result<Arc<M>>,
    ) -> Result<Self> {
        if fallback.any() {
            let provider = genai_core::Provider::name(workers);
            Ok(Models::Chain(Members::make(
                provider, first, fallback, make,
            )?))
        } else {
            Ok(Models::One(make(first)?))
        }
    }
}

/// A kind the task commands call the same way: a model made from its id, called alone, or
/// with `--fallback` through the kind's chain.
pub(crate) trait TaskKind {
    /// The kind's model trait.
    type Model: ?Sized + Member;
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
    let models = Models::make(&workers, &model, fallback, |m| K::make(&workers, m))?;
    let req = request()?;
    let (value, who, model) = match models {
        Models::Chain(all) => {
            let check = !provider.no_capability_check && all.usable;
            let served = K::chain(all.list, check, &req).await?;
            let who = Who {
                model: served.served_by,
                attempts: served.attempts,
            };
            (served.value, Some(who), model)
        }
        Models::One(first) => (K::call(&first, &req).await?, None, K::id(&first).to_owned()),
    };
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
