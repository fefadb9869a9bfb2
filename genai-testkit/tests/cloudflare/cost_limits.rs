//! What calls cost, budgets, rate limits and `rejectIfBusy`, end to end: the estimates against
//! the neurons the real service reported (shared recordings), every priced task kind on the
//! emulator, a budget that refuses before sending, the limiter under an enforced rate, and
//! `busy` not retried.

use std::time::Duration;

use futures_util::StreamExt as _;
use genai_cloudflare::WorkersAi;
use genai_core::{
    Budget, ChatRequest, ClassificationModel, ClassifyRequest, CostSource, EmbedRequest,
    EmbeddingModel, ErrorKind, ImageModel, ImageRequest, Media, Metered, PriceUnit, ProviderGen,
    SpeechModel, SpeechRequest, TranscribeRequest, TranscriptionModel, TurnDetectionModel,
    TurnRequest,
};
use genai_testkit::cassette::{find_cassettes, Cassette};
use genai_testkit::emulator::{Emulator, EmulatorConfig};
use genai_testkit::fixtures::tone_wav;
use genai_testkit::loopback::{json_error, reply, ScriptedServer};
use genai_testkit::replay::{MatchMode, ReplayServer};
use serde_json::Value;

use crate::support::builder;

const LLAMA: &str = "@cf/meta/llama-3.3-70b-instruct-fp8-fast";

fn provider(emulator: &Emulator) -> WorkersAi {
    crate::support::provider(emulator.base_url())
}

/// Every recorded synchronous `/ai/run` reply that reports neurons and usage.
#[test]
fn estimates_match_the_reported_neurons_on_the_real_recordings() {
    let Some(dir) = crate::support::recordings_or_skip("estimates_match_the_reported_neurons")
    else {
        return;
    };
    let mut checked = Vec::new();
    for path in find_cassettes(&dir) {
        let cassette = Cassette::load(&path).expect("cassette loads");
        for i in &cassette.interactions {
            let Some((_, model)) = i.request.url.split_once("/ai/run/") else {
                continue;
            };
            let header = i.response.headers.get("cf-ai-neurons");
            let Some(reported) = header.and_then(|h| h.parse::<f64>().ok()) else {
                continue;
            };
            if reported == 0.0 {
                continue; // a stream: its header says 0 whatever it cost
            }
            let Ok(body) = serde_json::from_str::<Value>(&i.response.body) else {
                continue;
            };
            let usage = &body["result"]["usage"];
            let (Some(input), Some(output)) = (
                usage["prompt_tokens"].as_u64(),
                usage["completion_tokens"].as_u64(),
            ) else {
                continue; // no usage (json_schema replies): nothing to estimate from
            };
            let client = builder("http://127.0.0.1:9").model(model).build().unwrap();
            let price = client
                .price()
                .unwrap_or_else(|| panic!("no price for {model}"));
            let estimate = price.estimate(&Metered::tokens(input, output)).unwrap();
            assert!(
                (estimate.neurons - reported).abs() <= 0.01,
                "{}: estimated {} neurons, the service reported {reported}",
                path.display(),
                estimate.neurons
            );
            checked.push(path.display().to_string());
        }
    }
    assert!(
        checked.len() >= 20,
        "only {} replies checked: {checked:?}",
        checked.len()
    );
}

async fn replay(dir: &std::path::Path, file: &str) -> ReplayServer {
    let cassette =
        Cassette::load(dir.join(format!("@cf/meta/llama-3.3-70b-instruct-fp8-fast/{file}")))
            .expect("cassette loads");
    crate::support::replay(cassette, MatchMode::Loose).await
}

#[tokio::test]
async fn a_sync_reply_costs_what_the_service_reports_and_a_stream_is_estimated() {
    let Some(dir) =
        crate::support::recordings_or_skip("a_sync_reply_costs_what_the_service_reports")
    else {
        return;
    };
    let req = ChatRequest::new().user("Say hello. Use only one word.");
    let server = replay(&dir, "GenSync-Text.json").await;
    let client = builder(server.base_url()).model(LLAMA).build().unwrap();
    let reply = client.gen_sync(&req).await.unwrap();
    let cost = reply.cost.expect("a cost");
    assert_eq!(cost.source, CostSource::Provider);
    assert!((cost.neurons - 1.76).abs() < 1e-9, "{cost:?}");
    assert!((cost.usd - 1.76 * genai_core::USD_PER_NEURON).abs() < 1e-12);

    // The stream twin: same usage, header "0": estimated at its end from the final usage.
    let server = replay(&dir, "GenStream-Text.json").await;
    let client = builder(server.base_url()).model(LLAMA).build().unwrap();
    let mut stream = client.gen_stream(&req).await.unwrap();
    let mut events = Vec::new();
    while let Some(e) = stream.next().await {
        events.push(e.unwrap());
    }
    let n = events.len();
    assert!(
        matches!(events[n - 2], genai_core::StreamEvent::Cost(_)),
        "the cost comes once, just before Finish: {events:?}"
    );
    let reply = genai_core::ChatStream::from_events(events)
        .collect_response()
        .await
        .unwrap();
    let cost = reply.cost.expect("an estimate");
    assert_eq!(cost.source, CostSource::Estimated);
    assert!((cost.neurons - 1.76).abs() <= 0.01, "{cost:?}");
}

/// Each price unit, on a task model the emulator serves: the reply's cost is the model's
/// price times what the call used.
#[tokio::test]
async fn every_priced_task_kind_is_estimated() {
    let emulator = Emulator::start(EmulatorConfig::default()).unwrap();
    let p = provider(&emulator);
    let price_of = |model: &str, unit: PriceUnit| {
        builder(emulator.base_url())
            .model(model)
            .build()
            .unwrap()
            .price()
            .and_then(|p| p.get(unit))
            .unwrap_or_else(|| panic!("{model} has no {unit:?} price"))
    };
    let close = |what: &str, got: Option<genai_core::Cost>, usd: f64| {
        let c = got.unwrap_or_else(|| panic!("{what}: no cost"));
        assert_eq!(c.source, CostSource::Estimated, "{what}");
        assert!(
            (c.usd - usd).abs() <= usd * 1e-9 + 1e-15,
            "{what}: {c:?}, expected ${usd}"
        );
    };

    // Per input token: the emulator's embedding replies, like the service's bge replies,
    // report no usage and (unlike the service) no neurons: the cost is unknown, not zero.
    let model = "@cf/baai/bge-small-en-v1.5";
    let e = p
        .embedder(model)
        .unwrap()
        .embed(&EmbedRequest::new(["one text", "another"]))
        .await
        .unwrap();
    assert!(price_of(model, PriceUnit::InputTokensPerM) > 0.0);
    assert!(!e.usage.is_reported() && e.cost.is_none(), "{:?}", e.cost);

    // Per 1k characters.
    let model = "@cf/deepgram/aura-1";
    let text = "Hello from the cost test.";
    let speech = p
        .speech(model)
        .unwrap()
        .speak(&SpeechRequest::new(text))
        .await
        .unwrap();
    close(
        "speech",
        speech.cost(),
        text.len() as f64 / 1000.0 * price_of(model, PriceUnit::ThousandCharacters),
    );

    // Per 512x512 tile and per step.
    let model = "@cf/leonardo/lucid-origin";
    let mut req = ImageRequest::new("a red square");
    req.width = Some(1024);
    req.height = Some(512);
    req.steps = Some(4);
    let image = p
        .image_generator(model)
        .unwrap()
        .generate(&req)
        .await
        .unwrap();
    close(
        "image",
        image.reply.cost(),
        2.0 * price_of(model, PriceUnit::Tile512) + 4.0 * price_of(model, PriceUnit::Step),
    );

    // Per inference request.
    let model = "@cf/microsoft/resnet-50";
    let png = genai_testkit::scenarios::solid_png(8, 8, [200, 30, 30]);
    let labels = p
        .classifier(model)
        .unwrap()
        .classify(&ClassifyRequest::image(png))
        .await
        .unwrap();
    close(
        "classification",
        labels.cost,
        price_of(model, PriceUnit::Request),
    );

    // Per audio minute: transcription (the duration the service reports, else the WAV's
    // length: 1.5 s) and turn detection (the WAV's length).
    let wav = tone_wav(1.0, 0.5);
    let model = "@cf/openai/whisper";
    let t = p
        .transcriber(model)
        .unwrap()
        .transcribe(&TranscribeRequest::new(
            Media::from_bytes(wav.clone()).unwrap(),
        ))
        .await
        .unwrap();
    let seconds = t.duration.unwrap_or(1.5);
    close(
        "transcription",
        t.cost,
        seconds / 60.0 * price_of(model, PriceUnit::AudioMinute),
    );
    let model = "@cf/pipecat-ai/smart-turn-v2";
    let turn = p
        .turn_detector(model)
        .unwrap()
        .detect_turn(&TurnRequest::new(Media::from_bytes(wav).unwrap()))
        .await
        .unwrap();
    close(
        "turn detection",
        turn.cost,
        1.5 / 60.0 * price_of(model, PriceUnit::AudioMinute),
    );
}

#[tokio::test]
async fn a_budget_refuses_before_sending_and_counts_what_was_spent() {
    let emulator = Emulator::start(EmulatorConfig::default()).unwrap();
    let budget = Budget::usd(0.001);
    let client = builder(emulator.base_url())
        .model(LLAMA)
        .budget(budget.clone())
        .build()
        .unwrap();
    // 256 tokens of output at most: well within a tenth of a cent.
    let req = ChatRequest::new()
        .user("Reply with exactly one word: hello.")
        .max_tokens(256);
    let reply = client.gen_sync(&req).await.unwrap();
    let spent = budget.spent_neurons();
    assert!(spent > 0.0, "the call was charged");
    assert!(
        (spent - reply.cost.unwrap().neurons).abs() < 1e-9,
        "charged its real cost"
    );
    assert_eq!(emulator.request_count(), 1);

    // A worst case of 100,000 output tokens (about 0.23 dollars) cannot fit: nothing is sent.
    let big = ChatRequest::new().user("Write a book.").max_tokens(100_000);
    let e = client.gen_sync(&big).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Budget, "{e}");
    assert!(!e.is_retryable());
    let e = client.gen_stream(&big).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Budget, "{e}");
    assert_eq!(emulator.request_count(), 1, "a refused call sends nothing");
    assert!(
        (budget.spent_neurons() - spent).abs() < 1e-9,
        "a refusal costs nothing"
    );

    // Other kinds share the client's budget.
    let p = builder(emulator.base_url())
        .budget(Budget::neurons(0.0))
        .build_provider()
        .unwrap();
    let e = p
        .embedder("@cf/baai/bge-small-en-v1.5")
        .unwrap()
        .embed(&EmbedRequest::new(["x"]))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Budget, "{e}");
    assert_eq!(emulator.request_count(), 1);
}

#[tokio::test]
async fn busy_is_not_retried_and_the_option_is_sent() {
    let server = ScriptedServer::start(|_, _| async move {
        json_error(
            429,
            3040,
            "Capacity temporarily exceeded, please try again.",
        )
    })
    .await
    .unwrap();
    let client = builder(server.base_url())
        .model(LLAMA)
        .max_retries(3)
        .reject_if_busy(true)
        .build()
        .unwrap();
    let e = client
        .gen_sync(&ChatRequest::new().user("hi"))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Busy, "{e}");
    assert_eq!((e.status(), e.code()), (Some(429), Some(3040)));
    assert!(!e.is_retryable());
    assert_eq!(server.hits(), 1, "busy is not retried");

    // Without the option the same reply is a capacity error, retried.
    let client = builder(server.base_url())
        .model(LLAMA)
        .max_retries(1)
        .retry_policy(
            genai_core::http::RetryPolicy::default()
                .max_retries(1)
                .initial_backoff(Duration::from_millis(1)),
        )
        .build()
        .unwrap();
    let e = client
        .gen_sync(&ChatRequest::new().user("hi"))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unavailable);
    assert_eq!(server.hits(), 3);

    // The body carries `options.rejectIfBusy` beside the input.
    let emulator = Emulator::start(EmulatorConfig::default()).unwrap();
    let client = builder(emulator.base_url())
        .model(LLAMA)
        .reject_if_busy(true)
        .build()
        .unwrap();
    client
        .gen_sync(&ChatRequest::new().user("hi"))
        .await
        .unwrap();
    let sent = &emulator.requests()[0].body;
    assert_eq!(sent["options"]["rejectIfBusy"], true, "{sent}");
    assert!(sent["messages"].is_array());
}

#[tokio::test]
async fn rate_limit_headers_are_on_replies_and_errors() {
    let server = ScriptedServer::start(|n, _| async move {
        let mut r = if n == 0 {
            reply(
                200,
                "application/json",
                r#"{"result":{"response":"hi","usage":{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4}},"success":true,"errors":[]}"#,
            )
        } else {
            json_error(429, 3021, "Too many requests")
        };
        let h = r.headers_mut();
        h.insert("ratelimit", "\"default\";r=1199;t=1".parse().unwrap());
        h.insert("ratelimit-policy", "\"default\";q=1200;w=300".parse().unwrap());
        r
    })
    .await
    .unwrap();
    let client = builder(server.base_url()).model(LLAMA).build().unwrap();
    let reply = client
        .gen_sync(&ChatRequest::new().user("hi"))
        .await
        .unwrap();
    let rl = reply.rate_limit.expect("rate limit");
    assert_eq!(
        (rl.limit, rl.remaining, rl.reset_secs, rl.window_secs),
        (Some(1200), Some(1199), Some(1), Some(300))
    );
    let e = client
        .gen_sync(&ChatRequest::new().user("hi"))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::RateLimited);
    assert_eq!(e.rate_limit().and_then(|rl| rl.remaining), Some(1199));
}

/// Task replies (not only chat) carry the rate-limit state their headers reported, in either
/// header style.
#[tokio::test]
async fn rate_limit_headers_are_on_task_replies() {
    let server = ScriptedServer::start(|n, _| async move {
        let mut r = if n == 0 {
            reply(
                200,
                "application/json",
                r#"{"result":{"shape":[1,2],"data":[[0.5,0.25]],"pooling":"mean"},"success":true,"errors":[]}"#,
            )
        } else {
            reply(
                200,
                "application/json",
                r#"{"result":[{"label":"POSITIVE","score":0.9},{"label":"NEGATIVE","score":0.1}],"success":true,"errors":[]}"#,
            )
        };
        let h = r.headers_mut();
        h.insert("x-ratelimit-limit", "3000".parse().unwrap());
        h.insert("x-ratelimit-remaining", "2998".parse().unwrap());
        h.insert("x-ratelimit-reset", "42".parse().unwrap());
        r
    })
    .await
    .unwrap();
    let p = builder(server.base_url()).build_provider().unwrap();
    let e = p
        .embedder("@cf/baai/bge-small-en-v1.5")
        .unwrap()
        .embed(&EmbedRequest::new(["one text"]))
        .await
        .unwrap();
    let rl = e.rate_limit.expect("embeddings carry the rate limit");
    assert_eq!(
        (rl.limit, rl.remaining, rl.reset_secs),
        (Some(3000), Some(2998), Some(42))
    );
    let c = p
        .classifier("@cf/huggingface/distilbert-sst-2-int8")
        .unwrap()
        .classify(&ClassifyRequest::text("great"))
        .await
        .unwrap();
    assert_eq!(c.rate_limit.and_then(|rl| rl.remaining), Some(2998));
}

/// 1,000 embedding calls, many in flight at once, against an emulator that enforces a rate:
/// without the limiter they are refused; with it not one is.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_limiter_keeps_a_thousand_calls_under_an_enforced_rate() {
    // 250 calls enforced over any second; the client paces at 200 a second. The window is a
    // whole second so that a stalled server thread (requests paced apart but read together)
    // would need a stall of a quarter second to crowd 250 into it. The unpaced run sends 64
    // at once and far more than 250 a second, which the window cannot take.
    let enforced = || EmulatorConfig::default().enforce_rate(250, Duration::from_secs(1));
    let run = |p: WorkersAi, in_flight: usize| async move {
        let embedder = p.embedder("@cf/baai/bge-small-en-v1.5").unwrap();
        futures_util::stream::iter(0..1000)
            .map(|i| {
                let embedder = embedder.clone();
                async move {
                    embedder
                        .embed(&EmbedRequest::new(vec![format!("text {i}")]))
                        .await
                }
            })
            .buffer_unordered(in_flight)
            .filter(|r| std::future::ready(r.is_err()))
            .count()
            .await
    };

    let emulator = Emulator::start(enforced()).unwrap();
    let failed = run(builder(emulator.base_url()).build_provider().unwrap(), 64).await;
    assert!(
        failed > 0 && emulator.rate_limited() > 0,
        "without the limiter the enforced rate must bite (else this test proves nothing)"
    );

    let emulator = Emulator::start(enforced()).unwrap();
    let paced = builder(emulator.base_url())
        .rate_limit_rpm(12_000)
        .build_provider()
        .unwrap();
    let failed = run(paced, 32).await;
    assert_eq!(failed, 0);
    assert_eq!(emulator.rate_limited(), 0);
    assert_eq!(emulator.request_count(), 1000);
}
