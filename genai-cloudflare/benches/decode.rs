//! Criterion benches of the decoding paths, each next to a minimal `serde_json` baseline.
//!
//! - `sse_framing`: [`SseDecoder`] alone vs. splitting lines with `memchr`.
//! - `stream_1000_events`: the whole offline stream path (SSE framing, chunk reader, family
//!   quirks, stop-sequence scanning, folding) vs. line split + `serde_json` into two fields;
//!   `genai_general_chunk_json` reads every chunk with the general chunk decoder instead.
//! - `shapes_1000_events/{shape}`: the same for every wire shape (native, native tool calls,
//!   OpenAI-shaped without and with per-chunk usage, with unknown keys, with `reasoning`, with
//!   tool-call deltas), each next to the minimal reader and the general decoder.
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
use genai_cloudflare::decode::{decode_stream, decode_stream_general, decode_sync};
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
    g.bench_function("genai_general_chunk_json", |b| {
        b.iter(|| {
            let mut n = 0usize;
            let r = decode_stream_general(common::MODEL, &req, body.chunks(PIECE), |_| n += 1);
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

/// Every wire shape: the client's path, the general decoder on every chunk, the minimal reader.
fn shapes(c: &mut Criterion) {
    let req = ChatRequest::new().user("Explain the tides.");
    let mut g = c.benchmark_group("shapes_1000_events");
    g.throughput(Throughput::Elements(1000));
    for shape in common::Shape::ALL {
        let body = common::sse_body_of(shape, 1000, 7);
        g.bench_function(format!("{}/genai", shape.name()), |b| {
            b.iter(|| {
                let mut n = 0usize;
                let r = decode_stream(shape.model(), &req, body.chunks(PIECE), |_| n += 1);
                black_box((r.map(|r| r.text.len()).unwrap_or(0), n))
            })
        });
        g.bench_function(format!("{}/genai_general_chunk_json", shape.name()), |b| {
            b.iter(|| {
                let mut n = 0usize;
                let r = decode_stream_general(shape.model(), &req, body.chunks(PIECE), |_| n += 1);
                black_box((r.map(|r| r.text.len()).unwrap_or(0), n))
            })
        });
        g.bench_function(format!("{}/baseline", shape.name()), |b| {
            b.iter(|| {
                let mut d = common::BaseDecoder::of(shape);
                for piece in body.chunks(PIECE) {
                    d.feed(piece);
                }
                black_box((d.tally.text_bytes, d.tally.calls.len()))
            })
        });
    }
    g.finish();
}

criterion_group!(
    benches,
    sse_framing,
    whole_stream,
    chunk,
    sync_reply,
    shapes
);
criterion_main!(benches);
