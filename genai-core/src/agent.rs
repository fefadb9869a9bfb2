//! The tool loop in one call: typed tools with their handlers ([`Tool`]) and [`Agent`], which
//! sends the request, runs the tools the model asks for (in parallel), sends their results
//! back, and repeats until the model answers or a step limit is reached.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use futures_util::future::join_all;
use futures_util::stream::{self, StreamExt as _};
use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::provider::ProviderGen;
use crate::request::{ChatRequest, Message};
use crate::response::{ChatResponse, Usage};
use crate::stream::{ChatStream, ResponseAccumulator, StreamEvent};
use crate::tool::{ToolCall, ToolDef};

/// What a handler's future resolves to: the result for the model, or an error message that
/// is sent back to the model as the tool's result.
type Outcome = std::result::Result<String, String>;
type BoxedHandler =
    Arc<dyn Fn(&ToolDef, ToolCall) -> Pin<Box<dyn Future<Output = Outcome> + Send>> + Send + Sync>;

/// A tool the model may call, with the code that runs it.
///
/// The arguments' JSON schema comes from the Rust type `A` ([`ToolDef::for_type`]); the
/// model's arguments are decoded into `A` leniently ([`ToolDef::decode_arguments`]) and handed
/// to the async handler. What the handler returns is serialised to JSON for the model (a
/// `String` is sent as is). Arguments that do not fit `A` and a handler's `Err` are not
/// failures of the run: their message goes back to the model as the tool's result, so it can
/// correct itself.
///
/// ```
/// use genai_core::Tool;
/// #[derive(schemars::JsonSchema, serde::Deserialize)]
/// struct SquareRoot { number: f64 }
///
/// let tool = Tool::new("square_root", "Square root of a number", |a: SquareRoot| async move {
///     if a.number < 0.0 { Err("negative number") } else { Ok(a.number.sqrt()) }
/// });
/// assert_eq!(tool.def().parameters["properties"]["number"]["type"], "number");
/// ```
#[derive(Clone)]
pub struct Tool {
    def: ToolDef,
    handler: BoxedHandler,
}

impl fmt::Debug for Tool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tool")
            .field("name", &self.def.name)
            .finish_non_exhaustive()
    }
}

impl Tool {
    /// A tool named `name` whose arguments are an `A` and whose handler is `handler`.
    pub fn new<A, F, Fut, R, E>(
        name: impl Into<String>,
        description: impl Into<String>,
        handler: F,
    ) -> Tool
    where
        A: JsonSchema + DeserializeOwned + Send + 'static,
        F: Fn(A) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = std::result::Result<R, E>> + Send + 'static,
        R: Serialize,
        E: fmt::Display,
    {
        let def = ToolDef::for_type::<A>(name, description);
        let handler = Arc::new(handler);
        Tool {
            def,
            handler: Arc::new(move |def: &ToolDef, call: ToolCall| {
                let args = def.decode_arguments::<A>(&call);
                let handler = handler.clone();
                Box::pin(async move {
                    let args = args.map_err(|e| e.message().to_owned())?;
                    match handler(args).await {
                        Ok(value) => to_content(&value),
                        Err(e) => Err(e.to_string()),
                    }
                })
            }),
        }
    }

    /// The declaration the model sees.
    pub fn def(&self) -> &ToolDef {
        &self.def
    }

    /// Runs `call` (whose name is this tool's): its result, or the error text for the model.
    async fn run(&self, call: ToolCall) -> Outcome {
        (self.handler)(&self.def, call).await
    }
}

/// A tool's return value as the content of a tool turn: a JSON string as its text, anything
/// else as JSON.
fn to_content<R: Serialize>(value: &R) -> Outcome {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => Ok(s),
        Ok(v) => Ok(v.to_string()),
        Err(e) => Err(format!("the tool's result could not be encoded: {e}")),
    }
}

/// The default [`Agent::max_steps`].
pub const DEFAULT_MAX_STEPS: usize = 8;

/// Runs the tool loop over any [`ProviderGen`]: send the request with the tools declared; when
/// the reply calls tools, run them all at once, append the reply and one tool turn per call
/// (in call order), and send again; stop when a reply calls no tool, or after
/// [`max_steps`](Agent::max_steps) model turns.
///
/// A call to a tool that does not exist, arguments that do not fit, and a handler's error are
/// sent back to the model as that call's result (starting `error: `), so it can try again. A
/// failed request ends the run with its [`Error`].
///
/// [`run`](Agent::run) returns the whole run; [`stream`](Agent::stream) streams every turn's
/// text as it arrives, so the final answer is streamed.
///
/// ```
/// use std::sync::Arc;
/// use genai_core::{Agent, ChatRequest, ProviderGen, Tool};
///
/// #[derive(schemars::JsonSchema, serde::Deserialize)]
/// struct Weather { city: String }
///
/// async fn answer(model: Arc<dyn ProviderGen>) -> genai_core::Result<String> {
///     let agent = Agent::new([Tool::new("weather", "Current weather in a city", |w: Weather| async move {
///         Ok::<_, String>(format!("Sunny in {}", w.city))
///     })])
///     .max_steps(4);
///     let run = agent.run(&*model, ChatRequest::new().user("Weather in Oslo?")).await?;
///     Ok(run.response.text)
/// }
/// ```
#[derive(Clone, Debug)]
pub struct Agent {
    tools: Vec<Tool>,
    max_steps: usize,
}

/// The result of [`Agent::run`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct AgentRun {
    /// The last reply: the answer, or, when the step limit stopped the run, a reply whose
    /// tool calls were not run (see [`limit_reached`](AgentRun::limit_reached)).
    pub response: ChatResponse,
    /// The whole conversation: the request's turns, then each reply and its tool results.
    pub messages: Vec<Message>,
    /// How many model turns were sent.
    pub steps: usize,
    /// The token counts of every turn added up (a field is `None` when a turn did not report
    /// it).
    pub usage: Usage,
}

impl AgentRun {
    /// Whether the run stopped at the step limit with tool calls left unrun.
    pub fn limit_reached(&self) -> bool {
        !self.response.tool_calls.is_empty()
    }
}

impl Agent {
    /// An agent with these tools and a limit of [`DEFAULT_MAX_STEPS`] model turns.
    pub fn new(tools: impl IntoIterator<Item = Tool>) -> Agent {
        Agent {
            tools: tools.into_iter().collect(),
            max_steps: DEFAULT_MAX_STEPS,
        }
    }

    /// Adds a tool.
    pub fn tool(mut self, tool: Tool) -> Agent {
        self.tools.push(tool);
        self
    }

    /// The most model turns one run sends (at least 1).
    pub fn max_steps(mut self, steps: usize) -> Agent {
        self.max_steps = steps.max(1);
        self
    }

    /// The tools' declarations.
    pub fn tool_defs(&self) -> impl Iterator<Item = &ToolDef> {
        self.tools.iter().map(Tool::def)
    }

    /// `req` with this agent's tools declared (after the request's own), checked: two tools
    /// of one name are refused.
    fn prepare(&self, mut req: ChatRequest) -> Result<ChatRequest> {
        for tool in &self.tools {
            if req.tools.iter().any(|t| t.name == tool.def.name) {
                return Err(Error::invalid_request(format!(
                    "two tools are named `{}`",
                    tool.def.name
                )));
            }
            req.tools.push(tool.def.clone());
        }
        Ok(req)
    }

    /// Runs the calls of one reply at once; their results in call order.
    async fn run_calls(&self, calls: &[ToolCall]) -> Vec<Message> {
        let runs = calls.iter().map(|call| async move {
            let content = match self.tools.iter().find(|t| t.def.name == call.name) {
                Some(tool) => tool.run(call.clone()).await,
                None => Err(format!(
                    "there is no tool named `{}` (tools: {})",
                    call.name,
                    self.tools
                        .iter()
                        .map(|t| t.def.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
            };
            let content = content.unwrap_or_else(|e| format!("error: {e}"));
            Message::tool_result(call, content)
        });
        join_all(runs).await
    }

    /// Runs the loop with synchronous requests and returns the whole run.
    pub async fn run<P: ProviderGen + ?Sized>(
        &self,
        provider: &P,
        req: ChatRequest,
    ) -> Result<AgentRun> {
        let mut req = self.prepare(req)?;
        let mut usage = Usage::default();
        let mut steps = 0;
        loop {
            let reply = provider.gen_sync(&req).await?;
            steps += 1;
            usage = add(usage, reply.usage);
            if reply.tool_calls.is_empty() || steps >= self.max_steps {
                req.messages.push(reply.to_message());
                return Ok(AgentRun {
                    response: reply,
                    messages: req.messages,
                    steps,
                    usage,
                });
            }
            req.messages.push(reply.to_message());
            let results = self.run_calls(&reply.tool_calls).await;
            req.messages.extend(results);
        }
    }

    /// Runs the loop with streamed requests. Text and reasoning deltas of every turn are
    /// yielded as they arrive (the turns that call tools rarely have any), tool calls are run
    /// and not yielded, and the stream ends with the usage of all turns added up and the last
    /// turn's finish reason. When the step limit stops the run, the unrun calls are yielded
    /// as [`StreamEvent::ToolCall`]s before [`FinishReason::ToolCalls`](crate::FinishReason::ToolCalls), as
    /// [`run`](Agent::run) would return them.
    pub fn stream<P: ProviderGen + ?Sized + 'static>(
        &self,
        provider: Arc<P>,
        req: ChatRequest,
    ) -> ChatStream {
        let state = match self.prepare(req) {
            Ok(req) => State::Send(Box::new(Turns {
                agent: self.clone(),
                provider,
                req,
                steps: 0,
                usage: Usage::default(),
            })),
            Err(e) => State::Failed(e),
        };
        ChatStream::new(stream::unfold(state, next).flatten())
    }
}

/// The streamed run between events.
struct Turns<P: ?Sized> {
    agent: Agent,
    provider: Arc<P>,
    req: ChatRequest,
    steps: usize,
    usage: Usage,
}

enum State<P: ?Sized> {
    /// A turn to send.
    Send(Box<Turns<P>>),
    /// A turn being read.
    Reading(Box<Turns<P>>, ChatStream, Box<ResponseAccumulator>),
    /// An error to yield before the end.
    Failed(Error),
    Done,
}

type Events = stream::Iter<std::vec::IntoIter<Result<StreamEvent>>>;

/// One step of the streamed run: the events it yields and the state after.
async fn next<P: ProviderGen + ?Sized + 'static>(state: State<P>) -> Option<(Events, State<P>)> {
    let out = |events: Vec<Result<StreamEvent>>, s| Some((stream::iter(events), s));
    match state {
        State::Done => None,
        State::Failed(e) => out(vec![Err(e)], State::Done),
        State::Send(turns) => match turns.provider.gen_stream(&turns.req).await {
            Ok(s) => out(Vec::new(), State::Reading(turns, s, Box::default())),
            Err(e) => out(vec![Err(e)], State::Done),
        },
        State::Reading(mut turns, mut s, mut acc) => match s.next_event().await {
            Some(Err(e)) => out(vec![Err(e)], State::Done),
            Some(Ok(event)) => {
                let shown = match &event {
                    StreamEvent::TextDelta(_)
                    | StreamEvent::ReasoningDelta(_)
                    | StreamEvent::Logprobs(_)
                    | StreamEvent::Verdict(_) => vec![Ok(event.clone())],
                    _ => Vec::new(),
                };
                acc.push(event);
                out(shown, State::Reading(turns, s, acc))
            }
            None => {
                let reply = acc.finish();
                turns.steps += 1;
                turns.usage = add(turns.usage, reply.usage);
                turns.req.messages.push(reply.to_message());
                let last = reply.tool_calls.is_empty() || turns.steps >= turns.agent.max_steps;
                if !last {
                    let results = turns.agent.run_calls(&reply.tool_calls).await;
                    turns.req.messages.extend(results);
                    return out(Vec::new(), State::Send(turns));
                }
                let mut events: Vec<Result<StreamEvent>> = reply
                    .tool_calls
                    .into_iter()
                    .map(|c| Ok(StreamEvent::ToolCall(c)))
                    .collect();
                if turns.usage.is_reported() {
                    events.push(Ok(StreamEvent::Usage(turns.usage)));
                }
                events.push(Ok(StreamEvent::Finish(reply.finish_reason)));
                out(events, State::Done)
            }
        },
    }
}

/// Two turns' counts added up; a field stays `None` unless both turns reported it (the first
/// turn counts alone).
fn add(total: Usage, turn: Usage) -> Usage {
    if !total.is_reported() {
        return turn;
    }
    let sum = |a: Option<u64>, b: Option<u64>| Some(a? + b?);
    Usage::new(
        sum(total.input_tokens, turn.input_tokens),
        sum(total.output_tokens, turn.output_tokens),
        sum(total.total_tokens, turn.total_tokens),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capability::ModelCapabilities;
    use crate::response::FinishReason;
    use async_trait::async_trait;
    use serde_json::json;
    use std::sync::Mutex;

    #[derive(schemars::JsonSchema, serde::Deserialize)]
    struct Num {
        number: f64,
    }

    /// Calls `square_root` twice at once (the second with bad arguments), then `nope`, then
    /// answers with what it was sent back.
    #[derive(Debug, Default)]
    struct Script {
        seen: Mutex<Vec<ChatRequest>>,
    }

    #[async_trait]
    impl ProviderGen for Script {
        fn name(&self) -> &str {
            "script"
        }
        fn model(&self) -> &str {
            "script/model"
        }
        fn capabilities(&self) -> ModelCapabilities {
            ModelCapabilities::default()
        }
        async fn gen_sync(&self, req: &ChatRequest) -> Result<ChatResponse> {
            let n = {
                let mut seen = self.seen.lock().unwrap();
                seen.push(req.clone());
                seen.len()
            };
            let call = |id: &str, name: &str, args| {
                let mut c = ToolCall::new(name, args);
                c.id = Some(id.into());
                c
            };
            let reply = match n {
                1 => ChatResponse::default().tool_calls(vec![
                    call("a", "square_root", json!({"number": "16"})),
                    call("b", "square_root", json!({"number": -1})),
                ]),
                2 => ChatResponse::default().tool_calls(vec![call("c", "nope", json!({}))]),
                _ => {
                    let results: Vec<&str> = req
                        .messages
                        .iter()
                        .filter(|m| matches!(m, Message::Tool { .. }))
                        .map(Message::content)
                        .collect();
                    ChatResponse::new(results.join(" | "))
                }
            };
            Ok(reply
                .usage(Usage::new(Some(10), Some(n as u64), None))
                .finish_reason(if n < 3 {
                    FinishReason::ToolCalls
                } else {
                    FinishReason::Stop
                }))
        }
        async fn gen_stream(&self, req: &ChatRequest) -> Result<ChatStream> {
            Ok(ChatStream::from_response(self.gen_sync(req).await?))
        }
    }

    fn agent() -> Agent {
        Agent::new([Tool::new(
            "square_root",
            "Square root",
            |a: Num| async move {
                if a.number < 0.0 {
                    Err(format!("{} is negative", a.number))
                } else {
                    Ok(a.number.sqrt())
                }
            },
        )])
    }

    const ANSWER: &str =
        "4.0 | error: -1 is negative | error: there is no tool named `nope` (tools: square_root)";

    #[tokio::test]
    async fn runs_tools_in_parallel_and_feeds_errors_back() {
        let model = Script::default();
        let run = agent()
            .run(&model, ChatRequest::new().user("hi"))
            .await
            .unwrap();
        assert_eq!(run.response.text, ANSWER);
        assert_eq!(run.steps, 3);
        assert!(!run.limit_reached());
        assert_eq!(run.usage, Usage::new(Some(30), Some(6), None));
        // user, reply, 2 results, reply, 1 result, answer
        assert_eq!(run.messages.len(), 7);
        let seen = model.seen.lock().unwrap();
        assert_eq!(seen[0].tools.len(), 1);
        assert_eq!(
            seen[1].messages[2],
            Message::Tool {
                content: "4.0".into(),
                tool_call_id: Some("a".into())
            }
        );
    }

    #[tokio::test]
    async fn the_step_limit_stops_with_the_calls_unrun() {
        let run = agent()
            .max_steps(2)
            .run(&Script::default(), ChatRequest::new().user("hi"))
            .await
            .unwrap();
        assert!(run.limit_reached());
        assert_eq!(run.steps, 2);
        assert_eq!(run.response.tool_calls[0].name, "nope");
    }

    #[tokio::test]
    async fn the_stream_yields_the_final_turn_and_the_total_usage() {
        let model = Arc::new(Script::default());
        let s = agent().stream(model, ChatRequest::new().user("hi"));
        let reply = s.collect_response().await.unwrap();
        assert_eq!(reply.text, ANSWER);
        assert_eq!(reply.finish_reason, FinishReason::Stop);
        assert_eq!(reply.usage, Usage::new(Some(30), Some(6), None));
        let limited = agent()
            .max_steps(1)
            .stream(Arc::new(Script::default()), ChatRequest::new().user("hi"))
            .collect_response()
            .await
            .unwrap();
        assert_eq!(limited.tool_calls.len(), 2);
        assert_eq!(limited.finish_reason, FinishReason::ToolCalls);
    }

    #[tokio::test]
    async fn a_duplicate_tool_name_is_refused() {
        let req = ChatRequest::new().user("hi").tool(ToolDef::new(
            "square_root",
            "",
            json!({"type": "object"}),
        ));
        let err = agent().run(&Script::default(), req).await.unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::InvalidRequest);
    }
}
