//! `genai chat` end to end against misbehaving loopback servers: retries with `--max-retries`,
//! `Retry-After`, no retry of a 400, `protocol` errors for broken streams, `timeout` within
//! `--timeout`, and the token never printed (not even with `RUST_LOG=trace`) nor recorded.

use genai_testkit::loopback::{reply, ScriptedServer as Server};
use std::future::Future;
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::response::Response;
use serde_json::Value;

use crate::support::{command, ok_sync, sse, ACCOUNT, SMALL_CHAT as MODEL};

const TOKEN: &str = "cli-tok-31415926535-do-not-print";
const EV_HEL: &str = "data: {\"response\":\"Hel\"}\n\n";
const EV_LO: &str = "data: {\"response\":\"lo\"}\n\n";
/// The longest any CLI run may take before the test kills it.
const BOUND: Duration = Duration::from_secs(20);
const SLACK: Duration = Duration::from_millis(2000);

/// A scripted loopback server; the script sees the request number and the `Authorization`
/// header the client sent.
async fn serve<F, Fut>(script: F) -> Server
where
    F: Fn(usize, String) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Response> + Send + 'static,
{
    Server::start(move |n, req| script(n, req.header("authorization").to_owned()))
        .await
        .unwrap()
}

/// What a CLI run produced.
#[derive(Debug)]
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    elapsed: Duration,
}

impl Run {
    /// The `{"error":{...}}` object of stdout's last line.
    fn error(&self) -> Value {
        let last = self.stdout.lines().last().unwrap_or_default();
        let v: Value = serde_json::from_str(last)
            .unwrap_or_else(|e| panic!("stdout's last line is not JSON ({e}): {self:?}"));
        v.get("error")
            .cloned()
            .unwrap_or_else(|| panic!("no error object: {self:?}"))
    }
}

/// Runs `genai chat PROMPT` against `base_url` with `extra` flags, killing it past [`BOUND`].
async fn chat(base_url: &str, extra: &[&str], env: &[(&str, &str)]) -> Run {
    let mut cmd = command(&["chat", "Say hello to the loopback server."]);
    cmd.args(["--model", MODEL, "--base-url", base_url])
        .args(extra)
        .env("CLOUDFLARE_API_TOKEN", TOKEN)
        .envs(env.iter().copied());
    tokio::task::spawn_blocking(move || {
        let started = Instant::now();
        let mut child = cmd.spawn().expect("the genai binary runs");
        // Read the pipes on their own threads so a chatty child never blocks on them.
        let mut out = child.stdout.take().unwrap();
        let mut err = child.stderr.take().unwrap();
        let out = std::thread::spawn(move || {
            let mut s = String::new();
            let _ = std::io::Read::read_to_string(&mut out, &mut s);
            s
        });
        let err = std::thread::spawn(move || {
            let mut s = String::new();
            let _ = std::io::Read::read_to_string(&mut err, &mut s);
            s
        });
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            if started.elapsed() > BOUND {
                let _ = child.kill();
                panic!("genai chat ran past {BOUND:?}");
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        let elapsed = started.elapsed();
        Run {
            code: status.code(),
            stdout: out.join().unwrap(),
            stderr: err.join().unwrap(),
            elapsed,
        }
    })
    .await
    .unwrap()
}

fn report(case: &str, hits: usize, run: &Run) {
    println!(
        "CLI {case}: requests={hits} elapsed_ms={} exit={:?}",
        run.elapsed.as_millis(),
        run.code
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limited_then_ok_succeeds_after_retry_after() {
    let server = serve(|n, _| async move {
        if n == 0 {
            let mut r = reply(
                429,
                "application/json",
                r#"{"success":false,"errors":[{"code":3021,"message":"Too many requests"}]}"#,
            );
            r.headers_mut().insert("retry-after", "1".parse().unwrap());
            r
        } else {
            ok_sync()
        }
    })
    .await;
    let run = chat(&server.base_url(), &["--format", "json"], &[]).await;
    assert_eq!(run.code, Some(0), "{run:?}");
    let v: Value = serde_json::from_str(run.stdout.trim()).unwrap();
    assert_eq!(v["text"], "hello from the loopback");
    assert_eq!(server.hits(), 2);
    assert!(run.elapsed >= Duration::from_secs(1), "{run:?}");
    assert!(run.elapsed < Duration::from_secs(1) + SLACK, "{run:?}");
    report("429 Retry-After: 1 then 200", server.hits(), &run);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_error_forever_fails_after_max_retries_plus_one_attempts() {
    for n in [0usize, 2] {
        let server = serve(|_, _| async { reply(500, "text/plain", "upstream exploded") }).await;
        let retries = n.to_string();
        let run = chat(
            &server.base_url(),
            &["--format", "json", "--max-retries", &retries],
            &[],
        )
        .await;
        assert_eq!(run.code, Some(1), "{run:?}");
        let e = run.error();
        assert_eq!(e["kind"], "unavailable", "{run:?}");
        assert_eq!(e["status"], 500);
        assert!(e["message"].as_str().unwrap().contains("upstream exploded"));
        assert_eq!(server.hits(), n + 1, "{run:?}");
        report(
            &format!("500 forever, --max-retries {n}"),
            server.hits(),
            &run,
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_request_is_not_retried() {
    let server = serve(|_, _| async {
        reply(
            400,
            "application/json",
            r#"{"success":false,"errors":[{"code":5006,"message":"AiError: input failed the schema"}]}"#,
        )
    })
    .await;
    let run = chat(
        &server.base_url(),
        &["--format", "json", "--max-retries", "4"],
        &[],
    )
    .await;
    assert_eq!(run.code, Some(1), "{run:?}");
    let e = run.error();
    assert_eq!(e["kind"], "invalid_request");
    assert_eq!(e["status"], 400);
    assert_eq!(e["code"], 5006);
    assert_eq!(server.hits(), 1);
    report("400", server.hits(), &run);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broken_streams_fail_with_protocol() {
    let cases: [(&str, &'static str); 3] = [
        (
            "truncated stream",
            "data: {\"response\":\"Hel\"}\n\ndata: {\"respo",
        ),
        (
            "stream without [DONE]",
            "data: {\"response\":\"Hel\"}\n\ndata: {\"response\":\"lo\"}\n\n",
        ),
        (
            "garbage event",
            "data: {\"response\":\"Hel\"}\n\ndata: <html>nope</html>\n\ndata: [DONE]\n\n",
        ),
    ];
    for (name, body) in cases {
        let server = serve(move |_, _| async move { sse(body) }).await;
        let run = chat(
            &server.base_url(),
            &["--stream", "--format", "json", "--max-retries", "3"],
            &[],
        )
        .await;
        assert_eq!(run.code, Some(1), "{name}: {run:?}");
        assert_eq!(run.error()["kind"], "protocol", "{name}: {run:?}");
        assert_eq!(server.hits(), 1, "{name}: a stream with events was retried");
        report(name, server.hits(), &run);
    }
    // In text mode the deltas already received are printed before the error.
    let server = serve(|_, _| async {
        sse("data: {\"response\":\"Hel\"}\n\ndata: {\"response\":\"lo\"}\n\n")
    })
    .await;
    let run = chat(&server.base_url(), &["--stream"], &[]).await;
    assert_eq!(run.code, Some(1), "{run:?}");
    assert!(run.stdout.starts_with("Hello"), "{run:?}");
    assert!(run.stderr.contains("protocol"), "{run:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalls_fail_with_timeout_within_the_limit() {
    let server = serve(|_, _| async {
        tokio::time::sleep(Duration::from_secs(60)).await;
        ok_sync()
    })
    .await;
    let run = chat(
        &server.base_url(),
        &["--format", "json", "--timeout", "0.5"],
        &[],
    )
    .await;
    assert_eq!(run.code, Some(1), "{run:?}");
    assert_eq!(run.error()["kind"], "timeout", "{run:?}");
    assert!(run.elapsed >= Duration::from_millis(500), "{run:?}");
    assert!(run.elapsed < Duration::from_millis(500) + SLACK, "{run:?}");
    assert_eq!(server.hits(), 1);
    report("stall before headers, --timeout 0.5", server.hits(), &run);

    // A stream that goes silent after its first event.
    let server = serve(|_, _| async {
        let stream = futures_util::stream::unfold(0, |n| async move {
            if n == 0 {
                Some((
                    Ok::<_, std::convert::Infallible>(Bytes::from_static(EV_HEL.as_bytes())),
                    1,
                ))
            } else if n == 1 {
                Some((Ok(Bytes::from_static(EV_LO.as_bytes())), 2))
            } else {
                std::future::pending::<()>().await;
                None
            }
        });
        reply(200, "text/event-stream", Body::from_stream(stream))
    })
    .await;
    let run = chat(
        &server.base_url(),
        &["--stream", "--format", "json", "--timeout", "0.5"],
        &[],
    )
    .await;
    assert_eq!(run.code, Some(1), "{run:?}");
    assert_eq!(run.error()["kind"], "timeout", "{run:?}");
    assert!(run.elapsed < Duration::from_millis(500) + SLACK, "{run:?}");
    report(
        "stream stalled after 2 events, --timeout 0.5",
        server.hits(),
        &run,
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_token_is_never_printed_even_at_trace_level() {
    let echo_401 = serve(|_, auth| async move {
        let body = serde_json::json!({"success": false, "result": null,
            "errors": [{"code": 10000, "message": format!("Authentication error for {auth}")}]});
        reply(401, "application/json", body.to_string())
    })
    .await;
    let ok = serve(|_, _| async { ok_sync() }).await;
    let stream_garbage = serve(|_, auth| async move {
        let body = format!("data: {{\"response\":\"Hi\"}}\n\ndata: echo {auth}\n\n");
        reply(200, "text/event-stream", body)
    })
    .await;
    let trace = [("RUST_LOG", "trace")];
    let runs = [
        (
            "401 echo, json",
            chat(&echo_401.base_url(), &["--format", "json"], &trace).await,
        ),
        (
            "401 echo, text",
            chat(&echo_401.base_url(), &[], &trace).await,
        ),
        (
            "success, json",
            chat(&ok.base_url(), &["--format", "json"], &trace).await,
        ),
        (
            "garbage stream echo",
            chat(
                &stream_garbage.base_url(),
                &["--stream", "--format", "json"],
                &trace,
            )
            .await,
        ),
    ];
    for (name, run) in &runs {
        assert!(
            !run.stdout.contains(TOKEN) && !run.stderr.contains(TOKEN),
            "{name}: the token was printed: {run:?}"
        );
    }
    let (_, success) = &runs[2];
    assert_eq!(success.code, Some(0));
    assert!(
        success.stderr.contains("TRACE") && success.stderr.contains("genai.call"),
        "trace logging was not on: {success:?}"
    );
    assert_eq!(runs[0].1.error()["kind"], "unauthenticated");
    let scanned: usize = runs
        .iter()
        .map(|(_, r)| r.stdout.len() + r.stderr.len())
        .sum();
    println!(
        "CLI secrets: {} runs, {scanned} bytes of output scanned",
        runs.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recorded_cassettes_never_hold_the_token() {
    // An upstream that echoes the token in a header and in the body.
    let upstream = serve(|_, auth| async move {
        let body = format!(
            r#"{{"result":{{"response":"you sent {auth}"}},"success":true,"errors":[],"messages":[]}}"#
        );
        let mut r = reply(200, "application/json", body);
        r.headers_mut().insert("x-echo", auth.parse().unwrap());
        r
    })
    .await;
    let proxy = genai_testkit::replay::RecordingProxy::start(&upstream.base_url(), ACCOUNT, TOKEN)
        .await
        .unwrap();
    let run = chat(&proxy.base_url(), &["--format", "json"], &[]).await;
    assert_eq!(run.code, Some(0), "{run:?}");
    assert_eq!(upstream.hits(), 1);
    let cassette = proxy.take_cassette("recorded by cli_faults");
    assert_eq!(cassette.interactions.len(), 1);
    assert!(!cassette.contains_secret(TOKEN), "{cassette:?}");
    assert!(!cassette.contains_secret(ACCOUNT), "{cassette:?}");
    let dir = std::env::temp_dir().join(format!("genai-cli-faults-{}", std::process::id()));
    let path = dir.join("cassette.json");
    cassette.save(&path).unwrap();
    let saved = std::fs::read_to_string(&path).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(!saved.contains(TOKEN), "{saved}");
    assert!(
        !saved.contains(&TOKEN[4..20]),
        "a piece of the token was saved: {saved}"
    );
}
