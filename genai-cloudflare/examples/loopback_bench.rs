//! End-to-end figures over loopback, each printed next to its baseline's in the same run:
//! streaming CPU time per wire shape, allocations per event, peak memory, 1,000 concurrent
//! streams, and the fixed cost of a first request.
//!
//! A child process serves Workers AI shaped SSE streams on 127.0.0.1, generated on the fly
//! (so the server never holds a whole stream); every measurement that needs a clean peak RSS
//! runs in its own child process. The baseline is the minimal client: `reqwest` reads the
//! body, lines are split, `serde_json` fills a small borrowed struct.
//!
//! ```text
//! cargo run --release -p genai-cloudflare --example loopback_bench -- all
//! # Every wire shape: CPU (alternating rounds) and peak memory, with a summary table.
//! cargo run --release -p genai-cloudflare --example loopback_bench -- shapes 100000 9
//! # One shape (native, native-tools, openai, openai-usage, openai-unknown-keys,
//! # openai-reasoning, openai-tools):
//! cargo run --release -p genai-cloudflare --example loopback_bench -- stream openai-usage 100000 9
//! # One client, one stream, nothing else (for valgrind --tool=callgrind):
//! cargo run --release -p genai-cloudflare --example loopback_bench -- once genai openai-usage 100000
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

/// CPU time of the whole process (all its threads, dead ones too), in ns.
fn process_cpu_ns() -> u64 {
    let mut t = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `t` is a valid, writable timespec; the clock id is a constant Linux knows.
    let r = unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut t) };
    assert_eq!(r, 0, "clock_gettime(CLOCK_PROCESS_CPUTIME_ID)");
    t.tv_sec as u64 * 1_000_000_000 + t.tv_nsec as u64
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
        // /{shape}/{events}/s/{seed}/...
        let mut parts = path.split('/').skip(1);
        let (events, seed, shape) = match (parts.next(), parts.next(), parts.next(), parts.next()) {
            (Some(k), Some(n), Some("s"), Some(s)) => (
                n.parse().unwrap_or(0),
                s.parse().unwrap_or(1),
                Shape::named(k).unwrap_or(Shape::Native),
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
    format!("http://127.0.0.1:{port}/{}/{events}/s/{seed}", shape.name())
}

/// The shape of the streams served under `base`.
fn shape_of(base: &str) -> Shape {
    base.split('/')
        .nth(3)
        .and_then(Shape::named)
        .unwrap_or(Shape::Native)
}

fn genai_client(base: &str) -> genai_cloudflare::CloudflareChat {
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
    /// Tool calls, and the bytes of their (compact JSON) arguments.
    calls: u64,
    call_bytes: u64,
    output_tokens: u64,
    finished: bool,
}

impl Seen {
    /// What both clients can be compared on.
    fn common(&self) -> (u64, u64, u64, u64) {
        (
            self.text_bytes,
            self.calls,
            self.call_bytes,
            self.output_tokens,
        )
    }

    /// The deltas the stream carried: texts, or tool-call fragments.
    fn deltas(&self, shape: Shape) -> u64 {
        if shape.tools() {
            self.calls * common::FRAGMENTS_PER_CALL
        } else {
            self.text_events
        }
    }
}

/// `h` folded with `bytes` (the standard library's hasher: the runs being compared share one
/// process, so its per-process stability is all that is needed).
fn fold_hash(h: u64, bytes: &[u8]) -> u64 {
    use std::hash::Hasher;
    let mut hasher = std::hash::DefaultHasher::new();
    hasher.write_u64(h);
    hasher.write(bytes);
    hasher.finish()
}

async fn run_genai(client: &genai_cloudflare::CloudflareChat) -> Seen {
    let req = ChatRequest::new().user("Explain the tides.");
    let mut seen = Seen::default();
    let mut stream = client.gen_stream(&req).await.expect("stream");
    while let Some(ev) = stream.next_event().await {
        match ev.expect("event") {
            StreamEvent::TextDelta(t) | StreamEvent::ReasoningDelta(t) => {
                seen.text_events += 1;
                seen.text_bytes += t.len() as u64;
                seen.text_hash = fold_hash(seen.text_hash, t.as_bytes());
            }
            StreamEvent::ToolCall(c) => {
                seen.calls += 1;
                seen.call_bytes += c.arguments.to_string().len() as u64;
            }
            StreamEvent::Usage(u) => seen.output_tokens = u.output_tokens.unwrap_or(0),
            StreamEvent::Finish(f) => {
                seen.finished = matches!(f, FinishReason::Stop | FinishReason::ToolCalls)
            }
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
        text_events: d.tally.events,
        text_bytes: d.tally.text_bytes,
        text_hash: 0,
        calls: d.tally.calls.len() as u64,
        call_bytes: d.tally.calls.iter().map(|c| c.2.len() as u64).sum(),
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

/// One shape's streaming figures: CPU medians (ms) and the ratio of the whole process's CPU.
#[derive(Debug, Clone, Copy)]
struct CpuFigure {
    shape: Shape,
    genai_ms: f64,
    base_ms: f64,
    ratio: f64,
    genai_allocs: f64,
    base_allocs: f64,
}

/// Streaming CPU: alternating runs of both clients on one current-thread runtime, each round
/// timed with the whole process's CPU clock (all the client's work, HTTP included, is in this
/// process; the server is another).
fn stream_cpu(events: u64, rounds: usize, shape: Shape) -> CpuFigure {
    let server = Server::start();
    let rt = current_thread();
    let base_url = |port, events, seed| base_url_of(shape, port, events, seed);
    let base = base_url(server.port, events, 42);
    let client = genai_client(&base);
    let http = reqwest::Client::new();
    let url = run_url(&base);
    let (mut ours, mut theirs, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    let (mut ours_thread, mut theirs_thread) = (0u64, 0u64);
    let (mut ours_allocs, mut theirs_allocs) = (0u64, 0u64);
    rt.block_on(async {
        // Warm both (connection setup, lazy statics) before measuring.
        let a = run_genai(&genai_client(&base_url(server.port, 10, 42))).await;
        let b = run_baseline(&http, &run_url(&base_url(server.port, 10, 42))).await;
        assert_eq!(
            a.common(),
            b.common(),
            "both clients read the warm-up stream alike"
        );
        for round in 0..rounds {
            // Alternate which client goes first, so neither always runs on a warmer cache.
            let genai_first = round % 2 == 0;
            let ((s, s_cpu, s_thread, s_allocs), (b, b_cpu, b_thread, b_allocs)) = if genai_first {
                let s = timed(run_genai(&client)).await;
                (s, timed(run_baseline(&http, &url)).await)
            } else {
                let b = timed(run_baseline(&http, &url)).await;
                (timed(run_genai(&client)).await, b)
            };
            assert_eq!(s.deltas(shape), events, "genai saw every delta");
            assert!(s.finished, "genai finished cleanly");
            assert_eq!(s.common(), b.common(), "both clients read the same stream");
            ours.push(s_cpu as f64 / 1e6);
            theirs.push(b_cpu as f64 / 1e6);
            ratios.push(s_cpu as f64 / b_cpu as f64);
            ours_thread += s_thread;
            theirs_thread += b_thread;
            ours_allocs = s_allocs;
            theirs_allocs = b_allocs;
        }
    });
    let (o, t) = (median(&mut ours), median(&mut theirs));
    let ratio = o / t;
    println!(
        "== {}: {events} events ({}), {rounds} alternating rounds, whole-process CPU",
        shape.name(),
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
    ratios.sort_by(|a, b| a.total_cmp(b));
    println!(
        "   ratio of medians genai/baseline {ratio:.2}x (target <= 1.00x); per-round ratios {ratios:.2?}"
    );
    println!(
        "   client thread CPU summed over rounds: genai {} ms, baseline {} ms",
        ours_thread / 1_000_000,
        theirs_thread / 1_000_000
    );
    let (ga, ba) = (
        ours_allocs as f64 / events as f64,
        theirs_allocs as f64 / events as f64,
    );
    println!("   allocations per event: genai {ga:.2}, baseline {ba:.2} (whole stack, last round)");
    CpuFigure {
        shape,
        genai_ms: o,
        base_ms: t,
        ratio,
        genai_allocs: ga,
        base_allocs: ba,
    }
}

/// Runs `f` and returns what it saw with the process CPU, thread CPU and allocations it took.
async fn timed(f: impl std::future::Future<Output = Seen>) -> (Seen, u64, u64, u64) {
    let (c0, t0, a0) = (process_cpu_ns(), thread_cpu_ns(), ALLOCS.load(Relaxed));
    let seen = f.await;
    let (c1, t1, a1) = (process_cpu_ns(), thread_cpu_ns(), ALLOCS.load(Relaxed));
    (seen, c1 - c0, t1 - t0, a1 - a0)
}

/// One client in a fresh process: consumes `events` of `shape` and prints `key=value` figures.
fn child_memory(kind: &str, port: u16, events: u64, shape: Shape) {
    let rt = current_thread();
    let base = base_url_of(shape, port, events, 9);
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
        seen.deltas(shape)
    );
}

/// One client, one stream, in this process, nothing else: for instruction counts under
/// `valgrind --tool=callgrind` (the server child is not traced).
fn once(kind: &str, shape: Shape, events: u64) {
    let server = Server::start();
    let rt = current_thread();
    let base = base_url_of(shape, server.port, events, 42);
    let seen = rt.block_on(async {
        if kind == "genai" {
            run_genai(&genai_client(&base)).await
        } else {
            run_baseline(&reqwest::Client::new(), &run_url(&base)).await
        }
    });
    assert_eq!(seen.deltas(shape), events, "{kind} saw every delta");
    println!("{kind} {} {events} events: {seen:?}", shape.name());
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
                Shape::Native.name().into(),
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

/// Peak RSS of a fresh process per client and shape, the worst of `runs` each: (genai KiB,
/// baseline KiB).
fn memory_of(server: &Server, shape: Shape, events: u64, runs: usize) -> (f64, f64) {
    let peak = |kind: &str| {
        (0..runs)
            .map(|_| {
                let out = spawn_child(&[
                    "child-memory".into(),
                    kind.into(),
                    server.port.to_string(),
                    events.to_string(),
                    shape.name().into(),
                ]);
                field(&out, "hwm_kb")
            })
            .fold(0.0, f64::max)
    };
    (peak("genai"), peak("baseline"))
}

/// Every shape: CPU over alternating rounds, then peak memory, then one summary table.
fn shapes(events: u64, rounds: usize) {
    let cpu: Vec<CpuFigure> = Shape::ALL
        .iter()
        .map(|&shape| stream_cpu(events, rounds, shape))
        .collect();
    let server = Server::start();
    println!("== summary: {events} events, median of {rounds} alternating rounds, whole-process CPU; peak RSS of a fresh process (worst of 3)");
    println!("| Shape | genai CPU | baseline CPU | ratio (<= 1.0x) | allocs/event genai, baseline | peak RSS genai | baseline | ratio (<= 2x) |");
    println!("|---|---|---|---|---|---|---|---|");
    for f in &cpu {
        let (g, b) = memory_of(&server, f.shape, events, 3);
        println!(
            "| {} | {:.1} ms | {:.1} ms | {:.2}x | {:.2}, {:.2} | {g:.0} KiB | {b:.0} KiB | {:.2}x |",
            f.shape.name(),
            f.genai_ms,
            f.base_ms,
            f.ratio,
            f.genai_allocs,
            f.base_allocs,
            g / b
        );
    }
    let worst = cpu.iter().map(|f| f.ratio).fold(0.0, f64::max);
    let best = cpu.iter().map(|f| f.ratio).fold(f64::INFINITY, f64::min);
    println!("   CPU ratio: worst {worst:.2}x, best {best:.2}x");
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
        "child-memory" => child_memory(
            &args[1],
            port(),
            arg(3, 1000),
            args.get(4)
                .and_then(|s| Shape::named(s))
                .unwrap_or(Shape::Native),
        ),
        "child-concurrency" => child_concurrency(&args[1], port(), arg(3, 1000), arg(4, 1000)),
        "child-first" => child_first(&args[1], port()),
        "stream" => {
            // `stream [SHAPE] [EVENTS] [ROUNDS]`; without a shape, native.
            let (shape, at) = match args.get(1).and_then(|s| Shape::named(s)) {
                Some(shape) => (shape, 2),
                None => (Shape::Native, 1),
            };
            stream_cpu(arg(at, 100_000), arg(at + 1, 9) as usize, shape);
        }
        "stream-openai" => {
            stream_cpu(arg(1, 100_000), arg(2, 9) as usize, Shape::OpenAi);
        }
        "shapes" => shapes(arg(1, 100_000), arg(2, 9) as usize),
        "once" => match args.get(2).and_then(|s| Shape::named(s)) {
            Some(shape) => once(&args[1], shape, arg(3, 100_000)),
            None => {
                eprintln!("once CLIENT SHAPE [EVENTS]: unknown shape");
                std::process::exit(2);
            }
        },
        "memory" => memory(),
        "concurrency" => concurrency(arg(1, 1000), arg(2, 1000)),
        "first" => first_request(arg(1, 7) as usize),
        "request200" => request_200(arg(1, 300) as usize),
        "cli" => cli(
            args.get(1).map_or("genai", String::as_str),
            arg(2, 20) as usize,
        ),
        "all" => {
            shapes(100_000, 9);
            memory();
            concurrency(1000, 1000);
            first_request(7);
            request_200(300);
        }
        other => {
            eprintln!("unknown mode {other}; see the file's doc comment");
            std::process::exit(2);
        }
    }
}
