use std::sync::Mutex;

use async_trait::async_trait;

use super::*;
use crate::kind::ModelKind;
use crate::request::ChatRequest;
use crate::tasks::{BatchCapabilities, BatchStatus};

fn dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("genai-batch-state-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// The hand-written FNV-1a the state files were first written with.
fn reference_fnv(bytes: &[u8]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x100_0000_01b3);
    }
    format!("{h:016x}")
}

fn items(n: usize) -> Vec<BatchItem> {
    (0..n)
        .map(|i| BatchItem::chat(ChatRequest::new().user(format!("Say {i}."))))
        .collect()
}

#[test]
fn fingerprints_keep_the_hashes_of_existing_state_files() {
    let input = b"{\"prompt\":\"a\"}\n{\"prompt\":\"b\"}\n";
    let items = items(2);
    let fp = BatchFingerprint::new("m", input, 2, &items, &[0, 1]).unwrap();
    assert_eq!(fp.input_hash, reference_fnv(input));
    assert_eq!(reference_fnv(b""), "cbf29ce484222325");
    assert_eq!(
        BatchFingerprint::new("m", b"", 0, &[], &[])
            .unwrap()
            .input_hash,
        "cbf29ce484222325"
    );
    let mut requests = serde_json::to_vec(&items).unwrap();
    for i in [0u64, 1] {
        requests.extend_from_slice(&i.to_le_bytes());
    }
    assert_eq!(fp.requests_hash, reference_fnv(&requests));
    assert_eq!(fp.input_len, input.len() as u64);
    // Another line position is another run.
    let moved = BatchFingerprint::new("m", input, 2, &items, &[0, 2]).unwrap();
    assert_ne!(moved.requests_hash, fp.requests_hash);
}

#[test]
fn a_state_is_saved_whole_and_read_back() {
    let d = dir("roundtrip");
    let path = d.join("out.state");
    assert!(ResumableBatch::load(&path).unwrap().is_none());
    let items = items(3);
    let fp = BatchFingerprint::new("m", b"x", 3, &items, &[0, 1, 2]).unwrap();
    let run = ResumableBatch::create(&path, &fp, vec![0..2, 2..3]).unwrap();
    let back = ResumableBatch::load(&path).unwrap().unwrap();
    assert_eq!(back.state(), run.state());
    assert!(back.state().resumes(&fp, 3));
    assert!(!back.state().resumes(&fp, 2), "a plan past the requests");
    let other = BatchFingerprint::new("other", b"x", 3, &items, &[0, 1, 2]).unwrap();
    assert!(!back.state().resumes(&other, 3));
    // The file format: what earlier runs wrote reads as it did.
    let old = r#"{"version":1,"model":"m","input_len":1,"input_hash":"af63bd4c8601b7be",
        "inputs":1,"chunks":[{"start":0,"end":1,"state":"submitted","request_id":"r1"}],
        "written":0,"out_bytes":0}"#;
    std::fs::write(&path, old).unwrap();
    let old = ResumableBatch::load(&path).unwrap().unwrap();
    assert_eq!(old.state().chunks[0].state, ChunkState::Submitted);
    assert_eq!(old.state().chunks[0].attempts, 0);
    assert_eq!(old.job(0).unwrap().unwrap().request_id, "r1");
    std::fs::write(&path, "{").unwrap();
    let e = ResumableBatch::load(&path).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Config);
    assert!(e.message().contains("is not readable"), "{e}");
    let leftovers = std::fs::read_dir(&d)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .count();
    assert_eq!(leftovers, 0);
    std::fs::remove_dir_all(&d).unwrap();
}

#[cfg(unix)]
#[test]
fn replacing_a_file_never_follows_a_planted_link() {
    let d = dir("symlink");
    let victim = d.join("victim.txt");
    std::fs::write(&victim, "precious").unwrap();
    std::os::unix::fs::symlink(&victim, d.join("out.state.tmp")).unwrap();
    replace_file(&d.join("out.state"), b"new").unwrap();
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
    assert_eq!(std::fs::read_to_string(d.join("out.state")).unwrap(), "new");
    std::fs::remove_dir_all(&d).unwrap();
}

/// A queue that answers submissions from a script: `Ok` with an id, or an error.
#[derive(Debug)]
struct Queue {
    answers: Mutex<Vec<Result<String>>>,
    sent: Mutex<Vec<usize>>,
}

impl Queue {
    fn new(answers: Vec<Result<String>>) -> Self {
        Queue {
            answers: Mutex::new(answers),
            sent: Mutex::new(Vec::new()),
        }
    }
}

#[async_trait]
impl BatchModel for Queue {
    fn name(&self) -> &str {
        "queue"
    }

    fn model(&self) -> &str {
        "m"
    }

    fn capabilities(&self) -> BatchCapabilities {
        BatchCapabilities::new(ModelKind::Chat, 1 << 20)
    }

    fn plan(&self, items: &[BatchItem]) -> Result<Vec<Range<usize>>> {
        Ok((0..items.len()).map(|i| i..i + 1).collect())
    }

    async fn submit(&self, items: &[BatchItem], offset: usize) -> Result<BatchJob> {
        self.sent.lock().unwrap().push(offset);
        let answer = self.answers.lock().unwrap().remove(0);
        answer.map(|id| BatchJob::new(id, "m", offset, items.len()))
    }

    async fn status(&self, _job: &BatchJob, _items: &[BatchItem]) -> Result<BatchStatus> {
        Ok(BatchStatus::Queued)
    }
}

#[tokio::test]
async fn chunks_are_recorded_before_and_after_they_are_sent() {
    let d = dir("submit");
    let path = d.join("out.state");
    let items = items(3);
    let fp = BatchFingerprint::new("m", b"x", 3, &items, &[0, 1, 2]).unwrap();
    let queue = Queue::new(vec![
        Ok("a".into()),
        Err(Error::new(ErrorKind::Budget, "over budget")),
    ]);
    let mut run = ResumableBatch::create(&path, &fp, vec![0..2, 2..3]).unwrap();
    // Before anything is queued, another model may take the run with its own plan.
    assert!(run.nothing_queued());
    run.replan("m", queue.plan(&items).unwrap()).unwrap();
    assert_eq!(run.state().chunks.len(), 3);
    let mut events = Vec::new();
    let stopped = run
        .submit(&queue, &items, |e| events.push(e))
        .await
        .unwrap();
    assert_eq!(stopped.unwrap().kind(), ErrorKind::Budget);
    assert_eq!(
        events,
        vec![
            BatchEvent::Submitted {
                chunk: 0,
                of: 3,
                requests: 1,
                request_id: "a".into()
            },
            BatchEvent::BudgetSpent { chunk: 1, of: 3 },
        ]
    );
    let states: Vec<ChunkState> = ResumableBatch::load(&path)
        .unwrap()
        .unwrap()
        .state()
        .chunks
        .iter()
        .map(|c| c.state)
        .collect();
    assert_eq!(
        states,
        [
            ChunkState::Submitted,
            ChunkState::Planned,
            ChunkState::Planned
        ]
    );
    assert_eq!(run.job(0).unwrap().unwrap().range(), 0..1);
    assert!(run.job(1).unwrap().is_none(), "never sent");
    assert!(!run.nothing_queued());
    let kept = run.replan("other", vec![0..1, 1..3]).unwrap_err();
    assert_eq!(kept.kind(), ErrorKind::InvalidRequest);
    assert_eq!(run.state().model, "m");

    // A run killed while sending chunk 1: the rerun says so and sends it again; chunk 0 is
    // never sent twice. A refusal puts the chunk back to planned.
    let mut killed = run.state().clone();
    killed.chunks[1].state = ChunkState::Submitting;
    replace_file(&path, &serde_json::to_vec(&killed).unwrap()).unwrap();
    let mut run = ResumableBatch::load(&path).unwrap().unwrap();
    let queue = Queue::new(vec![
        Ok("b".into()),
        Err(Error::invalid_request("refused").with_status(400)),
    ]);
    let mut events = Vec::new();
    let e = run
        .submit(&queue, &items, |e| events.push(e))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidRequest);
    assert_eq!(*queue.sent.lock().unwrap(), [1, 2]);
    assert_eq!(events[0], BatchEvent::Resubmitting { chunk: 1, of: 3 });
    let state = ResumableBatch::load(&path)
        .unwrap()
        .unwrap()
        .state()
        .clone();
    assert_eq!(state.chunks[1].attempts, 2);
    assert_eq!(state.chunks[1].request_id.as_deref(), Some("b"));
    assert_eq!(state.chunks[2].state, ChunkState::Planned);

    run.chunk_written(0, 1, 42).unwrap();
    let state = ResumableBatch::load(&path)
        .unwrap()
        .unwrap()
        .state()
        .clone();
    assert_eq!(state.chunks[0].state, ChunkState::Written);
    assert_eq!((state.written, state.out_bytes), (1, 42));
    assert!(run.job(0).unwrap().is_none(), "written");
    std::fs::remove_dir_all(&d).unwrap();
}
