//! Parsing a typical ~500-byte request with 10 header fields through the HTTP/1.1 state
//! machine, next to raw `httparse::Request::parse` on the same bytes: one request, and a
//! pipelined batch. Goal: the state machine costs at most 25% over raw httparse.
//!
//! The state-machine numbers include everything a runtime pays per request: buffering the
//! input, the framing checks, owned head storage, the `EndOfMessage` event and — for the
//! pipelined batch, because the next request is held until the current response is done — a
//! minimal `204` response per request.
//!
//! Each state-machine case runs twice: with owned events (`next_event`, which copies each
//! head into one allocation) and with borrowed ones (`next_event_ref`, zero-copy).

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};

mod http_doc;
use http_doc::{
    borrowed_batch, borrowed_one, raw_batch, raw_httparse, request, state_machine_batch,
    state_machine_one, BATCH,
};

fn bench(c: &mut Criterion) {
    let one = request();
    assert!(
        (450..=550).contains(&one.len()),
        "request is {} bytes",
        one.len()
    );
    let batch: Vec<u8> = one.repeat(BATCH);

    let mut g = c.benchmark_group("http_parse_single");
    g.throughput(Throughput::Bytes(one.len() as u64));
    g.bench_function("raw_httparse", |b| b.iter(|| raw_httparse(black_box(&one))));
    g.bench_function("state_machine", |b| {
        b.iter(|| state_machine_one(black_box(&one)))
    });
    g.bench_function("state_machine_borrowed", |b| {
        b.iter(|| borrowed_one(black_box(&one)))
    });
    g.finish();

    let mut g = c.benchmark_group("http_parse_pipelined");
    g.throughput(Throughput::Bytes(batch.len() as u64));
    g.bench_function("raw_httparse", |b| b.iter(|| raw_batch(black_box(&batch))));
    let mut out = Vec::with_capacity(1024);
    g.bench_function("state_machine", |b| {
        b.iter(|| {
            let n = state_machine_batch(black_box(&batch), &mut out);
            assert_eq!(n, BATCH);
            n
        })
    });
    g.bench_function("state_machine_borrowed", |b| {
        b.iter(|| {
            let n = borrowed_batch(black_box(&batch), &mut out);
            assert_eq!(n, BATCH);
            n
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
