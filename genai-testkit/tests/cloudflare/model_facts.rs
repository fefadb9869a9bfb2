//! The model-facts table of genai-cloudflare held against the catalog recorded on 2026-08-17
//! (`../shared/cassettes/cloudflare/Warmup.json`) and against the emulator's catalog, so the
//! three cannot drift apart silently; and what the table's retired, alias and paid-only rows
//! do to a call.

use std::collections::{BTreeMap, BTreeSet};

use genai_cloudflare::facts::{self, ModelFacts};
use genai_cloudflare::CloudflareChat;
use genai_core::{ChatRequest, ErrorKind, ModelStatus, Provider, ProviderGen};
use genai_testkit::emulator::{Emulator, EmulatorConfig, DEFAULT_TOKEN};
use serde_json::{json, Value};

use crate::support::ACCOUNT;

/// The seed ids the service retired, with their day (34 of the 75 seed ids).
const RETIRED_SEEDS: &[(&str, &str)] = &[
    ("@hf/thebloke/deepseek-coder-6.7b-base-awq", "2025-10-01"),
    (
        "@hf/thebloke/deepseek-coder-6.7b-instruct-awq",
        "2025-10-01",
    ),
    ("@cf/deepseek-ai/deepseek-math-7b-instruct", "2025-10-01"),
    ("@cf/thebloke/discolm-german-7b-v1-awq", "2025-10-01"),
    ("@cf/tiiuae/falcon-7b-instruct", "2025-10-01"),
    ("@hf/thebloke/llama-2-13b-chat-awq", "2025-10-01"),
    ("@hf/thebloke/llamaguard-7b-awq", "2025-10-01"),
    ("@hf/thebloke/mistral-7b-instruct-v0.1-awq", "2025-10-01"),
    ("@hf/thebloke/neural-chat-7b-v3-1-awq", "2025-10-01"),
    ("@cf/openchat/openchat-3.5-0106", "2025-10-01"),
    ("@hf/thebloke/openhermes-2.5-mistral-7b-awq", "2025-10-01"),
    ("@cf/qwen/qwen1.5-0.5b-chat", "2025-10-01"),
    ("@cf/qwen/qwen1.5-1.8b-chat", "2025-10-01"),
    ("@cf/qwen/qwen1.5-14b-chat-awq", "2025-10-01"),
    ("@cf/qwen/qwen1.5-7b-chat-awq", "2025-10-01"),
    ("@hf/nexusflow/starling-lm-7b-beta", "2025-10-01"),
    ("@cf/tinyllama/tinyllama-1.1b-chat-v1.0", "2025-10-01"),
    ("@cf/fblgit/una-cybertron-7b-v2-bf16", "2025-10-01"),
    ("@hf/thebloke/zephyr-7b-beta-awq", "2025-10-01"),
    ("@hf/meta-llama/meta-llama-3-8b-instruct", "2026-05-30"),
    ("@cf/meta/llama-3-8b-instruct", "2026-05-30"),
    ("@cf/meta/llama-3-8b-instruct-awq", "2026-05-30"),
    ("@cf/meta/llama-3.1-8b-instruct-awq", "2026-05-30"),
    ("@cf/meta/llama-2-7b-chat-int8", "2026-05-30"),
    ("@cf/meta/llama-2-7b-chat-fp16", "2026-05-30"),
    ("@cf/mistral/mistral-7b-instruct-v0.1", "2026-05-30"),
    ("@hf/mistral/mistral-7b-instruct-v0.2", "2026-05-30"),
    ("@hf/google/gemma-7b-it", "2026-05-30"),
    ("@cf/google/gemma-3-12b-it", "2026-05-30"),
    ("@hf/nousresearch/hermes-2-pro-mistral-7b", "2026-05-30"),
    ("@cf/microsoft/phi-2", "2026-05-30"),
    ("@cf/defog/sqlcoder-7b-2", "2026-05-30"),
    ("@cf/unum/uform-gen2-qwen-500m", "2026-05-30"),
    ("@cf/facebook/bart-large-cnn", "2026-05-30"),
];

/// A catalog entry's properties as `property_id -> value`, without the links (`info`,
/// `terms`), which the table does not carry.
fn properties(entry: &Value) -> BTreeMap<String, Value> {
    entry["properties"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| Some((p["property_id"].as_str()?.to_owned(), p["value"].clone())))
        .filter(|(id, _)| id != "info" && id != "terms")
        .collect()
}

/// The catalog properties the table says `facts` has, written the catalog's way.
fn expected_properties(f: &ModelFacts) -> BTreeMap<String, Value> {
    let mut out = BTreeMap::new();
    let flags = [
        ("async_queue", f.queue),
        ("beta", f.beta),
        ("function_calling", f.function_calling),
        ("lora", f.lora),
        ("partner", f.partner),
        ("realtime", f.realtime),
        ("reasoning", f.reasoning.is_some()),
        ("require_workers_paid", f.paid_only),
    ];
    for (id, on) in flags {
        if on {
            out.insert(id.to_owned(), json!("true"));
        }
    }
    for (id, n) in [
        ("context_window", f.context_window),
        ("max_input_tokens", f.max_input_tokens),
        ("output_dimensions", f.output_dimensions),
    ] {
        if let Some(n) = n {
            out.insert(id.to_owned(), json!(n.to_string()));
        }
    }
    if let Some(vision) = f.vision {
        out.insert("vision".to_owned(), json!(vision.to_string()));
    }
    if !f.listed_languages.is_empty() {
        out.insert("languages".to_owned(), json!(f.listed_languages.join(", ")));
    }
    if !f.price.is_empty() {
        let price: Vec<Value> = f
            .price
            .iter()
            .map(|(unit, usd)| json!({"unit": unit, "price": usd, "currency": "USD"}))
            .collect();
        out.insert("price".to_owned(), Value::Array(price));
    }
    out
}

/// Prices compare as numbers (the recording writes `4` where the table has `4.0`).
fn same_value(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same_value(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| same_value(v, w)))
        }
        _ => a == b,
    }
}

/// Every difference between the catalog entries `entries` and the table, one line each.
fn differences(entries: &[Value], source: &str) -> Vec<String> {
    let mut out = Vec::new();
    let listed: BTreeSet<&str> = entries.iter().filter_map(|e| e["name"].as_str()).collect();
    let table: BTreeSet<&str> = facts::catalog().map(|f| f.id).collect();
    for id in listed.difference(&table) {
        out.push(format!("{source} lists {id}, the table does not"));
    }
    for id in table.difference(&listed) {
        out.push(format!("the table lists {id}, {source} does not"));
    }
    for entry in entries {
        let Some(id) = entry["name"].as_str() else {
            continue;
        };
        let Some(f) = facts::lookup(id) else { continue };
        if f.id != id {
            out.push(format!("{id}: the table spells it {}", f.id));
        }
        if entry["task"]["name"].as_str() != Some(f.task) {
            out.push(format!(
                "{id}: task {} in {source}, {} in the table",
                entry["task"]["name"], f.task
            ));
        }
        let got = properties(entry);
        let want = expected_properties(f);
        for key in got.keys().chain(want.keys()).collect::<BTreeSet<_>>() {
            let (g, w) = (got.get(key), want.get(key));
            let same = match (g, w) {
                (Some(g), Some(w)) => same_value(g, w),
                (None, None) => true,
                _ => false,
            };
            if !same {
                out.push(format!(
                    "{id}: `{key}` is {g:?} in {source}, {w:?} in the table"
                ));
            }
        }
    }
    out
}

fn recorded_catalog() -> Option<Vec<Value>> {
    let dir = crate::support::recordings_or_skip("model_facts")?;
    let text = std::fs::read_to_string(dir.join("Warmup.json")).expect("Warmup.json is readable");
    let cassette: Value = serde_json::from_str(&text).expect("Warmup.json is JSON");
    let mut entries = Vec::new();
    for interaction in cassette["interactions"].as_array().into_iter().flatten() {
        let body = interaction["response"]["body"].as_str().unwrap_or("");
        if let Ok(page) = serde_json::from_str::<Value>(body) {
            entries.extend(page["result"].as_array().cloned().unwrap_or_default());
        }
    }
    Some(entries)
}

#[test]
fn the_table_matches_the_recorded_catalog() {
    let Some(entries) = recorded_catalog() else {
        return;
    };
    assert_eq!(entries.len(), 63);
    let diffs = differences(&entries, "the recorded catalog");
    assert!(diffs.is_empty(), "{}", diffs.join("\n"));
}

fn emulator_catalog(emulator: &Emulator) -> Vec<Value> {
    let url = format!(
        "{}/accounts/{ACCOUNT}/ai/models/search?page=1&per_page=1000",
        emulator.base_url()
    );
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let text = runtime.block_on(async {
        reqwest::Client::new()
            .get(url)
            .bearer_auth(DEFAULT_TOKEN)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    });
    let page: Value = serde_json::from_str(&text).unwrap();
    page["result"].as_array().cloned().unwrap_or_default()
}

#[test]
fn the_emulator_serves_the_table() {
    let emulator = Emulator::start(EmulatorConfig::default()).unwrap();
    let entries = emulator_catalog(&emulator);
    assert_eq!(entries.len(), 63);
    let diffs = differences(&entries, "the emulator's catalog");
    assert!(diffs.is_empty(), "{}", diffs.join("\n"));
    // And the recorded catalog, property by property, where the recordings are present.
    if let Some(recorded) = recorded_catalog() {
        let by_id = |list: &[Value]| -> BTreeMap<String, BTreeMap<String, Value>> {
            list.iter()
                .filter_map(|e| Some((e["name"].as_str()?.to_owned(), properties(e))))
                .collect()
        };
        let (ours, theirs) = (by_id(&entries), by_id(&recorded));
        for (id, props) in &theirs {
            let mine = &ours[id];
            assert_eq!(
                mine.keys().collect::<Vec<_>>(),
                props.keys().collect::<Vec<_>>(),
                "{id}"
            );
            for (k, v) in props {
                assert!(same_value(v, &mine[k]), "{id} {k}: {v} vs {}", mine[k]);
            }
        }
    }
}

fn client(base_url: &str, check: bool) -> CloudflareChat {
    crate::support::builder(base_url)
        .check_capabilities(check)
        .build()
        .unwrap()
}

#[tokio::test]
async fn retired_models_fail_before_any_request_naming_the_day_and_replacements() {
    let emulator = Emulator::start(EmulatorConfig::default()).unwrap();
    let base = emulator.base_url();
    let provider = client(&base, true).provider();
    for (id, day) in RETIRED_SEEDS {
        let f = facts::lookup(id).unwrap_or_else(|| panic!("{id} is not in the table"));
        assert_eq!(f.retired_on, Some(*day), "{id}");
        assert_eq!(f.status(), ModelStatus::Retired, "{id}");
        assert!(!f.replacements.is_empty(), "{id} names no replacement");
        for other in f.replacements {
            let r = facts::lookup(other).unwrap_or_else(|| panic!("{id}: {other} unknown"));
            assert!(
                r.in_catalog(),
                "{id}: replacement {other} is not in the catalog"
            );
        }
        let err = if f.kind == genai_core::ModelKind::Summarization {
            provider.summarizer(id).unwrap_err()
        } else {
            let chat = client(&base, true).with_model(id).unwrap();
            chat.gen_sync(&ChatRequest::new().user("hi"))
                .await
                .unwrap_err()
        };
        assert_eq!(err.kind(), ErrorKind::Retired, "{id}: {err}");
        assert!(err.message().contains(day), "{id}: {err}");
        // The queue says so too, rather than that the model does not take it.
        let queued = provider.batch(id).map(|_| ()).unwrap_err();
        assert_eq!(queued.kind(), ErrorKind::Retired, "{id}: {queued}");
        assert!(err.message().contains(f.replacements[0]), "{id}: {err}");
    }
    assert_eq!(
        emulator.request_count(),
        0,
        "a retired model was sent a request"
    );
    // Without the check the request goes out, and the service answers as for an id it does
    // not serve.
    let chat = client(&base, false)
        .with_model("@cf/meta/llama-2-7b-chat-int8")
        .unwrap();
    let err = chat
        .gen_sync(&ChatRequest::new().user("hi"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
    assert_eq!(err.code(), Some(7000));
    assert_eq!(emulator.request_count(), 1);
    // `retired_models` lists them with their day, for `genai models --all`.
    let listed = provider.retired_models();
    for (id, day) in RETIRED_SEEDS {
        let m = listed.iter().find(|m| m.id == *id).unwrap();
        assert_eq!(
            (m.status, m.retired_on.as_deref()),
            (ModelStatus::Retired, Some(*day))
        );
    }
}

#[tokio::test]
async fn a_free_plan_account_gets_plan_required_for_paid_models() {
    let free = Emulator::start(EmulatorConfig::default().free_plan()).unwrap();
    let paid: Vec<&str> = facts::catalog()
        .filter(|f| f.paid_only)
        .map(|f| f.id)
        .collect();
    assert_eq!(paid.len(), 5, "{paid:?}");
    for id in paid {
        let chat = client(&free.base_url(), true).with_model(id).unwrap();
        let err = chat
            .gen_sync(&ChatRequest::new().user("hi"))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::PlanRequired, "{id}: {err}");
        assert_eq!((err.status(), err.code()), (Some(403), Some(5035)));
        assert!(err.message().contains("Workers Paid"), "{err}");
    }
    // A free model answers on the Free plan, and a paid one on the Paid plan.
    let glm = client(&free.base_url(), true)
        .with_model("@cf/zai-org/glm-4.7-flash")
        .unwrap();
    assert!(glm.gen_sync(&ChatRequest::new().user("hi")).await.is_ok());
    let paid_plan = Emulator::start(EmulatorConfig::default()).unwrap();
    let kimi = client(&paid_plan.base_url(), true)
        .with_model("@cf/moonshotai/kimi-k2.6")
        .unwrap();
    assert!(kimi.gen_sync(&ChatRequest::new().user("hi")).await.is_ok());
}

#[tokio::test]
async fn the_listing_carries_status_and_paid_only_and_an_alias_warns() {
    let emulator = Emulator::start(EmulatorConfig::default()).unwrap();
    let provider = client(&emulator.base_url(), true).provider();
    let models = provider.list_models().await.unwrap();
    assert_eq!(models.len(), 63);
    assert!(models.iter().all(|m| m.status == ModelStatus::Active));
    let paid: BTreeSet<&str> = models
        .iter()
        .filter(|m| m.paid_only)
        .map(|m| m.id.as_str())
        .collect();
    let want: BTreeSet<&str> = facts::catalog()
        .filter(|f| f.paid_only)
        .map(|f| f.id)
        .collect();
    assert_eq!(paid, want);
    // Kimi K2.5 is an alias the service answers with K2.6: the call goes out and the reply
    // says so (the emulator, like the service, does not list the alias itself).
    let alias = facts::lookup("@cf/moonshotai/kimi-k2.5").unwrap();
    assert_eq!(alias.alias_of, Some("@cf/moonshotai/kimi-k2.6"));
    assert_eq!(alias.status(), ModelStatus::Active);
    assert!(facts::retired_error("@cf/moonshotai/kimi-k2.5").is_none());
    let warning = facts::alias_warning("@cf/moonshotai/kimi-k2.5").unwrap();
    assert!(warning.contains("kimi-k2.6"), "{warning}");
}
