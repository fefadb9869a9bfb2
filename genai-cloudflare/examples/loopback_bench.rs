//! End-to-end figures over loopback, each printed next to its baseline's in the same run:
//! streaming CPU time, allocations per event, peak memory, 1,000 concurrent streams, and the
//! fixed cost of a first request.
//!
//! A child process serves Workers AI shaped SSE streams on 127.0.0.1, generated on the fly
//! (so the server never holds a whole stream); every measurement that needs a clean peak RSS
//! runs in its own child process. The baseline is the minimal client: `reqwest` reads the
//! body, lines are split, `serde_json` fills a two-field struct.
//!
//! ```text
//! cargo run --release -p genai-cloudflare --example loopback_bench -- all
//! cargo run --release -p genai-cloudflare --example loopback_bench -- stream 100000 5
//! cargo run --release -p genai-cloudflare --example loopback_bench -- stream-openai 100000 5
//! cargo run --release -p genai-cloudflare --example loopback_bench -- stream-openai-general 100000 5
//! cargo run --release -p genai-cloudflare --example loopback_bench -- memory
//! cargo run --release -p genai-cloudflare --example loopback_bench -- concurrency 1000 1000
//! cargo run --release -p genai-cloudflare --example loopback_bench -- first 5
//! cargo run --release -p genai-cloudflare --example loopback_bench -- request200 300
//! cargo run --release -p genai-cloudflare --example loopback_bench -- cli /path/to/genai 20
//! ```

#[path = "../benches/common/mod.rs"]
mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Instant;

use common::{BaseDecoder, EventGen, Shape};
use genai_cloudflare::CloudflareBuilder;
use genai_core::http::HttpOptions;
use genai_core::{ChatRequest, FinishReason, ProviderGen, StreamEvent};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

// ---------------------------------------------------------------------------------------------
// Counting allocator

struct Counting;

static ALLOCS: AtomicU64 = AtomicU64::new(0);
static ALLOC_BYTES: AtomicU64 = AtomicU64::new(0);

// SAFETY: forwards every call to the system allocator unchanged; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Relaxed);
        ALLOC_BYTES.fetch_add(layout.size() as u64, Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCS.fetch_add(1, Relaxed);
        ALLOC_BYTES.fetch_add(new_size as u64, Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

// ---------------------------------------------------------------------------------------------
// Process figures

/// CPU time of the calling thread, in ns (`/proc/thread-self/schedstat`).
fn thread_cpu_ns() -> u64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

/// User + system CPU time of the whole process (all threads, dead ones too), in ns.
fn process_cpu_ns() -> u64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0;
    };
    let after = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = after.split_whitespace().collect();
    let ticks: u64 = f.get(11).and_then(|v| v.parse().ok()).unwrap_or(0)
        + f.get(12).and_then(|v| v.parse().ok()).unwrap_or(0);
    ticks * 10_000_000 // USER_HZ = 100 on Linux
}

fn status_kb(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

// ---------------------------------------------------------------------------------------------
// Loopback server (child process)

async fn serve() -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    println!("{}", listener.local_addr()?.port());
    std::io::stdout().flush()?;
    // Exit when the parent closes our stdin.
    std::thread::spawn(|| {
        let _ = std::io::stdin().lines().count();
        std::process::exit(0);
    });
    loop {
        let (sock, _) = listener.accept().await?;
        let _ = sock.set_nodelay(true);
        tokio::spawn(async move {
            let _ = connection(sock).await;
        });
    }
}

async fn connection(mut sock: tokio::net::TcpStream) -> std::io::Result<()> {
    let mut buf = Vec::with_capacity(8 << 10);
    loop {
        let head_end = loop {
            if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
            if buf.len() > (1 << 20) {
                return Ok(());
            }
            let mut tmp = [0u8; 8192];
            let n = sock.read(&mut tmp).await?;
            if n == 0 {
                return Ok(());
            }
            buf.extend_from_slice(&tmp[..n]);
        };
        let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
        let length: usize = head
            .lines()
            .find_map(|l| {
                let (k, v) = l.split_once(':')?;
                k.eq_ignore_ascii_case("content-length")
                    .then(|| v.trim().parse().ok())?
            })
            .unwrap_or(0);
        while buf.len() < head_end + length {
            let mut tmp = [0u8; 65536];
            let n = sock.read(&mut tmp).await?;
            if n == 0 {
                return Ok(());
            }
            buf.extend_from_slice(&tmp[..n]);
        }
        buf.drain(..head_end + length);
        let path = head.split_whitespace().nth(1).unwrap_or("/").to_owned();
        if path.starts_with("/sync") {
            let body = br#"{"result":{"response":"hello","usage":{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4}},"success":true,"errors":[],"messages":[]}"#;
            let head = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
                body.len()
            );
            sock.write_all(head.as_bytes()).await?;
            sock.write_all(body).await?;
            continue;
        }
        // /n/{events}/s/{seed}/... (native chunks), /o/... (OpenAI-shaped chunks) or /g/...
        // (OpenAI-shaped chunks the client's short path refuses)
        let mut parts = path.split('/').skip(1);
        let (events, seed, shape) = match (parts.next(), parts.next(), parts.next(), parts.next()) {
            (Some(k @ ("n" | "o" | "g")), Some(n), Some("s"), Some(s)) => (
                n.parse().unwrap_or(0),
                s.parse().unwrap_or(1),
                match k {
                    "o" => Shape::OpenAi,
                    "g" => Shape::OpenAiGeneral,
                    _ => Shape::Native,
                },
            ),
            _ => (0, 1, Shape::Native),
        };
        sock.write_all(
            b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n\r\n",
        )
        .await?;
        let mut gen = EventGen::with_shape(events, seed, shape);
        let mut out = Vec::with_capacity(80 << 10);
        while gen.write_next(&mut out) {
            if out.len() >= 64 << 10 {
                sock.write_all(&out).await?;
                out.clear();
            }
        }
        sock.write_all(&out).await?;
        sock.shutdown().await?;
        return Ok(());
    }
}

struct Server {
    child: Child,
    port: u16,
}

impl Server {
    fn start() -> Server {
        let exe = std::env::current_exe().expect("own path");
        let mut child = Command::new(exe)
            .arg("serve")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("server child");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("port line");
        Server {
            port: line.trim().parse().expect("port"),
            child,
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.wait();
    }
}

// ---------------------------------------------------------------------------------------------
// The two clients

const ACCOUNT: &str = "0123456789abcdef0123456789abcdef";

fn base_url(port: u16, events: u64, seed: u64) -> String {
    base_url_of(Shape::Native, port, events, seed)
}

fn base_url_of(shape: Shape, port: u16, events: u64, seed: u64) -> String {
    let kind = match shape {
        Shape::Native => "n",
        Shape::OpenAi => "o",
        Shape::OpenAiGeneral => "g",
    };
    format!("http://127.0.0.1:{port}/{kind}/{events}/s/{seed}")
}

/// The shape of the streams served under `base`.
fn shape_of(base: &str) -> Shape {
    if base.contains("/o/") {
        Shape::OpenAi
    } else if base.contains("/g/") {
        Shape::OpenAiGeneral
    } else {
        Shape::Native
    }
}

fn genai_client(base: &str) -> genai_cloudflare::Cloudflare {
    CloudflareBuilder::new()
        .account_id(ACCOUNT)
        .api_token("loopback-token")
        .model(shape_of(base).model())
        .base_url(base)
        // A 1,000,000-event stream is ~85 MB: above the 64 MiB default size limit.
        .http_options(HttpOptions::default().max_response_bytes(1 << 30))
        .build()
        .expect("client")
}

/// What a consumer saw: counts only, nothing kept.
#[derive(Debug, Default, Clone, PartialEq)]
struct Seen {
    text_events: u64,
    text_bytes: u64,
    text_hash: u64,
    output_tokens: u64,
    finished: bool,
}

fn fnv(mut h: u64, bytes: &[u8]) -> u64 {
    if h == 0 {
        h = 0xcbf2_9ce4_8422_2325;
    }
    for b in bytes {
        h = (h ^ u64::from(*b)).wrapping_mul(0x100_0000_01b3);
    }
    h
}

async fn run_genai(client: &genai_cloudflare::Cloudflare) -> Seen {
    let req = ChatRequest::new().user("Explain the tides.");
    let mut seen = Seen::default();
    let mut stream = client.gen_stream(&req).await.expect("stream");
    while let Some(ev) = stream.next_event().await {
        match ev.expect("event") {
            StreamEvent::TextDelta(t) | StreamEvent::ReasoningDelta(t) => {
                seen.text_events += 1;
                seen.text_bytes += t.len() as u64;
                seen.text_hash = fnv(seen.text_hash, t.as_bytes());
            }
            StreamEvent::Usage(u) => seen.output_tokens = u.output_tokens.unwrap_or(0),
            StreamEvent::Finish(f) => seen.finished = f == FinishReason::Stop,
            _ => {}
        }
    }
    seen
}

/// The baseline: reqwest chunks, line split, `serde_json` into two fields.
async fn run_baseline(http: &reqwest::Client, url: &str) -> Seen {
    let mut resp = http
        .post(url)
        .header("content-type", "application/json")
        .body(r#"{"messages":[{"role":"user","content":"Explain the tides."}],"stream":true}"#)
        .send()
        .await
        .expect("baseline send");
    let shape = shape_of(url);
    let mut d = BaseDecoder::of(shape);
    while let Some(chunk) = resp.chunk().await.expect("baseline chunk") {
        d.feed(&chunk);
    }
    Seen {
        // The native baseline counts every parsed chunk (the usage chunk is one of them); the
        // OpenAI-shaped one counts the chunks with text.
        text_events: match shape {
            Shape::Native => d.tally.events.saturating_sub(1),
            Shape::OpenAi | Shape::OpenAiGeneral => d.tally.events,
        },
        text_bytes: d.tally.text_bytes,
        text_hash: 0,
        output_tokens: d.tally.completion_tokens,
        finished: d.tally.done,
    }
}

fn run_url(base: &str) -> String {
    format!(
        "{base}/accounts/{ACCOUNT}/ai/run/{}",
        shape_of(base).model()
    )
}

// ---------------------------------------------------------------------------------------------
// Measurements

fn current_thread() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

/// Streaming CPU: alternating runs of both clients on one current-thread runtime, so all the
/// client's work (HTTP included) is on this thread.
fn stream_cpu(events: u64, rounds: usize, shape: Shape) {
    let server = Server::start();
    let rt = current_thread();
    let base_url = |port, events, seed| base_url_of(shape, port, events, seed);
    let base = base_url(server.port, events, 42);
    let client = genai_client(&base);
    let http = reqwest::Client::new();
    let url = run_url(&base);
    let (mut ours, mut theirs) = (Vec::new(), Vec::new());
    let (mut ours_allocs, mut theirs_allocs) = (0u64, 0u64);
    let mut proc_check = (0u64, 0u64);
    rt.block_on(async {
        // Warm both (connection setup, lazy statics) before measuring.
        let a = run_genai(&genai_client(&base_url(server.port, 10, 42))).await;
        let b = run_baseline(&http, &run_url(&base_url(server.port, 10, 42))).await;
        assert_eq!(
            (a.text_bytes, a.output_tokens),
            (b.text_bytes, b.output_tokens)
        );
        for _ in 0..rounds {
            let (c0, p0, a0) = (thread_cpu_ns(), process_cpu_ns(), ALLOCS.load(Relaxed));
            let s = run_genai(&client).await;
            let (c1, p1, a1) = (thread_cpu_ns(), process_cpu_ns(), ALLOCS.load(Relaxed));
            let b = run_baseline(&http, &url).await;
            let (c2, p2, a2) = (thread_cpu_ns(), process_cpu_ns(), ALLOCS.load(Relaxed));
            assert_eq!(s.text_events, events, "genai saw every chunk");
            assert!(s.finished, "genai finished cleanly");
            assert_eq!(
                (s.text_bytes, s.output_tokens),
                (b.text_bytes, b.output_tokens),
                "both clients read the same stream"
            );
            ours.push((c1 - c0) as f64 / 1e6);
            theirs.push((c2 - c1) as f64 / 1e6);
            ours_allocs = a1 - a0;
            theirs_allocs = a2 - a1;
            proc_check.0 += p1 - p0;
            proc_check.1 += p2 - p1;
        }
    });
    let (o, t) = (median(&mut ours), median(&mut theirs));
    println!(
        "== streaming decode over loopback: {events} {shape:?} events ({}), {rounds} alternating rounds",
        shape.model()
    );
    println!(
        "   genai     CPU median {o:8.1} ms  ({:.0} ns/event)  runs {ours:.1?}",
        o * 1e6 / events as f64
    );
    println!(
        "   baseline  CPU median {t:8.1} ms  ({:.0} ns/event)  runs {theirs:.1?}",
        t * 1e6 / events as f64
    );
    let target = if shape == Shape::Native { 1.3 } else { 1.2 };
    println!(
        "   ratio genai/baseline {:.2}x (target <= {target:.2}x)",
        o / t
    );
    println!(
        "   process CPU (all threads, 10 ms ticks) summed over rounds: genai {} ms, baseline {} ms",
        proc_check.0 / 1_000_000,
        proc_check.1 / 1_000_000
    );
    println!(
        "   allocations per event: genai {:.2}, baseline {:.2} (whole stack, last round)",
        ours_allocs as f64 / events as f64,
        theirs_allocs as f64 / events as f64
    );
}

/// One client in a fresh process: consumes `events` and prints `key=value` figures.
fn child_memory(kind: &str, port: u16, events: u64) {
    let rt = current_thread();
    let base = base_url(port, events, 9);
    let a0 = ALLOCS.load(Relaxed);
    let seen = rt.block_on(async {
        if kind == "genai" {
            run_genai(&genai_client(&base)).await
        } else {
            run_baseline(&reqwest::Client::new(), &run_url(&base)).await
        }
    });
    assert_eq!(seen.output_tokens, events);
    println!(
        "hwm_kb={} allocs={} events={}",
        status_kb("VmHWM:"),
        ALLOCS.load(Relaxed) - a0,
        seen.text_events
    );
}

fn spawn_child(args: &[String]) -> String {
    let exe = std::env::current_exe().expect("own path");
    let out = Command::new(exe).args(args).output().expect("child");
    if !out.status.success() {
        eprintln!("{}", String::from_utf8_lossy(&out.stderr));
        panic!("child {args:?} failed");
    }
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn field(line: &str, key: &str) -> f64 {
    line.split_whitespace()
        .find_map(|kv| kv.strip_prefix(key)?.strip_prefix('=')?.parse().ok())
        .unwrap_or(f64::NAN)
}

fn memory() {
    let server = Server::start();
    println!("== peak RSS (VmHWM) of a fresh process that consumes one stream, keeping nothing");
    for kind in ["genai", "baseline"] {
        let mut row = Vec::new();
        for events in [1_000u64, 1_000_000] {
            let out = spawn_child(&[
                "child-memory".into(),
                kind.into(),
                server.port.to_string(),
                events.to_string(),
            ]);
            row.push((events, field(&out, "hwm_kb"), field(&out, "allocs")));
        }
        let growth = row[1].1 - row[0].1;
        println!(
            "   {kind:9} 1k events {:7.0} KiB | 1M events {:7.0} KiB | growth {:+6.0} KiB (target < 5120) | allocs/event at 1M: {:.2}",
            row[0].1,
            row[1].1,
            growth,
            row[1].2 / row[1].0 as f64
        );
    }
}

fn child_concurrency(kind: &str, port: u16, streams: u64, events: u64) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let base = base_url(port, events, 5);
    let started = Instant::now();
    let c0 = process_cpu_ns();
    let results: Vec<Seen> = rt.block_on(async {
        let genai = genai_client(&base);
        let http = reqwest::Client::new();
        let url = run_url(&base);
        let mut tasks = Vec::new();
        for _ in 0..streams {
            let (genai, http, url, kind) =
                (genai.clone(), http.clone(), url.clone(), kind.to_owned());
            tasks.push(tokio::spawn(async move {
                if kind == "genai" {
                    run_genai(&genai).await
                } else {
                    run_baseline(&http, &url).await
                }
            }));
        }
        let mut out = Vec::new();
        for t in tasks {
            out.push(t.await.expect("task"));
        }
        out
    });
    let wall = started.elapsed();
    let cpu = process_cpu_ns() - c0;
    let first = results[0].clone();
    let correct = results
        .iter()
        .filter(|s| {
            s.text_events == events
                && s.output_tokens == events
                && s.finished
                && s.text_bytes == first.text_bytes
                && s.text_hash == first.text_hash
        })
        .count();
    println!(
        "correct={correct} wall_ms={} cpu_ms={} hwm_kb={} threads={}",
        wall.as_millis(),
        cpu / 1_000_000,
        status_kb("VmHWM:"),
        status_kb("Threads:")
    );
}

fn concurrency(streams: u64, events: u64) {
    let server = Server::start();
    println!(
        "== {streams} concurrent streams x {events} events, one process, tokio multi-thread runtime with 2 workers"
    );
    for kind in ["genai", "baseline"] {
        let out = spawn_child(&[
            "child-concurrency".into(),
            kind.into(),
            server.port.to_string(),
            streams.to_string(),
            events.to_string(),
        ]);
        println!(
            "   {kind:9} correct {:4.0}/{streams} | wall {:6.0} ms | CPU {:6.0} ms | peak RSS {:7.0} KiB | threads {:.0}",
            field(&out, "correct"),
            field(&out, "wall_ms"),
            field(&out, "cpu_ms"),
            field(&out, "hwm_kb"),
            field(&out, "threads")
        );
    }
}

/// First request of a fresh process: client construction + one sync call, then a second call.
fn child_first(kind: &str, port: u16) {
    let rt = current_thread();
    let base = format!("http://127.0.0.1:{port}/sync");
    let t0 = Instant::now();
    let (first, second) = rt.block_on(async {
        let req = ChatRequest::new().user("Reply with exactly one word: hello.");
        if kind == "genai" {
            let c = genai_client(&base);
            let r = c.gen_sync(&req).await.expect("first");
            assert_eq!(r.text, "hello");
            let t1 = t0.elapsed();
            let s = Instant::now();
            c.gen_sync(&req).await.expect("second");
            (t1, s.elapsed())
        } else {
            let http = reqwest::Client::new();
            let url = run_url(&base);
            let once = || async {
                let b = http
                    .post(&url)
                    .body(r#"{"messages":[{"role":"user","content":"hi"}]}"#)
                    .send()
                    .await
                    .expect("send")
                    .bytes()
                    .await
                    .expect("body");
                let e: common::BaseEnvelope = serde_json::from_slice(&b).expect("json");
                assert_eq!(e.result.response, "hello");
            };
            once().await;
            let t1 = t0.elapsed();
            let s = Instant::now();
            once().await;
            (t1, s.elapsed())
        }
    });
    println!(
        "first_us={} second_us={}",
        first.as_micros(),
        second.as_micros()
    );
}

fn first_request(runs: usize) {
    let server = Server::start();
    println!("== first request of a fresh process (client built + one call), then a second call; median of {runs}");
    for kind in ["genai", "baseline"] {
        let (mut first, mut second) = (Vec::new(), Vec::new());
        for _ in 0..runs {
            let out = spawn_child(&["child-first".into(), kind.into(), server.port.to_string()]);
            first.push(field(&out, "first_us"));
            second.push(field(&out, "second_us"));
        }
        println!(
            "   {kind:9} first {:7.0} us | second {:6.0} us",
            median(&mut first),
            median(&mut second)
        );
    }
}

/// Building and sending a 200-message request, as the extra time of a 200-message call over a
/// 1-message call on a warm connection, next to a `serde_json` round trip of the same messages.
fn request_200(iters: usize) {
    let server = Server::start();
    let rt = current_thread();
    let base = format!("http://127.0.0.1:{}/sync", server.port);
    let client = genai_client(&base);
    let mut rng = common::Rng::new(17);
    let texts: Vec<String> = (0..200)
        .map(|i| {
            let len = 200 + rng.below(400) as usize;
            let mut t = format!("Message {i}: ");
            while t.len() < len {
                t.push_str("the tide rises \"twice\" a day,\n ");
            }
            t
        })
        .collect();
    let build = |n: usize| {
        let mut req = ChatRequest::new().system("You explain tides.");
        for (i, t) in texts.iter().take(n).enumerate() {
            req = if i % 2 == 0 {
                req.user(t.clone())
            } else {
                req.message(genai_core::Message::assistant(t.clone()))
            };
        }
        req
    };
    let (mut small, mut big, mut serde) = (Vec::new(), Vec::new(), Vec::new());
    let mut doc_len = 0;
    rt.block_on(async {
        for _ in 0..iters {
            let t = Instant::now();
            let req = build(1);
            client.gen_sync(&req).await.expect("1 message");
            small.push(t.elapsed().as_secs_f64() * 1e6);
            let t = Instant::now();
            let req = build(200);
            client.gen_sync(&req).await.expect("200 messages");
            big.push(t.elapsed().as_secs_f64() * 1e6);
            let t = Instant::now();
            let doc: Vec<serde_json::Value> = texts
                .iter()
                .enumerate()
                .map(|(i, t)| serde_json::json!({"role": if i % 2 == 0 {"user"} else {"assistant"}, "content": t}))
                .collect();
            let bytes = serde_json::to_vec(&serde_json::json!({ "messages": doc })).expect("encode");
            let back: serde_json::Value = serde_json::from_slice(&bytes).expect("decode");
            doc_len = bytes.len();
            std::hint::black_box(back);
            serde.push(t.elapsed().as_secs_f64() * 1e6);
        }
    });
    let (s, b, r) = (median(&mut small), median(&mut big), median(&mut serde));
    println!("== 200-message request ({doc_len} bytes of JSON), median of {iters} calls on a warm connection");
    println!("   genai 1-message call {s:7.1} us | 200-message call {b:7.1} us | extra for 199 messages {:7.1} us", b - s);
    println!("   baseline serde_json build + encode + decode of the same messages {r:7.1} us");
    println!(
        "   ratio extra/baseline {:.2}x (target < 1.5x)",
        (b - s) / r
    );
}

/// Wall time of `genai chat --help` against spawning `true`, median of `runs`.
fn cli(genai: &str, runs: usize) {
    let time = |prog: &str, args: &[&str]| {
        let mut v: Vec<f64> = (0..runs)
            .map(|_| {
                let t = Instant::now();
                let out = Command::new(prog)
                    .args(args)
                    .stdout(Stdio::null())
                    .status()
                    .expect("spawn");
                assert!(out.success());
                t.elapsed().as_secs_f64() * 1e3
            })
            .collect();
        median(&mut v)
    };
    println!("== cold start: process spawn to exit, median of {runs}");
    println!(
        "   genai chat --help  {:6.2} ms",
        time(genai, &["chat", "--help"])
    );
    println!("   true (baseline)    {:6.2} ms", time("true", &[]));
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize, default: u64| -> u64 {
        args.get(i).and_then(|a| a.parse().ok()).unwrap_or(default)
    };
    let port = || arg(2, 0) as u16;
    match args.first().map(String::as_str).unwrap_or("all") {
        "serve" => {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("runtime");
            if let Err(e) = rt.block_on(serve()) {
                eprintln!("server: {e}");
            }
        }
        "child-memory" => child_memory(&args[1], port(), arg(3, 1000)),
        "child-concurrency" => child_concurrency(&args[1], port(), arg(3, 1000), arg(4, 1000)),
        "child-first" => child_first(&args[1], port()),
        "stream" => stream_cpu(arg(1, 100_000), arg(2, 5) as usize, Shape::Native),
        "stream-openai" => stream_cpu(arg(1, 100_000), arg(2, 5) as usize, Shape::OpenAi),
        "stream-openai-general" => {
            stream_cpu(arg(1, 100_000), arg(2, 5) as usize, Shape::OpenAiGeneral)
        }
        "memory" => memory(),
        "concurrency" => concurrency(arg(1, 1000), arg(2, 1000)),
        "first" => first_request(arg(1, 7) as usize),
        "request200" => request_200(arg(1, 300) as usize),
        "cli" => cli(
            args.get(1).map_or("genai", String::as_str),
            arg(2, 20) as usize,
        ),
        "all" => {
            stream_cpu(100_000, 5, Shape::Native);
            stream_cpu(100_000, 5, Shape::OpenAi);
            memory();
            concurrency(1000, 1000);
            first_request(7);
            request_200(300);
        }
        other => eprintln!("unknown mode {other}; see the file's doc comment"),
    }
}
