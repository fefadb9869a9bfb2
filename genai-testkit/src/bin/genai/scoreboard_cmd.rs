//! `genai scoreboard` and `genai serve`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use genai_cloudflare::{CloudflareBuilder, DEFAULT_BASE_URL};
use genai_core::{Error, Mode, ProviderGen, Result};
use genai_testkit::cassette::{find_cassettes, Cassette};
use genai_testkit::emulator::{Emulator, EmulatorConfig, DEFAULT_TOKEN};
use genai_testkit::replay::{MatchMode, RecordingProxy, ReplayServer};
use genai_testkit::scenarios::{run_mode_with, SuiteConfig};
use genai_testkit::scoreboard::Scoreboard;
use genai_testkit::scoreboard::{render_json, render_markdown, seed_models, Pick};

/// The models scored by default, with their picks (best, good, cheap).
const SCORED: [(&str, Option<Pick>); 5] = [
    (
        "@cf/deepseek-ai/deepseek-r1-distill-qwen-32b",
        Some(Pick::Best),
    ),
    ("@cf/meta/llama-3.3-70b-instruct-fp8-fast", Some(Pick::Good)),
    ("@cf/meta/llama-3.2-1b-instruct", Some(Pick::Cheap)),
    ("@cf/meta/llama-3.2-3b-instruct", None),
    ("@cf/meta/llama-4-scout-17b-16e-instruct", None),
];

/// An account id for the emulator and replays (any 32 hex characters work there).
const OFFLINE_ACCOUNT: &str = "00000000000000000000000000000000";

/// Flags of `genai scoreboard`.
#[derive(Args, Debug)]
pub(crate) struct ScoreboardArgs {
    /// Models to score (repeatable; default: the five scored models).
    #[arg(long = "model")]
    models: Vec<String>,
    /// Runs of each scenario; all passing is supported, some is flaky.
    #[arg(long, default_value_t = 3)]
    runs: u32,
    /// Also write the table to this file.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Print JSON instead of Markdown.
    #[arg(long)]
    json: bool,
    /// Run against the built-in emulator even when credentials are set.
    #[arg(long, conflicts_with_all = ["record", "replay"])]
    emulator: bool,
    /// Record one cassette per model, mode and scenario into DIR (live runs only).
    #[arg(long, value_name = "DIR", conflicts_with = "replay")]
    record: Option<PathBuf>,
    /// Replay the cassettes of DIR instead of calling a service.
    #[arg(long, value_name = "DIR")]
    replay: Option<PathBuf>,
    /// API root for live runs (env CLOUDFLARE_API_BASE_URL).
    #[arg(long, env = "CLOUDFLARE_API_BASE_URL")]
    base_url: Option<String>,
    /// Overall deadline of one call, in seconds.
    #[arg(long, default_value_t = 120)]
    timeout: u64,
}

/// Flags of `genai serve`.
#[derive(Args, Debug)]
pub(crate) struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8787")]
    addr: SocketAddr,
    /// Bearer token the emulator accepts.
    #[arg(long, default_value = DEFAULT_TOKEN)]
    token: String,
}

fn has_credentials() -> bool {
    let set = |k: &str| std::env::var(k).is_ok_and(|v| !v.trim().is_empty());
    set("CLOUDFLARE_ACCOUNT_ID") && (set("CLOUDFLARE_API_TOKEN") || set("CLOUDFLARE_API_KEY"))
}

/// Where the scenarios send their requests; kept alive for the whole run.
enum Target {
    Emulator(Emulator),
    Replay(ReplayServer),
    Live(Option<RecordingProxy>),
}

pub(crate) async fn run(args: ScoreboardArgs) -> Result<()> {
    let models: Vec<String> = if args.models.is_empty() {
        SCORED.iter().map(|(m, _)| (*m).to_owned()).collect()
    } else {
        args.models.clone()
    };
    let live = !args.emulator && args.replay.is_none() && has_credentials();
    if args.record.is_some() && !live {
        return Err(Error::config(
            "--record needs a live run: set CLOUDFLARE_ACCOUNT_ID and CLOUDFLARE_API_TOKEN",
        ));
    }
    let (target, source) = if let Some(dir) = &args.replay {
        let cassettes: Vec<Cassette> = find_cassettes(dir)
            .iter()
            .map(Cassette::load)
            .collect::<std::result::Result<_, _>>()
            .map_err(|e| Error::config(format!("cannot load the cassettes: {e}")))?;
        if cassettes.is_empty() {
            return Err(Error::config(format!(
                "no cassette under {}",
                dir.display()
            )));
        }
        let server = ReplayServer::builder()
            .cassettes(cassettes)
            .match_mode(MatchMode::Loose)
            .start()
            .await
            .map_err(|e| Error::config(format!("cannot start the replay server: {e}")))?;
        (
            Target::Replay(server),
            format!("replay of {}", dir.display()),
        )
    } else if live {
        let proxy = match &args.record {
            Some(_) => {
                let builder = CloudflareBuilder::from_env();
                let account = std::env::var("CLOUDFLARE_ACCOUNT_ID").unwrap_or_default();
                let token = std::env::var("CLOUDFLARE_API_TOKEN")
                    .or_else(|_| std::env::var("CLOUDFLARE_API_KEY"))
                    .unwrap_or_default();
                let upstream = args
                    .base_url
                    .clone()
                    .unwrap_or_else(|| DEFAULT_BASE_URL.to_owned());
                drop(builder);
                Some(
                    RecordingProxy::start(&upstream, account.trim(), token.trim())
                        .await
                        .map_err(|e| {
                            Error::config(format!("cannot start the recording proxy: {e}"))
                        })?,
                )
            }
            None => None,
        };
        (Target::Live(proxy), "live Cloudflare Workers AI".to_owned())
    } else {
        let emulator = Emulator::start(EmulatorConfig::default())
            .map_err(|e| Error::config(format!("cannot start the emulator: {e}")))?;
        (
            Target::Emulator(emulator),
            "built-in emulator (offline: no Cloudflare credentials used)".to_owned(),
        )
    };
    let base = match &target {
        Target::Emulator(e) => Some(e.base_url()),
        Target::Replay(s) => Some(s.base_url()),
        Target::Live(Some(p)) => Some(p.base_url()),
        Target::Live(None) => args.base_url.clone(),
    };
    let config = SuiteConfig {
        runs: args.runs.max(1),
        call_timeout: Duration::from_secs(args.timeout.max(1)),
    };
    let mut rows = Vec::new();
    let mut catalog: Vec<String> = seed_models().map(str::to_owned).collect();
    for model in &models {
        let mut b = if live {
            CloudflareBuilder::from_env()
        } else {
            CloudflareBuilder::new()
                .account_id(OFFLINE_ACCOUNT)
                .api_token(DEFAULT_TOKEN)
        };
        b = b.model(model).timeout(config.call_timeout);
        if let Some(base) = &base {
            b = b.with_base_url(base);
        }
        let client = b.build()?;
        if catalog.len() == seed_models().count() {
            match client.list_models().await {
                Ok(list) => catalog.extend(list.into_iter().filter(|m| m.chat).map(|m| m.id)),
                Err(e) => {
                    eprintln!("note: the model list is unavailable ({e}); using the seed list")
                }
            }
        }
        for mode in [Mode::Sync, Mode::Stream] {
            eprintln!("scoring {model} ({})", mode.as_str());
            let mut save = |scenario: genai_testkit::scoreboard::Scenario| {
                if let (Target::Live(Some(proxy)), Some(dir)) = (&target, &args.record) {
                    let path = dir.join(model.trim_start_matches('@')).join(format!(
                        "{}-{}.json",
                        mode.as_str(),
                        scenario.as_str()
                    ));
                    let cassette = proxy.take_cassette(&format!(
                        "genai scoreboard --record: {model} {} {}",
                        mode.as_str(),
                        scenario.as_str()
                    ));
                    if !cassette.interactions.is_empty() {
                        if let Err(e) = cassette.save(&path) {
                            eprintln!("warning: {e}");
                        }
                    }
                }
            };
            rows.push(run_mode_with(&client, mode, &config, &mut save).await);
        }
    }
    let mut board = Scoreboard::new("cloudflare", source, rows);
    catalog.sort();
    catalog.dedup();
    board.mark_unmeasured(catalog);
    let picks: Vec<(&str, Pick)> = SCORED
        .iter()
        .filter_map(|(m, p)| p.map(|p| (*m, p)))
        .collect();
    let text = if args.json {
        render_json(&board).map_err(|e| Error::protocol(format!("cannot render JSON: {e}")))?
    } else {
        render_markdown(&board, &picks)
    };
    crate::emit_line(&text);
    if let Some(out) = &args.out {
        std::fs::write(out, &text)
            .map_err(|e| Error::config(format!("cannot write {}: {e}", out.display())))?;
    }
    drop(target);
    Ok(())
}

pub(crate) async fn serve(args: ServeArgs) -> Result<()> {
    println!(
        "Workers AI emulator on http://{}/client/v4 (token {:?}); Ctrl-C stops it",
        args.addr, args.token
    );
    Emulator::serve_forever(
        EmulatorConfig::default()
            .token(args.token)
            .address(args.addr),
    )
    .await
    .map_err(|e| Error::config(format!("cannot serve on {}: {e}", args.addr)))
}
