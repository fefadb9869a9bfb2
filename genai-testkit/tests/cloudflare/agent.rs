//! The tool loop's scenarios on the scripted fake and on the emulator, through the Cloudflare
//! client: typed tools run, their results reach the answer, sync and streamed.

use std::sync::Arc;

use genai_core::ProviderGen;
use genai_testkit::emulator::{Emulator, EmulatorConfig};
use genai_testkit::fake::ScriptedChat;
use genai_testkit::scenarios::run_agent_scenarios;

/// The four agent scenarios all passed.
fn assert_all_pass(what: &str, checks: &[genai_testkit::scenarios::Check]) {
    assert_eq!(checks.len(), 4);
    crate::support::assert_all_pass(what, checks);
}

#[tokio::test]
async fn the_agent_scenarios_pass_on_the_fake() {
    let fake = Arc::new(ScriptedChat::new("fake/model"));
    assert_all_pass("the fake", &run_agent_scenarios(fake.clone()).await);
    // sync: 2 turns; stream: 2; parallel: 2; tool error: 2.
    assert_eq!(fake.calls(), 8);
}

#[tokio::test]
async fn the_agent_scenarios_pass_on_the_emulator() {
    let emulator = Emulator::start(EmulatorConfig::default()).expect("emulator");
    for model in [
        "@cf/meta/llama-3.3-70b-instruct-fp8-fast",
        "@cf/zai-org/glm-4.7-flash",
    ] {
        let client: Arc<dyn ProviderGen> = Arc::new(
            crate::support::builder(emulator.base_url())
                .model(model)
                .build()
                .expect("client"),
        );
        assert_all_pass(model, &run_agent_scenarios(client).await);
    }
}
