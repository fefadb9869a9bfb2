//! Replays every shared Cloudflare cassette through the library and through
//! `genai chat --format json`, and checks the normalised result against what the recording says.
//!
//! The cassettes live in `../shared/cassettes/cloudflare` (real traffic, not part of this
//! repository). When that folder is absent the tests print why and pass without checking.
//!
//! The expected result is derived from the recorded response by this file's own simple rules
//! (concatenate stream text, split `<think>`, read tool calls and usage), independently of the
//! library's decoders.

use std::path::{Path, PathBuf};

use genai_cloudflare::{CloudflareChat, Family};
use genai_core::{
    ChatRequest, ChatResponse, ErrorKind, Message, ProviderGen, ResponseFormat, ToolDef,
};
use genai_testkit::cassette::{find_cassettes, Cassette};
use genai_testkit::replay::{MatchMode, ReplayServer};
use serde_json::{json, Value};

use crate::support::ACCOUNT;

const TOKEN: &str = "replay-token";

fn shared_dir() -> Option<PathBuf> {
    crate::support::recordings_or_skip("cloudflare_replay")
}

/// A recorded chat exchange, rebuilt as our own request.
struct Case {
    name: String,
    cassette: Cassette,
    model: String,
    stream: bool,
    req: ChatRequest,
    expected: Expected,
}

#[derive(Debug, PartialEq)]
enum Expected {
    Reply {
        text: String,
        reasoning: String,
        tool_calls: Vec<(String, Value)>,
        usage: Option<(u64, u64, u64)>,
        finish: &'static str,
    },
    Error {
        kind: &'static str,
        status: u16,
        code: Option<i64>,
    },
}

/// Whether the client refuses `model` as an id before any request.
fn model_refused(model: &str) -> bool {
    !model
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "@-_./".contains(c))
}

fn model_of(url: &str) -> String {
    let path = url.split("/ai/run/").nth(1).unwrap_or_default();
    path.replace("%20", " ")
}

/// Rebuilds the recorded request body through the public API.
fn rebuild(body: &Value) -> ChatRequest {
    let messages: Vec<Message> =
        serde_json::from_value(body["messages"].clone()).expect("messages");
    let mut req = ChatRequest::from_messages(messages);
    req.max_tokens = body["max_tokens"].as_u64().map(|v| v as u32);
    req.seed = body["seed"].as_u64();
    req.temperature = body["temperature"].as_f64();
    match body["response_format"]["type"].as_str() {
        Some("json_object") => req = req.json(),
        Some("json_schema") => {
            req = req.response_format(ResponseFormat::JsonSchema {
                name: "reply".into(),
                schema: body["response_format"]["json_schema"].clone(),
            })
        }
        _ => {}
    }
    for t in body["tools"].as_array().into_iter().flatten() {
        let f = &t["function"];
        req = req.tool(ToolDef::new(
            f["name"].as_str().unwrap_or_default(),
            f["description"].as_str().unwrap_or_default(),
            f["parameters"].clone(),
        ));
    }
    req
}

fn error_kind(code: Option<i64>) -> &'static str {
    match code {
        Some(10000 | 10001) => "unauthenticated",
        Some(7000) => "not_found",
        Some(5023 | 5025) => "unsupported",
        other => panic!("no expectation for error code {other:?}"),
    }
}

/// What the recording says the caller should see, by this test's own rules.
fn expected(
    model: &str,
    req: &ChatRequest,
    status: u16,
    content_type: &str,
    body: &str,
) -> Expected {
    if status != 200 {
        let v: Value = serde_json::from_str(body).expect("error body");
        let code = v["errors"][0]["code"].as_i64();
        return Expected::Error {
            kind: error_kind(code),
            status,
            code,
        };
    }
    let mut raw = String::new();
    let mut calls: Vec<(String, Value)> = Vec::new();
    let mut usage = None;
    let mut json_object = false;
    let mut read = |result: &Value, raw: &mut String| {
        match &result["response"] {
            Value::String(s) => raw.push_str(s),
            Value::Null => {}
            other => {
                raw.push_str(&other.to_string());
                json_object = true;
            }
        }
        for c in result["tool_calls"].as_array().into_iter().flatten() {
            calls.push((
                c["name"].as_str().unwrap().to_owned(),
                c["arguments"].clone(),
            ));
        }
        if let Some(u) = result.get("usage") {
            let get = |k: &str| u[k].as_u64().unwrap_or(0);
            usage = Some((
                get("prompt_tokens"),
                get("completion_tokens"),
                get("total_tokens"),
            ));
        }
    };
    if content_type.starts_with("text/event-stream") {
        for event in body.split("\n\n").filter(|e| !e.trim().is_empty()) {
            let data = event.strip_prefix("data: ").expect("data line");
            if data == "[DONE]" {
                break;
            }
            let chunk: Value = serde_json::from_str(data).expect("chunk");
            read(&chunk, &mut raw);
        }
    } else {
        let v: Value = serde_json::from_str(body).expect("envelope");
        read(&v["result"], &mut raw);
    }
    // Reasoning models: `<think>…</think>` is reasoning; a reply cut before `</think>` is all
    // reasoning.
    let (mut reasoning, mut text) = (String::new(), raw.clone());
    if Family::of(model) == Family::InlineReasoning && !json_object {
        let body = raw.trim_start().strip_prefix("<think>").unwrap_or(&raw);
        match body.find("</think>") {
            Some(i) => {
                reasoning = body[..i].trim().to_owned();
                text = body[i + "</think>".len()..].trim_start().to_owned();
            }
            None => {
                reasoning = body.trim().to_owned();
                text = String::new();
            }
        }
    }
    // A reply that is nothing but a JSON call to a declared tool is a tool call.
    if calls.is_empty() && !req.tools.is_empty() {
        if let Ok(v) = serde_json::from_str::<Value>(text.trim()) {
            if let Some(name) = v["name"].as_str().filter(|n| req.find_tool(n).is_some()) {
                calls.push((name.to_owned(), v["parameters"].clone()));
                text.clear();
            }
        }
    }
    // Numbers the model wrote as strings follow the declared `number` type.
    for (name, args) in &mut calls {
        let schema = &req.find_tool(name).expect("declared tool").parameters;
        for (k, v) in args.as_object_mut().into_iter().flatten() {
            if schema["properties"][k]["type"] == "number" {
                if let Some(n) = v.as_str().and_then(|s| s.parse::<i64>().ok()) {
                    *v = json!(n);
                }
            }
        }
    }
    let usage = usage.filter(|u| *u != (0, 0, 0));
    let out = usage.map(|u| u.1);
    let finish = if !calls.is_empty() {
        "tool_calls"
    } else if matches!((out, req.max_tokens), (Some(o), Some(m)) if o >= u64::from(m))
        || (req.max_tokens.is_none() && out == Some(256))
    {
        "length"
    } else {
        "stop"
    };
    Expected::Reply {
        text,
        reasoning,
        tool_calls: calls,
        usage,
        finish,
    }
}

fn chat_cases(dir: &Path) -> Vec<Case> {
    let mut cases = Vec::new();
    for path in find_cassettes(dir) {
        let cassette = Cassette::load(&path).expect("cassette loads");
        if !cassette.interactions[0].request.url.contains("/ai/run/") {
            continue;
        }
        assert_eq!(cassette.interactions.len(), 1, "{}", path.display());
        let i = &cassette.interactions[0];
        let body: Value = serde_json::from_str(&i.request.body).expect("request body");
        let model = model_of(&i.request.url);
        let req = rebuild(&body);
        let ct = i
            .response
            .headers
            .get("content-type")
            .cloned()
            .unwrap_or_default();
        // An id outside the documented shape (the recording's `bad model`) is refused before
        // any request now: it could point anywhere in the API.
        let expected = if model_refused(&model) {
            Expected::Error {
                kind: "invalid_request",
                status: 0,
                code: None,
            }
        } else {
            expected(&model, &req, i.response.status, &ct, &i.response.body)
        };
        cases.push(Case {
            name: path.strip_prefix(dir).unwrap().display().to_string(),
            stream: body["stream"] == json!(true),
            cassette,
            model,
            req,
            expected,
        });
    }
    cases
}

async fn server(c: &Cassette) -> ReplayServer {
    ReplayServer::builder()
        .cassette(c.clone())
        .match_mode(MatchMode::Strict)
        .chunk_size(Some(97))
        .start()
        .await
        .expect("replay server")
}

fn client(base: &str, model: &str, check: bool) -> CloudflareChat {
    crate::support::builder(base)
        .api_token(TOKEN)
        .model(model)
        .check_capabilities(check)
        .build()
        .expect("client")
}

fn observed(result: genai_core::Result<ChatResponse>) -> Expected {
    match result {
        Ok(r) => Expected::Reply {
            text: r.text,
            reasoning: r.reasoning,
            tool_calls: r
                .tool_calls
                .into_iter()
                .map(|c| (c.name, c.arguments))
                .collect(),
            usage: r.usage.input_tokens.map(|i| {
                (
                    i,
                    r.usage.output_tokens.unwrap_or(0),
                    r.usage.total_tokens.unwrap_or(0),
                )
            }),
            finish: match r.finish_reason.as_str() {
                Some("stop") => "stop",
                Some("length") => "length",
                Some("tool_calls") => "tool_calls",
                Some("stop_sequence") => "stop_sequence",
                _ => "unknown",
            },
        },
        Err(e) => Expected::Error {
            kind: match e.kind() {
                ErrorKind::Unauthenticated => "unauthenticated",
                ErrorKind::NotFound => "not_found",
                ErrorKind::Unsupported => "unsupported",
                other => panic!("unexpected error kind {other}: {e}"),
            },
            status: e.status().unwrap_or(0),
            code: e.code(),
        },
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_chat_cassette_replays_through_the_library() {
    let Some(dir) = shared_dir() else { return };
    let cases = chat_cases(&dir);
    assert!(!cases.is_empty());
    let mut refused_early = 0;
    for case in &cases {
        // With capability checks off, the request reaches the recording and the recorded reply
        // is decoded.
        let srv = server(&case.cassette).await;
        if model_refused(&case.model) {
            let e = CloudflareChat::builder()
                .account_id(ACCOUNT)
                .api_token(TOKEN)
                .model(&case.model)
                .base_url(srv.base_url())
                .build()
                .expect_err("refused");
            assert_eq!(e.kind(), ErrorKind::InvalidRequest, "{}", case.name);
            assert!(srv.requests().is_empty(), "{}: no HTTP call", case.name);
            continue;
        }
        let c = client(&srv.base_url(), &case.model, false);
        let got = if case.stream {
            match c.gen_stream(&case.req).await {
                Ok(s) => s.collect_response().await,
                Err(e) => Err(e),
            }
        } else {
            c.gen_sync(&case.req).await
        };
        assert!(
            srv.unmatched().is_empty(),
            "{}: our request differs from the recording: {:?}",
            case.name,
            srv.unmatched()
        );
        assert_eq!(observed(got), case.expected, "{}", case.name);
        assert!(srv.unused().is_empty(), "{}", case.name);

        // With the default checks, a request the model cannot honour never leaves the process.
        let caps = c.capabilities();
        let mode = if case.stream {
            genai_core::Mode::Stream
        } else {
            genai_core::Mode::Sync
        };
        if caps.check(mode, &case.req).is_err() {
            let srv = server(&case.cassette).await;
            let c = client(&srv.base_url(), &case.model, true);
            let err = if case.stream {
                c.gen_stream(&case.req).await.err()
            } else {
                c.gen_sync(&case.req).await.err()
            };
            let err = err.expect("refused");
            assert_eq!(err.kind(), ErrorKind::Unsupported, "{}", case.name);
            assert!(srv.requests().is_empty(), "{}: no HTTP call", case.name);
            refused_early += 1;
        }
    }
    println!("replayed {} chat cassettes through the library ({refused_early} also refused before any HTTP call by default)", cases.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn catalog_cassettes_replay_with_their_broken_pagination() {
    let Some(dir) = shared_dir() else { return };
    let mut replayed = 0;
    for path in find_cassettes(&dir) {
        let cassette = Cassette::load(&path).expect("cassette");
        if !cassette
            .interactions
            .iter()
            .all(|i| i.request.url.contains("/ai/models/search"))
        {
            continue;
        }
        // Each listing is page 1 then an empty page 2, whatever total_count claims.
        let listings = cassette.interactions.len() / 2;
        let first: Value = serde_json::from_str(&cassette.interactions[0].response.body).unwrap();
        let srv = server(&cassette).await;
        let c = client(&srv.base_url(), genai_cloudflare::DEFAULT_MODEL, true);
        let status = cassette.interactions[0].response.status;
        for _ in 0..listings.max(1) {
            let got = genai_core::Provider::list_models(&c.provider()).await;
            if status != 200 {
                let e = got.unwrap_err();
                assert_eq!(e.kind(), ErrorKind::Unauthenticated, "{}", path.display());
                assert_eq!(
                    (e.status(), e.code()),
                    (Some(status), first["errors"][0]["code"].as_i64())
                );
                continue;
            }
            let models = got.expect("listing");
            let recorded = first["result"].as_array().unwrap();
            assert_eq!(models.len(), recorded.len(), "{}", path.display());
            for (m, r) in models.iter().zip(recorded) {
                assert_eq!(m.id, r["name"].as_str().unwrap());
                assert_eq!(m.is_chat(), r["task"]["name"] == "Text Generation");
            }
            let llama = models
                .iter()
                .find(|m| m.id == "@cf/meta/llama-3.3-70b-instruct-fp8-fast");
            if let Some(l) = llama {
                assert!(l.capabilities.sync.tools.is_usable());
                assert!(l.context_window.is_some());
            }
        }
        assert!(
            srv.unmatched().is_empty(),
            "{}: {:?}",
            path.display(),
            srv.unmatched()
        );
        assert!(
            srv.unused().is_empty(),
            "{}: every recorded page requested",
            path.display()
        );
        replayed += 1;
    }
    println!("replayed {replayed} catalog cassettes");
    assert!(replayed >= 3);
}

/// The same cassettes through `genai chat --format json`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_chat_cassette_replays_through_the_cli() {
    let Some(dir) = shared_dir() else { return };
    let cases = chat_cases(&dir);
    let tmp = std::env::temp_dir().join(format!("genai-replay-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).unwrap();
    for (n, case) in cases.iter().enumerate() {
        let srv = server(&case.cassette).await;
        let messages = tmp.join(format!("{n}-messages.json"));
        std::fs::write(
            &messages,
            serde_json::to_string(&case.req.messages).unwrap(),
        )
        .unwrap();
        let mut cmd = crate::support::command_at(
            &srv.base_url(),
            &["chat", "--format", "json", "--no-capability-check"],
        );
        cmd.args(["--model", &case.model])
            .arg("--messages")
            .arg(&messages)
            .env("CLOUDFLARE_API_TOKEN", TOKEN);
        if case.stream {
            cmd.arg("--stream");
        }
        if let Some(m) = case.req.max_tokens {
            cmd.args(["--max-tokens", &m.to_string()]);
        }
        if let Some(s) = case.req.seed {
            cmd.args(["--seed", &s.to_string()]);
        }
        match &case.req.response_format {
            ResponseFormat::Json => {
                cmd.arg("--json");
            }
            ResponseFormat::JsonSchema { schema, .. } => {
                let f = tmp.join(format!("{n}-schema.json"));
                std::fs::write(&f, schema.to_string()).unwrap();
                cmd.arg("--json-schema").arg(f);
            }
            ResponseFormat::Text => {}
        }
        if !case.req.tools.is_empty() {
            let f = tmp.join(format!("{n}-tools.json"));
            std::fs::write(&f, serde_json::to_string(&case.req.tools).unwrap()).unwrap();
            cmd.arg("--tools").arg(f);
        }
        let out = tokio::task::spawn_blocking(move || cmd.output())
            .await
            .unwrap()
            .expect("genai runs");
        let stdout = String::from_utf8(out.stdout).expect("UTF-8");
        let last: Value = serde_json::from_str(stdout.lines().last().unwrap_or(""))
            .unwrap_or_else(|e| panic!("{}: {e}: {stdout}", case.name));
        let got = if let Some(err) = last.get("error") {
            assert!(!out.status.success(), "{}", case.name);
            Expected::Error {
                kind: match err["kind"].as_str().unwrap() {
                    "unauthenticated" => "unauthenticated",
                    "not_found" => "not_found",
                    "unsupported" => "unsupported",
                    "invalid_request" => "invalid_request",
                    k => panic!("{}: kind {k}", case.name),
                },
                status: err["status"].as_u64().unwrap_or(0) as u16,
                code: err["code"].as_i64(),
            }
        } else {
            assert!(out.status.success(), "{}", case.name);
            assert_eq!(last["model"], case.model);
            Expected::Reply {
                text: last["text"].as_str().unwrap().to_owned(),
                reasoning: last["reasoning"].as_str().unwrap().to_owned(),
                tool_calls: last["tool_calls"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|c| {
                        assert!(
                            c.get("id").is_some(),
                            "id is always present, null when absent"
                        );
                        (
                            c["name"].as_str().unwrap().to_owned(),
                            c["arguments"].clone(),
                        )
                    })
                    .collect(),
                usage: last["usage"]["input_tokens"].as_u64().map(|i| {
                    (
                        i,
                        last["usage"]["output_tokens"].as_u64().unwrap(),
                        last["usage"]["total_tokens"].as_u64().unwrap(),
                    )
                }),
                finish: match last["finish_reason"].as_str() {
                    Some("stop") => "stop",
                    Some("length") => "length",
                    Some("tool_calls") => "tool_calls",
                    other => panic!("{}: finish {other:?}", case.name),
                },
            }
        };
        assert_eq!(got, case.expected, "{} (CLI)", case.name);
    }
    let _ = std::fs::remove_dir_all(&tmp);
    println!(
        "replayed {} chat cassettes through genai chat --format json",
        cases.len()
    );
}
