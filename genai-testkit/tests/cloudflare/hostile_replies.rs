//! The library against hostile input and lying servers: model ids that would leave `/ai/run`,
//! media replies that are not media, embeddings a float cannot hold. Every case runs against a
//! scripted loopback server that counts the requests it gets.

use std::sync::{Arc, Mutex};

use axum::response::Response;
use genai_cloudflare::{CloudflareChat, WorkersAi};
use genai_core::{
    EmbedRequest, EmbeddingModel, ErrorKind, ImageModel, ImageRequest, SpeechModel, SpeechRequest,
};
use genai_testkit::loopback::{reply, ScriptedServer};

use crate::support::ACCOUNT;

const TOKEN: &str = "hostile-replies-token-not-a-real-one";

fn provider(server: &ScriptedServer) -> WorkersAi {
    crate::support::builder(server.base_url())
        .api_token(TOKEN)
        .build_provider()
        .unwrap()
}

/// A server answering every request with `make()`, remembering the paths it was asked for.
async fn serve_with(
    make: impl Fn() -> Response + Clone + Send + Sync + 'static,
) -> (ScriptedServer, Arc<Mutex<Vec<String>>>) {
    let paths = Arc::new(Mutex::new(Vec::new()));
    let seen = paths.clone();
    let server = ScriptedServer::start(move |_, req| {
        seen.lock().unwrap().push(req.path.clone());
        let make = make.clone();
        async move { make() }
    })
    .await
    .unwrap();
    (server, paths)
}

#[tokio::test]
async fn model_ids_that_would_leave_ai_run_are_refused_before_any_request() {
    let ok = r#"{"result":{"response":"hi"},"success":true,"errors":[]}"#;
    let (server, paths) = serve_with(move || reply(200, "application/json", ok)).await;
    let p = provider(&server);
    let hostile = [
        "../../../../zone/x",
        "@cf/meta/../../../zone",
        "@cf/meta/llama?x=1",
        "@cf/meta/llama#frag",
        "@cf/meta/%2e%2e",
        "@cf/meta/lla\nma",
        "@cf/meta/lla\u{7f}ma",
        "@cf/meta/llama 3",
        "@cf//llama",
        "@cf/a/b/c",
        "@cf/a/./b",
        "@cf\\..\\x",
    ];
    for id in hostile {
        let refusals = [
            p.chat(id).map(|_| ()).err(),
            p.embedder(id).map(|_| ()).err(),
            p.image_generator(id).map(|_| ()).err(),
            p.speech(id).map(|_| ()).err(),
            p.batch(id).map(|_| ()).err(),
            CloudflareChat::builder()
                .account_id(ACCOUNT)
                .api_token(TOKEN)
                .base_url(server.base_url())
                .model(id)
                .build()
                .map(|_| ())
                .err(),
        ];
        for (n, e) in refusals.into_iter().enumerate() {
            let e = e.unwrap_or_else(|| panic!("{id:?} accepted by constructor {n}"));
            assert_eq!(e.kind(), ErrorKind::InvalidRequest, "{id:?}: {e}");
        }
    }
    assert_eq!(server.hits(), 0, "{:?}", paths.lock().unwrap());
    // The documented shapes still work, and reach /ai/run/ID exactly.
    for id in [
        "@cf/meta/llama-3.2-1b-instruct",
        // An `@hf/` id (every one of the catalog's has retired; a made-up one is sent as is).
        "@hf/example-org/example-chat-7b-awq",
    ] {
        let chat = p.chat(id).unwrap();
        genai_core::ProviderGen::gen_sync(&chat, &genai_core::ChatRequest::new().user("hi"))
            .await
            .unwrap();
    }
    let paths = paths.lock().unwrap();
    assert!(
        paths[0].ends_with("/ai/run/@cf/meta/llama-3.2-1b-instruct"),
        "{paths:?}"
    );
    assert!(paths.iter().all(|p| p.contains("/ai/run/")), "{paths:?}");
}

/// Bodies that are not an image, each with the type the server claims.
fn not_images() -> Vec<(&'static str, Vec<u8>)> {
    let echo = format!("<html><body>Sign in again. Authorization: Bearer {TOKEN}</body></html>");
    vec![
        ("text/html; charset=utf-8", echo.into_bytes()),
        (
            "application/octet-stream",
            br#"{"success":false,"errors":[{"code":3040,"message":"Capacity temporarily exceeded"}]}"#
                .to_vec(),
        ),
        ("image/png", b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03gzipped page".to_vec()),
        ("image/png", b"this is plain text, labelled as a PNG image".to_vec()),
        ("image/png", b"RIFF\x10\0\0\0WAVEfmt audio, not an image".to_vec()),
    ]
}

#[tokio::test]
async fn media_replies_that_are_not_media_fail_with_protocol_quoting_the_body() {
    for (ct, body) in not_images() {
        let (server, _) = serve_with(move || reply(200, ct, body.clone())).await;
        let p = provider(&server);
        let model = p
            .image_generator("@cf/black-forest-labs/flux-1-schnell")
            .unwrap();
        let e = model
            .generate(&ImageRequest::new("a fox"))
            .await
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Protocol, "{ct}: {e}");
        let shown = format!("{e} {e:?}");
        assert!(!shown.contains(TOKEN), "the token leaked: {shown}");
        assert!(e.message().contains("not an image"), "{e}");
        assert_eq!(e.status(), Some(200), "{e}");
    }
    // The HTML page is quoted, the token in it redacted.
    let page = not_images().remove(0).1;
    let (server, _) = serve_with(move || reply(200, "text/html", page.clone())).await;
    let e = provider(&server)
        .image_generator("@cf/black-forest-labs/flux-1-schnell")
        .unwrap()
        .generate(&ImageRequest::new("a fox"))
        .await
        .unwrap_err();
    assert!(e.message().contains("<html><body>Sign in again"), "{e}");
    assert!(e.message().contains("[redacted]"), "{e}");
    // Speech: text labelled audio/mpeg; an image is not audio either.
    for body in [
        b"<!doctype html><p>error</p>".to_vec(),
        b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec(),
    ] {
        let (server, _) = serve_with(move || reply(200, "audio/mpeg", body.clone())).await;
        let e = provider(&server)
            .speech("@cf/deepgram/aura-1")
            .unwrap()
            .speak(&SpeechRequest::new("hello"))
            .await
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Protocol, "{e}");
        assert!(e.message().contains("not audio"), "{e}");
    }
    // Real media of the right class still passes, whatever the label says.
    let jpeg = b"\xff\xd8\xff\xe0\0\x10JFIF\0".to_vec();
    let (server, _) = serve_with(move || reply(200, "image/png", jpeg.clone())).await;
    let made = provider(&server)
        .image_generator("@cf/black-forest-labs/flux-1-schnell")
        .unwrap()
        .generate(&ImageRequest::new("a fox"))
        .await
        .unwrap();
    let media = made.reply.collect().await.unwrap();
    assert_eq!(media.media_type(), "image/jpeg");
}

#[tokio::test]
async fn embeddings_outside_f32_or_without_dimensions_are_protocol_errors() {
    for body in [
        r#"{"result":{"shape":[1,2],"data":[[1e39,0.5]]},"success":true,"errors":[]}"#,
        r#"{"result":{"shape":[1,2],"data":[[0.5,-1e300]]},"success":true,"errors":[]}"#,
        r#"{"result":{"shape":[1,0],"data":[[]]},"success":true,"errors":[]}"#,
    ] {
        let (server, _) = serve_with(move || reply(200, "application/json", body)).await;
        let e = provider(&server)
            .embedder("@cf/baai/bge-base-en-v1.5")
            .unwrap()
            .embed(&EmbedRequest::new(vec!["a".to_owned()]))
            .await
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Protocol, "{body}: {e}");
    }
}
