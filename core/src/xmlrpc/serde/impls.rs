//! `Serialize` and `Deserialize` for the XML-RPC data model: [`Value`], [`DateTime`],
//! [`Base64`]. With this crate's own serializer they map exactly onto their XML-RPC types;
//! with any other serde format they take the obvious shape (a date-time is its
//! `dateTime.iso8601` text, bytes are bytes, nil is unit).

use std::fmt;

use ::serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use ::serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};

use super::{DATETIME_TOKEN, I8_TOKEN, VALUE_TOKEN};
use crate::xmlrpc::{Base64, DateTime, Value};

/// Serializes a `Display` value as a string without building it first.
struct Text<'a, T>(&'a T);

impl<T: fmt::Display> Serialize for Text<'_, T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self.0)
    }
}

impl Serialize for DateTime {
    /// A newtype around the `dateTime.iso8601` text: this crate's serializer makes it a
    /// `<dateTime.iso8601>`, other formats write the text.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_newtype_struct(DATETIME_TOKEN, &Text(self))
    }
}

struct DateTimeVisitor;

impl<'de> Visitor<'de> for DateTimeVisitor {
    type Value = DateTime;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a dateTime.iso8601 value")
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<DateTime, E> {
        DateTime::parse(text)
            .ok_or_else(|| E::custom(format_args!("invalid dateTime.iso8601 {text:?}")))
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<DateTime, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Deserialize<'de> for DateTime {
    /// From a `<dateTime.iso8601>`, or from any string [`DateTime::parse`] accepts.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_newtype_struct(DATETIME_TOKEN, DateTimeVisitor)
    }
}

impl Serialize for Base64 {
    /// Bytes: `<base64>` with this crate's serializer.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_bytes(&self.0)
    }
}

struct BytesVisitor;

impl<'de> Visitor<'de> for BytesVisitor {
    type Value = Base64;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("bytes")
    }

    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Base64, E> {
        Ok(Base64(v.to_vec()))
    }

    fn visit_byte_buf<E: de::Error>(self, v: Vec<u8>) -> Result<Base64, E> {
        Ok(Base64(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Base64, E> {
        Ok(Base64(v.as_bytes().to_vec()))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Base64, A::Error> {
        let mut bytes = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1 << 16));
        while let Some(b) = seq.next_element::<u8>()? {
            bytes.push(b);
        }
        Ok(Base64(bytes))
    }
}

impl<'de> Deserialize<'de> for Base64 {
    /// From `<base64>` (or text, or an array of octets).
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_byte_buf(BytesVisitor)
    }
}

impl Serialize for Value {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::Int(i) => serializer.serialize_i32(*i),
            Value::I8(i) => serializer.serialize_newtype_struct(I8_TOKEN, i),
            Value::Bool(b) => serializer.serialize_bool(*b),
            Value::String(s) => serializer.serialize_str(s),
            Value::Double(d) => serializer.serialize_f64(*d),
            Value::DateTime(t) => t.serialize(serializer),
            Value::Base64(b) => serializer.serialize_bytes(b),
            Value::Struct(members) => {
                let mut map = serializer.serialize_map(Some(members.len()))?;
                for (k, v) in members {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
            Value::Array(items) => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for v in items {
                    seq.serialize_element(v)?;
                }
                seq.end()
            }
            Value::Nil => serializer.serialize_unit(),
        }
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an XML-RPC value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i32<E: de::Error>(self, v: i32) -> Result<Value, E> {
        Ok(Value::Int(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
        Ok(i32::try_from(v).map_or(Value::I8(v), Value::Int))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        match i64::try_from(v) {
            Ok(i) => self.visit_i64(i),
            Err(_) => Err(E::custom(format_args!("integer {v} beyond 64 bits"))),
        }
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        Ok(Value::Double(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Value, E> {
        Ok(Value::Base64(v.to_vec()))
    }

    fn visit_byte_buf<E: de::Error>(self, v: Vec<u8>) -> Result<Value, E> {
        Ok(Value::Base64(v))
    }

    fn visit_none<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Nil)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Nil)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        Value::deserialize(d)
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(v) = seq.next_element()? {
            items.push(v);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let Some(first) = map.next_key::<String>()? else {
            return Ok(Value::Struct(Vec::new()));
        };
        // The tagged forms this crate's deserializer hands to `Value` (see `de.rs`).
        match first.as_str() {
            DATETIME_TOKEN => {
                let text: String = map.next_value()?;
                return DateTimeVisitor.visit_str(&text).map(Value::DateTime);
            }
            I8_TOKEN => return Ok(Value::I8(map.next_value()?)),
            _ => {}
        }
        let mut members = Vec::with_capacity(map.size_hint().unwrap_or(0).min(4096) + 1);
        members.push((first, map.next_value()?));
        while let Some((k, v)) = map.next_entry()? {
            members.push((k, v));
        }
        Ok(Value::Struct(members))
    }
}

impl<'de> Deserialize<'de> for Value {
    /// Any value. From this crate's deserializer, exactly the value decoded (an `<i8>`
    /// stays `I8`, a date-time stays `DateTime`); from other formats, integers that fit in
    /// 32 bits become `Int`, wider ones `I8`, and nulls `Nil`.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_newtype_struct(VALUE_TOKEN, ValueVisitor)
    }
}
