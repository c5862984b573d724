//! Property: any depth-bounded value tree survives encode → decode unchanged, as a call
//! parameter, a response and inside a multicall.

use netloom_core::xmlrpc::{
    encode_call, encode_fault, encode_response, parse_call, parse_response, DateTime, Fault,
    Limits, Response, Value,
};
use proptest::prelude::*;

/// Up to 40 characters of XML 1.0's `Char` production.
const XML_TEXT: &str = "[^\u{0}-\u{8}\u{B}\u{C}\u{E}-\u{1F}\u{FFFE}\u{FFFF}]{0,40}";

fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<i32>().prop_map(Value::Int),
        any::<i64>().prop_map(Value::I8),
        any::<bool>().prop_map(Value::Bool),
        // Any text XML 1.0 can carry (its `Char` production: no C0 control but tab, LF
        // and CR, no U+FFFE or U+FFFF).
        XML_TEXT.prop_map(Value::String),
        any::<f64>()
            .prop_filter("NaN never compares equal", |d| !d.is_nan())
            .prop_map(Value::Double),
        (
            0u16..=9999,
            1u8..=12,
            1u8..=31,
            0u8..=23,
            0u8..=59,
            0u8..=61
        )
            .prop_map(|(y, mo, d, h, mi, s)| {
                Value::DateTime(DateTime::new(y, mo, d, h, mi, s).unwrap())
            }),
        proptest::collection::vec(any::<u8>(), 0..200).prop_map(Value::Base64),
        Just(Value::Nil),
    ]
}

fn value() -> impl Strategy<Value = Value> {
    scalar().prop_recursive(6, 64, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            proptest::collection::vec((XML_TEXT, inner), 0..6).prop_map(Value::Struct),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn call_round_trips(params in proptest::collection::vec(value(), 0..4), name in "[A-Za-z0-9_.:/<&>]{0,20}") {
        let mut body = Vec::new();
        encode_call(&name, &params, &mut body);
        let call = parse_call(&body, &Limits::default()).unwrap();
        prop_assert_eq!(call.method, name);
        prop_assert_eq!(call.params, params);
    }

    #[test]
    fn response_round_trips(v in value()) {
        let mut body = Vec::new();
        encode_response(&v, &mut body);
        prop_assert_eq!(parse_response(&body, &Limits::default()).unwrap(), Response::Success(v));
    }

    #[test]
    fn fault_round_trips(code in any::<i32>(), string in XML_TEXT) {
        let f = Fault::new(code, string);
        let mut body = Vec::new();
        encode_fault(&f, &mut body);
        prop_assert_eq!(parse_response(&body, &Limits::default()).unwrap(), Response::Fault(f));
    }

    /// Decoding arbitrary bytes never panics (it may fail).
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = parse_call(&bytes, &Limits::default());
        let _ = parse_response(&bytes, &Limits::default());
    }

    /// Mutating a valid document never panics.
    #[test]
    fn mutated_documents_never_panic(v in value(), cut in any::<prop::sample::Index>(), flip in any::<u8>()) {
        let mut body = Vec::new();
        encode_response(&v, &mut body);
        let i = cut.index(body.len());
        let mut mutated = body.clone();
        mutated[i] ^= flip;
        let _ = parse_response(&mutated, &Limits::default());
        let _ = parse_response(&body[..i], &Limits::default());
    }
}
