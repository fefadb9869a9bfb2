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

mod media_cmd;
mod scoreboard_cmd;

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

#[derive(Subcommand, Debug)]
enum Command {
    /// Send one chat request and print the reply.
    Chat(Box<ChatArgs>),
    /// Make an image from a prompt and write it to a file.
    Image(Box<media_cmd::ImageArgs>),
    /// List the provider's models.
    Models(ModelsArgs),
    /// Run the conformance scenarios and print the capability scoreboard.
    Scoreboard(scoreboard_cmd::ScoreboardArgs),
    /// Serve the offline Workers AI emulator on a local address.
    Serve(scoreboard_cmd::ServeArgs),
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
    /// Model id, e.g. @cf/meta/llama-3.3-70b-instruct-fp8-fast.
    #[arg(long, env = "GENAI_MODEL")]
    model: Option<String>,
    /// API root; requests go to {URL}/accounts/{account}/ai/run/{model}.
    #[arg(long, env = "CLOUDFLARE_API_BASE_URL")]
    base_url: Option<String>,
    /// Cloudflare account id.
    #[arg(long, env = "CLOUDFLARE_ACCOUNT_ID")]
    account_id: Option<String>,
    /// Retries of failures that may succeed later (429, capacity, 5xx, connection).
    #[arg(long)]
    max_retries: Option<u32>,
    /// Overall deadline of a call in seconds (for a stream, also the longest silence).
    #[arg(long, value_name = "SECS")]
    timeout: Option<f64>,
    /// Send requests even when the model is known not to support a feature they use (the
    /// service then decides).
    #[arg(long)]
    no_capability_check: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

#[derive(Args, Debug)]
struct ChatArgs {
    /// The prompt (appended as the last user turn).
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
    /// An image to attach to the last user turn (repeatable; vision and image-to-text models).
    #[arg(long, value_name = "FILE")]
    image: Vec<PathBuf>,
    /// Accept the model's licence for the account first (Llama 3.2 Vision asks for it once).
    #[arg(long)]
    agree: bool,
}

#[derive(Args, Debug)]
struct ModelsArgs {
    #[command(flatten)]
    provider: ProviderArgs,
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
            Command::Image(args) => (args.format(), media_cmd::image(*args).await),
            Command::Models(args) => (args.provider.format, models(args.provider).await),
            Command::Scoreboard(args) => (Format::Text, scoreboard_cmd::run(args).await),
            Command::Serve(args) => (Format::Text, scoreboard_cmd::serve(args).await),
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
    let format = args.provider.format;
    let reply = if args.stream {
        let mut stream = client.gen_stream(&req).await?;
        let mut acc = genai_core::ResponseAccumulator::default();
        let mut out = std::io::stdout().lock();
        while let Some(event) = stream.next_event().await {
            let event = event?;
            if format == Format::Text {
                if let StreamEvent::TextDelta(t) = &event {
                    let _ = out.write_all(t.as_bytes());
                    let _ = out.flush();
                }
            }
            acc.push(event);
        }
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
        emit_line(&reply_json(client.model(), &reply));
    }
    Ok(())
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
}

#[derive(serde::Serialize)]
struct CallLine<'a> {
    id: &'a Option<String>,
    name: &'a str,
    arguments: &'a Value,
}

fn reply_json(model: &str, r: &ChatResponse) -> String {
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
    };
    // Plain data with string keys: serialising it cannot fail.
    serde_json::to_string(&line).unwrap_or_default()
}

async fn models(args: ProviderArgs) -> genai_core::Result<()> {
    let client = provider(&args)?;
    let models = genai_core::Provider::list_models(&client.provider()).await?;
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
