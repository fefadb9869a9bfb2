//! The async batch queue (`POST /ai/run/{model}?queueRequest=true`) as the service runs it:
//! a submission of `{"requests":[...]}` is queued, then running, then done after a while; a
//! poll with `{"request_id"}` answers the status, then the `responses` in no particular order,
//! chat results nested twice. The whole submission must stay under 10 MB; a model without
//! `async_queue` is refused; an unknown `request_id` is an error.
//!
//! Items are answered by the emulator's chat responder for text generation models, and by a
//! small deterministic responder here for embeddings (vectors derived from the text) and
//! translation (the text tagged with the target language).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::{json, Map, Value};

use super::chat::families::{self, Dice, Family, Rendered};
use super::chat::responder::Ask;
use super::faults::Fault;
use super::models::{self, takes_queue, Task};

/// The largest submission the queue takes, in bytes (10 MiB).
pub(crate) const MAX_QUEUE_BODY: usize = 10 * 1024 * 1024;

/// How long a job stays queued, then running, and which polls fail.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct QueueConfig {
    pub(crate) running_after: Duration,
    pub(crate) done_after: Duration,
    pub(crate) poll_fault: Option<(u64, Fault)>,
}

impl Default for QueueConfig {
    fn default() -> Self {
        QueueConfig {
            running_after: Duration::from_millis(150),
            done_after: Duration::from_millis(400),
            poll_fault: None,
        }
    }
}

struct Job {
    model: String,
    submitted: Instant,
    /// The `responses`, already in the order they will be sent (not request order).
    responses: Vec<Value>,
    usage: Value,
}

/// The jobs of one emulator.
pub(crate) struct Queue {
    config: QueueConfig,
    jobs: Mutex<HashMap<String, Job>>,
    polls: AtomicU64,
    submissions: AtomicU64,
}

/// What the queue answers: a JSON `result`, or an error envelope.
pub(crate) enum QueueReply {
    Result(Value),
    Refused {
        status: u16,
        code: u32,
        message: String,
    },
}

fn refused(status: u16, code: u32, message: impl Into<String>) -> QueueReply {
    QueueReply::Refused {
        status,
        code,
        message: message.into(),
    }
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
            jobs: Mutex::new(HashMap::new()),
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
    pub(crate) fn handle(&self, model: &str, body: &[u8], dice: &mut Dice) -> QueueReply {
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
                self.submit(info.id, info.task, requests, dice)
            }
            _ => refused(
                400,
                5006,
                "AiError: Bad input: Error: required properties at '/' are 'requests'",
            ),
        }
    }

    fn submit(&self, model: &str, task: Task, requests: &[Value], dice: &mut Dice) -> QueueReply {
        let mut responses: Vec<Value> = Vec::with_capacity(requests.len());
        let (mut prompt, mut completion) = (0u64, 0u64);
        for (id, request) in requests.iter().enumerate() {
            let (success, result) = answer(model, task, request, dice);
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
        // Not in request order: a seeded shuffle.
        let mut rng = self.submissions.fetch_add(1, Ordering::SeqCst) ^ 0x2545_f491_4f6c_dd1d;
        for i in (1..responses.len()).rev() {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            responses.swap(i, (rng % (i as u64 + 1)) as usize);
        }
        let request_id = dice.uuid();
        let job = Job {
            model: model.to_owned(),
            submitted: Instant::now(),
            responses,
            usage: json!({"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}),
        };
        super::lock(&self.jobs).insert(request_id.clone(), job);
        QueueReply::Result(json!({"status": "queued", "request_id": request_id, "model": model}))
    }

    fn poll(&self, model: &str, request_id: &str) -> QueueReply {
        let jobs = super::lock(&self.jobs);
        let Some(job) = jobs.get(request_id).filter(|j| j.model == model) else {
            return refused(
                404,
                5007,
                format!("AiError: Bad input: no queued request has the id `{request_id}`"),
            );
        };
        let age = job.submitted.elapsed();
        if age < self.config.running_after {
            return QueueReply::Result(json!({"status": "queued", "request_id": request_id}));
        }
        if age < self.config.done_after {
            return QueueReply::Result(json!({"status": "running", "request_id": request_id}));
        }
        QueueReply::Result(json!({"responses": job.responses, "usage": job.usage}))
    }
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
            match families::render(Family::of(model), model, &ask, dice) {
                // Nested twice, as the service does.
                Rendered::Result(result) => (true, json!({ "result": result })),
                Rendered::Events(_) => fail(5006, "AiError: Bad input: streaming".into()),
                Rendered::Refused { code, message, .. } => fail(code, message),
            }
        }
        Task::TextEmbeddings => match embed(model, request) {
            Ok(result) => (true, result),
            Err(message) => fail(5006, message),
        },
        Task::Translation => {
            let text = request.get("text").and_then(Value::as_str);
            let target = request.get("target_lang").and_then(Value::as_str);
            match (text, target) {
                (Some(text), Some(target)) if !text.trim().is_empty() => (
                    true,
                    json!({"translated_text": format!("[{target}] {text}")}),
                ),
                _ => fail(
                    5006,
                    "AiError: Bad input: required properties at '/' are 'text', 'target_lang'"
                        .into(),
                ),
            }
        }
        _ => fail(
            5006,
            format!("AiError: the genai-rs emulator does not run {model} in the queue"),
        ),
    }
}

/// The dimensions of an embedding model.
fn dimensions(model: &str) -> usize {
    if model.contains("small") {
        384
    } else if model.contains("base") {
        768
    } else {
        1024
    }
}

/// `{"shape","data","pooling"}` with a unit vector per text, derived from the text alone (so
/// the same text gets the same vector in the queue and outside it).
fn embed(model: &str, request: &Value) -> Result<Value, String> {
    let texts: Vec<&str> = match request.get("text") {
        Some(Value::String(s)) => vec![s.as_str()],
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
        _ => return Err("AiError: Bad input: required properties at '/' are 'text'".into()),
    };
    if texts.is_empty() || texts.len() > 100 || texts.iter().any(|t| t.is_empty()) {
        return Err("AiError: Bad input: 'text' must hold 1 to 100 non-empty texts".into());
    }
    let pooling = request
        .get("pooling")
        .and_then(Value::as_str)
        .unwrap_or("mean");
    let dims = dimensions(model);
    let data: Vec<Value> = texts
        .iter()
        .map(|t| Value::from(text_vector(t, pooling, dims)))
        .collect();
    let mut out = Map::new();
    out.insert("shape".into(), json!([texts.len(), dims]));
    out.insert("data".into(), Value::Array(data));
    out.insert("pooling".into(), Value::from(pooling));
    Ok(Value::Object(out))
}

fn text_vector(text: &str, pooling: &str, dims: usize) -> Vec<f32> {
    let mut state = 0xcbf2_9ce4_8422_2325u64;
    for b in pooling.bytes().chain([0]).chain(text.bytes()) {
        state ^= u64::from(b);
        state = state.wrapping_mul(0x100_0000_01b3);
    }
    let mut v: Vec<f32> = (0..dims)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            ((state >> 40) as f32 / (1u64 << 24) as f32) - 0.5
        })
        .collect();
    let norm = v
        .iter()
        .map(|x| x * x)
        .sum::<f32>()
        .sqrt()
        .max(f32::EPSILON);
    for x in &mut v {
        *x /= norm;
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    fn queue(done_ms: u64) -> Queue {
        Queue::new(QueueConfig {
            running_after: Duration::from_millis(done_ms / 2),
            done_after: Duration::from_millis(done_ms),
            poll_fault: None,
        })
    }

    fn result(reply: QueueReply) -> Value {
        match reply {
            QueueReply::Result(v) => v,
            QueueReply::Refused { message, .. } => panic!("refused: {message}"),
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
        assert!(matches!(no_queue, QueueReply::Refused { status: 400, .. }));
        let unknown = q.handle(
            "@cf/baai/bge-base-en-v1.5",
            br#"{"request_id":"nope"}"#,
            &mut dice,
        );
        assert!(matches!(unknown, QueueReply::Refused { status: 404, .. }));
        let big = format!(
            r#"{{"requests":[{{"text":"{}"}}]}}"#,
            "x".repeat(MAX_QUEUE_BODY)
        );
        let too_big = q.handle("@cf/baai/bge-base-en-v1.5", big.as_bytes(), &mut dice);
        assert!(matches!(
            too_big,
            QueueReply::Refused {
                status: 413,
                code: 3006,
                ..
            }
        ));
    }

    #[test]
    fn embeddings_are_deterministic_unit_vectors() {
        let a = embed(
            "@cf/baai/bge-small-en-v1.5",
            &json!({"text": ["a cat", "a dog"]}),
        )
        .unwrap();
        let b = embed("@cf/baai/bge-small-en-v1.5", &json!({"text": "a cat"})).unwrap();
        assert_eq!(a["shape"], json!([2, 384]));
        assert_eq!(a["data"][0], b["data"][0]);
        assert_ne!(a["data"][0], a["data"][1]);
        assert!(embed("@cf/baai/bge-small-en-v1.5", &json!({"text": []})).is_err());
    }
}
