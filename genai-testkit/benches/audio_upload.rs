//! A 25 MB recording sent for transcription: peak memory above the process baseline while it
//! is streamed from disk, as the raw body (Whisper) and as base64 inside JSON (Whisper large
//! v3 turbo), against the same recording held in memory.
//!
//! `cargo bench -p genai-testkit --bench audio_upload`. A loopback server reads each request
//! body to its end (counting its bytes) and answers a short transcript. Each client run is its
//! own process (this same binary in client mode): it first sends a small recording to warm
//! itself up (connection, code pages, tokio's blocking pool), resets its peak
//! (`/proc/self/clear_refs`), then sends the 25 MB one and prints its resident memory before
//! and its peak after. Needs `/proc` (Linux).

mod common;

use std::io::{BufReader, Read};
use std::net::TcpStream;
use std::process::Command;

/// Just under the 25 MiB the speech models take.
const SIZE: usize = 25 * 1024 * 1024 - 4096;
const WARM_SIZE: usize = 64 * 1024;
const RUNS: usize = 3;
const MODELS: [(&str, &str); 2] = [
    ("raw body", "@cf/openai/whisper"),
    ("base64 JSON", "@cf/openai/whisper-large-v3-turbo"),
];

fn main() {
    if let Ok(url) = std::env::var("AUDIO_BENCH_CLIENT") {
        let var = |k: &str| std::env::var(k).unwrap_or_default();
        client(
            &url,
            &var("AUDIO_BENCH_MODEL"),
            &var("AUDIO_BENCH_FILE"),
            &var("AUDIO_BENCH_WARM"),
            var("AUDIO_BENCH_MEMORY") == "1",
        );
        return;
    }
    if std::env::args().any(|a| a == "--list") {
        println!("audio_upload: benchmark");
        return;
    }
    let addr = common::serve(answer);
    let base = format!("http://{addr}/client/v4");
    let dir = std::env::temp_dir().join(format!("genai-audio-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let big = dir.join("big.wav");
    let warm = dir.join("warm.wav");
    std::fs::write(&big, wav(SIZE)).expect("write the recording");
    std::fs::write(&warm, wav(WARM_SIZE)).expect("write the warm-up recording");
    let exe = std::env::current_exe().expect("own path");

    println!(
        "audio_upload: a {:.1} MiB WAV, {RUNS} runs each; peak RSS above the warmed baseline",
        SIZE as f64 / 1048576.0
    );
    for (form, model) in MODELS {
        for memory in [false, true] {
            let mut worst = 0u64;
            for _ in 0..RUNS {
                let out = Command::new(&exe)
                    .env("AUDIO_BENCH_CLIENT", &base)
                    .env("AUDIO_BENCH_MODEL", model)
                    .env("AUDIO_BENCH_FILE", &big)
                    .env("AUDIO_BENCH_WARM", &warm)
                    .env("AUDIO_BENCH_MEMORY", if memory { "1" } else { "0" })
                    .output()
                    .expect("client");
                let text = String::from_utf8_lossy(&out.stdout);
                assert!(
                    out.status.success(),
                    "client: {}",
                    String::from_utf8_lossy(&out.stderr)
                );
                let n: Vec<u64> = text
                    .lines()
                    .find_map(|l| l.strip_prefix("rss "))
                    .map(|r| r.split(' ').filter_map(|x| x.parse().ok()).collect())
                    .unwrap_or_default();
                if let [baseline, peak] = n[..] {
                    worst = worst.max(peak.saturating_sub(baseline));
                }
            }
            println!(
                "  {form:<12} {:<9} {:>8} KiB  ({:.2} x the recording)",
                if memory { "in memory" } else { "from disk" },
                worst >> 10,
                worst as f64 / SIZE as f64
            );
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Client mode: one transcription; prints `rss BASELINE PEAK` in bytes.
fn client(base: &str, model: &str, file: &str, warm: &str, memory: bool) {
    common::runtime().block_on(async {
        use genai_core::{MediaFile, MediaSource, TranscribeRequest, TranscriptionModel};
        let provider = common::provider(base);
        let model = provider.transcriber(model).expect("model");
        let warm = MediaFile::open(warm).await.expect("warm-up file");
        model
            .transcribe(&TranscribeRequest::new(warm))
            .await
            .expect("warm-up");
        common::reset_peak();
        let baseline = common::status_kib("VmRSS:") * 1024;
        let file = MediaFile::open(file).await.expect("file");
        let audio = if memory {
            MediaSource::from(file.read().await.expect("read"))
        } else {
            MediaSource::from(file)
        };
        let heard = model
            .transcribe(&TranscribeRequest::new(audio))
            .await
            .expect("transcribe");
        assert_eq!(heard.text, format!("{SIZE} bytes"));
        let peak = common::status_kib("VmHWM:") * 1024;
        println!("rss {baseline} {peak}");
    });
}

/// A WAV header followed by `len - 44` bytes of noise.
fn wav(len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len);
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&((len - 8) as u32).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt \x10\0\0\0\x01\0\x01\0\x80\x3e\0\0\0\x7d\0\0\x02\0\x10\0data");
    out.extend_from_slice(&((len - 44) as u32).to_le_bytes());
    common::fill_noise(&mut out, len);
    out
}

/// Reads each request body to its end and answers how many bytes of audio it held (the body's
/// size, or the decoded size of a base64 `audio` field).
fn answer(reader: &mut BufReader<TcpStream>, writer: &mut TcpStream) {
    while let Some(head) = common::read_head(reader) {
        let mut left = head.length;
        let mut buf = vec![0u8; 64 * 1024];
        let cap = buf.len();
        let mut tail = Vec::new();
        while left > 0 {
            let n = match reader.read(&mut buf[..left.min(cap)]) {
                Ok(0) | Err(_) => return,
                Ok(n) => n,
            };
            tail.extend_from_slice(&buf[..n]);
            if tail.len() > 64 {
                tail.drain(..tail.len() - 64);
            }
            left -= n;
        }
        let audio = if head.json {
            // `{"audio":"` + base64 + `"}`: the base64's length, less its padding.
            let padding = tail
                .iter()
                .rev()
                .skip(2)
                .take_while(|b| **b == b'=')
                .count();
            (head.length - r#"{"audio":""}"#.len()) / 4 * 3 - padding
        } else {
            head.length
        };
        let text = format!(
            r#"{{"result":{{"text":"{audio} bytes"}},"success":true,"errors":[],"messages":[]}}"#
        );
        if !common::reply(writer, "application/json", text.as_bytes()) {
            return;
        }
    }
}
