//! XML-RPC codec throughput: a call carrying a 1,000-element array of structs, and a call
//! carrying a 1 MiB base64 value. Throughput is the size of the encoded document.
//!
//! Goal (issue #5) for `structs_1000`: encode at 400 MB/s or more, decode at 200 MB/s or
//! more. The two `quick_xml_events*` baselines time quick-xml alone reading the same
//! document, the cost no quick-xml based decoder can go below.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use netloom_core::xmlrpc::{encode_call, parse_call, Dispatcher, Limits, Value};

mod xmlrpc_doc;
use xmlrpc_doc::{blob, events, structs};

fn bench(c: &mut Criterion) {
    let limits = Limits::default();
    for (name, params) in [("structs_1000", structs()), ("base64_1mib", blob())] {
        let mut body = Vec::new();
        encode_call("bench.method", &params, &mut body);
        let mut group = c.benchmark_group(name);
        group.throughput(Throughput::Bytes(body.len() as u64));
        group.bench_function("encode", |b| {
            let mut out = Vec::with_capacity(body.len());
            b.iter(|| {
                out.clear();
                encode_call("bench.method", black_box(&params), &mut out);
                black_box(out.len())
            })
        });
        group.bench_function("decode", |b| {
            b.iter(|| parse_call(black_box(&body), &limits).map(|c| c.params.len()))
        });
        // Baselines: quick-xml's bare event loop over the same document (no XML-RPC work).
        // `quick_xml_events_baseline` reports every event, whitespace text between tags
        // included; `quick_xml_events_trim_baseline` lets quick-xml drop whitespace-only
        // text, as the decoder does between elements, so it sees about the events the
        // decoder sees: the closer ceiling for `decode`.
        for (baseline, trim) in [
            ("quick_xml_events_baseline", false),
            ("quick_xml_events_trim_baseline", true),
        ] {
            group.bench_function(baseline, |b| b.iter(|| events(black_box(&body), trim)));
        }
        group.finish();
    }
    // The XML-RPC server's per-request core work: decode `add(7, 3)`, call, encode the reply.
    let mut dispatcher = Dispatcher::new();
    dispatcher.register("add", |a: i32, b: i32| a + b);
    let mut body = Vec::new();
    encode_call("add", &[Value::Int(7), Value::Int(3)], &mut body);
    let mut group = c.benchmark_group("dispatch_add");
    group.throughput(Throughput::Bytes(body.len() as u64));
    group.bench_function("handle_body", |b| {
        b.iter(|| dispatcher.handle_body(black_box(&body)).len())
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
