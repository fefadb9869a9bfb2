//! The sync envelope decoder: arbitrary bodies for every family and request shape.
//! Input: [model/request selector][status selector][body].
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
#[allow(dead_code)]
mod common;

fuzz_target!(|data: &[u8]| {
    if data.len() < 2 {
        return;
    }
    let (model, req) = common::pick(data[0]);
    let status = if data[1] < 200 { 200 } else { 100 + u16::from(data[1]) * 2 };
    let _ = genai_cloudflare::decode::decode_sync(model, &req, status, &data[2..]);
});
