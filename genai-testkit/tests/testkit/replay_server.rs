//! Cassette record/replay: loading the shared recordings, replay matching rules, ordering,
//! error reporting, chunked delivery, and recording through the proxy. Loopback only.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::Request;
use axum::response::Response;
use genai_testkit::cassette::{
    find_cassettes, Cassette, Interaction, RecordedRequest, RecordedResponse,
};
use genai_testkit::replay::{MatchMode, RecordingProxy, ReplayServer};
use tokio::sync::Notify;

const TIMEOUT: Duration = Duration::from_secs(20);
const SOME_ACCOUNT: &str = "fedcba9876543210fedcba9876543210";

async fn timed<T>(future: impl Future<Output = T>) -> T {
    tokio::time::timeout(TIMEOUT, future)
        .await
        .expect("timed out")
}

fn interaction(method: &str, url: &str, body: &str, status: u16, reply: &str) -> Interaction {
    Interaction {
        request: RecordedRequest {
            method: method.into(),
            url: url.into(),
            headers: [("content-type".to_string(), "application/json".to_string())].into(),
            body: body.into(),
            body_base64: None,
        },
        response: RecordedResponse {
            status,
            headers: BTreeMap::from([
                ("content-type".to_string(), "application/json".to_string()),
                ("x-fixture".to_string(), "ours".to_string()),
                ("content-length".to_string(), "999".to_string()),
                ("transfer-encoding".to_string(), "chunked".to_string()),
            ]),
            body: reply.into(),
            body_base64: None,
        },
    }
}

fn cassette(interactions: Vec<Interaction>) -> Cassette {
    let mut cassette = Cassette::new("written for genai-testkit's replay tests");
    cassette.interactions = interactions;
    cassette
}

const RUN_URL: &str =
    "https://api.cloudflare.com/client/v4/accounts/ACCOUNT_ID/ai/run/@cf/acme/tiny-model";
const PLANET_BODY: &str = r#"{"messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Name a planet."}],"stream":false,"max_tokens":20}"#;
const PLANET_REPLY: &str =
    r#"{"result":{"response":"Mars."},"success":true,"errors":[],"messages":[]}"#;

fn planet_cassette() -> Cassette {
    cassette(vec![interaction(
        "POST",
        RUN_URL,
        PLANET_BODY,
        200,
        PLANET_REPLY,
    )])
}

fn run_url(server: &ReplayServer) -> String {
    format!(
        "{}/accounts/{SOME_ACCOUNT}/ai/run/@cf/acme/tiny-model",
        server.base_url()
    )
}

async fn post(url: &str, body: &str) -> (u16, String) {
    let reply = timed(
        reqwest::Client::new()
            .post(url)
            .body(body.to_string())
            .send(),
    )
    .await
    .unwrap();
    let status = reply.status().as_u16();
    (status, timed(reply.text()).await.unwrap())
}

#[tokio::test]
async fn every_shared_cloudflare_cassette_loads_and_replays_exactly() {
    let Some(dir) = crate::support::recordings_or_skip(
        "every_shared_cloudflare_cassette_loads_and_replays_exactly",
    ) else {
        return;
    };
    let files = find_cassettes(&dir);
    let client = reqwest::Client::new();
    let mut exchanges = 0;
    for file in &files {
        let loaded = Cassette::load(file).unwrap_or_else(|e| panic!("{e}"));
        let server = ReplayServer::builder()
            .cassette(loaded.clone())
            .start()
            .await
            .unwrap();
        for recorded in &loaded.interactions {
            let path = recorded
                .request
                .url
                .split_once("/client/v4")
                .map(|(_, rest)| rest)
                .unwrap_or_else(|| panic!("{}: unexpected url", file.display()))
                .replace("ACCOUNT_ID", SOME_ACCOUNT);
            let method = recorded.request.method.parse().unwrap();
            let reply = timed(
                client
                    .request(method, format!("{}{path}", server.base_url()))
                    .body(recorded.request.body.clone())
                    .send(),
            )
            .await
            .unwrap();
            assert_eq!(
                reply.status().as_u16(),
                recorded.response.status,
                "{}",
                file.display()
            );
            let content_type = recorded.response.headers.get("content-type").cloned();
            assert_eq!(
                reply
                    .headers()
                    .get("content-type")
                    .map(|v| v.to_str().unwrap().to_string()),
                content_type
            );
            let body = timed(reply.bytes()).await.unwrap();
            assert_eq!(
                body,
                recorded.response.body.as_bytes(),
                "{}",
                file.display()
            );
            exchanges += 1;
        }
        assert!(server.unmatched().is_empty(), "{}", file.display());
        assert!(server.unused().is_empty(), "{}", file.display());
    }
    println!(
        "loaded and replayed {} shared cassettes ({exchanges} exchanges) from {}",
        files.len(),
        dir.display()
    );
    assert!(!files.is_empty());
}

#[tokio::test]
async fn saved_cassettes_load_back_identically() {
    let dir = std::env::temp_dir().join(format!("genai-cassette-it-{}", std::process::id()));
    let path = dir.join("acme/tiny-model/planet.json");
    let original = planet_cassette();
    original.save(&path).unwrap();
    assert_eq!(Cassette::load(&path).unwrap(), original);
    assert_eq!(find_cassettes(&dir), vec![path]);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn strict_matches_equal_json_and_rejects_other_bodies() {
    let server = ReplayServer::builder()
        .cassette(planet_cassette())
        .cassette(planet_cassette())
        .match_mode(MatchMode::Strict)
        .start()
        .await
        .unwrap();
    // Same JSON value, other key order and spacing: served.
    let reordered = r#"{ "max_tokens": 20, "stream": false,
        "messages": [ {"content": "Be brief.", "role": "system"}, {"role": "user", "content": "Name a planet."} ] }"#;
    let (status, body) = post(&run_url(&server), reordered).await;
    assert_eq!((status, body.as_str()), (200, PLANET_REPLY));

    // Another max_tokens: not served under strict matching.
    let other = PLANET_BODY.replace("20", "30");
    let (status, body) = post(&run_url(&server), &other).await;
    assert_eq!(status, 418);
    let error: serde_json::Value = serde_json::from_str(&body).unwrap();
    let why = error["replay_error"].as_str().unwrap();
    assert!(why.contains("closest candidate is #1"), "{why}");
    assert!(why.contains("differs in body"), "{why}");

    // A query string counts under strict matching.
    let (status, _) = post(
        &format!("{}?queueRequest=true", run_url(&server)),
        PLANET_BODY,
    )
    .await;
    assert_eq!(status, 418);

    assert_eq!(server.requests().len(), 3);
    assert_eq!(server.unmatched().len(), 2);
    assert_eq!(server.unmatched()[0].body, other);
    assert_eq!(server.unused().len(), 1);
}

#[tokio::test]
async fn loose_matches_on_method_path_stream_and_last_user_message() {
    let server = ReplayServer::builder()
        .cassettes([planet_cassette(), planet_cassette(), planet_cassette()])
        .match_mode(MatchMode::Loose)
        .start()
        .await
        .unwrap();
    // Other max_tokens, system prompt and query: still served.
    let other = r#"{"messages":[{"role":"user","content":"Name a planet."}],"max_tokens":99}"#;
    let url = format!("{}?queueRequest=true", run_url(&server));
    assert_eq!(post(&url, other).await, (200, PLANET_REPLY.to_string()));

    // Another question: not served, and the error says what differs.
    let (status, body) = post(
        &run_url(&server),
        r#"{"messages":[{"role":"user","content":"Name a moon."}]}"#,
    )
    .await;
    assert_eq!(status, 418);
    assert!(body.contains("last user message"), "{body}");
    assert!(body.contains("Name a moon."), "{body}");

    // Streaming where the recording did not stream: not served.
    let (status, body) = post(
        &run_url(&server),
        r#"{"messages":[{"role":"user","content":"Name a planet."}],"stream":true}"#,
    )
    .await;
    assert_eq!(status, 418);
    assert!(body.contains("stream flag"), "{body}");

    // Another path: not served.
    let wrong_model = run_url(&server).replace("tiny-model", "huge-model");
    assert_eq!(post(&wrong_model, PLANET_BODY).await.0, 418);
    assert_eq!(server.unmatched().len(), 3);
    assert_eq!(server.unused().len(), 2);
}

#[tokio::test]
async fn identical_requests_get_the_recordings_in_order_then_an_error() {
    let list_url = "https://api.cloudflare.com/client/v4/accounts/ACCOUNT_ID/ai/models/search?page=1&per_page=100";
    let server = ReplayServer::builder()
        .cassette(cassette(vec![
            interaction("GET", list_url, "", 200, r#"{"page":"first"}"#),
            interaction("GET", list_url, "", 200, r#"{"page":"second"}"#),
        ]))
        .start()
        .await
        .unwrap();
    let client = reqwest::Client::new();
    // Query parameters in another order still match.
    let url = format!(
        "{}/accounts/{SOME_ACCOUNT}/ai/models/search?per_page=100&page=1",
        server.base_url()
    );
    let mut bodies = Vec::new();
    for _ in 0..3 {
        let reply = timed(client.get(&url).send()).await.unwrap();
        bodies.push((reply.status().as_u16(), timed(reply.text()).await.unwrap()));
    }
    assert_eq!(bodies[0], (200, r#"{"page":"first"}"#.to_string()));
    assert_eq!(bodies[1], (200, r#"{"page":"second"}"#.to_string()));
    assert_eq!(bodies[2].0, 418);
    assert!(bodies[2].1.contains("already served"), "{}", bodies[2].1);
    assert!(server.unused().is_empty());
    let requests = server.requests();
    assert_eq!(requests.len(), 3);
    assert_eq!(requests[0].method, "GET");
    assert_eq!(
        requests[0].path,
        format!("/client/v4/accounts/{SOME_ACCOUNT}/ai/models/search?per_page=100&page=1")
    );
}

#[tokio::test]
async fn replies_carry_recorded_status_and_headers_and_paths_compare_decoded() {
    let server = ReplayServer::builder()
        .cassette(cassette(vec![
            interaction(
                "POST",
                "https://api.cloudflare.com/client/v4/accounts/ACCOUNT_ID/ai/run/no%20such%20model",
                r#"{"messages":[]}"#,
                400,
                r#"{"success":false,"errors":[{"code":7000,"message":"No route"}]}"#,
            ),
            interaction(
                "POST",
                "https://api.cloudflare.com/client/v4/accounts/ACCOUNT_ID/ai/run/@cf/acme/tiny-model",
                r#"{"messages":[]}"#,
                200,
                "{}",
            ),
        ]))
        .start()
        .await
        .unwrap();
    let reply = timed(
        reqwest::Client::new()
            .post(format!(
                "{}/accounts/{SOME_ACCOUNT}/ai/run/no such model",
                server.base_url()
            ))
            .body(r#"{"messages":[]}"#)
            .send(),
    )
    .await
    .unwrap();
    assert_eq!(reply.status().as_u16(), 400);
    assert_eq!(reply.headers()["x-fixture"], "ours");
    assert_eq!(reply.headers()["content-type"], "application/json");
    // The recorded (wrong) content-length and transfer-encoding are not replayed.
    assert_ne!(
        reply.headers().get("content-length").map(|v| v.as_bytes()),
        Some(&b"999"[..])
    );
    assert!(timed(reply.text()).await.unwrap().contains("No route"));

    let escaped = format!(
        "{}/accounts/{SOME_ACCOUNT}/ai/run/%40cf%2Facme%2Ftiny-model",
        server.base_url()
    );
    assert_eq!(post(&escaped, r#"{"messages":[]}"#).await.0, 200);
    assert!(server.unused().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chunked_delivery_arrives_in_several_reads() {
    let reply_body: String = (0..16)
        .map(|i| format!("data: {{\"response\":\"w{i:02}\"}}\n\n"))
        .collect();
    let server = ReplayServer::builder()
        .cassette(cassette(vec![interaction(
            "POST",
            RUN_URL,
            PLANET_BODY,
            200,
            &reply_body,
        )]))
        .chunk_size(Some(7))
        .start()
        .await
        .unwrap();
    let mut reply = timed(
        reqwest::Client::new()
            .post(run_url(&server))
            .body(PLANET_BODY)
            .send(),
    )
    .await
    .unwrap();
    assert_eq!(reply.status().as_u16(), 200);
    let mut reads = 0;
    let mut received = Vec::new();
    // Bounded: the body is 16 events of 24 bytes, at most one read per byte.
    for _ in 0..=reply_body.len() {
        match timed(reply.chunk()).await.unwrap() {
            Some(piece) => {
                reads += 1;
                assert!(piece.len() <= 7 * reply_body.len());
                received.extend_from_slice(&piece);
            }
            None => break,
        }
    }
    assert_eq!(received, reply_body.as_bytes());
    println!("{} bytes arrived in {reads} reads", received.len());
    assert!(reads >= 3, "expected several reads, got {reads}");

    assert!(matches!(
        ReplayServer::builder().chunk_size(Some(0)).start().await,
        Err(genai_testkit::replay::ReplayError::InvalidChunkSize)
    ));
}

const TOKEN: &str = "tok-5ecret-for-tests-only";
const ACCOUNT: &str = "0a1b2c3d4e5f60718293a4b5c6d7e8f9";

/// A stand-in for Cloudflare on loopback: checks the token, echoes secrets back (as a careless
/// service might) and streams its SSE reply in two parts, the second only once `release` fires.
async fn fake_upstream(release: Arc<Notify>) -> String {
    let handler = move |request: Request| {
        let release = Arc::clone(&release);
        async move {
            let authorized = request
                .headers()
                .get("authorization")
                .is_some_and(|v| v.as_bytes() == format!("Bearer {TOKEN}").as_bytes());
            let path = request.uri().path().to_string();
            let body = axum::body::to_bytes(request.into_body(), 1 << 20)
                .await
                .unwrap();
            let builder = Response::builder()
                .header("x-echo", format!("Bearer {TOKEN}"))
                .header("x-account", ACCOUNT)
                .header("set-cookie", "session=abc")
                .header("vary", "Accept")
                .header("vary", "Origin");
            if !authorized {
                return builder.status(401).body(Body::from("{}")).unwrap();
            }
            if path.ends_with("/ai/models/search") {
                return builder
                    .header("content-type", "application/json")
                    .body(Body::from(format!(
                        r#"{{"result":[],"note":"account {ACCOUNT} token {TOKEN}"}}"#
                    )))
                    .unwrap();
            }
            assert!(path.contains("/ai/run/@cf/acme/tiny-model"), "{path}");
            assert!(String::from_utf8_lossy(&body).contains("\"stream\":true"));
            let parts = futures_util::stream::unfold(0, move |step| {
                let release = Arc::clone(&release);
                async move {
                    match step {
                        0 => Some((
                            Ok::<_, std::io::Error>("data: {\"response\":\"Ven\"}\n\n"),
                            1,
                        )),
                        1 => {
                            release.notified().await;
                            Some((Ok("data: {\"response\":\"us\"}\n\ndata: [DONE]\n\n"), 2))
                        }
                        _ => None,
                    }
                }
            });
            builder
                .header("content-type", "text/event-stream")
                .body(Body::from_stream(parts))
                .unwrap()
        }
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, axum::Router::new().fallback(handler))
            .await
            .unwrap();
    });
    format!("http://{addr}/client/v4")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recording_proxy_streams_through_and_records_without_secrets() {
    let release = Arc::new(Notify::new());
    let upstream = fake_upstream(Arc::clone(&release)).await;
    let proxy = RecordingProxy::start(&upstream, ACCOUNT, TOKEN)
        .await
        .unwrap();
    assert!(proxy.base_url().starts_with("http://127.0.0.1:"));
    assert!(proxy.base_url().ends_with("/client/v4"));
    let client = reqwest::Client::new();

    // A streamed generation: the first event reaches the client before the upstream sends the
    // rest, so the proxy streams rather than buffers.
    let stream_body = r#"{"messages":[{"role":"user","content":"Name a planet."}],"stream":true}"#;
    let mut reply = timed(
        client
            .post(format!(
                "{}/accounts/{ACCOUNT}/ai/run/@cf/acme/tiny-model",
                proxy.base_url()
            ))
            .bearer_auth(TOKEN)
            .header("content-type", "application/json")
            .body(stream_body)
            .send(),
    )
    .await
    .unwrap();
    assert_eq!(reply.status().as_u16(), 200);
    assert_eq!(reply.headers()["content-type"], "text/event-stream");
    assert_eq!(reply.headers()["x-echo"], format!("Bearer {TOKEN}"));
    let first = timed(reply.chunk()).await.unwrap().unwrap();
    assert_eq!(&first[..], b"data: {\"response\":\"Ven\"}\n\n");
    release.notify_one();
    let mut rest = Vec::new();
    for _ in 0..100 {
        match timed(reply.chunk()).await.unwrap() {
            Some(piece) => rest.extend_from_slice(&piece),
            None => break,
        }
    }
    assert_eq!(rest, b"data: {\"response\":\"us\"}\n\ndata: [DONE]\n\n");

    // A listing whose body echoes both secrets.
    let reply = timed(
        client
            .get(format!(
                "{}/accounts/{ACCOUNT}/ai/models/search?page=1&per_page=100",
                proxy.base_url()
            ))
            .bearer_auth(TOKEN)
            .header("content-type", "application/json")
            .send(),
    )
    .await
    .unwrap();
    assert_eq!(reply.status().as_u16(), 200);
    assert!(timed(reply.text()).await.unwrap().contains(TOKEN));

    let recorded = proxy.take_cassette("recorded by the proxy test");
    assert_eq!(
        recorded.source.as_deref(),
        Some("recorded by the proxy test")
    );
    assert_eq!(recorded.interactions.len(), 2);
    assert!(!recorded.contains_secret(TOKEN));
    assert!(!recorded.contains_secret(ACCOUNT));
    let json = serde_json::to_string(&recorded).unwrap();
    assert!(!json.contains(TOKEN) && !json.contains(ACCOUNT));

    let run = &recorded.interactions[0];
    assert_eq!(run.request.method, "POST");
    assert_eq!(
        run.request.url,
        format!("{upstream}/accounts/ACCOUNT_ID/ai/run/@cf/acme/tiny-model")
    );
    assert_eq!(
        run.request.headers,
        BTreeMap::from([("content-type".to_string(), "application/json".to_string())])
    );
    assert_eq!(run.request.body, stream_body);
    assert_eq!(run.response.status, 200);
    assert_eq!(
        run.response.body,
        "data: {\"response\":\"Ven\"}\n\ndata: {\"response\":\"us\"}\n\ndata: [DONE]\n\n"
    );
    assert_eq!(run.response.headers["content-type"], "text/event-stream");
    assert_eq!(run.response.headers["vary"], "Accept, Origin");
    assert_eq!(run.response.headers["x-account"], "ACCOUNT_ID");
    assert!(!run.response.headers.contains_key("x-echo"));
    assert!(!run.response.headers.contains_key("set-cookie"));

    let listing = &recorded.interactions[1];
    assert_eq!(
        listing.request.url,
        format!("{upstream}/accounts/ACCOUNT_ID/ai/models/search?page=1&per_page=100")
    );
    assert!(listing
        .response
        .body
        .contains("account ACCOUNT_ID token REDACTED"));

    // Taking clears; what was recorded replays.
    assert!(proxy.take_cassette("again").interactions.is_empty());
    let server = ReplayServer::builder()
        .cassette(recorded)
        .start()
        .await
        .unwrap();
    let (status, body) = post(
        &format!(
            "{}/accounts/any/ai/run/@cf/acme/tiny-model",
            server.base_url()
        ),
        stream_body,
    )
    .await;
    assert_eq!(status, 200);
    assert!(body.ends_with("data: [DONE]\n\n"));
}

#[tokio::test]
async fn recording_proxy_saves_and_reports_unreachable_upstreams() {
    // A port that was free a moment ago: nothing listens there.
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let dead = format!("http://{}/client/v4", closed.local_addr().unwrap());
    drop(closed);
    let proxy = RecordingProxy::start(&dead, ACCOUNT, TOKEN).await.unwrap();
    let reply = timed(
        reqwest::Client::new()
            .get(format!(
                "{}/accounts/{ACCOUNT}/ai/models/search",
                proxy.base_url()
            ))
            .bearer_auth(TOKEN)
            .send(),
    )
    .await
    .unwrap();
    assert_eq!(reply.status().as_u16(), 502);
    let text = timed(reply.text()).await.unwrap();
    assert!(text.contains("proxy_error") && !text.contains(TOKEN) && !text.contains(ACCOUNT));

    let dir = std::env::temp_dir().join(format!("genai-proxy-it-{}", std::process::id()));
    let path = dir.join("empty.json");
    assert_eq!(proxy.save_to(&path).unwrap(), 0);
    let saved = Cassette::load(&path).unwrap();
    assert!(saved.interactions.is_empty());
    assert!(saved.source.unwrap().contains(&dead));
    std::fs::remove_dir_all(&dir).unwrap();

    assert!(RecordingProxy::start("not a url", ACCOUNT, TOKEN)
        .await
        .is_err());
    assert!(
        RecordingProxy::start("ftp://example.invalid/x", ACCOUNT, TOKEN)
            .await
            .is_err()
    );
}

#[tokio::test]
async fn a_selected_case_answers_by_name_in_order_then_starts_over() {
    let reply = |text: &str| format!(r#"{{"result":{{"response":"{text}"}},"success":true}}"#);
    let first = interaction("POST", RUN_URL, r#"{"messages":[]}"#, 200, &reply("one"));
    let second = interaction("POST", RUN_URL, r#"{"messages":[]}"#, 200, &reply("two"));
    let server = ReplayServer::builder()
        .case("@cf/acme/tiny-model", "GenSync-A", cassette(vec![first]))
        .case("@cf/acme/tiny-model", "GenSync-B", cassette(vec![second]))
        .start()
        .await
        .unwrap();
    assert!(server.has_case("@cf/acme/tiny-model", "GenSync-A"));
    assert!(!server.has_case("@cf/acme/tiny-model", "GenStream-A"));
    assert_eq!(server.case_models(), ["@cf/acme/tiny-model"]);
    let url = run_url(&server);
    // Nothing selected: ordinary matching, and there is nothing to match.
    assert_eq!(post(&url, PLANET_BODY).await.0, 418);
    // Selected: any body gets the case's replies in order, then the first again.
    server.select(
        "@cf/acme/tiny-model",
        &["GenSync-A".to_owned(), "GenSync-B".to_owned()],
    );
    let mut texts = Vec::new();
    for body in [PLANET_BODY, r#"{"prompt":"x"}"#, PLANET_BODY] {
        let (status, text) = post(&url, body).await;
        assert_eq!(status, 200, "{text}");
        texts.push(text);
    }
    assert!(texts[0].contains("one") && texts[1].contains("two") && texts[2].contains("one"));
    // The stream flag must match the recording's.
    let (status, text) = post(&url, r#"{"prompt":"x","stream":true}"#).await;
    assert_eq!(status, 418);
    assert!(text.contains("stream=false"), "{text}");
    // Deselected: back to ordinary matching.
    server.select("@cf/acme/tiny-model", &[]);
    assert_eq!(post(&url, PLANET_BODY).await.0, 418);
    assert_eq!(server.requests().len(), 6);
}
