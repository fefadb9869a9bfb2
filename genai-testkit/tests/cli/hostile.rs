//! `genai` used as a hostile or careless user would: paths that collide, two runs at once,
//! endless inputs, a full disk, signals, replies that are not what they claim, standard
//! input for every file flag. Servers are the emulator or scripted loopback servers.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use genai_testkit::emulator::{Emulator, EmulatorConfig};
use genai_testkit::loopback::{reply, ScriptedServer};
use serde_json::Value;

use crate::support::{
    chat_jsonl, command_at as command, last_json, path_str as p, run, temp_dir as tmp_dir, text,
    ACCOUNT, CHAT, TOKEN,
};

/// `genai ARGS` against `base` with `stdin` piped in (closed at once when `None`).
fn genai_in(base: &str, args: &[&str], stdin: Option<&[u8]>) -> Output {
    run(command(base, args), stdin)
}

fn genai(base: &str, args: &[&str]) -> Output {
    genai_in(base, args, None)
}

/// `batch --input INPUT --out OUT REST...`
fn batch<'a>(input: &'a Path, out: &'a Path, rest: &[&'a str]) -> Vec<&'a str> {
    [&["batch", "--input", p(input), "--out", p(out)][..], rest].concat()
}

fn lines(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn chat_input(dir: &Path, n: usize) -> PathBuf {
    let input = dir.join("in.jsonl");
    std::fs::write(&input, chat_jsonl(n)).unwrap();
    input
}

// 1 ------------------------------------------------------------------------------------------

#[test]
fn model_ids_that_would_leave_ai_run_are_refused_before_any_request() {
    let emulator = Emulator::start(EmulatorConfig::default()).unwrap();
    let base = emulator.base_url();
    let dir = tmp_dir("model-ids");
    let input = chat_input(&dir, 1);
    let out = dir.join("out.jsonl");
    for args in [
        &[
            "chat",
            "--format",
            "json",
            "--model",
            "../../../../zone/x",
            "hi",
        ][..],
        &[
            "chat",
            "--format",
            "json",
            "--model",
            "@cf/meta/x?y=1",
            "hi",
        ],
        &[
            "embed",
            "--format",
            "json",
            "--model",
            "@cf/baai/%2e%2e",
            "hi",
        ],
        &[
            "translate",
            "--format",
            "json",
            "--model",
            "../x",
            "--to",
            "fr",
            "hi",
        ],
        &[
            "image",
            "--format",
            "json",
            "--model",
            "@cf/a/b/../../c",
            "--out",
            p(&dir.join("x.png")),
            "a fox",
        ],
        &[
            "batch",
            "--format",
            "json",
            "--model",
            "../../zone/x",
            "--input",
            p(&input),
            "--out",
            p(&out),
        ],
    ] {
        let o = genai(&base, args);
        assert_eq!(o.status.code(), Some(1), "{args:?}: {}", text(&o.stderr));
        assert_eq!(
            last_json(&o)["error"]["kind"],
            "invalid_request",
            "{args:?}"
        );
    }
    assert_eq!(emulator.request_count(), 0, "{:?}", emulator.requests());
    assert!(!out.exists());
}

// 2 ------------------------------------------------------------------------------------------

async fn serve_one(ct: &'static str, body: Vec<u8>) -> ScriptedServer {
    ScriptedServer::start(move |_, _| {
        let body = body.clone();
        async move { reply(200, ct, body) }
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn image_and_speak_refuse_replies_that_are_not_media_and_leave_no_file() {
    let dir = tmp_dir("not-media");
    let echo = format!("<html><body>Bearer {TOKEN} is not allowed</body></html>");
    let cases: Vec<(&str, &'static str, Vec<u8>)> = vec![
        ("image", "text/html", echo.into_bytes()),
        (
            "image",
            "application/octet-stream",
            br#"{"success":false,"errors":[{"code":5006,"message":"bad"}]}"#.to_vec(),
        ),
        (
            "image",
            "image/png",
            b"\x1f\x8b\x08\x00\x00\x00\x00\x00gzip".to_vec(),
        ),
        (
            "image",
            "image/png",
            b"plain words labelled image/png".to_vec(),
        ),
        (
            "speak",
            "audio/mpeg",
            b"plain words labelled audio/mpeg".to_vec(),
        ),
    ];
    for (cmd, ct, body) in cases {
        let server = serve_one(ct, body).await;
        let base = server.base_url();
        let out = dir.join(if cmd == "image" { "x.png" } else { "x.mp3" });
        let out_s = p(&out).to_owned();
        let o = tokio::task::spawn_blocking(move || {
            genai(
                &base,
                &[cmd, "--format", "json", "--out", &out_s, "something"],
            )
        })
        .await
        .unwrap();
        assert_eq!(o.status.code(), Some(1), "{cmd} {ct}: {}", text(&o.stdout));
        let e = last_json(&o);
        assert_eq!(e["error"]["kind"], "protocol", "{cmd} {ct}: {e}");
        let all = format!("{}{}", text(&o.stdout), text(&o.stderr));
        assert!(!all.contains(TOKEN), "token leaked: {all}");
        assert!(
            files_in(&dir).is_empty(),
            "{cmd} {ct}: {:?}",
            files_in(&dir)
        );
    }
}

// 3 ------------------------------------------------------------------------------------------

fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "waited too long for {what}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_second_batch_run_on_the_same_output_is_refused_naming_the_first() {
    let emulator = Emulator::start(
        EmulatorConfig::default()
            .queue_timing(Duration::from_millis(200), Duration::from_millis(1500)),
    )
    .unwrap();
    let base = emulator.base_url();
    let dir = tmp_dir("two-runs");
    let input = chat_input(&dir, 40);
    let out = dir.join("out.jsonl");
    let args = batch(&input, &out, &["--chunk-size", "10"]);
    let first: Child = command(&base, &args).spawn().unwrap();
    let first_pid = first.id();
    // The first run has submitted (its state records an id) before the second starts.
    let state = dir.join("out.jsonl.state");
    wait_for("the first submission", || {
        std::fs::read_to_string(&state).is_ok_and(|s| s.contains("request_id\": \""))
    });
    let submissions = emulator.request_count();
    let second = genai(&base, &args);
    assert_ne!(second.status.code(), Some(0), "{}", text(&second.stderr));
    let err = text(&second.stderr);
    assert!(err.contains("another `genai batch`"), "{err}");
    assert!(err.contains(&format!("pid {first_pid}")), "{err}");
    // Another state file for the same output is refused too.
    let other_state = dir.join("other.state");
    let third = genai(&base, &batch(&input, &out, &["--state", p(&other_state)]));
    assert_ne!(third.status.code(), Some(0), "{}", text(&third.stderr));
    assert!(!other_state.exists());
    let first = first.wait_with_output().unwrap();
    assert!(first.status.success(), "{}", text(&first.stderr));
    let got = lines(&out);
    assert_eq!(got.len(), 40);
    for (i, l) in got.iter().enumerate() {
        assert_eq!(l["index"], i, "{l}");
        assert!(l.get("result").is_some(), "{l}");
    }
    // The refused runs submitted nothing (the first run only polled meanwhile).
    let submitted = emulator
        .requests()
        .iter()
        .filter(|r| r.body.get("requests").is_some())
        .count();
    assert_eq!(submitted, 4, "after {submissions} requests");
    assert!(
        !dir.join("out.jsonl.state.lock").exists(),
        "the lock is removed at the end"
    );
}

// 4 ------------------------------------------------------------------------------------------

#[test]
fn path_collisions_are_refused_before_any_work() {
    let emulator = Emulator::start(EmulatorConfig::default()).unwrap();
    let base = emulator.base_url();
    let dir = tmp_dir("collisions");
    let input = chat_input(&dir, 3);
    let before = std::fs::read(&input).unwrap();
    let out = dir.join("out.jsonl");
    let same_input = dir.join(".").join("in.jsonl");
    for args in [
        batch(&input, &input, &[]),
        batch(&input, &same_input, &[]),
        batch(&input, &out, &["--state", p(&out)]),
        batch(&input, &out, &["--state", p(&input)]),
    ] {
        let o = genai(&base, &args);
        assert_eq!(o.status.code(), Some(1), "{args:?}");
        assert!(text(&o.stderr).contains("same file"), "{}", text(&o.stderr));
        assert_eq!(std::fs::read(&input).unwrap(), before, "{args:?}");
    }
    assert!(!out.exists());
    assert_eq!(emulator.request_count(), 0);
    // Speech lines: an `out` that is the run's own output, or outside its folder, is that
    // line's error; the others are written inside the output's folder.
    let speech_in = dir.join("speech.jsonl");
    std::fs::write(
        &speech_in,
        "{\"text\":\"one\",\"out\":\"../escaped.mp3\"}\n\
         {\"text\":\"two\",\"out\":\"speech-out.jsonl\"}\n\
         {\"text\":\"three\",\"out\":\"/tmp/absolute.mp3\"}\n\
         {\"text\":\"four\",\"out\":\"ok.mp3\"}\n\
         {\"text\":\"five\",\"out\":\"ok.mp3\"}\n",
    )
    .unwrap();
    let speech_out = dir.join("speech-out.jsonl");
    let o = genai(
        &base,
        &[
            "batch",
            "--model",
            "@cf/deepgram/aura-1",
            "--input",
            p(&speech_in),
            "--out",
            p(&speech_out),
        ],
    );
    assert!(o.status.success(), "{}", text(&o.stderr));
    let got = lines(&speech_out);
    assert_eq!(got.len(), 5);
    for i in [0, 1, 2, 4] {
        assert_eq!(got[i]["error"]["kind"], "invalid_request", "{}", got[i]);
    }
    assert_eq!(got[3]["result"]["path"], p(&dir.join("ok.mp3")));
    assert!(!dir.parent().unwrap().join("escaped.mp3").exists());
    assert!(std::fs::read(dir.join("ok.mp3")).unwrap().len() > 100);
}

// 5 ------------------------------------------------------------------------------------------

#[test]
fn every_input_read_is_bounded() {
    let emulator = Emulator::start(EmulatorConfig::default()).unwrap();
    let base = emulator.base_url();
    let dir = tmp_dir("bounded");
    let zero = Path::new("/dev/zero");
    if !zero.exists() {
        println!("SKIPPED every_input_read_is_bounded: no /dev/zero");
        return;
    }
    let out = dir.join("x.mp3");
    for args in [
        vec!["speak", "--format", "json", "--out", p(&out), "-"],
        vec!["translate", "--format", "json", "--to", "fr", "-"],
        vec!["summarize", "--format", "json", "--input", "-"],
        vec!["embed", "--format", "json", "--input", "/dev/zero"],
        vec![
            "rerank",
            "--format",
            "json",
            "--query",
            "q",
            "--input",
            "/dev/zero",
        ],
        vec!["classify", "--format", "json", "--image", "/dev/zero"],
        vec![
            "image",
            "--format",
            "json",
            "--out",
            p(&dir.join("x.png")),
            "--image",
            "/dev/zero",
            "a fox",
        ],
        vec!["chat", "--format", "json", "--messages", "/dev/zero"],
    ] {
        let start = Instant::now();
        let mut cmd = command(&base, &args);
        cmd.stdin(std::fs::File::open(zero).unwrap());
        let o = cmd.output().unwrap();
        assert_eq!(o.status.code(), Some(1), "{args:?}: {}", text(&o.stderr));
        let e = last_json(&o);
        assert_eq!(e["error"]["kind"], "invalid_request", "{args:?}: {e}");
        let msg = e["error"]["message"].as_str().unwrap();
        assert!(msg.contains("larger than"), "{args:?}: {msg}");
        assert!(!msg.contains("empty"), "{args:?}: {msg}");
        assert!(start.elapsed() < Duration::from_secs(20), "{args:?}");
    }
    assert_eq!(emulator.request_count(), 0);
    assert!(files_in(&dir).is_empty(), "{:?}", files_in(&dir));
}

// 6 ------------------------------------------------------------------------------------------

#[test]
fn batch_honours_timeout_while_polling_and_shows_the_wait() {
    let emulator = Emulator::start(
        EmulatorConfig::default().queue_timing(Duration::from_secs(600), Duration::from_secs(900)),
    )
    .unwrap();
    let base = emulator.base_url();
    let dir = tmp_dir("poll-timeout");
    let input = chat_input(&dir, 2);
    let out = dir.join("out.jsonl");
    let start = Instant::now();
    let o = genai(
        &base,
        &[
            "batch",
            "--format",
            "json",
            "--timeout",
            "1.5",
            "--input",
            p(&input),
            "--out",
            p(&out),
        ],
    );
    let took = start.elapsed();
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    assert_eq!(last_json(&o)["error"]["kind"], "timeout");
    assert!(took < Duration::from_secs(8), "{took:?}");
    let err = text(&o.stderr);
    assert!(err.contains("queued; next poll in"), "{err}");
}

// 7 ------------------------------------------------------------------------------------------

#[cfg(unix)]
#[test]
fn a_symlink_planted_at_the_old_temp_path_is_not_followed() {
    let emulator = Emulator::start(
        EmulatorConfig::default()
            .queue_timing(Duration::from_millis(10), Duration::from_millis(30)),
    )
    .unwrap();
    let dir = tmp_dir("symlink");
    let input = chat_input(&dir, 2);
    let out = dir.join("out.jsonl");
    let victim = dir.join("victim.txt");
    std::fs::write(&victim, "precious").unwrap();
    std::os::unix::fs::symlink(&victim, dir.join("out.jsonl.state.tmp")).unwrap();
    let o = genai(
        &emulator.base_url(),
        &["batch", "--input", p(&input), "--out", p(&out)],
    );
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
    assert_eq!(lines(&out).len(), 2);
    let leftovers: Vec<String> = files_in(&dir)
        .into_iter()
        .filter(|n| n.ends_with(".tmp") && n != "out.jsonl.state.tmp")
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

// 9 ------------------------------------------------------------------------------------------

#[test]
fn a_full_stdout_fails_the_command() {
    let full = Path::new("/dev/full");
    if !full.exists() {
        println!("SKIPPED a_full_stdout_fails_the_command: no /dev/full");
        return;
    }
    let emulator = Emulator::start(EmulatorConfig::default()).unwrap();
    let base = emulator.base_url();
    for args in [
        &["translate", "--to", "fr", "hello"][..],
        &["embed", "a cat"],
        &["chat", "Reply with exactly one word: hello."],
        &["classify", "I love it"],
        &["models"],
    ] {
        let mut cmd = command(&base, args);
        cmd.stdout(std::fs::OpenOptions::new().write(true).open(full).unwrap());
        let o = cmd.output().unwrap();
        assert_eq!(o.status.code(), Some(1), "{args:?}: {}", text(&o.stderr));
        assert!(
            text(&o.stderr).contains("standard output"),
            "{}",
            text(&o.stderr)
        );
    }
}

// 10 -----------------------------------------------------------------------------------------

#[test]
fn a_job_the_queue_lost_says_how_to_start_over() {
    let dir = tmp_dir("lost-job");
    let input = chat_input(&dir, 3);
    let out = dir.join("out.jsonl");
    let args = [
        "batch",
        "--format",
        "json",
        "--input",
        p(&input),
        "--out",
        p(&out),
    ];
    {
        // Submitted, then given up on: the state keeps the job's id.
        let slow = Emulator::start(
            EmulatorConfig::default()
                .queue_timing(Duration::from_secs(60), Duration::from_secs(90)),
        )
        .unwrap();
        let mut with_timeout = args.to_vec();
        with_timeout.extend(["--timeout", "0.5"]);
        let o = genai(&slow.base_url(), &with_timeout);
        assert_eq!(
            last_json(&o)["error"]["kind"],
            "timeout",
            "{}",
            text(&o.stderr)
        );
    }
    // Another queue does not know that id.
    let fresh = Emulator::start(
        EmulatorConfig::default()
            .queue_timing(Duration::from_millis(10), Duration::from_millis(30)),
    )
    .unwrap();
    for _ in 0..2 {
        let o = genai(&fresh.base_url(), &args);
        assert_eq!(o.status.code(), Some(1));
        let e = last_json(&o);
        let msg = e["error"]["message"].as_str().unwrap();
        assert!(msg.contains("no longer knows"), "{msg}");
        assert!(msg.contains("--restart"), "{msg}");
        assert_eq!(e["error"]["code"], 5007, "{e}");
    }
    let mut restart = args.to_vec();
    restart.push("--restart");
    let o = genai(&fresh.base_url(), &restart);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert_eq!(lines(&out).len(), 3);
}

// 11 -----------------------------------------------------------------------------------------

#[test]
fn bad_batch_lines_get_their_own_errors() {
    let emulator = Emulator::start(
        EmulatorConfig::default()
            .queue_timing(Duration::from_millis(10), Duration::from_millis(30)),
    )
    .unwrap();
    let dir = tmp_dir("bad-lines");
    let input = dir.join("in.jsonl");
    let mut body = Vec::new();
    body.extend_from_slice(b"{\"id\":\"a\",\"prompt\":\"Say the number 1.\"}\n");
    body.extend_from_slice(b"{\"id\":\"b\",\"prompt\":\"caf\xe9 latin-1\"}\n");
    body.extend_from_slice(b"{\"id\":\"c\",\"prompt\":\"   \"}\n");
    body.extend_from_slice(b"{\"id\":\"d\"}\n");
    body.extend_from_slice(b"{\"id\":\"e\",\"prompt\":\"Say the number 5.\"}\n");
    std::fs::write(&input, body).unwrap();
    let out = dir.join("out.jsonl");
    let o = genai(
        &emulator.base_url(),
        &["batch", "--input", p(&input), "--out", p(&out)],
    );
    assert!(o.status.success(), "{}", text(&o.stderr));
    let got = lines(&out);
    assert_eq!(got.len(), 5);
    assert!(got[0].get("result").is_some(), "{}", got[0]);
    for l in &got[1..4] {
        assert_eq!(l["error"]["kind"], "invalid_request", "{l}");
    }
    assert!(got[1]["error"]["message"]
        .as_str()
        .unwrap()
        .contains("UTF-8"));
    assert!(got[2]["error"]["message"]
        .as_str()
        .unwrap()
        .contains("empty"));
    assert!(got[4].get("result").is_some(), "{}", got[4]);
    let sent: usize = emulator
        .requests()
        .iter()
        .filter_map(|r| {
            r.body
                .get("requests")
                .and_then(Value::as_array)
                .map(Vec::len)
        })
        .sum();
    assert_eq!(sent, 2, "only the good lines were sent");
}

// 12 -----------------------------------------------------------------------------------------

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signal_during_a_download_leaves_no_part_file() {
    // An MP3 that starts, then never ends.
    let server = ScriptedServer::start(|_, _| async {
        let stream = futures_util::stream::unfold(0u8, |n| async move {
            if n == 0 {
                let head = Bytes::from_static(b"ID3\x04\0\0\0\0\0\0 first bytes of the song");
                Some((Ok::<_, std::io::Error>(head), 1))
            } else {
                std::future::pending::<()>().await;
                None
            }
        });
        reply(200, "audio/mpeg", Body::from_stream(stream))
    })
    .await
    .unwrap();
    for (signal, code) in [("TERM", 143), ("INT", 130)] {
        let dir = tmp_dir(&format!("signal-{signal}"));
        let out = dir.join("song.mp3");
        let base = server.base_url();
        let out_s = p(&out).to_owned();
        let dir2 = dir.clone();
        let status = tokio::task::spawn_blocking(move || {
            let child = command(&base, &["speak", "--out", &out_s, "sing"])
                .spawn()
                .unwrap();
            wait_for("the .part file", || {
                files_in(&dir2).iter().any(|n| n.ends_with(".part"))
            });
            let pid = child.id().to_string();
            let killed = Command::new("kill")
                .args([&format!("-{signal}"), &pid])
                .status();
            assert!(killed.unwrap().success());
            child.wait_with_output().unwrap()
        })
        .await
        .unwrap();
        assert_eq!(status.status.code(), Some(code), "{}", text(&status.stderr));
        assert!(files_in(&dir).is_empty(), "{signal}: {:?}", files_in(&dir));
    }
}

// 13 -----------------------------------------------------------------------------------------

#[test]
fn messages_name_what_is_wrong() {
    let emulator = Emulator::start(EmulatorConfig::default()).unwrap();
    let base = emulator.base_url();
    // A JSON-mode usage error names the missing flag.
    let o = genai(&base, &["image", "--format", "json", "a fox"]);
    assert_eq!(o.status.code(), Some(2));
    let msg = last_json(&o)["error"]["message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(msg.contains("--out"), "{msg}");
    // classify has no --input: its hint names --image.
    let o = genai(&base, &["classify", "--format", "json"]);
    let msg = last_json(&o)["error"]["message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(msg.contains("--image") && !msg.contains("--input"), "{msg}");
    // `chat -` reads the prompt from standard input; so does a pipe without a prompt.
    for args in [
        &["chat", "--format", "json", "-"][..],
        &["chat", "--format", "json"],
    ] {
        let o = genai_in(&base, args, Some(b"Reply with exactly one word: hello.\n"));
        assert!(o.status.success(), "{args:?}: {}", text(&o.stderr));
        let req = emulator.requests().pop().unwrap();
        let sent = req.body.to_string();
        assert!(
            sent.contains("Reply with exactly one word: hello."),
            "{sent}"
        );
        assert!(!sent.contains("\"content\":\"-\""), "{sent}");
    }
}

#[test]
fn a_full_disk_is_an_io_error() {
    let full = Path::new("/dev/full");
    if !full.exists() {
        println!("SKIPPED a_full_disk_is_an_io_error: no /dev/full");
        return;
    }
    let emulator = Emulator::start(EmulatorConfig::default()).unwrap();
    let mut cmd = command(&emulator.base_url(), &["speak", "--out", "-", "hello"]);
    cmd.stdout(std::fs::OpenOptions::new().write(true).open(full).unwrap());
    let o = cmd.output().unwrap();
    assert_eq!(o.status.code(), Some(1));
    let err = text(&o.stderr);
    assert!(
        err.contains("io:") && !err.contains("invalid_request"),
        "{err}"
    );
}

// 14 -----------------------------------------------------------------------------------------

#[test]
fn nothing_is_left_or_paid_for_when_an_output_cannot_be_written() {
    let emulator = Emulator::start(EmulatorConfig::default()).unwrap();
    let base = emulator.base_url();
    let dir = tmp_dir("leftovers");
    let input = chat_input(&dir, 2);
    let out = dir.join("out.jsonl");
    let o = genai(
        &base,
        &batch(&input, &out, &["--state", "/nonexistent-dir/x.state"]),
    );
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    assert!(!out.exists(), "an unwritable state leaves no output");
    for args in [
        &["image", "--out", "/nonexistent-dir/x.png", "a fox"][..],
        &["speak", "--out", "/nonexistent-dir/x.mp3", "hello"],
        &["image", "--out", p(&dir), "a fox"],
    ] {
        let o = genai(&base, args);
        assert_eq!(o.status.code(), Some(1), "{args:?}");
    }
    assert_eq!(emulator.request_count(), 0, "nothing was paid for");
}

// 15 -----------------------------------------------------------------------------------------

#[test]
fn serve_does_not_print_its_token_on_stdout() {
    let secret = "serve-secret-token-42";
    let mut child = crate::support::command(&["serve", "--addr", "127.0.0.1:0", "--token", secret])
        .spawn()
        .unwrap();
    let mut line = String::new();
    let stdout = child.stdout.take().unwrap();
    std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut line).unwrap();
    let _ = child.kill();
    let o = child.wait_with_output().unwrap();
    assert!(line.contains("http://127.0.0.1:"), "{line}");
    assert!(!line.contains(secret), "{line}");
    assert!(!text(&o.stderr).contains(secret), "{}", text(&o.stderr));
}

#[test]
fn the_emulator_answers_413_to_a_body_over_its_limit() {
    let emulator = Emulator::start(EmulatorConfig::default()).unwrap();
    let url = format!("{}/accounts/{ACCOUNT}/ai/run/{CHAT}", emulator.base_url());
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let status = runtime.block_on(async {
        let big = vec![b' '; 49 * 1024 * 1024];
        reqwest::Client::new()
            .post(url)
            .bearer_auth(TOKEN)
            .body(big)
            .send()
            .await
            .map(|r| r.status().as_u16())
    });
    // The emulator may close the connection right after its answer, while the body is
    // still being sent: then the client sees the reset, not the status.
    if let Ok(status) = status {
        assert_eq!(status, 413);
    }
}

// Standard input for every file flag -----------------------------------------------------------

#[test]
fn dash_reads_standard_input_for_every_file_flag() {
    let emulator = Emulator::start(
        EmulatorConfig::default()
            .queue_timing(Duration::from_millis(10), Duration::from_millis(30)),
    )
    .unwrap();
    let base = emulator.base_url();
    // embed --input -: one vector per line.
    let o = genai_in(
        &base,
        &["embed", "--input", "-"],
        Some(b"a cat\na dog\na fox\n"),
    );
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert_eq!(text(&o.stdout).lines().count(), 3);
    let o = genai_in(
        &base,
        &[
            "translate",
            "--format",
            "json",
            "--to",
            "fr",
            "--input",
            "-",
        ],
        Some(b"Hello"),
    );
    assert!(o.status.success(), "{}", text(&o.stderr));
    let o = genai_in(
        &base,
        &["summarize", "--format", "json", "--input", "-"],
        Some(b"A long text about cats."),
    );
    assert!(o.status.success(), "{}", text(&o.stderr));
    // chat --messages -, --tools -, --json-schema -.
    let o = genai_in(
        &base,
        &["chat", "--format", "json", "--messages", "-"],
        Some(br#"[{"role":"user","content":"Reply with exactly one word: hello."}]"#),
    );
    assert!(o.status.success(), "{}", text(&o.stderr));
    let tools = br#"[{"name":"get_weather","description":"Weather of a city","parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}]"#;
    let o = genai_in(
        &base,
        &[
            "chat",
            "--format",
            "json",
            "--tools",
            "-",
            "What is the weather in Paris?",
        ],
        Some(tools),
    );
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(emulator
        .requests()
        .pop()
        .unwrap()
        .body
        .to_string()
        .contains("get_weather"));
    let schema = br#"{"title":"answer","type":"object","properties":{"answer":{"type":"string"}},"required":["answer"]}"#;
    let o = genai_in(
        &base,
        &[
            "chat",
            "--format",
            "json",
            "--json-schema",
            "-",
            "Answer in JSON.",
        ],
        Some(schema),
    );
    assert!(o.status.success(), "{}", text(&o.stderr));
    // batch --input -.
    let dir = tmp_dir("stdin-batch");
    let out = dir.join("out.jsonl");
    let o = genai_in(
        &base,
        &["batch", "--input", "-", "--out", p(&out)],
        Some(b"{\"prompt\":\"Say the number 1.\"}\n{\"prompt\":\"Say the number 2.\"}\n"),
    );
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert_eq!(lines(&out).len(), 2);
    // Standard input is read once: two `-` in one command is an error, not a silent empty.
    let o = genai_in(
        &base,
        &["chat", "--format", "json", "--tools", "-", "-"],
        Some(tools),
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(last_json(&o)["error"]["message"]
        .as_str()
        .unwrap()
        .contains("already read"));
}
