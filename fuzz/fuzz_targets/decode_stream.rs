//! The stream decoder (SSE framing, chunk shapes, tool-call assembly, reasoning tags, stop
//! sequences): arbitrary bodies split as the input says. Input: [model/request selector]
//! [4 piece sizes][body]. Besides not panicking, the outcome must not depend on the split.
#![no_main]

use genai_core::StreamEvent;
use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
#[allow(dead_code)]
mod common;

fn outcome(model: &str, req: &genai_core::ChatRequest, pieces: Vec<&[u8]>) -> String {
    let mut events: Vec<StreamEvent> = Vec::new();
    let r = genai_cloudflare::decode::decode_stream(model, req, pieces, |e| events.push(e.clone()));
    format!("{r:?} / {events:?}")
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 5 {
        return;
    }
    let (model, req) = common::pick(data[0]);
    let body = &data[5..];
    let whole = outcome(model, &req, vec![body]);
    let split = outcome(model, &req, common::pieces(body, &data[1..5]));
    assert_eq!(whole, split, "the split changed the outcome");
});
