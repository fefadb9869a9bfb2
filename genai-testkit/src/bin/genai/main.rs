//! `genai`: chat with a model, list models, run the conformance scoreboard, serve the emulator.
//!
//! The contract of this command (names, flags, output shapes) is documented in `docs/cli.md`;
//! scripts depend on it.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};
use genai_cloudflare::{Cloudflare, CloudflareBuilder};
use genai_core::{
    ChatRequest, ChatResponse, Error, Message, ProviderGen, ResponseFormat, StreamEvent,
    ToolChoice, ToolDef,
};
use serde_json::{json, Value};

mod audio_cmd;
mod batch_cmd;
mod media_cmd;
mod scoreboard_cmd;
mod tasks_cmd;

#[derive(Parser, Debug)]
#[command(
    name = "genai",
    version,
    about = "Talk to large language models through one interface"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// Where credentials come from: named in the help of every command that calls a provider.
const CREDENTIALS_HELP: &str = "\
Credentials come from the environment:
  CLOUDFLARE_API_TOKEN   the API token (else CLOUDFLARE_API_KEY); never printed
  CLOUDFLARE_ACCOUNT_ID  the account id (or --account-id)";

#[derive(Subcommand, Debug)]
enum Command {
    /// Send one chat request and print the reply.
    #[command(
        allow_negative_numbers = true,
        after_help = format!(
            "{CREDENTIALS_HELP}\n\nIn text output, reasoning (of models that show it) goes to \
             stderr prefixed with [reasoning], the answer to stdout, in sync and stream mode alike."
        )
    )]
    Chat(Box<ChatArgs>),
    /// Make an image from a prompt and write it to a file.
    Image(Box<media_cmd::ImageArgs>),
    /// List the provider's models.
    #[command(after_help = CREDENTIALS_HELP)]
    Models(ModelsArgs),
    /// Run the conformance scenarios and print the capability scoreboard.
    Scoreboard(scoreboard_cmd::ScoreboardArgs),
    /// Run many requests of one model through the async batch queue (resumable).
    ///
    /// Default model: @cf/meta/llama-3.3-70b-instruct-fp8-fast.
    Batch(Box<batch_cmd::BatchArgs>),
    /// Serve the offline Workers AI emulator on a local address.
    Serve(scoreboard_cmd::ServeArgs),
    /// Read a text aloud and write the audio to a file.
    Speak(Box<audio_cmd::SpeakArgs>),
    /// Write down what is said in an audio file.
    Transcribe(Box<audio_cmd::TranscribeArgs>),
    /// Embed texts: one vector per input, in input order.
    Embed(tasks_cmd::EmbedArgs),
    /// Score documents against a query, best first.
    Rerank(tasks_cmd::RerankArgs),
    /// Label a text or an image, best first.
    Classify(tasks_cmd::ClassifyArgs),
    /// Translate a text.
    Translate(tasks_cmd::TranslateArgs),
    /// Summarise a text.
    Summarize(tasks_cmd::SummarizeArgs),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Format {
    Text,
    Json,
}

/// Where to reach the provider: shared by every command that calls one.
#[derive(Args, Debug, Clone)]
struct ProviderArgs {
    /// Backend.
    #[arg(long, default_value = "cloudflare")]
    provider: String,
    /// Model id [default: @cf/meta/llama-3.3-70b-instruct-fp8-fast].
    #[arg(long, env = "GENAI_MODEL", value_name = "ID")]
    model: Option<String>,
    /// API root; requests go to {URL}/accounts/{account}/ai/run/{model}
    /// [default: https://api.cloudflare.com/client/v4].
    #[arg(long, env = "CLOUDFLARE_API_BASE_URL", value_name = "URL")]
    base_url: Option<String>,
    /// Cloudflare account id.
    #[arg(long, env = "CLOUDFLARE_ACCOUNT_ID", value_name = "ID")]
    account_id: Option<String>,
    /// Send every request through this Cloudflare AI Gateway.
    #[arg(long, value_name = "ID", env = "CLOUDFLARE_AI_GATEWAY")]
    gateway: Option<String>,
    /// The AI Gateway root URL (default https://gateway.ai.cloudflare.com/v1).
    #[arg(long, value_name = "URL", env = "CLOUDFLARE_AI_GATEWAY_BASE_URL")]
    gateway_base_url: Option<String>,
    /// Cache replies in the gateway for SECS seconds (cf-aig-cache-ttl).
    #[arg(long, value_name = "SECS")]
    gateway_cache_ttl: Option<u64>,
    /// Bypass the gateway's cache (cf-aig-skip-cache).
    #[arg(long)]
    gateway_skip_cache: bool,
    /// Metadata for the gateway's logs, a JSON object of at most 5 entries (cf-aig-metadata).
    #[arg(long, value_name = "JSON")]
    gateway_metadata: Option<String>,
    /// Tag the requests (repeatable, at most 5).
    #[arg(long = "tag", value_name = "TAG")]
    tags: Vec<String>,
    /// Retries of failures that may succeed later (429, capacity, 5xx, connection) [default: 2].
    #[arg(long, value_name = "N")]
    max_retries: Option<u32>,
    /// Overall deadline of a call in seconds (for a stream, also the longest silence)
    /// [default: 600].
    #[arg(long, value_name = "SECS", value_parser = positive_secs)]
    timeout: Option<f64>,
    /// Send requests even when the model is known not to support a feature they use (the
    /// service then decides).
    #[arg(long)]
    no_capability_check: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

/// A positive, finite number of seconds.
fn positive_secs(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(t) if t.is_finite() && t > 0.0 && Duration::try_from_secs_f64(t).is_ok() => Ok(t),
        _ => Err("must be a positive number of seconds".to_owned()),
    }
}

/// A prompt with something in it.
fn non_empty_prompt(s: &str) -> Result<String, String> {
    if s.trim().is_empty() {
        Err("the prompt is empty".to_owned())
    } else {
        Ok(s.to_owned())
    }
}

#[derive(Args, Debug)]
struct ChatArgs {
    /// The prompt (appended as the last user turn).
    #[arg(value_parser = non_empty_prompt)]
    prompt: Option<String>,
    #[command(flatten)]
    provider: ProviderArgs,
    /// System prompt.
    #[arg(long)]
    system: Option<String>,
    /// Conversation as a JSON file: [{"role","content","tool_calls","tool_call_id"}].
    #[arg(long, value_name = "FILE")]
    messages: Option<PathBuf>,
    /// Tools as a JSON file: [{"name","description","parameters"}].
    #[arg(long, value_name = "FILE")]
    tools: Option<PathBuf>,
    /// auto, required, none, or a tool name.
    #[arg(long, value_name = "auto|required|none|NAME")]
    tool_choice: Option<String>,
    /// Reply as free-form JSON.
    #[arg(long, conflicts_with = "json_schema")]
    json: bool,
    /// Reply as JSON following the schema in FILE.
    #[arg(long, value_name = "FILE")]
    json_schema: Option<PathBuf>,
    /// Most tokens to generate.
    #[arg(long)]
    max_tokens: Option<u32>,
    /// Sampling temperature.
    #[arg(long)]
    temperature: Option<f64>,
    /// Nucleus sampling.
    #[arg(long)]
    top_p: Option<f64>,
    /// Top-k sampling.
    #[arg(long)]
    top_k: Option<u32>,
    /// Seed.
    #[arg(long)]
    seed: Option<u64>,
    /// Stop sequence (repeatable).
    #[arg(long)]
    stop: Vec<String>,
    /// Stream the reply.
    #[arg(long)]
    stream: bool,
    /// Route the request to the model instance of this conversation, to reuse its cached
    /// prompt (x-session-affinity).
    #[arg(long, value_name = "KEY")]
    session_affinity: Option<String>,
    /// How hard a reasoning model thinks (GLM, Qwen3, GPT-OSS...).
    #[arg(long, value_name = "low|medium|high", value_parser = ["low", "medium", "high"])]
    reasoning_effort: Option<String>,
    /// Switch a hybrid model's thinking on or off.
    #[arg(long, value_name = "on|off", value_parser = ["on", "off"])]
    thinking: Option<String>,
    /// A fine-tune (LoRA) of a LoRA-capable model (the prompt must be a single user turn).
    #[arg(long, value_name = "NAME")]
    lora: Option<String>,
    /// Send the prompt as is, without the chat template (base models).
    #[arg(long)]
    raw: bool,
    /// Ask for the N most likely alternatives per token (0 to 20); `--format json` then adds
    /// "logprobs".
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u8).range(0..=20))]
    logprobs: Option<u8>,
    /// An image to attach to the last user turn (repeatable; vision and image-to-text models).
    #[arg(long, value_name = "FILE")]
    image: Vec<PathBuf>,
    /// Accept the model's licence for the account first (Llama 3.2 Vision asks for it once).
    #[arg(long)]
    agree: bool,
}

/// Flags of `genai models`: where to reach the provider, nothing about a model.
#[derive(Args, Debug)]
struct ModelsArgs {
    /// Backend.
    #[arg(long, default_value = "cloudflare")]
    provider: String,
    /// API root [default: https://api.cloudflare.com/client/v4].
    #[arg(long, env = "CLOUDFLARE_API_BASE_URL", value_name = "URL")]
    base_url: Option<String>,
    /// Cloudflare account id.
    #[arg(long, env = "CLOUDFLARE_ACCOUNT_ID", value_name = "ID")]
    account_id: Option<String>,
    /// Retries of failures that may succeed later (429, capacity, 5xx, connection) [default: 2].
    #[arg(long, value_name = "N")]
    max_retries: Option<u32>,
    /// Overall deadline of the listing in seconds [default: 600].
    #[arg(long, value_name = "SECS", value_parser = positive_secs)]
    timeout: Option<f64>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Only the models of this kind (embedding, reranking, text_classification, translation...).
    #[arg(long, value_name = "KIND")]
    task: Option<String>,
}

impl ModelsArgs {
    /// The shared provider flags these stand for (no model: the listing needs none).
    fn provider_args(&self) -> ProviderArgs {
        ProviderArgs {
            provider: self.provider.clone(),
            model: None,
            base_url: self.base_url.clone(),
            account_id: self.account_id.clone(),
            max_retries: self.max_retries,
            timeout: self.timeout,
            no_capability_check: false,
            format: self.format,
            // The catalog is read from the API root, never through a gateway.
            gateway: None,
            gateway_base_url: None,
            gateway_cache_ttl: None,
            gateway_skip_cache: false,
            gateway_metadata: None,
            tags: Vec::new(),
        }
    }
}

fn main() -> ExitCode {
    let raw: Vec<String> = std::env::args().collect();
    let wants_json = raw.windows(2).any(|w| w[0] == "--format" && w[1] == "json")
        || raw.iter().any(|a| a == "--format=json");
    let cli = match Cli::try_parse_from(&raw) {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() || !wants_json => e.exit(),
        Err(e) => {
            let msg = e.to_string();
            let first = msg
                .lines()
                .next()
                .unwrap_or("invalid arguments")
                .trim_start_matches("error: ");
            print_error_json(&Error::invalid_request(first.to_owned()));
            return ExitCode::from(2);
        }
    };
    init_tracing();
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let (format, result) = runtime.block_on(async {
        match cli.command {
            Command::Chat(args) => (args.provider.format, chat(*args).await),
            Command::Models(args) => (args.format, models(args.provider_args(), args.task).await),
            Command::Batch(args) => (args.provider.format, batch_cmd::run(*args).await),
            Command::Image(args) => (args.format(), media_cmd::image(*args).await),
            Command::Scoreboard(args) => (args.output_format(), scoreboard_cmd::run(args).await),
            Command::Serve(args) => (Format::Text, scoreboard_cmd::serve(args).await),
            Command::Speak(args) => (args.provider_format(), audio_cmd::speak(*args).await),
            Command::Transcribe(args) => {
                (args.provider_format(), audio_cmd::transcribe(*args).await)
            }
            Command::Embed(args) => (args.format(), tasks_cmd::embed(args).await),
            Command::Rerank(args) => (args.format(), tasks_cmd::rerank(args).await),
            Command::Classify(args) => (args.format(), tasks_cmd::classify(args).await),
            Command::Translate(args) => (args.format(), tasks_cmd::translate(args).await),
            Command::Summarize(args) => (args.format(), tasks_cmd::summarize(args).await),
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            match format {
                Format::Json => print_error_json(&e),
                Format::Text => eprintln!("error: {e}"),
            }
            ExitCode::FAILURE
        }
    }
}

/// Logs go to stderr, filtered by `RUST_LOG` (off by default). The library never logs the
/// token, and prompts only when asked to.
fn init_tracing() {
    let Ok(filter) = tracing_subscriber::EnvFilter::try_from_default_env() else {
        return;
    };
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

/// Writes one line to stdout. A closed stdout (`genai … | head`) is not an error worth a
/// panic: the line is dropped.
pub(crate) fn emit_line(line: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

/// A schema name services accept (`[A-Za-z0-9_-]`, at most 64 characters).
fn schema_name(raw: &str) -> String {
    let name: String = raw
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .take(64)
        .collect();
    if name.is_empty() {
        "reply".to_owned()
    } else {
        name
    }
}

/// The error line of `--format json`, fields in the documented order.
#[derive(serde::Serialize)]
struct ErrorLine<'a> {
    error: ErrorBody<'a>,
}

#[derive(serde::Serialize)]
struct ErrorBody<'a> {
    kind: &'static str,
    status: Option<u16>,
    code: Option<i64>,
    message: &'a str,
}

fn print_error_json(e: &Error) {
    let line = ErrorLine {
        error: ErrorBody {
            kind: e.kind().as_str(),
            status: e.status(),
            code: e.code(),
            message: e.message(),
        },
    };
    match serde_json::to_string(&line) {
        Ok(text) => emit_line(&text),
        Err(_) => emit_line(
            r#"{"error":{"kind":"protocol","status":null,"code":null,"message":"unprintable error"}}"#,
        ),
    }
}

/// Builds the configured provider from flags and the environment.
fn provider(args: &ProviderArgs) -> genai_core::Result<Cloudflare> {
    if args.provider != "cloudflare" {
        return Err(Error::config(format!(
            "unknown provider `{}` (available: cloudflare)",
            args.provider
        )));
    }
    let mut b = CloudflareBuilder::from_env();
    if let Some(m) = &args.model {
        b = b.model(m);
    }
    if let Some(u) = &args.base_url {
        b = b.with_base_url(u);
    }
    if let Some(a) = &args.account_id {
        b = b.account_id(a);
    }
    if let Some(id) = &args.gateway {
        b = match &args.gateway_base_url {
            Some(url) => b.ai_gateway_at(url, id),
            None => b.ai_gateway(id),
        };
    }
    if let Some(ttl) = args.gateway_cache_ttl {
        b = b.gateway_cache_ttl(Duration::from_secs(ttl));
    }
    if args.gateway_skip_cache {
        b = b.gateway_skip_cache(true);
    }
    if let Some(meta) = &args.gateway_metadata {
        let Ok(Value::Object(map)) = serde_json::from_str::<Value>(meta) else {
            return Err(Error::invalid_request(
                "--gateway-metadata must be a JSON object, e.g. {\"user\":\"u-42\"}",
            ));
        };
        b = b.gateway_metadata(map);
    }
    if !args.tags.is_empty() {
        b = b.tags(args.tags.iter().cloned());
    }
    if let Some(n) = args.max_retries {
        b = b.max_retries(n);
    }
    if let Some(t) = args.timeout {
        let t = Duration::try_from_secs_f64(t)
            .ok()
            .filter(|d| !d.is_zero())
            .ok_or_else(|| {
                Error::invalid_request(format!(
                    "--timeout must be a positive number of seconds, got {t}"
                ))
            })?;
        b = b.timeout(t);
    }
    if args.no_capability_check {
        b = b.check_capabilities(false);
    }
    b.build()
}

fn read_json_file<T: serde::de::DeserializeOwned>(
    path: &Path,
    what: &str,
) -> genai_core::Result<T> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        Error::invalid_request(format!(
            "cannot read the {what} file {}: {e}",
            path.display()
        ))
    })?;
    serde_json::from_str(&text).map_err(|e| {
        Error::invalid_request(format!(
            "the {what} file {} is not valid: {e}",
            path.display()
        ))
    })
}

fn build_request(args: &ChatArgs) -> genai_core::Result<ChatRequest> {
    let mut req = ChatRequest::new();
    if let Some(s) = &args.system {
        req = req.system(s);
    }
    if let Some(path) = &args.messages {
        let msgs: Vec<Message> = read_json_file(path, "conversation")?;
        req.messages.extend(msgs);
    }
    if let Some(p) = &args.prompt {
        req = req.user(p);
    }
    if let Some(path) = &args.tools {
        req.tools = read_json_file::<Vec<ToolDef>>(path, "tools")?;
    }
    if let Some(choice) = &args.tool_choice {
        req.tool_choice = Some(match choice.as_str() {
            "auto" => ToolChoice::Auto,
            "required" => ToolChoice::Required,
            "none" => ToolChoice::None,
            name => ToolChoice::Named(name.to_owned()),
        });
    }
    if args.json {
        req = req.json();
    }
    if let Some(path) = &args.json_schema {
        let schema: Value = read_json_file(path, "JSON schema")?;
        let raw = schema
            .get("title")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .or_else(|| path.file_stem().map(|s| s.to_string_lossy().into_owned()))
            .unwrap_or_default();
        let name = schema_name(&raw);
        req = req.response_format(ResponseFormat::JsonSchema { name, schema });
    }
    req.max_tokens = args.max_tokens;
    req.temperature = args.temperature;
    req.top_p = args.top_p;
    req.top_k = args.top_k;
    req.seed = args.seed;
    req.stop.clone_from(&args.stop);
    if let Some(effort) = &args.reasoning_effort {
        req.reasoning_effort = Some(effort.parse()?);
    }
    req.thinking = args.thinking.as_deref().map(|t| t == "on");
    req.lora.clone_from(&args.lora);
    req.raw = args.raw;
    req.logprobs = args.logprobs;
    media_cmd::attach_images(&mut req, &args.image)?;
    if req.messages.is_empty() {
        return Err(Error::invalid_request(
            "nothing to send: give a PROMPT or --messages FILE",
        ));
    }
    Ok(req)
}

async fn chat(args: ChatArgs) -> genai_core::Result<()> {
    if args.agree {
        provider(&args.provider)?.agree_to_license().await?;
        eprintln!("licence accepted");
        if args.prompt.is_none() && args.messages.is_none() {
            return Ok(());
        }
    }
    let req = build_request(&args)?;
    let client = provider(&args.provider)?;
    // A model of another kind (an embedding model...) is refused before any request.
    let mut client = client.provider().chat(client.model())?;
    if let Some(key) = &args.session_affinity {
        client = client.with_session_affinity(key)?;
    }
    let format = args.provider.format;
    let reply = if args.stream {
        let mut stream = client.gen_stream(&req).await?;
        let mut acc = genai_core::ResponseAccumulator::default();
        let mut out = std::io::stdout().lock();
        let mut reasoning = ReasoningPrinter::default();
        while let Some(event) = stream.next_event().await {
            let event = event?;
            if format == Format::Text {
                match &event {
                    StreamEvent::ReasoningDelta(r) => reasoning.push(r),
                    StreamEvent::TextDelta(t) => {
                        reasoning.end();
                        let _ = out.write_all(t.as_bytes());
                        let _ = out.flush();
                    }
                    _ => {}
                }
            }
            acc.push(event);
        }
        reasoning.end();
        let reply = acc.finish();
        if format == Format::Text {
            if !reply.text.is_empty() {
                let _ = writeln!(out);
            }
            print_tool_calls(&mut out, &reply);
        }
        reply
    } else {
        let reply = client.gen_sync(&req).await?;
        if format == Format::Text {
            let mut out = std::io::stdout().lock();
            if !reply.reasoning.is_empty() {
                eprintln!("[reasoning] {}", reply.reasoning);
            }
            if !reply.text.is_empty() {
                let _ = writeln!(out, "{}", reply.text);
            }
            print_tool_calls(&mut out, &reply);
        }
        reply
    };
    if format == Format::Json {
        emit_line(&reply_json(client.model(), &reply, req.logprobs.is_some()));
    }
    Ok(())
}

/// Prints streamed reasoning to stderr as the sync output does: `[reasoning] ` once before the
/// first piece, a line break after the last.
#[derive(Default)]
struct ReasoningPrinter {
    open: bool,
}

impl ReasoningPrinter {
    fn push(&mut self, piece: &str) {
        let mut err = std::io::stderr().lock();
        if !self.open {
            if piece.trim().is_empty() {
                return;
            }
            let _ = err.write_all(b"[reasoning] ");
            self.open = true;
        }
        let _ = err.write_all(piece.as_bytes());
        let _ = err.flush();
    }

    fn end(&mut self) {
        if self.open {
            eprintln!();
            self.open = false;
        }
    }
}

fn print_tool_calls(out: &mut impl Write, reply: &ChatResponse) {
    for c in &reply.tool_calls {
        let _ = writeln!(out, "tool_call: {} {}", c.name, c.arguments);
    }
}

/// The `--format json` object of a reply (docs/cli.md).
/// The `--format json` reply object (docs/cli.md), fields in the documented order.
#[derive(serde::Serialize)]
struct ReplyLine<'a> {
    model: &'a str,
    text: &'a str,
    reasoning: &'a str,
    tool_calls: Vec<CallLine<'a>>,
    usage: &'a genai_core::Usage,
    finish_reason: Option<&'static str>,
    /// Only when the request asked for log-probabilities.
    #[serde(skip_serializing_if = "Option::is_none")]
    logprobs: Option<Vec<LogprobLine<'a>>>,
    /// A Llama Guard verdict; null for other models.
    verdict: &'a Option<genai_core::GuardVerdict>,
}

#[derive(serde::Serialize)]
struct LogprobLine<'a> {
    token: &'a str,
    logprob: f64,
    top: Vec<TopLine<'a>>,
}

#[derive(serde::Serialize)]
struct TopLine<'a> {
    token: &'a str,
    logprob: f64,
}

#[derive(serde::Serialize)]
struct CallLine<'a> {
    id: &'a Option<String>,
    name: &'a str,
    arguments: &'a Value,
}

fn reply_json(model: &str, r: &ChatResponse, with_logprobs: bool) -> String {
    let line = ReplyLine {
        model,
        text: &r.text,
        reasoning: &r.reasoning,
        tool_calls: r
            .tool_calls
            .iter()
            .map(|c| CallLine {
                id: &c.id,
                name: &c.name,
                arguments: &c.arguments,
            })
            .collect(),
        usage: &r.usage,
        finish_reason: r.finish_reason.as_str(),
        logprobs: with_logprobs.then(|| {
            r.logprobs
                .iter()
                .map(|t| LogprobLine {
                    token: &t.token,
                    logprob: t.logprob,
                    top: t
                        .top
                        .iter()
                        .map(|a| TopLine {
                            token: &a.token,
                            logprob: a.logprob,
                        })
                        .collect(),
                })
                .collect()
        }),
        verdict: &r.verdict,
    };
    // Plain data with string keys: serialising it cannot fail.
    serde_json::to_string(&line).unwrap_or_default()
}

async fn models(args: ProviderArgs, task: Option<String>) -> genai_core::Result<()> {
    let client = provider(&args)?;
    if let Some(task) = &task {
        tasks_cmd::filter_by_task(Vec::new(), task)?; // an unknown kind: refused before any request
    }
    let mut models = genai_core::Provider::list_models(&client.provider()).await?;
    if let Some(task) = &task {
        models = tasks_cmd::filter_by_task(models, task)?;
    }
    match args.format {
        Format::Json => {
            let list: Vec<Value> = models
                .iter()
                .map(|m| {
                    json!({
                        "id": m.id,
                        "task": m.task,
                        "context_window": m.context_window,
                        "kind": m.kind,
                        "chat": m.is_chat(),
                        "batch": m.batch,
                        "description": m.description,
                        "capabilities": m.capabilities,
                    })
                })
                .collect();
            emit_line(&Value::Array(list).to_string());
        }
        Format::Text => {
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "{:<56} {:<30} CONTEXT", "ID", "TASK");
            for m in &models {
                let _ = writeln!(
                    out,
                    "{:<56} {:<30} {}",
                    m.id,
                    m.task.as_deref().unwrap_or("-"),
                    m.context_window.map_or("-".to_owned(), |c| c.to_string())
                );
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::schema_name;

    #[test]
    fn schema_names_are_made_acceptable() {
        assert_eq!(schema_name("my answer.v2"), "my_answer_v2");
        assert_eq!(schema_name(""), "reply");
        assert_eq!(schema_name(&"x".repeat(100)).len(), 64);
    }
}
