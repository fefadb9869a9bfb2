//! `genai speak` and `genai transcribe` end to end against the emulator: files and stdout,
//! stdin, the JSON shapes of docs/cli.md, and bad input refused before any request.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use genai_testkit::emulator::{Emulator, EmulatorConfig, Fault};
use genai_testkit::fixtures::tone_wav;
use serde_json::Value;

const ACCOUNT: &str = "0123456789abcdef0123456789abcdef";
/// Nothing listens there: a command that reaches the network fails with `connection`.
const DEAD: &str = "http://127.0.0.1:9/client/v4";

fn genai(base: &str, args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_genai"));
    cmd.arg(args[0])
        .args(["--base-url", base, "--format", "json", "--max-retries", "0"])
        .args(&args[1..])
        .env("CLOUDFLARE_ACCOUNT_ID", ACCOUNT)
        .env("CLOUDFLARE_API_TOKEN", "test-token")
        .env_remove("GENAI_MODEL")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let mut input = child.stdin.take().unwrap();
    if let Some(bytes) = stdin {
        input.write_all(bytes).unwrap();
    }
    drop(input);
    child.wait_with_output().unwrap()
}

fn last_json(out: &Output) -> Value {
    let text = String::from_utf8_lossy(&out.stdout);
    serde_json::from_str(text.lines().last().unwrap_or_default()).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {text} / {}",
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

fn tmp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("genai-cli-audio-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn speak_then_transcribe_through_the_cli() {
    let emulator = Emulator::start(EmulatorConfig::default()).unwrap();
    let base = emulator.base_url();
    let dir = tmp_dir("round");
    let out = dir.join("hello.mp3");
    let run = genai(
        &base,
        &[
            "speak",
            "--out",
            path(&out),
            "--voice",
            "luna",
            "Good morning. How are you?",
        ],
        None,
    );
    assert!(run.status.success(), "{run:?}");
    let v = last_json(&run);
    let bytes = std::fs::read(&out).unwrap();
    assert_eq!(v["model"], "@cf/deepgram/aura-1", "the default model");
    assert_eq!(v["media_type"], "audio/mpeg");
    assert_eq!(v["bytes"], bytes.len());
    assert_eq!(v["path"], path(&out));

    // The default transcription model, the file given by name.
    let run = genai(&base, &["transcribe", path(&out)], None);
    assert!(run.status.success(), "{run:?}");
    let v = last_json(&run);
    assert_eq!(v["model"], "@cf/openai/whisper-large-v3-turbo");
    assert_eq!(v["text"], "Good morning. How are you?");
    assert_eq!(v["language"], "en");
    assert!(v["duration"].as_f64().unwrap() > 1.0);
    assert_eq!(v["segments"].as_array().unwrap().len(), 2);
    assert_eq!(v["words"].as_array().unwrap().len(), 5);

    // melotts to stdout, then whisper from stdin: no duration given, so null.
    let run = genai(
        &base,
        &[
            "speak",
            "--model",
            "@cf/myshell-ai/melotts",
            "--lang",
            "en",
            "--out",
            "-",
            "Hello world",
        ],
        None,
    );
    assert!(run.status.success(), "{run:?}");
    let text_end = run.stdout.iter().rposition(|b| *b == b'{').unwrap();
    let audio = &run.stdout[..text_end];
    assert_eq!(genai_core::sniff_media_type(audio), Some("audio/wav"));
    let run = genai(
        &base,
        &["transcribe", "--model", "@cf/openai/whisper", "-"],
        Some(audio),
    );
    assert!(run.status.success(), "{run:?}");
    let v = last_json(&run);
    assert_eq!(v["text"], "Hello world");
    assert!(v["duration"].is_null() && v["language"].is_null());
    assert_eq!(v["segments"], serde_json::json!([]));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_failed_speak_leaves_no_file() {
    let emulator = Emulator::start(
        EmulatorConfig::default().faults([Fault::CutMidStream { after_events: 0 }]),
    )
    .unwrap();
    let dir = tmp_dir("cut");
    let out = dir.join("cut.mp3");
    let run = genai(
        &emulator.base_url(),
        &[
            "speak",
            "--out",
            path(&out),
            "A sentence long enough to be cut in two.",
        ],
        None,
    );
    assert!(!run.status.success());
    assert_eq!(last_json(&run)["error"]["kind"], "protocol");
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn bad_audio_and_wrong_models_are_refused_before_any_request() {
    let dir = tmp_dir("bad");
    let text = dir.join("speech.wav");
    std::fs::write(&text, "this is text, not audio").unwrap();
    let empty = dir.join("empty.wav");
    std::fs::write(&empty, b"").unwrap();
    let big = dir.join("big.wav");
    let file = std::fs::File::create(&big).unwrap();
    file.set_len(25 * 1024 * 1024 + 1).unwrap();
    let missing = dir.join("missing.wav");
    let x = dir.join("x.mp3");
    let good = dir.join("good.wav");
    std::fs::write(&good, tone_wav(0.2, 0.0)).unwrap();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["transcribe", path(&text)], "invalid_request"),
        (vec!["transcribe", path(&empty)], "invalid_request"),
        (vec!["transcribe", path(&big)], "invalid_request"),
        (vec!["transcribe", path(&missing)], "invalid_request"),
        (
            vec![
                "transcribe",
                "--model",
                "@cf/openai/whisper",
                "--prompt",
                "names",
                path(&good),
            ],
            "unsupported",
        ),
        (
            vec!["transcribe", "--model", "@cf/deepgram/aura-1", path(&good)],
            "unsupported",
        ),
        (
            vec!["speak", "--out", path(&x), "--voice", "nova", "Hi"],
            "invalid_request",
        ),
        (
            vec![
                "speak",
                "--model",
                "@cf/meta/llama-3.3-70b-instruct-fp8-fast",
                "--out",
                path(&x),
                "Hi",
            ],
            "unsupported",
        ),
    ];
    for (args, kind) in cases {
        let run = genai(DEAD, &args, None);
        assert!(!run.status.success(), "{args:?}");
        assert_eq!(last_json(&run)["error"]["kind"], kind, "{args:?}");
    }
    // Not-audio bytes on stdin too.
    let run = genai(
        DEAD,
        &["transcribe", "-"],
        Some(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"),
    );
    assert_eq!(last_json(&run)["error"]["kind"], "invalid_request");
    assert!(!x.exists());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn help_names_the_default_models() {
    for (cmd, model) in [
        ("speak", "@cf/deepgram/aura-1"),
        ("transcribe", "@cf/openai/whisper-large-v3-turbo"),
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_genai"))
            .args([cmd, "--help"])
            .output()
            .unwrap();
        assert!(
            String::from_utf8_lossy(&out.stdout).contains(model),
            "{cmd}"
        );
    }
}
