//! Tests of `families.rs`.

use super::*;

fn ask(body: Value) -> Ask {
    Ask::parse(body.to_string().as_bytes()).unwrap()
}

fn tools_body(stream: bool) -> Value {
    json!({
        "messages": [{"role": "user", "content": "Use the square_root tool to compute the square root of 144. Reply with the result only."}],
        "tools": [{"type": "function", "function": {"name": "square_root", "description": "Computes the square root of a number",
            "parameters": {"type":"object","properties":{"number":{"type":"number"}},"required":["number"]}}}],
        "stream": stream,
    })
}

fn run(model: &str, body: Value) -> Rendered {
    render(Dialect::of(model), model, &ask(body), &mut Dice::new(1))
}

fn result(rendered: Rendered) -> Value {
    match rendered {
        Rendered::Result(value) => value,
        other => panic!("not a result: {other:?}"),
    }
}

fn events(rendered: Rendered) -> Vec<Value> {
    match rendered {
        Rendered::Events(events) => events,
        other => panic!("not events: {other:?}"),
    }
}

fn streamed_text(events: &[Value]) -> String {
    events
        .iter()
        .filter_map(|e| e["response"].as_str())
        .collect()
}

const L33: &str = "@cf/meta/llama-3.3-70b-instruct-fp8-fast";
const L32: &str = "@cf/meta/llama-3.2-3b-instruct";
const SCOUT: &str = "@cf/meta/llama-4-scout-17b-16e-instruct";
const R1: &str = "@cf/deepseek-ai/deepseek-r1-distill-qwen-32b";
const HERMES: &str = "@hf/nousresearch/hermes-2-pro-mistral-7b";
const GLM: &str = "@cf/zai-org/glm-4.7-flash";
const OSS: &str = "@cf/openai/gpt-oss-20b";

fn hello(stream: bool) -> Value {
    json!({"messages": [{"role": "user", "content": "Reply with exactly one word: hello."}], "stream": stream})
}

fn schema_body(stream: bool) -> Value {
    json!({"messages": [{"role": "user", "content": "Is an apple a fruit? Answer with the field is_fruit."}],
               "response_format": {"type": "json_schema", "json_schema":
                   {"type":"object","properties":{"is_fruit":{"type":"boolean"}},"required":["is_fruit"],"additionalProperties":false}},
               "stream": stream})
}

fn json_object_body(stream: bool) -> Value {
    json!({"messages": [{"role": "user", "content": "Is an apple a fruit? Reply only with a JSON object with one boolean field named is_fruit."}],
               "response_format": {"type": "json_object"}, "stream": stream})
}

#[test]
fn families_by_model_id() {
    assert_eq!(Dialect::of(L33), Dialect::Llama3(Llama3::V33));
    assert_eq!(
        Dialect::of("@cf/meta/llama-3.2-1b-instruct"),
        Dialect::Llama3(Llama3::V32)
    );
    assert_eq!(
        Dialect::of("@cf/meta/llama-3.1-8b-instruct-fp8"),
        Dialect::Llama3(Llama3::V31)
    );
    assert_eq!(Dialect::of(SCOUT), Dialect::Llama4Scout);
    assert_eq!(Dialect::of("@cf/qwen/qwq-32b"), Dialect::R1Distill);
    assert_eq!(Dialect::of(HERMES), Dialect::Hermes);
    assert_eq!(Dialect::of(OSS), Dialect::OpenAi { streams: false });
    assert_eq!(
        Dialect::of("@cf/qwen/qwen3-30b-a3b-fp8"),
        Dialect::OpenAi { streams: true }
    );
    assert_eq!(
        Dialect::of("@cf/mistral/mistral-7b-instruct-v0.1"),
        Dialect::Plain
    );
}

#[test]
fn llama33_quirks() {
    let text = result(run(L33, hello(false)));
    assert_eq!(text["tool_calls"], json!([]));
    assert_eq!(text["response"], "Hello.");
    let call = result(run(L33, tools_body(false)));
    assert_eq!(call["response"], Value::Null);
    assert_eq!(
        call["tool_calls"],
        json!([{"name": "square_root", "arguments": {"number": "144"}}])
    );
    let stream = events(run(L33, tools_body(true)));
    assert_eq!(
        streamed_text(&stream),
        r#"{"type": "function", "name": "square_root", "parameters": {"number": "144"}}"#
    );
    let text_stream = events(run(L33, hello(true)));
    assert_eq!(text_stream[0]["tool_calls"], json!([]));
    assert!(text_stream[0]["p"].is_string());
    let closing = &text_stream[text_stream.len() - 2];
    assert!(closing.get("response").is_none() && closing["tool_calls"] == json!([]));
    let schema = result(run(L33, schema_body(false)));
    assert_eq!(schema, json!({"response": {"is_fruit": true}}));
    let json_object = result(run(L33, json_object_body(false)));
    assert_eq!(json_object["response"], r#"{"is_fruit": true}"#);
}

#[test]
fn llama32_quirks() {
    let call = result(run(L32, tools_body(false)));
    assert_eq!(
        call["tool_calls"],
        json!([{"name": "square_root", "arguments": {"number": 144}}])
    );
    assert!(result(run(L32, hello(false))).get("tool_calls").is_none());
    let stream = events(run(L32, tools_body(true)));
    assert_eq!(
        streamed_text(&stream),
        r#"{"name":"square_root","parameters":{"number":144}}"#
    );
    match run(L32, schema_body(false)) {
        Rendered::Refused {
            status: 403,
            code: 5025,
            message,
        } => {
            assert!(message.starts_with("AiError: Ai: This model doesn't suuport JSON Schema. ("))
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn native_stream_plus_schema_is_refused() {
    for model in [L33, L32, SCOUT, R1, HERMES] {
        match run(model, schema_body(true)) {
            Rendered::Refused {
                status: 403,
                code: 5023,
                message,
            } => {
                assert!(message.contains("JSON Schema mode is not supported with stream mode"))
            }
            other => panic!("{model}: {other:?}"),
        }
    }
}

#[test]
fn usage_only_in_the_last_chunk() {
    for model in [L33, L32, SCOUT, R1, HERMES] {
        let stream = events(run(model, hello(true)));
        let (last, rest) = stream.split_last().unwrap();
        assert!(last["usage"].is_object(), "{model}");
        assert!(rest.iter().all(|e| e.get("usage").is_none()), "{model}");
    }
}

#[test]
fn r1_reasons_inline_and_ignores_tools() {
    let times = json!({"messages": [{"role":"user","content":"What is 17 times 3? Think it through, then answer with the number."}]});
    let text = result(run(R1, times));
    let response = text["response"].as_str().unwrap();
    assert!(response.starts_with("<think>\n"));
    let (_, answer) = response.split_once("</think>").unwrap();
    assert!(answer.contains("51"));
    let tools = result(run(R1, tools_body(false)));
    assert!(tools["response"].as_str().unwrap().ends_with("12"));
    assert!(tools.get("tool_calls").is_none());
    let stream = events(run(R1, hello(true)));
    assert_eq!(stream[0], json!({"response": "<think>"}));
    assert_eq!(stream[stream.len() - 2], json!({}));
    assert!(stream.iter().all(|e| e.get("p").is_none()));
    let mut small = hello(false);
    small["max_tokens"] = json!(3);
    let cut = result(run(R1, small));
    assert!(!cut["response"].as_str().unwrap().contains("</think>"));
    assert_eq!(cut["usage"]["completion_tokens"], 3);
    assert_eq!(
        result(run(R1, schema_body(false))),
        json!({"response": {"is_fruit": true}})
    );
}

#[test]
fn scout_quirks() {
    let call = result(run(SCOUT, tools_body(false)));
    assert!(call.get("response").is_none());
    let tool_call = &call["tool_calls"][0];
    assert!(tool_call["id"]
        .as_str()
        .unwrap()
        .starts_with("chatcmpl-tool-"));
    assert_eq!(tool_call["function"]["arguments"], r#"{"number": 144}"#);
    let stream = events(run(SCOUT, tools_body(true)));
    assert_eq!(
        stream[0]["tool_calls"][0]["function"]["name"],
        "square_root"
    );
    let arguments: String = stream
        .iter()
        .filter_map(|e| e["tool_calls"][0]["function"]["arguments"].as_str())
        .collect();
    assert_eq!(arguments, r#"{"number": 144}"#);
    assert_eq!(stream[stream.len() - 2]["tool_calls"], json!([]));
    assert_eq!(
        result(run(SCOUT, json_object_body(false)))["response"],
        json!({"is_fruit": true})
    );
    let json_stream = events(run(SCOUT, json_object_body(true)));
    assert!(json_stream.iter().any(|e| e["response"] == json!(true)));
}

#[test]
fn hermes_quirks() {
    for stream in [false, true] {
        let text = match run(HERMES, tools_body(stream)) {
            Rendered::Result(r) => r["response"].as_str().unwrap().to_owned(),
            Rendered::Events(e) => streamed_text(&e),
            other => panic!("{other:?}"),
        };
        assert_eq!(
            text,
            "<tool_call>\n{'arguments': {'number': 144}, 'name': 'square_root'}\n</tool_call>"
        );
    }
    let schema = result(run(HERMES, schema_body(false)));
    assert_eq!(schema["usage"], usage_json(0, 0));
}

#[test]
fn openai_shape_and_options() {
    let reply = result(run(GLM, tools_body(false)));
    assert_eq!(reply["object"], "chat.completion");
    assert_eq!(reply["choices"][0]["finish_reason"], "tool_calls");
    let call = &reply["choices"][0]["message"]["tool_calls"][0];
    assert_eq!(call["function"]["arguments"], r#"{"number":144}"#);
    let mut stop = json!({"messages": [{"role":"user","content":"Count from one to ten in words, separated by spaces."}], "stop": "five"});
    let stopped = result(run(GLM, stop.clone()));
    assert_eq!(
        stopped["choices"][0]["message"]["content"],
        "one two three four"
    );
    stop["max_completion_tokens"] = json!(3);
    stop.as_object_mut().unwrap().remove("stop");
    let short = result(run(GLM, stop));
    assert_eq!(short["choices"][0]["finish_reason"], "length");
    assert!(short["usage"]["completion_tokens"].as_u64().unwrap() <= 3);
    let mut schema = schema_body(true);
    schema["response_format"] = json!({"type": "json_schema", "json_schema": {"name": "fruit", "strict": true,
            "schema": {"type":"object","properties":{"is_fruit":{"type":"boolean"}}}}});
    let stream = events(run(GLM, schema));
    let content: String = stream
        .iter()
        .filter_map(|e| e["choices"][0]["delta"]["content"].as_str())
        .collect();
    assert_eq!(content, r#"{"is_fruit":true}"#);
    let usage_event = stream.last().unwrap();
    assert_eq!(usage_event["choices"], json!([]));
    assert!(usage_event["usage"].is_object());
    // GPT-OSS answers a stream request with the plain reply.
    assert!(matches!(run(OSS, hello(true)), Rendered::Result(_)));
}

#[test]
fn helpers() {
    assert_eq!(
        json_pieces(r#"{"is_fruit": true}"#).concat(),
        r#"{"is_fruit": true}"#
    );
    assert!(json_pieces(r#"{"is_fruit": true}"#).contains(&" true"));
    assert_eq!(
        python_repr(&json!({"a": [true, null, "it's"]})),
        r#"{'a': [True, None, 'it\'s']}"#
    );
    assert_eq!(
        spaced_json(&json!({"a": 1, "b": [1, 2]})),
        r#"{"a": 1, "b": [1, 2]}"#
    );
    let mut dice = Dice::new(3);
    let uuid = dice.uuid();
    assert_eq!(uuid.len(), 36);
    assert_eq!(Dice::new(3).uuid(), uuid);
}

#[test]
fn reasoning_streaming_and_images_follow_the_facts_table() {
    assert_eq!(
        Dialect::of("@cf/deepseek-ai/deepseek-r1-distill-qwen-32b"),
        Dialect::R1Distill
    );
    assert_eq!(Dialect::of("@cf/qwen/qwq-32b"), Dialect::R1Distill);
    assert_eq!(
        Dialect::of("@cf/openai/gpt-oss-20b"),
        Dialect::OpenAi { streams: false }
    );
    assert_eq!(
        Dialect::of("@cf/zai-org/glm-4.7-flash"),
        Dialect::OpenAi { streams: true }
    );
    for reads in [
        "@cf/meta/llama-4-scout-17b-16e-instruct",
        "@cf/google/gemma-3-12b-it",
        "@cf/mistralai/mistral-small-3.1-24b-instruct",
        "@cf/meta/llama-3.2-11b-vision-instruct",
        "@cf/zai-org/glm-4.7-flash",
    ] {
        assert!(reads_images(reads), "{reads}");
    }
    assert!(!reads_images("@cf/meta/llama-3.3-70b-instruct-fp8-fast"));
}
