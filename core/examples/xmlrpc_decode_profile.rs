//! Decodes the `xmlrpc_codec` bench's 1,000-struct document in a loop, for profilers that
//! count instructions. `cargo run --release --example xmlrpc_decode_profile -- [MODE] [N]`
//! where MODE is `decode` (default), `events` (bare quick-xml loop) or `events_trim`.

use std::hint::black_box;

use netloom_core::xmlrpc::{encode_call, parse_call, DateTime, Limits, Value};

fn structs() -> Vec<Value> {
    let items = (0..1000)
        .map(|i| {
            Value::Struct(vec![
                ("id".into(), Value::Int(i)),
                ("name".into(), Value::String(format!("item <{i}> & co"))),
                ("price".into(), Value::Double(f64::from(i) * 1.25)),
                ("active".into(), Value::Bool(i % 2 == 0)),
                (
                    "created".into(),
                    Value::DateTime(DateTime::new(2024, 1, 2, 3, 4, 5).expect("valid date")),
                ),
                (
                    "tags".into(),
                    Value::Array(vec![Value::from("a"), Value::from("b")]),
                ),
            ])
        })
        .collect();
    vec![Value::Array(items)]
}

fn events(body: &[u8], trim: bool) -> usize {
    let mut reader = quick_xml::Reader::from_reader(body);
    reader.config_mut().trim_text(trim);
    let mut n = 0usize;
    while !matches!(
        reader.read_event(),
        Ok(quick_xml::events::Event::Eof) | Err(_)
    ) {
        n += 1;
    }
    n
}

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
