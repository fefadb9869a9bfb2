//! Criterion bench of the embedding reply decoder next to a minimal `serde_json` baseline.
//!
//! - `embeddings_100x1024/genai`: [`decode_embeddings`] of a 100 x 1024 reply in the
//!   service's envelope (the path every embedding call takes).
//! - `embeddings_100x1024/serde_json_vec_vec_f32`: `serde_json` of the same bytes into a
//!   struct whose only field is `result.data: Vec<Vec<f32>>`.
//!
//! Before the timings it prints the peak heap each decode allocates (a counting global
//! allocator), as a multiple of the vectors' own size (100 x 1024 x 4 bytes).
//!
//! Run: `cargo bench -p genai-cloudflare --bench embeddings -- --warm-up-time 1 --measurement-time 3`

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use genai_cloudflare::decode::decode_embeddings;
use serde::Deserialize;

/// Counts live heap bytes and their peak.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let now = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            if new_size >= layout.size() {
                let grow = new_size - layout.size();
                // A moving realloc holds both blocks for a moment: count the old one too.
                let now = LIVE.fetch_add(grow, Ordering::Relaxed) + grow;
                PEAK.fetch_max(now + layout.size(), Ordering::Relaxed);
            } else {
                LIVE.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
            }
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const N: usize = 100;
const DIMS: usize = 1024;

/// A reply as the service sends it: the envelope, `shape`, `data`, `pooling`, numbers with
/// the service's precision.
fn reply() -> Vec<u8> {
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        ((seed >> 11) as f64 / (1u64 << 53) as f64 - 0.5) as f32 * 0.2
    };
    let data: Vec<Vec<f32>> = (0..N)
        .map(|_| (0..DIMS).map(|_| next()).collect())
        .collect();
    let body = serde_json::json!({
        "result": {"shape": [N, DIMS], "data": data, "pooling": "mean"},
        "success": true, "errors": [], "messages": []
    });
    serde_json::to_vec(&body).unwrap()
}

#[derive(Deserialize)]
struct Baseline {
    result: BaselineResult,
}

#[derive(Deserialize)]
struct BaselineResult {
    data: Vec<Vec<f32>>,
}

fn baseline(body: &[u8]) -> Vec<Vec<f32>> {
    serde_json::from_slice::<Baseline>(body)
        .unwrap()
        .result
        .data
}

/// The peak heap `f` allocates beyond what was live when it started.
fn peak_of<T>(f: impl FnOnce() -> T) -> (usize, T) {
    let start = LIVE.load(Ordering::SeqCst);
    PEAK.store(start, Ordering::SeqCst);
    let out = f();
    (PEAK.load(Ordering::SeqCst) - start, out)
}

fn embeddings(c: &mut Criterion) {
    let body = reply();
    let own = (N * DIMS * std::mem::size_of::<f32>()) as f64;
    let (genai_peak, ours) = peak_of(|| decode_embeddings(200, &body).unwrap());
    let (base_peak, theirs) = peak_of(|| baseline(&body));
    assert_eq!(ours, theirs, "both decoders read the same vectors");
    eprintln!(
        "peak heap while decoding {N} x {DIMS} ({} bytes of JSON): genai {:.3}x, serde_json \
         Vec<Vec<f32>> {:.3}x the vectors' own {} bytes",
        body.len(),
        genai_peak as f64 / own,
        base_peak as f64 / own,
        own
    );
    drop((ours, theirs));

    let mut g = c.benchmark_group("embeddings_100x1024");
    g.throughput(Throughput::Bytes(body.len() as u64));
    g.bench_function("genai", |b| {
        b.iter(|| decode_embeddings(200, black_box(&body)).unwrap())
    });
    g.bench_function("serde_json_vec_vec_f32", |b| {
        b.iter(|| baseline(black_box(&body)))
    });
    g.finish();
}

criterion_group!(benches, embeddings);
criterion_main!(benches);
