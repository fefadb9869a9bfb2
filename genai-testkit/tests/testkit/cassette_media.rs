//! Cassettes keep binary bodies byte for byte: an image reply (and a raw image request) recorded
//! through the recording proxy is stored as `body_base64`, survives a save and load, and is
//! replayed exactly.

use genai_core::{ChatRequest, ImageModel, ImageRequest, Message, ProviderGen};
use genai_testkit::cassette::Cassette;
use genai_testkit::emulator::{Emulator, EmulatorConfig};
use genai_testkit::replay::{MatchMode, RecordingProxy};
use genai_testkit::scenarios::solid_png;

use crate::support::ACCOUNT;

const SDXL: &str = "@cf/stabilityai/stable-diffusion-xl-base-1.0";
const LLAVA: &str = "@cf/llava-hf/llava-1.5-7b-hf";

async fn draw(base: &str) -> Vec<u8> {
    let model = crate::support::provider(base)
        .image_generator(SDXL)
        .unwrap();
    let made = model
        .generate(&ImageRequest::new("a green field").size(256, 256))
        .await
        .unwrap();
    made.reply.collect().await.unwrap().into_data().to_vec()
}

async fn describe(base: &str) -> String {
    let llava = crate::support::builder(base).model(LLAVA).build().unwrap();
    // No text: the image goes as the raw request body.
    let req = ChatRequest::new().message(Message::user_with_media(
        "",
        vec![solid_png(16, 16, [0, 160, 0])],
    ));
    llava.gen_sync(&req).await.unwrap().text
}

#[tokio::test]
async fn binary_exchanges_are_recorded_and_replayed_byte_for_byte() {
    let emulator = Emulator::start(EmulatorConfig::default()).unwrap();
    let proxy = RecordingProxy::start(&emulator.base_url(), ACCOUNT, "test-token")
        .await
        .unwrap();
    let live = draw(&proxy.base_url()).await;
    let live_text = describe(&proxy.base_url()).await;
    let cassette = proxy.take_cassette("binary bodies");
    assert_eq!(cassette.interactions.len(), 2);

    let image = &cassette.interactions[0].response;
    assert!(image.body.is_empty());
    assert_eq!(
        image.body_base64.as_ref().map(|b| b.0.clone()),
        Some(live.clone())
    );
    let raw_request = &cassette.interactions[1].request;
    assert!(
        raw_request.body_base64.is_some(),
        "the raw image upload is binary"
    );
    assert!(cassette.interactions[1].response.body_base64.is_none());

    let dir = std::env::temp_dir().join(format!("genai-binary-cassette-{}", std::process::id()));
    let path = dir.join("binary.json");
    cassette.save(&path).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("\"body_base64\""));
    let loaded = Cassette::load(&path).unwrap();
    assert_eq!(loaded, cassette);

    let server = crate::support::replay(loaded, MatchMode::Strict).await;
    let replayed = draw(&server.base_url()).await;
    assert_eq!(replayed, live, "the image is replayed byte for byte");
    assert_eq!(describe(&server.base_url()).await, live_text);
    assert!(server.unmatched().is_empty() && server.unused().is_empty());
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_body_base64_that_is_not_base64_is_refused_when_loading() {
    let dir = std::env::temp_dir().join(format!("genai-bad-b64-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("bad.json");
    std::fs::write(
        &path,
        r#"{"format":"genai-cassette/1","interactions":[{"request":{"method":"POST","url":"u"},
            "response":{"status":200,"body_base64":"***"}}]}"#,
    )
    .unwrap();
    assert!(Cassette::load(&path).is_err());
    let _ = std::fs::remove_dir_all(dir);
}
