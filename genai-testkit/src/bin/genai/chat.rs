//! `genai chat`: one chat request, its reply printed as text or as a JSON line.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use clap::Args;
use genai_core::{
    Attempt, ChatRequest, ChatResponse, DocumentChat, Error, FallbackChat, Message, ProviderGen,
    ResponseFormat, StreamEvent, ToolChoice, ToolDef,
};
use serde_json::Value;

use crate::document::open_documents;
use crate::fallback::{note_attempts, FallbackArgs, Refused, ServedFields};
use crate::options::{non_empty_prompt, provider, Format, ProviderArgs};
use crate::output::emit_line;
use crate::{image, input};

#[derive(Args, Debug)]
pub(crate) struct ChatArgs {
    /// The prompt (appended as the last user turn); `-` reads it from standard input, as
    /// does a pipe when neither a prompt nor --messages is given.
    #[arg(value_parser = non_empty_prompt)]
    prompt: Option<String>,
    #[command(flatten)]
    pub(crate) provider: ProviderArgs,
    /// System prompt.
    #[arg(long)]
    system: Option<String>,
    /// Conversation as a JSON file (`-`: standard input):
    /// [{"role","content","tool_calls","tool_call_id"}].
    #[arg(long, value_name = "FILE")]
    messages: Option<PathBuf>,
    /// Tools as a JSON file (`-`: standard input): [{"name","description","parameters"}].
    #[arg(long, value_name = "FILE")]
    tools: Option<PathBuf>,
    /// auto, required, none, or a tool name.
    #[arg(long, value_name = "auto|required|none|NAME")]
    tool_choice: Option<String>,
    /// Reply as free-form JSON.
    #[arg(long, conflicts_with = "json_schema")]
    json: bool,
    /// Reply as JSON following the schema in FILE (`-`: standard input).
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
    /// A document (PDF, office file, web page, CSV...) converted to Markdown and put in the
    /// last user turn (repeatable; any chat model); `-` reads one from standard input.
    #[arg(long, value_name = "FILE")]
    file: Vec<PathBuf>,
    #[command(flatten)]
    fallback: FallbackArgs,
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

fn build_request(args: &ChatArgs) -> genai_core::Result<ChatRequest> {
    let mut req = ChatRequest::new();
    if let Some(s) = &args.system {
        req = req.system(s);
    }
    if let Some(path) = &args.messages {
        let msgs: Vec<Message> = input::read_json(path, "conversation")?;
        req.messages.extend(msgs);
    }
    match &args.prompt {
        Some(p) => {
            let prompt = input::text_arg(p, "prompt", input::MAX_TEXT_BYTES)?;
            if prompt.trim().is_empty() {
                return Err(Error::invalid_request(
                    "the prompt on standard input is empty",
                ));
            }
            req = req.user(prompt);
        }
        // No prompt and no conversation: a pipe gives the prompt (`echo hi | genai chat`).
        None if args.messages.is_none() && args.file.is_empty() => {
            if let Some(prompt) = input::piped_text("prompt", input::MAX_TEXT_BYTES)? {
                req = req.user(prompt);
            }
        }
        None => {}
    }
    if let Some(path) = &args.tools {
        req.tools = input::read_json::<Vec<ToolDef>>(path, "tools")?;
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
        let schema: Value = input::read_json(path, "JSON schema")?;
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
    image::attach_images(&mut req, &args.image)?;
    if req.messages.is_empty() && args.file.is_empty() {
        return Err(Error::invalid_request(
            "nothing to send: give a PROMPT (`-` or a pipe: standard input), --messages FILE or \
             --file FILE",
        ));
    }
    Ok(req)
}

pub(crate) async fn chat(args: ChatArgs) -> genai_core::Result<()> {
    if args.agree {
        provider(&args.provider)?.agree_to_license().await?;
        eprintln!("licence accepted");
        if args.prompt.is_none() && args.messages.is_none() {
            return Ok(());
        }
    }
    let mut req = build_request(&args)?;
    let client = provider(&args.provider)?;
    let workers = client.provider();
    let model = client.model().to_owned();
    // With --fallback, a model refused before any request for a reason another model may not
    // share (retired, plan required) is an attempt of the chain, the first one included; any
    // other refusal (a model of another kind...) ends the command before any request.
    let member = |id: &str| -> genai_core::Result<Arc<dyn ProviderGen>> {
        match workers.chat(id) {
            Ok(mut chat) => {
                if let Some(key) = &args.session_affinity {
                    chat = chat.with_session_affinity(key)?;
                }
                Ok(Arc::new(chat))
            }
            Err(e) if args.fallback.any() && genai_core::falls_over(&e) => Ok(Arc::new(
                Refused::new(genai_core::Provider::name(&workers), id, &e),
            )),
            Err(e) => Err(e),
        }
    };
    let primary = member(&model)?;
    if !args.file.is_empty() {
        req.documents = open_documents(&args.file).await?;
        let reader = DocumentChat::new(primary.clone(), Arc::new(workers.converter()));
        req = reader.prepare(&req).await?;
    }
    let chain = if args.fallback.any() {
        let mut members = vec![primary.clone()];
        for id in &args.fallback.models {
            members.push(member(id)?);
        }
        Some(FallbackChat::new(members)?.check_capabilities(!args.provider.no_capability_check))
    } else {
        None
    };
    let mut served: Option<(String, Vec<Attempt>)> = None;
    let format = args.provider.format;
    let reply = if args.stream {
        let mut stream = match &chain {
            Some(chain) => {
                let s = chain.gen_stream_served(&req).await?;
                served = Some((s.served_by, s.attempts));
                s.stream
            }
            None => primary.gen_stream(&req).await?,
        };
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
                        crate::output::note_stdout(
                            out.write_all(t.as_bytes()).and_then(|()| out.flush()),
                        );
                    }
                    _ => {}
                }
            }
            acc.push(event);
        }
        reasoning.end();
        let mut reply = acc.finish();
        reply.rate_limit = stream.rate_limit();
        if format == Format::Text {
            if !reply.text.is_empty() {
                crate::output::note_stdout(writeln!(out));
            }
            print_tool_calls(&mut out, &reply);
        }
        reply
    } else {
        let reply = match &chain {
            Some(chain) => chain.gen_sync(&req).await?,
            None => primary.gen_sync(&req).await?,
        };
        if let Some(model) = &reply.served_by {
            served = Some((model.clone(), reply.attempts.clone()));
        }
        if format == Format::Text {
            let mut out = std::io::stdout().lock();
            if !reply.reasoning.is_empty() {
                eprintln!("[reasoning] {}", reply.reasoning);
            }
            if !reply.text.is_empty() {
                crate::output::note_stdout(writeln!(out, "{}", reply.text));
            }
            print_tool_calls(&mut out, &reply);
        }
        reply
    };
    let mut reply = reply;
    if reply.warnings.is_empty() {
        // A streamed reply carries no warnings of its own: the alias note is added here.
        reply
            .warnings
            .extend(genai_cloudflare::facts::alias_warning(&model));
    }
    for warning in &reply.warnings {
        eprintln!("warning: {warning}");
    }
    let served = served.as_ref().map(|(model, attempts)| ServedFields {
        served_by: model,
        attempts,
    });
    match (format, &served) {
        (Format::Json, _) => emit_line(&reply_json_served(
            served.as_ref().map_or(model.as_str(), |s| s.served_by),
            &reply,
            req.logprobs.is_some(),
            served.as_ref(),
        )),
        (Format::Text, Some(s)) => note_attempts(s.served_by, s.attempts),
        (Format::Text, None) => {}
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
        crate::output::note_stdout(writeln!(out, "tool_call: {} {}", c.name, c.arguments));
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
    /// What the caller should know though the call succeeded (an aliased model id...).
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    warnings: &'a [String],
    /// What the call cost (null when unknown).
    cost: Option<genai_core::Cost>,
    /// The rate-limit headers of the reply (null when it had none).
    rate_limit: Option<genai_core::RateLimit>,
    /// With `--fallback`: the model that served the reply and the ones that failed first.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    served: Option<&'a ServedFields<'a>>,
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

pub(crate) fn reply_json(model: &str, r: &ChatResponse, with_logprobs: bool) -> String {
    reply_json_served(model, r, with_logprobs, None)
}

/// [`reply_json`] with `"served_by"` and `"attempts"` when a fallback chain served the reply.
fn reply_json_served(
    model: &str,
    r: &ChatResponse,
    with_logprobs: bool,
    served: Option<&ServedFields<'_>>,
) -> String {
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
        warnings: &r.warnings,
        cost: r.cost,
        rate_limit: r.rate_limit,
        served,
    };
    // Plain data with string keys: serialising it cannot fail.
    serde_json::to_string(&line).unwrap_or_default()
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
