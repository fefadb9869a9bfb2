//! Serde types of the Workers AI wire: request bodies, envelopes, chunks, catalog, errors.

use std::borrow::Cow;
use std::fmt;

use genai_core::{
    ChatRequest, Error, GuardVerdict, Message, ResponseFormat, TokenLogprob, ToolChoice, TopLogprob,
};
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::chat::family::{Family, Traits};
use crate::errors::WireError;
use crate::transport::WireUsage;

// ---------------------------------------------------------------------------------------------
// Requests

/// Stop sequences OpenAI-shaped models accept; the client applies any beyond these.
pub(crate) const MAX_SERVER_STOPS: usize = 4;

/// The body of `POST /ai/run/{model}`, for both wire shapes (and GPT-OSS's Responses form).
#[derive(Debug, Serialize)]
pub(crate) struct RunBody<'a> {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    messages: Vec<WireMessage<'a>>,
    /// The single prompt of a raw or LoRA request (the `Prompt` input form).
    #[serde(skip_serializing_if = "Option::is_none")]
    prompt: Option<&'a str>,
    /// The conversation in GPT-OSS's Responses form.
    #[serde(skip_serializing_if = "Option::is_none")]
    input: Option<Vec<WireMessage<'a>>>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    raw: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    lora: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_tokens: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_completion_tokens: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    temperature: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    top_p: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    top_k: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    seed: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    stop: Option<&'a [String]>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    stream: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tools: Vec<WireTool<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tool_choice: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    response_format: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reasoning_effort: Option<&'static str>,
    /// GPT-OSS's Responses form: `{"effort": …}`.
    #[serde(skip_serializing_if = "Option::is_none")]
    reasoning: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    chat_template_kwargs: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    logprobs: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    top_logprobs: Option<u8>,
}

/// Refuses, before any request, option combinations `traits`'s model cannot express on the
/// wire: GPT-OSS takes a reasoning effort only in its Responses form, whose input has nothing
/// but the conversation and `reasoning`.
pub(crate) fn check_wire(traits: Traits, req: &ChatRequest) -> genai_core::Result<()> {
    if !(traits.responses_effort && req.reasoning_effort.is_some()) {
        return Ok(());
    }
    let others = [
        (req.max_tokens.is_some(), "max_tokens"),
        (req.temperature.is_some(), "temperature"),
        (req.top_p.is_some(), "top_p"),
        (req.top_k.is_some(), "top_k"),
        (req.seed.is_some(), "a seed"),
        (!req.stop.is_empty(), "stop sequences"),
        (!req.tools.is_empty(), "tools"),
        (req.response_format.is_json(), "a JSON reply"),
        (req.logprobs.is_some(), "log-probabilities"),
        (req.raw, "raw prompts"),
        (req.lora.is_some(), "a LoRA"),
    ];
    match others.iter().find(|(on, _)| *on) {
        Some((_, what)) => Err(Error::unsupported(format!(
            "this model takes a reasoning effort only in its Responses form, which has no \
             {what}: drop one of the two"
        ))),
        None => Ok(()),
    }
}

#[derive(Debug, Serialize)]
struct WireMessage<'a> {
    role: &'static str,
    content: Option<Cow<'a, str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tool_calls: Option<Vec<Value>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tool_call_id: Option<Cow<'a, str>>,
}

#[derive(Debug, Serialize)]
struct WireTool<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    function: WireFunctionDef<'a>,
}

#[derive(Debug, Serialize)]
struct WireFunctionDef<'a> {
    name: &'a str,
    description: &'a str,
    parameters: &'a Value,
}

impl<'a> RunBody<'a> {
    /// The body that asks `family` for `req` (no model-specific trait).
    #[cfg(test)]
    pub(crate) fn new(family: Family, req: &'a ChatRequest, stream: bool) -> Self {
        RunBody::for_model(Traits::of_family(family), req, stream)
    }

    /// The body that asks the model of `traits` for `req`.
    pub(crate) fn for_model(traits: Traits, req: &'a ChatRequest, stream: bool) -> Self {
        let family = traits.family;
        let openai = family.openai_wire();
        // A raw or LoRA request is one user turn: it goes as `prompt`, the only input form
        // with `raw` and `lora`.
        let prompt = if req.raw || req.lora.is_some() {
            req.last_user_message()
        } else {
            None
        };
        let responses = traits.responses_effort && req.reasoning_effort.is_some();
        let messages = if openai {
            openai_messages(&req.messages)
        } else {
            native_messages(traits, &req.messages)
        };
        let (messages, input) = match (prompt, responses) {
            (Some(_), _) => (Vec::new(), None),
            (None, true) => (Vec::new(), Some(messages)),
            (None, false) => (messages, None),
        };
        let (max_tokens, max_completion_tokens) = if traits.max_completion_tokens {
            (None, req.max_tokens)
        } else {
            (req.max_tokens, None)
        };
        RunBody {
            messages,
            prompt,
            input,
            raw: req.raw,
            lora: req.lora.as_deref(),
            max_tokens,
            max_completion_tokens,
            temperature: req.temperature,
            top_p: req.top_p,
            top_k: req.top_k,
            seed: req.seed,
            stop: (openai && !req.stop.is_empty())
                .then(|| &req.stop[..req.stop.len().min(MAX_SERVER_STOPS)]),
            stream,
            // Native models have no `tool_choice`: `none` is honoured by not offering tools.
            tools: if openai || req.tool_choice != Some(ToolChoice::None) {
                req.tools.as_slice()
            } else {
                &[]
            }
            .iter()
            .map(|t| WireTool {
                kind: "function",
                function: WireFunctionDef {
                    name: &t.name,
                    description: &t.description,
                    parameters: &t.parameters,
                },
            })
            .collect(),
            tool_choice: if openai {
                req.tool_choice.as_ref().map(|c| match c {
                    ToolChoice::Auto => json!("auto"),
                    ToolChoice::Required => json!("required"),
                    ToolChoice::None => json!("none"),
                    ToolChoice::Named(n) => json!({"type": "function", "function": {"name": n}}),
                })
            } else {
                None
            },
            response_format: match &req.response_format {
                ResponseFormat::Text => None,
                ResponseFormat::Json => Some(json!({"type": "json_object"})),
                ResponseFormat::JsonSchema { name, schema } if openai => Some(json!({
                    "type": "json_schema",
                    "json_schema": {"name": name, "schema": schema, "strict": true},
                })),
                ResponseFormat::JsonSchema { schema, .. } => {
                    Some(json!({"type": "json_schema", "json_schema": schema}))
                }
            },
            reasoning_effort: req
                .reasoning_effort
                .filter(|_| !responses)
                .map(|e| e.as_str()),
            reasoning: req
                .reasoning_effort
                .filter(|_| responses)
                .map(|e| json!({"effort": e.as_str()})),
            chat_template_kwargs: req.thinking.map(|on| {
                let mut kwargs = serde_json::Map::new();
                kwargs.insert(traits.thinking_key.to_owned(), json!(on));
                Value::Object(kwargs)
            }),
            logprobs: req.logprobs.map(|_| true),
            top_logprobs: req.logprobs.filter(|n| *n > 0),
        }
    }
}

fn role_of(m: &Message) -> &'static str {
    match m {
        Message::System { .. } => "system",
        Message::User { .. } => "user",
        Message::Assistant { .. } => "assistant",
        Message::Tool { .. } => "tool",
    }
}

/// Native models take plain string contents. An assistant turn that called tools is written
/// the way the family itself writes calls, so the model recognises its own turn.
fn native_messages(traits: Traits, messages: &[Message]) -> Vec<WireMessage<'_>> {
    let family = traits.family;
    let mut results = 0;
    messages
        .iter()
        .map(|m| {
            let content = match m {
                Message::Assistant {
                    content,
                    tool_calls,
                } if !tool_calls.is_empty() => {
                    let calls: Vec<String> = tool_calls
                        .iter()
                        .map(|c| match family {
                            Family::Hermes => format!(
                                "<tool_call>\n{}\n</tool_call>",
                                json!({"arguments": c.arguments, "name": c.name})
                            ),
                            _ => json!({"name": c.name, "parameters": c.arguments}).to_string(),
                        })
                        .collect();
                    let calls = calls.join("\n");
                    Cow::Owned(if content.is_empty() {
                        calls
                    } else {
                        format!("{content}\n{calls}")
                    })
                }
                other => Cow::Borrowed(other.content()),
            };
            WireMessage {
                role: role_of(m),
                content: Some(content),
                tool_calls: None,
                tool_call_id: match m {
                    Message::Tool { tool_call_id, .. } => {
                        results += 1;
                        match tool_call_id {
                            Some(id) => Some(Cow::Borrowed(id.as_str())),
                            // Mistral-3 needs an id of 9 letters or digits; its flat calls
                            // have none, and the schema's fallback is a 9-digit number.
                            None if traits.tool_call_ids => {
                                Some(Cow::Owned(format!("{results:09}")))
                            }
                            None => None,
                        }
                    }
                    _ => None,
                },
            }
        })
        .collect()
}

/// OpenAI-shaped models want ids on calls and results; calls without one get `call_N`, and
/// a result without an id answers the oldest call not yet answered.
fn openai_messages(messages: &[Message]) -> Vec<WireMessage<'_>> {
    let mut pending: std::collections::VecDeque<String> = Default::default();
    let mut counter = 0;
    messages
        .iter()
        .map(|m| match m {
            Message::Assistant {
                content,
                tool_calls,
            } if !tool_calls.is_empty() => {
                let calls = tool_calls
                    .iter()
                    .map(|c| {
                        let id = c.id.clone().unwrap_or_else(|| {
                            counter += 1;
                            format!("call_{counter}")
                        });
                        pending.push_back(id.clone());
                        json!({
                            "id": id,
                            "type": "function",
                            "function": {"name": c.name, "arguments": c.arguments.to_string()},
                        })
                    })
                    .collect();
                WireMessage {
                    role: "assistant",
                    content: (!content.is_empty()).then_some(Cow::Borrowed(content.as_str())),
                    tool_calls: Some(calls),
                    tool_call_id: None,
                }
            }
            Message::Tool {
                content,
                tool_call_id,
            } => {
                let id = match tool_call_id {
                    Some(id) => {
                        pending.retain(|p| p != id);
                        Cow::Borrowed(id.as_str())
                    }
                    None => Cow::Owned(pending.pop_front().unwrap_or_else(|| "call_0".into())),
                };
                WireMessage {
                    role: "tool",
                    content: Some(Cow::Borrowed(content)),
                    tool_calls: None,
                    tool_call_id: Some(id),
                }
            }
            other => WireMessage {
                role: role_of(other),
                content: Some(Cow::Borrowed(other.content())),
                tool_calls: None,
                tool_call_id: None,
            },
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Replies

/// A sync `result` or a stream chunk: native keys and OpenAI keys, all optional. A chunk may
/// also carry an error (`errors`, `success: false`, `error`).
///
/// Stream chunks are read first by the one-pass chunk reader (`chat/chunk.rs`), which reads
/// the same keys (of this type and the ones below it): a field added here must be read or
/// refused there too.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct WireResult<'a> {
    /// `None` when absent; `Some(ResponseValue::Null)` for an explicit `null`.
    #[serde(default, borrow, deserialize_with = "present")]
    pub(crate) response: Option<ResponseValue<'a>>,
    #[serde(default)]
    pub(crate) tool_calls: Option<Vec<WireToolCall>>,
    #[serde(default)]
    pub(crate) usage: Option<WireUsage>,
    #[serde(default, borrow)]
    pub(crate) choices: Option<Vec<WireChoice<'a>>>,
    #[serde(default)]
    pub(crate) success: Option<bool>,
    #[serde(default)]
    pub(crate) errors: Vec<WireError>,
    #[serde(default)]
    pub(crate) error: Option<Value>,
    /// GPT-OSS's Responses form: the output items (read only when `object` is `response`).
    #[serde(default)]
    pub(crate) output: Option<Vec<WireOutputItem>>,
    #[serde(default)]
    pub(crate) object: Option<String>,
    /// GPT-OSS's Responses form: `incomplete` when cut (see `incomplete_details`).
    #[serde(default)]
    pub(crate) status: Option<String>,
    #[serde(default)]
    pub(crate) incomplete_details: Option<Value>,
}

/// One item of a Responses `output`: a message, a reasoning item or a function call.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct WireOutputItem {
    #[serde(default, rename = "type")]
    pub(crate) kind: Option<String>,
    /// Message and reasoning parts: `[{type, text}]`.
    #[serde(default)]
    pub(crate) content: Option<Vec<WireOutputPart>>,
    /// Reasoning summaries: `[{type, text}]`.
    #[serde(default)]
    pub(crate) summary: Option<Vec<WireOutputPart>>,
    #[serde(default)]
    pub(crate) call_id: Option<String>,
    #[serde(default)]
    pub(crate) name: Option<String>,
    #[serde(default)]
    pub(crate) arguments: Option<Value>,
}

/// `{type, text}` of a Responses message or reasoning item.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct WireOutputPart {
    #[serde(default)]
    pub(crate) text: Option<String>,
}

impl WireResult<'_> {
    /// Whether the service said anything a reply is made of.
    pub(crate) fn has_reply(&self) -> bool {
        self.response.is_some()
            || self.choices.is_some()
            || self.tool_calls.is_some()
            || (self.output.is_some() && self.is_response_object())
    }

    /// Whether this is a Responses-form reply (`"object": "response"`).
    pub(crate) fn is_response_object(&self) -> bool {
        self.object.as_deref() == Some("response")
    }

    /// The error this chunk reports, if it reports one.
    pub(crate) fn reported_error(&self) -> Option<Vec<WireError>> {
        if !self.errors.is_empty() {
            return Some(self.errors.clone());
        }
        let message = match &self.error {
            Some(Value::String(m)) => Some(m.clone()),
            Some(Value::Object(o)) => Some(
                o.get("message")
                    .and_then(Value::as_str)
                    .unwrap_or("the service reported an error")
                    .to_owned(),
            ),
            _ if self.success == Some(false) => {
                Some("the service reported a failure without details".to_owned())
            }
            _ => None,
        }?;
        let code = match &self.error {
            Some(Value::Object(o)) => o.get("code").and_then(Value::as_i64),
            _ => None,
        };
        Some(vec![WireError {
            code,
            message: Some(message),
        }])
    }
}

/// Keeps an explicit `null` apart from an absent field.
fn present<'de: 'a, 'a, D: Deserializer<'de>>(d: D) -> Result<Option<ResponseValue<'a>>, D::Error> {
    ResponseValue::deserialize(d).map(Some)
}

/// `response`: text, or (JSON modes) a JSON value, or `null`.
#[derive(Debug, PartialEq)]
pub(crate) enum ResponseValue<'a> {
    Text(Cow<'a, str>),
    Json(Value),
    Null,
}

impl<'de: 'a, 'a> Deserialize<'de> for ResponseValue<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = ResponseValue<'a>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string, a JSON value or null")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(ResponseValue::Text(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(ResponseValue::Text(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(ResponseValue::Text(Cow::Owned(v)))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
                Ok(ResponseValue::Json(Value::Bool(v)))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                Ok(ResponseValue::Json(v.into()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                Ok(ResponseValue::Json(v.into()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
                Ok(ResponseValue::Json(json!(v)))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(ResponseValue::Null)
            }
            fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(ResponseValue::Null)
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
                d.deserialize_any(self)
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                Value::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(ResponseValue::Json)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
                Value::deserialize(de::value::SeqAccessDeserializer::new(seq))
                    .map(ResponseValue::Json)
            }
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}

/// A tool call in any of the service's shapes: flat `{name, arguments}`, OpenAI
/// `{id, type, function: {name, arguments}}`, or a streamed delta with `index`.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct WireToolCall {
    #[serde(default)]
    pub(crate) index: Option<u32>,
    #[serde(default)]
    pub(crate) id: Option<String>,
    #[serde(default)]
    pub(crate) name: Option<String>,
    #[serde(default)]
    pub(crate) arguments: Option<Value>,
    #[serde(default)]
    pub(crate) function: Option<WireFunction>,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct WireFunction {
    #[serde(default)]
    pub(crate) name: Option<String>,
    #[serde(default)]
    pub(crate) arguments: Option<Value>,
}

/// One OpenAI choice: `message` in a reply, `delta` in a chunk.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct WireChoice<'a> {
    #[serde(default, borrow)]
    pub(crate) message: Option<WireChatMessage<'a>>,
    #[serde(default, borrow)]
    pub(crate) delta: Option<WireChatMessage<'a>>,
    #[serde(default)]
    pub(crate) finish_reason: Option<String>,
    /// What stopped the model: the matched stop sequence, a token id, or `null`.
    #[serde(default)]
    pub(crate) stop_reason: Option<Value>,
    /// The text of a completion (`prompt` input) reply.
    #[serde(default, borrow)]
    pub(crate) text: Option<Cow<'a, str>>,
    #[serde(default)]
    pub(crate) logprobs: Option<WireLogprobs>,
}

/// `choices[].logprobs`: `{content: [{token, logprob, top_logprobs: [{token, logprob}]}]}`.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct WireLogprobs {
    #[serde(default)]
    pub(crate) content: Option<Vec<WireTokenLogprob>>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct WireTokenLogprob {
    pub(crate) token: String,
    pub(crate) logprob: f64,
    #[serde(default)]
    pub(crate) top_logprobs: Vec<WireTopLogprob>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct WireTopLogprob {
    pub(crate) token: String,
    pub(crate) logprob: f64,
}

impl WireTokenLogprob {
    pub(crate) fn normalise(self) -> TokenLogprob {
        TokenLogprob {
            token: self.token,
            logprob: self.logprob,
            top: self
                .top_logprobs
                .into_iter()
                .map(|t| TopLogprob {
                    token: t.token,
                    logprob: t.logprob,
                })
                .collect(),
        }
    }
}

/// A Llama Guard verdict from the reply text (or the JSON object the service made of it).
pub(crate) fn guard_verdict(text: &str) -> genai_core::Result<GuardVerdict> {
    GuardVerdict::parse(text).ok_or_else(|| {
        Error::protocol(format!(
            "the classifier's reply is not a verdict (`safe`, or `unsafe` and categories): {}",
            genai_core::text::excerpt(text, 120)
        ))
    })
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct WireChatMessage<'a> {
    #[serde(default, borrow)]
    pub(crate) content: Option<ResponseValue<'a>>,
    #[serde(default, borrow)]
    pub(crate) reasoning_content: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    pub(crate) reasoning: Option<Cow<'a, str>>,
    #[serde(default)]
    pub(crate) tool_calls: Option<Vec<WireToolCall>>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use genai_core::{ToolCall, ToolDef};

    fn body(family: Family, req: &ChatRequest, stream: bool) -> Value {
        serde_json::to_value(RunBody::new(family, req, stream)).unwrap()
    }

    #[test]
    fn native_body_has_no_openai_only_fields() {
        let req = ChatRequest::new()
            .user("Hi")
            .max_tokens(5)
            .seed(3)
            .stop("x")
            .tool(ToolDef::new("t", "d", json!({"type":"object"})))
            .tool_choice(ToolChoice::Auto)
            .json();
        let b = body(Family::Llama3, &req, true);
        assert_eq!(
            b,
            json!({
                "messages":[{"role":"user","content":"Hi"}],
                "max_tokens":5, "seed":3, "stream":true,
                "tools":[{"type":"function","function":{"name":"t","description":"d","parameters":{"type":"object"}}}],
                "response_format":{"type":"json_object"}
            })
        );
        let b = body(Family::Llama3, &ChatRequest::new().user("Hi"), false);
        assert_eq!(b, json!({"messages":[{"role":"user","content":"Hi"}]}));
    }

    #[test]
    fn openai_body_carries_stop_choice_and_named_schema() {
        let req = ChatRequest::new()
            .user("Hi")
            .stop("x")
            .tool(ToolDef::new("t", "d", json!({"type":"object"})))
            .tool_choice(ToolChoice::Named("t".into()))
            .response_format(ResponseFormat::JsonSchema {
                name: "A".into(),
                schema: json!({"type":"object"}),
            });
        let b = body(Family::OpenAiChat, &req, false);
        assert_eq!(b["stop"], json!(["x"]));
        assert_eq!(
            b["tool_choice"],
            json!({"type":"function","function":{"name":"t"}})
        );
        assert_eq!(
            b["response_format"],
            json!({"type":"json_schema","json_schema":{"name":"A","schema":{"type":"object"},"strict":true}})
        );
    }

    #[test]
    fn family_options_take_each_wire_form() {
        use genai_core::ReasoningEffort;
        let glm = Traits::of("@cf/zai-org/glm-4.7-flash");
        let req = ChatRequest::new()
            .user("Hi")
            .max_tokens(7)
            .reasoning_effort(ReasoningEffort::Low)
            .thinking(false)
            .logprobs(2);
        let b = serde_json::to_value(RunBody::for_model(glm, &req, false)).unwrap();
        assert_eq!(
            b,
            json!({"messages":[{"role":"user","content":"Hi"}],"max_completion_tokens":7,
                   "reasoning_effort":"low","chat_template_kwargs":{"enable_thinking":false},
                   "logprobs":true,"top_logprobs":2})
        );
        let oss = Traits::of("@cf/openai/gpt-oss-20b");
        let req = ChatRequest::new()
            .system("Be brief.")
            .user("Hi")
            .reasoning_effort(ReasoningEffort::High);
        let b = serde_json::to_value(RunBody::for_model(oss, &req, false)).unwrap();
        assert_eq!(
            b,
            json!({"input":[{"role":"system","content":"Be brief."},{"role":"user","content":"Hi"}],
                   "reasoning":{"effort":"high"}})
        );
        assert!(check_wire(oss, &req).is_ok());
        let err = check_wire(oss, &req.clone().seed(1)).unwrap_err();
        assert_eq!(err.kind(), genai_core::ErrorKind::Unsupported);
        assert!(check_wire(glm, &req.seed(1)).is_ok());
        let lora = ChatRequest::new().user("Hi").lora("adapter");
        let b = body(Family::Llama3, &lora, true);
        assert_eq!(b, json!({"prompt":"Hi","lora":"adapter","stream":true}));
        let raw = ChatRequest::new().user("def f():").raw();
        assert_eq!(
            body(Family::Native, &raw, false),
            json!({"prompt":"def f():","raw":true})
        );
    }

    #[test]
    fn tool_history_per_wire() {
        let call = ToolCall::new("square_root", json!({"number": 144}));
        let req = ChatRequest::new()
            .user("root?")
            .message(Message::assistant_tool_calls(vec![call.clone()]))
            .message(Message::tool_result(&call, "12"));
        let native = body(Family::Llama3, &req, false);
        assert_eq!(
            native["messages"][1],
            json!({"role":"assistant","content":"{\"name\":\"square_root\",\"parameters\":{\"number\":144}}"})
        );
        assert_eq!(native["messages"][2], json!({"role":"tool","content":"12"}));
        let hermes = body(Family::Hermes, &req, false);
        assert!(hermes["messages"][1]["content"]
            .as_str()
            .unwrap()
            .starts_with("<tool_call>"));
        let openai = body(Family::OpenAiChat, &req, false);
        assert_eq!(openai["messages"][1]["tool_calls"][0]["id"], "call_1");
        assert_eq!(
            openai["messages"][1]["tool_calls"][0]["function"]["arguments"],
            "{\"number\":144}"
        );
        assert_eq!(openai["messages"][1]["content"], Value::Null);
        assert_eq!(openai["messages"][2]["tool_call_id"], "call_1");
    }

    #[test]
    fn response_takes_every_shape() {
        let cases = [
            (
                r#"{"response":"hi"}"#,
                Some(ResponseValue::Text("hi".into())),
            ),
            (
                r#"{"response":"a\"b"}"#,
                Some(ResponseValue::Text("a\"b".into())),
            ),
            (
                r#"{"response":{"a":1}}"#,
                Some(ResponseValue::Json(json!({"a":1}))),
            ),
            (
                r#"{"response":true}"#,
                Some(ResponseValue::Json(json!(true))),
            ),
            (r#"{"response":null}"#, Some(ResponseValue::Null)),
            (r#"{}"#, None),
        ];
        for (text, expected) in cases {
            let r: WireResult<'_> = serde_json::from_str(text).unwrap();
            assert_eq!(r.response, expected, "{text}");
        }
    }
}
