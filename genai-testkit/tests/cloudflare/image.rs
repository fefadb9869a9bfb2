//! Image models end to end against the emulator: every text-to-image model of the seed, image
//! to text and vision chat, a truncated binary reply, and the `genai image` command.

use genai_cloudflare::WorkersAi;
use genai_core::{ErrorKind, ImageModel, ImageRequest, Provider};
use genai_testkit::emulator::{Emulator, EmulatorConfig, Fault};
use genai_testkit::scenarios::{run_describe_scenarios, run_image_scenarios, solid_png, Outcome};

use crate::support::{assert_all_pass, temp_dir};

const IMAGE_MODELS: &[&str] = &[
    "@cf/black-forest-labs/flux-1-schnell",
    "@cf/leonardo/lucid-origin",
    "@cf/leonardo/phoenix-1.0",
    "@cf/stabilityai/stable-diffusion-xl-base-1.0",
    "@cf/bytedance/stable-diffusion-xl-lightning",
    "@cf/lykon/dreamshaper-8-lcm",
    "@cf/runwayml/stable-diffusion-v1-5-img2img",
    "@cf/runwayml/stable-diffusion-v1-5-inpainting",
];

const DESCRIBING_MODELS: &[&str] = &[
    "@cf/llava-hf/llava-1.5-7b-hf",
    "@cf/moondream/moondream3.1-9B-A2B",
    "@cf/meta/llama-4-scout-17b-16e-instruct",
    "@cf/google/gemma-4-26b-a4b-it",
    "@cf/moonshotai/kimi-k2.6",
    "@cf/mistralai/mistral-small-3.1-24b-instruct",
    "@cf/zai-org/glm-4.7-flash",
    "@cf/meta/llama-3.2-11b-vision-instruct",
];

fn provider(emulator: &Emulator) -> WorkersAi {
    crate::support::provider(emulator.base_url())
}

/// Runs the `genai` binary with the emulator's credentials.
fn genai(args: &[&str]) -> std::process::Output {
    crate::support::genai(args)
}

#[tokio::test]
async fn every_image_model_passes_its_scenarios() {
    let emulator = Emulator::start(EmulatorConfig::default()).unwrap();
    let provider = provider(&emulator);
    for model in IMAGE_MODELS {
        let m = provider.image_model(model).unwrap();
        let checks = run_image_scenarios(m.as_ref()).await;
        assert_all_pass(model, &checks);
    }
}

#[tokio::test]
async fn pictures_are_described_by_image_to_text_and_vision_models() {
    let emulator = Emulator::start(EmulatorConfig::default()).unwrap();
    let provider = provider(&emulator);
    for model in DESCRIBING_MODELS {
        let chat = provider.chat_model(model).unwrap();
        let checks = run_describe_scenarios(chat.as_ref()).await;
        assert_all_pass(model, &checks);
        let Outcome::Pass { detail } = &checks[0].outcome else {
            unreachable!()
        };
        assert!(detail.contains("names the colour"), "{model}: {detail}");
    }
    let recorded = emulator.requests();
    let llava = recorded
        .iter()
        .find(|r| r.path.ends_with("llava-1.5-7b-hf"))
        .unwrap();
    assert!(llava.body["image"].is_string(), "base64, not an int array");
    let scout = recorded
        .iter()
        .find(|r| r.path.ends_with("llama-4-scout-17b-16e-instruct"))
        .unwrap();
    let url = scout.body["messages"][0]["content"][1]["image_url"]["url"]
        .as_str()
        .unwrap();
    assert!(url.starts_with("data:image/png;base64,"));
}

#[tokio::test]
async fn images_on_a_text_only_model_are_refused_before_any_request() {
    let emulator = Emulator::start(EmulatorConfig::default()).unwrap();
    let provider = provider(&emulator);
    let chat = provider
        .chat_model("@cf/meta/llama-3.2-1b-instruct")
        .unwrap();
    let checks = run_describe_scenarios(chat.as_ref()).await;
    let Outcome::Error(e) = &checks[0].outcome else {
        panic!("{:?}", checks[0].outcome);
    };
    assert_eq!(e.kind(), ErrorKind::Unsupported);
    let flux = provider.image_model(IMAGE_MODELS[0]).unwrap();
    let e = flux
        .generate(&ImageRequest::new("a fox").size(512, 512))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unsupported);
    let inpaint = provider.image_model(IMAGE_MODELS[7]).unwrap();
    let req = ImageRequest::new("x")
        .image(solid_png(64, 64, [0, 0, 0]))
        .mask(solid_png(32, 32, [255, 255, 255]));
    let e = inpaint.generate(&req).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidRequest);
    assert!(provider
        .image_model("@cf/meta/llama-3.3-70b-instruct-fp8-fast")
        .is_err());
    assert_eq!(emulator.request_count(), 0);
}

#[tokio::test]
async fn a_truncated_binary_reply_is_a_protocol_error_and_leaves_no_file() {
    let emulator = Emulator::start(EmulatorConfig::default().faults([Fault::ShortBody])).unwrap();
    let provider = provider(&emulator);
    let sdxl = provider.image_generator(IMAGE_MODELS[3]).unwrap();
    let dir = temp_dir("short");
    let path = dir.join("cut.png");
    let made = sdxl.generate(&ImageRequest::new("a fox")).await.unwrap();
    let e = made.reply.save(&path).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Protocol, "{e}");
    assert!(!path.exists());
    assert_eq!(
        std::fs::read_dir(&dir).unwrap().count(),
        0,
        "a partial file was left"
    );
}

#[test]
fn the_image_command_writes_the_file_and_reports_its_type() {
    let emulator = Emulator::start(EmulatorConfig::default()).unwrap();
    let dir = temp_dir("cli");
    let out = dir.join("fox.img");
    let run = |args: &[&str]| genai(args);
    let base = emulator.base_url();
    let o = run(&[
        "image",
        "--base-url",
        &base,
        "--format",
        "json",
        "--model",
        "@cf/stabilityai/stable-diffusion-xl-base-1.0",
        "--width",
        "512",
        "--height",
        "384",
        "--out",
        out.to_str().unwrap(),
        "a red fox",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let line: serde_json::Value = serde_json::from_slice(o.stdout.trim_ascii_end()).unwrap();
    let bytes = std::fs::read(&out).unwrap();
    assert_eq!(line["media_type"], "image/png");
    assert_eq!(line["bytes"], bytes.len());
    assert_eq!(genai_core::image_size(&bytes), Some((512, 384)));
    let o = run(&["image", "--base-url", &base, "--out", "-", "a fox"]);
    assert!(o.status.success());
    assert_eq!(genai_core::sniff_media_type(&o.stdout), Some("image/jpeg"));
    let empty = dir.join("empty.png");
    std::fs::write(&empty, b"").unwrap();
    let o = run(&[
        "chat",
        "--base-url",
        crate::support::DEAD,
        "--format",
        "json",
        "--model",
        "@cf/llava-hf/llava-1.5-7b-hf",
        "--image",
        empty.to_str().unwrap(),
        "hi",
    ]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stdout).contains("invalid_request"));
}

#[tokio::test]
async fn llama_vision_asks_for_the_licence_until_it_is_accepted() {
    use genai_core::{ChatRequest, Message, ProviderGen};
    let emulator = Emulator::start(EmulatorConfig::default().require_license_agreement()).unwrap();
    let model = provider(&emulator)
        .chat("@cf/meta/llama-3.2-11b-vision-instruct")
        .unwrap();
    let png = solid_png(16, 16, [200, 30, 30]);
    let req = ChatRequest::new().message(Message::user_with_media("What is this?", vec![png]));
    let refused = model.gen_sync(&req).await.unwrap_err();
    assert_eq!(refused.kind(), ErrorKind::PermissionDenied);
    assert_eq!(refused.code(), Some(5016));
    assert!(refused.message().contains("agree_to_license"), "{refused}");
    assert!(refused.message().contains("--agree"), "{refused}");

    model.agree_to_license().await.unwrap();
    let described = model.gen_sync(&req).await.unwrap();
    assert!(!described.text.is_empty());

    // The command line: `--agree` accepts the licence before the request.
    let fresh = Emulator::start(EmulatorConfig::default().require_license_agreement()).unwrap();
    let dir = temp_dir("licence");
    let image = dir.join("red.png");
    std::fs::write(&image, solid_png(16, 16, [200, 30, 30]).data()).unwrap();
    let base = fresh.base_url();
    let image = image.display().to_string();
    let chat = |agree: bool| {
        let mut args = vec![
            "chat",
            "--base-url",
            &base,
            "--model",
            "@cf/meta/llama-3.2-11b-vision-instruct",
            "--image",
            &image,
            "What is this?",
        ];
        if agree {
            args.push("--agree");
        }
        genai(&args)
    };
    let first = chat(false);
    assert!(!first.status.success());
    assert!(String::from_utf8_lossy(&first.stderr).contains("--agree"));
    let agreed = chat(true);
    assert!(
        agreed.status.success(),
        "{}",
        String::from_utf8_lossy(&agreed.stderr)
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
