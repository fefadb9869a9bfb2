//! Offline entry points to the reply decoders, for fuzzers, benches and property tests.
//!
//! Not part of the stable API: the same decoders the client uses, without any I/O.

use genai_core::http::SseDecoder;
use genai_core::{ChatRequest, ChatResponse, ModelInfo, ResponseAccumulator, Result, StreamEvent};

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
