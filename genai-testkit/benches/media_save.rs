//! A 20 MB binary reply written to a file: peak memory above the process baseline, and CPU
//! against `curl -o` on the same loopback reply in the same run.
//!
//! `cargo bench -p genai-testkit --bench media_save`. A loopback server answers every POST
//! with the same 20 MB `image/png` body (with its `Content-Length`). Each client run is its own
//! process, started by a shell that then prints its children's CPU time (`cutime`/`cstime` of
//! `/proc/self/stat`): `curl -s -o FILE` RUNS times, and this library's
//! `ImageModel::generate` + `MediaReply::save` RUNS times (this same binary, in client mode,
//! which also reports its resident memory before the request and its peak after). Each client
//! process first saves one small reply to warm itself up (connection, code pages, tokio's
//! blocking pool), then resets its peak (`/proc/self/clear_refs`) before the 20 MB reply, so
//! the memory figure is what that reply costs; the warm-up's own growth is printed too.
//! Needs `curl` and `/proc` (Linux).

mod common;

use std::io::{BufReader, Read};
use std::net::TcpStream;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

const SIZE: usize = 20 * 1024 * 1024;
const RUNS: usize = 10;
/// The prompt that gets the small warm-up reply.
const WARM_PROMPT: &str = "warm";
const WARM_SIZE: usize = 64 * 1024;
const MODEL: &str = "@cf/stabilityai/stable-diffusion-xl-base-1.0";

fn main() {
    if let Ok(url) = std::env::var("MEDIA_BENCH_CLIENT") {
        client(&url, &std::env::var("MEDIA_BENCH_OUT").unwrap_or_default());
        return;
    }
    if std::env::args().any(|a| a == "--list") {
        println!("media_save: benchmark");
        return;
    }
    let body = std::sync::Arc::new(reply_body());
    let addr = common::serve(move |reader, writer| answer(reader, writer, &body));
    let base = format!("http://{addr}/client/v4");
    let run_url = format!("{base}/accounts/0123456789abcdef0123456789abcdef/ai/run/{MODEL}");
    let dir = std::env::temp_dir().join(format!("genai-media-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let curl_out = dir.join("curl.png");
    let ours_out = dir.join("ours.png");
    let exe = std::env::current_exe().expect("own path");

    let curl = format!(
        "for i in $(seq {RUNS}); do curl -s -o '{}' -X POST -H 'content-type: application/json' \
         -d '{{\"prompt\":\"x\"}}' '{run_url}' || exit 1; done; cat /proc/$$/stat",
        curl_out.display()
    );
    let ours = format!(
        "for i in $(seq {RUNS}); do MEDIA_BENCH_CLIENT='{base}' MEDIA_BENCH_OUT='{}' '{}' || exit 1; \
         done; cat /proc/$$/stat",
        ours_out.display(),
        exe.display()
    );
    // Warm both (page cache, binaries), then measure in turn.
    let _ = shell(&curl);
    let _ = shell(&ours);
    let (curl_cpu, curl_wall, _) = shell(&curl);
    let (ours_cpu, ours_wall, out) = shell(&ours);
    let same = std::fs::read(&curl_out).ok() == std::fs::read(&ours_out).ok();
    let peaks: Vec<(u64, u64)> = out
        .lines()
        .filter_map(|l| {
            let rest = l.strip_prefix("rss ")?;
            let n: Vec<u64> = rest.split(' ').filter_map(|x| x.parse().ok()).collect();
            Some((*n.first()?, *n.get(1)?))
        })
        .collect();
    let cold: Vec<(u64, u64)> = out
        .lines()
        .filter_map(|l| {
            let rest = l.strip_prefix("cold ")?;
            let n: Vec<u64> = rest.split(' ').filter_map(|x| x.parse().ok()).collect();
            Some((*n.first()?, *n.get(1)?))
        })
        .collect();
    let cold_worst = cold
        .iter()
        .map(|(b, p)| p.saturating_sub(*b))
        .max()
        .unwrap_or(0);
    let worst = peaks
        .iter()
        .map(|(b, p)| p.saturating_sub(*b))
        .max()
        .unwrap_or(0);
    println!("media_save: {RUNS} x {} MiB on loopback", SIZE >> 20);
    println!(
        "  curl -o      cpu {curl_cpu:.2} s ({:.1} ms/run)  wall {curl_wall:.2} s",
        curl_cpu * 1000.0 / RUNS as f64
    );
    println!(
        "  genai save   cpu {ours_cpu:.2} s ({:.1} ms/run)  wall {ours_wall:.2} s",
        ours_cpu * 1000.0 / RUNS as f64
    );
    println!(
        "  cpu ratio genai/curl = {:.2} (target <= 1.2)",
        ours_cpu / curl_cpu.max(0.01)
    );
    println!(
        "  peak RSS above the warmed baseline = {} KiB (worst of {} runs; target < 2 x hyper's \
         read buffer of at most 408 KiB = 816 KiB)",
        worst >> 10,
        peaks.len()
    );
    println!(
        "  first request of a fresh process (warm-up, {} KiB reply): RSS grows {} KiB \
         (connection, code pages, blocking pool)",
        WARM_SIZE >> 10,
        cold_worst >> 10
    );
    println!("  files identical: {same}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Runs `script` under `sh`; returns the children's CPU seconds (from the last line, the
/// shell's own `/proc/self/stat`), the wall time, and the output.
fn shell(script: &str) -> (f64, f64, String) {
    let start = Instant::now();
    let out = Command::new("sh")
        .arg("-c")
        .arg(script)
        .output()
        .expect("sh");
    let wall = start.elapsed().as_secs_f64();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{script}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stat = text.lines().last().unwrap_or("");
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    // After the command name: state is field 3, so cutime (16) and cstime (17) are at 13, 14.
    let ticks: f64 = fields
        .get(13..15)
        .map(|f| f.iter().filter_map(|x| x.parse::<f64>().ok()).sum())
        .unwrap_or(0.0);
    (ticks / 100.0, wall, text)
}

fn reply_body() -> Vec<u8> {
    let mut body = b"\x89PNG\r\n\x1a\n".to_vec();
    common::fill_noise(&mut body, SIZE);
    body
}

/// Answers every request on the connection with the body (keep-alive), or its first
/// `WARM_SIZE` bytes for the warm-up prompt.
fn answer(reader: &mut BufReader<TcpStream>, writer: &mut TcpStream, body: &[u8]) {
    while let Some(head) = common::read_head(reader) {
        let mut request = vec![0u8; head.length];
        if reader.read_exact(&mut request).is_err() {
            return;
        }
        let warm = String::from_utf8_lossy(&request).contains(WARM_PROMPT);
        let body = if warm { &body[..WARM_SIZE] } else { body };
        if !common::reply(writer, "image/png", body) {
            return;
        }
    }
}

/// Client mode: one image saved through the library; prints `rss BASELINE PEAK` in bytes.
fn client(base: &str, out: &str) {
    common::runtime().block_on(async {
        use genai_core::{ImageModel, ImageRequest};
        let provider = common::provider(base);
        let model = provider.image_generator(MODEL).expect("model");
        let cold = common::status_kib("VmRSS:") * 1024;
        // A first, small reply warms the process (connection, code pages, the blocking pool),
        // then the peak is reset, so the figure is what the 20 MB reply itself costs.
        let warm = model
            .generate(&ImageRequest::new(WARM_PROMPT))
            .await
            .expect("warm-up");
        warm.reply.save(Path::new(out)).await.expect("warm-up save");
        let cold_peak = common::status_kib("VmHWM:") * 1024;
        common::reset_peak();
        let baseline = common::status_kib("VmRSS:") * 1024;
        let made = model
            .generate(&ImageRequest::new("x"))
            .await
            .expect("generate");
        let summary = made.reply.save(Path::new(out)).await.expect("save");
        assert_eq!(summary.bytes as usize, SIZE);
        let peak = common::status_kib("VmHWM:") * 1024;
        println!("cold {cold} {cold_peak}");
        println!("rss {baseline} {peak}");
    });
}
