//! Decodes the `xmlrpc_codec` bench's 1,000-struct document in a loop, for profilers that
//! count instructions. `cargo run --release --example xmlrpc_decode_profile -- [MODE] [N]`
//! where MODE is `decode` (default), `events` (bare quick-xml loop) or `events_trim`.

use std::hint::black_box;

use netloom_core::xmlrpc::{encode_call, parse_call, Limits};

#[path = "../benches/xmlrpc_doc/mod.rs"]
mod xmlrpc_doc;
use xmlrpc_doc::{events, structs};

fn main() {
    let mut args = std::env::args().skip(1);
    let mode = args.next().unwrap_or_else(|| "decode".into());
    let n: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(10);
    let mut body = Vec::new();
    encode_call("bench.method", &structs(), &mut body);
    let limits = Limits::default();
    let mut sum = 0usize;
    for _ in 0..n {
        sum += match mode.as_str() {
            "events" => events(black_box(&body), false),
            "events_trim" => events(black_box(&body), true),
            _ => parse_call(black_box(&body), &limits)
                .map(|c| c.params.len())
                .unwrap_or(0),
        };
    }
    println!("{mode}: {} bytes, result sum {sum}", body.len());
}
