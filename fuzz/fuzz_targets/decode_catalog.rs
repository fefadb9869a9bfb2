//! The model catalog page decoder: arbitrary bodies and statuses.
//! Input: [status selector][body].
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    let status = if selector < 200 { 200 } else { 100 + u16::from(selector) * 2 };
    let _ = genai_cloudflare::decode::decode_catalog_page(status, body);
});
