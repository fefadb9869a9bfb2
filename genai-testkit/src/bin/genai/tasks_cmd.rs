//! The task commands beyond chat: `embed`, `rerank`, `classify`, `translate`, `summarize`
//! (docs/cli.md, "Tasks beyond chat"), and the `--task` filter of `genai models`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::Args;
use genai_cloudflare::WorkersAi;
use genai_core::{
    Attempt, ClassificationModel, ClassifyRequest, Cost, EmbedRequest, EmbeddingModel, Error,
    FallbackClassifier, FallbackEmbedder, FallbackReranker, FallbackSummarizer, FallbackTranslator,
    ModelInfo, ModelKind, Pooling, RerankRequest, RerankingModel, Result, Served,
    SummarizationModel, SummarizeRequest, TranslateRequest, TranslationModel, Usage,
};

use super::{emit_line, input, provider, Format, ProviderArgs};
use crate::fallback_args::{note_attempts, FallbackArgs, ServedFields};

/// Default model of `genai embed`.
pub(crate) const EMBED_MODEL: &str = "@cf/baai/bge-base-en-v1.5";
/// Default model of `genai rerank`.
pub(crate) const RERANK_MODEL: &str = "@cf/baai/bge-reranker-base";
/// Default model of `genai classify` for a text.
pub(crate) const CLASSIFY_MODEL: &str = "@cf/huggingface/distilbert-sst-2-int8";
/// Default model of `genai classify --image`.
pub(crate) const CLASSIFY_IMAGE_MODEL: &str = "@cf/microsoft/resnet-50";
/// Default model of `genai translate`.
pub(crate) const TRANSLATE_MODEL: &str = "@cf/meta/m2m100-1.2b";
/// Default model of `genai summarize`.
pub(crate) const SUMMARIZE_MODEL: &str = genai_cloudflare::DEFAULT_SUMMARY_MODEL;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum PoolingArg {
    Mean,
    Cls,
}

/// `genai embed`.
#[derive(Args, Debug)]
pub(crate) struct EmbedArgs {
    /// Texts to embed (`-` reads one text from standard input).
    texts: Vec<String>,
    #[command(flatten)]
    pub(crate) provider: ProviderArgs,
    #[command(flatten)]
    fallback: FallbackArgs,
    /// A file of texts, one per line (after the TEXT arguments); `-` reads them from
    /// standard input, one vector per line.
    #[arg(long, value_name = "FILE")]
    input: Option<PathBuf>,
    /// How token vectors are pooled (mean and cls vectors are not comparable).
    #[arg(long, value_enum)]
    pooling: Option<PoolingArg>,
}

/// `genai rerank`.
#[derive(Args, Debug)]
pub(crate) struct RerankArgs {
    /// Documents to score (`-` reads one from standard input).
    documents: Vec<String>,
    #[command(flatten)]
    pub(crate) provider: ProviderArgs,
    #[command(flatten)]
    fallback: FallbackArgs,
    /// What the documents are scored against (`-` reads it from standard input).
    #[arg(long)]
    query: String,
    /// A file of documents, one per line (after the DOC arguments); `-` reads standard input.
    #[arg(long, value_name = "FILE")]
    input: Option<PathBuf>,
    /// Keep only the best N.
    #[arg(long, value_name = "N")]
    top_k: Option<usize>,
}

/// `genai classify`.
#[derive(Args, Debug)]
pub(crate) struct ClassifyArgs {
    /// The text to classify (`-` reads standard input).
    text: Option<String>,
    #[command(flatten)]
    pub(crate) provider: ProviderArgs,
    #[command(flatten)]
    fallback: FallbackArgs,
    /// Classify this image file instead of a text (`-` reads it from standard input).
    #[arg(long, value_name = "FILE", conflicts_with = "text")]
    image: Option<PathBuf>,
    /// Keep only the best N labels.
    #[arg(long, value_name = "N")]
    top_k: Option<usize>,
}

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

macro_rules! format_of {
    ($($t:ty),*) => {$(
        impl $t {
            /// The output format asked for.
            pub(crate) fn format(&self) -> Format {
                self.provider.format
            }
        }
    )*};
}
format_of!(
    EmbedArgs,
    RerankArgs,
    ClassifyArgs,
    TranslateArgs,
    SummarizeArgs
);

/// The provider and the model id: `--model` (or `GENAI_MODEL`), else the command's default.
fn workers_ai(args: &ProviderArgs, default: &str) -> Result<(WorkersAi, String)> {
    let model = args.model.clone().unwrap_or_else(|| default.to_owned());
    Ok((provider(args)?.provider(), model))
}

/// Standard input, read once, as UTF-8 text.
fn stdin_text() -> Result<String> {
    input::text_arg("-", "text", input::MAX_TEXT_BYTES)
}

fn file_text(path: &Path) -> Result<String> {
    input::read_text(path, "input", input::MAX_TEXT_BYTES)
}

/// The argument texts (`-` = standard input, read once) followed by the file's lines. A blank
/// line inside the file is refused (dropping it would shift every index after it).
fn gather(args: &[String], input: Option<&Path>) -> Result<Vec<String>> {
    let mut stdin: Option<String> = None;
    let mut texts = Vec::with_capacity(args.len());
    for a in args {
        if a == "-" {
            if stdin.is_none() {
                stdin = Some(stdin_text()?);
            }
            texts.push(stdin.clone().unwrap_or_default());
        } else {
            texts.push(a.clone());
        }
    }
    if let Some(path) = input {
        let text = file_text(path)?;
        for (i, line) in text.lines().enumerate() {
            let line = line.strip_suffix('\r').unwrap_or(line);
            if line.trim().is_empty() {
                return Err(Error::invalid_request(format!(
                    "line {} of {} is blank (one text per line)",
                    i + 1,
                    path.display()
                )));
            }
            texts.push(line.to_owned());
        }
    }
    Ok(texts)
}

/// One text from an argument (`-` = standard input) or a file (`-` too); `alternative`
/// names the command's other way to give it, for the error when none is given.
fn one_text(
    arg: Option<&str>,
    input: Option<&Path>,
    what: &str,
    alternative: &str,
) -> Result<String> {
    match (arg, input) {
        (Some("-"), _) => stdin_text(),
        (Some(text), _) => Ok(text.to_owned()),
        (None, Some(path)) => file_text(path),
        (None, None) => Err(Error::invalid_request(format!(
            "nothing to {what}: give a TEXT (or `-` for standard input){alternative}"
        ))),
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

/// Who served a call through a chain: the model and the ones that failed first.
struct Who {
    model: String,
    attempts: Vec<Attempt>,
}

impl Who {
    fn of<T>(served: Served<T>) -> (T, Option<Who>) {
        let who = Who {
            model: served.served_by,
            attempts: served.attempts,
        };
        (served.value, Some(who))
    }

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

fn json_line(value: &impl serde::Serialize) {
    // Plain data with string keys: serialising it cannot fail.
    emit_line(&serde_json::to_string(value).unwrap_or_default());
}

#[derive(serde::Serialize)]
struct EmbedLine<'a> {
    model: &'a str,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    served: Option<ServedFields<'a>>,
    dimensions: usize,
    embeddings: &'a [Vec<f32>],
    usage: &'a Usage,
    cost: Option<Cost>,
}

pub(crate) async fn embed(args: EmbedArgs) -> Result<()> {
    let (workers, model) = workers_ai(&args.provider, EMBED_MODEL)?;
    let embedder = workers.embedder(&model)?;
    let texts = gather(&args.texts, args.input.as_deref())?;
    let mut req = EmbedRequest::new(texts);
    if let Some(p) = args.pooling {
        req = req.pooling(match p {
            PoolingArg::Mean => Pooling::Mean,
            PoolingArg::Cls => Pooling::Cls,
        });
    }
    let (out, who) = if args.fallback.any() {
        let all = members(
            Arc::new(embedder.clone()) as Arc<dyn EmbeddingModel>,
            &args.fallback,
            |m| Ok(Arc::new(workers.embedder(m)?) as Arc<dyn EmbeddingModel>),
        )?;
        Who::of(
            FallbackEmbedder::new(all)?
                .check_capabilities(!args.provider.no_capability_check)
                .embed_served(&req)
                .await?,
        )
    } else {
        (embedder.embed(&req).await?, None)
    };
    let served = Who::fields(&who, args.provider.format);
    match args.provider.format {
        Format::Json => json_line(&EmbedLine {
            model: served.as_ref().map_or(embedder.model(), |s| s.served_by),
            served,
            dimensions: out.dimensions,
            embeddings: &out.embeddings,
            usage: &out.usage,
            cost: out.cost,
        }),
        Format::Text => {
            for v in &out.embeddings {
                json_line(v);
            }
        }
    }
    Ok(())
}

#[derive(serde::Serialize)]
struct RerankLine<'a> {
    model: &'a str,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    served: Option<ServedFields<'a>>,
    results: Vec<ScoreLine>,
    cost: Option<Cost>,
}

#[derive(serde::Serialize)]
struct ScoreLine {
    index: usize,
    score: f32,
}

pub(crate) async fn rerank(args: RerankArgs) -> Result<()> {
    let (workers, model) = workers_ai(&args.provider, RERANK_MODEL)?;
    let reranker = workers.reranker(&model)?;
    let query = if args.query == "-" {
        stdin_text()?
    } else {
        args.query.clone()
    };
    let documents = gather(&args.documents, args.input.as_deref())?;
    let mut req = RerankRequest::new(query, documents);
    req.top_k = args.top_k;
    let (out, who) = if args.fallback.any() {
        let all = members(
            Arc::new(reranker.clone()) as Arc<dyn RerankingModel>,
            &args.fallback,
            |m| Ok(Arc::new(workers.reranker(m)?) as Arc<dyn RerankingModel>),
        )?;
        Who::of(
            FallbackReranker::new(all)?
                .check_capabilities(!args.provider.no_capability_check)
                .rerank_served(&req)
                .await?,
        )
    } else {
        (reranker.rerank(&req).await?, None)
    };
    let served = Who::fields(&who, args.provider.format);
    match args.provider.format {
        Format::Json => json_line(&RerankLine {
            model: served.as_ref().map_or(reranker.model(), |s| s.served_by),
            served,
            results: out
                .results
                .iter()
                .map(|r| ScoreLine {
                    index: r.index,
                    score: r.score,
                })
                .collect(),
            cost: out.cost,
        }),
        Format::Text => {
            let mut out_lines = std::io::stdout().lock();
            for r in &out.results {
                let doc = req.documents.get(r.index).map_or("", String::as_str);
                crate::output::note_stdout(writeln!(
                    out_lines,
                    "{}\t{}\t{}",
                    r.score, r.index, doc
                ));
            }
        }
    }
    Ok(())
}

#[derive(serde::Serialize)]
struct ClassifyLine<'a> {
    model: &'a str,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    served: Option<ServedFields<'a>>,
    labels: Vec<LabelLine<'a>>,
    cost: Option<Cost>,
}

#[derive(serde::Serialize)]
struct LabelLine<'a> {
    label: &'a str,
    score: f32,
}

pub(crate) async fn classify(args: ClassifyArgs) -> Result<()> {
    let default = if args.image.is_some() {
        CLASSIFY_IMAGE_MODEL
    } else {
        CLASSIFY_MODEL
    };
    let (workers, model) = workers_ai(&args.provider, default)?;
    let classifier = workers.classifier(&model)?;
    let mut req = match &args.image {
        Some(path) => ClassifyRequest::image(crate::media_cmd::read_image(path)?),
        None => ClassifyRequest::text(one_text(
            args.text.as_deref(),
            None,
            "classify",
            " or --image FILE",
        )?),
    };
    req.top_k = args.top_k;
    let (out, who) = if args.fallback.any() {
        let all = members(
            Arc::new(classifier.clone()) as Arc<dyn ClassificationModel>,
            &args.fallback,
            |m| Ok(Arc::new(workers.classifier(m)?) as Arc<dyn ClassificationModel>),
        )?;
        Who::of(
            FallbackClassifier::new(all)?
                .check_capabilities(!args.provider.no_capability_check)
                .classify_served(&req)
                .await?,
        )
    } else {
        (classifier.classify(&req).await?, None)
    };
    let served = Who::fields(&who, args.provider.format);
    match args.provider.format {
        Format::Json => json_line(&ClassifyLine {
            model: served.as_ref().map_or(classifier.model(), |s| s.served_by),
            served,
            labels: out
                .labels
                .iter()
                .map(|l| LabelLine {
                    label: &l.label,
                    score: l.score,
                })
                .collect(),
            cost: out.cost,
        }),
        Format::Text => {
            let mut lines = std::io::stdout().lock();
            for l in &out.labels {
                crate::output::note_stdout(writeln!(lines, "{}\t{}", l.label, l.score));
            }
        }
    }
    Ok(())
}

#[derive(serde::Serialize)]
struct TextLine<'a> {
    model: &'a str,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    served: Option<ServedFields<'a>>,
    text: &'a str,
    cost: Option<Cost>,
}

fn print_text(format: Format, model: &str, text: &str, cost: Option<Cost>, who: &Option<Who>) {
    let served = Who::fields(who, format);
    let model = served.as_ref().map_or(model, |s| s.served_by);
    match format {
        Format::Json => json_line(&TextLine {
            model,
            served,
            text,
            cost,
        }),
        Format::Text => emit_line(text),
    }
}

pub(crate) async fn translate(args: TranslateArgs) -> Result<()> {
    let (workers, model) = workers_ai(&args.provider, TRANSLATE_MODEL)?;
    let translator = workers.translator(&model)?;
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
    let (out, who) = if args.fallback.any() {
        let all = members(
            Arc::new(translator.clone()) as Arc<dyn TranslationModel>,
            &args.fallback,
            |m| Ok(Arc::new(workers.translator(m)?) as Arc<dyn TranslationModel>),
        )?;
        Who::of(
            FallbackTranslator::new(all)?
                .check_capabilities(!args.provider.no_capability_check)
                .translate_served(&req)
                .await?,
        )
    } else {
        (translator.translate(&req).await?, None)
    };
    print_text(
        args.provider.format,
        translator.model(),
        &out.text,
        out.cost,
        &who,
    );
    Ok(())
}

pub(crate) async fn summarize(args: SummarizeArgs) -> Result<()> {
    let (workers, model) = workers_ai(&args.provider, SUMMARIZE_MODEL)?;
    let summarizer = workers.summarizer(&model)?;
    let text = one_text(
        args.text.as_deref(),
        args.file.as_deref(),
        "summarize",
        " or --file FILE",
    )?;
    let mut req = SummarizeRequest::new(text);
    req.max_length = args.max_length;
    let (out, who) = if args.fallback.any() {
        let all = members(
            Arc::new(summarizer.clone()) as Arc<dyn SummarizationModel>,
            &args.fallback,
            |m| Ok(Arc::new(workers.summarizer(m)?) as Arc<dyn SummarizationModel>),
        )?;
        Who::of(
            FallbackSummarizer::new(all)?
                .check_capabilities(!args.provider.no_capability_check)
                .summarize_served(&req)
                .await?,
        )
    } else {
        (summarizer.summarize(&req).await?, None)
    };
    // The reply names the model that wrote the summary.
    let by = out.model.as_deref().unwrap_or(summarizer.model());
    print_text(args.provider.format, by, &out.text, out.cost, &who);
    Ok(())
}

/// Keeps the models of the kind named by `task` (`embedding`, `reranking`,
/// `text_classification`, `translation`..., a catalog task name such as `Text Embeddings`,
/// or a part of one such as `classification`); an unknown name is an error listing the kinds.
pub(crate) fn filter_by_task(models: Vec<ModelInfo>, task: &str) -> Result<Vec<ModelInfo>> {
    let norm = |s: &str| s.trim().to_ascii_lowercase().replace(['-', ' '], "_");
    let q = norm(task);
    let matches = |kind: ModelKind| {
        let k = kind.as_str();
        !q.is_empty()
            && (k == q
                || k == q.trim_end_matches('s')
                || norm(kind.task_name()) == q
                || (q.len() >= 4 && k.contains(q.as_str())))
    };
    if !ModelKind::all().iter().any(|k| matches(*k)) {
        let kinds: Vec<&str> = ModelKind::all().iter().map(|k| k.as_str()).collect();
        return Err(Error::invalid_request(format!(
            "unknown task `{task}` (kinds: {})",
            kinds.join(", ")
        )));
    }
    Ok(models.into_iter().filter(|m| matches(m.kind)).collect())
}
