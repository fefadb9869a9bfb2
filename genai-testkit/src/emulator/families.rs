//! Model families and their wire quirks. Every quirk of a family lives in the match arms of
//! its variant here; the responder (what is said) knows nothing about the wire.

use serde_json::{json, Map, Value};

use super::responder::{cut_words, respond, word_count, word_tokens, Answer, Ask, Call, Format};

/// Without `max_tokens`, native models stop at this many output tokens.
const NATIVE_DEFAULT_MAX_TOKENS: usize = 256;

/// Which Llama 3.x generation: they differ in tool-call and JSON quirks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Llama3 {
    /// Llama 3.3: numbers in tool arguments as strings, `tool_calls: []` on text, typed text
    /// tool calls in streams, JSON schema without usage.
    V33,
    /// Llama 3.2 1B/3B: compact text tool calls in streams, JSON schema refused (5025).
    V32,
    /// Llama 3.1 8B: like 3.2, but accepts JSON schema.
    V31,
}

/// A wire family: how a model dresses its replies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Family {
    /// Llama 3.x native models.
    Llama3(Llama3),
    /// Llama 4 Scout: OpenAI-style tool calls inside the native envelope.
    Llama4Scout,
    /// DeepSeek R1 distill and QwQ: reasoning inline in `<think>`, tools ignored.
    R1Distill,
    /// Hermes 2 Pro: tool calls as `<tool_call>` text with Python-style quotes.
    Hermes,
    /// Newer models answering in the OpenAI chat-completions shape. GPT-OSS does not stream.
    OpenAi {
        /// Whether `stream: true` gets an SSE stream (false: the plain JSON reply).
        streams: bool,
    },
    /// Any other text generation model: plain native text.
    Plain,
}

impl Family {
    /// The family of a text generation model.
    pub(crate) fn of(model: &str) -> Family {
        let has = |part: &str| model.contains(part);
        if has("llama-3.3-") {
            Family::Llama3(Llama3::V33)
        } else if has("llama-3.2-1b-instruct") || has("llama-3.2-3b-instruct") {
            Family::Llama3(Llama3::V32)
        } else if has("llama-3.1-8b-instruct") {
            Family::Llama3(Llama3::V31)
        } else if has("llama-4-scout") {
            Family::Llama4Scout
        } else if has("deepseek-r1-distill") || has("qwq-32b") {
            Family::R1Distill
        } else if has("hermes-2-pro") {
            Family::Hermes
        } else if has("gpt-oss-") {
            Family::OpenAi { streams: false }
        } else if has("glm-4.7-flash") || has("qwen3-") {
            Family::OpenAi { streams: true }
        } else {
            Family::Plain
        }
    }

    /// Whether the family makes tool calls (others answer in text).
    pub(crate) fn calls_tools(self) -> bool {
        !matches!(self, Family::R1Distill | Family::Plain)
    }

    /// Whether the family reasons before answering.
    pub(crate) fn reasons(self) -> bool {
        matches!(self, Family::R1Distill | Family::OpenAi { .. })
    }

    fn accepts_json_schema(self) -> bool {
        self != Family::Llama3(Llama3::V32)
    }
}

/// What the server sends back for a run.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Rendered {
    /// 200 JSON: the `result` of the envelope.
    Result(Value),
    /// 200 SSE: the JSON payloads of the `data:` events, without `[DONE]`.
    Events(Vec<Value>),
    /// An error envelope with `result: {}`.
    Refused {
        status: u16,
        code: u32,
        message: String,
    },
}

/// Per-request generator: `p` padding and ids. Seeded by the request number, so a run is
/// reproducible.
#[derive(Debug)]
pub(crate) struct Dice {
    state: u64,
}

impl Dice {
    pub(crate) fn new(seed: u64) -> Dice {
        Dice {
            state: seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ 0x5851_f42d_4c95_7f2d,
        }
    }

    fn next(&mut self) -> u64 {
        // splitmix64
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn padding(&mut self) -> String {
        const ALPHABET: &str = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMN";
        let length = 1 + (self.next() % (ALPHABET.len() as u64 - 1)) as usize;
        ALPHABET[..length].to_owned()
    }

    pub(crate) fn hex(&mut self, digits: usize) -> String {
        let mut out = String::new();
        while out.len() < digits {
            out.push_str(&format!("{:016x}", self.next()));
        }
        out.truncate(digits);
        out
    }

    /// A uuid-looking id.
    pub(crate) fn uuid(&mut self) -> String {
        let h = self.hex(32);
        format!(
            "{}-{}-4{}-8{}-{}",
            &h[..8],
            &h[8..12],
            &h[13..16],
            &h[17..20],
            &h[20..32]
        )
    }
}

/// Answers a run request for a text generation model of `family`.
pub(crate) fn render(family: Family, model: &str, ask: &Ask, dice: &mut Dice) -> Rendered {
    match family {
        Family::OpenAi { streams } => render_openai(model, ask, streams, dice),
        _ => render_native(family, ask, dice),
    }
}

// ---------------------------------------------------------------------------------------------
// Native families
// ---------------------------------------------------------------------------------------------

/// A native reply before it is put on the wire.
enum Native {
    /// Text; `structured` marks JSON or tool-call text (streamed in small pieces).
    Text {
        text: String,
        structured: bool,
        cut: bool,
    },
    /// Flat tool call (Llama 3.x sync).
    FlatCall(Call),
    /// OpenAI-style tool call (Llama 4 Scout).
    ScoutCall { id: String, call: Call },
    /// A JSON object as `response`.
    Object(Value),
}

/// A 403 refusal in the service's words: `AiError: Ai: {what} (<uuid>)`.
fn ai_refusal(code: u32, what: &str, dice: &mut Dice) -> Rendered {
    Rendered::Refused {
        status: 403,
        code,
        message: format!("AiError: Ai: {what} ({})", dice.uuid()),
    }
}

fn render_native(family: Family, ask: &Ask, dice: &mut Dice) -> Rendered {
    let schema_mode = matches!(ask.format, Format::JsonSchema(_));
    if schema_mode && ask.stream {
        return ai_refusal(
            5023,
            "JSON Schema mode is not supported with stream mode.",
            dice,
        );
    }
    if schema_mode && !family.accepts_json_schema() {
        // The service's own spelling.
        return ai_refusal(5025, "This model doesn't suuport JSON Schema.", dice);
    }
    let reply = respond(ask, family.calls_tools());
    let think = |answer: &str| format!("<think>\n{}\n</think>\n\n{answer}", reply.reasoning);
    let native = match reply.answer {
        Answer::Text(text) if family == Family::R1Distill => Native::Text {
            text: think(&text),
            structured: false,
            cut: false,
        },
        Answer::Text(text) => Native::Text {
            text,
            structured: false,
            cut: false,
        },
        Answer::Json(value) if schema_mode => Native::Object(value),
        Answer::Json(value) => match family {
            Family::Llama4Scout if !ask.stream => Native::Object(value),
            Family::R1Distill => Native::Text {
                text: think(&spaced_json(&value)),
                structured: false,
                cut: false,
            },
            _ => Native::Text {
                text: spaced_json(&value),
                structured: true,
                cut: false,
            },
        },
        Answer::Call(call) => match family {
            Family::Llama3(Llama3::V33) if ask.stream => {
                let arguments = spaced_json(&numbers_as_strings(&call.arguments));
                let text = format!(
                    "{{\"type\": \"function\", \"name\": {}, \"parameters\": {arguments}}}",
                    Value::String(call.name.clone())
                );
                Native::Text {
                    text,
                    structured: true,
                    cut: false,
                }
            }
            Family::Llama3(Llama3::V33) => Native::FlatCall(Call {
                arguments: numbers_as_strings(&call.arguments),
                ..call
            }),
            Family::Llama3(_) if ask.stream => {
                let text = json!({"name": call.name, "parameters": call.arguments}).to_string();
                Native::Text {
                    text,
                    structured: true,
                    cut: false,
                }
            }
            Family::Llama4Scout => Native::ScoutCall {
                id: format!("chatcmpl-tool-{}", dice.hex(32)),
                call,
            },
            Family::Hermes => {
                let text = format!(
                    "<tool_call>\n{{'arguments': {}, 'name': {}}}\n</tool_call>",
                    python_repr(&call.arguments),
                    python_repr(&Value::String(call.name.clone()))
                );
                Native::Text {
                    text,
                    structured: true,
                    cut: false,
                }
            }
            _ => Native::FlatCall(call),
        },
    };
    let native = match native {
        Native::Text {
            text, structured, ..
        } => {
            let limit = ask.max_tokens.unwrap_or(NATIVE_DEFAULT_MAX_TOKENS);
            let (text, cut) = cut_words(&text, limit);
            Native::Text {
                text,
                structured,
                cut,
            }
        }
        other => other,
    };
    let completion = match &native {
        Native::Text { text, .. } => word_count(text),
        Native::FlatCall(call) | Native::ScoutCall { call, .. } => {
            word_count(&call.name) + word_count(&spaced_json(&call.arguments))
        }
        Native::Object(value) => word_count(&spaced_json(value)),
    };
    let usage = usage_json(ask.prompt_tokens(), completion);
    if ask.stream {
        Rendered::Events(native_events(family, native, usage, dice))
    } else {
        Rendered::Result(native_result(family, ask, native, usage))
    }
}

fn native_result(family: Family, ask: &Ask, native: Native, usage: Value) -> Value {
    match native {
        Native::Text {
            text, structured, ..
        } => {
            let mut result = json!({ "response": text, "usage": usage });
            // Llama 3.3 (when no tools were declared) and Scout add an empty tool call list to
            // plain text replies.
            let empty_calls = match family {
                Family::Llama3(Llama3::V33) => !structured && ask.tools.is_empty(),
                Family::Llama4Scout => true,
                _ => false,
            };
            if empty_calls {
                result["tool_calls"] = json!([]);
            }
            result
        }
        Native::FlatCall(call) => json!({
            "response": null,
            "tool_calls": [{"name": call.name, "arguments": call.arguments}],
            "usage": usage,
        }),
        Native::ScoutCall { id, call } => json!({
            "tool_calls": [{
                "id": id,
                "type": "function",
                "function": {"name": call.name, "arguments": spaced_json(&call.arguments)},
            }],
            "usage": usage,
        }),
        Native::Object(value) => match family {
            // JSON schema replies: no usage on Llama 3.3 and R1, zeros on Hermes.
            Family::Llama3(Llama3::V33) | Family::R1Distill => json!({ "response": value }),
            Family::Hermes => json!({ "response": value, "usage": usage_json(0, 0) }),
            _ => json!({ "response": value, "usage": usage }),
        },
    }
}

fn native_events(family: Family, native: Native, usage: Value, dice: &mut Dice) -> Vec<Value> {
    let mut events = Vec::new();
    let last = json!({ "response": "", "usage": usage });
    match native {
        Native::Text {
            text,
            structured,
            cut,
        } => {
            let pieces = if structured {
                json_pieces(&text)
            } else {
                word_tokens(&text)
            };
            match family {
                Family::R1Distill => {
                    // No padding; an empty object just before the usage chunk.
                    events.extend(pieces.iter().map(|piece| json!({ "response": piece })));
                    events.push(json!({}));
                }
                Family::Llama3(Llama3::V33) if !structured => {
                    let chunk = |response: Option<&str>, dice: &mut Dice| {
                        let mut chunk = json!({"tool_calls": [], "p": dice.padding()});
                        if let Some(response) = response {
                            chunk["response"] = json!(response);
                        }
                        chunk
                    };
                    events.push(chunk(Some(""), dice));
                    for piece in &pieces {
                        events.push(chunk(Some(piece), dice));
                    }
                    events.push(chunk(None, dice));
                }
                Family::Llama4Scout if structured => {
                    // JSON mode: the JSON token `true` goes out as a bare boolean.
                    for piece in &pieces {
                        let response = if piece.trim() == "true" {
                            json!(true)
                        } else {
                            json!(piece)
                        };
                        events.push(json!({ "response": response, "p": dice.padding() }));
                    }
                    events.push(json!({ "response": "", "p": dice.padding() }));
                }
                _ => {
                    for piece in &pieces {
                        events.push(json!({ "response": piece, "p": dice.padding() }));
                    }
                    // Llama 3.2 cut by max_tokens: the last piece has no padding, and no
                    // empty closing chunk follows.
                    let cut_short = cut && family == Family::Llama3(Llama3::V32);
                    match (cut_short, events.last_mut()) {
                        (true, Some(Value::Object(last))) => {
                            last.remove("p");
                        }
                        _ => events.push(json!({ "response": "", "p": dice.padding() })),
                    }
                }
            }
        }
        Native::ScoutCall { id, call } => {
            let arguments = spaced_json(&call.arguments);
            events.push(json!({
                "response": "",
                "tool_calls": [{"index": 0, "id": id, "type": "function", "function": {"name": call.name}}],
                "p": dice.padding(),
            }));
            for fragment in char_chunks(&arguments, 6) {
                events.push(json!({
                    "response": "",
                    "tool_calls": [{"index": 0, "function": {"arguments": fragment}}],
                    "p": dice.padding(),
                }));
            }
            events.push(json!({ "response": "", "tool_calls": [], "p": dice.padding() }));
        }
        // Streams never carry these (schema mode is refused, calls stream as text).
        Native::FlatCall(call) => {
            let text = json!({"name": call.name, "parameters": call.arguments}).to_string();
            events.push(json!({ "response": text, "p": dice.padding() }));
        }
        Native::Object(value) => {
            events.push(json!({ "response": spaced_json(&value), "p": dice.padding() }));
        }
    }
    events.push(last);
    events
}

// ---------------------------------------------------------------------------------------------
// OpenAI-compatible family
// ---------------------------------------------------------------------------------------------

fn render_openai(model: &str, ask: &Ask, streams: bool, dice: &mut Dice) -> Rendered {
    let reply = respond(ask, true);
    let budget = ask.max_tokens.unwrap_or(usize::MAX);
    let (reasoning, reasoning_cut) = cut_words(&reply.reasoning, budget);
    let left = budget.saturating_sub(word_count(&reasoning));
    let mut finish = "stop";
    let mut content: Option<String> = None;
    let mut call: Option<(String, Call, String)> = None;
    match reply.answer {
        Answer::Call(c) if !reasoning_cut => {
            let arguments = c.arguments.to_string();
            call = Some((format!("chatcmpl-tool-{}", dice.hex(32)), c, arguments));
            finish = "tool_calls";
        }
        answer => {
            let text = match answer {
                Answer::Text(text) => text,
                Answer::Json(value) => value.to_string(),
                Answer::Call(_) => String::new(),
            };
            let text = match stop_at(&text, &ask.stop) {
                Some(at) => text[..at].trim_end().to_owned(),
                None => text,
            };
            let (text, cut) = if reasoning_cut {
                (String::new(), true)
            } else {
                cut_words(&text, left)
            };
            if cut {
                finish = "length";
            }
            content = Some(text);
        }
    }
    let completion = word_count(&reasoning)
        + content.as_deref().map_or(0, word_count)
        + call.as_ref().map_or(0, |(_, c, arguments)| {
            word_count(&c.name) + word_count(arguments)
        });
    let usage = usage_json(ask.prompt_tokens(), completion);
    let id = format!("chatcmpl-{}", dice.hex(32));
    let created = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());

    if !(ask.stream && streams) {
        let tool_calls: Vec<Value> = call
            .iter()
            .map(|(call_id, c, arguments)| {
                json!({"id": call_id, "type": "function", "function": {"name": c.name, "arguments": arguments}})
            })
            .collect();
        return Rendered::Result(json!({
            "id": id,
            "object": "chat.completion",
            "created": created,
            "model": model,
            "choices": [{
                "index": 0,
                "message": {
                    "role": "assistant",
                    "content": content,
                    "reasoning_content": reasoning,
                    "tool_calls": tool_calls,
                },
                "logprobs": null,
                "finish_reason": finish,
            }],
            "usage": usage,
        }));
    }

    let chunk = |delta: Value, finish: Value| {
        json!({
            "id": id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "choices": [{"index": 0, "delta": delta, "logprobs": null, "finish_reason": finish}],
        })
    };
    let mut events = vec![chunk(
        json!({"role": "assistant", "content": ""}),
        Value::Null,
    )];
    for piece in word_tokens(&reasoning) {
        events.push(chunk(json!({ "reasoning_content": piece }), Value::Null));
    }
    if let Some(text) = &content {
        for piece in word_tokens(text) {
            events.push(chunk(json!({ "content": piece }), Value::Null));
        }
    }
    if let Some((call_id, c, arguments)) = &call {
        events.push(chunk(
            json!({"tool_calls": [{"index": 0, "id": call_id, "type": "function",
                                   "function": {"name": c.name, "arguments": ""}}]}),
            Value::Null,
        ));
        for fragment in char_chunks(arguments, 6) {
            events.push(chunk(
                json!({"tool_calls": [{"index": 0, "function": {"arguments": fragment}}]}),
                Value::Null,
            ));
        }
    }
    events.push(chunk(json!({}), json!(finish)));
    events.push(json!({
        "id": id,
        "object": "chat.completion.chunk",
        "created": created,
        "model": model,
        "choices": [],
        "usage": usage,
    }));
    Rendered::Events(events)
}

/// Byte offset of the earliest stop sequence in `text`.
fn stop_at(text: &str, stops: &[String]) -> Option<usize> {
    stops
        .iter()
        .filter(|s| !s.is_empty())
        .filter_map(|s| text.find(s.as_str()))
        .min()
}

// ---------------------------------------------------------------------------------------------
// Small wire helpers
// ---------------------------------------------------------------------------------------------

fn usage_json(prompt: usize, completion: usize) -> Value {
    json!({"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion})
}

/// JSON with a space after `:` and `,`, as the models write it: `{"number": 144}`.
pub(crate) fn spaced_json(value: &Value) -> String {
    match value {
        Value::Object(map) => {
            let fields: Vec<String> = map
                .iter()
                .map(|(k, v)| format!("{}: {}", Value::String(k.clone()), spaced_json(v)))
                .collect();
            format!("{{{}}}", fields.join(", "))
        }
        Value::Array(items) => {
            format!(
                "[{}]",
                items.iter().map(spaced_json).collect::<Vec<_>>().join(", ")
            )
        }
        scalar => scalar.to_string(),
    }
}

/// Python `repr` of a JSON value: `{'number': 144}`, `True`, `None`.
fn python_repr(value: &Value) -> String {
    match value {
        Value::Object(map) => {
            let fields: Vec<String> = map
                .iter()
                .map(|(k, v)| {
                    format!(
                        "{}: {}",
                        python_repr(&Value::String(k.clone())),
                        python_repr(v)
                    )
                })
                .collect();
            format!("{{{}}}", fields.join(", "))
        }
        Value::Array(items) => {
            format!(
                "[{}]",
                items.iter().map(python_repr).collect::<Vec<_>>().join(", ")
            )
        }
        Value::String(s) => format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'")),
        Value::Bool(true) => "True".to_owned(),
        Value::Bool(false) => "False".to_owned(),
        Value::Null => "None".to_owned(),
        Value::Number(n) => n.to_string(),
    }
}

fn numbers_as_strings(value: &Value) -> Value {
    match value {
        Value::Number(n) => Value::String(n.to_string()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), numbers_as_strings(v)))
                .collect::<Map<_, _>>(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(numbers_as_strings).collect()),
        other => other.clone(),
    }
}

/// Splits JSON-ish text into small pieces: whitespace joins the following piece; a piece is a
/// run of word characters or a run of punctuation.
fn json_pieces(text: &str) -> Vec<&str> {
    let class = |c: char| {
        if c.is_whitespace() {
            0
        } else if c.is_alphanumeric() || c == '_' || c == '.' || c == '-' {
            1
        } else {
            2
        }
    };
    let mut pieces = Vec::new();
    let mut start = 0;
    let mut previous = 0;
    for (at, c) in text.char_indices() {
        let current = class(c);
        let word_ends = current != 0 && previous != 0 && current != previous;
        let space_starts = current == 0 && previous != 0;
        if word_ends || space_starts {
            pieces.push(&text[start..at]);
            start = at;
        }
        previous = current;
    }
    if start < text.len() {
        pieces.push(&text[start..]);
    }
    pieces
}

/// Splits `text` into pieces of at most `size` characters.
fn char_chunks(text: &str, size: usize) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    chars
        .chunks(size.max(1))
        .map(|chunk| chunk.iter().collect())
        .collect()
}

#[cfg(test)]
mod tests;
