//! The audio kinds (text to speech, speech recognition, turn detection) against the emulator:
//! every model in its wire form, the conformance scenarios, round trips, and bad input refused
//! before any request.

use genai_cloudflare::{WorkersAi, MAX_AUDIO_BYTES};
use genai_core::{
    ErrorKind, Media, MediaFile, Provider, SpeechModel, SpeechRequest, TranscribeRequest,
    TranscriptionModel,
};
use genai_testkit::emulator::{Emulator, EmulatorConfig, Fault};
use genai_testkit::fixtures::tone_wav;
use genai_testkit::scenarios::{
    check_audio, run_round_trip, run_speech_scenarios, run_transcription_scenarios,
    run_turn_detection_scenarios,
};

use crate::support::assert_all_pass;

const TTS: [&str; 2] = ["@cf/deepgram/aura-1", "@cf/myshell-ai/melotts"];
const ASR: [&str; 4] = [
    "@cf/openai/whisper",
    "@cf/openai/whisper-tiny-en",
    "@cf/openai/whisper-large-v3-turbo",
    "@cf/deepgram/nova-3",
];

fn provider(emulator: &Emulator) -> WorkersAi {
    crate::support::provider(emulator.base_url())
}

#[tokio::test]
async fn every_audio_model_passes_its_scenarios_on_the_emulator() {
    let emulator = Emulator::start(EmulatorConfig::default()).unwrap();
    let p = provider(&emulator);
    for tts in TTS {
        let speaker = p.speech_model(tts).unwrap();
        assert_all_pass(tts, &run_speech_scenarios(speaker.as_ref()).await);
        for asr in ASR {
            let listener = p.transcription_model(asr).unwrap();
            assert_all_pass(
                &format!("{tts} -> {asr}"),
                &run_round_trip(speaker.as_ref(), listener.as_ref()).await,
            );
        }
    }
    for asr in ASR {
        let listener = p.transcription_model(asr).unwrap();
        assert_all_pass(asr, &run_transcription_scenarios(listener.as_ref()).await);
    }
    let turn = p
        .turn_detection_model("@cf/pipecat-ai/smart-turn-v2")
        .unwrap();
    assert_all_pass(
        "smart-turn",
        &run_turn_detection_scenarios(turn.as_ref()).await,
    );
}

#[tokio::test]
async fn the_wire_forms_are_the_services() {
    let emulator = Emulator::start(EmulatorConfig::default()).unwrap();
    let p = provider(&emulator);
    let aura = p.speech("@cf/deepgram/aura-1").unwrap();
    let mp3 = aura
        .speak(&SpeechRequest::new("Hi there").voice("luna"))
        .await
        .unwrap()
        .collect()
        .await
        .unwrap();
    assert_eq!(mp3.media_type(), "audio/mpeg");
    let wav = aura
        .speak(
            &SpeechRequest::new("Hi there")
                .encoding("linear16")
                .container("wav")
                .sample_rate(16000),
        )
        .await
        .unwrap()
        .collect()
        .await
        .unwrap();
    assert_eq!(wav.media_type(), "audio/wav");
    check_audio(&wav).unwrap();
    let melo = p.speech("@cf/myshell-ai/melotts").unwrap();
    let melo_wav = melo
        .speak(&SpeechRequest::new("Bonjour").language("fr"))
        .await
        .unwrap()
        .collect()
        .await
        .unwrap();
    assert_eq!(melo_wav.media_type(), "audio/wav");

    let audio = Media::from_bytes(tone_wav(0.5, 0.2)).unwrap();
    for asr in ASR {
        let mut req = TranscribeRequest::new(audio.clone());
        if asr != "@cf/openai/whisper" {
            // whisper takes no options; whisper-tiny-en takes `en` (and needs no field).
            req = req.language("en");
        }
        p.transcriber(asr).unwrap().transcribe(&req).await.unwrap();
    }
    let sent = emulator.requests();
    let body = |i: usize| &sent[i].body;
    // aura: speaker (never `voice`), encodings; melotts: prompt and lang.
    assert_eq!(body(0)["speaker"], "luna");
    assert!(body(0).get("voice").is_none());
    assert_eq!(body(1)["encoding"], "linear16");
    assert_eq!(body(1)["sample_rate"], 16000);
    assert_eq!(body(2)["prompt"], "Bonjour");
    assert_eq!(body(2)["lang"], "fr");
    // whisper and whisper-tiny-en: the raw audio as the body.
    for i in [3, 4] {
        assert_eq!(sent[i].header("content-type").as_deref(), Some("audio/wav"));
        assert!(sent[i].body.is_null(), "raw bytes, not JSON");
    }
    // turbo: base64 in JSON, never an int array.
    assert!(body(5)["audio"].is_string());
    assert_eq!(body(5)["language"], "en");
    // nova-3: raw audio with its type, options in the query.
    assert_eq!(sent[6].header("content-type").as_deref(), Some("audio/wav"));
    assert!(sent[6].query.contains("language=en"));
    assert!(sent[6].query.contains("smart_format=true"));
}

#[tokio::test]
async fn a_recording_on_disk_is_streamed_to_every_recogniser() {
    let emulator = Emulator::start(EmulatorConfig::default()).unwrap();
    let p = provider(&emulator);
    let speech = p
        .speech("@cf/myshell-ai/melotts")
        .unwrap()
        .speak(&SpeechRequest::new("seven green apples"))
        .await
        .unwrap();
    let path = std::env::temp_dir().join(format!("genai-asr-file-{}.wav", std::process::id()));
    speech.save(&path).await.unwrap();
    let file = MediaFile::open(&path).await.unwrap();
    assert_eq!(file.media_type(), "audio/wav");
    for asr in ASR {
        let req = TranscribeRequest::new(file.clone());
        let heard = p.transcriber(asr).unwrap().transcribe(&req).await.unwrap();
        assert!(
            heard.text.to_lowercase().contains("seven green apples"),
            "{asr}: {:?}",
            heard.text
        );
    }
    let sent = emulator.requests();
    // Raw bodies are the file's bytes; turbo's JSON holds their base64; each with its length.
    for i in [1, 2, 4] {
        assert_eq!(
            sent[i].header("content-length"),
            Some(file.len().to_string())
        );
    }
    let turbo_len: u64 = sent[3].header("content-length").unwrap().parse().unwrap();
    assert_eq!(
        turbo_len,
        file.base64_len() + r#"{"audio":""}"#.len() as u64
    );
    assert!(sent[3].body["audio"].is_string());
    // A file that changed since it was opened is refused, not sent, and not retried.
    std::fs::write(&path, b"RIFF\0\0\0\0WAVEfmt short").unwrap();
    for asr in ASR {
        let e = p
            .transcriber(asr)
            .unwrap()
            .transcribe(&TranscribeRequest::new(file.clone()))
            .await
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidRequest, "{asr}: {e}");
        assert!(e.message().contains("changed"), "{asr}: {e}");
    }
    assert_eq!(emulator.requests().len(), sent.len());
    std::fs::remove_file(&path).unwrap();
}

#[tokio::test]
async fn bad_input_is_refused_before_any_request() {
    let emulator = Emulator::start(EmulatorConfig::default()).unwrap();
    let p = provider(&emulator);
    let aura = p.speech("@cf/deepgram/aura-1").unwrap();
    let e = aura
        .speak(&SpeechRequest::new("Hi").voice("nova"))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidRequest);
    assert!(e.message().contains("angus"), "{e}");
    let e = aura
        .speak(&SpeechRequest::new("Hi").language("fr"))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unsupported);
    let e = p
        .speech("@cf/meta/llama-3.3-70b-instruct-fp8-fast")
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unsupported);
    let e = p.transcriber("@cf/deepgram/aura-1").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unsupported);

    let whisper = p.transcriber("@cf/openai/whisper").unwrap();
    let big = Media::with_type("audio/wav", vec![0u8; MAX_AUDIO_BYTES as usize + 1]);
    let e = whisper
        .transcribe(&TranscribeRequest::new(big))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidRequest);
    let empty = Media::with_type("audio/wav", Vec::new());
    assert!(whisper
        .transcribe(&TranscribeRequest::new(empty))
        .await
        .is_err());
    let audio = Media::from_bytes(tone_wav(0.2, 0.0)).unwrap();
    let e = whisper
        .transcribe(&TranscribeRequest::new(audio.clone()).prompt("names"))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unsupported);
    let tiny = p.transcriber("@cf/openai/whisper-tiny-en").unwrap();
    let e = tiny
        .transcribe(&TranscribeRequest::new(audio).language("de"))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unsupported);
    assert_eq!(emulator.request_count(), 0);
}

#[tokio::test]
async fn a_cut_audio_reply_is_a_protocol_error_and_leaves_no_file() {
    let emulator = Emulator::start(
        EmulatorConfig::default().faults([Fault::CutMidStream { after_events: 0 }]),
    )
    .unwrap();
    let p = provider(&emulator);
    let aura = p.speech("@cf/deepgram/aura-1").unwrap();
    let dir = std::env::temp_dir().join(format!("genai-audio-cut-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("cut.mp3");
    let reply = aura
        .speak(&SpeechRequest::new(
            "a long enough sentence to cut in the middle of it",
        ))
        .await
        .unwrap();
    let e = reply.save(&out).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Protocol, "{e}");
    assert_eq!(
        std::fs::read_dir(&dir).unwrap().count(),
        0,
        "nothing left behind"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn the_emulator_refuses_what_the_service_refuses() {
    let emulator = Emulator::start(EmulatorConfig::default()).unwrap();
    let url = |m: &str| {
        format!(
            "{}/accounts/0123456789abcdef0123456789abcdef/ai/run/{m}",
            emulator.base_url()
        )
    };
    let http = reqwest::Client::new();
    let post = |m: &str, ct: &str, body: Vec<u8>| {
        http.post(url(m))
            .bearer_auth("test-token")
            .header("content-type", ct.to_owned())
            .body(body)
            .send()
    };
    let cases: Vec<(&str, &str, Vec<u8>)> = vec![
        (
            "@cf/deepgram/aura-1",
            "application/json",
            br#"{"speaker":"angus"}"#.to_vec(),
        ),
        (
            "@cf/deepgram/aura-1",
            "application/json",
            br#"{"text":"hi","speaker":"nova"}"#.to_vec(),
        ),
        (
            "@cf/myshell-ai/melotts",
            "application/json",
            br#"{"prompt":""}"#.to_vec(),
        ),
        (
            "@cf/openai/whisper",
            "audio/wav",
            b"this is text, not audio".to_vec(),
        ),
        (
            "@cf/openai/whisper-large-v3-turbo",
            "application/json",
            br#"{"audio":[1,2,3]}"#.to_vec(),
        ),
        (
            "@cf/deepgram/nova-3",
            "application/octet-stream",
            tone_wav(0.1, 0.0),
        ),
        (
            "@cf/pipecat-ai/smart-turn-v2",
            "application/json",
            br#"{"audio":"AQID","dtype":"float32"}"#.to_vec(),
        ),
    ];
    for (model, ct, body) in cases {
        let resp = post(model, ct, body).await.unwrap();
        assert_eq!(resp.status().as_u16(), 400, "{model}");
        let v: serde_json::Value = serde_json::from_slice(&resp.bytes().await.unwrap()).unwrap();
        assert_eq!(v["success"], false, "{model}");
    }
}
