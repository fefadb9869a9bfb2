//! The tool loop's scenarios on the scripted fake and on the emulator, through the Cloudflare
//! client: typed tools run, their results reach the answer, sync and streamed.

use std::sync::Arc;

use genai_cloudflare::CloudflareChat;
use genai_core::ProviderGen;
use genai_testkit::emulator::{Emulator, EmulatorConfig, DEFAULT_TOKEN};
use genai_testkit::fake::ScriptedProvider;
use genai_testkit::scenarios::run_agent_scenarios;

fn assert_all_pass(checks: &[genai_testkit::scenarios::Check]) {
    assert_eq!(checks.len(), 4);
    for c in checks {
        assert!(c.passed(), "{}: {:?}", c.name, c.outcome);
    }
}

#[tokio::test]
async fn the_agent_scenarios_pass_on_the_fake() {
    let fake = Arc::new(ScriptedProvider::new("fake/model"));
    assert_all_pass(&run_agent_scenarios(fake.clone()).await);
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
            CloudflareChat::builder()
                .base_url(emulator.base_url())
                .account_id("0123456789abcdef0123456789abcdef")
                .api_token(DEFAULT_TOKEN)
                .model(model)
                .build()
                .expect("client"),
        );
        assert_all_pass(&run_agent_scenarios(client).await);
    }
}
