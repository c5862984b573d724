//! The XML-RPC benchmark documents and quick-xml's bare event loop, shared by the criterion
//! bench (`benches/xmlrpc_codec.rs`) and the profiling example
//! (`examples/xmlrpc_decode_profile.rs`), so both measure the same thing.

use netloom_core::xmlrpc::{DateTime, Value};

/// A call's parameters: one array of 1,000 six-member structs.
pub fn structs() -> Vec<Value> {
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

/// A call's parameters: one 1 MiB base64 value.
#[allow(dead_code)] // the profiling example uses only `structs`
pub fn blob() -> Vec<Value> {
    vec![Value::Base64(
        (0..1 << 20).map(|i: u32| (i * 31 % 251) as u8).collect(),
    )]
}

/// quick-xml alone reading `body`: the number of events. With `trim`, whitespace-only text
/// is dropped, as the decoder drops it between elements, so it sees about the events the
/// decoder sees.
pub fn events(body: &[u8], trim: bool) -> usize {
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
