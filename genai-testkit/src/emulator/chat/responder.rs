//! The deterministic responder: reads a chat request and decides what the "model" says,
//! independently of any wire family. Families (see `families.rs`) then dress the answer up.
//!
//! Rules: one word = one token; no randomness; `seed` and sampling fields change nothing.

use serde_json::{json, Map, Value};

/// One conversation turn, content flattened to text.
#[derive(Debug, Clone)]
pub(crate) struct Turn {
    pub(crate) role: String,
    pub(crate) content: String,
    /// `tool_call_id` of a tool turn, as sent.
    pub(crate) tool_call_id: Option<String>,
}

/// Which input form of the model's schema the body used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum InputForm {
    /// `messages`.
    Messages,
    /// `prompt` (the only form with `raw` and `lora`).
    Prompt,
    /// `input` (GPT-OSS's Responses form, with `reasoning`).
    Responses,
}

/// A declared tool.
#[derive(Debug, Clone)]
pub(crate) struct OfferedTool {
    pub(crate) name: String,
    pub(crate) parameters: Value,
}

/// The `tool_choice` field.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ToolDemand {
    Auto,
    None,
    Required,
    Named(String),
}

/// The `response_format` field.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Format {
    Text,
    JsonObject,
    /// The schema itself (unwrapped from the OpenAI `{name, schema, strict}` form).
    JsonSchema(Value),
}

/// A chat request, read from either wire family's body.
#[derive(Debug, Clone)]
pub(crate) struct Ask {
    pub(crate) turns: Vec<Turn>,
    pub(crate) tools: Vec<OfferedTool>,
    pub(crate) tool_choice: ToolDemand,
    pub(crate) format: Format,
    pub(crate) max_tokens: Option<usize>,
    pub(crate) stop: Vec<String>,
    pub(crate) stream: bool,
    pub(crate) form: InputForm,
    /// `raw` (prompt form).
    pub(crate) raw: bool,
    /// `lora` (prompt form; ignored by the messages form, as the service does).
    pub(crate) lora: Option<String>,
    /// `reasoning_effort`, or `reasoning.effort` in the Responses form.
    pub(crate) reasoning_effort: Option<String>,
    /// `chat_template_kwargs.enable_thinking`.
    pub(crate) enable_thinking: Option<bool>,
    /// `chat_template_kwargs.thinking` (Kimi K2.6's name for the switch).
    pub(crate) thinking: Option<bool>,
    /// `logprobs: true`, with `top_logprobs` alternatives.
    pub(crate) logprobs: Option<usize>,
    /// What the images attached to the request show (vision models answer with it).
    pub(crate) images: Vec<String>,
}

/// Why a body was refused (Workers AI answers 400 code 5006).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum AskError {
    NotJson,
    NoInput,
    BadField(&'static str),
}

impl AskError {
    /// The error message, in the service's style.
    pub(crate) fn message(&self) -> String {
        match self {
            AskError::NotJson => {
                "AiError: Bad input: Error: the request body is not valid JSON".to_owned()
            }
            AskError::NoInput => "AiError: Bad input: Error: oneOf at '/' not met, 0 matches: \
                 required properties at '/' are 'prompt'; required properties at '/' are \
                 'messages'"
                .to_owned(),
            AskError::BadField(field) => {
                format!("AiError: Bad input: Error: Type mismatch of '/{field}'")
            }
        }
    }
}

impl Ask {
    /// Reads a request body.
    pub(crate) fn parse(body: &[u8]) -> Result<Ask, AskError> {
        let value: Value = serde_json::from_slice(body).map_err(|_| AskError::NotJson)?;
        let Value::Object(body) = value else {
            return Err(AskError::NotJson);
        };
        let user = |content: &str| Turn {
            role: "user".to_owned(),
            content: content.to_owned(),
            tool_call_id: None,
        };
        let (turns, form) = match (body.get("messages"), body.get("prompt"), body.get("input")) {
            (Some(Value::Array(messages)), _, _) => {
                (messages.iter().map(turn_of).collect(), InputForm::Messages)
            }
            (Some(_), _, _) => return Err(AskError::BadField("messages")),
            (None, Some(Value::String(prompt)), _) => (vec![user(prompt)], InputForm::Prompt),
            (None, Some(_), _) => return Err(AskError::BadField("prompt")),
            (None, None, Some(Value::String(input))) => (vec![user(input)], InputForm::Responses),
            (None, None, Some(Value::Array(items))) => {
                (items.iter().map(turn_of).collect(), InputForm::Responses)
            }
            (None, None, Some(_)) => return Err(AskError::BadField("input")),
            (None, None, None) => return Err(AskError::NoInput),
        };
        let raw = match body.get("raw") {
            None | Some(Value::Null) => false,
            Some(Value::Bool(raw)) => *raw,
            Some(_) => return Err(AskError::BadField("raw")),
        };
        let lora = match body.get("lora") {
            None | Some(Value::Null) => None,
            Some(Value::String(name)) => Some(name.clone()),
            Some(_) => return Err(AskError::BadField("lora")),
        };
        let effort_field = match form {
            InputForm::Responses => body.get("reasoning").and_then(|r| r.get("effort")),
            _ => body.get("reasoning_effort"),
        };
        let reasoning_effort = match effort_field {
            None | Some(Value::Null) => None,
            Some(Value::String(e)) if ["low", "medium", "high"].contains(&e.as_str()) => {
                Some(e.clone())
            }
            Some(_) => return Err(AskError::BadField("reasoning_effort")),
        };
        let kwarg = |key: &str| {
            body.get("chat_template_kwargs")
                .and_then(|k| k.get(key))
                .and_then(Value::as_bool)
        };
        let enable_thinking = kwarg("enable_thinking");
        let thinking = kwarg("thinking");
        let logprobs = match body.get("logprobs") {
            Some(Value::Bool(true)) => Some(
                body.get("top_logprobs")
                    .and_then(Value::as_u64)
                    .map_or(0, |n| usize::try_from(n).unwrap_or(0)),
            ),
            _ => None,
        };
        let tools = match body.get("tools") {
            Some(Value::Array(tools)) => tools.iter().filter_map(tool_of).collect(),
            None | Some(Value::Null) => Vec::new(),
            Some(_) => return Err(AskError::BadField("tools")),
        };
        let max_tokens = ["max_completion_tokens", "max_tokens"]
            .iter()
            .find_map(|key| body.get(*key).and_then(Value::as_u64))
            .map(|n| usize::try_from(n).unwrap_or(usize::MAX));
        let stop = match body.get("stop") {
            Some(Value::String(stop)) => vec![stop.clone()],
            Some(Value::Array(stops)) => stops
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect(),
            _ => Vec::new(),
        };
        Ok(Ask {
            turns,
            tools,
            tool_choice: tool_choice_of(body.get("tool_choice")),
            format: format_of(body.get("response_format")),
            max_tokens,
            stop,
            stream: body.get("stream").and_then(Value::as_bool).unwrap_or(false),
            form,
            raw,
            lora,
            reasoning_effort,
            enable_thinking,
            thinking,
            logprobs,
            images: images_of(&body),
        })
    }

    /// The last user turn's text (empty when none).
    pub(crate) fn last_user(&self) -> &str {
        self.turns
            .iter()
            .rev()
            .find(|t| t.role == "user")
            .map_or("", |t| t.content.as_str())
    }

    /// Words in all turns: the prompt token count.
    pub(crate) fn prompt_tokens(&self) -> usize {
        self.turns.iter().map(|t| word_count(&t.content)).sum()
    }
}

/// Descriptions of the images of a chat body: Llama 3.2 Vision's top-level `image` (base64
/// or an int array) and `image_url` parts with `data:` URIs.
fn images_of(body: &serde_json::Map<String, Value>) -> Vec<String> {
    let mut out = Vec::new();
    match body.get("image") {
        Some(Value::String(b64)) => out.extend(super::super::image::describe_encoded(b64)),
        Some(Value::Array(items)) => {
            let bytes: Option<Vec<u8>> = items
                .iter()
                .map(|v| v.as_u64().and_then(|n| u8::try_from(n).ok()))
                .collect();
            out.extend(bytes.and_then(|b| super::super::image::describe(&b)));
        }
        _ => {}
    }
    let parts = body
        .get("messages")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|m| m.get("content").and_then(Value::as_array))
        .flatten();
    for part in parts {
        if let Some(url) = part.pointer("/image_url/url").and_then(Value::as_str) {
            out.extend(super::super::image::describe_encoded(url));
        }
    }
    out
}

fn turn_of(message: &Value) -> Turn {
    let role = message
        .get("role")
        .and_then(Value::as_str)
        .unwrap_or("user")
        .to_owned();
    let content = match message.get("content") {
        Some(Value::String(text)) => text.clone(),
        Some(Value::Array(parts)) => parts
            .iter()
            .filter_map(|part| part.get("text").and_then(Value::as_str))
            .collect::<Vec<_>>()
            .join(" "),
        _ => String::new(),
    };
    let tool_call_id = message
        .get("tool_call_id")
        .and_then(Value::as_str)
        .map(str::to_owned);
    Turn {
        role,
        content,
        tool_call_id,
    }
}

fn tool_of(tool: &Value) -> Option<OfferedTool> {
    // `{"type":"function","function":{...}}`, or the bare function object.
    let function = tool.get("function").unwrap_or(tool);
    let name = function.get("name")?.as_str()?.to_owned();
    let parameters = function
        .get("parameters")
        .cloned()
        .unwrap_or_else(|| json!({}));
    Some(OfferedTool { name, parameters })
}

fn tool_choice_of(value: Option<&Value>) -> ToolDemand {
    match value {
        Some(Value::String(choice)) => match choice.as_str() {
            "none" => ToolDemand::None,
            "required" | "any" => ToolDemand::Required,
            _ => ToolDemand::Auto,
        },
        Some(Value::Object(choice)) => choice
            .get("function")
            .and_then(|f| f.get("name"))
            .or_else(|| choice.get("name"))
            .and_then(Value::as_str)
            .map_or(ToolDemand::Auto, |name| ToolDemand::Named(name.to_owned())),
        _ => ToolDemand::Auto,
    }
}

fn format_of(value: Option<&Value>) -> Format {
    let Some(format) = value else {
        return Format::Text;
    };
    match format.get("type").and_then(Value::as_str) {
        Some("json_object") => Format::JsonObject,
        Some("json_schema") => {
            let schema = format
                .get("json_schema")
                .cloned()
                .unwrap_or_else(|| json!({}));
            // OpenAI form: {name, schema, strict}; native form: the schema itself.
            match schema.get("schema") {
                Some(inner) if schema.get("type").is_none() => Format::JsonSchema(inner.clone()),
                _ => Format::JsonSchema(schema),
            }
        }
        _ => Format::Text,
    }
}

/// A tool call decided by the responder.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Call {
    pub(crate) name: String,
    pub(crate) arguments: Value,
}

/// What the model says, before any dialect dresses it up.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Said {
    Text(String),
    Call(Call),
    Json(Value),
}

/// The responder's whole reply: visible answer and hidden reasoning.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Reply {
    pub(crate) reasoning: String,
    pub(crate) answer: Said,
}

/// Decides the reply. `calls_tools` says whether the family makes tool calls at all.
pub(crate) fn respond(ask: &Ask, calls_tools: bool) -> Reply {
    let last_is_user = ask.turns.last().is_some_and(|t| t.role == "user");
    // A raw prompt has no chat template: no tools can be offered through it.
    let calls_tools = calls_tools && !ask.raw;
    if calls_tools && last_is_user && !ask.tools.is_empty() && ask.tool_choice != ToolDemand::None {
        if let Some(call) = choose_call(ask) {
            return Reply {
                reasoning: format!("The user wants the {} tool, so I will call it.", call.name),
                answer: Said::Call(call),
            };
        }
    }
    let (reasoning, text) = text_reply(ask);
    let answer = match &ask.format {
        Format::Text => Said::Text(text),
        Format::JsonObject => Said::Json(json_without_schema(ask.last_user(), &text)),
        Format::JsonSchema(schema) => Said::Json(value_for(schema, ask.last_user(), "value")),
    };
    Reply { reasoning, answer }
}

fn choose_call(ask: &Ask) -> Option<Call> {
    let prompt = ask.last_user();
    let tool = match &ask.tool_choice {
        ToolDemand::Named(name) => ask.tools.iter().find(|t| &t.name == name),
        _ => None,
    }
    .or_else(|| ask.tools.iter().find(|t| prompt.contains(t.name.as_str())))
    .or_else(|| ask.tools.first())?;
    Some(Call {
        name: tool.name.clone(),
        arguments: value_for(&tool.parameters, prompt, "value"),
    })
}

/// A value following `schema`, filled from the prompt: numbers found in the prompt (in order)
/// for number fields, the enum value named first in the prompt for enum fields, `true` for
/// booleans, a plausible string otherwise.
pub(crate) fn value_for(schema: &Value, prompt: &str, name: &str) -> Value {
    let mut numbers = numbers_in(prompt).into_iter();
    fill(schema, prompt, name, &mut numbers)
}

fn fill(
    schema: &Value,
    prompt: &str,
    name: &str,
    numbers: &mut impl Iterator<Item = Value>,
) -> Value {
    if let Some(choices) = schema.get("enum").and_then(Value::as_array) {
        return first_named(choices, prompt).unwrap_or(Value::Null);
    }
    let kind = match schema.get("type") {
        Some(Value::String(kind)) => kind.as_str(),
        Some(Value::Array(kinds)) => kinds
            .iter()
            .filter_map(Value::as_str)
            .find(|k| *k != "null")
            .unwrap_or("null"),
        _ if schema.get("properties").is_some() => "object",
        _ => "string",
    };
    match kind {
        "object" => {
            let mut object = Map::new();
            if let Some(properties) = schema.get("properties").and_then(Value::as_object) {
                for (key, sub) in properties {
                    object.insert(key.clone(), fill(sub, prompt, key, numbers));
                }
            }
            Value::Object(object)
        }
        "array" => {
            let items = schema.get("items").cloned().unwrap_or_else(|| json!({}));
            Value::Array(vec![fill(&items, prompt, name, numbers)])
        }
        "number" | "integer" => numbers.next().unwrap_or_else(|| json!(42)),
        "boolean" => Value::Bool(true),
        "null" => Value::Null,
        _ => Value::String(quoted_in(prompt).unwrap_or_else(|| format!("example {name}"))),
    }
}

/// The choice whose text appears first in the prompt (case-insensitive); else the first one.
fn first_named(choices: &[Value], prompt: &str) -> Option<Value> {
    let lower = prompt.to_lowercase();
    choices
        .iter()
        .filter_map(|choice| {
            let text = match choice {
                Value::String(s) => s.to_lowercase(),
                other => other.to_string(),
            };
            lower.find(&text).map(|at| (at, choice))
        })
        .min_by_key(|(at, _)| *at)
        .map(|(_, choice)| choice.clone())
        .or_else(|| choices.first().cloned())
}

/// Numbers written with digits in `text`, as JSON numbers (integers stay integers).
fn numbers_in(text: &str) -> Vec<Value> {
    let mut numbers = Vec::new();
    let mut current = String::new();
    let flush = |current: &mut String, numbers: &mut Vec<Value>| {
        let token = current.trim_end_matches('.');
        if let Ok(n) = token.parse::<i64>() {
            numbers.push(json!(n));
        } else if let Ok(x) = token.parse::<f64>() {
            numbers.push(json!(x));
        }
        current.clear();
    };
    for c in text.chars() {
        if c.is_ascii_digit() || (c == '.' && !current.is_empty()) {
            current.push(c);
        } else if !current.is_empty() {
            flush(&mut current, &mut numbers);
        }
    }
    if !current.is_empty() {
        flush(&mut current, &mut numbers);
    }
    numbers
}

fn quoted_in(text: &str) -> Option<String> {
    let start = text.find(['"', '\''])?;
    let quote = text[start..].chars().next()?;
    let rest = &text[start + 1..];
    let end = rest.find(quote)?;
    (end > 0).then(|| rest[..end].to_owned())
}

/// JSON mode without a schema: a field the prompt names, else `{"answer": text}`.
fn json_without_schema(prompt: &str, text: &str) -> Value {
    let field = after_phrase(prompt, "field named ")
        .or_else(|| after_phrase(prompt, "field "))
        .or_else(|| quoted_in(prompt).filter(|q| is_identifier(q)));
    match field {
        Some(field) => {
            let mut object = Map::new();
            object.insert(field, Value::Bool(true));
            Value::Object(object)
        }
        None => json!({ "answer": text }),
    }
}

fn after_phrase(text: &str, phrase: &str) -> Option<String> {
    let lower = text.to_lowercase();
    let at = lower.find(phrase)? + phrase.len();
    let word: String = text[at..]
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect();
    is_identifier(&word).then_some(word)
}

fn is_identifier(word: &str) -> bool {
    !word.is_empty() && word.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The reasoning and the visible text answer to the conversation.
fn text_reply(ask: &Ask) -> (String, String) {
    if let Some(result) = ask.turns.last().filter(|t| t.role == "tool") {
        let content = result.content.trim().to_owned();
        return (
            format!("The tool returned {content}, so that is the answer."),
            content,
        );
    }
    if let Some(seen) = ask.images.last() {
        let text = format!("The image shows {seen}");
        return (text.clone(), text);
    }
    let prompt = ask.last_user();
    // Asked (in the system turn) to summarise the user's text: its leading sentences, within
    // the word limit the instruction gives.
    let summarise = ask
        .turns
        .iter()
        .find(|t| t.role == "system")
        .filter(|t| t.content.to_lowercase().starts_with("summarise the text"));
    if let Some(instruction) = summarise {
        let limit = number_after(&instruction.content.to_lowercase(), "under ")
            .map_or(60, |n| n.max(1.0) as usize);
        let mut summary = String::new();
        for sentence in prompt.split_inclusive(['.', '!', '?']) {
            let next = format!("{summary}{sentence}");
            if word_count(next.trim()) > limit && !summary.is_empty() {
                break;
            }
            summary = next;
        }
        let (summary, _) = cut_words(summary.trim(), limit);
        return (
            "The first sentences carry the main points.".to_owned(),
            summary,
        );
    }
    let lower = prompt.to_lowercase();
    if let Some(n) = number_after(&lower, "square root of ") {
        let root = format_number(n.sqrt());
        return (
            format!(
                "The square root of {} is the number that squared gives it: {root}.",
                format_number(n)
            ),
            root,
        );
    }
    if let Some((a, b)) = product_in(&lower) {
        let (a, b, p) = (format_number(a), format_number(b), format_number(a * b));
        return (
            format!("The user asks for {a} times {b}. Multiplying {a} by {b} gives {p}."),
            format!("{a} times {b} is {p}."),
        );
    }
    if lower.contains("count from one to ten") {
        return (
            "The user wants the numbers from one to ten written as words.".to_owned(),
            "one two three four five six seven eight nine ten".to_owned(),
        );
    }
    if lower.contains("one word") {
        let word = prompt
            .rsplit(':')
            .next()
            .map(|w| w.trim().trim_end_matches('.').trim())
            .filter(|w| !w.is_empty() && !w.contains(' '))
            .map_or_else(|| "Hello".to_owned(), capitalize);
        return (
            format!("A single word is wanted, so I will answer {word}."),
            format!("{word}."),
        );
    }
    if lower.contains("hello") {
        return (
            "The user greets me; I greet back.".to_owned(),
            "Hello.".to_owned(),
        );
    }
    if let Some(answer) = yes_no_category(prompt) {
        return (
            "This is a yes or no question about a category.".to_owned(),
            answer,
        );
    }
    if lower.contains("tide") {
        return (
            "The user wants a long explanation of tides.".to_owned(),
            TIDES.to_owned(),
        );
    }
    if ["explain", "detailed", "describe", "essay"]
        .iter()
        .any(|w| lower.contains(w))
    {
        return (
            "The user wants a long explanation.".to_owned(),
            long_answer(prompt),
        );
    }
    if let Some(sentence) = looked_up(ask, &lower) {
        return (
            "The answer was given earlier in the conversation.".to_owned(),
            sentence,
        );
    }
    (
        "The request has no special form; I give a short reply.".to_owned(),
        "This is the emulator's reply to your message.".to_owned(),
    )
}

fn number_after(lower: &str, phrase: &str) -> Option<f64> {
    let at = lower.find(phrase)? + phrase.len();
    let digits: String = lower[at..]
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    digits.trim_end_matches('.').parse().ok()
}

fn product_in(lower: &str) -> Option<(f64, f64)> {
    let words: Vec<&str> = lower.split_whitespace().collect();
    let at = words.iter().position(|w| *w == "times")?;
    let parse = |w: &str| {
        w.trim_matches(|c: char| !c.is_ascii_digit())
            .parse::<f64>()
            .ok()
    };
    Some((
        parse(words.get(at.checked_sub(1)?)?)?,
        parse(words.get(at + 1)?)?,
    ))
}

fn format_number(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else {
        format!("{x:.2}")
    }
}

fn capitalize(word: &str) -> String {
    let mut chars = word.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_uppercase().chain(chars).collect()
    })
}

/// "Is an apple a fruit?" -> "Yes, an apple is a fruit."
fn yes_no_category(prompt: &str) -> Option<String> {
    let question = prompt.split('?').next()?;
    let words: Vec<&str> = question.split_whitespace().collect();
    if words.len() != 5 || !words[0].eq_ignore_ascii_case("is") {
        return None;
    }
    let (article, thing, article2, category) = (words[1], words[2], words[3], words[4]);
    let is_article = |w: &str| matches!(w.to_lowercase().as_str(), "a" | "an");
    (is_article(article) && is_article(article2)).then(|| {
        format!(
            "Yes, {} {thing} is {article2} {category}.",
            article.to_lowercase()
        )
    })
}

/// "What is the capital of X?" answered from an earlier turn saying "the capital of X is Y".
fn looked_up(ask: &Ask, lower: &str) -> Option<String> {
    let subject = lower
        .strip_prefix("what is ")?
        .trim_end_matches('?')
        .trim()
        .to_owned();
    let subject = subject.strip_prefix("the ").unwrap_or(&subject).to_owned();
    ask.turns
        .iter()
        .flat_map(|t| t.content.split(['.', '\n']))
        .find(|sentence| sentence.to_lowercase().contains(&format!("{subject} is ")))
        .map(|sentence| format!("{}.", sentence.trim().trim_start_matches('#').trim()))
}

fn long_answer(prompt: &str) -> String {
    let topic = prompt.trim().trim_end_matches(['.', '?', '!']);
    format!(
        "You asked: \"{topic}\". Here is a long answer written by the genai-rs emulator, which \
         does not know anything but still likes to talk.\n\nFirst, every subject has a history: \
         people noticed something, gave it a name, argued about it for a long time and finally \
         agreed on a few ideas that survived careful testing. Those ideas are what textbooks \
         call the basics, and they are usually simpler than they first look.\n\nSecond, every \
         subject has mechanisms: causes that lead to effects in a predictable way. Describing \
         them well means saying what pushes, what resists, and what balances the two over \
         time.\n\nThird, every subject has consequences that matter in daily life, which is \
         why people keep explaining it to each other. A good explanation ends with an \
         example, a caveat, and an invitation to look further."
    )
}

/// Our own explanation of tides, used for the max_tokens prompt (well over 100 words).
const TIDES: &str = "Tides are the slow rise and fall of the sea that most coasts see about \
     twice a day. They come mainly from the pull of the Moon, helped by the Sun.\n\nGravity \
     weakens with distance, so the Moon pulls the ocean on the side of the Earth facing it a \
     little harder than it pulls the Earth's centre, and pulls the centre a little harder than \
     the far side. The difference stretches the oceans into two bulges: one under the Moon and \
     one on the opposite side. As the Earth turns, a coastline passes through both bulges, \
     which gives two high tides and two low tides in a little more than a day.\n\nThe Sun adds \
     a smaller stretch of its own. When Sun and Moon line up, at new and full moon, the effects \
     add up and we get large spring tides; when they pull at right angles, the ranges shrink \
     into neap tides.\n\nReal tides are shaped by the coast as well: shallow shelves, bays and \
     estuaries can funnel the water and raise the range to many metres, while some enclosed \
     seas barely notice the tide at all.";

/// Words in `text` (whitespace-separated).
pub(crate) fn word_count(text: &str) -> usize {
    text.split_whitespace().count()
}

/// Splits `text` into word tokens: each token is leading whitespace plus one word; the
/// concatenation of all tokens is `text` (trailing whitespace joins the last token).
pub(crate) fn word_tokens(text: &str) -> Vec<&str> {
    let mut tokens = Vec::new();
    let mut start = 0;
    let mut in_word = false;
    for (at, c) in text.char_indices() {
        if c.is_whitespace() {
            if in_word {
                tokens.push(&text[start..at]);
                start = at;
                in_word = false;
            }
        } else {
            in_word = true;
        }
    }
    if start < text.len() {
        match tokens.pop() {
            // Trailing whitespace joins the last token.
            Some(last) if !in_word => {
                let begin = start - last.len();
                tokens.push(&text[begin..]);
            }
            last => {
                tokens.extend(last);
                tokens.push(&text[start..]);
            }
        }
    }
    tokens
}

/// The first `limit` words of `text`, and whether it was cut.
pub(crate) fn cut_words(text: &str, limit: usize) -> (String, bool) {
    let tokens = word_tokens(text);
    if tokens.len() <= limit {
        (text.to_owned(), false)
    } else {
        (tokens[..limit].concat(), true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ask(body: Value) -> Ask {
        Ask::parse(body.to_string().as_bytes()).unwrap()
    }

    fn user(text: &str) -> Value {
        json!({"messages": [{"role": "user", "content": text}]})
    }

    fn text_of(reply: &Reply) -> &str {
        match &reply.answer {
            Said::Text(text) => text,
            other => panic!("not text: {other:?}"),
        }
    }

    #[test]
    fn refuses_bodies_without_input() {
        assert_eq!(Ask::parse(b"nope").unwrap_err(), AskError::NotJson);
        assert_eq!(Ask::parse(b"{}").unwrap_err(), AskError::NoInput);
        assert!(AskError::NoInput.message().contains("'messages'"));
    }

    #[test]
    fn answers_the_conformance_prompts() {
        let hello = respond(&ask(user("Reply with exactly one word: hello.")), true);
        assert_eq!(text_of(&hello), "Hello.");
        let count = respond(
            &ask(user("Count from one to ten in words, separated by spaces.")),
            true,
        );
        assert_eq!(
            text_of(&count),
            "one two three four five six seven eight nine ten"
        );
        let times = respond(
            &ask(user(
                "What is 17 times 3? Think it through, then answer with the number.",
            )),
            true,
        );
        assert!(text_of(&times).contains("51"));
        assert!(times.reasoning.contains("51"));
        let tides = respond(
            &ask(user(
                "Write a detailed, multi-paragraph explanation of how ocean tides work.",
            )),
            true,
        );
        assert!(word_count(text_of(&tides)) > 100);
    }

    #[test]
    fn json_modes_follow_prompt_and_schema() {
        let mut body = user(
            "Is an apple a fruit? Reply only with a JSON object with one boolean field named is_fruit.",
        );
        body["response_format"] = json!({"type": "json_object"});
        assert_eq!(
            respond(&ask(body), true).answer,
            Said::Json(json!({"is_fruit": true}))
        );
        let mut body = user("Is an apple a fruit? Answer with the field is_fruit.");
        body["response_format"] = json!({"type": "json_schema", "json_schema": {"name": "answer", "strict": true,
            "schema": {"type":"object","properties":{"is_fruit":{"type":"boolean"}},"required":["is_fruit"]}}});
        assert_eq!(
            respond(&ask(body), true).answer,
            Said::Json(json!({"is_fruit": true}))
        );
    }

    #[test]
    fn calls_tools_with_arguments_from_the_prompt() {
        let mut body = user(
            "Use the square_root tool to compute the square root of 144. Reply with the result only.",
        );
        body["tools"] = json!([{"type": "function", "function": {"name": "square_root",
            "parameters": {"type":"object","properties":{"number":{"type":"number"}},"required":["number"]}}}]);
        let reply = respond(&ask(body.clone()), true);
        assert_eq!(
            reply.answer,
            Said::Call(Call {
                name: "square_root".into(),
                arguments: json!({"number": 144})
            })
        );
        // A family without tool calls answers in text.
        assert_eq!(text_of(&respond(&ask(body.clone()), false)), "12");
        // After the tool turn, the answer is the tool's content.
        body["messages"].as_array_mut().unwrap().extend([
            json!({"role": "assistant", "content": ""}),
            json!({"role": "tool", "content": "12"}),
        ]);
        assert_eq!(text_of(&respond(&ask(body), true)), "12");
    }

    #[test]
    fn picks_the_enum_value_named_first() {
        for (prompt, expected) in [
            (
                "Is red a better colour than blue? Call pick_color with your pick.",
                "red",
            ),
            (
                "Is blue a better colour than red? Call pick_color with your pick.",
                "blue",
            ),
        ] {
            let mut body = user(prompt);
            body["tools"] = json!([{"type": "function", "function": {"name": "pick_color",
                "parameters": {"type":"object","properties":{"color":{"type":"string","enum":["blue","red"]}}}}}]);
            let Said::Call(call) = respond(&ask(body), true).answer else {
                panic!("no call")
            };
            assert_eq!(call.arguments, json!({"color": expected}));
        }
    }

    #[test]
    fn named_tool_choice_wins_and_none_disables_calls() {
        let mut body = user("Use first_tool please.");
        body["tools"] = json!([{"type":"function","function":{"name":"first_tool","parameters":{}}},
                               {"type":"function","function":{"name":"second_tool","parameters":{}}}]);
        body["tool_choice"] = json!({"type":"function","function":{"name":"second_tool"}});
        let Said::Call(call) = respond(&ask(body.clone()), true).answer else {
            panic!("no call")
        };
        assert_eq!(call.name, "second_tool");
        body["tool_choice"] = json!("none");
        assert!(matches!(respond(&ask(body), true).answer, Said::Text(_)));
    }

    #[test]
    fn tokens_round_trip_and_cut() {
        let text = "one two\n\nthree  four ";
        assert_eq!(word_tokens(text).concat(), text);
        assert_eq!(word_tokens(text).len(), 4);
        assert_eq!(cut_words(text, 2), ("one two".to_owned(), true));
        assert_eq!(cut_words("a b", 5), ("a b".to_owned(), false));
        assert_eq!(word_tokens("<think>\nabc").len(), 2);
    }

    #[test]
    fn prompt_tokens_count_words_of_all_turns() {
        let body = json!({"messages": [{"role":"system","content":"be brief"},{"role":"user","content":"hi there you"}]});
        assert_eq!(ask(body).prompt_tokens(), 5);
    }
}
