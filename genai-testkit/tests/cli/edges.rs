//! `genai` edges a new user meets first: `serve` addresses, usage errors (exit 2), negative
//! numbers, help texts, `models` output, reasoning in text output, connection causes.

use std::io::{BufRead, BufReader};
use std::process::Stdio;

use genai_testkit::emulator::{Emulator, EmulatorConfig};

use crate::support::{command, genai, text};

const REASONER: &str = "@cf/deepseek-ai/deepseek-r1-distill-qwen-32b";

/// Starts `genai serve ARGS` and returns the child and the first line it printed.
fn serve(args: &[&str]) -> (std::process::Child, String) {
    let mut child = command(&["serve"])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("genai serve starts");
    let mut line = String::new();
    if let Some(out) = child.stdout.take() {
        let _ = BufReader::new(out).read_line(&mut line);
    }
    (child, line)
}

#[test]
fn serve_prints_the_address_it_bound_and_accepts_host_names_and_port_0() {
    for addr in ["127.0.0.1:0", "localhost:0"] {
        let (mut child, line) = serve(&["--addr", addr]);
        let url = line
            .split_whitespace()
            .find(|w| w.starts_with("http://"))
            .unwrap_or_else(|| panic!("no URL in {line:?}"))
            .to_owned();
        assert!(!url.contains(":0/"), "the real port, not 0: {url}");
        let out = genai(&["models", "--base-url", &url]);
        let _ = child.kill();
        let _ = child.wait();
        assert!(out.status.success(), "{}", text(&out.stderr));
        assert!(text(&out.stdout).contains("@cf/meta/llama-3.2-1b-instruct"));
    }
}

#[test]
fn serve_says_nothing_on_stdout_when_the_address_is_taken() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
    let addr = taken.local_addr().expect("address").to_string();
    let out = genai(&["serve", "--addr", &addr]);
    assert!(!out.status.success());
    assert!(out.stdout.is_empty(), "{}", text(&out.stdout));
    assert!(text(&out.stderr).contains(&addr), "{}", text(&out.stderr));
}

#[test]
fn usage_errors_exit_with_2() {
    for args in [
        &["serve", "--token", ""][..],
        &["chat", ""],
        &["chat", "   "],
        &["chat", "--timeout", "0", "hi"],
        &["chat", "--timeout", "-1", "hi"],
        &["models", "--timeout", "0"],
        &["models", "--model", "x"],
        &["scoreboard", "--runs", "0"],
        &["scoreboard", "--timeout", "0"],
    ] {
        let out = genai(args);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            text(&out.stderr)
        );
    }
    // With --format json, the usage error is also the JSON error line.
    let out = genai(&["chat", "--format", "json", ""]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stdout).contains(r#""kind":"invalid_request""#));
}

#[test]
fn negative_numbers_reach_the_library_without_an_equals_sign() {
    let emulator = Emulator::start(EmulatorConfig::default()).expect("emulator");
    let url = emulator.base_url();
    let out = genai(&["chat", "--base-url", &url, "--temperature", "-0.5", "hi"]);
    // Parsed as a number, then refused by the library's own check (not by the parser).
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("temperature must be between"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn help_names_the_token_variables_and_the_defaults() {
    let help = text(&genai(&["chat", "--help"]).stdout);
    for needle in [
        "CLOUDFLARE_API_TOKEN",
        "CLOUDFLARE_API_KEY",
        "CLOUDFLARE_ACCOUNT_ID",
        "[default: @cf/meta/llama-3.3-70b-instruct-fp8-fast]",
        "[default: 2]",
        "[default: 600]",
        "[default: https://api.cloudflare.com/client/v4]",
        "[reasoning]",
    ] {
        assert!(help.contains(needle), "{needle} in:\n{help}");
    }
    let help = text(&genai(&["models", "--help"]).stdout);
    assert!(help.contains("CLOUDFLARE_API_TOKEN"));
    for foreign in ["--model", "--no-capability-check"] {
        assert!(!help.contains(foreign), "{foreign} in:\n{help}");
    }
}

#[test]
fn models_prints_a_header() {
    let emulator = Emulator::start(EmulatorConfig::default()).expect("emulator");
    let out = genai(&["models", "--base-url", &emulator.base_url()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let header: Vec<&str> = stdout
        .lines()
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .collect();
    assert_eq!(
        header,
        ["ID", "TASK", "CONTEXT", "STATUS", "PRICE", "(USD)"]
    );
}

#[test]
fn reasoning_looks_the_same_in_sync_and_stream_text_output() {
    let emulator = Emulator::start(EmulatorConfig::default()).expect("emulator");
    let url = emulator.base_url();
    let prompt = "What is 17 times 3? Think it through, then answer with the number.";
    let sync = genai(&["chat", "--base-url", &url, "--model", REASONER, prompt]);
    let stream = genai(&[
        "chat",
        "--base-url",
        &url,
        "--model",
        REASONER,
        "--stream",
        prompt,
    ]);
    assert!(sync.status.success() && stream.status.success());
    assert!(
        text(&sync.stderr).starts_with("[reasoning] "),
        "{}",
        text(&sync.stderr)
    );
    assert_eq!(text(&sync.stderr), text(&stream.stderr));
    assert_eq!(text(&sync.stdout), text(&stream.stdout));
    assert!(!text(&sync.stdout).contains("[reasoning]"));
}

#[test]
fn a_refused_connection_says_so_in_text_and_json() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let url = format!("http://127.0.0.1:{port}/client/v4");
    let base = ["chat", "--base-url", url.as_str(), "--max-retries", "0"];
    let out = genai(&[&base[..], &["hi"]].concat());
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("refused"),
        "{}",
        text(&out.stderr)
    );
    let out = genai(&[&base[..], &["--format", "json", "hi"]].concat());
    let last = text(&out.stdout);
    assert!(last.contains(r#""kind":"connection""#), "{last}");
    assert!(last.contains("refused"), "{last}");
}
