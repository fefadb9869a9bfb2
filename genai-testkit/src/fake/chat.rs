//! A scripted fake [`ProviderGen`] that honestly interprets requests, with knobs to misbehave.
//!
//! [`ScriptedChat`] needs no network. By default it declares every capability in both
//! modes and passes the whole conformance suite: it honours `max_tokens` (one word = one token,
//! finish `length`), stop sequences (finish `stop_sequence`), JSON and JSON schema replies (a
//! value generated from the schema), tools (a call to the declared tool with arguments taken
//! from the prompt, every tool the prompt names at once, then an answer from the tool
//! results), and reasoning. It refuses what its
//! declared capabilities exclude with [`ErrorKind::Unsupported`], like a real backend.
//!
//! The [`Misbehaviour`] knobs make it lie, so tests can prove the judge notices.
//!
//! ```
//! use genai_core::{ChatRequest, FinishReason, ProviderGen};
//! use genai_testkit::fake::ScriptedChat;
//!
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! let fake = ScriptedChat::new("fake/model");
//! let req = ChatRequest::new()
//!     .user("Count from one to ten in words, separated by spaces.")
//!     .stop("five");
//! let reply = fake.gen_sync(&req).await.unwrap();
//! assert_eq!(reply.text, "one two three four");
//! assert_eq!(reply.finish_reason, FinishReason::StopSequence);
//! # });
//! ```

use std::sync::atomic::{AtomicU64, Ordering};

use async_trait::async_trait;
use genai_core::{
    Capabilities, ChatRequest, ChatResponse, ChatStream, Error, ErrorKind, FinishReason, Message,
    Mode, ModelCapabilities, ModelInfo, ProviderGen, ResponseFormat, StreamEvent, Support,
    TokenLogprob, ToolCall, ToolChoice, ToolDef, TopLogprob, Usage,
};
use serde_json::{json, Map, Value};

/// Ways the fake can misbehave; all off by default.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Misbehaviour {
    /// Answer requests its capabilities exclude instead of refusing them (and report usage and
    /// finish reasons even when declared unsupported): the judge must report findings.
    pub answer_unsupported: bool,
    /// Fail every n-th call (counting from 1) with a retryable
    /// [`ErrorKind::Unavailable`] error: the judge must report flaky or failed scenarios.
    pub fail_every: Option<u64>,
    /// Ignore `max_tokens` and stop sequences while declaring them supported.
    pub ignore_limits: bool,
    /// In streams, send the `Finish` event first.
    pub finish_first: bool,
}

/// A fake provider that follows a script instead of a model. See the [module docs](self).
#[derive(Debug)]
pub struct ScriptedChat {
    model: String,
    capabilities: ModelCapabilities,
    misbehaviour: Misbehaviour,
    calls: AtomicU64,
}

impl ScriptedChat {
    /// A fake model that declares (and honours) every capability in both modes, text in and
    /// out.
    pub fn new(model: impl Into<String>) -> Self {
        ScriptedChat {
            model: model.into(),
            capabilities: ModelCapabilities {
                sync: Self::all_capabilities(),
                stream: Self::all_capabilities(),
            },
            misbehaviour: Misbehaviour::default(),
            calls: AtomicU64::new(0),
        }
    }

    /// Every flag supported, text in and out.
    pub fn all_capabilities() -> Capabilities {
        Capabilities::uniform(Support::Supported)
    }

    /// Declares these capabilities instead (and honours them: what they exclude is refused,
    /// unless [`Misbehaviour::answer_unsupported`]).
    pub fn with_capabilities(mut self, capabilities: ModelCapabilities) -> Self {
        self.capabilities = capabilities;
        self
    }

    /// Changes the capabilities of one mode.
    pub fn with_mode_capabilities(mut self, mode: Mode, caps: Capabilities) -> Self {
        match mode {
            Mode::Sync => self.capabilities.sync = caps,
            Mode::Stream => self.capabilities.stream = caps,
        }
        self
    }

    /// Sets the misbehaviour knobs.
    pub fn with_misbehaviour(mut self, misbehaviour: Misbehaviour) -> Self {
        self.misbehaviour = misbehaviour;
        self
    }

    /// How many `gen_sync`/`gen_stream` calls it received.
    pub fn calls(&self) -> u64 {
        self.calls.load(Ordering::Relaxed)
    }

    fn respond(&self, mode: Mode, req: &ChatRequest) -> Result<ChatResponse, Error> {
        let n = self.calls.fetch_add(1, Ordering::Relaxed) + 1;
        if let Some(every) = self.misbehaviour.fail_every {
            if every > 0 && n % every == 0 {
                return Err(Error::new(
                    ErrorKind::Unavailable,
                    format!("scripted failure of call {n}"),
                )
                .with_provider("fake"));
            }
        }
        let caps = self.capabilities.mode(mode);
        if self.misbehaviour.answer_unsupported {
            req.validate()?;
        } else {
            self.capabilities
                .check(mode, req)
                .map_err(|e| e.with_provider("fake"))?;
        }
        let lie = self.misbehaviour.answer_unsupported;
        let mut reply = answer(req, caps.reasoning.is_usable() || lie);
        if !self.misbehaviour.ignore_limits {
            apply_limits(req, &mut reply);
        }
        if caps.usage.is_usable() || lie {
            let input = req.messages.iter().map(|m| words(m.content())).sum::<u64>();
            let output = words(&reply.text) + words(&reply.reasoning);
            reply.usage = Usage::new(Some(input), Some(output), Some(input + output));
        }
        if !(caps.finish_reason.is_usable() || lie) {
            reply.finish_reason = FinishReason::Unknown;
        }
        if let Some(top) = req.logprobs {
            reply.logprobs = logprobs_of(&reply.text, top);
        }
        Ok(reply)
    }
}

#[async_trait]
impl ProviderGen for ScriptedChat {
    fn name(&self) -> &str {
        "fake"
    }

    fn model(&self) -> &str {
        &self.model
    }

    fn capabilities(&self) -> ModelCapabilities {
        self.capabilities
    }

    async fn gen_sync(&self, req: &ChatRequest) -> Result<ChatResponse, Error> {
        self.respond(Mode::Sync, req)
    }

    async fn gen_stream(&self, req: &ChatRequest) -> Result<ChatStream, Error> {
        let reply = self.respond(Mode::Stream, req)?;
        let mut events = Vec::new();
        for word in split_keep_spaces(&reply.reasoning) {
            events.push(StreamEvent::ReasoningDelta(word));
        }
        for word in split_keep_spaces(&reply.text) {
            events.push(StreamEvent::TextDelta(word));
        }
        events.extend(reply.tool_calls.into_iter().map(StreamEvent::ToolCall));
        if !reply.logprobs.is_empty() {
            events.push(StreamEvent::Logprobs(reply.logprobs));
        }
        if reply.usage.is_reported() {
            events.push(StreamEvent::Usage(reply.usage));
        }
        let finish = StreamEvent::Finish(reply.finish_reason);
        if self.misbehaviour.finish_first {
            events.insert(0, finish);
        } else {
            events.push(finish);
        }
        Ok(ChatStream::from_events(events))
    }
}

impl ScriptedChat {
    /// What a catalog would say about the fake model.
    pub fn model_info(&self) -> ModelInfo {
        let mut info = ModelInfo::new(self.model.clone());
        info.description = "A scripted fake model".into();
        info.task = Some("Text Generation".into());
        info.kind = genai_core::ModelKind::Chat;
        info.capabilities = self.capabilities;
        info
    }
}

/// One entry per word of `text` (words keep their leading space), each fairly sure, with `top`
/// alternatives: the word itself first, then less likely made-up ones.
fn logprobs_of(text: &str, top: u8) -> Vec<TokenLogprob> {
    split_keep_spaces(text)
        .into_iter()
        .map(|token| TokenLogprob {
            top: (0..top)
                .map(|i| TopLogprob {
                    token: if i == 0 {
                        token.clone()
                    } else {
                        format!("{token}{i}")
                    },
                    logprob: -0.05 - 2.0 * f64::from(i),
                })
                .collect(),
            token,
            logprob: -0.05,
        })
        .collect()
}

fn words(text: &str) -> u64 {
    text.split_whitespace().count() as u64
}

/// Splits into pieces that concatenate back to `text`, one word (with its leading space) each.
fn split_keep_spaces(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for ch in text.chars() {
        if ch.is_whitespace() && !cur.trim().is_empty() {
            out.push(std::mem::take(&mut cur));
        }
        cur.push(ch);
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// The reply before limits: tool call, tool-result answer, JSON, or text.
fn answer(req: &ChatRequest, reasons: bool) -> ChatResponse {
    let prompt = req.last_user_message().unwrap_or_default();
    let mut reply = ChatResponse::default().finish_reason(FinishReason::Stop);
    if reasons {
        reply.reasoning = reasoning_for(prompt);
    }
    // Tool results end the conversation: answer with them (in call order).
    let results: Vec<&str> = req
        .messages
        .iter()
        .rev()
        .map_while(|m| match m {
            Message::Tool { content, .. } => Some(content.trim()),
            _ => None,
        })
        .collect();
    if !results.is_empty() {
        reply.text = results.into_iter().rev().collect::<Vec<_>>().join(" ");
        return reply;
    }
    let tools = tools_to_call(req, prompt);
    if !tools.is_empty() {
        let n = req.messages.len();
        for (i, tool) in tools.into_iter().enumerate() {
            let mut call =
                ToolCall::new(tool.name.clone(), arguments_for(&tool.parameters, prompt));
            call.id = Some(if i == 0 {
                format!("call-{n}")
            } else {
                format!("call-{n}-{i}")
            });
            reply.tool_calls.push(call);
        }
        reply.finish_reason = FinishReason::ToolCalls;
        return reply;
    }
    reply.text = match &req.response_format {
        ResponseFormat::Text => describe(req).unwrap_or_else(|| text_for(prompt)),
        ResponseFormat::Json => json_for(prompt).to_string(),
        ResponseFormat::JsonSchema { schema, .. } => value_for(schema, prompt, "").to_string(),
    };
    reply
}

/// A description of the picture attached to the last user turn: its size and the colour its
/// pixels lean to (`None` without a picture).
fn describe(req: &ChatRequest) -> Option<String> {
    let picture = req.messages.iter().rev().find_map(|m| match m {
        Message::User { media, .. } => media.iter().find(|m| m.is_image()),
        _ => None,
    })?;
    let Some(pixels) = crate::fixtures::decode_png(picture.data()) else {
        return Some(format!("A {} picture.", picture.media_type()));
    };
    let mut sums = [0u64; 3];
    if pixels.channels >= 3 {
        for px in pixels.data.chunks(pixels.channels) {
            for (sum, value) in sums.iter_mut().zip(px) {
                *sum += u64::from(*value);
            }
        }
    }
    let colour = match sums {
        [r, g, b] if r > g && r > b => "red",
        [r, g, b] if g > r && g > b => "green",
        [r, g, b] if b > r && b > g => "blue",
        _ => "grey",
    };
    Some(format!(
        "A {}x{} picture, mostly {colour}.",
        pixels.width, pixels.height
    ))
}

/// The declared tools to call at once: the forced one, else every one the prompt names (a
/// required choice with none named calls the first).
fn tools_to_call<'r>(req: &'r ChatRequest, prompt: &str) -> Vec<&'r ToolDef> {
    let named: Vec<&ToolDef> = req
        .tools
        .iter()
        .filter(|t| prompt.contains(&t.name))
        .collect();
    match &req.tool_choice {
        Some(ToolChoice::None) => Vec::new(),
        Some(ToolChoice::Named(name)) => req.find_tool(name).into_iter().collect(),
        Some(ToolChoice::Required) if named.is_empty() => req.tools.first().into_iter().collect(),
        Some(ToolChoice::Required | ToolChoice::Auto) | None => named,
    }
}

/// Arguments following the tool's object schema, filled from the prompt.
fn arguments_for(parameters: &Value, prompt: &str) -> Value {
    match value_for(parameters, prompt, "") {
        Value::Object(map) => Value::Object(map),
        _ => Value::Object(Map::new()),
    }
}

/// A value of `schema`, preferring what the prompt says: the first number for numbers, the
/// enum value named first, yes/true for booleans.
fn value_for(schema: &Value, prompt: &str, field: &str) -> Value {
    if let Some(options) = schema.get("enum").and_then(Value::as_array) {
        let lower = prompt.to_lowercase();
        let named_first = options
            .iter()
            .filter_map(|o| {
                let s = o.as_str()?;
                lower.find(&s.to_lowercase()).map(|at| (at, o))
            })
            .min_by_key(|(at, _)| *at)
            .map(|(_, o)| o.clone());
        return named_first
            .or_else(|| options.first().cloned())
            .unwrap_or(Value::Null);
    }
    match schema.get("type").and_then(Value::as_str) {
        Some("object") => {
            let mut map = Map::new();
            if let Some(props) = schema.get("properties").and_then(Value::as_object) {
                for (name, sub) in props {
                    map.insert(name.clone(), value_for(sub, prompt, name));
                }
            }
            Value::Object(map)
        }
        Some("array") => json!([]),
        Some("boolean") => Value::Bool(true),
        Some("integer") => first_number(prompt)
            .map(|n| json!(n as i64))
            .unwrap_or(json!(0)),
        Some("number") => first_number(prompt).map(|n| json!(n)).unwrap_or(json!(0)),
        Some("string") => Value::String(if field.is_empty() { "text" } else { field }.into()),
        _ => Value::Null,
    }
}

fn first_number(prompt: &str) -> Option<f64> {
    numbers(prompt).into_iter().next()
}

fn numbers(prompt: &str) -> Vec<f64> {
    prompt
        .split(|c: char| !c.is_ascii_digit() && c != '.')
        .filter_map(|w| w.trim_matches('.').parse::<f64>().ok())
        .collect()
}

/// Free-form JSON: an object with the boolean field the prompt names, else the text answer.
fn json_for(prompt: &str) -> Value {
    let field = prompt
        .split_once("field named ")
        .and_then(|(_, rest)| {
            rest.split(|c: char| !c.is_alphanumeric() && c != '_')
                .next()
        })
        .filter(|f| !f.is_empty());
    match field {
        Some(f) => json!({ f: true }),
        None => json!({ "answer": text_for(prompt) }),
    }
}

const NUMBER_WORDS: [&str; 10] = [
    "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
];

/// A plain-text answer to the prompt.
fn text_for(prompt: &str) -> String {
    let lower = prompt.to_lowercase();
    if let Some((_, rest)) = lower.split_once("exactly one word:") {
        return rest.trim().trim_end_matches('.').to_string();
    }
    if lower.starts_with("count from one to ten") {
        return NUMBER_WORDS.join(" ");
    }
    if let Some(product) = product_of(&lower) {
        return format!("{product}");
    }
    if lower.contains("detailed") || lower.contains("explanation") {
        let sentence = "The fake model explains this topic one plain sentence at a time.";
        return std::iter::repeat_n(sentence, 15)
            .collect::<Vec<_>>()
            .join(" ");
    }
    format!("You said: {prompt}")
}

/// "A times B" in the prompt: their product.
fn product_of(lower: &str) -> Option<f64> {
    if !lower.contains(" times ") {
        return None;
    }
    match numbers(lower)[..] {
        [a, b, ..] => Some(a * b),
        _ => None,
    }
}

fn reasoning_for(prompt: &str) -> String {
    let lower = prompt.to_lowercase();
    match (product_of(&lower), &numbers(&lower)[..]) {
        (Some(p), [a, b, ..]) => format!("I multiply {a} by {b}, which gives {p}."),
        _ => "The question is simple; I answer it directly.".to_string(),
    }
}

/// Applies stop sequences (finish `stop_sequence`) and `max_tokens` by words (finish `length`).
fn apply_limits(req: &ChatRequest, reply: &mut ChatResponse) {
    if let Some(at) = req
        .stop
        .iter()
        .filter_map(|s| reply.text.find(s.as_str()))
        .min()
    {
        reply.text.truncate(at);
        reply.text = reply.text.trim_end().to_string();
        reply.finish_reason = FinishReason::StopSequence;
    }
    if let Some(limit) = req.max_tokens {
        let limit = limit as usize;
        let reasoning_words = reply.reasoning.split_whitespace().count();
        if reasoning_words >= limit {
            reply.reasoning = first_words(&reply.reasoning, limit);
            reply.text.clear();
            reply.tool_calls.clear();
            reply.finish_reason = FinishReason::Length;
        } else if reply.text.split_whitespace().count() + reasoning_words > limit {
            // Reasoning counts as output too.
            reply.text = first_words(&reply.text, limit - reasoning_words);
            reply.finish_reason = FinishReason::Length;
        }
    }
}

fn first_words(text: &str, n: usize) -> String {
    text.split_whitespace()
        .take(n)
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_values_follow_the_prompt() {
        let schema = json!({"type":"object","properties":{
            "color":{"type":"string","enum":["red","blue"]},
            "number":{"type":"number"},
            "ok":{"type":"boolean"}}});
        let v = value_for(&schema, "Is blue better than red? 144", "");
        assert_eq!(v, json!({"color":"blue","number":144.0,"ok":true}));
    }

    #[test]
    fn limits_cut_by_words() {
        let req = ChatRequest::new().user("x").max_tokens(3);
        let mut reply = ChatResponse::new("a b c d e");
        apply_limits(&req, &mut reply);
        assert_eq!(reply.text, "a b c");
        assert_eq!(reply.finish_reason, FinishReason::Length);
    }

    #[test]
    fn stream_pieces_concatenate_back() {
        let text = "one  two three";
        assert_eq!(split_keep_spaces(text).concat(), text);
        assert_eq!(split_keep_spaces(text).len(), 3);
    }
}
