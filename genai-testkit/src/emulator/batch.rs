//! The async batch queue (`POST /ai/run/{model}?queueRequest=true`) as the service runs it:
//! a submission of `{"requests":[...]}` is queued, then running, then done after a while; a
//! poll with `{"request_id"}` answers the status, then the `responses` in no particular order,
//! chat results nested twice. The whole submission must stay under 10 MB; a model without
//! `async_queue` is refused; an unknown `request_id` is an error.
//!
//! Items are answered by the emulator's chat responder for text generation models, and by a
//! small deterministic responder here for embeddings (vectors derived from the text) and
//! translation (the text tagged with the target language).

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::answer::{Answer, Refusal};
use super::chat::families::{self, Dialect, Dice, Rendered};
use super::chat::responder::Ask;
use super::faults::Fault;
use super::kinds;
use super::models::{self, takes_queue, Task};
use genai_core::Media;

/// The largest submission the queue takes, in bytes (10 MiB).
pub(crate) const MAX_QUEUE_BODY: usize = 10 * 1024 * 1024;

/// How long a job stays queued, then running, and which polls fail.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct QueueConfig {
    pub(crate) running_after: Duration,
    pub(crate) done_after: Duration,
    pub(crate) poll_fault: Option<(u64, Fault)>,
    /// How long a job is kept after it is done (its results can be read again meanwhile);
    /// later polls of it are answered 404, code 5007, as for an unknown id.
    pub(crate) retention: Duration,
    /// The most jobs kept at once, and the most bytes of submissions: past either the
    /// oldest job is forgotten first, so a long run of submissions holds a bounded amount of
    /// memory.
    pub(crate) max_jobs: usize,
    pub(crate) max_bytes: usize,
}

impl Default for QueueConfig {
    fn default() -> Self {
        QueueConfig {
            running_after: Duration::from_millis(150),
            done_after: Duration::from_millis(400),
            poll_fault: None,
            retention: Duration::from_secs(600),
            max_jobs: 1_000,
            max_bytes: 64 * 1024 * 1024,
        }
    }
}

struct Job {
    model: String,
    task: Task,
    submitted: Instant,
    /// The submission as it came (its `requests`), answered when the job is done, and again
    /// at each later poll: the answers depend only on it and the seed, so they are the same
    /// every time and only these bytes are kept, never the answers.
    body: Box<[u8]>,
    /// Seeds the answers and their order.
    seed: u64,
}

/// The jobs of one emulator.
pub(crate) struct Queue {
    config: QueueConfig,
    jobs: Mutex<Jobs>,
    polls: AtomicU64,
    submissions: AtomicU64,
}

/// The jobs kept, and their ids in submission order (the order they are forgotten in).
#[derive(Default)]
struct Jobs {
    by_id: HashMap<String, Job>,
    order: VecDeque<(Instant, String)>,
    /// The bytes of the submissions kept.
    bytes: usize,
}

impl Jobs {
    /// Forgets the jobs past their retention, and the oldest ones past `max_jobs`.
    fn expire(&mut self, config: &QueueConfig, now: Instant) {
        let keep_for = config.done_after + config.retention;
        while let Some((submitted, id)) = self.order.front() {
            let expired = now.saturating_duration_since(*submitted) > keep_for;
            if !expired && self.order.len() <= config.max_jobs && self.bytes <= config.max_bytes {
                break;
            }
            if let Some(job) = self.by_id.remove(id) {
                self.bytes -= job.body.len();
            }
            self.order.pop_front();
        }
    }

    /// How many jobs are kept.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.by_id.len()
    }
}

fn refused(status: u16, code: u32, message: impl Into<String>) -> Result<Value, Refusal> {
    Err(Refusal::new(status, code, message))
}

/// Whether the query string asks for the queue.
pub(crate) fn is_queue_request(query: &str) -> bool {
    query
        .split('&')
        .any(|pair| pair.eq_ignore_ascii_case("queueRequest=true"))
}

impl Queue {
    pub(crate) fn new(config: QueueConfig) -> Queue {
        Queue {
            config,
            jobs: Mutex::new(Jobs::default()),
            polls: AtomicU64::new(0),
            submissions: AtomicU64::new(0),
        }
    }

    /// The fault to inject into this request when it is a poll the configuration picks.
    pub(crate) fn poll_fault(&self, query: &str, body: &[u8]) -> Option<Fault> {
        let (every, fault) = self.config.poll_fault.as_ref()?;
        if !is_queue_request(query) || !is_poll(body) {
            return None;
        }
        let n = self.polls.fetch_add(1, Ordering::SeqCst);
        (*every > 0 && n % every == every - 1).then(|| fault.clone())
    }

    /// Answers a queue request (a submission or a poll) for `model`.
    pub(crate) fn handle(
        &self,
        model: &str,
        raw: &[u8],
        dice: &mut Dice,
    ) -> Result<Value, Refusal> {
        let body = raw;
        let Some(info) = models::find(model) else {
            return refused(400, 7000, "No route for that URI");
        };
        if !takes_queue(info.id) {
            return refused(
                400,
                5006,
                format!(
                    "AiError: Bad input: {} does not support queueRequest",
                    info.id
                ),
            );
        }
        if body.len() > MAX_QUEUE_BODY {
            return refused(413, 3006, "Request is too large");
        }
        let Ok(Value::Object(body)) = serde_json::from_slice::<Value>(body) else {
            return refused(
                400,
                5006,
                "AiError: Bad input: Error: the request body is not valid JSON",
            );
        };
        if let Some(id) = body.get("request_id") {
            return self.poll(info.id, id.as_str().unwrap_or(""));
        }
        match body.get("requests") {
            Some(Value::Array(requests)) if !requests.is_empty() => {
                self.submit(info.id, info.task, raw, dice)
            }
            _ => refused(
                400,
                5006,
                "AiError: Bad input: Error: required properties at '/' are 'requests'",
            ),
        }
    }

    /// Takes the job and answers `queued` at once; the requests are run when it is done.
    fn submit(
        &self,
        model: &str,
        task: Task,
        body: &[u8],
        dice: &mut Dice,
    ) -> Result<Value, Refusal> {
        let request_id = dice.uuid();
        let job = Job {
            model: model.to_owned(),
            task,
            submitted: Instant::now(),
            body: body.into(),
            seed: self.submissions.fetch_add(1, Ordering::SeqCst) ^ 0x2545_f491_4f6c_dd1d,
        };
        let mut jobs = super::lock(&self.jobs);
        jobs.bytes += job.body.len();
        jobs.by_id.insert(request_id.clone(), job);
        jobs.order.push_back((Instant::now(), request_id.clone()));
        jobs.expire(&self.config, Instant::now());
        drop(jobs);
        Ok(json!({"status": "queued", "request_id": request_id, "model": model}))
    }

    fn poll(&self, model: &str, request_id: &str) -> Result<Value, Refusal> {
        let mut jobs = super::lock(&self.jobs);
        jobs.expire(&self.config, Instant::now());
        let Some(job) = jobs.by_id.get(request_id).filter(|j| j.model == model) else {
            return refused(
                404,
                5007,
                format!("AiError: Bad input: no queued request has the id `{request_id}`"),
            );
        };
        let age = job.submitted.elapsed();
        if age < self.config.running_after {
            return Ok(json!({"status": "queued", "request_id": request_id}));
        }
        if age < self.config.done_after {
            return Ok(json!({"status": "running", "request_id": request_id}));
        }
        let (task, model, seed) = (job.task, job.model.clone(), job.seed);
        let requests = serde_json::from_slice::<Value>(&job.body)
            .ok()
            .and_then(|mut v| v.get_mut("requests").map(Value::take));
        drop(jobs);
        let Some(Value::Array(requests)) = requests else {
            return refused(500, 5000, "the job lost its requests");
        };
        let (responses, usage) = run_job(task, &model, &requests, seed);
        Ok(json!({"responses": responses, "usage": usage}))
    }
}

/// Answers a job's requests: the `responses`, shuffled (the service does not keep request
/// order), and the summed `usage`.
fn run_job(task: Task, model: &str, requests: &[Value], seed: u64) -> (Vec<Value>, Value) {
    let mut dice = Dice::new(seed);
    let mut responses: Vec<Value> = Vec::with_capacity(requests.len());
    let (mut prompt, mut completion) = (0u64, 0u64);
    for (id, request) in requests.iter().enumerate() {
        let (success, result) = answer(model, task, request, &mut dice);
        if let Some(u) = result.get("result").and_then(|r| r.get("usage")) {
            prompt += u.get("prompt_tokens").and_then(Value::as_u64).unwrap_or(0);
            completion += u
                .get("completion_tokens")
                .and_then(Value::as_u64)
                .unwrap_or(0);
        }
        let mut response = json!({"id": id, "result": result, "success": success});
        if let Some(r) = request.get("external_reference") {
            response["external_reference"] = r.clone();
        }
        responses.push(response);
    }
    for i in (1..responses.len()).rev() {
        responses.swap(i, dice.below(i as u64 + 1) as usize);
    }
    let usage = json!({"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion});
    (responses, usage)
}

fn is_poll(body: &[u8]) -> bool {
    // A poll is small; a submission can be megabytes and is never a poll.
    body.len() < 4096
        && serde_json::from_slice::<Value>(body)
            .ok()
            .is_some_and(|v| v.get("request_id").is_some())
}

/// One item's `(success, result)`.
fn answer(model: &str, task: Task, request: &Value, dice: &mut Dice) -> (bool, Value) {
    let fail = |code: u32, message: String| {
        (
            false,
            json!({"errors": [{"code": code, "message": message}]}),
        )
    };
    match task {
        Task::TextGeneration => {
            let bytes = request.to_string();
            let ask = match Ask::parse(bytes.as_bytes()) {
                Ok(ask) => ask,
                Err(e) => return fail(5006, e.message()),
            };
            if ask.stream {
                return fail(
                    5006,
                    "AiError: Bad input: a queued request cannot stream".into(),
                );
            }
            match families::render(Dialect::of(model), model, &ask, dice) {
                // Nested twice, as the service does.
                Rendered::Result(result) => (true, json!({ "result": result })),
                Rendered::Events(_) => fail(5006, "AiError: Bad input: streaming".into()),
                Rendered::Refused { code, message, .. } => fail(code, message),
            }
        }
        // Every other task: the model's normal answer to the item, as the synchronous
        // endpoint gives it; binary audio becomes its base64 text.
        _ => {
            let mut input = request.clone();
            if let Value::Object(m) = &mut input {
                m.remove("external_reference");
            }
            let body = input.to_string().into_bytes();
            // The image kinds are not served through the queue.
            let runs = !matches!(task, Task::TextToImage | Task::ImageToText);
            match kinds::answer(model, task, "", Some("application/json"), &body).filter(|_| runs) {
                Some(Ok(Answer::Json(result))) => (true, result),
                Some(Ok(Answer::Media { bytes, .. })) => (
                    true,
                    Value::from(Media::with_type("audio/mpeg", bytes).to_base64()),
                ),
                Some(Err(Refusal { code, message, .. })) => fail(code, message),
                None => fail(
                    5006,
                    format!("AiError: the genai-rs emulator does not run {model} in the queue"),
                ),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn queue(done_ms: u64) -> Queue {
        Queue::new(QueueConfig {
            running_after: Duration::from_millis(done_ms / 2),
            done_after: Duration::from_millis(done_ms),
            ..QueueConfig::default()
        })
    }

    fn result(reply: Result<Value, Refusal>) -> Value {
        match reply {
            Ok(v) => v,
            Err(Refusal { message, .. }) => panic!("refused: {message}"),
        }
    }

    #[test]
    fn jobs_go_queued_running_done_with_shuffled_nested_results() {
        let q = queue(60);
        let mut dice = Dice::new(1);
        let model = "@cf/meta/llama-3.3-70b-instruct-fp8-fast";
        let requests: Vec<Value> = (0..20)
            .map(|i| json!({"prompt": format!("Say the number {i}."), "external_reference": format!("r{i}")}))
            .collect();
        let body = json!({ "requests": requests }).to_string();
        let sub = result(q.handle(model, body.as_bytes(), &mut dice));
        assert_eq!(sub["status"], "queued");
        let id = sub["request_id"].as_str().unwrap().to_owned();
        let poll = json!({ "request_id": id }).to_string();
        assert_eq!(
            result(q.handle(model, poll.as_bytes(), &mut dice))["status"],
            "queued"
        );
        std::thread::sleep(Duration::from_millis(35));
        assert_eq!(
            result(q.handle(model, poll.as_bytes(), &mut dice))["status"],
            "running"
        );
        std::thread::sleep(Duration::from_millis(35));
        let done = result(q.handle(model, poll.as_bytes(), &mut dice));
        let responses = done["responses"].as_array().unwrap();
        let ids: Vec<u64> = responses
            .iter()
            .map(|r| r["id"].as_u64().unwrap())
            .collect();
        assert_ne!(
            ids,
            (0..20).collect::<Vec<_>>(),
            "results come back out of order"
        );
        let r = responses.iter().find(|r| r["id"] == 7).unwrap();
        assert_eq!(r["external_reference"], "r7");
        assert!(!r["result"]["result"]["response"]
            .as_str()
            .unwrap()
            .is_empty());
    }

    #[test]
    fn refusals_as_the_service_words_them() {
        let q = queue(10);
        let mut dice = Dice::new(2);
        let no_queue = q.handle(
            "@cf/meta/llama-3.2-1b-instruct",
            br#"{"requests":[{"prompt":"hi"}]}"#,
            &mut dice,
        );
        assert!(matches!(no_queue, Err(Refusal { status: 400, .. })));
        let unknown = q.handle(
            "@cf/baai/bge-base-en-v1.5",
            br#"{"request_id":"nope"}"#,
            &mut dice,
        );
        assert!(matches!(unknown, Err(Refusal { status: 404, .. })));
        let big = format!(
            r#"{{"requests":[{{"text":"{}"}}]}}"#,
            "x".repeat(MAX_QUEUE_BODY)
        );
        let too_big = q.handle("@cf/baai/bge-base-en-v1.5", big.as_bytes(), &mut dice);
        assert!(matches!(
            too_big,
            Err(Refusal {
                status: 413,
                code: 3006,
                ..
            })
        ));
    }

    #[test]
    fn items_get_the_synchronous_answer_of_their_model() {
        let mut dice = Dice::new(7);
        let body = json!({"text": ["a cat", "a dog"]});
        let sync =
            super::super::embedding::run("bge-small-en-v1.5", body.to_string().as_bytes()).unwrap();
        let mut item = body.clone();
        item["external_reference"] = json!("r1");
        let (ok, queued) = answer(
            "@cf/baai/bge-small-en-v1.5",
            Task::TextEmbeddings,
            &item,
            &mut dice,
        );
        assert!(ok);
        assert_eq!(queued, sync);
        let (ok, _) = answer(
            "@cf/baai/bge-small-en-v1.5",
            Task::TextEmbeddings,
            &json!({"text": ""}),
            &mut dice,
        );
        assert!(!ok);
        let (ok, audio) = answer(
            "@cf/deepgram/aura-1",
            Task::TextToSpeech,
            &json!({"text": "hi"}),
            &mut dice,
        );
        assert!(ok);
        let bytes = genai_core::decode_base64(audio.as_str().unwrap()).unwrap();
        assert_eq!(genai_core::sniff_media_type(&bytes), Some("audio/mpeg"));
    }

    #[test]
    fn finished_jobs_are_forgotten_after_their_retention_or_past_the_cap() {
        let q = Queue::new(QueueConfig {
            running_after: Duration::ZERO,
            done_after: Duration::ZERO,
            retention: Duration::from_millis(50),
            max_jobs: 5,
            ..QueueConfig::default()
        });
        let mut dice = Dice::new(3);
        let model = "@cf/baai/bge-base-en-v1.5";
        let submit = |dice: &mut Dice| {
            let sub = result(q.handle(model, br#"{"requests":[{"text":"a cat"}]}"#, dice));
            sub["request_id"].as_str().unwrap().to_owned()
        };
        let first = submit(&mut dice);
        let poll = |id: &str, dice: &mut Dice| {
            q.handle(
                model,
                json!({ "request_id": id }).to_string().as_bytes(),
                dice,
            )
        };
        // Done, and readable again, the same, while kept.
        let once = result(poll(&first, &mut dice));
        assert!(once["responses"].is_array());
        assert_eq!(result(poll(&first, &mut dice)), once);
        for _ in 0..10 {
            submit(&mut dice);
        }
        assert_eq!(super::super::lock(&q.jobs).len(), 5, "the cap holds");
        assert!(matches!(
            poll(&first, &mut dice),
            Err(Refusal {
                status: 404,
                code: 5007,
                ..
            })
        ));
        std::thread::sleep(Duration::from_millis(80));
        let last = submit(&mut dice);
        assert_eq!(
            super::super::lock(&q.jobs).len(),
            1,
            "expired jobs are freed"
        );
        assert!(result(poll(&last, &mut dice))["responses"].is_array());
    }
}
