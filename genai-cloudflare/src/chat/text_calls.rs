//! Tool calls that models write as text.

use genai_core::{ToolCall, ToolDef};
use serde_json::{Map, Number, Value};

use crate::chat::family::TextCalls;

/// Turns a whole reply into tool calls when it is nothing but calls to declared tools.
///
/// `forced` names the tool a forced tool choice asked for (used by [`TextCalls::ArgumentsOnly`],
/// where the model leaks just the arguments). Returns `None` when the text is anything else:
/// then it stays text.
pub(crate) fn parse(
    style: TextCalls,
    text: &str,
    tools: &[ToolDef],
    forced: Option<&str>,
) -> Option<Vec<ToolCall>> {
    if tools.is_empty() {
        return None;
    }
    let text = genai_core::text::strip_code_fence(text);
    let calls = match style {
        TextCalls::None => return None,
        TextCalls::LlamaJson => llama_json(text.trim_start_matches("<|python_tag|>").trim())?,
        TextCalls::HermesTags => hermes_tags(text)?,
        TextCalls::ArgumentsOnly => {
            let name = forced?;
            let args: Value = serde_json::from_str(text).ok()?;
            args.is_object().then(|| vec![ToolCall::new(name, args)])?
        }
    };
    let declared = |c: &ToolCall| tools.iter().any(|t| t.name == c.name);
    (!calls.is_empty() && calls.iter().all(declared)).then_some(calls)
}

/// One JSON object, a JSON array of them, or several separated by `;` or new lines.
fn llama_json(text: &str) -> Option<Vec<ToolCall>> {
    let mut values = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        let mut it = serde_json::Deserializer::from_str(rest).into_iter::<Value>();
        let v = it.next()?.ok()?;
        rest = rest[it.byte_offset()..].trim_start_matches(|c: char| c.is_whitespace() || c == ';');
        match v {
            Value::Array(items) => values.extend(items),
            other => values.push(other),
        }
    }
    values.into_iter().map(call_from_object).collect()
}

/// `{"name":…,"parameters"|"arguments":…}`, optionally with `"type":"function"` or nested in
/// `"function"`.
fn call_from_object(v: Value) -> Option<ToolCall> {
    let Value::Object(mut obj) = v else {
        return None;
    };
    if let Some(Value::Object(f)) = obj.remove("function") {
        obj.extend(f);
    }
    match obj.get("type") {
        None => {}
        Some(Value::String(t)) if t == "function" => {}
        _ => return None,
    }
    let name = obj.get("name")?.as_str()?.to_owned();
    let args = obj
        .remove("parameters")
        .or_else(|| obj.remove("arguments"))
        .unwrap_or(Value::Object(Map::new()));
    let args = match args {
        Value::String(s) => serde_json::from_str(&s).ok()?,
        other => other,
    };
    args.is_object().then(|| ToolCall::new(name, args))
}

/// One or more `<tool_call>…</tool_call>` blocks and nothing else.
fn hermes_tags(text: &str) -> Option<Vec<ToolCall>> {
    const OPEN: &str = "<tool_call>";
    const CLOSE: &str = "</tool_call>";
    let mut calls = Vec::new();
    let mut rest = text.trim();
    while !rest.is_empty() {
        let inner = rest.strip_prefix(OPEN)?;
        let end = inner.find(CLOSE);
        let (body, after) = match end {
            Some(e) => (&inner[..e], &inner[e + CLOSE.len()..]),
            None => (inner, ""), // the closing tag is sometimes left out at the very end
        };
        let body = body.trim();
        let value = serde_json::from_str(body)
            .ok()
            .or_else(|| python_literal(body))?;
        calls.push(call_from_object(value)?);
        rest = after.trim();
    }
    Some(calls)
}

/// Parses a Python literal (dicts, lists, quoted strings, numbers, True/False/None) as JSON.
pub(crate) fn python_literal(text: &str) -> Option<Value> {
    let mut p = PyParser {
        s: text.as_bytes(),
        i: 0,
        depth: 0,
    };
    let v = p.value()?;
    p.ws();
    (p.i == p.s.len()).then_some(v)
}

struct PyParser<'a> {
    s: &'a [u8],
    i: usize,
    depth: u32,
}

impl PyParser<'_> {
    fn ws(&mut self) {
        while self.i < self.s.len() && self.s[self.i].is_ascii_whitespace() {
            self.i += 1;
        }
    }

    fn eat(&mut self, b: u8) -> bool {
        self.ws();
        if self.s.get(self.i) == Some(&b) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    fn value(&mut self) -> Option<Value> {
        self.depth += 1;
        if self.depth > 64 {
            return None;
        }
        self.ws();
        let v = match *self.s.get(self.i)? {
            b'{' => {
                self.i += 1;
                let mut map = Map::new();
                if !self.eat(b'}') {
                    loop {
                        self.ws();
                        let key = match self.value()? {
                            Value::String(k) => k,
                            other => other.to_string(),
                        };
                        if !self.eat(b':') {
                            return None;
                        }
                        map.insert(key, self.value()?);
                        if self.eat(b'}') {
                            break;
                        }
                        if !self.eat(b',') {
                            return None;
                        }
                        if self.eat(b'}') {
                            break;
                        }
                    }
                }
                Value::Object(map)
            }
            b'[' | b'(' => {
                let close = if self.s[self.i] == b'[' { b']' } else { b')' };
                self.i += 1;
                let mut items = Vec::new();
                if !self.eat(close) {
                    loop {
                        items.push(self.value()?);
                        if self.eat(close) {
                            break;
                        }
                        if !self.eat(b',') {
                            return None;
                        }
                        if self.eat(close) {
                            break;
                        }
                    }
                }
                Value::Array(items)
            }
            q @ (b'\'' | b'"') => Value::String(self.string(q)?),
            _ => self.atom()?,
        };
        self.depth -= 1;
        Some(v)
    }

    fn string(&mut self, quote: u8) -> Option<String> {
        self.i += 1;
        let mut out = Vec::new();
        while let Some(&b) = self.s.get(self.i) {
            self.i += 1;
            match b {
                b'\\' => {
                    let e = *self.s.get(self.i)?;
                    self.i += 1;
                    out.push(match e {
                        b'n' => b'\n',
                        b't' => b'\t',
                        b'r' => b'\r',
                        other => other,
                    });
                }
                b if b == quote => return String::from_utf8(out).ok(),
                other => out.push(other),
            }
        }
        None
    }

    fn atom(&mut self) -> Option<Value> {
        let start = self.i;
        while self.i < self.s.len()
            && !b",:}])".contains(&self.s[self.i])
            && !self.s[self.i].is_ascii_whitespace()
        {
            self.i += 1;
        }
        let word = std::str::from_utf8(&self.s[start..self.i]).ok()?;
        match word {
            "True" | "true" => Some(Value::Bool(true)),
            "False" | "false" => Some(Value::Bool(false)),
            "None" | "null" => Some(Value::Null),
            _ => serde_json::from_str::<Number>(word).ok().map(Value::Number),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn tools() -> Vec<ToolDef> {
        vec![
            ToolDef::new(
                "square_root",
                "",
                json!({"type":"object","properties":{"number":{"type":"number"}}}),
            ),
            ToolDef::new(
                "pick_color",
                "",
                json!({"type":"object","properties":{"color":{"type":"string"}}}),
            ),
        ]
    }

    #[test]
    fn llama_text_calls() {
        let t = tools();
        let ok = [
            r#"{"type": "function", "name": "square_root", "parameters": {"number": "144"}}"#,
            r#"{"name":"square_root","parameters":{"number":144}}"#,
            r#"<|python_tag|>{"name":"square_root","arguments":"{\"number\":144}"}"#,
            "```json\n{\"name\":\"square_root\",\"parameters\":{\"number\":144}}\n```",
            r#"[{"name":"square_root","parameters":{"number":144}}]"#,
            r#"{"type":"function","function":{"name":"square_root","parameters":{"number":144}}}"#,
        ];
        for text in ok {
            let calls =
                parse(TextCalls::LlamaJson, text, &t, None).unwrap_or_else(|| panic!("{text}"));
            assert_eq!(calls.len(), 1);
            assert_eq!(calls[0].name, "square_root");
        }
        let two = parse(
            TextCalls::LlamaJson,
            r#"{"name":"square_root","parameters":{"number":1}}; {"name":"pick_color","parameters":{"color":"red"}}"#,
            &t,
            None,
        )
        .unwrap();
        assert_eq!(two.len(), 2);
        let not_calls = [
            "The answer is 12.",
            r#"{"is_fruit": true}"#,
            r#"{"name":"undeclared","parameters":{}}"#,
            r#"{"name":"square_root","parameters":{"number":1}} and some text"#,
            r#"{"type":"other","name":"square_root","parameters":{}}"#,
            "",
        ];
        for text in not_calls {
            assert!(
                parse(TextCalls::LlamaJson, text, &t, None).is_none(),
                "{text}"
            );
        }
        assert!(
            parse(TextCalls::LlamaJson, ok[0], &[], None).is_none(),
            "no tools declared"
        );
    }

    #[test]
    fn hermes_text_calls() {
        let t = tools();
        let text =
            "<tool_call>\n{'arguments': {'color': 'red'}, 'name': 'pick_color'}\n</tool_call>";
        let calls = parse(TextCalls::HermesTags, text, &t, None).unwrap();
        assert_eq!(calls[0].arguments, json!({"color":"red"}));
        let two = format!("{text}\n<tool_call>{{\"name\": \"square_root\", \"arguments\": {{\"number\": 4}}}}</tool_call>");
        assert_eq!(
            parse(TextCalls::HermesTags, &two, &t, None).unwrap().len(),
            2
        );
        let unclosed = "<tool_call>\n{'arguments': {'number': 4}, 'name': 'square_root'}";
        assert_eq!(
            parse(TextCalls::HermesTags, unclosed, &t, None)
                .unwrap()
                .len(),
            1
        );
        assert!(parse(
            TextCalls::HermesTags,
            "I think <tool_call>{}</tool_call>",
            &t,
            None
        )
        .is_none());
    }

    #[test]
    fn forced_call_leaked_as_arguments() {
        let t = tools();
        let calls = parse(
            TextCalls::ArgumentsOnly,
            r#"{"number": 144}"#,
            &t,
            Some("square_root"),
        )
        .unwrap();
        assert_eq!(
            calls[0],
            ToolCall::new("square_root", json!({"number":144}))
        );
        assert!(parse(TextCalls::ArgumentsOnly, r#"{"number": 144}"#, &t, None).is_none());
    }

    #[test]
    fn python_literals() {
        assert_eq!(
            python_literal("{'a': [1, 2.5, True, None], \"b\": 'it\\'s', 'c': (1,)}").unwrap(),
            json!({"a":[1,2.5,true,null],"b":"it's","c":[1]})
        );
        assert!(python_literal("{'a': }").is_none());
        assert!(python_literal(&"[".repeat(1000)).is_none());
    }
}
