//! Criterion benches of the decoding paths, each next to a minimal `serde_json` baseline.
//!
//! - `sse_framing`: [`SseDecoder`] alone vs. splitting lines with `memchr`.
//! - `stream_1000_events`: the whole offline stream path (SSE framing, chunk JSON, family
//!   quirks, stop-sequence scanning, folding) vs. line split + `serde_json` into two fields;
//!   `genai_general_chunk_json` forces every chunk through the general chunk decoder.
//! - `chunk`: one chunk through the whole path vs. one `serde_json` parse.
//! - `sync_reply_1mb`: [`decode_sync`] of a 1 MB reply vs. `serde_json` into a typed struct
//!   (and into a `Value`, for scale).
//! - `request_200_messages`: building a 200-message `ChatRequest` and its wire document vs. a
//!   `serde_json` round trip of an equivalent document (see `docs/performance.md`).
//!
//! Run: `cargo bench -p genai-cloudflare --bench decode -- --warm-up-time 1 --measurement-time 3`

mod common;

use std::hint::black_box;

use common::{BaseDecoder, BaseEnvelope};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use genai_cloudflare::decode::{decode_stream, decode_sync};
use genai_core::http::SseDecoder;
use genai_core::ChatRequest;

const PIECE: usize = 16 << 10;

fn sse_framing(c: &mut Criterion) {
    let body = common::sse_body(1000, 7);
    let mut g = c.benchmark_group("sse_framing");
    g.throughput(Throughput::Bytes(body.len() as u64));
    g.bench_function("genai", |b| {
        b.iter(|| {
            let mut d = SseDecoder::new(1 << 20);
            let mut n = 0usize;
            for piece in body.chunks(PIECE) {
                d.feed(piece);
                while let Ok(Some(data)) = d.next_data() {
                    n += data.len();
                }
            }
            black_box(n)
        })
    });
    g.bench_function("baseline_line_split", |b| {
        b.iter(|| {
            let mut pending: Vec<u8> = Vec::new();
            let mut n = 0usize;
            for piece in body.chunks(PIECE) {
                pending.extend_from_slice(piece);
                let mut start = 0;
                while let Some(i) = memchr::memchr(b'\n', &pending[start..]) {
                    if let Some(d) = pending[start..start + i].strip_prefix(b"data: ") {
                        n += d.len();
                    }
                    start += i + 1;
                }
                pending.drain(..start);
            }
            black_box(n)
        })
    });
    g.finish();
}

fn whole_stream(c: &mut Criterion) {
    let body = common::sse_body(1000, 7);
    let req = ChatRequest::new().user("Explain the tides.");
    let stop_req = ChatRequest::new()
        .user("Explain the tides.")
        .stop("never appears in the text");
    let mut g = c.benchmark_group("stream_1000_events");
    g.throughput(Throughput::Elements(1000));
    g.bench_function("genai", |b| {
        b.iter(|| {
            let mut n = 0usize;
            let r = decode_stream(common::MODEL, &req, body.chunks(PIECE), |_| n += 1);
            black_box((r.map(|r| r.text.len()).ok(), n))
        })
    });
    g.bench_function("genai_with_stop_sequence", |b| {
        b.iter(|| {
            let mut n = 0usize;
            let r = decode_stream(common::MODEL, &stop_req, body.chunks(PIECE), |_| n += 1);
            black_box((r.map(|r| r.text.len()).ok(), n))
        })
    });
    // The same stream with a space after each `{`: every chunk misses the plain-chunk shape
    // and goes through the general chunk JSON (as OpenAI-shaped or unusual chunks do).
    let general = body_with(&body, b"data: {\"response\"", b"data: { \"response\"");
    g.bench_function("genai_general_chunk_json", |b| {
        b.iter(|| {
            let mut n = 0usize;
            let r = decode_stream(common::MODEL, &req, general.chunks(PIECE), |_| n += 1);
            black_box((r.map(|r| r.text.len()).ok(), n))
        })
    });
    g.bench_function("baseline", |b| {
        b.iter(|| {
            let mut d = BaseDecoder::default();
            for piece in body.chunks(PIECE) {
                d.feed(piece);
            }
            black_box(d.tally.clone())
        })
    });
    g.finish();
}

/// `body` with every `from` replaced by `to`.
fn body_with(body: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len() + body.len() / 16);
    let mut rest = body;
    while let Some(i) = memchr::memmem::find(rest, from) {
        out.extend_from_slice(&rest[..i]);
        out.extend_from_slice(to);
        rest = &rest[i + from.len()..];
    }
    out.extend_from_slice(rest);
    out
}

fn chunk(c: &mut Criterion) {
    let body = common::sse_body(1, 11);
    let req = ChatRequest::new().user("Explain the tides.");
    let first_data = body
        .split(|b| *b == b'\n')
        .next()
        .and_then(|l| l.strip_prefix(b"data: "))
        .unwrap_or_default()
        .to_vec();
    let mut g = c.benchmark_group("chunk");
    g.bench_function("genai_one_chunk_stream", |b| {
        b.iter(|| {
            let r = decode_stream(common::MODEL, &req, [&body[..]], |_| {});
            black_box(r.map(|r| r.text.len()).ok())
        })
    });
    g.bench_function("baseline_one_chunk_json", |b| {
        b.iter(|| {
            let c: Option<common::BaseChunk<'_>> = serde_json::from_slice(&first_data).ok();
            black_box(c.map(|c| c.response.map(|r| r.len())))
        })
    });
    g.finish();
}

fn sync_reply(c: &mut Criterion) {
    let body = common::sync_reply(1 << 20, 3);
    let req = ChatRequest::new().user("Explain the tides.");
    let mut g = c.benchmark_group("sync_reply_1mb");
    g.throughput(Throughput::Bytes(body.len() as u64));
    g.bench_function("genai_decode_sync", |b| {
        b.iter(|| {
            let r = decode_sync(common::MODEL, &req, 200, &body);
            black_box(r.map(|r| r.text.len()).ok())
        })
    });
    g.bench_function("baseline_serde_typed", |b| {
        b.iter(|| {
            let r: Option<BaseEnvelope> = serde_json::from_slice(&body).ok();
            black_box(r.map(|r| (r.result.response.len(), r.success, r.result.usage)))
        })
    });
    g.bench_function("baseline_serde_value", |b| {
        b.iter(|| {
            let r: Option<serde_json::Value> = serde_json::from_slice(&body).ok();
            black_box(r)
        })
    });
    g.finish();
}

/// A stream of OpenAI-shaped chunks (GLM, Qwen3, Kimi...): a quarter reasoning deltas, then
/// content deltas, the finish chunk, the usage chunk.
fn openai_stream(c: &mut Criterion) {
    let shape = common::Shape::OpenAi;
    let body = common::sse_body_of(shape, 1000, 7);
    let req = ChatRequest::new().user("Explain the tides.");
    // The same chunks with a tab before `"logprobs"`: the short path refuses them (the
    // baseline's serde does not care), so this is the general decoder's cost.
    let general = body_with(&body, b",\"logprobs\"", b",\t\"logprobs\"");
    let mut g = c.benchmark_group("openai_stream_1000_events");
    g.throughput(Throughput::Elements(1000));
    g.bench_function("genai", |b| {
        b.iter(|| {
            let mut n = 0usize;
            let r = decode_stream(shape.model(), &req, body.chunks(PIECE), |_| n += 1);
            black_box((r.map(|r| r.text.len()).unwrap_or(0), n))
        })
    });
    g.bench_function("genai_general_chunk_json", |b| {
        b.iter(|| {
            let mut n = 0usize;
            let r = decode_stream(shape.model(), &req, general.chunks(PIECE), |_| n += 1);
            black_box((r.map(|r| r.text.len()).unwrap_or(0), n))
        })
    });
    g.bench_function("baseline", |b| {
        b.iter(|| {
            let mut d = common::BaseDecoder::of(shape);
            for piece in body.chunks(PIECE) {
                d.feed(piece);
            }
            black_box(d.tally.text_bytes)
        })
    });
    g.finish();
}

criterion_group!(
    benches,
    sse_framing,
    whole_stream,
    chunk,
    sync_reply,
    openai_stream
);
criterion_main!(benches);
