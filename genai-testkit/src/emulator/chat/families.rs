//! Model families and their wire quirks. Every quirk of a family lives in the match arms of
//! its variant here; the responder (what is said) knows nothing about the wire.

use genai_cloudflare::facts::{self, ChatImages, ReasoningField, Thinking, Wire};
use serde_json::{json, Map, Value};

use super::responder::{
    cut_words, respond, word_count, word_tokens, Ask, Call, Format, InputForm, Said,
};

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

/// A chat dialect (a family of models and its wire quirks): how a model dresses its replies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    /// Llama 3.x native models.
    Llama3(Llama3),
    /// Llama 4 Scout: OpenAI-style tool calls inside the native envelope.
    Llama4Scout,
    /// DeepSeek R1 distill and QwQ: reasoning inline in `<think>`, tools ignored.
    R1Distill,
    /// Hermes 2 Pro: tool calls as `<tool_call>` text with Python-style quotes.
    Hermes,
    /// Mistral Small 3.1 (the Mistral-3 schema): flat tool calls with an empty `response`;
    /// a tool turn must carry a `tool_call_id` of 9 letters or digits.
    Mistral3,
    /// Llama Guard classifiers: the reply is a verdict, `safe` or `unsafe` and categories.
    Guard {
        /// Llama Guard 3: one-object schema (no stream, `S1`..`S14` categories, a JSON object
        /// reply with `response_format: json_object`); else Llama Guard 7B (`O1`..`O6`).
        v3: bool,
    },
    /// Newer models answering in the OpenAI chat-completions shape. GPT-OSS does not stream.
    OpenAi {
        /// Whether `stream: true` gets an SSE stream (false: the plain JSON reply).
        streams: bool,
    },
    /// Any other text generation model: plain native text.
    Plain,
}

impl Dialect {
    /// The dialect of a text generation model. What the facts table says decides the
    /// reasoning models (inline `<think>` on the native wire) and the OpenAI-shaped ones
    /// (and whether they stream); the quirks only the emulator models (the Llama 3.x
    /// generations, the Guard classifiers, Mistral 3, Llama 4 Scout, Hermes) go by id.
    pub(crate) fn of(model: &str) -> Dialect {
        let has = |part: &str| model.contains(part);
        let known = facts::lookup(model);
        let inline_think = known.is_some_and(|f| {
            f.wire == Wire::Native
                && f.reasoning.map(|r| r.reply_field) == Some(ReasoningField::InlineThink)
        });
        if has("llama-3.3-") {
            Dialect::Llama3(Llama3::V33)
        } else if has("llama-3.2-1b-instruct") || has("llama-3.2-3b-instruct") {
            Dialect::Llama3(Llama3::V32)
        } else if has("llama-3.1-8b-instruct") || has("llama-3.2-11b-vision") {
            // The 11B vision model writes tool calls like the other Llama 3.2 models and
            // accepts JSON schema, like Llama 3.1.
            Dialect::Llama3(Llama3::V31)
        } else if has("llama-guard-3") {
            Dialect::Guard { v3: true }
        } else if has("llamaguard") {
            Dialect::Guard { v3: false }
        } else if has("mistral-small-3") {
            Dialect::Mistral3
        } else if has("llama-4-scout") {
            Dialect::Llama4Scout
        } else if inline_think {
            Dialect::R1Distill
        } else if has("hermes-2-pro") {
            Dialect::Hermes
        } else if let Some(known) = known.filter(|f| f.wire == Wire::OpenAiChat) {
            Dialect::OpenAi {
                streams: !known.no_streaming,
            }
        } else {
            Dialect::Plain
        }
    }

    /// Whether the family makes tool calls (others answer in text).
    pub(crate) fn calls_tools(self) -> bool {
        !matches!(
            self,
            Dialect::R1Distill | Dialect::Plain | Dialect::Guard { .. }
        )
    }

    fn accepts_json_schema(self) -> bool {
        self != Dialect::Llama3(Llama3::V32)
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

    /// A number in `0..n` (`n` at least 1).
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
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
pub(crate) fn render(family: Dialect, model: &str, ask: &Ask, dice: &mut Dice) -> Rendered {
    // `lora` exists only in the prompt form; the messages form ignores it.
    if ask.form == InputForm::Prompt
        && ask.lora.is_some()
        && !facts::lookup(model).is_some_and(|f| f.lora_field)
    {
        return Rendered::Refused {
            status: 405,
            code: 5005,
            message: format!(
                "AiError: Ai: This model does not support LoRA adapters ({})",
                dice.uuid()
            ),
        };
    }
    match family {
        Dialect::OpenAi { streams } if ask.form == InputForm::Responses => {
            let _ = streams;
            render_responses(model, ask, dice)
        }
        Dialect::OpenAi { streams } => render_openai(model, ask, streams, dice),
        Dialect::Guard { v3 } => render_guard(v3, ask, dice),
        Dialect::Mistral3 => match ask
            .turns
            .iter()
            .position(|t| t.role == "tool" && !mistral3_id(t.tool_call_id.as_deref()))
        {
            Some(at) => Rendered::Refused {
                status: 400,
                code: 5006,
                message: format!(
                    "AiError: Bad input: Error: String does not match pattern at \
                     '/messages/{at}/tool_call_id'"
                ),
            },
            None => render_native(family, ask, dice),
        },
        _ => render_native(family, ask, dice),
    }
}

/// Whether a `tool_call_id` matches the Mistral-3 pattern `[a-zA-Z0-9]{9}`.
fn mistral3_id(id: Option<&str>) -> bool {
    id.is_some_and(|id| {
        id.as_bytes()
            .split(|b| !b.is_ascii_alphanumeric())
            .any(|run| run.len() >= 9)
    })
}

/// A Llama Guard verdict on the conversation: unsafe when the last user (or assistant) turn
/// speaks of violence or weapons.
fn verdict_of(ask: &Ask, v3: bool) -> (bool, Vec<&'static str>) {
    let text = ask
        .turns
        .last()
        .map_or(String::new(), |t| t.content.to_lowercase());
    let mut categories = Vec::new();
    if ["kill", "murder", "hurt", "attack"]
        .iter()
        .any(|w| text.contains(w))
    {
        categories.push(if v3 { "S1" } else { "O3" });
    }
    if ["bomb", "explosive", "weapon"]
        .iter()
        .any(|w| text.contains(w))
    {
        categories.push(if v3 { "S9" } else { "O4" });
    }
    (categories.is_empty(), categories)
}

fn render_guard(v3: bool, ask: &Ask, dice: &mut Dice) -> Rendered {
    let (safe, categories) = verdict_of(ask, v3);
    let text = if safe {
        "safe".to_owned()
    } else {
        format!("unsafe\n{}", categories.join(","))
    };
    let usage = usage_json(ask.prompt_tokens(), word_count(&text));
    if v3 {
        // One-object schema: no `stream`; `response_format: json_object` gives the object.
        let response = if ask.format == Format::JsonObject {
            json!({"safe": safe, "categories": categories})
        } else {
            json!(text)
        };
        return Rendered::Result(json!({"response": response, "usage": usage}));
    }
    let native = Native::Text {
        text,
        structured: false,
        cut: false,
    };
    if ask.stream {
        Rendered::Events(native_events(Dialect::Guard { v3 }, native, usage, dice))
    } else {
        Rendered::Result(native_result(Dialect::Guard { v3 }, ask, native, usage))
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
    /// Flat tool call with an empty `response` (Mistral-3), in sync and stream alike.
    MistralCall(Call),
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

fn render_native(family: Dialect, ask: &Ask, dice: &mut Dice) -> Rendered {
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
        Said::Text(text) if family == Dialect::R1Distill => Native::Text {
            text: think(&text),
            structured: false,
            cut: false,
        },
        Said::Text(text) => Native::Text {
            text,
            structured: false,
            cut: false,
        },
        Said::Json(value) if schema_mode => Native::Object(value),
        Said::Json(value) => match family {
            Dialect::Llama4Scout if !ask.stream => Native::Object(value),
            Dialect::R1Distill => Native::Text {
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
        Said::Call(call) => match family {
            Dialect::Llama3(Llama3::V33) if ask.stream => {
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
            Dialect::Llama3(Llama3::V33) => Native::FlatCall(Call {
                arguments: numbers_as_strings(&call.arguments),
                ..call
            }),
            Dialect::Llama3(_) if ask.stream => {
                let text = json!({"name": call.name, "parameters": call.arguments}).to_string();
                Native::Text {
                    text,
                    structured: true,
                    cut: false,
                }
            }
            Dialect::Llama4Scout => Native::ScoutCall {
                id: format!("chatcmpl-tool-{}", dice.hex(32)),
                call,
            },
            Dialect::Mistral3 => Native::MistralCall(call),
            Dialect::Hermes => {
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
        Native::FlatCall(call) | Native::ScoutCall { call, .. } | Native::MistralCall(call) => {
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

fn native_result(family: Dialect, ask: &Ask, native: Native, usage: Value) -> Value {
    match native {
        Native::Text {
            text, structured, ..
        } => {
            let mut result = json!({ "response": text, "usage": usage });
            // Llama 3.3 (when no tools were declared) and Scout add an empty tool call list to
            // plain text replies.
            let empty_calls = match family {
                Dialect::Llama3(Llama3::V33) => !structured && ask.tools.is_empty(),
                Dialect::Llama4Scout => true,
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
        Native::MistralCall(call) => json!({
            "response": "",
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
            Dialect::Llama3(Llama3::V33) | Dialect::R1Distill => json!({ "response": value }),
            Dialect::Hermes => json!({ "response": value, "usage": usage_json(0, 0) }),
            _ => json!({ "response": value, "usage": usage }),
        },
    }
}

fn native_events(family: Dialect, native: Native, usage: Value, dice: &mut Dice) -> Vec<Value> {
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
                Dialect::R1Distill => {
                    // No padding; an empty object just before the usage chunk.
                    events.extend(pieces.iter().map(|piece| json!({ "response": piece })));
                    events.push(json!({}));
                }
                Dialect::Llama3(Llama3::V33) if !structured => {
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
                Dialect::Llama4Scout if structured => {
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
                    let cut_short = cut && family == Dialect::Llama3(Llama3::V32);
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
        Native::MistralCall(call) => {
            events.push(json!({
                "response": "",
                "tool_calls": [{"name": call.name, "arguments": call.arguments}],
                "p": dice.padding(),
            }));
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

/// The reasoning as the controls shape it: none when thinking is switched off (with the
/// model's own key: `enable_thinking`, or `thinking` for Kimi K2.6; DeepSeek V4 thinks only
/// when switched on), one sentence at `low` effort, a second pass at `high`.
fn controlled_reasoning(model: &str, reasoning: &str, ask: &Ask) -> String {
    let known = facts::lookup(model);
    if known.is_some_and(|f| f.reasoning.is_none()) {
        return String::new();
    }
    let how = known.and_then(|f| f.reasoning);
    let thinking = match how.map(|r| r.thinking) {
        Some(Thinking::Thinking) => ask.thinking.unwrap_or(true),
        Some(Thinking::EnableThinkingOff) => ask.enable_thinking.unwrap_or(false),
        _ => ask.enable_thinking.unwrap_or(true),
    };
    if !thinking {
        return String::new();
    }
    match ask.reasoning_effort.as_deref() {
        Some("low") => match reasoning.find(". ") {
            Some(at) => reasoning[..=at].to_owned(),
            None => reasoning.to_owned(),
        },
        Some("high") => format!("{reasoning} Checking it once more: {reasoning}"),
        _ => reasoning.to_owned(),
    }
}

/// One `logprobs.content` entry: the token, a made-up log-probability, and `top` alternatives
/// (the token itself first, then less likely ones).
fn logprob_entry(token: &str, top: usize) -> Value {
    let logprob = -0.01 * (1 + token.len() % 7) as f64;
    let alternatives: Vec<Value> = (0..top)
        .map(|i| {
            let (t, lp) = if i == 0 {
                (token.to_owned(), logprob)
            } else {
                (format!("{}{i}", token.trim()), logprob - 1.5 * i as f64)
            };
            json!({"token": t, "logprob": lp, "bytes": t.as_bytes()})
        })
        .collect();
    json!({"token": token, "logprob": logprob, "bytes": token.as_bytes(), "top_logprobs": alternatives})
}

/// GPT-OSS's Responses form (`input`, `reasoning.effort`): sync only, `output` items.
fn render_responses(model: &str, ask: &Ask, dice: &mut Dice) -> Rendered {
    let reply = respond(ask, true);
    let reasoning = controlled_reasoning(model, &reply.reasoning, ask);
    let mut output = vec![json!({
        "type": "reasoning",
        "id": format!("rs_{}", dice.hex(32)),
        "content": [{"type": "reasoning_text", "text": reasoning}],
    })];
    let mut completion = word_count(&reasoning);
    match reply.answer {
        Said::Call(call) => {
            let arguments = call.arguments.to_string();
            completion += word_count(&call.name) + word_count(&arguments);
            output.push(json!({
                "type": "function_call",
                "id": format!("fc_{}", dice.hex(32)),
                "call_id": format!("call_{}", dice.hex(24)),
                "name": call.name,
                "arguments": arguments,
            }));
        }
        Said::Text(text) => {
            completion += word_count(&text);
            output.push(json!({
                "type": "message",
                "id": format!("msg_{}", dice.hex(32)),
                "role": "assistant",
                "content": [{"type": "output_text", "text": text}],
            }));
        }
        Said::Json(value) => {
            let text = value.to_string();
            completion += word_count(&text);
            output.push(json!({
                "type": "message",
                "id": format!("msg_{}", dice.hex(32)),
                "role": "assistant",
                "content": [{"type": "output_text", "text": text}],
            }));
        }
    }
    let prompt = ask.prompt_tokens();
    let created = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    Rendered::Result(json!({
        "id": format!("resp_{}", dice.hex(32)),
        "object": "response",
        "created_at": created,
        "model": model,
        "status": "completed",
        "output": output,
        "usage": {"input_tokens": prompt, "output_tokens": completion, "total_tokens": prompt + completion},
    }))
}

fn render_openai(model: &str, ask: &Ask, streams: bool, dice: &mut Dice) -> Rendered {
    let reply = respond(ask, true);
    // Kimi K2.6 replies in `reasoning`; the others in `reasoning_content`.
    let reasoning_key = match facts::lookup(model).and_then(|f| f.reasoning) {
        Some(how) if how.reply_field == ReasoningField::Reasoning => "reasoning",
        _ => "reasoning_content",
    };
    let budget = ask.max_tokens.unwrap_or(usize::MAX);
    let (reasoning, reasoning_cut) =
        cut_words(&controlled_reasoning(model, &reply.reasoning, ask), budget);
    let left = budget.saturating_sub(word_count(&reasoning));
    let mut finish = "stop";
    let mut stop_reason = Value::Null;
    let mut content: Option<String> = None;
    let mut call: Option<(String, Call, String)> = None;
    match reply.answer {
        Said::Call(c) if !reasoning_cut => {
            let arguments = c.arguments.to_string();
            call = Some((format!("chatcmpl-tool-{}", dice.hex(32)), c, arguments));
            finish = "tool_calls";
        }
        answer => {
            let text = match answer {
                Said::Text(text) => text,
                Said::Json(value) => value.to_string(),
                Said::Call(_) => String::new(),
            };
            let text = match stop_at(&text, &ask.stop) {
                Some((at, stop)) => {
                    // vLLM names the stop sequence that ended the reply.
                    stop_reason = json!(stop);
                    text[..at].trim_end().to_owned()
                }
                None => text,
            };
            let (text, cut) = if reasoning_cut {
                (String::new(), true)
            } else {
                cut_words(&text, left)
            };
            if cut {
                finish = "length";
                stop_reason = Value::Null;
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
        let logprobs = match (ask.logprobs, &content) {
            (Some(top), Some(text)) => json!({
                "content": word_tokens(text).iter().map(|t| logprob_entry(t, top)).collect::<Vec<_>>(),
            }),
            _ => Value::Null,
        };
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
                    reasoning_key: reasoning,
                    "tool_calls": tool_calls,
                },
                "logprobs": logprobs,
                "finish_reason": finish,
                "stop_reason": stop_reason,
            }],
            "usage": usage,
        }));
    }

    let chunk_with = |delta: Value, finish: Value, logprobs: Value, stop_reason: Value| {
        let mut choice =
            json!({"index": 0, "delta": delta, "logprobs": logprobs, "finish_reason": finish});
        if !choice["finish_reason"].is_null() {
            choice["stop_reason"] = stop_reason;
        }
        json!({
            "id": id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "choices": [choice],
        })
    };
    let chunk = |delta: Value, finish: Value| chunk_with(delta, finish, Value::Null, Value::Null);
    let mut events = vec![chunk(
        json!({"role": "assistant", "content": ""}),
        Value::Null,
    )];
    for piece in word_tokens(&reasoning) {
        events.push(chunk(json!({ reasoning_key: piece }), Value::Null));
    }
    if let Some(text) = &content {
        for piece in word_tokens(text) {
            let logprobs = match ask.logprobs {
                Some(top) => json!({"content": [logprob_entry(piece, top)]}),
                None => Value::Null,
            };
            events.push(chunk_with(
                json!({ "content": piece }),
                Value::Null,
                logprobs,
                Value::Null,
            ));
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
    events.push(chunk_with(
        json!({}),
        json!(finish),
        Value::Null,
        stop_reason,
    ));
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

/// Byte offset of the earliest stop sequence in `text`, and that sequence.
fn stop_at<'s>(text: &str, stops: &'s [String]) -> Option<(usize, &'s str)> {
    stops
        .iter()
        .filter(|s| !s.is_empty())
        .filter_map(|s| text.find(s.as_str()).map(|at| (at, s.as_str())))
        .min_by_key(|(at, _)| *at)
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
/// Whether a text generation model reads images in its messages: the facts table's chat
/// images (parts or Llama 3.2 Vision's field), or an OpenAI-shaped model the catalog marks
/// `vision`.
pub(crate) fn reads_images(model: &str) -> bool {
    facts::lookup(model).is_some_and(|f| {
        f.chat_images != ChatImages::None || (f.vision == Some(true) && f.wire == Wire::OpenAiChat)
    })
}
