//! Fallback chains: one model of each kind built from an ordered list of models (of one
//! provider or several), trying the next when a call fails in a way another model may not.

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use futures_util::StreamExt as _;

use crate::capability::{Capabilities, Modalities, Mode, ModelCapabilities};
use crate::error::{Error, ErrorKind, Result};
use crate::media_reply::MediaReply;
use crate::provider::ProviderGen;
use crate::request::ChatRequest;
use crate::response::{Attempt, ChatResponse};
use crate::stream::ChatStream;
use crate::tasks::{
    rewrap, Classification, ClassificationCapabilities, ClassificationModel, ClassifyRequest,
    EmbedRequest, EmbeddingCapabilities, EmbeddingModel, Embeddings, GeneratedImage,
    ImageCapabilities, ImageModel, ImageRequest, Range, Ranking, RerankRequest,
    RerankingCapabilities, RerankingModel, SpeechCapabilities, SpeechModel, SpeechRequest,
    SummarizationCapabilities, SummarizationModel, SummarizeRequest, Summary, TranscribeRequest,
    Transcript, TranscriptionCapabilities, TranscriptionModel, TranslateRequest, Translation,
    TranslationCapabilities, TranslationModel, TurnDetection, TurnDetectionCapabilities,
    TurnDetectionModel, TurnRequest,
};

/// Whether another model may serve a call that failed with `e`: the model is busy or out of
/// capacity, rate limited (after its own retries), unavailable, retired, or needs a plan the
/// account lacks. Invalid requests, authentication, budget and every other failure stop a
/// chain at once: another model would fail the same way, or should not be tried.
///
/// ```
/// use genai_core::{falls_over, Error, ErrorKind};
/// assert!(falls_over(&Error::new(ErrorKind::Busy, "capacity")));
/// assert!(falls_over(&Error::new(ErrorKind::Retired, "gone")));
/// assert!(!falls_over(&Error::invalid_request("bad")));
/// assert!(!falls_over(&Error::new(ErrorKind::Budget, "over budget")));
/// ```
pub fn falls_over(e: &Error) -> bool {
    matches!(
        e.kind(),
        ErrorKind::Busy
            | ErrorKind::RateLimited
            | ErrorKind::Unavailable
            | ErrorKind::Retired
            | ErrorKind::PlanRequired
    )
}

/// A result with the model that served it and the models that failed before.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Served<T> {
    /// The result.
    pub value: T,
    /// The provider of the model that served it.
    pub provider: String,
    /// The model that served it.
    pub served_by: String,
    /// The models tried first, in order, with their errors.
    pub attempts: Vec<Attempt>,
}

/// The bookkeeping of one call along a chain.
#[derive(Default)]
struct Tries {
    attempts: Vec<Attempt>,
}

impl Tries {
    /// Records a failure; `Err` when the chain must stop (the error is not one another model
    /// may avoid, or no model is left), with the earlier attempts named in its message.
    fn failed(&mut self, provider: &str, model: &str, e: Error, last: bool) -> Result<()> {
        if falls_over(&e) && !last {
            tracing::info!(provider, model, kind = %e.kind(), "falling over to the next model");
            self.attempts.push(Attempt::new(provider, model, &e));
            return Ok(());
        }
        if self.attempts.is_empty() {
            return Err(e);
        }
        let before: Vec<String> = self
            .attempts
            .iter()
            .map(|a| format!("{}: {}", a.model, a.error.kind))
            .collect();
        let message = format!(
            "{} (model {model}, after {})",
            e.message(),
            before.join(", ")
        );
        Err(rewrap(e, message))
    }

    fn served<T>(self, provider: &str, model: &str, value: T) -> Served<T> {
        Served {
            value,
            provider: provider.to_owned(),
            served_by: model.to_owned(),
            attempts: self.attempts,
        }
    }
}

fn no_members() -> Error {
    Error::config("a fallback chain needs at least one model")
}

/// The provider name of a chain: its members' when they share one, else `fallback`.
fn chain_name<'a>(mut names: impl Iterator<Item = &'a str>) -> String {
    let first = names.next().unwrap_or("fallback");
    if names.all(|n| n == first) {
        first.to_owned()
    } else {
        "fallback".to_owned()
    }
}

/// What every one of `all` supports in one mode.
fn meet(a: &Capabilities, b: &Capabilities) -> Capabilities {
    let m = |x: Modalities, y: Modalities| Modalities {
        text: x.text && y.text,
        image: x.image && y.image,
        audio: x.audio && y.audio,
        video: x.video && y.video,
        document: x.document && y.document,
    };
    Capabilities {
        tools: a.tools.min(b.tools),
        tool_choice_forced: a.tool_choice_forced.min(b.tool_choice_forced),
        json: a.json.min(b.json),
        json_schema: a.json_schema.min(b.json_schema),
        seed: a.seed.min(b.seed),
        max_tokens: a.max_tokens.min(b.max_tokens),
        stop: a.stop.min(b.stop),
        usage: a.usage.min(b.usage),
        finish_reason: a.finish_reason.min(b.finish_reason),
        reasoning: a.reasoning.min(b.reasoning),
        reasoning_effort: a.reasoning_effort.min(b.reasoning_effort),
        thinking: a.thinking.min(b.thinking),
        lora: a.lora.min(b.lora),
        raw: a.raw.min(b.raw),
        logprobs: a.logprobs.min(b.logprobs),
        input: m(a.input, b.input),
        output: m(a.output, b.output),
    }
}

/// A chat model made of an ordered list of models, of one provider or several: each call goes
/// to the first; when it fails in a way another model may not ([`falls_over`]: busy, rate
/// limited after its retries, unavailable, retired, plan required), the next is tried, and so
/// on. Invalid requests, authentication and budget failures stop at once.
///
/// - The reply names the model that served it ([`ChatResponse::served_by`]) and the models
///   that failed before ([`ChatResponse::attempts`]).
/// - A stream falls over only before its first event: once an event was delivered, a later
///   failure ends the stream with its error, as with any model.
/// - The chain's capabilities are what every member supports, and a request is checked
///   against them before any model is called, so the answer never depends on which model
///   happens to be up.
/// - When every model fails, the last error is returned, its message naming the earlier ones.
///
/// ```
/// use std::sync::Arc;
/// use genai_core::{ChatRequest, FallbackChat, ProviderGen};
///
/// async fn ask(first: Arc<dyn ProviderGen>, second: Arc<dyn ProviderGen>) -> genai_core::Result<()> {
///     let chain = FallbackChat::new([first, second])?;
///     let reply = chain.gen_sync(&ChatRequest::new().user("Say hello.")).await?;
///     println!("{} (served by {:?} after {} failures)", reply.text, reply.served_by, reply.attempts.len());
///     Ok(())
/// }
/// ```
pub struct FallbackChat {
    members: Vec<Arc<dyn ProviderGen>>,
    name: String,
    check_capabilities: bool,
}

impl fmt::Debug for FallbackChat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let models: Vec<&str> = self.members.iter().map(|m| m.model()).collect();
        f.debug_struct("FallbackChat")
            .field("models", &models)
            .finish()
    }
}

/// A stream of a [`FallbackChat`], with the model that serves it.
#[derive(Debug)]
#[non_exhaustive]
pub struct FallbackStream {
    /// The events.
    pub stream: ChatStream,
    /// The provider of the model that serves it.
    pub provider: String,
    /// The model that serves it.
    pub served_by: String,
    /// The models tried first, in order, with their errors.
    pub attempts: Vec<Attempt>,
}

impl FallbackChat {
    /// A chain of these models, tried in order. Fails with
    /// [`Config`](ErrorKind::Config) when there is none.
    pub fn new(members: impl IntoIterator<Item = Arc<dyn ProviderGen>>) -> Result<Self> {
        let members: Vec<_> = members.into_iter().collect();
        if members.is_empty() {
            return Err(no_members());
        }
        let name = chain_name(members.iter().map(|m| m.name()));
        Ok(FallbackChat {
            members,
            name,
            check_capabilities: true,
        })
    }

    /// With `false`, a request is only validated, not checked against the chain's
    /// capabilities, before the first model gets it (each member still applies its own
    /// setting): for members built to let the service decide.
    pub fn check_capabilities(mut self, on: bool) -> Self {
        self.check_capabilities = on;
        self
    }

    /// The refusal before any model is called.
    fn preflight(&self, mode: Mode, req: &ChatRequest) -> Result<()> {
        if self.check_capabilities {
            self.capabilities().check(mode, req)
        } else {
            req.validate()
        }
    }

    /// The models, in the order they are tried.
    pub fn members(&self) -> &[Arc<dyn ProviderGen>] {
        &self.members
    }

    /// Streams the reply of the first model that starts one, and says which it is.
    pub async fn gen_stream_served(&self, req: &ChatRequest) -> Result<FallbackStream> {
        self.preflight(Mode::Stream, req)?;
        let mut tries = Tries::default();
        let last = self.members.len() - 1;
        for (i, m) in self.members.iter().enumerate() {
            let first = match m.gen_stream(req).await {
                Ok(mut stream) => match stream.next().await {
                    Some(Err(e)) => Err(e),
                    first => Ok((first, stream)),
                },
                Err(e) => Err(e),
            };
            match first {
                Ok((first, rest)) => {
                    let head = futures_util::stream::iter(first);
                    let stream = ChatStream::new(head.chain(rest));
                    let served = tries.served(m.name(), m.model(), stream);
                    return Ok(FallbackStream {
                        stream: served.value,
                        provider: served.provider,
                        served_by: served.served_by,
                        attempts: served.attempts,
                    });
                }
                Err(e) => tries.failed(m.name(), m.model(), e, i == last)?,
            }
        }
        Err(no_members())
    }
}

#[async_trait]
impl ProviderGen for FallbackChat {
    /// The members' provider when they share one, else `fallback`.
    fn name(&self) -> &str {
        &self.name
    }

    /// The first model: the one tried first.
    fn model(&self) -> &str {
        self.members[0].model()
    }

    fn capabilities(&self) -> ModelCapabilities {
        let mut caps = self.members[0].capabilities();
        for m in &self.members[1..] {
            let other = m.capabilities();
            caps.sync = meet(&caps.sync, &other.sync);
            caps.stream = meet(&caps.stream, &other.stream);
        }
        caps
    }

    async fn gen_sync(&self, req: &ChatRequest) -> Result<ChatResponse> {
        self.preflight(Mode::Sync, req)?;
        let mut tries = Tries::default();
        let last = self.members.len() - 1;
        for (i, m) in self.members.iter().enumerate() {
            match m.gen_sync(req).await {
                Ok(reply) => {
                    let served = tries.served(m.name(), m.model(), reply);
                    let mut reply = served.value;
                    reply.served_by = Some(served.served_by);
                    reply.attempts = served.attempts;
                    return Ok(reply);
                }
                Err(e) => tries.failed(m.name(), m.model(), e, i == last)?,
            }
        }
        Err(no_members())
    }

    async fn gen_stream(&self, req: &ChatRequest) -> Result<ChatStream> {
        Ok(self.gen_stream_served(req).await?.stream)
    }
}

/// Declares a fallback chain of one task kind: the struct, its constructor, the call that
/// says who served it, and the trait impl.
macro_rules! task_chain {
    (
        $(#[$doc:meta])*
        $chain:ident, $trait:ident, $caps:ident, $req:ty, $out:ty,
        $call:ident, $served:ident, $meet:expr
        $(, admit = $admit:expr)?
    ) => {
        $(#[$doc])*
        pub struct $chain {
            members: Vec<Arc<dyn $trait>>,
            name: String,
            check_capabilities: bool,
        }

        impl fmt::Debug for $chain {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                let models: Vec<&str> = self.members.iter().map(|m| m.model()).collect();
                f.debug_struct(stringify!($chain)).field("models", &models).finish()
            }
        }

        impl $chain {
            /// The models, in the order they are tried.
            pub fn members(&self) -> &[Arc<dyn $trait>] {
                &self.members
            }

            /// With `false`, members are not asked to check the request before the first
            /// call (each still applies its own setting): for members built to let the
            /// service decide.
            pub fn check_capabilities(mut self, on: bool) -> Self {
                self.check_capabilities = on;
                self
            }

            /// The result of the first model that serves the call, with its name and the
            /// models that failed before. Every member checks the request before any call.
            pub async fn $served(&self, req: &$req) -> Result<Served<$out>> {
                if self.check_capabilities {
                    for m in &self.members {
                        m.capabilities().check(req)?;
                    }
                }
                let mut tries = Tries::default();
                let last = self.members.len() - 1;
                for (i, m) in self.members.iter().enumerate() {
                    match m.$call(req).await {
                        Ok(value) => return Ok(tries.served(m.name(), m.model(), value)),
                        Err(e) => tries.failed(m.name(), m.model(), e, i == last)?,
                    }
                }
                Err(no_members())
            }

            /// A chain of these models, tried in order. Fails with
            /// [`Config`](ErrorKind::Config) when there is none, or when the chain's own
            /// documentation says its members cannot stand in for each other.
            pub fn new(members: impl IntoIterator<Item = Arc<dyn $trait>>) -> Result<Self> {
                let members: Vec<Arc<dyn $trait>> = members.into_iter().collect();
                if members.is_empty() {
                    return Err(no_members());
                }
                $(
                    let admit: fn(&[Arc<dyn $trait>]) -> Result<()> = $admit;
                    admit(&members)?;
                )?
                let name = chain_name(members.iter().map(|m| m.name()));
                Ok($chain {
                    members,
                    name,
                    check_capabilities: true,
                })
            }
        }

        #[async_trait]
        impl $trait for $chain {
            fn name(&self) -> &str {
                &self.name
            }

            fn model(&self) -> &str {
                self.members[0].model()
            }

            fn capabilities(&self) -> $caps {
                let meet: fn($caps, $caps) -> $caps = $meet;
                let mut caps = self.members[0].capabilities();
                for m in &self.members[1..] {
                    caps = meet(caps, m.capabilities());
                }
                caps
            }

            async fn $call(&self, req: &$req) -> Result<$out> {
                Ok(self.$served(req).await?.value)
            }
        }
    };
}

task_chain!(
    /// An embedding model made of an ordered list of models, tried in order like
    /// [`FallbackChat`].
    ///
    /// Vectors of different models live in different spaces: mix models only when the
    /// vectors are not compared with vectors of another model, or use the same model through
    /// several providers or accounts. [`Served::served_by`] says which model made them. A
    /// chain whose members have different known dimensions is refused.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use genai_core::{EmbedRequest, EmbeddingModel, FallbackEmbedder};
    ///
    /// async fn embed(a: Arc<dyn EmbeddingModel>, b: Arc<dyn EmbeddingModel>) -> genai_core::Result<()> {
    ///     let chain = FallbackEmbedder::new([a, b])?;
    ///     let served = chain.embed_served(&EmbedRequest::new(["a cat"])).await?;
    ///     println!("{} dimensions from {}", served.value.dimensions, served.served_by);
    ///     Ok(())
    /// }
    /// ```
    FallbackEmbedder, EmbeddingModel, EmbeddingCapabilities, EmbedRequest, Embeddings,
    embed, embed_served,
    |a, b| {
        let mut c = a;
        c.max_inputs_per_call = least(a.max_inputs_per_call, b.max_inputs_per_call);
        c.dimensions = a.dimensions.or(b.dimensions);
        c.pooling = a.pooling.min(b.pooling);
        c.usage = a.usage.min(b.usage);
        c
    },
    admit = same_dimensions
);

/// Refuses embedding models known to make vectors of different lengths: they cannot stand
/// in for each other.
fn same_dimensions(members: &[Arc<dyn EmbeddingModel>]) -> Result<()> {
    let mut known = members.iter().filter_map(|m| {
        m.capabilities()
            .dimensions
            .map(|d| (m.model().to_owned(), d))
    });
    if let Some((first, dims)) = known.next() {
        if let Some((other, d)) = known.find(|(_, d)| *d != dims) {
            return Err(Error::config(format!(
                "{first} makes vectors of {dims} dimensions and {other} of {d}: they cannot stand in for each other"
            )));
        }
    }
    Ok(())
}

task_chain!(
    /// A translation model made of an ordered list of models, tried in order like
    /// [`FallbackChat`]. A request any member would refuse is refused before any call; the
    /// chain's language list is its members' when they agree, else empty (not known).
    FallbackTranslator, TranslationModel, TranslationCapabilities, TranslateRequest, Translation,
    translate, translate_served,
    |a, b| if a == b { a } else { TranslationCapabilities::default() }
);

task_chain!(
    /// A summarisation model made of an ordered list of models, tried in order like
    /// [`FallbackChat`].
    FallbackSummarizer, SummarizationModel, SummarizationCapabilities, SummarizeRequest, Summary,
    summarize, summarize_served,
    |a, b| {
        let mut c = a;
        c.max_length = a.max_length.min(b.max_length);
        c
    }
);

task_chain!(
    /// A reranking model made of an ordered list of models, tried in order like
    /// [`FallbackChat`]. Scores of different models are not on one scale; compare scores of
    /// one call only.
    FallbackReranker, RerankingModel, RerankingCapabilities, RerankRequest, Ranking,
    rerank, rerank_served,
    |a, b| {
        let mut c = a;
        c.top_k = a.top_k.min(b.top_k);
        c.max_documents = least(a.max_documents, b.max_documents);
        c
    }
);

task_chain!(
    /// A classification model made of an ordered list of models, tried in order like
    /// [`FallbackChat`]. Label sets differ between models: [`Served::served_by`] says whose
    /// labels came back.
    FallbackClassifier, ClassificationModel, ClassificationCapabilities, ClassifyRequest,
    Classification, classify, classify_served,
    |a, b| {
        let mut c = a;
        c.text = a.text && b.text;
        c.image = a.image && b.image;
        c
    }
);

/// The smaller of two known limits, or the one that is known.
fn least<T: Ord>(a: Option<T>, b: Option<T>) -> Option<T> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, y) => x.or(y),
    }
}

/// The values both ranges accept: `None` when either takes no such option or they do not
/// overlap.
fn overlap(a: Option<Range>, b: Option<Range>) -> Option<Range> {
    let (a, b) = (a?, b?);
    let r = Range::new(a.min.max(b.min), a.max.min(b.max));
    (r.min <= r.max).then_some(r)
}

/// The entries of a list every member has, as far as a `'static` list can say it: the list
/// when both are the same, the shorter when it is contained in the other, else empty (the
/// members' own lists still decide each request, see the chains' `check`).
fn common(a: &'static [&'static str], b: &'static [&'static str]) -> &'static [&'static str] {
    let within = |x: &[&str], y: &[&str]| x.iter().all(|v| y.contains(v));
    if within(a, b) {
        a
    } else if within(b, a) {
        b
    } else {
        &[]
    }
}

/// The smallest multiple of both, when either rounds sizes.
fn lcm(a: Option<u32>, b: Option<u32>) -> Option<u32> {
    let gcd = |mut x: u32, mut y: u32| {
        while y != 0 {
            (x, y) = (y, x % y);
        }
        x
    };
    match (a, b) {
        (Some(x), Some(y)) if x > 0 && y > 0 => Some(x / gcd(x, y) * y),
        (x, y) => x.or(y),
    }
}

task_chain!(
    /// An image model made of an ordered list of models, tried in order like
    /// [`FallbackChat`]. A request any member would refuse is refused before any call; the
    /// image comes back as the serving model made it, with that model's warnings (a size it
    /// rounds). [`Served::served_by`] says which model drew it.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use genai_core::{FallbackImageGenerator, ImageModel, ImageRequest};
    ///
    /// async fn draw(a: Arc<dyn ImageModel>, b: Arc<dyn ImageModel>) -> genai_core::Result<()> {
    ///     let chain = FallbackImageGenerator::new([a, b])?;
    ///     let served = chain.generate_served(&ImageRequest::new("a lighthouse")).await?;
    ///     let image = served.value.reply.collect().await?;
    ///     println!("{} bytes from {}", image.len(), served.served_by);
    ///     Ok(())
    /// }
    /// ```
    FallbackImageGenerator, ImageModel, ImageCapabilities, ImageRequest, GeneratedImage,
    generate, generate_served,
    |a, b| {
        let mut c = a;
        c.max_prompt_chars = least(a.max_prompt_chars, b.max_prompt_chars);
        c.negative_prompt = a.negative_prompt && b.negative_prompt;
        c.size = overlap(a.size, b.size);
        c.size_multiple = if c.size.is_some() { lcm(a.size_multiple, b.size_multiple) } else { None };
        c.steps = overlap(a.steps, b.steps);
        c.guidance = overlap(a.guidance, b.guidance);
        c.seed = a.seed && b.seed;
        c.image = a.image && b.image;
        c.mask = a.mask && b.mask;
        c.max_image_bytes = least(a.max_image_bytes, b.max_image_bytes);
        c.image_required = a.image_required || b.image_required;
        c.mask_required = a.mask_required || b.mask_required;
        c
    }
);

task_chain!(
    /// A text-to-speech model made of an ordered list of models, tried in order like
    /// [`FallbackChat`]. The call falls over only before the audio starts: once a model has
    /// answered, its [`MediaReply`] is the result, and a reply cut later fails as it would
    /// without a chain. A voice, language, encoding or option any member lacks is refused
    /// before any call; the chain's lists are its members' when one list holds the others,
    /// else empty.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use genai_core::{FallbackSpeech, SpeechModel, SpeechRequest};
    ///
    /// async fn say(a: Arc<dyn SpeechModel>, b: Arc<dyn SpeechModel>) -> genai_core::Result<()> {
    ///     let chain = FallbackSpeech::new([a, b])?;
    ///     let served = chain.speak_served(&SpeechRequest::new("Good morning")).await?;
    ///     let audio = served.value.collect().await?;
    ///     println!("{} of {} from {}", audio.len(), audio.media_type(), served.served_by);
    ///     Ok(())
    /// }
    /// ```
    FallbackSpeech, SpeechModel, SpeechCapabilities, SpeechRequest, MediaReply,
    speak, speak_served,
    |a, b| {
        let mut c = a;
        c.voices = common(a.voices, b.voices);
        c.languages = common(a.languages, b.languages);
        c.encodings = common(a.encodings, b.encodings);
        c.containers = common(a.containers, b.containers);
        c.sample_rate = a.sample_rate.min(b.sample_rate);
        c.bit_rate = a.bit_rate.min(b.bit_rate);
        c.max_text_chars = least(a.max_text_chars, b.max_text_chars);
        c
    }
);

task_chain!(
    /// A speech recognition model made of an ordered list of models, tried in order like
    /// [`FallbackChat`]. Audio streamed from a file is read again from the file for each
    /// model tried. A language hint or a prompt any member refuses is refused before any
    /// call.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use genai_core::{FallbackTranscriber, Media, TranscribeRequest, TranscriptionModel};
    ///
    /// async fn write_down(
    ///     a: Arc<dyn TranscriptionModel>,
    ///     b: Arc<dyn TranscriptionModel>,
    ///     wav: Vec<u8>,
    /// ) -> genai_core::Result<()> {
    ///     let chain = FallbackTranscriber::new([a, b])?;
    ///     let served = chain.transcribe_served(&TranscribeRequest::new(Media::from_bytes(wav)?)).await?;
    ///     println!("{} (by {})", served.value.text, served.served_by);
    ///     Ok(())
    /// }
    /// ```
    FallbackTranscriber, TranscriptionModel, TranscriptionCapabilities, TranscribeRequest,
    Transcript, transcribe, transcribe_served,
    |a, b| {
        let mut c = a;
        c.language = a.language.min(b.language);
        c.prompt = a.prompt.min(b.prompt);
        c.max_audio_bytes = least(a.max_audio_bytes, b.max_audio_bytes);
        c.only_language = match (a.only_language, b.only_language) {
            (Some(x), Some(y)) if x != y => {
                // No language both know: no hint is taken.
                c.language = crate::capability::Support::Unsupported;
                None
            }
            (x, y) => x.or(y),
        };
        c
    }
);

task_chain!(
    /// A turn detection model made of an ordered list of models, tried in order like
    /// [`FallbackChat`]. Probabilities of different models are not on one scale:
    /// [`Served::served_by`] says whose verdict came back.
    FallbackTurnDetector, TurnDetectionModel, TurnDetectionCapabilities, TurnRequest,
    TurnDetection, detect_turn, detect_turn_served,
    |a, b| {
        let mut c = a;
        c.max_audio_bytes = least(a.max_audio_bytes, b.max_audio_bytes);
        c
    }
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capability::Support;
    use crate::stream::StreamEvent;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A model that fails with `fail` (or answers `ok`), counting its calls; its stream
    /// yields "partial" then fails with `mid` when set.
    #[derive(Debug)]
    struct Scripted {
        model: &'static str,
        fail: Option<ErrorKind>,
        mid: Option<ErrorKind>,
        calls: AtomicUsize,
    }

    fn model(model: &'static str, fail: Option<ErrorKind>) -> Arc<Scripted> {
        Arc::new(Scripted {
            model,
            fail,
            mid: None,
            calls: AtomicUsize::new(0),
        })
    }

    #[async_trait]
    impl ProviderGen for Scripted {
        fn name(&self) -> &str {
            "scripted"
        }
        fn model(&self) -> &str {
            self.model
        }
        fn capabilities(&self) -> ModelCapabilities {
            let caps = Capabilities::uniform(Support::Supported);
            ModelCapabilities {
                sync: caps,
                stream: caps,
            }
        }
        async fn gen_sync(&self, _req: &ChatRequest) -> Result<ChatResponse> {
            self.calls.fetch_add(1, Ordering::SeqCst);
            match self.fail {
                Some(kind) => Err(Error::new(kind, format!("{} failed", self.model))),
                None => Ok(ChatResponse::new(format!("hello from {}", self.model))),
            }
        }
        async fn gen_stream(&self, req: &ChatRequest) -> Result<ChatStream> {
            if let Some(kind) = self.mid {
                self.calls.fetch_add(1, Ordering::SeqCst);
                return Ok(ChatStream::new(futures_util::stream::iter(vec![
                    Ok(StreamEvent::TextDelta("partial".into())),
                    Err(Error::new(kind, "the connection broke")),
                ])));
            }
            Ok(ChatStream::from_response(self.gen_sync(req).await?))
        }
    }

    fn chain(members: &[Arc<Scripted>]) -> FallbackChat {
        FallbackChat::new(members.iter().map(|m| m.clone() as Arc<dyn ProviderGen>)).unwrap()
    }

    fn hi() -> ChatRequest {
        ChatRequest::new().user("hi")
    }

    #[tokio::test]
    async fn busy_then_retired_then_an_answer() {
        let ms = [
            model("busy", Some(ErrorKind::Busy)),
            model("retired", Some(ErrorKind::Retired)),
            model("up", None),
        ];
        let c = chain(&ms);
        let reply = c.gen_sync(&hi()).await.unwrap();
        assert_eq!(reply.text, "hello from up");
        assert_eq!(reply.served_by.as_deref(), Some("up"));
        let tried: Vec<_> = reply
            .attempts
            .iter()
            .map(|a| (a.model.as_str(), a.error.kind))
            .collect();
        assert_eq!(
            tried,
            [("busy", ErrorKind::Busy), ("retired", ErrorKind::Retired)]
        );
        let s = c.gen_stream_served(&hi()).await.unwrap();
        assert_eq!(s.served_by, "up");
        assert_eq!(
            s.stream.collect_response().await.unwrap().text,
            "hello from up"
        );
    }

    #[tokio::test]
    async fn stops_at_once_on_an_invalid_request_auth_and_budget() {
        for kind in [
            ErrorKind::InvalidRequest,
            ErrorKind::Unauthenticated,
            ErrorKind::Budget,
        ] {
            let ms = [model("first", Some(kind)), model("second", None)];
            let err = chain(&ms).gen_sync(&hi()).await.unwrap_err();
            assert_eq!(err.kind(), kind);
            assert_eq!(ms[1].calls.load(Ordering::SeqCst), 0, "{kind}");
        }
        // After a fall-over, the stopping error names what failed before.
        let ms = [
            model("busy", Some(ErrorKind::Busy)),
            model("bad", Some(ErrorKind::InvalidRequest)),
            model("up", None),
        ];
        let err = chain(&ms).gen_sync(&hi()).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidRequest);
        assert!(err.message().contains("after busy: busy"), "{err}");
        assert_eq!(ms[2].calls.load(Ordering::SeqCst), 0);
    }

    #[tokio::test]
    async fn a_stream_that_fails_mid_way_does_not_fall_over() {
        let broken = Arc::new(Scripted {
            model: "broken",
            fail: None,
            mid: Some(ErrorKind::Unavailable),
            calls: AtomicUsize::new(0),
        });
        let up = model("up", None);
        let c = chain(&[broken, up.clone()]);
        let mut s = c.gen_stream_served(&hi()).await.unwrap();
        assert_eq!(s.served_by, "broken");
        assert_eq!(
            s.stream.next_event().await.unwrap().unwrap(),
            StreamEvent::TextDelta("partial".into())
        );
        assert_eq!(
            s.stream.next_event().await.unwrap().unwrap_err().kind(),
            ErrorKind::Unavailable
        );
        assert_eq!(up.calls.load(Ordering::SeqCst), 0);
        // A stream whose first item is a failure falls over.
        let first = Arc::new(Scripted {
            model: "first",
            fail: None,
            mid: None,
            calls: AtomicUsize::new(0),
        });
        let failing_first: Arc<dyn ProviderGen> = Arc::new(FailsFirst);
        let c = FallbackChat::new([failing_first, first as Arc<dyn ProviderGen>]).unwrap();
        let s = c.gen_stream_served(&hi()).await.unwrap();
        assert_eq!(s.served_by, "first");
        assert_eq!(s.attempts.len(), 1);
        let reply = s.stream.collect_response().await.unwrap();
        assert_eq!(reply.text, "hello from first");
    }

    /// A stream whose first item is a capacity error.
    #[derive(Debug)]
    struct FailsFirst;

    #[async_trait]
    impl ProviderGen for FailsFirst {
        fn name(&self) -> &str {
            "scripted"
        }
        fn model(&self) -> &str {
            "fails-first"
        }
        fn capabilities(&self) -> ModelCapabilities {
            let caps = Capabilities::uniform(Support::Supported);
            ModelCapabilities {
                sync: caps,
                stream: caps,
            }
        }
        async fn gen_sync(&self, _req: &ChatRequest) -> Result<ChatResponse> {
            Err(Error::new(ErrorKind::Busy, "busy"))
        }
        async fn gen_stream(&self, _req: &ChatRequest) -> Result<ChatStream> {
            Ok(ChatStream::new(futures_util::stream::iter(vec![Err(
                Error::new(ErrorKind::Busy, "busy"),
            )])))
        }
    }

    #[tokio::test]
    async fn the_last_error_names_every_model_tried_and_capabilities_meet() {
        let ms = [
            model("a", Some(ErrorKind::Busy)),
            model("b", Some(ErrorKind::Unavailable)),
        ];
        let err = chain(&ms).gen_sync(&hi()).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Unavailable);
        assert!(err.message().contains("after a: busy"), "{err}");
        let mut narrow = Capabilities::uniform(Support::Supported);
        narrow.tools = Support::Unsupported;
        let a = Capabilities::uniform(Support::Flaky);
        let met = meet(&a, &narrow);
        assert_eq!(met.tools, Support::Unsupported);
        assert_eq!(met.seed, Support::Flaky);
        assert!(FallbackChat::new(Vec::<Arc<dyn ProviderGen>>::new()).is_err());
    }

    /// An embedder of fixed dimensions that fails with `fail` or returns one vector per text.
    #[derive(Debug)]
    struct Vectors(&'static str, Option<usize>, Option<ErrorKind>);

    #[async_trait]
    impl EmbeddingModel for Vectors {
        fn name(&self) -> &str {
            "scripted"
        }
        fn model(&self) -> &str {
            self.0
        }
        fn capabilities(&self) -> EmbeddingCapabilities {
            EmbeddingCapabilities::new(Some(10), self.1)
        }
        async fn embed(&self, req: &EmbedRequest) -> Result<Embeddings> {
            match self.2 {
                Some(kind) => Err(Error::new(kind, "no")),
                None => Embeddings::new(vec![vec![0.5; 3]; req.inputs.len()]),
            }
        }
    }

    #[tokio::test]
    async fn embedding_chains_fall_over_and_refuse_mixed_dimensions() {
        let busy: Arc<dyn EmbeddingModel> = Arc::new(Vectors("a", Some(3), Some(ErrorKind::Busy)));
        let up: Arc<dyn EmbeddingModel> = Arc::new(Vectors("b", None, None));
        let chain = FallbackEmbedder::new([busy.clone(), up]).unwrap();
        let served = chain
            .embed_served(&EmbedRequest::new(["x", "y"]))
            .await
            .unwrap();
        assert_eq!(served.served_by, "b");
        assert_eq!(served.value.embeddings.len(), 2);
        assert_eq!(served.attempts[0].model, "a");
        assert_eq!(chain.capabilities().dimensions, Some(3));
        let other: Arc<dyn EmbeddingModel> = Arc::new(Vectors("c", Some(4), None));
        let err = FallbackEmbedder::new([busy, other]).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config);
    }

    /// A model of every media kind that fails with its script's next error, or answers once
    /// the script is out, counting its calls.
    #[derive(Debug)]
    struct Media {
        model: &'static str,
        fail: Option<ErrorKind>,
        calls: AtomicUsize,
    }

    impl Media {
        fn answer(&self) -> Result<()> {
            self.calls.fetch_add(1, Ordering::SeqCst);
            match self.fail {
                Some(kind) => Err(Error::new(kind, format!("{} failed", self.model))),
                None => Ok(()),
            }
        }
    }

    fn media(model: &'static str, fail: Option<ErrorKind>) -> Arc<Media> {
        Arc::new(Media {
            model,
            fail,
            calls: AtomicUsize::new(0),
        })
    }

    fn wav() -> crate::media::Media {
        crate::media::Media::with_type("audio/wav", vec![1u8; 64])
    }

    #[async_trait]
    impl ImageModel for Media {
        fn name(&self) -> &str {
            "scripted"
        }
        fn model(&self) -> &str {
            self.model
        }
        fn capabilities(&self) -> ImageCapabilities {
            ImageCapabilities::new(Some(100)).seed()
        }
        async fn generate(&self, _req: &ImageRequest) -> Result<GeneratedImage> {
            self.answer()?;
            let png = crate::media::Media::with_type("image/png", self.model.as_bytes().to_vec());
            Ok(GeneratedImage::new(MediaReply::from_media(png)))
        }
    }

    #[async_trait]
    impl SpeechModel for Media {
        fn name(&self) -> &str {
            "scripted"
        }
        fn model(&self) -> &str {
            self.model
        }
        fn capabilities(&self) -> SpeechCapabilities {
            SpeechCapabilities::new(&["luna", "angus"], &["en"])
        }
        async fn speak(&self, _req: &SpeechRequest) -> Result<MediaReply> {
            self.answer()?;
            let audio =
                crate::media::Media::with_type("audio/mpeg", self.model.as_bytes().to_vec());
            Ok(MediaReply::from_media(audio))
        }
    }

    #[async_trait]
    impl TranscriptionModel for Media {
        fn name(&self) -> &str {
            "scripted"
        }
        fn model(&self) -> &str {
            self.model
        }
        fn capabilities(&self) -> TranscriptionCapabilities {
            TranscriptionCapabilities::default()
        }
        async fn transcribe(&self, _req: &TranscribeRequest) -> Result<Transcript> {
            self.answer()?;
            Ok(Transcript::new(format!("heard by {}", self.model)))
        }
    }

    #[async_trait]
    impl TurnDetectionModel for Media {
        fn name(&self) -> &str {
            "scripted"
        }
        fn model(&self) -> &str {
            self.model
        }
        fn capabilities(&self) -> TurnDetectionCapabilities {
            TurnDetectionCapabilities::default()
        }
        async fn detect_turn(&self, _req: &TurnRequest) -> Result<TurnDetection> {
            self.answer()?;
            Ok(TurnDetection::new(true, 0.9))
        }
    }

    /// What a media chain reports: who served, who failed before (model, kind).
    fn who<T>(served: &Served<T>) -> (String, Vec<(String, ErrorKind)>) {
        let before = served
            .attempts
            .iter()
            .map(|a| (a.model.clone(), a.error.kind))
            .collect();
        (served.served_by.clone(), before)
    }

    fn busy_retired_up() -> [Arc<Media>; 3] {
        [
            media("busy", Some(ErrorKind::Busy)),
            media("retired", Some(ErrorKind::Retired)),
            media("up", None),
        ]
    }

    fn expected() -> (String, Vec<(String, ErrorKind)>) {
        (
            "up".to_owned(),
            vec![
                ("busy".to_owned(), ErrorKind::Busy),
                ("retired".to_owned(), ErrorKind::Retired),
            ],
        )
    }

    #[tokio::test]
    async fn media_chains_go_from_busy_to_retired_to_an_answer() {
        let ms = busy_retired_up();
        let image =
            FallbackImageGenerator::new(ms.iter().map(|m| m.clone() as Arc<dyn ImageModel>))
                .unwrap();
        let served = image
            .generate_served(&ImageRequest::new("a fox").seed(1))
            .await
            .unwrap();
        assert_eq!(who(&served), expected());
        assert_eq!(
            &served.value.reply.collect().await.unwrap().data()[..],
            b"up"
        );

        let speech =
            FallbackSpeech::new(ms.iter().map(|m| m.clone() as Arc<dyn SpeechModel>)).unwrap();
        let served = speech
            .speak_served(&SpeechRequest::new("hello").voice("luna"))
            .await
            .unwrap();
        assert_eq!(who(&served), expected());
        assert_eq!(&served.value.collect().await.unwrap().data()[..], b"up");

        let transcriber =
            FallbackTranscriber::new(ms.iter().map(|m| m.clone() as Arc<dyn TranscriptionModel>))
                .unwrap();
        let served = transcriber
            .transcribe_served(&TranscribeRequest::new(wav()))
            .await
            .unwrap();
        assert_eq!(who(&served), expected());
        assert_eq!(served.value.text, "heard by up");

        let turn =
            FallbackTurnDetector::new(ms.iter().map(|m| m.clone() as Arc<dyn TurnDetectionModel>))
                .unwrap();
        let served = turn
            .detect_turn_served(&TurnRequest::new(wav()))
            .await
            .unwrap();
        assert_eq!(who(&served), expected());
        assert!(served.value.is_complete);
        // Through the kind's trait, the chain is one model: the first one's id, the answer.
        assert_eq!(ImageModel::model(&image), "busy");
        assert!(turn.detect_turn(&TurnRequest::new(wav())).await.is_ok());
        for m in &ms {
            assert_eq!(m.calls.load(Ordering::SeqCst), 5, "{}", m.model);
        }
    }

    #[tokio::test]
    async fn media_chains_stop_at_once_on_an_invalid_request() {
        let fresh = || {
            [
                media("bad", Some(ErrorKind::InvalidRequest)),
                media("up", None),
            ]
        };
        let check = |ms: &[Arc<Media>; 2], e: Error| {
            assert_eq!(e.kind(), ErrorKind::InvalidRequest);
            assert_eq!(ms[1].calls.load(Ordering::SeqCst), 0);
        };
        let ms = fresh();
        let chain =
            FallbackImageGenerator::new(ms.iter().map(|m| m.clone() as Arc<dyn ImageModel>))
                .unwrap();
        check(
            &ms,
            chain
                .generate(&ImageRequest::new("a fox"))
                .await
                .unwrap_err(),
        );
        let ms = fresh();
        let chain =
            FallbackSpeech::new(ms.iter().map(|m| m.clone() as Arc<dyn SpeechModel>)).unwrap();
        check(
            &ms,
            chain.speak(&SpeechRequest::new("hello")).await.unwrap_err(),
        );
        let ms = fresh();
        let chain =
            FallbackTranscriber::new(ms.iter().map(|m| m.clone() as Arc<dyn TranscriptionModel>))
                .unwrap();
        check(
            &ms,
            chain
                .transcribe(&TranscribeRequest::new(wav()))
                .await
                .unwrap_err(),
        );
        let ms = fresh();
        let chain =
            FallbackTurnDetector::new(ms.iter().map(|m| m.clone() as Arc<dyn TurnDetectionModel>))
                .unwrap();
        check(
            &ms,
            chain
                .detect_turn(&TurnRequest::new(wav()))
                .await
                .unwrap_err(),
        );
        // After a fall-over, the stopping error names the model that failed first.
        let ms = [
            media("busy", Some(ErrorKind::Busy)),
            media("bad", Some(ErrorKind::InvalidRequest)),
            media("up", None),
        ];
        let chain =
            FallbackSpeech::new(ms.iter().map(|m| m.clone() as Arc<dyn SpeechModel>)).unwrap();
        let e = chain.speak(&SpeechRequest::new("hello")).await.unwrap_err();
        assert!(e.message().contains("after busy: busy"), "{e}");
        assert_eq!(ms[2].calls.load(Ordering::SeqCst), 0);
    }

    #[tokio::test]
    async fn a_request_a_member_refuses_is_refused_before_any_call() {
        let ms = [media("a", Some(ErrorKind::Busy)), media("b", None)];
        let chain =
            FallbackSpeech::new(ms.iter().map(|m| m.clone() as Arc<dyn SpeechModel>)).unwrap();
        let e = chain
            .speak(&SpeechRequest::new("hello").voice("nova"))
            .await
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidRequest);
        let chain =
            FallbackImageGenerator::new(ms.iter().map(|m| m.clone() as Arc<dyn ImageModel>))
                .unwrap();
        let e = chain
            .generate(&ImageRequest::new("a fox").steps(4))
            .await
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Unsupported);
        assert!(ms.iter().all(|m| m.calls.load(Ordering::SeqCst) == 0));
        assert!(FallbackTurnDetector::new(Vec::<Arc<dyn TurnDetectionModel>>::new()).is_err());
    }

    #[test]
    fn media_capabilities_are_what_every_member_takes() {
        let a = ImageCapabilities::new(Some(2048))
            .size(Range::new(256.0, 2048.0), 8)
            .steps(Range::new(1.0, 8.0))
            .seed()
            .negative_prompt();
        let b = ImageCapabilities::new(Some(1000))
            .size(Range::new(512.0, 1024.0), 64)
            .steps(Range::new(10.0, 50.0))
            .seed();
        #[derive(Debug)]
        struct Draws(ImageCapabilities);
        #[async_trait]
        impl ImageModel for Draws {
            fn name(&self) -> &str {
                "scripted"
            }
            fn model(&self) -> &str {
                "draws"
            }
            fn capabilities(&self) -> ImageCapabilities {
                self.0
            }
            async fn generate(&self, _req: &ImageRequest) -> Result<GeneratedImage> {
                Err(Error::new(ErrorKind::Busy, "busy"))
            }
        }
        let chain = FallbackImageGenerator::new([
            Arc::new(Draws(a)) as Arc<dyn ImageModel>,
            Arc::new(Draws(b)),
        ])
        .unwrap();
        let c = chain.capabilities();
        assert_eq!(c.max_prompt_chars, Some(1000));
        assert_eq!(c.size, Some(Range::new(512.0, 1024.0)));
        assert_eq!(c.size_multiple, Some(64));
        assert_eq!(c.steps, None, "the step ranges do not overlap");
        assert!(!c.negative_prompt && c.seed);
        assert_eq!(lcm(Some(8), Some(12)), Some(24));
        assert_eq!(lcm(None, Some(8)), Some(8));
        assert_eq!(common(&["a", "b"], &["b", "a", "c"]), &["a", "b"]);
        assert_eq!(common(&["a", "b"], &["b", "c"]), &[] as &[&str]);
        assert_eq!(least(Some(3u64), None), Some(3));
        // Through a chain: the speech lists and limits of two members meet.
        #[derive(Debug)]
        struct Voices(&'static [&'static str], Option<usize>);
        #[async_trait]
        impl SpeechModel for Voices {
            fn name(&self) -> &str {
                "scripted"
            }
            fn model(&self) -> &str {
                "voices"
            }
            fn capabilities(&self) -> SpeechCapabilities {
                let mut c = SpeechCapabilities::new(self.0, &[]);
                c.max_text_chars = self.1;
                c
            }
            async fn speak(&self, _req: &SpeechRequest) -> Result<MediaReply> {
                Err(Error::new(ErrorKind::Busy, "busy"))
            }
        }
        let chain = FallbackSpeech::new([
            Arc::new(Voices(&["luna", "angus", "orion"], None)) as Arc<dyn SpeechModel>,
            Arc::new(Voices(&["luna", "angus"], Some(2000))),
        ])
        .unwrap();
        let caps = chain.capabilities();
        assert_eq!(caps.voices, &["luna", "angus"]);
        assert_eq!(caps.max_text_chars, Some(2000));
    }
}
