//! Shared by the criterion benches and the loopback example: a generator of streams in the
//! shape of Workers AI chunks, and the minimal baseline decoder they are compared with.
//!
//! Every text here is ours: a small word list and random padding from a fixed seed.

#![allow(dead_code)]

use std::borrow::Cow;

use serde::Deserialize;

/// The model whose family the generated chunks belong to (native wire, `response` chunks).
pub const MODEL: &str = "@cf/meta/llama-3.2-1b-instruct";

/// The model of the OpenAI-shaped streams (`chat.completion.chunk` events).
pub const OPENAI_MODEL: &str = "@cf/zai-org/glm-4.7-flash";

/// Which wire shape a generated stream has: every shape the service is documented to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// `{"response":…,"tool_calls":[],"p":…}` chunks, usage in the last one.
    Native,
    /// Native tool-call deltas (Llama 4 Scout): per call, a chunk with its id and name, then
    /// argument fragments, each `{"response":"","tool_calls":[{"index":…,"function":
    /// {"arguments":…}}],"p":…}`.
    NativeTools,
    /// `chat.completion.chunk` events: a quarter of the tokens as `reasoning_content` deltas
    /// (the model thinks first), then `content` deltas, a finish chunk, a usage chunk.
    OpenAi,
    /// [`Shape::OpenAi`] with `usage` on every chunk (the last one counts).
    OpenAiUsage,
    /// [`Shape::OpenAi`] with keys the client does not know: the `p` padding of native chunks
    /// at the top and `"refusal":null` in the delta.
    OpenAiUnknown,
    /// Half the tokens as `reasoning` deltas (the field name of Kimi K2.6), then `content`.
    OpenAiReasoning,
    /// OpenAI tool-call deltas: per call, a delta with its id and name, then argument
    /// fragments, a `tool_calls` finish, a usage chunk.
    OpenAiTools,
}

impl Shape {
    /// Every shape, in the order the figures list them.
    pub const ALL: [Shape; 7] = [
        Shape::Native,
        Shape::NativeTools,
        Shape::OpenAi,
        Shape::OpenAiUsage,
        Shape::OpenAiUnknown,
        Shape::OpenAiReasoning,
        Shape::OpenAiTools,
    ];

    /// The model of streams of this shape.
    pub fn model(self) -> &'static str {
        if self.openai() {
            OPENAI_MODEL
        } else {
            MODEL
        }
    }

    /// Whether its chunks are `chat.completion.chunk` events.
    pub fn openai(self) -> bool {
        !matches!(self, Shape::Native | Shape::NativeTools)
    }

    /// Whether its deltas are tool-call fragments.
    pub fn tools(self) -> bool {
        matches!(self, Shape::NativeTools | Shape::OpenAiTools)
    }

    /// Its name on the command line and in URLs.
    pub fn name(self) -> &'static str {
        match self {
            Shape::Native => "native",
            Shape::NativeTools => "native-tools",
            Shape::OpenAi => "openai",
            Shape::OpenAiUsage => "openai-usage",
            Shape::OpenAiUnknown => "openai-unknown-keys",
            Shape::OpenAiReasoning => "openai-reasoning",
            Shape::OpenAiTools => "openai-tools",
        }
    }

    /// The shape named `name`.
    pub fn named(name: &str) -> Option<Shape> {
        Shape::ALL.into_iter().find(|s| s.name() == name)
    }
}

/// Argument fragments per streamed tool call.
pub const FRAGMENTS_PER_CALL: u64 = 1000;

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

/// Writes SSE events one by one: `count` delta chunks, then what ends the stream, then
/// `[DONE]`.
#[derive(Debug, Clone)]
pub struct EventGen {
    rng: Rng,
    count: u64,
    emitted: u64,
    finished: bool,
    shape: Shape,
    /// The arguments of the tool call being streamed, and how far they were sent.
    call: String,
    call_sent: usize,
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
            call: String::new(),
            call_sent: 0,
        }
    }

    fn word(&mut self) -> &'static str {
        WORDS[self.rng.below(WORDS.len() as u64) as usize]
    }

    fn pad(&mut self, out: &mut Vec<u8>) {
        let pad = self.rng.below(48) as usize;
        for _ in 0..pad {
            out.push(PAD[self.rng.below(PAD.len() as u64) as usize]);
        }
    }

    fn usage(&self, out: &mut Vec<u8>, done: u64) {
        out.extend_from_slice(
            format!(
                "\"usage\":{{\"prompt_tokens\":21,\"completion_tokens\":{done},\"total_tokens\":{}}}",
                done + 21
            )
            .as_bytes(),
        );
    }

    /// Appends the next event to `out`; false once everything was written.
    pub fn write_next(&mut self, out: &mut Vec<u8>) -> bool {
        if self.finished {
            return false;
        }
        if self.emitted < self.count {
            out.extend_from_slice(b"data: ");
            if self.shape.tools() {
                self.tool_chunk(out);
            } else if self.shape.openai() {
                self.openai_text_chunk(out);
            } else {
                out.extend_from_slice(b"{\"response\":");
                let word = self.word();
                write_json_str(out, word);
                out.extend_from_slice(b",\"tool_calls\":[],\"p\":\"");
                self.pad(out);
                out.extend_from_slice(b"\"}");
            }
            out.extend_from_slice(b"\n\n");
        } else if self.emitted == self.count && self.shape.openai() {
            out.extend_from_slice(OPENAI_HEAD);
            let finish = if self.shape.tools() {
                "tool_calls"
            } else {
                "stop"
            };
            out.extend_from_slice(
                format!("{{\"index\":0,\"delta\":{{}},\"logprobs\":null,\"finish_reason\":\"{finish}\",\"stop_reason\":null}}]").as_bytes(),
            );
            if self.shape == Shape::OpenAiUsage {
                out.push(b',');
                self.usage(out, self.count);
            }
            out.extend_from_slice(b"}\n\n");
        } else if self.emitted == self.count + u64::from(self.shape.openai()) {
            if self.shape.openai() {
                out.extend_from_slice(OPENAI_HEAD);
                out.extend_from_slice(b"],");
            } else {
                out.extend_from_slice(b"data: {\"response\":\"\",");
                if self.shape.tools() {
                    out.extend_from_slice(b"\"tool_calls\":[],");
                }
            }
            self.usage(out, self.count);
            out.extend_from_slice(b"}\n\n");
        } else {
            out.extend_from_slice(b"data: [DONE]\n\n");
            self.finished = true;
        }
        self.emitted += 1;
        true
    }

    fn openai_text_chunk(&mut self, out: &mut Vec<u8>) {
        out.extend_from_slice(&OPENAI_HEAD[b"data: ".len()..]);
        let field: &[u8] = match self.shape {
            Shape::OpenAiReasoning if self.emitted < self.count / 2 => b"reasoning",
            Shape::OpenAiReasoning => b"content",
            _ if self.emitted < self.count / 4 => b"reasoning_content",
            _ => b"content",
        };
        out.extend_from_slice(b"{\"index\":0,\"delta\":{\"");
        out.extend_from_slice(field);
        out.extend_from_slice(b"\":");
        let word = self.word();
        write_json_str(out, word);
        if self.shape == Shape::OpenAiUnknown {
            out.extend_from_slice(b",\"refusal\":null");
        }
        out.extend_from_slice(b"},\"logprobs\":null,\"finish_reason\":null}]");
        match self.shape {
            Shape::OpenAiUsage => {
                out.push(b',');
                self.usage(out, self.emitted + 1);
            }
            Shape::OpenAiUnknown => {
                out.extend_from_slice(b",\"p\":\"");
                self.pad(out);
                out.push(b'"');
            }
            _ => {}
        }
        out.push(b'}');
    }

    /// A tool-call delta: the call's id and name first, then its arguments in fragments.
    fn tool_chunk(&mut self, out: &mut Vec<u8>) {
        let index = self.emitted / FRAGMENTS_PER_CALL;
        let first = self.emitted % FRAGMENTS_PER_CALL == 0;
        let openai = self.shape.openai();
        if openai {
            out.extend_from_slice(&OPENAI_HEAD[b"data: ".len()..]);
            out.extend_from_slice(b"{\"index\":0,\"delta\":{");
            if first {
                out.extend_from_slice(b"\"role\":\"assistant\",\"content\":null,");
            }
            out.extend_from_slice(b"\"tool_calls\":[");
        } else {
            out.extend_from_slice(b"{\"response\":\"\",\"tool_calls\":[");
        }
        if first {
            self.next_call();
            out.extend_from_slice(
                format!("{{\"index\":{index},\"id\":\"call_{index:08x}\",\"type\":\"function\",\"function\":{{\"name\":\"write_note\"").as_bytes(),
            );
            if openai {
                out.extend_from_slice(b",\"arguments\":\"\"");
            }
            out.extend_from_slice(b"}}");
        } else {
            let last = self.emitted % FRAGMENTS_PER_CALL == FRAGMENTS_PER_CALL - 1
                || self.emitted + 1 == self.count;
            let fragment = self.next_fragment(last);
            out.extend_from_slice(
                format!("{{\"index\":{index},\"function\":{{\"arguments\":").as_bytes(),
            );
            write_json_str(out, &fragment);
            out.extend_from_slice(b"}}");
        }
        out.push(b']');
        if openai {
            out.extend_from_slice(b"},\"logprobs\":null,\"finish_reason\":null}]}");
        } else {
            out.extend_from_slice(b",\"p\":\"");
            self.pad(out);
            out.extend_from_slice(b"\"}");
        }
    }

    /// Starts the arguments of the next call: `{"text":"…"}` over about one word per fragment.
    fn next_call(&mut self) {
        let mut text = String::new();
        for _ in 0..FRAGMENTS_PER_CALL {
            text.push_str(self.word());
        }
        self.call = serde_json::json!({ "text": text }).to_string();
        self.call_sent = 0;
    }

    /// The next fragment of the current call's arguments (the rest when `last`).
    fn next_fragment(&mut self, last: bool) -> String {
        let rest = &self.call[self.call_sent..];
        // Spread over the fragments left, this one included.
        let left = (FRAGMENTS_PER_CALL - self.emitted % FRAGMENTS_PER_CALL) as usize;
        let mut end = if last {
            rest.len()
        } else {
            rest.len().div_ceil(left)
        };
        while !rest.is_char_boundary(end) {
            end += 1;
        }
        self.call_sent += end;
        rest[..end].to_owned()
    }
}

const OPENAI_HEAD: &[u8] = b"data: {\"id\":\"chatcmpl-8f1c2a7e5b9d4e3fa0c6b1d2e3f4a5b6\",\"object\":\"chat.completion.chunk\",\"created\":1764460000,\"model\":\"@cf/zai-org/glm-4.7-flash\",\"choices\":[";

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

/// The baseline's native chunk: the text, the tool-call fragments, the usage; borrowed where
/// the JSON has no escapes.
#[derive(Debug, Deserialize)]
pub struct BaseChunk<'a> {
    #[serde(default, borrow)]
    pub response: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    pub tool_calls: Option<Vec<BaseToolCall<'a>>>,
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

/// A tool call or fragment, in either family: `{index, id, function: {name, arguments}}`.
#[derive(Debug, Deserialize)]
pub struct BaseToolCall<'a> {
    #[serde(default)]
    pub index: Option<u32>,
    #[serde(default, borrow)]
    pub id: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    pub function: Option<BaseFunction<'a>>,
}

/// The `function` of [`BaseToolCall`].
#[derive(Debug, Deserialize)]
pub struct BaseFunction<'a> {
    #[serde(default, borrow)]
    pub name: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    pub arguments: Option<Cow<'a, str>>,
}

/// The baseline's OpenAI-shaped chunk: the first choice's delta and the usage.
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

/// A delta of [`BaseChoice`]: the texts under both reasoning names, the tool-call fragments.
#[derive(Debug, Deserialize)]
pub struct BaseDelta<'a> {
    #[serde(default, borrow)]
    pub content: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    pub reasoning_content: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    pub reasoning: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    pub tool_calls: Option<Vec<BaseToolCall<'a>>>,
}

/// What the baseline folds a stream into.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct BaseTally {
    /// Chunks with text (answer or reasoning).
    pub events: u64,
    pub text_bytes: u64,
    /// The tool calls assembled: name and arguments, by index.
    pub calls: Vec<(u32, String, String)>,
    pub completion_tokens: u64,
    pub done: bool,
}

impl BaseTally {
    fn text(&mut self, t: Option<Cow<'_, str>>) {
        if let Some(t) = t.filter(|t| !t.is_empty()) {
            self.events += 1;
            self.text_bytes += t.len() as u64;
        }
    }

    /// Appends a fragment to its call (the last one first: fragments come in a row).
    fn call(&mut self, c: BaseToolCall<'_>) {
        let index = c.index.unwrap_or(0);
        let at = match self.calls.last() {
            Some(last) if last.0 == index => self.calls.len() - 1,
            _ => match self.calls.iter().position(|p| p.0 == index) {
                Some(at) => at,
                None => {
                    self.calls.push((index, String::new(), String::new()));
                    self.calls.len() - 1
                }
            },
        };
        if let Some(f) = c.function {
            if let Some(n) = f.name {
                self.calls[at].1.push_str(&n);
            }
            if let Some(a) = f.arguments {
                self.calls[at].2.push_str(&a);
            }
        }
    }
}

/// The minimal baseline: split lines, take `data: ` lines, `serde_json` each into
/// [`BaseChunk`] or [`BaseOpenAiChunk`]. Keeps the unfinished tail in `pending` between reads.
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
            openai: shape.openai(),
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
        let t = &mut self.tally;
        if self.openai {
            if let Ok(c) = serde_json::from_slice::<BaseOpenAiChunk<'_>>(data) {
                if let Some(delta) = c.choices.into_iter().next().and_then(|c| c.delta) {
                    t.text(delta.reasoning_content.or(delta.reasoning));
                    t.text(delta.content);
                    for call in delta.tool_calls.into_iter().flatten() {
                        t.call(call);
                    }
                }
                if let Some(u) = c.usage {
                    t.completion_tokens = u.completion_tokens;
                }
            }
            return;
        }
        if let Ok(c) = serde_json::from_slice::<BaseChunk<'_>>(data) {
            t.text(c.response);
            for call in c.tool_calls.into_iter().flatten() {
                t.call(call);
            }
            if let Some(u) = c.usage {
                t.completion_tokens = u.completion_tokens;
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
