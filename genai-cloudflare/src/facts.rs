//! What this library knows about every Workers AI model, written once: the model-facts
//! table.
//!
//! One row per model of the catalog recorded on 2026-08-17 (the service's `/ai/models/search`),
//! plus the retired ids the library still recognises. Each row says what kind of model it is,
//! how its chat replies are shaped (its wire), whether it takes the async batch queue, a LoRA,
//! images, how it reasons and which request fields switch that, its voices, languages and input
//! limits, its catalog price, whether it needs the Workers Paid plan, and when it retired and
//! what to use instead. The client asks this table instead of keeping lists of its own; the
//! catalog read at run time overlays it (see [`WorkersAi`](crate::WorkersAi)).
//!
//! ```
//! use genai_cloudflare::facts;
//! use genai_core::ModelStatus;
//! let kimi = facts::lookup("@cf/moonshotai/kimi-k2.6").unwrap();
//! assert!(kimi.paid_only);
//! assert_eq!(kimi.reasoning.unwrap().thinking_key(), Some("thinking"));
//! let old = facts::lookup("@cf/meta/llama-2-7b-chat-int8").unwrap();
//! assert_eq!(old.retired_on, Some("2026-05-30"));
//! assert_eq!(old.status_on("2026-12-01"), ModelStatus::Retired);
//! ```

use genai_core::{Error, ErrorKind, ModelKind, ModelStatus};

use crate::errors::PROVIDER;

/// How a chat model's requests and replies are shaped on `/ai/run`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Wire {
    /// The native shape: `prompt` or `messages` in, `{response, tool_calls, usage}` out.
    Native,
    /// OpenAI chat completions: `messages` in, `choices[]` out.
    OpenAiChat,
    /// Not a chat model: the task's own schema.
    Task,
}

/// Which `chat_template_kwargs` key switches a hybrid model's thinking on or off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Thinking {
    /// The model cannot be switched.
    None,
    /// `chat_template_kwargs.enable_thinking` (thinking on unless switched off).
    EnableThinking,
    /// `chat_template_kwargs.enable_thinking`, off unless switched on (DeepSeek V4).
    EnableThinkingOff,
    /// `chat_template_kwargs.thinking` (Kimi K2.6).
    Thinking,
}

/// Where a model's reasoning arrives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ReasoningField {
    /// Inline in the text, between `<think>` and `</think>`.
    InlineThink,
    /// `message.reasoning_content` (`delta.reasoning_content` when streaming).
    ReasoningContent,
    /// `message.reasoning` (`delta.reasoning`).
    Reasoning,
}

/// How a reasoning effort is asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Effort {
    /// The model takes none.
    None,
    /// Top-level `reasoning_effort` (`low`, `medium`, `high`).
    ReasoningEffort,
    /// The Responses form: `input` with `reasoning.effort` (GPT-OSS).
    Responses,
}

/// How a model reasons, and the field names involved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reasoning {
    /// Where the reasoning arrives in the reply.
    pub reply_field: ReasoningField,
    /// Which key switches thinking.
    pub thinking: Thinking,
    /// How an effort is asked for.
    pub effort: Effort,
}

impl Reasoning {
    /// `<think>` reasoning inline in the text, no controls.
    pub const INLINE_THINK: Reasoning = Reasoning {
        reply_field: ReasoningField::InlineThink,
        thinking: Thinking::None,
        effort: Effort::None,
    };
    /// `reasoning_content` in the reply, no controls.
    pub const REASONING_CONTENT: Reasoning = Reasoning {
        reply_field: ReasoningField::ReasoningContent,
        thinking: Thinking::None,
        effort: Effort::None,
    };
    /// The OpenAI-shaped hybrid models (GLM, Nemotron, Gemma 4, Kimi K2.7 Code):
    /// `reasoning_effort` and `chat_template_kwargs.enable_thinking`.
    pub const OPENAI_HYBRID: Reasoning = Reasoning {
        reply_field: ReasoningField::ReasoningContent,
        thinking: Thinking::EnableThinking,
        effort: Effort::ReasoningEffort,
    };
    /// Kimi K2.6: replies in `reasoning`, switched by `chat_template_kwargs.thinking`.
    pub const KIMI_K2_6: Reasoning = Reasoning {
        reply_field: ReasoningField::Reasoning,
        thinking: Thinking::Thinking,
        effort: Effort::ReasoningEffort,
    };
    /// DeepSeek V4: thinking off unless `enable_thinking` is true; `reasoning_effort`.
    pub const DEEPSEEK_V4: Reasoning = Reasoning {
        reply_field: ReasoningField::ReasoningContent,
        thinking: Thinking::EnableThinkingOff,
        effort: Effort::ReasoningEffort,
    };

    const fn switch(mut self, thinking: Thinking) -> Reasoning {
        self.thinking = thinking;
        self
    }

    const fn effort(mut self, effort: Effort) -> Reasoning {
        self.effort = effort;
        self
    }

    /// The `chat_template_kwargs` key that switches thinking, if any.
    pub fn thinking_key(&self) -> Option<&'static str> {
        match self.thinking {
            Thinking::None => None,
            Thinking::EnableThinking | Thinking::EnableThinkingOff => Some("enable_thinking"),
            Thinking::Thinking => Some("thinking"),
        }
    }
}

/// Everything this library knows about one model. Catalog properties are as the catalog
/// recorded them; the other columns come from the model's published input and output schema.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct ModelFacts {
    /// The model id, as the service spells it (ids are case-sensitive there).
    pub id: &'static str,
    /// The kind of model, which decides the API that serves it.
    pub kind: ModelKind,
    /// The catalog's task name (`Text Generation`, `Text Embeddings`...).
    pub task: &'static str,
    /// How chat requests and replies are shaped ([`Wire::Task`] for other kinds).
    pub wire: Wire,
    /// Whether it takes the async batch queue (catalog `async_queue`).
    pub queue: bool,
    /// Whether the catalog marks it `lora`.
    pub lora: bool,
    /// Whether its input schema has the `lora` field (only then is an adapter applied).
    pub lora_field: bool,
    /// The catalog's `vision` property, when it has one.
    pub vision: Option<bool>,
    /// Whether the catalog marks it `function_calling`.
    pub function_calling: bool,
    /// How it reasons, when the catalog marks it `reasoning`.
    pub reasoning: Option<Reasoning>,
    /// The catalog's `context_window` in tokens.
    pub context_window: Option<u32>,
    /// The catalog's `max_input_tokens` (per input).
    pub max_input_tokens: Option<u32>,
    /// The catalog's `output_dimensions` (vector length).
    pub output_dimensions: Option<u32>,
    /// The most inputs one call takes (the schema's `maxItems`).
    pub max_inputs: Option<u32>,
    /// The language codes it takes (speech, translation).
    pub languages: &'static [&'static str],
    /// The language names of the catalog's `languages` property.
    pub listed_languages: &'static [&'static str],
    /// Its voices; the first is the default.
    pub voices: &'static [&'static str],
    /// The catalog marks it `beta`.
    pub beta: bool,
    /// The catalog marks it `partner`.
    pub partner: bool,
    /// The catalog marks it `realtime`.
    pub realtime: bool,
    /// It needs the Workers Paid plan (catalog `require_workers_paid`).
    pub paid_only: bool,
    /// It is reached over a WebSocket only (no `/ai/run` request works).
    pub websocket_only: bool,
    /// Its request body is multipart form data.
    pub multipart: bool,
    /// The catalog's price: `(unit, USD)` pairs, as recorded.
    pub price: &'static [(&'static str, f64)],
    /// The day it retired (or retires), `YYYY-MM-DD`.
    pub retired_on: Option<&'static str>,
    /// What to use instead once it retired.
    pub replacements: &'static [&'static str],
    /// The model that now answers this id, for an alias.
    pub alias_of: Option<&'static str>,
}

const fn base(id: &'static str, kind: ModelKind, task: &'static str, wire: Wire) -> ModelFacts {
    ModelFacts {
        id,
        kind,
        task,
        wire,
        queue: false,
        lora: false,
        lora_field: false,
        vision: None,
        function_calling: false,
        reasoning: None,
        context_window: None,
        max_input_tokens: None,
        output_dimensions: None,
        max_inputs: None,
        languages: &[],
        listed_languages: &[],
        voices: &[],
        beta: false,
        partner: false,
        realtime: false,
        paid_only: false,
        websocket_only: false,
        multipart: false,
        price: &[],
        retired_on: None,
        replacements: &[],
        alias_of: None,
    }
}

const fn chat(id: &'static str, wire: Wire) -> ModelFacts {
    base(id, ModelKind::Chat, "Text Generation", wire)
}

const fn task(id: &'static str, kind: ModelKind, task: &'static str) -> ModelFacts {
    base(id, kind, task, Wire::Task)
}

impl ModelFacts {
    const fn context(mut self, tokens: u32) -> Self {
        self.context_window = Some(tokens);
        self
    }
    const fn max_input_tokens(mut self, tokens: u32) -> Self {
        self.max_input_tokens = Some(tokens);
        self
    }
    const fn dimensions(mut self, n: u32) -> Self {
        self.output_dimensions = Some(n);
        self
    }
    const fn max_inputs(mut self, n: u32) -> Self {
        self.max_inputs = Some(n);
        self
    }
    const fn queue(mut self) -> Self {
        self.queue = true;
        self
    }
    const fn tools(mut self) -> Self {
        self.function_calling = true;
        self
    }
    const fn lora(mut self) -> Self {
        self.lora = true;
        self
    }
    const fn lora_field(mut self) -> Self {
        self.lora_field = true;
        self
    }
    const fn beta(mut self) -> Self {
        self.beta = true;
        self
    }
    const fn partner(mut self) -> Self {
        self.partner = true;
        self
    }
    const fn realtime(mut self) -> Self {
        self.realtime = true;
        self
    }
    const fn paid_only(mut self) -> Self {
        self.paid_only = true;
        self
    }
    const fn vision(mut self, on: bool) -> Self {
        self.vision = Some(on);
        self
    }
    const fn reasoning(mut self, how: Reasoning) -> Self {
        self.reasoning = Some(how);
        self
    }
    const fn voices(mut self, voices: &'static [&'static str]) -> Self {
        self.voices = voices;
        self
    }
    const fn languages(mut self, codes: &'static [&'static str]) -> Self {
        self.languages = codes;
        self
    }
    const fn listed_languages(mut self, names: &'static [&'static str]) -> Self {
        self.listed_languages = names;
        self
    }
    const fn websocket_only(mut self) -> Self {
        self.websocket_only = true;
        self
    }
    const fn multipart(mut self) -> Self {
        self.multipart = true;
        self
    }
    const fn price(mut self, price: &'static [(&'static str, f64)]) -> Self {
        self.price = price;
        self
    }
    const fn retired(mut self, on: &'static str, replacements: &'static [&'static str]) -> Self {
        self.retired_on = Some(on);
        self.replacements = replacements;
        self
    }
    const fn alias(mut self, of: &'static str, since: &'static str) -> Self {
        self.alias_of = Some(of);
        self.retired_on = Some(since);
        self.replacements = &[];
        self
    }

    /// Where the model stands on `day` (`YYYY-MM-DD`): retired from its retirement day on,
    /// deprecated before it, active without one. An alias is active: another model answers.
    pub fn status_on(&self, day: &str) -> ModelStatus {
        match (self.retired_on, self.alias_of) {
            (_, Some(_)) | (None, _) => ModelStatus::Active,
            (Some(on), None) if on <= day => ModelStatus::Retired,
            (Some(_), None) => ModelStatus::Deprecated,
        }
    }

    /// Where the model stands today (UTC).
    pub fn status(&self) -> ModelStatus {
        self.status_on(&today())
    }

    /// Whether it is in the catalog recorded on 2026-08-17.
    pub fn in_catalog(&self) -> bool {
        self.retired_on.is_none() && self.alias_of.is_none()
    }
}

/// Every model of the table: the catalog's models first (in id order), then the retired ids
/// and aliases.
pub fn all() -> &'static [ModelFacts] {
    MODELS
}

/// The models of the catalog recorded on 2026-08-17.
pub fn catalog() -> impl Iterator<Item = &'static ModelFacts> {
    MODELS.iter().filter(|m| m.in_catalog())
}

/// The facts of `model` (compared without regard to case or a leading `/`).
pub fn lookup(model: &str) -> Option<&'static ModelFacts> {
    let id = model.trim().trim_start_matches('/');
    MODELS.iter().find(|m| m.id.eq_ignore_ascii_case(id))
}

/// The [`ErrorKind::Retired`] error for `model` when it retired by today; `None` for a model
/// still served (or one the table does not know: the service judges).
///
/// ```
/// let e = genai_cloudflare::facts::retired_error("@cf/facebook/bart-large-cnn").unwrap();
/// assert_eq!(e.kind(), genai_core::ErrorKind::Retired);
/// assert!(e.message().contains("2026-05-30"));
/// assert!(genai_cloudflare::facts::retired_error("@cf/meta/llama-3.2-1b-instruct").is_none());
/// ```
pub fn retired_error(model: &str) -> Option<Error> {
    let facts = lookup(model)?;
    let on = facts.retired_on?;
    if facts.status() != ModelStatus::Retired {
        return None;
    }
    let instead = match facts.replacements {
        [] => String::new(),
        [one] => format!("; use `{one}` instead"),
        many => format!(
            "; use one of {} instead",
            many.iter()
                .map(|m| format!("`{m}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    Some(
        Error::new(
            ErrorKind::Retired,
            format!(
                "`{}` was retired on {on}: Workers AI no longer serves it{instead}",
                facts.id
            ),
        )
        .with_provider(PROVIDER),
    )
}

/// The warning a reply of `model` carries when the id is an alias another model answers.
pub fn alias_warning(model: &str) -> Option<String> {
    let facts = lookup(model)?;
    let of = facts.alias_of?;
    Some(format!(
        "`{}` is an alias: since {} Workers AI answers it with `{of}` (at that model's price); \
         ask for `{of}` directly",
        facts.id,
        facts.retired_on.unwrap_or("its retirement")
    ))
}

/// Today's date (UTC) as `YYYY-MM-DD`.
pub fn today() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    civil_date(secs / 86_400)
}

/// The `YYYY-MM-DD` of a day counted from 1970-01-01 (Howard Hinnant's `civil_from_days`).
fn civil_date(days: u64) -> String {
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

/// Aura 1's speakers; the first is its default.
const AURA_1_VOICES: &[&str] = &[
    "angus", "asteria", "arcas", "orion", "orpheus", "athena", "luna", "zeus", "perseus", "helios",
    "hera", "stella",
];

/// Aura 2 English speakers; the first is its default.
const AURA_2_EN_VOICES: &[&str] = &[
    "luna",
    "amalthea",
    "andromeda",
    "apollo",
    "arcas",
    "aries",
    "asteria",
    "athena",
    "atlas",
    "aurora",
    "callista",
    "cora",
    "cordelia",
    "delia",
    "draco",
    "electra",
    "harmonia",
    "helena",
    "hera",
    "hermes",
    "hyperion",
    "iris",
    "janus",
    "juno",
    "jupiter",
    "mars",
    "minerva",
    "neptune",
    "odysseus",
    "ophelia",
    "orion",
    "orpheus",
    "pandora",
    "phoebe",
    "pluto",
    "saturn",
    "thalia",
    "theia",
    "vesta",
    "zeus",
];

/// Aura 2 Spanish speakers; the first is its default.
const AURA_2_ES_VOICES: &[&str] = &[
    "aquila", "sirio", "nestor", "carina", "celeste", "alvaro", "diana", "selena", "estrella",
    "javier",
];

/// The languages MeloTTS reads; the first is its default.
const MELO_LANGUAGES: &[&str] = &["en", "es", "fr", "zh", "ja", "ko"];

/// The language codes m2m100 knows (its 100 languages).
const M2M100_LANGUAGES: &[&str] = &[
    "af", "am", "ar", "ast", "az", "ba", "be", "bg", "bn", "br", "bs", "ca", "ceb", "cs", "cy",
    "da", "de", "el", "en", "es", "et", "fa", "ff", "fi", "fr", "fy", "ga", "gd", "gl", "gu", "ha",
    "he", "hi", "hr", "ht", "hu", "hy", "id", "ig", "ilo", "is", "it", "ja", "jv", "ka", "kk",
    "km", "kn", "ko", "lb", "lg", "ln", "lo", "lt", "lv", "mg", "mk", "ml", "mn", "mr", "ms", "my",
    "ne", "nl", "no", "ns", "oc", "or", "pa", "pl", "ps", "pt", "ro", "ru", "sd", "si", "sk", "sl",
    "so", "sq", "sr", "ss", "su", "sv", "sw", "ta", "th", "tl", "tn", "tr", "uk", "ur", "uz", "vi",
    "wo", "xh", "yi", "yo", "zh", "zu",
];

/// The languages the catalog names for m2m100.
const M2M100_LISTED: &[&str] = &[
    "english",
    "chinese",
    "french",
    "spanish",
    "arabic",
    "russian",
    "german",
    "japanese",
    "portuguese",
    "hindi",
];

/// IndicTrans2's target languages (FLORES-200 codes); the first is its default.
const INDICTRANS2_LANGUAGES: &[&str] = &[
    "hin_Deva", "asm_Beng", "awa_Deva", "ben_Beng", "bho_Deva", "brx_Deva", "doi_Deva", "eng_Latn",
    "gom_Deva", "gon_Deva", "guj_Gujr", "hne_Deva", "kan_Knda", "kas_Arab", "kas_Deva", "kha_Latn",
    "lus_Latn", "mag_Deva", "mai_Deva", "mal_Mlym", "mar_Deva", "mni_Beng", "mni_Mtei", "npi_Deva",
    "ory_Orya", "pan_Guru", "san_Deva", "sat_Olck", "snd_Arab", "snd_Deva", "tam_Taml", "tel_Telu",
    "urd_Arab", "unr_Deva",
];

/// Replacements for retired small chat models.
const SMALL_CHAT: &[&str] = &[
    "@cf/meta/llama-3.1-8b-instruct-fp8",
    "@cf/meta/llama-3.2-3b-instruct",
];
/// Replacements for retired tiny chat models.
const TINY_CHAT: &[&str] = &[
    "@cf/meta/llama-3.2-1b-instruct",
    "@cf/meta/llama-3.2-3b-instruct",
];
/// Replacements for retired Mistral 7B builds.
const MISTRAL: &[&str] = &[
    "@cf/mistralai/mistral-small-3.1-24b-instruct",
    "@cf/mistral/mistral-7b-instruct-v0.2-lora",
];
/// Replacements for retired code models.
const CODE: &[&str] = &[
    "@cf/qwen/qwen2.5-coder-32b-instruct",
    "@cf/moonshotai/kimi-k2.7-code",
];
/// Replacements for retired Qwen 1.5 chat models.
const QWEN: &[&str] = &[
    "@cf/qwen/qwen3-30b-a3b-fp8",
    "@cf/meta/llama-3.2-3b-instruct",
];
/// Replacements for retired Gemma models.
const GEMMA: &[&str] = &[
    "@cf/google/gemma-4-26b-a4b-it",
    "@cf/google/gemma-7b-it-lora",
];

const MODELS: &[ModelFacts] = &[
    task(
        "@cf/ai4bharat/indictrans2-en-indic-1B",
        ModelKind::Translation,
        "Translation",
    )
    .languages(INDICTRANS2_LANGUAGES)
    .price(&[
        ("per M input tokens", 0.342),
        ("per M output tokens", 0.342),
    ]),
    chat("@cf/aisingapore/gemma-sea-lion-v4-27b-it", Wire::OpenAiChat)
        .context(128_000)
        .price(&[
            ("per M input tokens", 0.351),
            ("per M output tokens", 0.555),
        ]),
    task(
        "@cf/baai/bge-base-en-v1.5",
        ModelKind::Embedding,
        "Text Embeddings",
    )
    .context(153_600)
    .max_input_tokens(512)
    .dimensions(768)
    .queue()
    .max_inputs(100)
    .price(&[("per M input tokens", 0.0666)]),
    task(
        "@cf/baai/bge-large-en-v1.5",
        ModelKind::Embedding,
        "Text Embeddings",
    )
    .max_input_tokens(512)
    .dimensions(1024)
    .queue()
    .max_inputs(100)
    .price(&[("per M input tokens", 0.204)]),
    task("@cf/baai/bge-m3", ModelKind::Embedding, "Text Embeddings")
        .context(60_000)
        .max_inputs(100)
        .price(&[("per M input tokens", 0.0118)]),
    task(
        "@cf/baai/bge-reranker-base",
        ModelKind::Reranking,
        "Text Classification",
    )
    .price(&[("per M input tokens", 0.00311)]),
    task(
        "@cf/baai/bge-small-en-v1.5",
        ModelKind::Embedding,
        "Text Embeddings",
    )
    .max_input_tokens(512)
    .dimensions(384)
    .queue()
    .max_inputs(100)
    .price(&[("per M input tokens", 0.0202)]),
    task(
        "@cf/black-forest-labs/flux-1-schnell",
        ModelKind::TextToImage,
        "Text-to-Image",
    ),
    task(
        "@cf/black-forest-labs/flux-2-dev",
        ModelKind::TextToImage,
        "Text-to-Image",
    )
    .partner()
    .multipart(),
    task(
        "@cf/black-forest-labs/flux-2-klein-4b",
        ModelKind::TextToImage,
        "Text-to-Image",
    )
    .partner()
    .multipart(),
    task(
        "@cf/black-forest-labs/flux-2-klein-9b",
        ModelKind::TextToImage,
        "Text-to-Image",
    )
    .partner()
    .multipart(),
    task(
        "@cf/bytedance/stable-diffusion-xl-lightning",
        ModelKind::TextToImage,
        "Text-to-Image",
    )
    .beta()
    .price(&[("per step", 0.0)]),
    task(
        "@cf/deepgram/aura-1",
        ModelKind::TextToSpeech,
        "Text-to-Speech",
    )
    .queue()
    .partner()
    .realtime()
    .voices(AURA_1_VOICES)
    .price(&[("per 1k characters", 0.015)]),
    task(
        "@cf/deepgram/aura-2-en",
        ModelKind::TextToSpeech,
        "Text-to-Speech",
    )
    .queue()
    .partner()
    .realtime()
    .voices(AURA_2_EN_VOICES)
    .price(&[("per 1k characters", 0.03)]),
    task(
        "@cf/deepgram/aura-2-es",
        ModelKind::TextToSpeech,
        "Text-to-Speech",
    )
    .queue()
    .partner()
    .realtime()
    .voices(AURA_2_ES_VOICES)
    .price(&[("per 1k characters", 0.03)]),
    task(
        "@cf/deepgram/flux",
        ModelKind::SpeechRecognition,
        "Automatic Speech Recognition",
    )
    .partner()
    .realtime()
    .websocket_only()
    .price(&[("per audio minute (websocket)", 0.0077)]),
    task(
        "@cf/deepgram/nova-3",
        ModelKind::SpeechRecognition,
        "Automatic Speech Recognition",
    )
    .queue()
    .partner()
    .realtime()
    .price(&[
        ("per audio minute", 0.0052),
        ("per audio minute (websocket)", 0.0092),
    ]),
    chat("@cf/deepseek-ai/deepseek-r1-distill-qwen-32b", Wire::Native)
        .context(80_000)
        .reasoning(Reasoning::INLINE_THINK)
        .price(&[
            ("per M input tokens", 0.497),
            ("per M output tokens", 4.881),
        ]),
    chat("@cf/deepseek-ai/deepseek-v4-flash-0731", Wire::OpenAiChat)
        .context(1_310_720)
        .tools()
        .paid_only()
        .vision(false)
        .reasoning(Reasoning::DEEPSEEK_V4)
        .price(&[
            ("per M input tokens", 0.44),
            ("per M output tokens", 1.32),
            ("per M cached input tokens", 0.014),
        ]),
    chat("@cf/deepseek-ai/deepseek-v4-pro-0813", Wire::OpenAiChat)
        .context(1_048_576)
        .tools()
        .paid_only()
        .vision(false)
        .reasoning(Reasoning::DEEPSEEK_V4)
        .price(&[
            ("per M input tokens", 1.32),
            ("per M output tokens", 3.96),
            ("per M cached input tokens", 0.044),
        ]),
    task(
        "@cf/google/embeddinggemma-300m",
        ModelKind::Embedding,
        "Text Embeddings",
    )
    .beta()
    .max_inputs(100),
    chat("@cf/google/gemma-2b-it-lora", Wire::Native)
        .context(8_192)
        .lora()
        .beta()
        .lora_field(),
    chat("@cf/google/gemma-4-26b-a4b-it", Wire::OpenAiChat)
        .context(256_000)
        .queue()
        .tools()
        .vision(true)
        .reasoning(Reasoning::OPENAI_HYBRID)
        .price(&[("per M input tokens", 0.1), ("per M output tokens", 0.3)]),
    chat("@cf/google/gemma-7b-it-lora", Wire::Native)
        .context(3_500)
        .lora()
        .beta()
        .lora_field(),
    task(
        "@cf/huggingface/distilbert-sst-2-int8",
        ModelKind::TextClassification,
        "Text Classification",
    )
    .price(&[("per M input tokens", 0.0263)]),
    chat("@cf/ibm-granite/granite-4.0-h-micro", Wire::OpenAiChat)
        .context(131_000)
        .tools()
        .price(&[
            ("per M input tokens", 0.017),
            ("per M output tokens", 0.112),
        ]),
    task(
        "@cf/leonardo/lucid-origin",
        ModelKind::TextToImage,
        "Text-to-Image",
    )
    .partner()
    .price(&[("per 512 by 512 tile", 0.007), ("per step", 0.000132)]),
    task(
        "@cf/leonardo/phoenix-1.0",
        ModelKind::TextToImage,
        "Text-to-Image",
    )
    .partner()
    .price(&[("per 512 by 512 tile", 0.00583), ("per step", 0.00011)]),
    task(
        "@cf/llava-hf/llava-1.5-7b-hf",
        ModelKind::ImageToText,
        "Image-to-Text",
    )
    .beta(),
    task(
        "@cf/lykon/dreamshaper-8-lcm",
        ModelKind::TextToImage,
        "Text-to-Image",
    ),
    chat("@cf/meta-llama/llama-2-7b-chat-hf-lora", Wire::Native)
        .context(8_192)
        .lora()
        .beta()
        .lora_field(),
    chat("@cf/meta/llama-3.1-8b-instruct-fp8", Wire::Native)
        .context(32_000)
        .price(&[
            ("per M input tokens", 0.152),
            ("per M output tokens", 0.287),
        ]),
    chat("@cf/meta/llama-3.2-11b-vision-instruct", Wire::Native)
        .context(128_000)
        .lora()
        .lora_field()
        .vision(true)
        .price(&[
            ("per M input tokens", 0.0485),
            ("per M output tokens", 0.676),
        ]),
    chat("@cf/meta/llama-3.2-1b-instruct", Wire::Native)
        .context(60_000)
        .price(&[
            ("per M input tokens", 0.027),
            ("per M output tokens", 0.201),
        ]),
    chat("@cf/meta/llama-3.2-3b-instruct", Wire::Native)
        .context(80_000)
        .lora()
        .lora_field()
        .price(&[
            ("per M input tokens", 0.0509),
            ("per M output tokens", 0.335),
        ]),
    chat("@cf/meta/llama-3.3-70b-instruct-fp8-fast", Wire::Native)
        .context(24_000)
        .queue()
        .tools()
        .price(&[
            ("per M input tokens", 0.293),
            ("per M output tokens", 2.253),
        ]),
    chat("@cf/meta/llama-4-scout-17b-16e-instruct", Wire::Native)
        .context(131_000)
        .queue()
        .tools()
        .vision(true)
        .price(&[("per M input tokens", 0.27), ("per M output tokens", 0.85)]),
    chat("@cf/meta/llama-guard-3-8b", Wire::Native)
        .context(131_072)
        .lora()
        .price(&[("per M input tokens", 0.484), ("per M output tokens", 0.03)]),
    task(
        "@cf/meta/m2m100-1.2b",
        ModelKind::Translation,
        "Translation",
    )
    .queue()
    .languages(M2M100_LANGUAGES)
    .listed_languages(M2M100_LISTED)
    .price(&[
        ("per M input tokens", 0.342),
        ("per M output tokens", 0.342),
    ]),
    task(
        "@cf/microsoft/resnet-50",
        ModelKind::ImageClassification,
        "Image Classification",
    )
    .price(&[("per inference request", 2.51e-06)]),
    chat("@cf/mistral/mistral-7b-instruct-v0.2-lora", Wire::Native)
        .context(15_000)
        .lora()
        .beta()
        .lora_field(),
    chat("@cf/mistralai/mistral-small-3.1-24b-instruct", Wire::Native)
        .context(128_000)
        .tools()
        .price(&[
            ("per M input tokens", 0.351),
            ("per M output tokens", 0.555),
        ]),
    task(
        "@cf/moondream/moondream3.1-9B-A2B",
        ModelKind::ImageToText,
        "Image-to-Text",
    )
    .vision(true)
    .price(&[("per M input tokens", 0.3), ("per M output tokens", 1.0)]),
    chat("@cf/moonshotai/kimi-k2.6", Wire::OpenAiChat)
        .context(262_144)
        .queue()
        .tools()
        .paid_only()
        .vision(true)
        .reasoning(Reasoning::KIMI_K2_6)
        .price(&[
            ("per M input tokens", 0.95),
            ("per M output tokens", 4.0),
            ("per M cached input tokens", 0.16),
        ]),
    chat("@cf/moonshotai/kimi-k2.7-code", Wire::OpenAiChat)
        .context(262_144)
        .tools()
        .paid_only()
        .vision(true)
        .reasoning(Reasoning::OPENAI_HYBRID)
        .price(&[
            ("per M input tokens", 0.95),
            ("per M output tokens", 4.0),
            ("per M cached input tokens", 0.19),
        ]),
    task(
        "@cf/myshell-ai/melotts",
        ModelKind::TextToSpeech,
        "Text-to-Speech",
    )
    .languages(MELO_LANGUAGES)
    .price(&[("per audio minute", 0.000205)]),
    chat("@cf/nvidia/nemotron-3-120b-a12b", Wire::OpenAiChat)
        .context(256_000)
        .tools()
        .reasoning(Reasoning::OPENAI_HYBRID)
        .price(&[("per M input tokens", 0.5), ("per M output tokens", 1.5)]),
    chat("@cf/openai/gpt-oss-120b", Wire::OpenAiChat)
        .context(128_000)
        .tools()
        .reasoning(Reasoning::REASONING_CONTENT.effort(Effort::Responses))
        .price(&[("per M input tokens", 0.35), ("per M output tokens", 0.75)]),
    chat("@cf/openai/gpt-oss-20b", Wire::OpenAiChat)
        .context(128_000)
        .tools()
        .reasoning(Reasoning::REASONING_CONTENT.effort(Effort::Responses))
        .price(&[("per M input tokens", 0.2), ("per M output tokens", 0.3)]),
    task(
        "@cf/openai/whisper",
        ModelKind::SpeechRecognition,
        "Automatic Speech Recognition",
    )
    .price(&[("per audio minute", 0.000453)]),
    task(
        "@cf/openai/whisper-large-v3-turbo",
        ModelKind::SpeechRecognition,
        "Automatic Speech Recognition",
    )
    .queue()
    .price(&[("per audio minute", 0.000513)]),
    task(
        "@cf/openai/whisper-tiny-en",
        ModelKind::SpeechRecognition,
        "Automatic Speech Recognition",
    )
    .beta(),
    task(
        "@cf/pfnet/plamo-embedding-1b",
        ModelKind::Embedding,
        "Text Embeddings",
    )
    .price(&[("per M input tokens", 0.0186)]),
    task(
        "@cf/pipecat-ai/smart-turn-v2",
        ModelKind::TurnDetection,
        "Dumb Pipe",
    )
    .queue()
    .realtime()
    .price(&[("per audio minute", 0.000338)]),
    chat("@cf/qwen/qwen2.5-coder-32b-instruct", Wire::Native)
        .context(32_768)
        .lora()
        .lora_field()
        .price(&[("per M input tokens", 0.66), ("per M output tokens", 1.0)]),
    chat("@cf/qwen/qwen3-30b-a3b-fp8", Wire::OpenAiChat)
        .context(32_768)
        .queue()
        .tools()
        .reasoning(Reasoning::REASONING_CONTENT.switch(Thinking::EnableThinking))
        .price(&[
            ("per M input tokens", 0.0509),
            ("per M output tokens", 0.335),
        ]),
    task(
        "@cf/qwen/qwen3-embedding-0.6b",
        ModelKind::Embedding,
        "Text Embeddings",
    )
    .context(8_192)
    .max_inputs(32)
    .price(&[("per M input tokens", 0.0118)]),
    chat("@cf/qwen/qwq-32b", Wire::Native)
        .context(24_000)
        .lora()
        .reasoning(Reasoning::INLINE_THINK)
        .price(&[("per M input tokens", 0.66), ("per M output tokens", 1.0)]),
    task(
        "@cf/runwayml/stable-diffusion-v1-5-img2img",
        ModelKind::TextToImage,
        "Text-to-Image",
    )
    .beta()
    .price(&[("per step", 0.0)]),
    task(
        "@cf/runwayml/stable-diffusion-v1-5-inpainting",
        ModelKind::TextToImage,
        "Text-to-Image",
    )
    .beta()
    .price(&[("per step", 0.0)]),
    task(
        "@cf/stabilityai/stable-diffusion-xl-base-1.0",
        ModelKind::TextToImage,
        "Text-to-Image",
    )
    .beta()
    .price(&[("per step", 0.0)]),
    chat("@cf/zai-org/glm-4.7-flash", Wire::OpenAiChat)
        .context(131_072)
        .tools()
        .reasoning(Reasoning::OPENAI_HYBRID)
        .price(&[("per M input tokens", 0.0605), ("per M output tokens", 0.4)]),
    chat("@cf/zai-org/glm-5.2", Wire::OpenAiChat)
        .context(262_144)
        .tools()
        .paid_only()
        .reasoning(Reasoning::OPENAI_HYBRID)
        .price(&[
            ("per M input tokens", 1.4),
            ("per M output tokens", 4.4),
            ("per M cached input tokens", 0.26),
        ]),
    // Retired ids: the service answers them as ids it does not serve.
    chat("@hf/thebloke/deepseek-coder-6.7b-base-awq", Wire::Native).retired("2025-10-01", CODE),
    chat(
        "@hf/thebloke/deepseek-coder-6.7b-instruct-awq",
        Wire::Native,
    )
    .retired("2025-10-01", CODE),
    chat("@cf/deepseek-ai/deepseek-math-7b-instruct", Wire::Native).retired(
        "2025-10-01",
        &[
            "@cf/qwen/qwq-32b",
            "@cf/deepseek-ai/deepseek-r1-distill-qwen-32b",
        ],
    ),
    chat("@cf/thebloke/discolm-german-7b-v1-awq", Wire::Native).retired("2025-10-01", MISTRAL),
    chat("@cf/tiiuae/falcon-7b-instruct", Wire::Native).retired("2025-10-01", SMALL_CHAT),
    chat("@hf/thebloke/llama-2-13b-chat-awq", Wire::Native).retired("2025-10-01", SMALL_CHAT),
    chat("@hf/thebloke/llamaguard-7b-awq", Wire::Native)
        .retired("2025-10-01", &["@cf/meta/llama-guard-3-8b"]),
    chat("@hf/thebloke/mistral-7b-instruct-v0.1-awq", Wire::Native).retired("2025-10-01", MISTRAL),
    chat("@hf/thebloke/neural-chat-7b-v3-1-awq", Wire::Native).retired("2025-10-01", SMALL_CHAT),
    chat("@cf/openchat/openchat-3.5-0106", Wire::Native).retired("2025-10-01", SMALL_CHAT),
    chat("@hf/thebloke/openhermes-2.5-mistral-7b-awq", Wire::Native).retired("2025-10-01", MISTRAL),
    chat("@cf/qwen/qwen1.5-0.5b-chat", Wire::Native).retired("2025-10-01", TINY_CHAT),
    chat("@cf/qwen/qwen1.5-1.8b-chat", Wire::Native).retired("2025-10-01", TINY_CHAT),
    chat("@cf/qwen/qwen1.5-14b-chat-awq", Wire::Native).retired("2025-10-01", QWEN),
    chat("@cf/qwen/qwen1.5-7b-chat-awq", Wire::Native).retired("2025-10-01", QWEN),
    chat("@hf/nexusflow/starling-lm-7b-beta", Wire::Native).retired("2025-10-01", SMALL_CHAT),
    chat("@cf/tinyllama/tinyllama-1.1b-chat-v1.0", Wire::Native).retired("2025-10-01", TINY_CHAT),
    chat("@cf/fblgit/una-cybertron-7b-v2-bf16", Wire::Native).retired("2025-10-01", SMALL_CHAT),
    chat("@hf/thebloke/zephyr-7b-beta-awq", Wire::Native).retired("2025-10-01", SMALL_CHAT),
    chat("@hf/meta-llama/meta-llama-3-8b-instruct", Wire::Native).retired("2026-05-30", SMALL_CHAT),
    chat("@cf/meta/llama-3-8b-instruct", Wire::Native).retired("2026-05-30", SMALL_CHAT),
    chat("@cf/meta/llama-3-8b-instruct-awq", Wire::Native).retired("2026-05-30", SMALL_CHAT),
    chat("@cf/meta/llama-3.1-8b-instruct-awq", Wire::Native).retired("2026-05-30", SMALL_CHAT),
    chat("@cf/meta/llama-2-7b-chat-int8", Wire::Native).retired("2026-05-30", SMALL_CHAT),
    chat("@cf/meta/llama-2-7b-chat-fp16", Wire::Native).retired("2026-05-30", SMALL_CHAT),
    chat("@cf/mistral/mistral-7b-instruct-v0.1", Wire::Native).retired("2026-05-30", MISTRAL),
    chat("@hf/mistral/mistral-7b-instruct-v0.2", Wire::Native).retired("2026-05-30", MISTRAL),
    chat("@hf/google/gemma-7b-it", Wire::Native).retired("2026-05-30", GEMMA),
    chat("@cf/google/gemma-3-12b-it", Wire::Native).retired("2026-05-30", GEMMA),
    chat("@hf/nousresearch/hermes-2-pro-mistral-7b", Wire::Native).retired(
        "2026-05-30",
        &[
            "@cf/mistralai/mistral-small-3.1-24b-instruct",
            "@cf/meta/llama-3.3-70b-instruct-fp8-fast",
        ],
    ),
    chat("@cf/microsoft/phi-2", Wire::Native).retired("2026-05-30", TINY_CHAT),
    chat("@cf/defog/sqlcoder-7b-2", Wire::Native).retired("2026-05-30", CODE),
    task(
        "@cf/unum/uform-gen2-qwen-500m",
        ModelKind::ImageToText,
        "Image-to-Text",
    )
    .retired(
        "2026-05-30",
        &[
            "@cf/llava-hf/llava-1.5-7b-hf",
            "@cf/moondream/moondream3.1-9B-A2B",
        ],
    ),
    task(
        "@cf/facebook/bart-large-cnn",
        ModelKind::Summarization,
        "Summarization",
    )
    .retired("2026-05-30", &["@cf/meta/llama-3.1-8b-instruct-fp8"]),
    // Kimi K2.5 now answers with Kimi K2.6 (and at its price).
    chat("@cf/moonshotai/kimi-k2.5", Wire::OpenAiChat)
        .tools()
        .reasoning(Reasoning::KIMI_K2_6)
        .alias("@cf/moonshotai/kimi-k2.6", "2026-05-30"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_count_from_the_epoch() {
        assert_eq!(civil_date(0), "1970-01-01");
        assert_eq!(civil_date(20_603), "2026-05-30");
        assert_eq!(civil_date(11_016), "2000-02-29");
        assert_eq!(today().len(), 10);
    }

    #[test]
    fn a_retirement_day_makes_a_model_deprecated_then_retired() {
        let phi = lookup("@cf/microsoft/phi-2").unwrap();
        assert_eq!(phi.status_on("2026-05-29"), ModelStatus::Deprecated);
        assert_eq!(phi.status_on("2026-05-30"), ModelStatus::Retired);
        let kimi = lookup("@cf/moonshotai/kimi-k2.5").unwrap();
        assert_eq!(kimi.status_on("2027-01-01"), ModelStatus::Active);
        assert_eq!(
            lookup("@cf/zai-org/glm-4.7-flash")
                .unwrap()
                .status_on("2030-01-01"),
            ModelStatus::Active
        );
    }

    #[test]
    fn the_table_is_consistent() {
        let mut seen = std::collections::BTreeSet::new();
        for f in all() {
            assert!(seen.insert(f.id.to_ascii_lowercase()), "{} twice", f.id);
            assert_eq!(f.kind == ModelKind::Chat, f.wire != Wire::Task, "{}", f.id);
            for r in f.replacements {
                let to = lookup(r).unwrap_or_else(|| panic!("{}: {r} unknown", f.id));
                assert!(to.in_catalog(), "{}: {r} is not served", f.id);
            }
            if f.lora_field {
                assert!(f.lora, "{}: a lora field without the catalog's lora", f.id);
            }
        }
        assert_eq!(catalog().count(), 63);
        assert_eq!(
            all()
                .iter()
                .filter(|f| f.retired_on.is_some() && f.alias_of.is_none())
                .count(),
            34
        );
        // Ids are found whatever their case, and keep the service's spelling.
        assert_eq!(
            lookup("@cf/moondream/moondream3.1-9b-a2b").map(|f| f.id),
            Some("@cf/moondream/moondream3.1-9B-A2B")
        );
    }
}
