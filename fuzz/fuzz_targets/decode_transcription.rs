//! A task decoder under arbitrary replies: `decode_transcription` of `genai_cloudflare::decode::fuzz_task`
//! (which also checks what a successful decode promises).
//! Input: [selector: status and variant][body].
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    genai_cloudflare::decode::fuzz_task("decode_transcription", data);
});
