//! `genai`: chat with a model, list models, run the conformance scoreboard, serve the emulator.
//!
//! The contract of this command (names, flags, output shapes) is documented in `docs/cli.md`;
//! scripts depend on it.

use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use genai_core::Error;

mod batch;
mod chat;
mod classification;
mod document;
mod embedding;
mod fallback;
mod image;
mod input;
mod models;
mod options;
mod output;
mod reranking;
mod scoreboard;
mod serve;
mod speech;
mod summarization;
mod transcription;
mod translation;

// The helpers every command shares, in scope here so that each command module reaches them
// as `crate::…` (or `super::…`).
use chat::reply_json;
use options::{provider, Format, ProviderArgs};
use output::{emit_line, init_tracing, print_error_json};

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
    Chat(Box<chat::ChatArgs>),
    /// Make an image from a prompt and write it to a file.
    Image(Box<image::ImageArgs>),
    /// List the provider's models.
    #[command(after_help = CREDENTIALS_HELP)]
    Models(models::ModelsArgs),
    /// Run the conformance scenarios and print the capability scoreboard.
    Scoreboard(scoreboard::ScoreboardArgs),
    /// Run many requests of one model through the async batch queue (resumable).
    Batch(Box<batch::BatchArgs>),
    /// Serve the offline Workers AI emulator on a local address.
    Serve(serve::ServeArgs),
    /// Read a text aloud and write the audio to a file.
    Speak(Box<speech::SpeakArgs>),
    /// Write down what is said in an audio file.
    Transcribe(Box<transcription::TranscribeArgs>),
    /// Embed texts: one vector per input, in input order.
    Embed(embedding::EmbedArgs),
    /// Score documents against a query, best first.
    Rerank(reranking::RerankArgs),
    /// Label a text or an image, best first.
    Classify(classification::ClassifyArgs),
    /// Translate a text.
    Translate(translation::TranslateArgs),
    /// Summarise a text.
    Summarize(summarization::SummarizeArgs),
    /// Convert documents (PDF, images, HTML, office files, CSV...) to Markdown.
    #[command(after_help = CREDENTIALS_HELP)]
    Convert(Box<document::ConvertArgs>),
}

fn main() -> ExitCode {
    let raw: Vec<String> = std::env::args().collect();
    let wants_json = raw.windows(2).any(|w| w[0] == "--format" && w[1] == "json")
        || raw.iter().any(|a| a == "--format=json");
    let parsed = command()
        .try_get_matches_from(&raw)
        .and_then(|m| Cli::from_arg_matches(&m));
    let mut cli = match parsed {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() || !wants_json => e.exit(),
        Err(e) => {
            print_error_json(&Error::invalid_request(usage_message(&e.to_string())));
            return ExitCode::from(2);
        }
    };
    match &mut cli.command {
        Command::Chat(args) => args.provider.model_from_environment(),
        Command::Batch(args) => args.provider.model_from_environment(),
        _ => {}
    }
    let explain = cli.command.provider_args().cloned();
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
        // `serve` runs until a signal and stops cleanly on it; `scoreboard` prints the rows
        // it finished when interrupted: both handle signals themselves.
        let own_signals = matches!(cli.command, Command::Serve(_) | Command::Scoreboard(_));
        let command = run(cli.command);
        if own_signals {
            return command.await;
        }
        // A signal drops the command's future: the temporary files it owns are removed as
        // they are dropped, and the process exits with 128 + the signal's number.
        let stopped = tokio::select! {
            done = command => return done,
            signal = stop_signal() => signal,
        };
        // The command's future is dropped by now.
        eprintln!("error: stopped by {}", stopped.0);
        std::process::exit(128 + stopped.1);
    });
    // What the command printed must have reached stdout (a full disk behind `>` fails).
    let result = result.and_then(|()| output::check_stdout());
    match result {
        Ok(()) if output::marked_failed() => ExitCode::FAILURE,
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let e = match &explain {
                Some(args) => args.explain(e),
                None => e,
            };
            match format {
                Format::Json => print_error_json(&e),
                Format::Text => eprintln!("error: {e}"),
            }
            ExitCode::FAILURE
        }
    }
}

/// The first line of a usage error with what it names: clap lists missing flags on the lines
/// after its first (`the following required arguments were not provided:` then `--out
/// <FILE>`), and a JSON error line must name them too.
fn usage_message(clap_text: &str) -> String {
    let mut parts = Vec::new();
    for line in clap_text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with("Usage:") || line.starts_with("For more") {
            break;
        }
        parts.push(line.trim_start_matches("error: "));
    }
    match parts.join(" ") {
        s if s.is_empty() => "invalid arguments".to_owned(),
        s => s,
    }
}

/// Waits for Ctrl-C or (on Unix) SIGTERM; returns its name and number.
async fn stop_signal() -> (&'static str, i32) {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            return tokio::select! {
                _ = tokio::signal::ctrl_c() => ("SIGINT", 2),
                _ = term.recv() => ("SIGTERM", 15),
            };
        }
    }
    let _ = tokio::signal::ctrl_c().await;
    ("SIGINT", 2)
}

/// Runs one command; returns the output format its errors use and its outcome.
async fn run(command: Command) -> (Format, genai_core::Result<()>) {
    {
        match command {
            Command::Chat(args) => (args.provider.format, chat::chat(*args).await),
            Command::Models(args) => (
                args.format,
                models::models(args.provider_args(), args.task, args.all).await,
            ),
            Command::Batch(args) => (args.provider.format, batch::run(*args).await),
            Command::Image(args) => (args.format(), image::image(*args).await),
            Command::Scoreboard(args) => (args.output_format(), scoreboard::run(args).await),
            Command::Serve(args) => (Format::Text, serve::serve(args).await),
            Command::Speak(args) => (args.provider_format(), speech::speak(*args).await),
            Command::Transcribe(args) => (
                args.provider_format(),
                transcription::transcribe(*args).await,
            ),
            Command::Embed(args) => (args.provider.format, embedding::embed(args).await),
            Command::Rerank(args) => (args.provider.format, reranking::rerank(args).await),
            Command::Classify(args) => (args.provider.format, classification::classify(args).await),
            Command::Translate(args) => (args.provider.format, translation::translate(args).await),
            Command::Summarize(args) => {
                (args.provider.format, summarization::summarize(args).await)
            }
            Command::Convert(args) => (args.format(), document::convert(*args).await),
        }
    }
}

/// The command line with each command's own default model in its `--model` help.
fn command() -> clap::Command {
    let mut cmd = Cli::command();
    let names: Vec<String> = cmd
        .get_subcommands()
        .map(|c| c.get_name().to_owned())
        .collect();
    for name in names {
        if let Some(help) = options::model_help(&name) {
            cmd = cmd.mut_subcommand(name, |c| c.mut_arg("model", |a| a.help(help)));
        }
    }
    // Conversion takes no model.
    cmd.mut_subcommand("convert", |c| c.mut_arg("model", |a| a.hide(true)))
}

impl Command {
    /// The provider flags of a command that calls a provider with one model.
    fn provider_args(&self) -> Option<&ProviderArgs> {
        match self {
            Command::Chat(a) => Some(&a.provider),
            Command::Image(a) => Some(&a.provider),
            Command::Batch(a) => Some(&a.provider),
            Command::Speak(a) => Some(&a.provider),
            Command::Transcribe(a) => Some(&a.provider),
            Command::Embed(a) => Some(&a.provider),
            Command::Rerank(a) => Some(&a.provider),
            Command::Classify(a) => Some(&a.provider),
            Command::Translate(a) => Some(&a.provider),
            Command::Summarize(a) => Some(&a.provider),
            Command::Models(_)
            | Command::Scoreboard(_)
            | Command::Serve(_)
            | Command::Convert(_) => None,
        }
    }
}
