//! Turns what the service sent into what the caller sees, the same way for sync and stream.
//!
//! A sync reply is fed to the [`Shaper`] as one big delta, a stream chunk by chunk: both go
//! through the same reasoning split, text-form tool call recovery, client-side stop sequences,
//! argument clean-up and finish-reason inference, so the two modes cannot disagree.

use std::borrow::Cow;
use std::collections::VecDeque;

use genai_core::text::{StopScanner, ThinkSplitter};
use genai_core::{
    Charge, ChatRequest, Error, FinishReason, Metered, Price, Result, StreamEvent, ToolCall,
    ToolChoice, ToolDef, Usage,
};
use serde_json::Value;

use crate::chat::chunk::Chunk;
use crate::chat::family::{Family, TextCalls, Traits, ARGUMENT_COERCION};
use crate::chat::text_calls;
use crate::chat::wire::{ResponseValue, WireChoice, WireOutputItem, WireResult, WireToolCall};

/// What the shaper needs to know about the request.
#[derive(Debug, Clone)]
pub(crate) struct CallContext {
    family: Family,
    tools: Vec<ToolDef>,
    forced_tool: Option<String>,
    client_stops: Vec<String>,
    /// The stop sequences the service applies itself.
    server_stops: Vec<String>,
    max_tokens: Option<u32>,
    /// The reply is a Llama Guard verdict.
    guard: bool,
}

impl From<Family> for Traits {
    fn from(family: Family) -> Traits {
        Traits::of_family(family)
    }
}

impl CallContext {
    pub(crate) fn new(traits: impl Into<Traits>, req: &ChatRequest) -> Self {
        let traits = traits.into();
        let family = traits.family;
        let tools_off = req.tool_choice == Some(ToolChoice::None);
        let forced_tool = match &req.tool_choice {
            Some(ToolChoice::Named(n)) => Some(n.clone()),
            Some(ToolChoice::Required) if req.tools.len() == 1 => Some(req.tools[0].name.clone()),
            _ => None,
        };
        CallContext {
            family,
            // With `tool_choice: none`, nothing in the reply is a call.
            tools: if tools_off {
                Vec::new()
            } else {
                req.tools.clone()
            },
            forced_tool,
            client_stops: if family.server_stop() {
                // The service applies the first few; the client applies the rest.
                req.stop
                    .iter()
                    .skip(crate::chat::wire::MAX_SERVER_STOPS)
                    .cloned()
                    .collect()
            } else {
                req.stop.clone()
            },
            server_stops: if family.server_stop() {
                req.stop
                    .iter()
                    .take(crate::chat::wire::MAX_SERVER_STOPS)
                    .cloned()
                    .collect()
            } else {
                Vec::new()
            },
            max_tokens: req.max_tokens,
            guard: traits.guard,
        }
    }
}

/// Text held until it is known whether the whole reply is a text-form tool call.
#[derive(Debug)]
enum Gate {
    /// No recovery for this call: text flows.
    Open,
    /// Only whitespace so far.
    Undecided(String),
    /// The reply starts like a call: hold everything until the end.
    Holding(String),
}

/// A tool call assembled from streamed fragments.
#[derive(Debug, Default)]
struct PartialCall {
    index: u32,
    id: Option<String>,
    name: String,
    arguments: String,
    whole: Option<Value>,
}

/// Normalises one reply, delta by delta, into [`StreamEvent`]s.
#[derive(Debug)]
pub(crate) struct Shaper {
    ctx: CallContext,
    think: Option<ThinkSplitter>,
    gate: Gate,
    stop: StopScanner,
    partial: Vec<PartialCall>,
    calls: Vec<ToolCall>,
    usage: Usage,
    server_finish: Option<FinishReason>,
    out: VecDeque<StreamEvent>,
    reasoning_buf: String,
    text_buf: String,
    finished: bool,
    /// The answer so far, kept only for a classifier's verdict.
    verdict_text: Option<String>,
    /// The model's price: the cost is estimated from it and the usage, once, at the end.
    price: Option<Price>,
    /// The budget charge settled with that cost at the end (a stream's).
    charge: Option<Charge>,
    /// The call's span, given the usage, finish reason and cost at the end (a stream's).
    span: Option<tracing::Span>,
}

impl Shaper {
    pub(crate) fn new(ctx: CallContext) -> Self {
        let recover = !ctx.tools.is_empty()
            && match ctx.family.text_calls() {
                TextCalls::None => false,
                TextCalls::ArgumentsOnly => ctx.forced_tool.is_some(),
                TextCalls::LlamaJson | TextCalls::HermesTags => true,
            };
        Shaper {
            think: ctx.family.inline_reasoning().then(ThinkSplitter::new),
            gate: if recover {
                Gate::Undecided(String::new())
            } else {
                Gate::Open
            },
            stop: StopScanner::new(ctx.client_stops.clone()),
            partial: Vec::new(),
            calls: Vec::new(),
            usage: Usage::default(),
            server_finish: None,
            out: VecDeque::new(),
            reasoning_buf: String::new(),
            text_buf: String::new(),
            finished: false,
            verdict_text: ctx.guard.then(String::new),
            ctx,
            price: None,
            charge: None,
            span: None,
        }
    }

    /// Records the usage, the finish reason and the cost on `span` at the end.
    pub(crate) fn traced(mut self, span: tracing::Span) -> Self {
        self.span = Some(span);
        self
    }

    /// Prices the reply: at the end, a `Cost` event estimated from the usage and `price`,
    /// and `charge` (if any) settled with it. Nothing is done per chunk.
    pub(crate) fn metered(mut self, price: Option<Price>, charge: Option<Charge>) -> Self {
        self.price = price;
        self.charge = charge;
        self
    }

    /// Queues answer text for the caller (and for the verdict, on a classifier).
    fn push_text(&mut self, text: String) {
        if let Some(v) = &mut self.verdict_text {
            v.push_str(&text);
        }
        self.out.push_back(StreamEvent::TextDelta(text));
    }

    /// Whether an event is ready for the caller.
    pub(crate) fn has_event(&self) -> bool {
        !self.out.is_empty()
    }

    /// The next event ready for the caller.
    pub(crate) fn pop(&mut self) -> Option<StreamEvent> {
        self.out.pop_front()
    }

    /// Whether a stop sequence ended the reply (stop reading, then [`finish`](Self::finish)).
    pub(crate) fn stopped(&self) -> bool {
        self.stop.stopped()
    }

    /// Applies one sync `result` or stream chunk. `whole` is true for a complete sync reply,
    /// where a JSON `response` is the answer itself rather than a streamed JSON token.
    pub(crate) fn apply(&mut self, chunk: WireResult<'_>, whole: bool) -> Result<()> {
        let responses_form = chunk.is_response_object();
        match chunk.response {
            Some(ResponseValue::Text(t)) => self.model_text_owned(t),
            Some(ResponseValue::Json(v)) if whole => {
                let text = v.to_string();
                self.emit_text_unchecked(text);
            }
            // A bare `true` chunk stands for the JSON token `true` (Llama 4 Scout, JSON mode).
            Some(ResponseValue::Json(v)) => self.model_text(&v.to_string()),
            Some(ResponseValue::Null) | None => {}
        }
        for call in chunk.tool_calls.into_iter().flatten() {
            self.tool_call(call, whole)?;
        }
        if let Some(u) = chunk.usage {
            self.usage = u.normalise();
        }
        if responses_form {
            for item in chunk.output.into_iter().flatten() {
                self.output_item(item)?;
            }
        }
        if chunk.status.as_deref() == Some("incomplete") {
            let reason = chunk
                .incomplete_details
                .as_ref()
                .and_then(|d| d.get("reason"))
                .and_then(Value::as_str);
            self.server_finish = Some(match reason {
                Some("max_output_tokens") => FinishReason::Length,
                Some("content_filter") => FinishReason::ContentFilter,
                _ => FinishReason::Unknown,
            });
        }
        if let Some(choice) = chunk.choices.and_then(|c| c.into_iter().next()) {
            self.choice(choice, whole)?;
        }
        Ok(())
    }

    /// A stream chunk as [`chunk::read`](crate::chat::chunk::read) reads it: what
    /// [`apply`](Self::apply) does with the same chunk decoded as a [`WireResult`], in the
    /// same order. The chunk's parts are taken out of it.
    pub(crate) fn apply_chunk(&mut self, chunk: &mut Chunk<'_>) -> Result<()> {
        if let Some(t) = chunk.response.take() {
            self.model_text_owned(t);
        }
        for call in chunk.tool_calls.drain(..) {
            self.tool_call(call, false)?;
        }
        if let Some(u) = chunk.usage {
            self.usage = u.normalise();
        }
        if let Some(f) = chunk.finish_reason.as_deref() {
            self.server_finish(f, chunk.stop_reason.as_deref());
        }
        if let Some(r) = chunk.reasoning_content.take().or(chunk.reasoning.take()) {
            self.reasoning(&r);
        }
        if let Some(t) = chunk.content.take() {
            self.model_text_owned(t);
        }
        for call in chunk.delta_tool_calls.drain(..) {
            self.tool_call(call, false)?;
        }
        Ok(())
    }

    /// The service's finish reason; a matched stop sequence (`stop_reason`) is
    /// `stop_sequence`.
    fn server_finish(&mut self, finish: &str, stop_reason: Option<&str>) {
        let stopped_by_sequence =
            stop_reason.is_some_and(|s| self.ctx.server_stops.iter().any(|x| x == s));
        self.server_finish = Some(
            if stopped_by_sequence && openai_finish(finish) == FinishReason::Stop {
                FinishReason::StopSequence
            } else {
                openai_finish(finish)
            },
        );
    }

    /// One OpenAI choice: the finish reason (a matched stop sequence is `stop_sequence`), the
    /// log-probabilities, then the message or delta.
    fn choice(&mut self, choice: WireChoice<'_>, whole: bool) -> Result<()> {
        if let Some(f) = choice.finish_reason.as_deref() {
            let stop_reason = match &choice.stop_reason {
                Some(Value::String(s)) => Some(s.as_str()),
                _ => None,
            };
            self.server_finish(f, stop_reason);
        }
        if let Some(content) = choice.logprobs.and_then(|l| l.content) {
            if !content.is_empty() && !self.stopped() {
                self.out.push_back(StreamEvent::Logprobs(
                    content.into_iter().map(|t| t.normalise()).collect(),
                ));
            }
        }
        if let Some(t) = choice.text {
            self.model_text(&t);
        }
        {
            if let Some(m) = choice.message.or(choice.delta) {
                if let Some(r) = m.reasoning_content.or(m.reasoning) {
                    self.reasoning(&r);
                }
                match m.content {
                    Some(ResponseValue::Text(t)) => self.model_text(&t),
                    // Content as an array of parts: the text parts, in order.
                    Some(ResponseValue::Json(Value::Array(parts))) => {
                        for part in &parts {
                            if let Some(t) = part.get("text").and_then(Value::as_str) {
                                self.model_text(t);
                            }
                        }
                    }
                    Some(ResponseValue::Json(v)) => self.model_text(&v.to_string()),
                    Some(ResponseValue::Null) | None => {}
                }
                for call in m.tool_calls.into_iter().flatten() {
                    self.tool_call(call, whole)?;
                }
            }
        }
        Ok(())
    }

    /// One item of a Responses `output`.
    fn output_item(&mut self, item: WireOutputItem) -> Result<()> {
        let texts = |parts: Option<Vec<crate::chat::wire::WireOutputPart>>| -> String {
            parts
                .into_iter()
                .flatten()
                .filter_map(|p| p.text)
                .collect::<Vec<_>>()
                .join("")
        };
        match item.kind.as_deref() {
            Some("reasoning") => {
                let mut r = texts(item.content);
                if r.is_empty() {
                    r = texts(item.summary);
                }
                self.reasoning(&r);
            }
            Some("function_call") => self.tool_call(
                WireToolCall {
                    id: item.call_id,
                    name: item.name,
                    arguments: item.arguments,
                    ..WireToolCall::default()
                },
                true,
            )?,
            Some("message") | None => {
                let t = texts(item.content);
                self.model_text(&t);
            }
            Some(_) => {}
        }
        Ok(())
    }

    /// [`model_text`](Self::model_text), moving the text into the event when nothing has to
    /// look at it (no reasoning split, no tool-call gate, no stop sequence): a whole sync reply
    /// is then not copied once more.
    fn model_text_owned(&mut self, delta: Cow<'_, str>) {
        if self.think.is_none() && matches!(self.gate, Gate::Open) && !self.stop.is_active() {
            if !delta.is_empty() && !self.stopped() {
                self.push_text(delta.into_owned());
            }
            return;
        }
        self.model_text(&delta)
    }

    /// Text as the model wrote it (reasoning tags included).
    fn model_text(&mut self, delta: &str) {
        if delta.is_empty() || self.stopped() {
            return;
        }
        match &mut self.think {
            Some(splitter) => {
                let (mut r, mut t) = (
                    std::mem::take(&mut self.reasoning_buf),
                    std::mem::take(&mut self.text_buf),
                );
                splitter.push(delta, &mut r, &mut t);
                self.flush_split(r, t);
            }
            None => self.answer(delta),
        }
    }

    fn flush_split(&mut self, mut r: String, mut t: String) {
        if !r.is_empty() {
            self.reasoning(&r);
            r.clear();
        }
        if !t.is_empty() {
            self.answer(&t);
            t.clear();
        }
        self.reasoning_buf = r;
        self.text_buf = t;
    }

    fn reasoning(&mut self, delta: &str) {
        if !delta.is_empty() && !self.stopped() {
            self.out
                .push_back(StreamEvent::ReasoningDelta(delta.to_owned()));
        }
    }

    /// Answer text: through the tool-call gate, then the stop scanner.
    fn answer(&mut self, delta: &str) {
        match &mut self.gate {
            Gate::Open => self.emit_text(delta),
            Gate::Holding(buf) => buf.push_str(delta),
            Gate::Undecided(buf) => {
                buf.push_str(delta);
                match buf.trim_start().chars().next() {
                    None => {}
                    Some('{' | '[' | '<' | '`') => {
                        self.gate = Gate::Holding(std::mem::take(buf));
                    }
                    Some(_) => {
                        let held = std::mem::take(buf);
                        self.gate = Gate::Open;
                        self.emit_text(&held);
                    }
                }
            }
        }
    }

    fn emit_text(&mut self, delta: &str) {
        if delta.is_empty() || self.stopped() {
            return;
        }
        if !self.stop.is_active() {
            self.push_text(delta.to_owned());
            return;
        }
        let mut released = String::new();
        self.stop.push(delta, &mut released);
        if !released.is_empty() {
            self.push_text(released);
        }
    }

    /// A complete JSON answer sent as an object: it is the answer, verbatim.
    fn emit_text_unchecked(&mut self, text: String) {
        self.push_text(text);
    }

    /// One tool call or streamed fragment of one. In a `whole` reply every entry is a complete
    /// call, whatever `index` it carries.
    fn tool_call(&mut self, call: WireToolCall, whole: bool) -> Result<()> {
        let (fname, fargs) = match call.function {
            Some(f) => (f.name, f.arguments),
            None => (None, None),
        };
        let name = fname.or(call.name);
        let arguments = fargs.or(call.arguments);
        match call.index.filter(|_| !whole) {
            Some(index) => {
                // Fragments of one call come in a row: the last call first.
                let last = self.partial.len().checked_sub(1);
                let pos = match last
                    .filter(|&l| self.partial[l].index == index)
                    .or_else(|| self.partial.iter().position(|p| p.index == index))
                {
                    Some(p) => p,
                    None => {
                        self.partial.push(PartialCall {
                            index,
                            ..PartialCall::default()
                        });
                        self.partial.len() - 1
                    }
                };
                let p = &mut self.partial[pos];
                if let Some(id) = call.id.filter(|s| !s.is_empty()) {
                    p.id = Some(id);
                }
                // Some services repeat the whole name in every fragment, others split it: a
                // fragment equal to a declared tool's full name already held is a repeat.
                match name {
                    Some(n) if p.name.is_empty() => p.name = n,
                    Some(n) if n == p.name && self.ctx.tools.iter().any(|t| t.name == n) => {}
                    Some(n) => p.name.push_str(&n),
                    None => {}
                }
                match arguments {
                    Some(Value::String(fragment)) => p.arguments.push_str(&fragment),
                    Some(Value::Null) | None => {}
                    Some(whole) => p.whole = Some(whole),
                }
            }
            None => {
                let name = name.filter(|n| !n.is_empty()).ok_or_else(|| {
                    Error::protocol("the service sent a tool call without a name")
                })?;
                let arguments = parse_arguments(&name, arguments)?;
                self.calls.push(ToolCall {
                    id: call.id.filter(|s| !s.is_empty()),
                    name,
                    arguments,
                });
            }
        }
        Ok(())
    }

    /// Ends the reply: flushes held text, recovers text-form calls, assembles streamed calls,
    /// then emits the calls, the usage and the finish reason.
    pub(crate) fn finish(&mut self) -> Result<()> {
        if self.finished {
            return Ok(());
        }
        self.finished = true;
        if let Some(mut splitter) = self.think.take() {
            let (mut r, mut t) = (String::new(), String::new());
            if !self.stopped() {
                splitter.finish_cut(self.reached_limit(), &mut r, &mut t);
            }
            self.flush_split(r, t);
        }
        match std::mem::replace(&mut self.gate, Gate::Open) {
            Gate::Holding(text) | Gate::Undecided(text) => {
                match text_calls::parse(
                    self.ctx.family.text_calls(),
                    &text,
                    &self.ctx.tools,
                    self.ctx.forced_tool.as_deref(),
                ) {
                    Some(calls) if self.calls.is_empty() && self.partial.is_empty() => {
                        self.calls = calls
                    }
                    _ => self.emit_text(&text),
                }
            }
            Gate::Open => {}
        }
        if !self.stopped() {
            let mut rest = String::new();
            self.stop.finish(&mut rest);
            if !rest.is_empty() {
                self.push_text(rest);
            }
        }
        for p in std::mem::take(&mut self.partial) {
            if p.name.is_empty() {
                return Err(Error::protocol(format!(
                    "streamed tool call #{} never got a name",
                    p.index
                )));
            }
            let arguments = match p.whole {
                Some(v) => parse_arguments(&p.name, Some(v))?,
                None => parse_arguments(&p.name, Some(Value::String(p.arguments)))?,
            };
            self.calls.push(ToolCall {
                id: p.id,
                name: p.name,
                arguments,
            });
        }
        for call in &mut self.calls {
            if let Some(tool) = self.ctx.tools.iter().find(|t| t.name == call.name) {
                tool.coerce_arguments(&mut call.arguments, ARGUMENT_COERCION);
            }
        }
        let finish = self.finish_reason();
        self.out
            .extend(self.calls.drain(..).map(StreamEvent::ToolCall));
        if self.usage.is_reported() {
            self.out.push_back(StreamEvent::Usage(self.usage));
        }
        if let Some(text) = self.verdict_text.take() {
            let verdict = crate::chat::wire::guard_verdict(&text)?;
            self.out.push_back(StreamEvent::Verdict(verdict));
        }
        let cost = self
            .price
            .as_ref()
            .and_then(|p| p.estimate(&Metered::usage(&self.usage)));
        if let Some(c) = self.charge.take() {
            c.settle(cost.as_ref());
        }
        if let Some(span) = &self.span {
            genai_core::telemetry::record_usage(span, &self.usage);
            genai_core::telemetry::record_finish(span, finish);
            genai_core::telemetry::record_cost(span, crate::telemetry::COST_FIELDS, cost);
        }
        if let Some(cost) = cost {
            self.out.push_back(StreamEvent::Cost(cost));
        }
        self.out.push_back(StreamEvent::Finish(finish));
        Ok(())
    }

    /// The service's finish reason when it gave one; otherwise inferred: `stop_sequence` when
    /// the client cut the reply, `tool_calls` when calls came back, `length` when the output
    /// reached the limit (the request's, or the service's default), `stop` otherwise.
    fn finish_reason(&self) -> FinishReason {
        if self.stopped() {
            return FinishReason::StopSequence;
        }
        if let Some(f) = self.server_finish {
            return if f == FinishReason::Stop && !self.calls.is_empty() {
                FinishReason::ToolCalls
            } else {
                f
            };
        }
        if !self.calls.is_empty() {
            return FinishReason::ToolCalls;
        }
        if self.reached_limit() {
            return FinishReason::Length;
        }
        FinishReason::Stop
    }

    /// Whether the output reached the token limit: the request's, or the service's default.
    fn reached_limit(&self) -> bool {
        let Some(out) = self.usage.output_tokens else {
            return false;
        };
        match self.ctx.max_tokens {
            Some(max) => out >= u64::from(max),
            None => self.ctx.family.default_max_tokens() == Some(out),
        }
    }
}

fn parse_arguments(name: &str, raw: Option<Value>) -> Result<Value> {
    match raw {
        None | Some(Value::Null) => Ok(Value::Object(Default::default())),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(Value::Object(Default::default())),
        Some(Value::String(s)) => serde_json::from_str(&s).map_err(|e| {
            Error::protocol(format!(
                "the arguments of tool call `{name}` are not valid JSON ({e}): {}",
                genai_core::text::excerpt(&s, 120)
            ))
        }),
        Some(v) => Ok(v),
    }
}

fn openai_finish(f: &str) -> FinishReason {
    match f {
        "stop" | "eos" => FinishReason::Stop,
        "length" | "max_tokens" => FinishReason::Length,
        "tool_calls" | "function_call" => FinishReason::ToolCalls,
        "content_filter" => FinishReason::ContentFilter,
        _ => FinishReason::Unknown,
    }
}

#[cfg(test)]
mod tests {
    //! Every quirk, on fixtures written by us, through both the sync and the stream path.
    use super::*;
    use crate::chat::client::decode_reply;
    use crate::chat::stream::StreamDecoder;
    use genai_core::{ChatResponse, ErrorKind, ResponseAccumulator, ToolDef};
    use serde_json::json;

    fn sqrt_tool() -> ToolDef {
        ToolDef::new(
            "square_root",
            "",
            json!({"type":"object","properties":{"number":{"type":"number"}},"required":["number"]}),
        )
    }

    fn tools_req() -> ChatRequest {
        ChatRequest::new().user("root of 144?").tool(sqrt_tool())
    }

    fn sync(family: Family, req: &ChatRequest, body: serde_json::Value) -> ChatResponse {
        decode_reply(family, req, 200, body.to_string().as_bytes()).unwrap()
    }

    /// Feeds SSE data payloads; returns the folded reply and the events.
    fn stream(
        family: Family,
        req: &ChatRequest,
        chunks: &[&str],
    ) -> Result<(ChatResponse, Vec<StreamEvent>)> {
        let mut d = StreamDecoder::new(Shaper::new(CallContext::new(family, req)));
        let mut events = Vec::new();
        for c in chunks {
            d.on_data(c.as_bytes())?;
            while let Some(e) = d.pop() {
                events.push(e);
            }
            if d.is_done() {
                break;
            }
        }
        if !d.is_done() {
            d.on_eof()?;
        }
        let mut acc = ResponseAccumulator::default();
        for e in &events {
            acc.push(e.clone());
        }
        Ok((acc.finish(), events))
    }

    fn usage(i: u64, o: u64) -> Usage {
        Usage::new(Some(i), Some(o), Some(i + o))
    }

    #[test]
    fn flat_tool_call_with_string_numbers() {
        let r = sync(
            Family::Llama3,
            &tools_req(),
            json!({"result":{"response":null,"tool_calls":[{"name":"square_root","arguments":{"number":"144"}}],"usage":{"prompt_tokens":90,"completion_tokens":12,"total_tokens":102}},"success":true,"errors":[],"messages":[]}),
        );
        assert_eq!(r.text, "");
        assert_eq!(
            r.tool_calls,
            vec![ToolCall::new("square_root", json!({"number":144}))]
        );
        assert_eq!(r.finish_reason, FinishReason::ToolCalls);
        assert_eq!(r.usage, usage(90, 12));
    }

    #[test]
    fn openai_style_tool_calls_without_response() {
        let r = sync(
            Family::Llama4Scout,
            &tools_req(),
            json!({"result":{"tool_calls":[
            {"id":"call-a","type":"function","function":{"name":"square_root","arguments":"{\"number\": 144}"}},
            {"id":"call-b","type":"function","function":{"name":"square_root","arguments":"{\"number\": 9}"}}
        ],"usage":{"prompt_tokens":5,"completion_tokens":5,"total_tokens":10}},"success":true,"errors":[],"messages":[]}),
        );
        assert_eq!(r.tool_calls.len(), 2);
        assert_eq!(r.tool_calls[1].id.as_deref(), Some("call-b"));
        assert_eq!(r.tool_calls[1].arguments, json!({"number":9}));
    }

    #[test]
    fn object_response_is_the_json_text_and_missing_usage_stays_unknown() {
        let req = ChatRequest::new().user("fruit?").json();
        let r = sync(
            Family::Llama3,
            &req,
            json!({"result":{"response":{"is_fruit":true}},"success":true,"errors":[],"messages":[]}),
        );
        assert_eq!(r.text, r#"{"is_fruit":true}"#);
        assert!(!r.usage.is_reported());
        assert_eq!(r.finish_reason, FinishReason::Stop);
    }

    #[test]
    fn think_split_and_cut_reasoning() {
        let req = ChatRequest::new().user("hi");
        let r = sync(
            Family::InlineReasoning,
            &req,
            json!({"result":{"response":"<think>\nShort thought.\n</think>\n\nHi there","usage":{"prompt_tokens":4,"completion_tokens":9,"total_tokens":13}},"success":true}),
        );
        assert_eq!(
            (r.reasoning.as_str(), r.text.as_str()),
            ("Short thought.", "Hi there")
        );
        let r = sync(
            Family::InlineReasoning,
            &req,
            json!({"result":{"response":"No opening tag.\n</think>\nAnswer","usage":{"prompt_tokens":4,"completion_tokens":9,"total_tokens":13}},"success":true}),
        );
        assert_eq!(
            (r.reasoning.as_str(), r.text.as_str()),
            ("No opening tag.", "Answer")
        );
        let r = sync(
            Family::InlineReasoning,
            &req,
            json!({"result":{"response":"<think>\nthinking and thinking","usage":{"prompt_tokens":4,"completion_tokens":256,"total_tokens":260}},"success":true}),
        );
        assert_eq!(
            (r.reasoning.as_str(), r.text.as_str()),
            ("thinking and thinking", "")
        );
        assert_eq!(
            r.finish_reason,
            FinishReason::Length,
            "256 tokens without max_tokens: cut by the default limit"
        );
    }

    #[test]
    fn text_form_calls_become_tool_calls_only_when_declared() {
        let text =
            r#"{"type": "function", "name": "square_root", "parameters": {"number": "144"}}"#;
        let r = sync(
            Family::Llama3,
            &tools_req(),
            json!({"result":{"response":text},"success":true}),
        );
        assert_eq!(
            r.tool_calls,
            vec![ToolCall::new("square_root", json!({"number":144}))]
        );
        assert_eq!(r.text, "");
        let r = sync(
            Family::Llama3,
            &ChatRequest::new().user("x"),
            json!({"result":{"response":text},"success":true}),
        );
        assert!(r.tool_calls.is_empty());
        assert_eq!(r.text, text);
    }

    #[test]
    fn hermes_calls_and_zero_usage() {
        let text =
            "<tool_call>\n{'arguments': {'number': '144'}, 'name': 'square_root'}\n</tool_call>";
        let r = sync(
            Family::Hermes,
            &tools_req(),
            json!({"result":{"response":text,"usage":{"prompt_tokens":0,"completion_tokens":0,"total_tokens":0}},"success":true}),
        );
        assert_eq!(
            r.tool_calls,
            vec![ToolCall::new("square_root", json!({"number":144}))]
        );
        assert!(!r.usage.is_reported());
    }

    #[test]
    fn client_side_stop_and_length_inference() {
        let req = ChatRequest::new().user("count").stop("five");
        let r = sync(
            Family::Llama3,
            &req,
            json!({"result":{"response":"one two three four five six","usage":{"prompt_tokens":3,"completion_tokens":6,"total_tokens":9}},"success":true}),
        );
        assert_eq!(r.text, "one two three four ");
        assert_eq!(r.finish_reason, FinishReason::StopSequence);
        let req = ChatRequest::new().user("explain").max_tokens(6);
        let r = sync(
            Family::Llama3,
            &req,
            json!({"result":{"response":"one two three four five six","usage":{"prompt_tokens":3,"completion_tokens":6,"total_tokens":9}},"success":true}),
        );
        assert_eq!(r.finish_reason, FinishReason::Length);
        let req = ChatRequest::new().user("explain").max_tokens(60);
        let r = sync(
            Family::Llama3,
            &req,
            json!({"result":{"response":"short","usage":{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4}},"success":true}),
        );
        assert_eq!(r.finish_reason, FinishReason::Stop);
    }

    #[test]
    fn openai_shaped_reply() {
        let req = tools_req();
        let r = sync(
            Family::OpenAiChat,
            &req,
            json!({"result":{"id":"x","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":null,"reasoning_content":"Need the tool.","tool_calls":[{"id":"c1","type":"function","function":{"name":"square_root","arguments":"{\"number\":144}"}}]},"finish_reason":"tool_calls"}],"usage":{"prompt_tokens":20,"completion_tokens":10,"total_tokens":30}},"success":true,"errors":[],"messages":[]}),
        );
        assert_eq!(r.reasoning, "Need the tool.");
        assert_eq!(r.tool_calls[0].id.as_deref(), Some("c1"));
        assert_eq!(r.finish_reason, FinishReason::ToolCalls);
        let r = sync(
            Family::OpenAiChat,
            &ChatRequest::new().user("x").max_tokens(2),
            json!({"result":{"choices":[{"message":{"content":"Hello wor"},"finish_reason":"length"}]},"success":true}),
        );
        assert_eq!(
            (r.text.as_str(), r.finish_reason),
            ("Hello wor", FinishReason::Length)
        );
    }

    #[test]
    fn forced_call_leaking_into_content_is_recovered() {
        let req = tools_req().tool_choice(ToolChoice::Named("square_root".into()));
        let r = sync(
            Family::OpenAiChat,
            &req,
            json!({"result":{"choices":[{"message":{"content":"{\"number\": 144}","tool_calls":[]},"finish_reason":"stop"}]},"success":true}),
        );
        assert_eq!(
            r.tool_calls,
            vec![ToolCall::new("square_root", json!({"number":144}))]
        );
        assert_eq!(r.finish_reason, FinishReason::ToolCalls);
    }

    #[test]
    fn malformed_replies_are_errors() {
        let req = ChatRequest::new().user("x");
        let e = decode_reply(Family::Llama3, &req, 200, b"<html>gateway</html>").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Protocol);
        assert!(e.message().contains("HTTP 200") && e.message().contains("<html>gateway"));
        let e = decode_reply(Family::Llama3, &req, 200, br#"{"success":true}"#).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Protocol);
        let e = decode_reply(Family::Llama3, &req, 200, br#"{"success":false,"errors":[{"code":3040,"message":"Capacity temporarily exceeded"}]}"#).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Unavailable);
        let e = decode_reply(Family::Llama4Scout, &tools_req(), 200, br#"{"result":{"tool_calls":[{"id":"a","type":"function","function":{"name":"square_root","arguments":"{\"number\": 1"}}]},"success":true}"#).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Protocol);
        let e = decode_reply(
            Family::Llama3,
            &req,
            200,
            br#"{"result":{"response":"x","usage":{"prompt_tokens":-1}},"success":true}"#,
        )
        .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Protocol);
    }

    #[test]
    fn stream_padding_empty_tool_calls_and_last_chunk_usage() {
        let (r, events) = stream(Family::Llama3, &ChatRequest::new().user("x"), &[
            r#"{"response":"Hel","tool_calls":[],"p":"abc"}"#,
            r#"{"response":"lo.","tool_calls":[],"p":"abcdef"}"#,
            r#"{"tool_calls":[],"p":"ab"}"#,
            r#"{"response":"","usage":{"prompt_tokens":7,"completion_tokens":2,"total_tokens":9}}"#,
            "[DONE]",
        ]).unwrap();
        assert_eq!(r.text, "Hello.");
        assert_eq!(r.usage, usage(7, 2));
        assert_eq!(
            events.last(),
            Some(&StreamEvent::Finish(FinishReason::Stop))
        );
        assert!(matches!(events[events.len() - 2], StreamEvent::Usage(_)));
    }

    #[test]
    fn stream_tool_call_deltas_assembled_by_index() {
        let (r, events) = stream(Family::Llama4Scout, &tools_req(), &[
            r#"{"response":"","tool_calls":[{"index":0,"id":"call-x","type":"function","function":{"name":"square_root"}}]}"#,
            r#"{"response":"","tool_calls":[{"index":0,"function":{"arguments":"{\"num"}}]}"#,
            r#"{"response":"","tool_calls":[{"index":0,"function":{"arguments":"ber\": 144}"}}]}"#,
            r#"{"response":"","tool_calls":[]}"#,
            r#"{"response":"","usage":{"prompt_tokens":7,"completion_tokens":9,"total_tokens":16}}"#,
            "[DONE]",
        ]).unwrap();
        assert_eq!(r.tool_calls.len(), 1);
        assert_eq!(r.tool_calls[0].id.as_deref(), Some("call-x"));
        assert_eq!(r.tool_calls[0].arguments, json!({"number":144}));
        assert_eq!(r.finish_reason, FinishReason::ToolCalls);
        assert_eq!(
            events
                .iter()
                .filter(|e| matches!(e, StreamEvent::ToolCall(_)))
                .count(),
            1
        );
    }

    #[test]
    fn stream_boolean_true_chunk_is_json_text() {
        let (r, _) = stream(
            Family::Llama4Scout,
            &ChatRequest::new().user("x").json(),
            &[
                r#"{"response":"{\"is_fruit\": "}"#,
                r#"{"response":true}"#,
                r#"{"response":"}"}"#,
                "[DONE]",
            ],
        )
        .unwrap();
        assert_eq!(r.text, r#"{"is_fruit": true}"#);
    }

    #[test]
    fn stream_think_split_with_empty_chunk() {
        let (r, events) = stream(Family::InlineReasoning, &ChatRequest::new().user("x").max_tokens(100), &[
            r#"{"response":"<think>"}"#, r#"{"response":"\nPon"}"#, r#"{"response":"der.\n</"}"#,
            r#"{"response":"think>\n\nAns"}"#, r#"{"response":"wer"}"#, "{}",
            r#"{"response":"","usage":{"prompt_tokens":3,"completion_tokens":8,"total_tokens":11}}"#, "[DONE]",
        ]).unwrap();
        assert_eq!(
            (r.reasoning.as_str(), r.text.as_str()),
            ("Ponder.", "Answer")
        );
        let first_text = events
            .iter()
            .position(|e| matches!(e, StreamEvent::TextDelta(_)))
            .unwrap();
        let last_reasoning = events
            .iter()
            .rposition(|e| matches!(e, StreamEvent::ReasoningDelta(_)))
            .unwrap();
        assert!(last_reasoning < first_text);
    }

    #[test]
    fn stream_text_form_call_and_plain_text_with_tools() {
        let pieces = [
            r#"{"response":"{\"name\":\"squa"}"#,
            r#"{"response":"re_root\",\"parameters\":{\"number\":144}}"}"#,
            "[DONE]",
        ];
        let (r, _) = stream(Family::Llama3, &tools_req(), &pieces).unwrap();
        assert_eq!(
            r.tool_calls,
            vec![ToolCall::new("square_root", json!({"number":144}))]
        );
        assert_eq!(r.text, "");
        let (r, events) = stream(
            Family::Llama3,
            &tools_req(),
            &[
                r#"{"response":" The"}"#,
                r#"{"response":" answer is 12."}"#,
                "[DONE]",
            ],
        )
        .unwrap();
        assert_eq!(r.text, " The answer is 12.");
        assert!(r.tool_calls.is_empty());
        assert!(
            matches!(events[0], StreamEvent::TextDelta(_)),
            "plain text is not held back"
        );
        let (r, _) = stream(
            Family::Llama3,
            &tools_req(),
            &[r#"{"response":"{\"is_fruit\": true}"}"#, "[DONE]"],
        )
        .unwrap();
        assert_eq!(r.text, r#"{"is_fruit": true}"#);
    }

    #[test]
    fn stream_stop_sequence_across_chunks_ends_the_stream() {
        let req = ChatRequest::new().user("count").stop("five");
        let mut d = StreamDecoder::new(Shaper::new(CallContext::new(Family::Llama3, &req)));
        d.on_data(br#"{"response":"one two three four fi"}"#)
            .unwrap();
        assert!(!d.is_done());
        d.on_data(br#"{"response":"ve six"}"#).unwrap();
        assert!(d.is_done(), "reading stops at the match");
        let mut acc = ResponseAccumulator::default();
        while let Some(e) = d.pop() {
            acc.push(e);
        }
        let r = acc.finish();
        assert_eq!(r.text, "one two three four ");
        assert_eq!(r.finish_reason, FinishReason::StopSequence);
        assert!(!r.usage.is_reported());
    }

    #[test]
    fn stream_failures_are_protocol_errors() {
        let req = ChatRequest::new().user("x");
        let e = stream(
            Family::Llama3,
            &req,
            &[r#"{"response":"a"}"#, r#"{"response":"b"#],
        )
        .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Protocol);
        let e = stream(Family::Llama3, &req, &[r#"{"response":"a"}"#]).unwrap_err();
        assert!(e.message().contains("[DONE]"));
        let e = stream(
            Family::Llama4Scout,
            &tools_req(),
            &[
                r#"{"tool_calls":[{"index":0,"function":{"arguments":"{}"}}]}"#,
                "[DONE]",
            ],
        )
        .unwrap_err();
        assert!(e.message().contains("never got a name"));
    }

    #[test]
    fn openai_stream_chunks() {
        let (r, _) = stream(Family::OpenAiChat, &tools_req(), &[
            r#"{"id":"1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"role":"assistant","reasoning_content":"Use it."}}]}"#,
            r#"{"id":"1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"c9","type":"function","function":{"name":"square_root","arguments":""}}]}}]}"#,
            r#"{"id":"1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"number\":144}"}}]},"finish_reason":"tool_calls"}]}"#,
            r#"{"id":"1","object":"chat.completion.chunk","choices":[],"usage":{"prompt_tokens":5,"completion_tokens":6,"total_tokens":11}}"#,
            "[DONE]",
        ]).unwrap();
        assert_eq!(r.reasoning, "Use it.");
        assert_eq!(r.tool_calls[0].id.as_deref(), Some("c9"));
        assert_eq!(r.finish_reason, FinishReason::ToolCalls);
        assert_eq!(r.usage, usage(5, 6));
    }

    #[test]
    fn errors_inside_a_reply_are_errors() {
        let req = ChatRequest::new().user("x");
        let e = stream(Family::Llama3, &req, &[
            r#"{"response":"Hel"}"#,
            r#"{"errors":[{"code":3040,"message":"Capacity temporarily exceeded"}],"success":false}"#,
            "[DONE]",
        ])
        .unwrap_err();
        assert_eq!((e.kind(), e.code()), (ErrorKind::Unavailable, Some(3040)));
        let e = stream(
            Family::OpenAiChat,
            &req,
            &[r#"{"error":{"message":"overloaded","code":503}}"#, "[DONE]"],
        )
        .unwrap_err();
        assert!(e.message().contains("overloaded"));
        let e = stream(
            Family::Llama3,
            &req,
            &[r#"{"success":false,"error":true}"#, "[DONE]"],
        )
        .unwrap_err();
        assert!(e.message().contains("failure"), "{e}");
        let e = decode_reply(
            Family::Llama3,
            &req,
            200,
            br#"{"result":{},"success":true}"#,
        )
        .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Protocol);
        let e = decode_reply(
            Family::OpenAiChat,
            &req,
            200,
            br#"{"result":{"output":[{"type":"message"}]},"success":true}"#,
        )
        .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Protocol);
        let r = sync(
            Family::Llama3,
            &req,
            json!({"result":{"response":null},"success":true}),
        );
        assert_eq!(
            r.text, "",
            "an explicit null response is an empty reply, not a malformed one"
        );
        let (r, _) = stream(
            Family::Llama3,
            &req,
            &[
                r#"{"response":"a"}"#,
                "",
                " ",
                r#"{"response":"b"}"#,
                "[DONE]",
            ],
        )
        .unwrap();
        assert_eq!(r.text, "ab", "empty keep-alive events are skipped");
    }

    #[test]
    fn tool_choice_none_offers_no_tools_to_native_models() {
        let req = tools_req().tool_choice(ToolChoice::None);
        let body =
            serde_json::to_value(crate::chat::wire::RunBody::new(Family::Llama3, &req, false))
                .unwrap();
        assert!(body.get("tools").is_none(), "{body}");
        let body = serde_json::to_value(crate::chat::wire::RunBody::new(
            Family::OpenAiChat,
            &req,
            false,
        ))
        .unwrap();
        assert_eq!(
            (body["tools"].as_array().map(Vec::len), &body["tool_choice"]),
            (Some(1), &json!("none"))
        );
        let text = r#"{"name":"square_root","parameters":{"number":144}}"#;
        let r = sync(
            Family::Llama3,
            &req,
            json!({"result":{"response":text},"success":true}),
        );
        assert!(r.tool_calls.is_empty());
        assert_eq!(r.text, text);
    }

    #[test]
    fn a_reasoning_model_answering_without_tags_answers() {
        let req = ChatRequest::new().user("fruit?").json();
        let r = sync(
            Family::InlineReasoning,
            &req,
            json!({"result":{"response":"{\"is_fruit\": true}","usage":{"prompt_tokens":5,"completion_tokens":8,"total_tokens":13}},"success":true}),
        );
        assert_eq!(
            (r.reasoning.as_str(), r.text.as_str()),
            ("", "{\"is_fruit\": true}")
        );
        let req = ChatRequest::new().user("x").max_tokens(8);
        let (r, _) = stream(Family::InlineReasoning, &req, &[
            r#"{"response":"Let me think about"}"#, r#"{"response":" this carefully"}"#,
            r#"{"response":"","usage":{"prompt_tokens":5,"completion_tokens":8,"total_tokens":13}}"#, "[DONE]",
        ]).unwrap();
        assert_eq!(
            (r.reasoning.as_str(), r.text.as_str()),
            ("Let me think about this carefully", "")
        );
        assert_eq!(r.finish_reason, FinishReason::Length);
    }

    #[test]
    fn tool_call_names_and_indexes() {
        let (r, _) = stream(Family::OpenAiChat, &tools_req(), &[
            r#"{"choices":[{"delta":{"tool_calls":[{"index":0,"id":"c","function":{"name":"square_root","arguments":"{\"number\""}}]}}]}"#,
            r#"{"choices":[{"delta":{"tool_calls":[{"index":0,"function":{"name":"square_root","arguments":":144}"}}]}}]}"#,
            "[DONE]",
        ]).unwrap();
        assert_eq!(
            r.tool_calls,
            vec![ToolCall {
                id: Some("c".into()),
                name: "square_root".into(),
                arguments: json!({"number":144})
            }]
        );
        let r = sync(
            Family::OpenAiChat,
            &tools_req(),
            json!({"result":{"choices":[{"message":{"tool_calls":[
            {"index":0,"id":"a","type":"function","function":{"name":"square_root","arguments":"{\"number\":1}"}},
            {"index":0,"id":"b","type":"function","function":{"name":"square_root","arguments":"{\"number\":4}"}}
        ]},"finish_reason":"tool_calls"}]},"success":true}),
        );
        assert_eq!(
            r.tool_calls.len(),
            2,
            "a whole reply's calls are complete whatever their index"
        );
    }

    #[test]
    fn a_name_split_into_equal_fragments_is_joined() {
        let req =
            ChatRequest::new()
                .user("x")
                .tool(ToolDef::new("abab", "", json!({"type":"object"})));
        let (r, _) = stream(Family::OpenAiChat, &req, &[
            r#"{"choices":[{"delta":{"tool_calls":[{"index":0,"id":"c","function":{"name":"ab","arguments":""}}]}}]}"#,
            r#"{"choices":[{"delta":{"tool_calls":[{"index":0,"function":{"name":"ab","arguments":"{}"}}]}}]}"#,
            "[DONE]",
        ]).unwrap();
        assert_eq!(r.tool_calls[0].name, "abab");
    }

    #[test]
    fn openai_stops_beyond_four_are_applied_by_the_client() {
        let mut req = ChatRequest::new().user("count");
        for s in ["zz1", "zz2", "zz3", "zz4", "four"] {
            req = req.stop(s);
        }
        let body = serde_json::to_value(crate::chat::wire::RunBody::new(
            Family::OpenAiChat,
            &req,
            false,
        ))
        .unwrap();
        assert_eq!(body["stop"], json!(["zz1", "zz2", "zz3", "zz4"]));
        let r = sync(
            Family::OpenAiChat,
            &req,
            json!({"result":{"choices":[{"message":{"content":"one two three four five"},"finish_reason":"stop"}]},"success":true}),
        );
        assert_eq!(
            (r.text.as_str(), r.finish_reason),
            ("one two three ", FinishReason::StopSequence)
        );
    }

    #[test]
    fn openai_content_parts_are_joined() {
        let r = sync(
            Family::OpenAiChat,
            &ChatRequest::new().user("x"),
            json!({"result":{"choices":[{"message":{"content":[{"type":"text","text":"Hel"},{"type":"text","text":"lo"}]},"finish_reason":"stop"}]},"success":true}),
        );
        assert_eq!(r.text, "Hello");
    }

    #[test]
    fn sync_and_stream_agree_on_every_cut() {
        let text = "<think>\nWhy not.\n</think>\n\nfinal answer here";
        let req = ChatRequest::new().user("x").stop("here");
        let whole = sync(
            Family::InlineReasoning,
            &req,
            json!({"result":{"response":text},"success":true}),
        );
        for i in 1..text.len() {
            let a = json!({"response": &text[..i]}).to_string();
            let b = json!({"response": &text[i..]}).to_string();
            let (r, _) = stream(Family::InlineReasoning, &req, &[&a, &b, "[DONE]"]).unwrap();
            assert_eq!(
                (r.text.as_str(), r.reasoning.as_str()),
                (whole.text.as_str(), whole.reasoning.as_str()),
                "cut at {i}"
            );
        }
        assert_eq!(whole.text, "final answer ");
        assert_eq!(whole.finish_reason, FinishReason::StopSequence);
    }

    #[test]
    fn a_classifier_reply_that_is_not_a_verdict_is_a_protocol_error() {
        let req = ChatRequest::new().user("hi");
        let guard = Traits::of("@cf/meta/llama-guard-3-8b");
        let r = decode_reply(
            guard,
            &req,
            200,
            br#"{"result":{"response":"unsafe\nS1,S2"},"success":true}"#,
        )
        .unwrap();
        assert_eq!(r.verdict.unwrap().categories, ["S1", "S2"]);
        let e = decode_reply(
            guard,
            &req,
            200,
            br#"{"result":{"response":"Hello there"},"success":true}"#,
        )
        .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Protocol);
    }

    #[test]
    fn openai_stop_reason_logprobs_and_responses_output() {
        let req = ChatRequest::new().user("count").stop("five");
        let r = sync(
            Family::OpenAiChat,
            &req,
            json!({"result":{"choices":[{"message":{"content":"one two"},"finish_reason":"stop","stop_reason":"five",
                "logprobs":{"content":[{"token":"one","logprob":-0.1,"top_logprobs":[{"token":"one","logprob":-0.1}]},{"token":" two","logprob":-0.2,"top_logprobs":[]}]}}]},"success":true}),
        );
        assert_eq!(r.finish_reason, FinishReason::StopSequence);
        assert_eq!(r.logprobs.len(), 2);
        assert_eq!(r.logprobs[0].top[0].token, "one");
        let r = sync(
            Family::OpenAiChat,
            &req,
            json!({"result":{"choices":[{"message":{"content":"one"},"finish_reason":"stop","stop_reason":null}]},"success":true}),
        );
        assert_eq!(r.finish_reason, FinishReason::Stop);
        let r = sync(
            Family::OpenAiChat,
            &ChatRequest::new().user("x"),
            json!({"result":{"object":"response","status":"incomplete","incomplete_details":{"reason":"max_output_tokens"},
                "output":[{"type":"reasoning","content":[{"type":"reasoning_text","text":"hmm"}]},
                          {"type":"message","content":[{"type":"output_text","text":"Hi"}]}],
                "usage":{"input_tokens":3,"output_tokens":2,"total_tokens":5}},"success":true}),
        );
        assert_eq!((r.reasoning.as_str(), r.text.as_str()), ("hmm", "Hi"));
        assert_eq!(r.finish_reason, FinishReason::Length);
        assert_eq!(r.usage, usage(3, 2));
    }

    /// The arguments a reply's tool call carries are exactly what
    /// `ToolDef::decode_arguments` makes of them: one coercion, in genai-core, for both, on
    /// the sync path, the stream path and a call written as text.
    #[test]
    fn returned_arguments_agree_with_decode_arguments() {
        #[derive(Debug, PartialEq, serde::Deserialize, schemars::JsonSchema)]
        #[serde(rename_all = "lowercase")]
        enum Unit {
            Celsius,
            Fahrenheit,
        }
        #[derive(Debug, PartialEq, serde::Deserialize, schemars::JsonSchema)]
        struct Weather {
            city: String,
            unit: Option<Unit>,
            days: u32,
            hourly: bool,
            note: Option<String>,
        }
        let tool = ToolDef::for_type::<Weather>("weather", "The forecast");
        let req = ChatRequest::new().user("weather?").tool(tool.clone());
        // Every slip at once: enum case, a number and a boolean as strings, a null optional.
        let raw = json!({"city":"Oslo","unit":" Celsius","days":"3","hourly":"TRUE","note":null});
        let expected = json!({"city":"Oslo","unit":"celsius","days":3,"hourly":true});
        let raw_text = raw.to_string();
        let sync_native = sync(
            Family::Llama3,
            &req,
            json!({"result":{"response":null,"tool_calls":[{"name":"weather","arguments":raw}]},"success":true,"errors":[],"messages":[]}),
        );
        let sync_openai = sync(
            Family::OpenAiChat,
            &req,
            json!({"result":{"choices":[{"message":{"tool_calls":[
                {"id":"a","type":"function","function":{"name":"weather","arguments":raw_text}}
            ]},"finish_reason":"tool_calls"}]},"success":true}),
        );
        let delta = json!({"choices":[{"delta":{"tool_calls":[{"index":0,"id":"c","function":{"name":"weather","arguments":raw_text}}]}}]}).to_string();
        let (streamed, _) = stream(Family::OpenAiChat, &req, &[&delta, "[DONE]"]).unwrap();
        let as_text = json!({"name":"weather","parameters":raw}).to_string();
        let text_call = sync(
            Family::Llama3,
            &req,
            json!({"result":{"response":as_text},"success":true,"errors":[],"messages":[]}),
        );
        for reply in [sync_native, sync_openai, streamed, text_call] {
            assert_eq!(reply.tool_calls.len(), 1, "{reply:?}");
            let call = &reply.tool_calls[0];
            assert_eq!(call.arguments, expected);
            let decoded: serde_json::Value = tool.decode_arguments(call).unwrap();
            assert_eq!(decoded, call.arguments);
            let typed: Weather = tool.decode_arguments(call).unwrap();
            assert_eq!(
                typed,
                serde_json::from_value(call.arguments.clone()).unwrap()
            );
            assert_eq!(typed.unit, Some(Unit::Celsius));
        }
    }
}
