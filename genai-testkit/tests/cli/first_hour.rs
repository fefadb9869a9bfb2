//! What a new user meets in the first hour of `genai`: help that shows each command's own
//! default model, `GENAI_MODEL` for chat only, errors that say what to do (a mistyped model,
//! an API root without `/client/v4`, a refused token, a refusal with a way out), binary output
//! kept off terminals and named by its type, and one spelling per flag.

use std::process::{Command, Output};

use genai_testkit::emulator::{Emulator, EmulatorConfig};

use crate::support::{
    command, command_at, last_json, path_str, temp_dir, text, ACCOUNT, CHAT, DEAD, TOKEN,
};

/// `genai ARGS` with a clean environment plus `env`.
fn genai(args: &[&str], env: &[(&str, &str)]) -> Output {
    command(args)
        .envs(env.iter().copied())
        .output()
        .expect("genai runs")
}

/// The message of the `--format json` error line of a failed run.
fn error_message(out: &Output) -> String {
    assert!(!out.status.success());
    last_json(out)["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// The help text of `--model`, up to the next flag.
fn model_help(help: &str) -> String {
    let start = help.find("--model <ID>").expect("a --model flag");
    let rest = &help[start..];
    let end = rest[2..].find("\n      --").map_or(rest.len(), |i| i + 2);
    rest[..end].to_owned()
}

#[test]
fn help_shows_each_commands_own_default_and_genai_model_is_for_chat() {
    for (cmd, default) in [
        ("chat", CHAT),
        ("batch", CHAT),
        ("embed", "@cf/baai/bge-base-en-v1.5"),
        ("rerank", "@cf/baai/bge-reranker-base"),
        ("classify", "@cf/huggingface/distilbert-sst-2-int8"),
        ("translate", "@cf/meta/m2m100-1.2b"),
        ("summarize", genai_cloudflare::DEFAULT_SUMMARY_MODEL),
        ("image", "@cf/black-forest-labs/flux-1-schnell"),
        ("speak", "@cf/deepgram/aura-1"),
        ("transcribe", "@cf/openai/whisper-large-v3-turbo"),
    ] {
        let help = model_help(&text(&genai(&[cmd, "--help"], &[]).stdout));
        assert!(
            help.contains(&format!("[default: {default}")),
            "{cmd}: {help}"
        );
        assert_eq!(
            help.contains("GENAI_MODEL"),
            default == CHAT,
            "{cmd}: {help}"
        );
        if default != CHAT {
            assert!(!help.contains(CHAT), "{cmd}: {help}");
        }
    }

    let emulator = Emulator::start(EmulatorConfig::default()).expect("emulator");
    let base = emulator.base_url();
    // A chat model in GENAI_MODEL does not leak into the other kinds...
    let env = [("GENAI_MODEL", CHAT)];
    let out = genai(
        &["embed", "--base-url", &base, "--format", "json", "a cat"],
        &env,
    );
    assert!(out.status.success(), "{}", text(&out.stdout));
    assert_eq!(last_json(&out)["model"], "@cf/baai/bge-base-en-v1.5");
    // ...chat uses it...
    let small = "@cf/meta/llama-3.2-1b-instruct";
    let out = genai(
        &["chat", "--base-url", &base, "--format", "json", "hi"],
        &[("GENAI_MODEL", small)],
    );
    assert!(out.status.success(), "{}", text(&out.stdout));
    assert_eq!(last_json(&out)["model"], small);
    // ...and an error about the model it chose says where the model came from.
    let out = genai(
        &["chat", "--base-url", &base, "--format", "json", "hi"],
        &[("GENAI_MODEL", "@cf/baai/bge-m3")],
    );
    assert!(!out.status.success());
    let err = &last_json(&out)["error"];
    assert_eq!(err["kind"], "unsupported");
    let message = err["message"].as_str().unwrap_or_default();
    assert!(message.contains("came from GENAI_MODEL"), "{message}");
    // --model wins over it.
    let out = genai(
        &[
            "chat",
            "--base-url",
            &base,
            "--model",
            small,
            "--format",
            "json",
            "hi",
        ],
        &[("GENAI_MODEL", "@cf/baai/bge-m3")],
    );
    assert_eq!(last_json(&out)["model"], small);
}

#[test]
fn mistakes_get_advice_a_typo_a_short_base_url_a_refused_token() {
    let emulator = Emulator::start(EmulatorConfig::default()).expect("emulator");
    let base = emulator.base_url();
    let message = error_message;
    // A mistyped model id: the closest id the library knows.
    let typo = "@cf/meta/llama-3.3-70b-instruct-fp8-fsat";
    let out = genai(
        &[
            "chat",
            "--base-url",
            &base,
            "--model",
            typo,
            "--format",
            "json",
            "hi",
        ],
        &[],
    );
    assert!(
        message(&out).contains(&format!("did you mean `{CHAT}`?")),
        "{}",
        message(&out)
    );
    let out = genai(
        &[
            "embed",
            "--base-url",
            &base,
            "--model",
            "@cf/baai/bge-base-en-v1-5",
            "--format",
            "json",
            "a",
        ],
        &[],
    );
    assert!(
        message(&out).contains("`@cf/baai/bge-base-en-v1.5`"),
        "{}",
        message(&out)
    );
    // An API root without /client/v4.
    let short = base.trim_end_matches("/client/v4");
    let out = genai(
        &["chat", "--base-url", short, "--format", "json", "hi"],
        &[],
    );
    assert!(
        message(&out).contains("does not end in /client/v4"),
        "{}",
        message(&out)
    );
    // A refused token names the variable it came from.
    let out = genai(
        &["chat", "--base-url", &base, "--format", "json", "hi"],
        &[("CLOUDFLARE_API_TOKEN", "wrong-token")],
    );
    assert_eq!(last_json(&out)["error"]["kind"], "unauthenticated");
    assert!(
        message(&out).contains("CLOUDFLARE_API_TOKEN"),
        "{}",
        message(&out)
    );
    let out = command(&["models", "--base-url", &base, "--format", "json"])
        .env_remove("CLOUDFLARE_API_TOKEN")
        .env("CLOUDFLARE_API_KEY", "wrong-key")
        .output()
        .unwrap();
    assert!(
        message(&out).contains("CLOUDFLARE_API_KEY"),
        "{}",
        message(&out)
    );
}

#[test]
fn refusals_name_models_that_can_and_the_flag_that_sends_anyway() {
    // Nothing listens there: every refusal below happens before any request.
    let at_dead = |args: &[&str]| {
        let mut cmd = command_at(DEAD, args);
        cmd.args(["--format", "json"]);
        cmd.output().expect("genai runs")
    };
    let dir = temp_dir("refusals");
    let tools = dir.join("tools.json");
    std::fs::write(
        &tools,
        r#"[{"name":"square_root","description":"Square root","parameters":{"type":"object","properties":{"number":{"type":"number"}}}}]"#,
    )
    .unwrap();
    let qwq = "@cf/qwen/qwq-32b";
    let out = at_dead(&["chat", "--model", qwq, "--tools", path_str(&tools), "hi"]);
    let err = &last_json(&out)["error"];
    assert_eq!(err["kind"], "unsupported");
    let message = err["message"].as_str().unwrap_or_default();
    assert!(message.contains("models that do: `@cf/"), "{message}");
    assert!(message.contains("--no-capability-check"), "{message}");
    // An image option the model does not take: image models that take it.
    let x = dir.join("x");
    let message = error_message(&at_dead(&[
        "image",
        "--width",
        "512",
        "--out",
        path_str(&x),
        "a fox",
    ]));
    assert!(message.contains("does not take width"), "{message}");
    assert!(message.contains("models that do: `@cf/"), "{message}");
    assert!(message.contains("--no-capability-check"), "{message}");
    // A model of another kind: models of the kind wanted.
    let message = error_message(&at_dead(&["embed", "--model", CHAT, "a"]));
    assert!(message.contains("embedding models: `@cf/"), "{message}");
    assert!(message.contains("--no-capability-check"), "{message}");
    // With the flag, the request is sent (and here fails to connect, not as a refusal).
    let out = at_dead(&["embed", "--model", CHAT, "--no-capability-check", "a"]);
    assert_eq!(last_json(&out)["error"]["kind"], "connection");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn binary_output_stays_off_terminals_and_is_named_by_its_type() {
    let emulator = Emulator::start(EmulatorConfig::default()).expect("emulator");
    let base = emulator.base_url();
    let dir = temp_dir("binary");
    // No extension: the image's own is added.
    let fox = dir.join("fox");
    let out = genai(
        &[
            "image",
            "--base-url",
            &base,
            "--out",
            fox.to_str().unwrap(),
            "--format",
            "json",
            "a fox",
        ],
        &[],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let line = last_json(&out);
    assert_eq!(line["media_type"], "image/jpeg");
    assert_eq!(line["path"], format!("{}.jpg", fox.display()));
    assert!(dir.join("fox.jpg").is_file());
    // A wrong extension: written as asked, with a warning.
    let png = dir.join("fox.png");
    let out = genai(
        &[
            "image",
            "--base-url",
            &base,
            "--out",
            png.to_str().unwrap(),
            "a fox",
        ],
        &[],
    );
    assert!(out.status.success());
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("warning:") && stderr.contains("image/jpeg"),
        "{stderr}"
    );
    assert!(png.is_file());
    // Speech too.
    let voice = dir.join("hello");
    let out = genai(
        &[
            "speak",
            "--base-url",
            &base,
            "--out",
            voice.to_str().unwrap(),
            "Hello.",
        ],
        &[],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(dir.join("hello.mp3").is_file(), "{}", text(&out.stdout));
    // `--out -` on a terminal is refused before any request (run under `script`, which gives
    // the command a terminal).
    let script = Command::new("script").arg("--version").output();
    if script.is_ok_and(|o| o.status.success()) {
        for cmd in ["image", "speak"] {
            let line = format!(
                "{} {cmd} --base-url {DEAD} --out - hello",
                env!("CARGO_BIN_EXE_genai")
            );
            let out = Command::new("script")
                .args(["-qec", &line, "/dev/null"])
                .env("CLOUDFLARE_ACCOUNT_ID", ACCOUNT)
                .env("CLOUDFLARE_API_TOKEN", TOKEN)
                .env_remove("GENAI_MODEL")
                .output()
                .unwrap();
            let shown = text(&out.stdout);
            assert!(!out.status.success(), "{cmd}: {shown}");
            assert!(
                shown.contains("standard output is a terminal"),
                "{cmd}: {shown}"
            );
        }
    } else {
        eprintln!("SKIPPED the terminal check: no `script` command to give genai a terminal");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn one_spelling_per_flag_with_the_old_ones_still_accepted() {
    let help = |cmd: &str| text(&genai(&[cmd, "--help"], &[]).stdout);
    let (speak, transcribe) = (help("speak"), help("transcribe"));
    for h in [&speak, &transcribe] {
        assert!(h.contains("--language <CODE>"), "{h}");
        assert!(!h.contains("--lang "), "{h}");
    }
    for cmd in ["translate", "summarize"] {
        let h = help(cmd);
        assert!(
            h.contains("--file <FILE>") && !h.contains("--input <"),
            "{cmd}: {h}"
        );
    }
    for cmd in ["embed", "rerank"] {
        assert!(help(cmd).contains("--input <FILE>"), "{cmd}");
    }

    let emulator = Emulator::start(EmulatorConfig::default()).expect("emulator");
    let base = emulator.base_url();
    let dir = temp_dir("spelling");
    let melotts = "@cf/myshell-ai/melotts";
    for flag in ["--language", "--lang"] {
        let out_file = dir.join(format!("hello{flag}.mp3"));
        let out = genai(
            &[
                "speak",
                "--base-url",
                &base,
                "--model",
                melotts,
                flag,
                "en",
                "--out",
                out_file.to_str().unwrap(),
                "Hello.",
            ],
            &[],
        );
        assert!(out.status.success(), "{flag}: {}", text(&out.stderr));
    }
    let article = dir.join("article.txt");
    std::fs::write(
        &article,
        "The cat sat on the mat. It was a sunny day and the cat was happy.",
    )
    .unwrap();
    for flag in ["--file", "--input"] {
        let out = genai(
            &[
                "summarize",
                "--base-url",
                &base,
                flag,
                article.to_str().unwrap(),
                "--format",
                "json",
            ],
            &[],
        );
        assert!(out.status.success(), "{flag}: {}", text(&out.stderr));
        assert!(last_json(&out)["text"].is_string());
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
