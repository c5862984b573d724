//! Runs the `http_parse` bench's loops many times, for profilers that count instructions.
//! `cargo run --release --example http_parse_profile -- [MODE] [N]` where MODE is `batch`
//! (default: the pipelined batch through the state machine), `raw_batch` (raw httparse on the
//! same bytes), `one`, `raw_one`, `ref_batch` / `ref_one` (the same through borrowed events), or
//! `floor_batch` (raw httparse plus only what any connection must add; see [`floor_batch`]).

use std::hint::black_box;

#[path = "../benches/http_doc/mod.rs"]
mod http_doc;
use http_doc::{
    borrowed_batch, borrowed_one, raw_batch, raw_httparse, request, state_machine_batch,
    state_machine_one, BATCH,
};

use std::mem::MaybeUninit;

/// One field as four offsets, as a state machine must keep it.
type Spans = [u32; 4];

/// The floor: what any state machine must add to raw httparse on the pipelined batch, and
/// no more. It buffers the input, parses each head with httparse, records the fields' spans
/// while looking for `Host` and `Content-Length`, and writes a canned `204` per request. No
/// states, no framing rules, no limits, no events. The gap between this and `raw_batch` is
/// the smallest overhead a real connection could have.
#[inline(never)]
fn floor_batch(batch: &[u8], out: &mut Vec<u8>, table: &mut [Spans; 16]) -> usize {
    let mut rbuf = Vec::with_capacity(batch.len());
    rbuf.extend_from_slice(batch);
    let mut pos = 0;
    let mut n = 0;
    while pos < rbuf.len() {
        let buf = &rbuf[pos..];
        let mut slots = [const { MaybeUninit::<httparse::Header>::uninit() }; 100];
        let mut req = httparse::Request::new(&mut []);
        let len = match req.parse_with_uninit_headers(buf, &mut slots) {
            Ok(httparse::Status::Complete(l)) => l,
            _ => panic!("bench input must parse"),
        };
        let base = buf.as_ptr() as usize;
        let (mut hosts, mut lengths) = (0, 0);
        for (slot, h) in table.iter_mut().zip(req.headers.iter()) {
            let name = h.name.as_bytes();
            if name.len() == 4 && name[0] | 0x20 == b'h' {
                hosts += 1;
            }
            if name.len() == 14 && name[0] | 0x20 == b'c' {
                lengths += 1;
            }
            let ns = name.as_ptr() as usize - base;
            let vs = h.value.as_ptr() as usize - base;
            *slot = [
                ns as u32,
                (ns + name.len()) as u32,
                vs as u32,
                (vs + h.value.len()) as u32,
            ];
        }
        black_box((&req.method, &req.path, hosts, lengths, &table));
        out.clear();
        out.extend_from_slice(b"HTTP/1.1 204 No Content\r\n\r\n");
        black_box(&out);
        pos += len;
        n += 1;
    }
    n
}

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
            "floor_batch" => floor_batch(black_box(&batch), &mut out, &mut [[0; 4]; 16]),
            _ => state_machine_batch(black_box(&batch), &mut out),
        };
    }
    println!("{mode}: {n} rounds, result sum {sum}");
}
