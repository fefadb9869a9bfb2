//! The batch API against the emulator's queue: polls through 429s with `Retry-After`,
//! submissions split under the 10 MB limit, an unknown job refused.

use std::time::Duration;

use genai_cloudflare::WorkersAi;
use genai_core::{
    BatchItem, BatchJob, BatchModel, ChatRequest, ErrorKind, PollPolicy, Provider, TranslateRequest,
};
use genai_testkit::emulator::{Emulator, EmulatorConfig, Fault};

fn provider(emulator: &Emulator) -> WorkersAi {
    crate::support::provider(emulator.base_url())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn polls_go_through_rate_limits_and_results_come_back_in_order() {
    let emulator = Emulator::start(
        EmulatorConfig::default()
            .queue_timing(Duration::from_millis(20), Duration::from_millis(60))
            .queue_poll_fault(
                2,
                Fault::RateLimited {
                    retry_after: "1".into(),
                },
            ),
    )
    .unwrap();
    let batch = provider(&emulator)
        .batch("@cf/meta/llama-3.3-70b-instruct-fp8-fast")
        .unwrap()
        .poll_policy(PollPolicy::default().initial(Duration::from_millis(20)));
    let items: Vec<BatchItem> = (0..12)
        .map(|i| {
            BatchItem::chat(ChatRequest::new().user("Reply with exactly one word: hello."))
                .reference(format!("r{i}"))
        })
        .collect();
    let results = batch.run(&items).await.unwrap();
    assert_eq!(results.len(), 12);
    for (i, r) in results.into_iter().enumerate() {
        assert_eq!(r.index, i);
        assert_eq!(r.external_reference, Some(format!("r{i}")));
        let reply = r.outcome.unwrap().into_chat().unwrap();
        assert!(
            reply.text.to_lowercase().contains("hello"),
            "{}",
            reply.text
        );
    }
    let statuses: Vec<_> = emulator.requests();
    assert!(statuses.len() >= 3, "a submission and several polls");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_payload_over_10_mb_is_split_into_accepted_submissions() {
    let emulator =
        Emulator::start(EmulatorConfig::default().queue_timing(Duration::ZERO, Duration::ZERO))
            .unwrap();
    let batch = provider(&emulator).batch("@cf/meta/m2m100-1.2b").unwrap();
    let text = "word ".repeat(20_000); // 100 KB
    let items: Vec<BatchItem> = (0..110)
        .map(|_| BatchItem::translate(TranslateRequest::new(text.clone(), "fr")))
        .collect();
    let plan = batch.plan(&items).unwrap();
    assert!(plan.len() >= 2, "{plan:?}");
    let results = batch.run(&items).await.unwrap();
    assert_eq!(results.len(), 110);
    assert!(results.iter().all(|r| r.outcome.is_ok()));
    let submissions = emulator
        .requests()
        .into_iter()
        .filter(|r| r.body.get("requests").is_some())
        .count();
    assert_eq!(submissions, plan.len());
}

#[tokio::test]
async fn an_unknown_job_and_a_model_without_the_queue_are_refused() {
    let emulator = Emulator::start(EmulatorConfig::default()).unwrap();
    let p = provider(&emulator);
    let batch = p.batch("@cf/baai/bge-base-en-v1.5").unwrap();
    let job = BatchJob::new("no-such-job", "@cf/baai/bge-base-en-v1.5", 0, 1);
    let items = [BatchItem::embed(genai_core::EmbedRequest::new(["x"]))];
    let e = batch.status(&job, &items).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
    let e = p.batch_model("@cf/meta/llama-3.2-1b-instruct").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unsupported);
    assert_eq!(emulator.request_count(), 1, "the refusal sent nothing");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_queue_model_the_library_batches_passes_the_batch_scenarios() {
    use genai_testkit::scenarios::run_batch_scenarios;
    let emulator = Emulator::start(
        EmulatorConfig::default()
            .queue_timing(Duration::from_millis(10), Duration::from_millis(30)),
    )
    .unwrap();
    let p = provider(&emulator);
    for model in [
        "@cf/meta/llama-3.3-70b-instruct-fp8-fast",
        "@cf/google/gemma-4-26b-a4b-it",
        "@cf/baai/bge-base-en-v1.5",
        "@cf/meta/m2m100-1.2b",
        "@cf/deepgram/aura-1",
        "@cf/deepgram/aura-2-en",
        "@cf/pipecat-ai/smart-turn-v2",
    ] {
        let checks = run_batch_scenarios(&p, model).await;
        assert_eq!(checks.len(), 2, "{model}");
        crate::support::assert_all_pass(model, &checks);
    }
    // Nova 3 has the queue, but its input is a byte stream the queue's JSON cannot carry:
    // refused before any request, so its Batch cell does not apply.
    let before = emulator.requests().len();
    assert!(run_batch_scenarios(&p, "@cf/deepgram/nova-3")
        .await
        .is_empty());
    assert_eq!(emulator.requests().len(), before);
}
