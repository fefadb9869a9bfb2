//! A soak of the emulator's async queue: a million requests submitted and read back, the
//! process's resident memory printed as it goes; it must stay flat once the queue holds as
//! many jobs as it keeps. Ignored by default (it runs for minutes):
//!
//! ```sh
//! cargo test --release -p genai-testkit --test testkit -- --ignored --nocapture emulator_soak
//! ```
//!
//! `SOAK_REQUESTS` (default 1,000,000) and `SOAK_PER_SUBMISSION` (default 100) change the run.

use std::time::{Duration, Instant};

use genai_testkit::emulator::{Emulator, EmulatorConfig};
use serde_json::{json, Value};

use crate::support::ACCOUNT;

const MODEL: &str = "@cf/meta/m2m100-1.2b";

/// The resident memory of this process in KiB (Linux), if known.
fn rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

async fn post(client: &reqwest::Client, url: &str, body: Value) -> Value {
    let bytes = client
        .post(url)
        .bearer_auth("test-token")
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "a soak of minutes; run it with --ignored"]
async fn a_million_queued_requests_hold_the_emulators_memory_flat() {
    let Some(start_rss) = rss_kib() else {
        println!("SKIPPED the soak: no /proc/self/status on this system");
        return;
    };
    let total = env_usize("SOAK_REQUESTS", 1_000_000);
    let per = env_usize("SOAK_PER_SUBMISSION", 100).max(1);
    let emulator =
        Emulator::start(EmulatorConfig::default().queue_timing(Duration::ZERO, Duration::ZERO))
            .unwrap();
    let url = format!(
        "{}/accounts/{ACCOUNT}/ai/run/{MODEL}?queueRequest=true",
        emulator.base_url()
    );
    let client = reqwest::Client::new();
    let submissions = total.div_ceil(per);
    let workers = 4;
    let started = Instant::now();
    let mut samples: Vec<(usize, u64)> = Vec::new();
    let report_every = (submissions / 10).max(1);
    let mut done = 0usize;
    while done < submissions {
        let batch = workers.min(submissions - done);
        let mut tasks = Vec::new();
        for w in 0..batch {
            let (client, url) = (client.clone(), url.clone());
            let n = done + w;
            tasks.push(tokio::spawn(async move {
                let requests: Vec<Value> = (0..per)
                    .map(|i| json!({"text": format!("hello {n} {i}"), "target_lang": "fr", "external_reference": format!("{n}-{i}")}))
                    .collect();
                let sub = post(&client, &url, json!({ "requests": requests })).await;
                let id = sub["result"]["request_id"].as_str().unwrap().to_owned();
                let poll = post(&client, &url, json!({ "request_id": id })).await;
                let answered = poll["result"]["responses"].as_array().map_or(0, Vec::len);
                assert_eq!(answered, per, "{poll}");
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        let before = done;
        done += batch;
        if before / report_every != done / report_every || done == submissions {
            let rss = rss_kib().unwrap_or(0);
            let requests = (done * per).min(total);
            samples.push((requests, rss));
            println!(
                "SOAK {requests} requests ({done} submissions, {} HTTP requests) in {:.1} s: RSS {:.1} MiB",
                emulator.request_count(),
                started.elapsed().as_secs_f64(),
                rss as f64 / 1024.0
            );
        }
    }
    println!("SOAK start RSS {:.1} MiB", start_rss as f64 / 1024.0);
    // Flat: past the first fifth (the queue full), the memory grows by less than 32 MiB.
    let fifth = samples[samples.len() / 5].1;
    let last = samples.last().map_or(0, |s| s.1);
    assert!(
        last <= fifth + 32 * 1024,
        "RSS grew from {fifth} KiB to {last} KiB: {samples:?}"
    );
}
