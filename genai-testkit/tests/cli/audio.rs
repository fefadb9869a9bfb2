//! `genai speak` and `genai transcribe` end to end against the emulator: files and stdout,
//! stdin, the JSON shapes of docs/cli.md, and bad input refused before any request.

use std::process::Output;

use genai_testkit::emulator::{Emulator, EmulatorConfig, Fault};
use genai_testkit::fixtures::tone_wav;

use crate::support::{command_at, last_json, path_str as path, run, temp_dir as tmp_dir, DEAD};

/// `genai ARGS --format json` against `base`, with `stdin` piped in.
fn genai(base: &str, args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut cmd = command_at(base, args);
    cmd.args(["--format", "json"]);
    run(cmd, stdin)
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
        let out = crate::support::genai(&[cmd, "--help"]);
        assert!(
            String::from_utf8_lossy(&out.stdout).contains(model),
            "{cmd}"
        );
    }
}
