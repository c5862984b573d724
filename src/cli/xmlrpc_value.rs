//! XML-RPC values typed on the command line, and printed back.
//!
//! An argument is JSON (`null`, `true`, `42`, `2.5`, `"42"`, `[1,"a"]`, `{"k":1}`) or else a
//! bare word, which is a string. Integers outside 32 bits are sent as `<i8>`; beyond 64 bits
//! they are refused. Two prefixes give the types JSON lacks: `dateTime:20240102T03:04:05`
//! and `base64:aGk=` (inside JSON, such text stays a string).
//!
//! Results print as JSON, with those two types written the same way: as the strings
//! `"dateTime:…"` and `"base64:…"`.

use std::fmt;

use base64::Engine as _;
use netloom::xmlrpc::{DateTime, Value};
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};

use super::error::CliError;
use super::escape::is_unsafe;

const DATETIME: &str = "dateTime:";
const BASE64: &str = "base64:";

/// Types one command-line argument.
pub fn parse_arg(text: &str) -> Result<Value, CliError> {
    if let Some(rest) = text.strip_prefix(DATETIME) {
        return DateTime::parse(rest).map(Value::DateTime).ok_or_else(|| {
            CliError::msg(format!(
                "argument {text:?}: not a dateTime (write dateTime:20240102T03:04:05)"
            ))
        });
    }
    if let Some(rest) = text.strip_prefix(BASE64) {
        return base64::engine::general_purpose::STANDARD
            .decode(rest.trim())
            .map(Value::Base64)
            .map_err(|e| CliError::msg(format!("argument {text:?}: not base64: {e}")));
    }
    match serde_json::from_str::<Arg>(text) {
        Ok(Arg(v)) => {
            check_integers(text)?;
            Ok(v)
        }
        Err(e) if e.is_data() => Err(CliError::msg(format!("argument {text:?}: {e}"))),
        // Text that means to be JSON but is not: a typo, not a string.
        Err(e) if text.trim_start().starts_with(['[', '{', '"']) => Err(CliError::msg(format!(
            "argument {text:?} is not valid JSON: {e}"
        ))),
        Err(_) => Ok(Value::String(text.to_owned())),
    }
}

/// Refuses integer literals beyond 64 bits in a valid JSON `text`, which the JSON parser
/// quietly turns into doubles: XML-RPC's widest integer is `<i8>`.
fn check_integers(text: &str) -> Result<(), CliError> {
    let bytes = text.as_bytes();
    let mut i = 0;
    let mut in_string = false;
    while i < bytes.len() {
        let b = bytes[i];
        if in_string {
            match b {
                b'\\' => i += 1,
                b'"' => in_string = false,
                _ => {}
            }
            i += 1;
            continue;
        }
        if b == b'"' {
            in_string = true;
            i += 1;
            continue;
        }
        if b == b'-' || b.is_ascii_digit() {
            let start = i;
            i += 1;
            while i < bytes.len()
                && (bytes[i].is_ascii_alphanumeric() || b".+-".contains(&bytes[i]))
            {
                i += 1;
            }
            let token = &text[start..i];
            let integral = token
                .bytes()
                .skip(usize::from(token.starts_with('-')))
                .all(|c| c.is_ascii_digit());
            if integral && token.len() > 1 && token.parse::<i64>().is_err() {
                return Err(CliError::msg(format!(
                    "integer {token} does not fit in 64 bits (XML-RPC's largest integer, <i8>)"
                )));
            }
            continue;
        }
        i += 1;
    }
    Ok(())
}

/// A JSON text read straight into a [`Value`], struct members in the order written.
struct Arg(Value);

impl<'de> de::Deserialize<'de> for Arg {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ArgVisitor).map(Arg)
    }
}

struct ArgVisitor;

impl<'de> Visitor<'de> for ArgVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, b: bool) -> Result<Value, E> {
        Ok(Value::Bool(b))
    }

    fn visit_i64<E>(self, i: i64) -> Result<Value, E> {
        Ok(i32::try_from(i).map(Value::Int).unwrap_or(Value::I8(i)))
    }

    fn visit_u64<E: de::Error>(self, u: u64) -> Result<Value, E> {
        i64::try_from(u)
            .map(|i| self.visit_i64::<E>(i))
            .unwrap_or_else(|_| {
                Err(E::custom(format!(
                    "integer {u} does not fit in 64 bits (XML-RPC's largest integer, <i8>)"
                )))
            })
    }

    fn visit_f64<E>(self, d: f64) -> Result<Value, E> {
        Ok(Value::Double(d))
    }

    fn visit_str<E>(self, s: &str) -> Result<Value, E> {
        Ok(Value::String(s.to_owned()))
    }

    fn visit_string<E>(self, s: String) -> Result<Value, E> {
        Ok(Value::String(s))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Nil)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Nil)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(Arg(v)) = seq.next_element()? {
            items.push(v);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut members = Vec::new();
        while let Some((k, Arg(v))) = map.next_entry::<String, Arg>()? {
            members.push((k, v));
        }
        Ok(Value::Struct(members))
    }
}

/// A value as JSON on one line, dateTime and base64 tagged as in arguments. Non-ASCII text is
/// kept, but nothing a terminal would act on (controls, C1, bidi overrides) is written raw.
pub fn to_json(value: &Value) -> String {
    let mut out = String::new();
    write_json(value, &mut out);
    out
}

/// A top-level string as itself (raw: escape it for a terminal), a dateTime or base64 as
/// the argument that would send it, anything else as [`to_json`].
pub fn to_raw(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::DateTime(dt) => format!("{DATETIME}{dt}"),
        Value::Base64(b) => format!(
            "{BASE64}{}",
            base64::engine::general_purpose::STANDARD.encode(b)
        ),
        other => to_json(other),
    }
}

fn write_json(value: &Value, out: &mut String) {
    use std::fmt::Write as _;
    match value {
        Value::Int(i) => {
            let _ = write!(out, "{i}");
        }
        Value::I8(i) => {
            let _ = write!(out, "{i}");
        }
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Double(d) if d.is_finite() => {
            // Always with a fraction or exponent, so it reads back as a double.
            let text = format!("{d:?}");
            out.push_str(&text);
        }
        Value::Double(d) => write_string(&format!("double:{d}"), out),
        Value::String(s) => write_string(s, out),
        Value::DateTime(dt) => write_string(&format!("{DATETIME}{dt}"), out),
        Value::Base64(b) => write_string(
            &format!(
                "{BASE64}{}",
                base64::engine::general_purpose::STANDARD.encode(b)
            ),
            out,
        ),
        Value::Nil => out.push_str("null"),
        Value::Array(items) => {
            out.push('[');
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json(v, out);
            }
            out.push(']');
        }
        Value::Struct(members) => {
            out.push('{');
            for (i, (k, v)) in members.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(k, out);
                out.push(':');
                write_json(v, out);
            }
            out.push('}');
        }
    }
}

fn write_string(s: &str, out: &mut String) {
    use std::fmt::Write as _;
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if is_unsafe(c) => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arg(t: &str) -> Value {
        parse_arg(t).unwrap()
    }

    #[test]
    fn arguments_are_json_or_words() {
        assert_eq!(arg("null"), Value::Nil);
        assert_eq!(arg("true"), Value::Bool(true));
        assert_eq!(arg("42"), Value::Int(42));
        assert_eq!(arg("-7"), Value::Int(-7));
        assert_eq!(arg("4294967296"), Value::I8(4_294_967_296));
        assert_eq!(arg("-9223372036854775808"), Value::I8(i64::MIN));
        assert_eq!(arg("2.5"), Value::Double(2.5));
        assert_eq!(arg("2.0"), Value::Double(2.0));
        assert_eq!(arg("\"42\""), Value::from("42"));
        assert_eq!(arg("hello"), Value::from("hello"));
        assert_eq!(arg("a b"), Value::from("a b"));
        assert_eq!(arg(""), Value::from(""));
        assert_eq!(arg("01"), Value::from("01"));
        assert_eq!(
            arg("[1,\"a\",null]"),
            Value::Array(vec![Value::Int(1), Value::from("a"), Value::Nil])
        );
        assert_eq!(
            arg("{\"z\":1,\"a\":[]}"),
            Value::Struct(vec![
                ("z".into(), Value::Int(1)),
                ("a".into(), Value::Array(vec![]))
            ])
        );
        assert_eq!(
            arg("dateTime:20240102T03:04:05"),
            Value::DateTime(DateTime::parse("20240102T03:04:05").unwrap())
        );
        assert_eq!(arg("base64:aGk="), Value::Base64(b"hi".to_vec()));
        assert_eq!(arg("\"base64:aGk=\""), Value::from("base64:aGk="));
    }

    #[test]
    fn bad_arguments_are_refused() {
        for bad in [
            "99999999999999999999",
            "[1, 99999999999999999999]",
            "9223372036854775808",
            "{\"a\": -99999999999999999999}",
            "[1,",
            "{oops}",
            "\"unterminated",
            "dateTime:tomorrow",
            "base64:!!",
        ] {
            assert!(parse_arg(bad).is_err(), "{bad}");
        }
        // Not JSON, so a word, whatever digits it holds.
        assert_eq!(
            arg("order-99999999999999999999"),
            Value::from("order-99999999999999999999")
        );
        // Digits inside strings are not integers.
        assert_eq!(
            arg("[\"99999999999999999999\"]"),
            Value::Array(vec![Value::from("99999999999999999999")])
        );
        assert_eq!(arg("1e30"), Value::Double(1e30));
    }

    #[test]
    fn results_print_as_json_with_tags() {
        let v = Value::Struct(vec![
            (
                "when".into(),
                Value::DateTime(DateTime::parse("20240102T03:04:05").unwrap()),
            ),
            ("data".into(), Value::Base64(b"hi".to_vec())),
            ("n".into(), Value::I8(1 << 40)),
            ("x".into(), Value::Double(2.0)),
            ("s".into(), Value::from("a\u{1b}[2J\"\u{9b}\u{202e}é")),
            ("none".into(), Value::Nil),
        ]);
        assert_eq!(
            to_json(&v),
            r#"{"when":"dateTime:20240102T03:04:05","data":"base64:aGk=","n":1099511627776,"x":2.0,"s":"a\u001b[2J\"\u009b\u202eé","none":null}"#
        );
        assert_eq!(to_raw(&Value::from("plain")), "plain");
        assert_eq!(to_raw(&Value::Base64(b"hi".to_vec())), "base64:aGk=");
        // What is printed reads back as the same value.
        assert_eq!(
            parse_arg(&to_json(&v)).unwrap_or(Value::Nil).kind(),
            "struct"
        );
    }
}
