//! What a caller asks for: messages, tools, response format and sampling options.

use std::collections::HashSet;

use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

use crate::error::{Error, Result};
use crate::media::Media;
use crate::tasks::Document;
use crate::tool::{schema_of, validate_tool_name, ToolCall, ToolChoice, ToolDef};

/// One turn of a conversation.
///
/// The serde form is the conversation file of the `genai` CLI:
/// `{"role":"system|user|assistant|tool","content":"...","tool_calls":[...],"tool_call_id":"..."}`.
/// `tool_calls` is only allowed on assistant turns and `tool_call_id` only on tool turns.
///
/// ```
/// use genai_core::Message;
/// let m: Message = serde_json::from_str(r#"{"role":"user","content":"Hi"}"#).unwrap();
/// assert_eq!(m, Message::user("Hi"));
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "role", rename_all = "lowercase", deny_unknown_fields)]
pub enum Message {
    /// Instructions for the model.
    System {
        /// The instructions.
        content: String,
    },
    /// What the user says, with images or audio attached when the model reads them.
    User {
        /// The user's words.
        content: String,
        /// Images or sounds attached to the turn (for vision and image-to-text models).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        media: Vec<Media>,
    },
    /// An earlier reply of the model: text, tool calls, or both.
    Assistant {
        /// The reply's text (empty when the model only called tools).
        #[serde(default, deserialize_with = "null_as_empty")]
        content: String,
        /// The tools the model called.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        tool_calls: Vec<ToolCall>,
    },
    /// The result of a tool call, sent back to the model.
    Tool {
        /// The tool's output.
        content: String,
        /// The id of the call this answers, when the call had one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        tool_call_id: Option<String>,
    },
}

fn null_as_empty<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<String, D::Error> {
    Ok(Option::<String>::deserialize(d)?.unwrap_or_default())
}

impl Message {
    /// A system turn.
    pub fn system(content: impl Into<String>) -> Self {
        Message::System {
            content: content.into(),
        }
    }

    /// A user turn.
    pub fn user(content: impl Into<String>) -> Self {
        Message::User {
            content: content.into(),
            media: Vec::new(),
        }
    }

    /// A user turn with images or sounds attached.
    ///
    /// ```
    /// use genai_core::{Media, Message};
    /// let photo = Media::with_type("image/png", vec![0x89, b'P', b'N', b'G']);
    /// let m = Message::user_with_media("What is in this picture?", vec![photo]);
    /// assert_eq!(m.media().len(), 1);
    /// ```
    pub fn user_with_media(content: impl Into<String>, media: Vec<Media>) -> Self {
        Message::User {
            content: content.into(),
            media,
        }
    }

    /// The media attached to this turn (only user turns carry any).
    pub fn media(&self) -> &[Media] {
        match self {
            Message::User { media, .. } => media,
            _ => &[],
        }
    }

    /// An assistant turn with text only.
    pub fn assistant(content: impl Into<String>) -> Self {
        Message::Assistant {
            content: content.into(),
            tool_calls: Vec::new(),
        }
    }

    /// An assistant turn that called tools.
    pub fn assistant_tool_calls(tool_calls: Vec<ToolCall>) -> Self {
        Message::Assistant {
            content: String::new(),
            tool_calls,
        }
    }

    /// The result of `call`, to send back to the model.
    pub fn tool_result(call: &ToolCall, content: impl Into<String>) -> Self {
        Message::Tool {
            content: content.into(),
            tool_call_id: call.id.clone(),
        }
    }

    /// The text of this turn.
    pub fn content(&self) -> &str {
        match self {
            Message::System { content }
            | Message::User { content, .. }
            | Message::Assistant { content, .. }
            | Message::Tool { content, .. } => content,
        }
    }
}

/// The shape of the reply.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ResponseFormat {
    /// Free text.
    #[default]
    Text,
    /// Any JSON value.
    Json,
    /// JSON that follows a schema.
    JsonSchema {
        /// A short name for the schema.
        name: String,
        /// The JSON schema.
        schema: Value,
    },
}

impl ResponseFormat {
    /// JSON following the schema of `T`; decode the reply with
    /// [`ChatResponse::decode_json`](crate::ChatResponse::decode_json).
    ///
    /// ```
    /// use genai_core::ResponseFormat;
    /// #[derive(schemars::JsonSchema, serde::Deserialize)]
    /// struct Answer { is_fruit: bool }
    /// let ResponseFormat::JsonSchema { name, schema } = ResponseFormat::json_schema_for::<Answer>()
    ///     else { unreachable!() };
    /// assert_eq!(name, "Answer");
    /// assert_eq!(schema["required"][0], "is_fruit");
    /// ```
    pub fn json_schema_for<T: JsonSchema>() -> Self {
        ResponseFormat::JsonSchema {
            name: T::schema_name().into_owned(),
            schema: schema_of::<T>(),
        }
    }

    /// Whether the reply must be JSON.
    pub fn is_json(&self) -> bool {
        !matches!(self, ResponseFormat::Text)
    }
}

/// One chat request: the conversation and the options that shape the reply.
///
/// ```
/// use genai_core::ChatRequest;
/// let req = ChatRequest::new()
///     .system("Answer in one word.")
///     .user("Say hello.")
///     .max_tokens(16)
///     .stop("\n");
/// assert_eq!(req.messages.len(), 2);
/// assert!(req.validate().is_ok());
/// ```
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ChatRequest {
    /// The conversation, oldest first.
    pub messages: Vec<Message>,
    /// Most tokens to generate.
    pub max_tokens: Option<u32>,
    /// Sampling temperature.
    pub temperature: Option<f64>,
    /// Nucleus sampling.
    pub top_p: Option<f64>,
    /// Top-k sampling.
    pub top_k: Option<u32>,
    /// Seed for reproducible sampling.
    pub seed: Option<u64>,
    /// Sequences that end the reply; the sequence itself is not part of the text.
    pub stop: Vec<String>,
    /// The shape of the reply.
    pub response_format: ResponseFormat,
    /// Tools the model may call.
    pub tools: Vec<ToolDef>,
    /// How the model must pick tools (`None`: the service's default, which is auto).
    pub tool_choice: Option<ToolChoice>,
    /// How hard a reasoning model thinks (`None`: the model's default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasoning_effort: Option<ReasoningEffort>,
    /// Switches a hybrid model's thinking on or off (`None`: the model's default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thinking: Option<bool>,
    /// The name of a fine-tune (LoRA) of a LoRA-capable model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lora: Option<String>,
    /// Sends the prompt as is, without the model's chat template (base models).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub raw: bool,
    /// Asks for the log-probability of each generated token with this many most likely
    /// alternatives (0 to [`MAX_TOP_LOGPROBS`]); `None`: no log-probabilities.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logprobs: Option<u8>,
    /// Documents (PDF, office files, web pages...) for the last user turn, converted to text
    /// before the call by a [`DocumentChat`](crate::DocumentChat); a model called directly
    /// refuses a request that carries any.
    #[serde(skip)]
    pub documents: Vec<Document>,
}

/// The most alternatives per token [`ChatRequest::logprobs`] may ask for.
pub const MAX_TOP_LOGPROBS: u8 = 20;

/// How hard a reasoning model thinks before it answers.
///
/// ```
/// use genai_core::ReasoningEffort;
/// assert_eq!("low".parse::<ReasoningEffort>().unwrap(), ReasoningEffort::Low);
/// assert_eq!(ReasoningEffort::High.as_str(), "high");
/// assert!("max".parse::<ReasoningEffort>().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReasoningEffort {
    /// Short reasoning, faster and cheaper.
    Low,
    /// The usual amount.
    Medium,
    /// Long reasoning.
    High,
}

impl ReasoningEffort {
    /// `low`, `medium` or `high`, as the services spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            ReasoningEffort::Low => "low",
            ReasoningEffort::Medium => "medium",
            ReasoningEffort::High => "high",
        }
    }
}

impl std::str::FromStr for ReasoningEffort {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s {
            "low" => Ok(ReasoningEffort::Low),
            "medium" => Ok(ReasoningEffort::Medium),
            "high" => Ok(ReasoningEffort::High),
            other => Err(Error::invalid_request(format!(
                "reasoning effort must be low, medium or high, got `{other}`"
            ))),
        }
    }
}

impl ChatRequest {
    /// An empty request.
    pub fn new() -> Self {
        ChatRequest::default()
    }

    /// A request with these messages.
    pub fn from_messages(messages: Vec<Message>) -> Self {
        ChatRequest {
            messages,
            ..ChatRequest::default()
        }
    }

    /// Appends a message.
    pub fn message(mut self, message: Message) -> Self {
        self.messages.push(message);
        self
    }

    /// Appends a system turn.
    pub fn system(self, content: impl Into<String>) -> Self {
        self.message(Message::system(content))
    }

    /// Appends a user turn.
    pub fn user(self, content: impl Into<String>) -> Self {
        self.message(Message::user(content))
    }

    /// Sets the most tokens to generate.
    pub fn max_tokens(mut self, n: u32) -> Self {
        self.max_tokens = Some(n);
        self
    }

    /// Sets the sampling temperature.
    pub fn temperature(mut self, t: f64) -> Self {
        self.temperature = Some(t);
        self
    }

    /// Sets nucleus sampling.
    pub fn top_p(mut self, p: f64) -> Self {
        self.top_p = Some(p);
        self
    }

    /// Sets top-k sampling.
    pub fn top_k(mut self, k: u32) -> Self {
        self.top_k = Some(k);
        self
    }

    /// Sets the seed.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self
    }

    /// Adds a stop sequence.
    pub fn stop(mut self, s: impl Into<String>) -> Self {
        self.stop.push(s.into());
        self
    }

    /// Sets the response format.
    pub fn response_format(mut self, format: ResponseFormat) -> Self {
        self.response_format = format;
        self
    }

    /// Asks for a reply in free-form JSON.
    pub fn json(self) -> Self {
        self.response_format(ResponseFormat::Json)
    }

    /// Asks for JSON following the schema of `T`.
    pub fn json_schema_for<T: JsonSchema>(self) -> Self {
        self.response_format(ResponseFormat::json_schema_for::<T>())
    }

    /// Declares a tool.
    pub fn tool(mut self, tool: ToolDef) -> Self {
        self.tools.push(tool);
        self
    }

    /// Declares several tools, in order.
    ///
    /// ```
    /// use genai_core::{ChatRequest, ToolDef};
    /// let names = ["a", "b"];
    /// let req = ChatRequest::new()
    ///     .tools(names.map(|n| ToolDef::new(n, "", serde_json::json!({"type": "object"}))));
    /// assert_eq!(req.tools.len(), 2);
    /// ```
    pub fn tools(mut self, tools: impl IntoIterator<Item = ToolDef>) -> Self {
        self.tools.extend(tools);
        self
    }

    /// Sets how the model must pick tools.
    pub fn tool_choice(mut self, choice: ToolChoice) -> Self {
        self.tool_choice = Some(choice);
        self
    }

    /// Sets how hard a reasoning model thinks.
    pub fn reasoning_effort(mut self, effort: ReasoningEffort) -> Self {
        self.reasoning_effort = Some(effort);
        self
    }

    /// Switches a hybrid model's thinking on or off.
    pub fn thinking(mut self, on: bool) -> Self {
        self.thinking = Some(on);
        self
    }

    /// Uses this fine-tune (LoRA) of the model. The conversation must then be one user turn:
    /// services apply a LoRA to a single prompt.
    pub fn lora(mut self, name: impl Into<String>) -> Self {
        self.lora = Some(name.into());
        self
    }

    /// Sends the single user turn as is, without the chat template (raw completion, for base
    /// models).
    ///
    /// ```
    /// use genai_core::ChatRequest;
    /// let req = ChatRequest::new().user("def fib(n):").raw();
    /// assert!(req.validate().is_ok());
    /// assert!(req.system("x").validate().is_err(), "raw takes one user turn only");
    /// ```
    pub fn raw(mut self) -> Self {
        self.raw = true;
        self
    }

    /// Asks for per-token log-probabilities with the `top` most likely alternatives of each.
    pub fn logprobs(mut self, top: u8) -> Self {
        self.logprobs = Some(top);
        self
    }

    /// Attaches a document to the last user turn (see [`DocumentChat`](crate::DocumentChat)).
    pub fn document(mut self, document: Document) -> Self {
        self.documents.push(document);
        self
    }

    /// The last user turn's text, if any.
    pub fn last_user_message(&self) -> Option<&str> {
        self.messages.iter().rev().find_map(|m| match m {
            Message::User { content, .. } => Some(content.as_str()),
            _ => None,
        })
    }

    /// The declared tool named `name`.
    pub fn find_tool(&self, name: &str) -> Option<&ToolDef> {
        self.tools.iter().find(|t| t.name == name)
    }

    /// Checks the request on its own terms, before any model is involved.
    ///
    /// Fails with [`ErrorKind::InvalidRequest`](crate::ErrorKind::InvalidRequest) and says which
    /// rule was broken.
    pub fn validate(&self) -> Result<()> {
        if self.messages.is_empty() {
            return Err(Error::invalid_request("the request has no messages"));
        }
        if !self
            .messages
            .iter()
            .any(|m| matches!(m, Message::User { .. } | Message::Tool { .. }))
        {
            return Err(Error::invalid_request(
                "the request needs at least one user or tool message",
            ));
        }
        if let Some(d) = self.documents.first() {
            return Err(Error::unsupported(format!(
                "the request carries documents ({} first); a chat model reads them once converted: wrap it in a DocumentChat",
                d.name()
            )));
        }
        if self.max_tokens == Some(0) {
            return Err(Error::invalid_request("max_tokens must be at least 1"));
        }
        if let Some(t) = self.temperature {
            if !(0.0..=5.0).contains(&t) {
                return Err(Error::invalid_request(format!(
                    "temperature must be between 0 and 5, got {t}"
                )));
            }
        }
        if let Some(p) = self.top_p {
            if !(p > 0.0 && p <= 1.0) {
                return Err(Error::invalid_request(format!(
                    "top_p must be in (0, 1], got {p}"
                )));
            }
        }
        if self.top_k == Some(0) {
            return Err(Error::invalid_request("top_k must be at least 1"));
        }
        if self.stop.iter().any(String::is_empty) {
            return Err(Error::invalid_request("a stop sequence is empty"));
        }
        let mut names = HashSet::new();
        for tool in &self.tools {
            validate_tool_name(&tool.name)?;
            if !names.insert(tool.name.as_str()) {
                return Err(Error::invalid_request(format!(
                    "tool `{}` is declared twice",
                    tool.name
                )));
            }
            if !tool.parameters.is_object() {
                return Err(Error::invalid_request(format!(
                    "the parameters of tool `{}` must be a JSON schema object",
                    tool.name
                )));
            }
        }
        match &self.tool_choice {
            Some(ToolChoice::Required) if self.tools.is_empty() => {
                return Err(Error::invalid_request(
                    "tool_choice `required` needs at least one declared tool",
                ))
            }
            Some(ToolChoice::Named(name)) if self.find_tool(name).is_none() => {
                return Err(Error::invalid_request(format!(
                    "tool_choice names `{name}`, which is not a declared tool"
                )))
            }
            _ => {}
        }
        if self.logprobs.is_some_and(|n| n > MAX_TOP_LOGPROBS) {
            return Err(Error::invalid_request(format!(
                "logprobs asks for at most {MAX_TOP_LOGPROBS} alternatives per token"
            )));
        }
        if let Some(lora) = &self.lora {
            if lora.trim().is_empty() {
                return Err(Error::invalid_request("the LoRA name is empty"));
            }
        }
        for (on, what) in [(self.raw, "a raw"), (self.lora.is_some(), "a LoRA")] {
            if !on {
                continue;
            }
            if !matches!(self.messages.as_slice(), [Message::User { .. }]) {
                return Err(Error::invalid_request(format!(
                    "{what} request takes exactly one user turn (a single prompt)"
                )));
            }
            if !self.tools.is_empty() {
                return Err(Error::invalid_request(format!(
                    "{what} request cannot declare tools"
                )));
            }
        }
        if let ResponseFormat::JsonSchema { schema, name } = &self.response_format {
            if !schema.is_object() {
                return Err(Error::invalid_request(format!(
                    "the JSON schema `{name}` must be a JSON object"
                )));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;
    use serde_json::json;

    #[test]
    fn conversation_file_round_trips() {
        let text = r#"[
            {"role":"system","content":"Be brief."},
            {"role":"user","content":"Root of 4?"},
            {"role":"assistant","content":null,"tool_calls":[{"id":null,"name":"square_root","arguments":{"number":4}}]},
            {"role":"tool","content":"2","tool_call_id":"call-1"}
        ]"#;
        let msgs: Vec<Message> = serde_json::from_str(text).unwrap();
        assert_eq!(msgs.len(), 4);
        assert_eq!(
            msgs[2],
            Message::assistant_tool_calls(vec![ToolCall::new("square_root", json!({"number":4}))])
        );
        let back: Vec<Message> =
            serde_json::from_str(&serde_json::to_string(&msgs).unwrap()).unwrap();
        assert_eq!(back, msgs);
    }

    #[test]
    fn misplaced_fields_are_rejected() {
        let bad = r#"{"role":"user","content":"x","tool_call_id":"1"}"#;
        assert!(serde_json::from_str::<Message>(bad).is_err());
        let bad = r#"{"role":"tool","content":"x","tool_calls":[]}"#;
        assert!(serde_json::from_str::<Message>(bad).is_err());
        let bad = r#"{"role":"robot","content":"x"}"#;
        assert!(serde_json::from_str::<Message>(bad).is_err());
    }

    #[test]
    fn validation_names_the_broken_rule() {
        let cases: Vec<(ChatRequest, &str)> = vec![
            (ChatRequest::new(), "no messages"),
            (ChatRequest::new().system("x"), "user or tool"),
            (ChatRequest::new().user("x").max_tokens(0), "max_tokens"),
            (ChatRequest::new().user("x").temperature(9.0), "temperature"),
            (ChatRequest::new().user("x").top_p(0.0), "top_p"),
            (ChatRequest::new().user("x").stop(""), "stop"),
            (
                ChatRequest::new().user("x").tool(ToolDef::new(
                    "bad name",
                    "",
                    json!({"type":"object"}),
                )),
                "tool name",
            ),
            (
                ChatRequest::new()
                    .user("x")
                    .tool(ToolDef::new("a", "", json!({"type":"object"})))
                    .tool(ToolDef::new("a", "", json!({"type":"object"}))),
                "twice",
            ),
            (
                ChatRequest::new()
                    .user("x")
                    .tool(ToolDef::new("a", "", json!(true))),
                "schema object",
            ),
            (
                ChatRequest::new()
                    .user("x")
                    .tool_choice(ToolChoice::Required),
                "required",
            ),
            (
                ChatRequest::new()
                    .user("x")
                    .tool(ToolDef::new("a", "", json!({"type":"object"})))
                    .tool_choice(ToolChoice::Named("b".into())),
                "not a declared tool",
            ),
        ];
        for (req, needle) in cases {
            let err = req.validate().unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidRequest);
            assert!(
                err.message().contains(needle),
                "{} !~ {needle}",
                err.message()
            );
        }
    }

    #[test]
    fn schema_from_type_has_no_title() {
        #[derive(JsonSchema)]
        #[allow(dead_code)]
        struct Country {
            country: String,
        }
        let tool = ToolDef::for_type::<Country>("best_country", "Pick one");
        assert!(tool.parameters.get("title").is_none());
        assert_eq!(tool.parameters["required"], json!(["country"]));
    }
}
