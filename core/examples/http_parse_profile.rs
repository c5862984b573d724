//! Runs the `http_parse` bench's loops many times, for profilers that count instructions.
//! `cargo run --release --example http_parse_profile -- [MODE] [N]` where MODE is `batch`
//! (default: the pipelined batch through the state machine), `raw_batch` (raw httparse on the
//! same bytes), `one`, `raw_one`, or `ref_batch` / `ref_one` (the same through borrowed events).

use std::hint::black_box;

#[path = "../benches/http_doc/mod.rs"]
mod http_doc;
use http_doc::{
    borrowed_batch, borrowed_one, raw_batch, raw_httparse, request, state_machine_batch,
    state_machine_one, BATCH,
};

fn main() {
    let mut args = std::env::args().skip(1);
    let mode = args.next().unwrap_or_else(|| "batch".into());
    let n: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(10_000);
    let one = request();
    let batch = one.repeat(BATCH);
    let mut out = Vec::with_capacity(1024);
    let mut sum = 0usize;
    for _ in 0..n {
        sum += match mode.as_str() {
            "raw_batch" => raw_batch(black_box(&batch)),
            "one" => state_machine_one(black_box(&one)),
            "raw_one" => raw_httparse(black_box(&one)),
            "ref_batch" => borrowed_batch(black_box(&batch), &mut out),
            "ref_one" => borrowed_one(black_box(&one)),
            _ => state_machine_batch(black_box(&batch), &mut out),
        };
    }
    println!("{mode}: {n} rounds, result sum {sum}");
}
