//! Offline entry points to the reply decoders, for fuzzers, benches and property tests.
//!
//! Not part of the stable API: the same decoders the client uses, without any I/O.

use genai_core::http::SseDecoder;
use genai_core::{
    BatchItem, BatchJob, BatchStatus, ChatRequest, ChatResponse, Classification, Media, MediaClass,
    MediaReply, ModelInfo, Ranking, RerankRequest, ResponseAccumulator, Result, StreamEvent,
    Summary, Transcript, Translation, TurnDetection,
};

use crate::chat::family::Traits;
use crate::chat::reply::{CallContext, Shaper};
use crate::chat::stream::StreamDecoder;

/// One model id of each [`Family`], for tests and fuzzers that must cover every wire family.
pub const FAMILY_SAMPLES: &[&str] = &[
    "@cf/mistral/mistral-7b-instruct-v0.1",
    "@cf/meta/llama-3.2-1b-instruct",
    "@cf/meta/llama-4-scout-17b-16e-instruct",
    "@hf/nousresearch/hermes-2-pro-mistral-7b",
    "@cf/deepseek-ai/deepseek-r1-distill-qwen-32b",
    "@cf/zai-org/glm-4.7-flash",
];

/// Decodes one embedding reply (`/ai/run` of a text embedding model) as the client would: the
/// vectors, in order.
pub fn decode_embeddings(status: u16, body: &[u8]) -> Result<Vec<Vec<f32>>> {
    crate::tasks::decode_embeddings(status, body).map(|chunk| chunk.embeddings)
}

/// Decodes a reranking reply to `req` as the client would: every document named once, every
/// score a number.
pub fn decode_ranking(status: u16, body: &[u8], req: &RerankRequest) -> Result<Ranking> {
    crate::tasks::decode_ranking(status, body, req)
}

/// Decodes a text classification reply as the client would.
pub fn decode_classification(
    status: u16,
    body: &[u8],
    top_k: Option<usize>,
) -> Result<Classification> {
    crate::tasks::decode_classification(status, body, top_k)
}

/// Decodes a translation reply as the client would.
pub fn decode_translation(status: u16, body: &[u8]) -> Result<Translation> {
    crate::tasks::decode_translation(status, body)
}

/// Decodes a summarisation reply as the client would.
pub fn decode_summary(status: u16, body: &[u8]) -> Result<Summary> {
    crate::tasks::decode_summary(status, body)
}

/// Decodes a speech recognition reply of `model` (Whisper, Whisper large v3, Deepgram) as
/// the client would.
pub fn decode_transcription(model: &str, status: u16, body: &[u8]) -> Result<Transcript> {
    crate::tasks::decode_transcription(model, status, body)
}

/// Decodes a turn detection reply as the client would.
pub fn decode_turn(status: u16, body: &[u8]) -> Result<TurnDetection> {
    crate::tasks::decode_turn(status, body)
}

/// Decodes the reply to a poll of a queued job of `items` on `model` as the client would:
/// its status, or one result per item in item order.
pub fn decode_batch_poll(
    model: &str,
    items: &[BatchItem],
    status: u16,
    body: &[u8],
) -> Result<BatchStatus> {
    let job = BatchJob::new("job", model, 0, items.len());
    crate::tasks::decode_poll(model, &job, items, status, body, &|e| e)
}

/// Checks a media reply held in memory as the client checks one that streams in: the media
/// type its bytes show, or a `protocol` error when they are not of `class` (`headerless` is
/// the type of raw samples the request asked for, if any).
pub fn check_media(
    body: &[u8],
    class: MediaClass,
    headerless: Option<&'static str>,
) -> Result<String> {
    let mut reply =
        MediaReply::from_media(Media::with_type("application/octet-stream", body.to_vec()))
            .expect(class, headerless);
    // An in-memory reply has no I/O to wait for: the future is ready at its first poll.
    futures_util::FutureExt::now_or_never(reply.media_type()).unwrap_or_else(|| {
        Err(genai_core::Error::protocol(
            "the media check did not complete",
        ))
    })
}

/// Decodes a JSON-wrapped media reply (`{"result":{"image": base64}}` of an image model,
/// `{"result":{"audio": base64}}` of MeloTTS) as the client would.
pub fn decode_wrapped_media(status: u16, body: &[u8], class: MediaClass) -> Result<Media> {
    let result: serde_json::Value = crate::transport::decode_envelope(status, body)?;
    let media = match class {
        MediaClass::Audio => crate::tasks::audio_from_json(&result, None)?,
        _ => crate::tasks::wrapped_image(&result)?,
    };
    check_media(media.data(), class, None)?;
    Ok(media)
}

/// Decodes a complete `/ai/run` JSON body for `model` as the client would.
pub fn decode_sync(
    model: &str,
    req: &ChatRequest,
    status: u16,
    body: &[u8],
) -> Result<ChatResponse> {
    crate::chat::client::decode_reply(Traits::of(model), req, status, body)
}

/// Decodes one page of the model catalog (`/ai/models/search`): the models with their derived
/// capabilities, and the `total_count` the page claims.
pub fn decode_catalog_page(status: u16, body: &[u8]) -> Result<(Vec<ModelInfo>, Option<u64>)> {
    crate::catalog::decode_page(status, body)
}

/// Decodes an SSE body delivered in `pieces` (split anywhere) for `model`, calling `on_event`
/// for each event; returns the folded reply. Errors exactly where the client's stream would.
pub fn decode_stream<'a>(
    model: &str,
    req: &ChatRequest,
    pieces: impl IntoIterator<Item = &'a [u8]>,
    on_event: impl FnMut(&StreamEvent),
) -> Result<ChatResponse> {
    let shaper = Shaper::new(CallContext::new(Traits::of(model), req));
    fold_stream(StreamDecoder::new(shaper), pieces, on_event)
}

/// [`decode_stream`] with every chunk read by the general JSON decoder, none by the one-pass
/// chunk reader: the two must agree on every input (property tests), and benches compare
/// their cost.
pub fn decode_stream_general<'a>(
    model: &str,
    req: &ChatRequest,
    pieces: impl IntoIterator<Item = &'a [u8]>,
    on_event: impl FnMut(&StreamEvent),
) -> Result<ChatResponse> {
    let shaper = Shaper::new(CallContext::new(Traits::of(model), req));
    fold_stream(StreamDecoder::general_only(shaper), pieces, on_event)
}

fn fold_stream<'a>(
    mut decoder: StreamDecoder,
    pieces: impl IntoIterator<Item = &'a [u8]>,
    mut on_event: impl FnMut(&StreamEvent),
) -> Result<ChatResponse> {
    let mut sse = SseDecoder::new(1 << 20);
    let mut acc = ResponseAccumulator::default();
    let mut drain = |decoder: &mut StreamDecoder, acc: &mut ResponseAccumulator| {
        while let Some(ev) = decoder.pop() {
            on_event(&ev);
            acc.push(ev);
        }
    };
    let pieces = pieces.into_iter().map(Some).chain([None]);
    for piece in pieces {
        match piece {
            Some(piece) => sse.feed(piece),
            None => sse.end(),
        }
        while let Some(data) = sse.next_data()? {
            decoder.on_data(data)?;
            drain(&mut decoder, &mut acc);
            if decoder.is_done() {
                return Ok(acc.finish());
            }
        }
    }
    decoder.on_eof()?;
    drain(&mut decoder, &mut acc);
    Ok(acc.finish())
}

/// The fuzz targets of the task decoders (`fuzz/fuzz_targets/<name>.rs`), each driven by
/// [`fuzz_task`]; their seed corpora are `fuzz/corpus/<name>/`.
pub const TASK_TARGETS: &[&str] = &[
    "decode_embeddings",
    "decode_ranking",
    "decode_classification",
    "decode_text",
    "decode_transcription",
    "decode_turn",
    "decode_batch",
    "sniff_media",
    "decode_wrapped_media",
];

/// Runs the task decoder fuzz target `target` on one input, `[selector][body]`: the selector
/// picks the status and the variant (the model, the request, the media class), the body is
/// the reply. Panics (the fuzzer's finding) when a decoder panics or when a success breaks
/// what the client promises (vectors of one non-zero length of finite numbers, documents
/// named once and in range, a probability in `[0, 1]`, one batch result per item in order,
/// media of the class asked for). Returns `false` for an unknown target.
pub fn fuzz_task(target: &str, data: &[u8]) -> bool {
    let Some((&selector, body)) = data.split_first() else {
        return TASK_TARGETS.contains(&target);
    };
    // Mostly 200, sometimes an error status.
    let status = match selector % 8 {
        6 => 400,
        7 => 500,
        _ => 200,
    };
    let variant = usize::from(selector / 8);
    match target {
        "decode_embeddings" => {
            if let Ok(vectors) = decode_embeddings(status, body) {
                let dims = vectors.first().map_or(0, Vec::len);
                assert!(
                    vectors.is_empty() || dims > 0,
                    "zero-dimension vectors accepted"
                );
                for v in &vectors {
                    assert_eq!(v.len(), dims, "vectors of different lengths accepted");
                    assert!(
                        v.iter().all(|x| x.is_finite()),
                        "a non-finite value accepted"
                    );
                }
            }
        }
        "decode_ranking" => {
            let n = 1 + variant % 6;
            let documents: Vec<String> = (0..n).map(|i| format!("document {i}")).collect();
            let mut req = RerankRequest::new("query", documents);
            req.top_k = (variant % 3 == 1).then_some(1 + variant % 4);
            if let Ok(ranking) = decode_ranking(status, body, &req) {
                let mut seen = vec![false; n];
                for r in &ranking.results {
                    assert!(r.index < n, "document {} of {n} accepted", r.index);
                    assert!(
                        !std::mem::replace(&mut seen[r.index], true),
                        "a repeat accepted"
                    );
                    assert!(r.score.is_finite());
                }
            }
        }
        "decode_classification" => {
            let top_k = (variant % 2 == 1).then_some(1 + variant % 5);
            if let Ok(c) = decode_classification(status, body, top_k) {
                assert!(c.labels.iter().all(|l| l.score.is_finite()));
                if let Some(k) = top_k {
                    assert!(c.labels.len() <= k, "more labels than top_k");
                }
            }
        }
        "decode_text" => {
            if variant % 2 == 0 {
                let _ = decode_translation(status, body);
            } else {
                let _ = decode_summary(status, body);
            }
        }
        "decode_transcription" => {
            const MODELS: [&str; 4] = [
                "@cf/openai/whisper",
                "@cf/openai/whisper-tiny-en",
                "@cf/openai/whisper-large-v3-turbo",
                "@cf/deepgram/nova-3",
            ];
            let _ = decode_transcription(MODELS[variant % MODELS.len()], status, body);
        }
        "decode_turn" => {
            if let Ok(t) = decode_turn(status, body) {
                assert!((0.0..=1.0).contains(&t.probability), "{}", t.probability);
            }
        }
        "decode_batch" => {
            const MODELS: [&str; 4] = [
                "@cf/meta/llama-3.3-70b-instruct-fp8-fast",
                "@cf/baai/bge-m3",
                "@cf/meta/m2m100-1.2b",
                "@cf/deepgram/aura-1",
            ];
            let pick = variant % MODELS.len();
            let n = 1 + (variant / MODELS.len()) % 4;
            let items: Vec<BatchItem> = (0..n)
                .map(|i| {
                    let text = format!("text {i}");
                    let item = match pick {
                        0 => BatchItem::chat(ChatRequest::new().user(text)),
                        1 => BatchItem::embed(genai_core::EmbedRequest::new(vec![text])),
                        2 => BatchItem::translate(genai_core::TranslateRequest::new(text, "fr")),
                        _ => BatchItem::speak(genai_core::SpeechRequest::new(text)),
                    };
                    if i % 2 == 0 {
                        item.reference(format!("r{i}"))
                    } else {
                        item
                    }
                })
                .collect();
            if let Ok(BatchStatus::Done(results)) =
                decode_batch_poll(MODELS[pick], &items, status, body)
            {
                assert_eq!(results.len(), n, "not one result per item");
                for (i, r) in results.iter().enumerate() {
                    assert_eq!(r.index, i, "results out of item order");
                }
            }
        }
        "sniff_media" => {
            let class = if variant % 2 == 0 {
                MediaClass::Image
            } else {
                MediaClass::Audio
            };
            let headerless = (variant % 4 == 3).then_some("audio/L16");
            let sniffed = genai_core::sniff_media_type(body);
            if let Ok(t) = check_media(body, class, headerless) {
                let prefix = if class == MediaClass::Image {
                    "image/"
                } else {
                    "audio/"
                };
                assert!(t.starts_with(prefix), "{t} accepted as {class:?}");
                if Some(t.as_str()) != headerless {
                    assert_eq!(sniffed, Some(t.as_str()));
                }
            }
        }
        "decode_wrapped_media" => {
            let class = if variant % 2 == 0 {
                MediaClass::Image
            } else {
                MediaClass::Audio
            };
            if let Ok(media) = decode_wrapped_media(status, body, class) {
                let ok = match class {
                    MediaClass::Image => media.is_image(),
                    _ => media.is_audio(),
                };
                assert!(ok, "{} accepted as {class:?}", media.media_type());
            }
        }
        _ => return false,
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chat::family::Family;

    #[test]
    fn offline_stream_decoding_matches_the_client_rules() {
        let body = b"data: {\"response\":\"Hi\",\"p\":\"x\"}\n\ndata: {\"response\":\"\",\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":1,\"total_tokens\":2}}\n\ndata: [DONE]\n\n";
        let req = ChatRequest::new().user("x");
        let mut n = 0;
        let r = decode_stream(
            "@cf/meta/llama-3.2-1b-instruct",
            &req,
            body.chunks(5),
            |_| n += 1,
        )
        .unwrap();
        assert_eq!(r.text, "Hi");
        assert_eq!(n, 3);
        let cut = &body[..body.len() - 10];
        assert!(decode_stream("@cf/meta/llama-3.2-1b-instruct", &req, [cut], |_| {}).is_err());
    }

    #[test]
    fn chunks_read_the_same_on_the_chunk_reader_and_the_general_decoder() {
        let head = r#"{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":"#;
        let deltas = [
            r#"{"role":"assistant","content":""}"#,
            r#"{"reasoning_content":"Think"}"#,
            r#"{"reasoning":" hard \"twice\""}"#,
            r#"{"content":"Hel"}"#,
            r#"{"content":"lo caf\u00e9","refusal":null}"#,
            r#"{"content":" 🌊"}"#,
            r#"{"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"square_root","arguments":""}}]}"#,
            r#"{"tool_calls":[{"index":0,"function":{"arguments":"{\"number\": 144}"}}]}"#,
        ];
        let mut body = Vec::new();
        for (i, d) in deltas.iter().enumerate() {
            body.extend_from_slice(
                format!("data: {head}{d},\"logprobs\":null,\"finish_reason\":null}}],\"usage\":{{\"prompt_tokens\":2,\"completion_tokens\":{i}}},\"p\":\"xyz\"}}\n\n")
                    .as_bytes(),
            );
        }
        body.extend_from_slice(
            format!("data: {head}{{}},\"logprobs\":null,\"finish_reason\":\"tool_calls\"}}]}}\n\n")
                .as_bytes(),
        );
        body.extend_from_slice(b"data: {\"choices\":[],\"usage\":{\"prompt_tokens\":2,\"completion_tokens\":9}}\n\ndata: [DONE]\n\n");
        let req = ChatRequest::new().user("x");
        let model = "@cf/zai-org/glm-4.7-flash";
        for pieces in [1, 7, 64] {
            let (mut a, mut b) = (Vec::new(), Vec::new());
            let ra =
                decode_stream(model, &req, body.chunks(pieces), |e| a.push(e.clone())).unwrap();
            let rb = decode_stream_general(model, &req, body.chunks(pieces), |e| b.push(e.clone()))
                .unwrap();
            assert_eq!(a, b);
            assert_eq!(ra, rb);
            assert_eq!(ra.text, "Hello café 🌊");
            assert_eq!(ra.reasoning, "Think hard \"twice\"");
            assert_eq!(ra.tool_calls.len(), 1);
            assert_eq!(ra.usage.output_tokens, Some(9));
        }
    }

    #[test]
    fn family_samples_cover_every_family() {
        use std::collections::HashSet;
        let families: HashSet<Family> = FAMILY_SAMPLES.iter().map(|m| Family::of(m)).collect();
        let all = [
            Family::Llama3,
            Family::Llama4Scout,
            Family::Hermes,
            Family::InlineReasoning,
            Family::OpenAiChat,
            Family::Native,
        ];
        assert_eq!(families, all.into_iter().collect::<HashSet<_>>());
    }

    #[test]
    fn catalog_pages_decode_with_capabilities() {
        let body = br#"{"success":true,"result":[{"name":"@cf/meta/llama-3.3-70b-instruct-fp8-fast","task":{"name":"Text Generation"},"properties":[{"property_id":"context_window","value":"24000"},{"property_id":"function_calling","value":"true"}]},{"name":"@cf/x/embed","task":{"name":"Text Embeddings"},"properties":[]}],"result_info":{"total_count":7}}"#;
        let (models, total) = decode_catalog_page(200, body).unwrap();
        assert_eq!(total, Some(7));
        assert_eq!(models[0].context_window, Some(24000));
        assert!(models[0].is_chat() && models[0].capabilities.sync.tools.is_usable());
        assert!(!models[1].is_chat() && !models[1].capabilities.sync.tools.is_usable());
        let err = decode_catalog_page(400, br#"{"success":false,"errors":[{"code":10001,"message":"Unable to authenticate request"}]}"#).unwrap_err();
        assert_eq!(err.kind(), genai_core::ErrorKind::Unauthenticated);
        assert!(decode_catalog_page(200, b"<html>").is_err());
        let odd = br#"{"success":true,"result":[{"name":"@cf/a/ok","task":{"name":"Text Generation"}},{"description":"no name"},{"name":"@cf/b/ok"}]}"#;
        let (models, _) = decode_catalog_page(200, odd).unwrap();
        let ids: Vec<&str> = models.iter().map(|m| m.id.as_str()).collect();
        assert_eq!(
            ids,
            ["@cf/a/ok", "@cf/b/ok"],
            "one odd entry does not hide the others"
        );
    }
}
