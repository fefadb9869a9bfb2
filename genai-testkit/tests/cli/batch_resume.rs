//! `genai batch` killed with SIGKILL at random moments and run again, through the emulator's
//! queue (with failing polls): every result is in the output exactly once, in input order, and
//! the service saw one submission per chunk plus at most one per kill.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use genai_testkit::emulator::{Emulator, EmulatorConfig, Fault};
use serde_json::Value;

use crate::support::{chat_jsonl, command, temp_dir, CHAT as MODEL};

fn genai(emulator: &Emulator, dir: &Path, chunk: usize) -> Command {
    genai_on(emulator, dir, chunk, MODEL)
}

fn genai_on(emulator: &Emulator, dir: &Path, chunk: usize, model: &str) -> Command {
    let file = |name: &str| dir.join(name).to_string_lossy().into_owned();
    let (input, out, state) = (file("in.jsonl"), file("out.jsonl"), file("state.json"));
    let chunk = chunk.to_string();
    // The default retries: the queue's polls fail now and then.
    let mut cmd = command(&[
        "batch",
        "--base-url",
        &emulator.base_url(),
        "--format",
        "json",
        "--model",
        model,
        "--chunk-size",
        &chunk,
        "--input",
        &input,
        "--out",
        &out,
        "--state",
        &state,
    ]);
    cmd.stdout(Stdio::null()).stderr(Stdio::null());
    cmd
}

/// A small xorshift, seeded from the clock: each run kills at other moments.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n.max(1)
    }
}

struct Figures {
    submissions: usize,
    polls: usize,
    chunks: usize,
}

fn queue_emulator() -> Emulator {
    Emulator::start(
        EmulatorConfig::default()
            .queue_timing(Duration::from_millis(40), Duration::from_millis(150))
            .queue_poll_fault(5, Fault::ServerError(503)),
    )
    .unwrap()
}

/// A fresh directory holding `n` chat requests as `in.jsonl`.
fn input_dir(name: &str, n: usize) -> std::path::PathBuf {
    let dir = temp_dir(&format!("batch-{name}-{n}"));
    std::fs::write(dir.join("in.jsonl"), chat_jsonl(n)).unwrap();
    dir
}

fn killed_and_resumed(n: usize, chunk: usize, kills: usize) -> Figures {
    // How long an uninterrupted run takes here (on its own emulator), so that the kills are
    // spread over a whole run: each lands on average one kill's share of it after its start.
    let calibration = {
        let emulator = queue_emulator();
        let dir = input_dir("calibration", n);
        let started = Instant::now();
        assert!(genai(&emulator, &dir, chunk).status().unwrap().success());
        let _ = std::fs::remove_dir_all(&dir);
        started.elapsed()
    };
    let emulator = queue_emulator();
    let dir = input_dir("resume", n);
    let seed = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(1, |d| d.as_nanos() as u64)
        | 1;
    let mut rng = Rng(seed);
    let mut window = (calibration * 2 / kills.max(1) as u32).max(Duration::from_millis(20));
    let mut interrupted = 0;
    for k in 0..kills {
        let mut child = genai(&emulator, &dir, chunk).spawn().unwrap();
        let at = Duration::from_millis(rng.below(window.as_millis() as u64));
        let started = Instant::now();
        std::thread::sleep(at);
        let finished = child.try_wait().unwrap().is_some();
        if !finished {
            child.kill().unwrap();
            interrupted += 1;
        }
        child.wait().unwrap();
        if finished {
            // It ended before the kill: aim earlier next time (the state is complete, so the
            // next runs only confirm it).
            window = started.elapsed().max(Duration::from_millis(20));
        }
        let state: Value = std::fs::read(dir.join("state.json"))
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or(Value::Null);
        let count = |s: &str| {
            state["chunks"]
                .as_array()
                .map_or(0, |c| c.iter().filter(|c| c["state"] == s).count())
        };
        eprintln!(
            "kill {}: after {} ms (finished: {finished}); chunks submitting {}, submitted {}, written {}",
            k + 1,
            at.as_millis(),
            count("submitting"),
            count("submitted"),
            count("written")
        );
    }
    eprintln!(
        "an uninterrupted run takes {} ms; {interrupted} of {kills} kills interrupted a run",
        calibration.as_millis()
    );
    assert!(interrupted > 0, "no kill landed inside a run");
    let status = genai(&emulator, &dir, chunk).status().unwrap();
    assert!(status.success(), "the last run failed: {status}");

    let text = std::fs::read_to_string(dir.join("out.jsonl")).unwrap();
    let rows: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), n, "one line per input");
    for (i, row) in rows.iter().enumerate() {
        assert_eq!(row["index"], i, "in input order, each once");
        assert_eq!(row["id"], format!("q{i}"));
        assert!(row["result"]["text"].is_string(), "line {i}: {row}");
    }
    let state: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("state.json")).unwrap()).unwrap();
    let chunks = state["chunks"].as_array().unwrap().len();
    let requests = emulator.requests();
    let submissions = requests
        .iter()
        .filter(|r| r.body.get("requests").is_some())
        .count();
    let polls = requests
        .iter()
        .filter(|r| r.body.get("request_id").is_some())
        .count();
    assert!(
        submissions <= chunks + kills,
        "{submissions} submissions for {chunks} chunks and {kills} kills"
    );
    assert_eq!(
        requests.len(),
        submissions + polls,
        "nothing but submissions and polls"
    );
    let _ = std::fs::remove_dir_all(&dir);
    Figures {
        submissions,
        polls,
        chunks,
    }
}

#[test]
fn killed_five_times_every_result_is_written_once() {
    let f = killed_and_resumed(600, 100, 5);
    assert_eq!(f.chunks, 6);
}

/// The figure of the note: 10,000 requests, ten kills. `cargo test -p genai-testkit --test
/// batch_resume -- --ignored --nocapture`.
#[test]
#[ignore = "10,000 requests: run on demand"]
fn ten_thousand_requests_killed_ten_times() {
    let f = killed_and_resumed(10_000, 500, 10);
    println!(
        "10000 requests: {} chunks, {} submissions, {} polls, {} requests in all",
        f.chunks,
        f.submissions,
        f.polls,
        f.submissions + f.polls
    );
}

/// A rerun must not read a job's results against other requests: when a file a line names
/// changes between runs (here a turn line's audio), the state no longer fits and the rerun
/// refuses before any request.
#[test]
fn a_changed_audio_file_makes_the_state_refuse() {
    let emulator = queue_emulator();
    let dir = temp_dir("batch-audio");
    let wav = genai_testkit::fixtures::tone_wav(0.5, 0.3);
    for name in ["a.wav", "b.wav"] {
        std::fs::write(dir.join(name), &wav).unwrap();
    }
    let input = format!(
        "{{\"audio\":\"{}\"}}\n{{\"audio\":\"{}\"}}\n",
        dir.join("a.wav").display(),
        dir.join("b.wav").display()
    );
    std::fs::write(dir.join("in.jsonl"), input).unwrap();
    let run = || {
        genai_on(&emulator, &dir, 1, "@cf/pipecat-ai/smart-turn-v2")
            .status()
            .unwrap()
    };
    assert!(run().success());
    let rows = std::fs::read_to_string(dir.join("out.jsonl")).unwrap();
    assert_eq!(rows.lines().count(), 2);
    assert!(rows.contains("is_complete"), "{rows}");
    let before = emulator.requests().len();
    // b.wav becomes invalid: the valid requests are no longer the planned ones.
    std::fs::write(dir.join("b.wav"), b"not audio at all").unwrap();
    assert!(!run().success());
    assert_eq!(
        emulator.requests().len(),
        before,
        "refused before any request"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
