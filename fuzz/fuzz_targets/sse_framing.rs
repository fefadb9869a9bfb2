//! SSE framing: arbitrary bytes, split as the input says, with a small or a large line limit.
//! Input: [limit selector][4 piece sizes][body]. Besides not panicking, the events must not
//! depend on the split.
#![no_main]

use genai_core::http::SseDecoder;
use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
#[allow(dead_code)]
mod common;

fn frame(pieces: &[&[u8]], max_line: usize) -> Result<Vec<(Option<String>, Vec<u8>)>, String> {
    let mut d = SseDecoder::new(max_line);
    let mut out = Vec::new();
    for piece in pieces {
        d.feed(piece);
        while let Some(e) = d.next_event().map_err(|e| e.to_string())? {
            let _ = e.text();
            out.push((e.event, e.data.to_vec()));
        }
    }
    if let Some(e) = d.finish().map_err(|e| e.to_string())? {
        out.push((e.event, e.data.to_vec()));
    }
    Ok(out)
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 5 {
        return;
    }
    let max_line = if data[0] % 2 == 0 { 16 } else { 1 << 20 };
    let body = &data[5..];
    let whole = frame(&[body], max_line);
    let split = frame(&common::pieces(body, &data[1..5]), max_line);
    assert_eq!(whole, split, "the split changed the events");
});
