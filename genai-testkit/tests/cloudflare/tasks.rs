//! The task models beyond chat against the emulator (through `Arc<dyn ...>`), their bad
//! input, and the bounded concurrency of chunked embeddings on a counting loopback server.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use genai_cloudflare::WorkersAi;
use genai_core::{
    ClassificationModel, ClassifyRequest, EmbedRequest, EmbeddingModel, ErrorKind, Media, Provider,
    RerankRequest, RerankingModel, SummarizationModel, SummarizeRequest, TranslateRequest,
    TranslationModel,
};
use genai_testkit::emulator::{Emulator, EmulatorConfig};
use genai_testkit::scenarios::{
    run_classification_scenarios, run_embedding_scenarios, run_reranking_scenarios,
    run_summarization_scenarios, run_translation_scenarios,
};

use crate::support::assert_all_pass as all_pass;

fn provider(emulator: &Emulator) -> WorkersAi {
    crate::support::provider(emulator.base_url())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_task_kind_passes_its_scenarios_on_the_emulator() {
    let emulator = Emulator::start(EmulatorConfig::default()).unwrap();
    let p: Arc<dyn Provider> = Arc::new(provider(&emulator));
    for m in [
        "@cf/baai/bge-small-en-v1.5",
        "@cf/baai/bge-base-en-v1.5",
        "@cf/baai/bge-large-en-v1.5",
        "@cf/baai/bge-m3",
    ] {
        let model = p.embedding_model(m).unwrap();
        all_pass(m, &run_embedding_scenarios(model.as_ref()).await);
    }
    for m in ["@cf/baai/bge-reranker-base", "@cf/baai/bge-m3"] {
        let model = p.reranking_model(m).unwrap();
        all_pass(m, &run_reranking_scenarios(model.as_ref()).await);
    }
    for m in [
        "@cf/huggingface/distilbert-sst-2-int8",
        "@cf/microsoft/resnet-50",
    ] {
        let model = p.classification_model(m).unwrap();
        all_pass(m, &run_classification_scenarios(model.as_ref()).await);
    }
    let t = p.translation_model("@cf/meta/m2m100-1.2b").unwrap();
    all_pass("m2m100", &run_translation_scenarios(t.as_ref()).await);
    let s = p
        .summarization_model(genai_cloudflare::DEFAULT_SUMMARY_MODEL)
        .unwrap();
    all_pass("summaries", &run_summarization_scenarios(s.as_ref()).await);
    // The retired summarisation model is refused before any request, naming its successor.
    let before = emulator.request_count();
    let err = p
        .summarization_model("@cf/facebook/bart-large-cnn")
        .unwrap_err();
    assert_eq!(err.kind(), genai_core::ErrorKind::Retired, "{err}");
    assert!(err
        .message()
        .contains(genai_cloudflare::DEFAULT_SUMMARY_MODEL));
    assert_eq!(emulator.request_count(), before);
}

#[tokio::test]
async fn dimensions_follow_the_model_and_250_texts_take_three_calls() {
    let emulator = Emulator::start(EmulatorConfig::default()).unwrap();
    let p = provider(&emulator);
    for (m, d) in [
        ("@cf/baai/bge-small-en-v1.5", 384),
        ("@cf/baai/bge-base-en-v1.5", 768),
        ("@cf/baai/bge-large-en-v1.5", 1024),
        ("@cf/baai/bge-m3", 1024),
    ] {
        let out = p
            .embedder(m)
            .unwrap()
            .embed(&EmbedRequest::new(["x y"]))
            .await
            .unwrap();
        assert_eq!(out.dimensions, d, "{m}");
        assert!(!out.usage.is_reported(), "usage is never invented");
    }
    let before = emulator.request_count();
    let texts: Vec<String> = (0..250).map(|i| format!("text {i}")).collect();
    let out = p
        .embedder("@cf/baai/bge-small-en-v1.5")
        .unwrap()
        .embed(&EmbedRequest::new(texts))
        .await
        .unwrap();
    assert_eq!(out.embeddings.len(), 250);
    let calls = &emulator.requests()[before..];
    let sizes: Vec<usize> = calls
        .iter()
        .map(|r| r.body["text"].as_array().map_or(0, Vec::len))
        .collect();
    assert_eq!(sizes, [100, 100, 50]);
}

#[tokio::test]
async fn bad_input_is_refused_before_any_request() {
    let emulator = Emulator::start(EmulatorConfig::default()).unwrap();
    let p = provider(&emulator);
    let embedder = p.embedder("@cf/baai/bge-base-en-v1.5").unwrap();
    let long = "word ".repeat(600);
    let cases = [
        embedder
            .embed(&EmbedRequest::new(Vec::<String>::new()))
            .await,
        embedder.embed(&EmbedRequest::new(["ok", " "])).await,
        embedder.embed(&EmbedRequest::new([long.as_str()])).await,
    ];
    for r in cases {
        let e = r.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidRequest, "{e}");
        assert_eq!(e.operation(), Some("embed"));
    }
    let m3 = p.embedder("@cf/baai/bge-m3").unwrap();
    let e = m3
        .embed(&EmbedRequest::new(["x"]).pooling(genai_core::Pooling::Cls))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unsupported);
    let e = p
        .translator("@cf/meta/m2m100-1.2b")
        .unwrap()
        .translate(&TranslateRequest::new("Hello", "xx"))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidRequest);
    let e = p
        .reranker("@cf/baai/bge-reranker-base")
        .unwrap()
        .rerank(&RerankRequest::new("q", Vec::<String>::new()))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidRequest);
    let resnet = p.classifier("@cf/microsoft/resnet-50").unwrap();
    let not_image = Media::with_type("image/png", b"this is text".to_vec());
    let e = resnet
        .classify(&ClassifyRequest::image(not_image))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidRequest, "{e}");
    let e = resnet
        .classify(&ClassifyRequest::text("hi"))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unsupported);
    for wrong in [
        p.embedder("@cf/meta/llama-3.3-70b-instruct-fp8-fast").err(),
        p.reranker("@cf/baai/bge-base-en-v1.5").err(),
        p.classifier("@cf/baai/bge-m3").err(),
    ] {
        let e = wrong.expect("a model of the wrong kind is refused");
        assert_eq!(e.kind(), ErrorKind::Unsupported, "{e}");
    }
    assert_eq!(emulator.request_count(), 0, "nothing was sent");
}

#[tokio::test]
async fn the_services_400_is_invalid_request_with_its_message() {
    let emulator = Emulator::start(EmulatorConfig::default()).unwrap();
    let p = crate::support::builder(emulator.base_url())
        .check_capabilities(false)
        .build_provider()
        .unwrap();
    let long = "word ".repeat(600);
    let e = p
        .embedder("@cf/baai/bge-base-en-v1.5")
        .unwrap()
        .embed(&EmbedRequest::new([long]))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidRequest);
    assert_eq!(e.status(), Some(400));
    assert_eq!(e.code(), Some(5006));
    assert!(e.message().contains("tokens"), "{e}");
    assert_eq!(emulator.request_count(), 1, "sent once, not retried");
    let e = p
        .translator("@cf/meta/m2m100-1.2b")
        .unwrap()
        .translate(&TranslateRequest::new("Hello", "tlh"))
        .await
        .unwrap_err();
    assert_eq!(
        (e.kind(), e.code()),
        (ErrorKind::InvalidRequest, Some(5006))
    );
}

#[tokio::test]
async fn images_go_raw_with_their_sniffed_type_and_results_come_best_first() {
    let emulator = Emulator::start(EmulatorConfig::default()).unwrap();
    let p = provider(&emulator);
    let resnet: Arc<dyn ClassificationModel> =
        Arc::new(p.classifier("@cf/microsoft/resnet-50").unwrap());
    // Stated as JPEG, but the bytes are a GIF: the bytes win.
    let gif = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;".to_vec();
    let out = resnet
        .classify(&ClassifyRequest::image(Media::with_type("image/jpeg", gif.clone())).top_k(2))
        .await
        .unwrap();
    assert_eq!(out.labels.len(), 2);
    assert!(out.labels[0].score >= out.labels[1].score);
    let req = &emulator.requests()[0];
    assert_eq!(req.header("content-type").as_deref(), Some("image/gif"));
    assert_eq!(
        req.body,
        serde_json::Value::Null,
        "raw bytes, not a JSON int array"
    );

    let ranking = p
        .reranker("@cf/baai/bge-reranker-base")
        .unwrap()
        .rerank(
            &RerankRequest::new(
                "capital of France",
                [
                    "Cats purr.",
                    "Paris is the capital of France.",
                    "Berlin is in Germany.",
                ],
            )
            .top_k(2),
        )
        .await
        .unwrap();
    assert_eq!(ranking.results.len(), 2);
    assert_eq!(ranking.results[0].index, 1);
    let summary = p
        .summarizer(genai_cloudflare::DEFAULT_SUMMARY_MODEL)
        .unwrap()
        .summarize(
            &SummarizeRequest::new("One. Two three four. Five six seven eight nine.").max_length(3),
        )
        .await
        .unwrap();
    assert!(
        summary.text.split_whitespace().count() <= 3,
        "{}",
        summary.text
    );
}

/// A loopback embedding service that counts the calls in flight and answers each text
/// `t{i}` with the vector `[i, 0]`, slowly enough for calls to overlap.
async fn counting_server(
    in_flight: Arc<AtomicUsize>,
    peak: Arc<AtomicUsize>,
) -> (String, tokio::task::JoinHandle<()>) {
    use axum::body::Bytes;
    let app = axum::Router::new().fallback(move |body: Bytes| {
        let (in_flight, peak) = (in_flight.clone(), peak.clone());
        async move {
            let now = in_flight.fetch_add(1, Ordering::SeqCst) + 1;
            peak.fetch_max(now, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(3)).await;
            let req: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
            let data: Vec<Vec<f32>> = req["text"]
                .as_array()
                .map(|texts| {
                    texts
                        .iter()
                        .map(|t| {
                            let i = t.as_str().and_then(|t| t[1..].parse::<f32>().ok());
                            vec![i.unwrap_or(-1.0), 0.0]
                        })
                        .collect()
                })
                .unwrap_or_default();
            in_flight.fetch_sub(1, Ordering::SeqCst);
            let body = serde_json::json!({
                "result": {"shape": [data.len(), 2], "data": data, "pooling": "mean"},
                "success": true, "errors": [], "messages": []
            });
            axum::response::Response::builder()
                .header("content-type", "application/json")
                .body(axum::body::Body::from(body.to_string()))
                .unwrap()
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (format!("http://{addr}/client/v4"), task)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_texts_keep_at_most_the_configured_calls_in_flight_in_order() {
    for limit in [1usize, 3, 8] {
        let in_flight = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let (base, task) = counting_server(in_flight.clone(), peak.clone()).await;
        let provider = crate::support::builder(&base)
            .embedding_concurrency(limit)
            .build_provider()
            .unwrap();
        let model: Arc<dyn EmbeddingModel> =
            Arc::new(provider.embedder("@cf/baai/bge-small-en-v1.5").unwrap());
        let texts: Vec<String> = (0..10_000).map(|i| format!("t{i}")).collect();
        let out = model.embed(&EmbedRequest::new(texts)).await.unwrap();
        task.abort();
        assert_eq!(out.embeddings.len(), 10_000);
        for (i, v) in out.embeddings.iter().enumerate() {
            assert_eq!(v[0], i as f32, "vector {i} out of order");
        }
        let peak = peak.load(Ordering::SeqCst);
        assert!(
            peak <= limit,
            "{peak} calls in flight with a limit of {limit}"
        );
        if limit > 1 {
            assert!(
                peak > 1,
                "calls never overlapped (peak {peak}, limit {limit})"
            );
        }
    }
}
