//! Shared by the criterion benches and the loopback example: a generator of streams in the
//! shape of Workers AI chunks, and the minimal baseline decoder they are compared with.
//!
//! Every text here is ours: a small word list and random padding from a fixed seed.

#![allow(dead_code)]

use serde::Deserialize;

/// The model whose family the generated chunks belong to (native wire, `response` chunks).
pub const MODEL: &str = "@cf/meta/llama-3.2-1b-instruct";

/// The model of the OpenAI-shaped streams (`chat.completion.chunk` events).
pub const OPENAI_MODEL: &str = "@cf/zai-org/glm-4.7-flash";

/// Which wire shape a generated stream has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// `{"response":…,"tool_calls":[],"p":…}` chunks.
    Native,
    /// `chat.completion.chunk` events: a quarter of the tokens as `reasoning_content` deltas
    /// (the model thinks first), then `content` deltas, a finish chunk, a usage chunk.
    OpenAi,
    /// [`Shape::OpenAi`] with a tab before each `"logprobs"` key: valid JSON that the client's
    /// short path refuses, so every chunk takes its general decoder (the cost before the
    /// short path existed).
    OpenAiGeneral,
}

impl Shape {
    /// The model of streams of this shape.
    pub fn model(self) -> &'static str {
        match self {
            Shape::Native => MODEL,
            Shape::OpenAi | Shape::OpenAiGeneral => OPENAI_MODEL,
        }
    }
}

const WORDS: &[&str] = &[
    " the",
    " tide",
    " rises",
    " twice",
    " a",
    " day",
    ",",
    " because",
    " the",
    " moon",
    " pulls",
    " on",
    " the",
    " ocean",
    ".",
    " Water",
    " \"bulges\"",
    " toward",
    " it",
    "\n",
    " and",
    " away",
    " from",
    " it",
    " on",
    " the",
    " far",
    " side",
    " café",
    " 🌊",
];

const PAD: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";

/// A small deterministic PRNG (xorshift64*), so runs see the same bytes.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed | 1)
    }

    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Writes SSE events one by one: `count` text chunks, then the usage chunk, then `[DONE]`.
#[derive(Debug, Clone)]
pub struct EventGen {
    rng: Rng,
    count: u64,
    emitted: u64,
    finished: bool,
    shape: Shape,
}

impl EventGen {
    pub fn new(count: u64, seed: u64) -> Self {
        EventGen::with_shape(count, seed, Shape::Native)
    }

    pub fn with_shape(count: u64, seed: u64, shape: Shape) -> Self {
        EventGen {
            rng: Rng::new(seed),
            count,
            emitted: 0,
            finished: false,
            shape,
        }
    }

    /// Appends the next event to `out`; false once everything was written.
    pub fn write_next(&mut self, out: &mut Vec<u8>) -> bool {
        if self.finished {
            return false;
        }
        if self.shape != Shape::Native {
            return self.write_next_openai(out);
        }
        if self.emitted < self.count {
            let word = WORDS[self.rng.below(WORDS.len() as u64) as usize];
            out.extend_from_slice(b"data: {\"response\":");
            write_json_str(out, word);
            out.extend_from_slice(b",\"tool_calls\":[],\"p\":\"");
            let pad = self.rng.below(48) as usize;
            for _ in 0..pad {
                out.push(PAD[self.rng.below(PAD.len() as u64) as usize]);
            }
            out.extend_from_slice(b"\"}\n\n");
        } else if self.emitted == self.count {
            out.extend_from_slice(
                format!(
                    "data: {{\"response\":\"\",\"usage\":{{\"prompt_tokens\":21,\"completion_tokens\":{},\"total_tokens\":{}}}}}\n\n",
                    self.count,
                    self.count + 21
                )
                .as_bytes(),
            );
        } else {
            out.extend_from_slice(b"data: [DONE]\n\n");
            self.finished = true;
        }
        self.emitted += 1;
        true
    }
}

impl EventGen {
    fn write_next_openai(&mut self, out: &mut Vec<u8>) -> bool {
        const HEAD: &[u8] = b"data: {\"id\":\"chatcmpl-8f1c2a7e5b9d4e3fa0c6b1d2e3f4a5b6\",\"object\":\"chat.completion.chunk\",\"created\":1764460000,\"model\":\"@cf/zai-org/glm-4.7-flash\",\"choices\":[";
        if self.emitted < self.count {
            let word = WORDS[self.rng.below(WORDS.len() as u64) as usize];
            out.extend_from_slice(HEAD);
            if self.emitted < self.count / 4 {
                out.extend_from_slice(b"{\"index\":0,\"delta\":{\"reasoning_content\":");
            } else {
                out.extend_from_slice(b"{\"index\":0,\"delta\":{\"content\":");
            }
            write_json_str(out, word);
            if self.shape == Shape::OpenAiGeneral {
                out.push(b'}');
                out.extend_from_slice(b",\t\"logprobs\":null,\"finish_reason\":null}]}\n\n");
            } else {
                out.extend_from_slice(b"},\"logprobs\":null,\"finish_reason\":null}]}\n\n");
            }
        } else if self.emitted == self.count {
            out.extend_from_slice(HEAD);
            out.extend_from_slice(
                b"{\"index\":0,\"delta\":{},\"logprobs\":null,\"finish_reason\":\"stop\",\"stop_reason\":null}]}\n\n",
            );
        } else if self.emitted == self.count + 1 {
            out.extend_from_slice(HEAD);
            out.extend_from_slice(
                format!(
                    "],\"usage\":{{\"prompt_tokens\":21,\"completion_tokens\":{},\"total_tokens\":{}}}}}\n\n",
                    self.count,
                    self.count + 21
                )
                .as_bytes(),
            );
        } else {
            out.extend_from_slice(b"data: [DONE]\n\n");
            self.finished = true;
        }
        self.emitted += 1;
        true
    }
}

fn write_json_str(out: &mut Vec<u8>, s: &str) {
    let encoded = serde_json::to_vec(s).unwrap_or_default();
    out.extend_from_slice(&encoded);
}

/// A whole SSE body of `count` text chunks (plus usage and `[DONE]`).
pub fn sse_body(count: u64, seed: u64) -> Vec<u8> {
    sse_body_of(Shape::Native, count, seed)
}

/// A whole SSE body of `count` text chunks of `shape` (plus what ends it, and `[DONE]`).
pub fn sse_body_of(shape: Shape, count: u64, seed: u64) -> Vec<u8> {
    let mut gen = EventGen::with_shape(count, seed, shape);
    let mut out = Vec::with_capacity(count as usize * 96);
    while gen.write_next(&mut out) {}
    out
}

/// A sync reply of about `bytes` bytes of answer text, in the native envelope.
pub fn sync_reply(bytes: usize, seed: u64) -> Vec<u8> {
    let mut rng = Rng::new(seed);
    let mut text = String::with_capacity(bytes + 16);
    while text.len() < bytes {
        text.push_str(WORDS[rng.below(WORDS.len() as u64) as usize]);
    }
    serde_json::to_vec(&serde_json::json!({
        "result": {
            "response": text,
            "tool_calls": [],
            "usage": {"prompt_tokens": 21, "completion_tokens": 250000, "total_tokens": 250021}
        },
        "success": true,
        "errors": [],
        "messages": []
    }))
    .unwrap_or_default()
}

/// The baseline's chunk: two fields, borrowed where the JSON has no escapes.
#[derive(Debug, Deserialize)]
pub struct BaseChunk<'a> {
    #[serde(default, borrow)]
    pub response: Option<std::borrow::Cow<'a, str>>,
    #[serde(default)]
    pub usage: Option<BaseUsage>,
}

/// The baseline's usage.
#[derive(Debug, Deserialize, Clone, Copy, Default)]
pub struct BaseUsage {
    #[serde(default)]
    pub prompt_tokens: u64,
    #[serde(default)]
    pub completion_tokens: u64,
}

/// The baseline's OpenAI-shaped chunk: the first choice's delta texts and the usage.
#[derive(Debug, Deserialize)]
pub struct BaseOpenAiChunk<'a> {
    #[serde(default, borrow)]
    pub choices: Vec<BaseChoice<'a>>,
    #[serde(default)]
    pub usage: Option<BaseUsage>,
}

/// One choice of [`BaseOpenAiChunk`].
#[derive(Debug, Deserialize)]
pub struct BaseChoice<'a> {
    #[serde(default, borrow)]
    pub delta: Option<BaseDelta<'a>>,
}

/// A delta of [`BaseChoice`].
#[derive(Debug, Deserialize)]
pub struct BaseDelta<'a> {
    #[serde(default, borrow)]
    pub content: Option<std::borrow::Cow<'a, str>>,
    #[serde(default, borrow)]
    pub reasoning_content: Option<std::borrow::Cow<'a, str>>,
}

/// What the baseline folds a stream into.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct BaseTally {
    pub events: u64,
    pub text_bytes: u64,
    pub completion_tokens: u64,
    pub done: bool,
}

/// The minimal baseline: split lines, take `data: ` lines, `serde_json` each into
/// [`BaseChunk`]. Keeps the unfinished tail in `pending` between reads.
#[derive(Debug, Default)]
pub struct BaseDecoder {
    pending: Vec<u8>,
    pub tally: BaseTally,
    /// Reads `chat.completion.chunk` events instead of native chunks.
    pub openai: bool,
}

impl BaseDecoder {
    /// A baseline for streams of `shape`.
    pub fn of(shape: Shape) -> Self {
        BaseDecoder {
            openai: shape != Shape::Native,
            ..BaseDecoder::default()
        }
    }

    pub fn feed(&mut self, chunk: &[u8]) {
        let mut start = 0;
        let joined;
        let buf: &[u8] = if self.pending.is_empty() {
            chunk
        } else {
            self.pending.extend_from_slice(chunk);
            joined = std::mem::take(&mut self.pending);
            &joined
        };
        while let Some(i) = memchr::memchr(b'\n', &buf[start..]) {
            let line = &buf[start..start + i];
            start += i + 1;
            self.line(line);
        }
        self.pending.extend_from_slice(&buf[start..]);
    }

    fn line(&mut self, line: &[u8]) {
        let Some(data) = line.strip_prefix(b"data: ") else {
            return;
        };
        if data == b"[DONE]" {
            self.tally.done = true;
            return;
        }
        if self.openai {
            if let Ok(c) = serde_json::from_slice::<BaseOpenAiChunk<'_>>(data) {
                if let Some(delta) = c.choices.into_iter().next().and_then(|c| c.delta) {
                    let text = delta.content.or(delta.reasoning_content);
                    if let Some(t) = text.filter(|t| !t.is_empty()) {
                        self.tally.events += 1;
                        self.tally.text_bytes += t.len() as u64;
                    }
                }
                if let Some(u) = c.usage {
                    self.tally.completion_tokens = u.completion_tokens;
                }
            }
            return;
        }
        if let Ok(c) = serde_json::from_slice::<BaseChunk<'_>>(data) {
            self.tally.events += 1;
            if let Some(r) = c.response {
                self.tally.text_bytes += r.len() as u64;
            }
            if let Some(u) = c.usage {
                self.tally.completion_tokens = u.completion_tokens;
            }
        }
    }
}

/// The baseline's sync reply, typed.
#[derive(Debug, Deserialize)]
pub struct BaseEnvelope {
    pub result: BaseResult,
    #[serde(default)]
    pub success: bool,
}

/// The `result` of [`BaseEnvelope`].
#[derive(Debug, Deserialize)]
pub struct BaseResult {
    pub response: String,
    #[serde(default)]
    pub usage: BaseUsage,
}
