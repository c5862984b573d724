//! [`Value`] → `Deserialize`: the serde deserializer behind
//! [`from_value`](super::from_value).
//!
//! Typed requests are checked against the value's XML-RPC type, so errors read as the
//! rest of the crate's do (`expected string, got int`), and every error carries the path
//! of the member or element it happened in.

use std::fmt;

use ::serde::de::value::{MapDeserializer, StrDeserializer};
use ::serde::de::{
    self, DeserializeSeed, EnumAccess, IntoDeserializer, MapAccess, SeqAccess, VariantAccess,
    Visitor,
};
use ::serde::forward_to_deserialize_any;

use super::{DATETIME_TOKEN, I8_TOKEN, VALUE_TOKEN};
use crate::xmlrpc::{ConvertError, ConvertErrorKind, Value};

impl de::Error for ConvertError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        ConvertError::invalid(msg)
    }

    fn missing_field(field: &'static str) -> Self {
        ConvertError::missing_member(field)
    }

    fn unknown_field(field: &str, _expected: &'static [&'static str]) -> Self {
        ConvertError::new(ConvertErrorKind::UnknownMember).at_member(field)
    }

    fn unknown_variant(variant: &str, _expected: &'static [&'static str]) -> Self {
        ConvertError::new(ConvertErrorKind::UnknownVariant(variant.to_owned()))
    }
}

/// Deserializes a Rust value out of one [`Value`].
pub(super) struct ValueDeserializer {
    value: Value,
}

impl ValueDeserializer {
    pub(super) fn new(value: Value) -> Self {
        ValueDeserializer { value }
    }

    fn mismatch<T>(self, expected: &'static str) -> Result<T, ConvertError> {
        Err(ConvertError::type_mismatch(expected, &self.value))
    }

    fn integer(&self) -> Result<i64, ConvertError> {
        self.value
            .as_i64()
            .ok_or_else(|| ConvertError::type_mismatch("int", &self.value))
    }
}

fn out_of_range(i: i64) -> ConvertError {
    ConvertError::new(ConvertErrorKind::IntOutOfRange(i))
}

macro_rules! integers {
    ($($method:ident => $visit:ident : $t:ty),* $(,)?) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ConvertError> {
            let i = self.integer()?;
            visitor.$visit(<$t>::try_from(i).map_err(|_| out_of_range(i))?)
        }
    )*};
}

impl<'de> de::Deserializer<'de> for ValueDeserializer {
    type Error = ConvertError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ConvertError> {
        match self.value {
            Value::Int(i) => visitor.visit_i32(i),
            Value::I8(i) => visitor.visit_i64(i),
            Value::Bool(b) => visitor.visit_bool(b),
            Value::String(s) => visitor.visit_string(s),
            Value::Double(d) => visitor.visit_f64(d),
            // Self-describing consumers (untagged enums, other formats' values) see the
            // text; `DateTime` fields are asked for by name and get the date-time.
            Value::DateTime(t) => visitor.visit_string(t.to_string()),
            Value::Base64(b) => visitor.visit_byte_buf(b),
            Value::Struct(members) => visit_struct(last_wins(members), visitor),
            Value::Array(items) => visit_array(items, visitor),
            Value::Nil => visitor.visit_unit(),
        }
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ConvertError> {
        match self.value {
            Value::Bool(b) => visitor.visit_bool(b),
            _ => self.mismatch("boolean"),
        }
    }

    integers! {
        deserialize_i8 => visit_i8: i8,
        deserialize_i16 => visit_i16: i16,
        deserialize_i32 => visit_i32: i32,
        deserialize_i64 => visit_i64: i64,
        deserialize_i128 => visit_i128: i128,
        deserialize_u8 => visit_u8: u8,
        deserialize_u16 => visit_u16: u16,
        deserialize_u32 => visit_u32: u32,
        deserialize_u64 => visit_u64: u64,
        deserialize_u128 => visit_u128: u128,
    }

    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ConvertError> {
        self.deserialize_f64(visitor)
    }

    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ConvertError> {
        // An integer is a fine double, as `FromValue for f64` reads it.
        match self.value {
            Value::Double(d) => visitor.visit_f64(d),
            Value::Int(i) => visitor.visit_f64(f64::from(i)),
            Value::I8(i) => visitor.visit_f64(i as f64),
            _ => self.mismatch("double"),
        }
    }

    fn deserialize_char<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ConvertError> {
        self.deserialize_string(visitor)
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ConvertError> {
        self.deserialize_string(visitor)
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ConvertError> {
        match self.value {
            Value::String(s) => visitor.visit_string(s),
            _ => self.mismatch("string"),
        }
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ConvertError> {
        self.deserialize_byte_buf(visitor)
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ConvertError> {
        match self.value {
            Value::Base64(b) => visitor.visit_byte_buf(b),
            // Generous: a peer may send text or an array of octets for bytes; the visitor
            // decides whether it takes them.
            Value::String(s) => visitor.visit_string(s),
            Value::Array(items) => visit_array(items, visitor),
            _ => self.mismatch("base64"),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ConvertError> {
        match self.value {
            Value::Nil => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ConvertError> {
        match self.value {
            Value::Nil => visitor.visit_unit(),
            _ => self.mismatch("nil"),
        }
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, ConvertError> {
        self.deserialize_unit(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, ConvertError> {
        match (name, self.value) {
            // `DateTime` asks by name: it gets its text (or a string to parse).
            (DATETIME_TOKEN, Value::DateTime(t)) => visitor.visit_string(t.to_string()),
            (DATETIME_TOKEN, Value::String(s)) => visitor.visit_string(s),
            (DATETIME_TOKEN, value) => ValueDeserializer { value }.mismatch("dateTime.iso8601"),
            // `Value` asks by name, so that it gets back exactly what was decoded.
            (VALUE_TOKEN, value) => visitor.visit_newtype_struct(ExactDeserializer { value }),
            (_, value) => visitor.visit_newtype_struct(ValueDeserializer { value }),
        }
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ConvertError> {
        match self.value {
            Value::Array(items) => visit_array(items, visitor),
            // Generous: a `Vec<u8>` without `serde_bytes` still reads base64.
            Value::Base64(bytes) => visit_array(
                bytes.into_iter().map(|b| Value::Int(b.into())).collect(),
                visitor,
            ),
            _ => self.mismatch("array"),
        }
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, ConvertError> {
        match self.value {
            Value::Array(items) if items.len() == len => visit_array(items, visitor),
            Value::Array(items) => Err(ConvertError::new(ConvertErrorKind::Length {
                expected: len,
                found: items.len(),
            })),
            _ => self.mismatch("array"),
        }
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, ConvertError> {
        self.deserialize_tuple(len, visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ConvertError> {
        match self.value {
            Value::Struct(members) => visit_struct(last_wins(members), visitor),
            _ => self.mismatch("struct"),
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, ConvertError> {
        self.deserialize_map(visitor)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, ConvertError> {
        match self.value {
            // A unit variant is its name.
            Value::String(variant) => visitor.visit_enum(Enum {
                variant,
                content: Value::Nil,
            }),
            // Any other variant is `{variant: content}` (serde's external tagging).
            Value::Struct(mut members) if members.len() == 1 => match members.pop() {
                Some((variant, content)) => visitor.visit_enum(Enum { variant, content }),
                None => Err(ConvertError::invalid("empty struct")),
            },
            _ => self.mismatch("string or single-member struct"),
        }
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ConvertError> {
        self.deserialize_string(visitor)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(
        self,
        visitor: V,
    ) -> Result<V::Value, ConvertError> {
        visitor.visit_unit()
    }
}

fn visit_array<'de, V: Visitor<'de>>(
    items: Vec<Value>,
    visitor: V,
) -> Result<V::Value, ConvertError> {
    visitor.visit_seq(Array {
        items: items.into_iter(),
        index: 0,
    })
}

fn visit_struct<'de, V: Visitor<'de>>(
    members: Vec<(String, Value)>,
    visitor: V,
) -> Result<V::Value, ConvertError> {
    visitor.visit_map(Struct {
        members: members.into_iter(),
        current: String::new(),
        value: None,
    })
}

/// A struct decoded from the wire may name a member twice; CPython keeps the last one, so
/// the earlier ones are dropped here (a derived `Deserialize` would refuse duplicates).
fn last_wins(members: Vec<(String, Value)>) -> Vec<(String, Value)> {
    let duplicated = if members.len() <= 16 {
        members
            .iter()
            .enumerate()
            .any(|(i, (k, _))| members[..i].iter().any(|(j, _)| j == k))
    } else {
        let mut seen = std::collections::HashSet::with_capacity(members.len());
        !members.iter().all(|(k, _)| seen.insert(k.as_str()))
    };
    if !duplicated {
        return members;
    }
    let mut seen = std::collections::HashSet::with_capacity(members.len());
    let mut kept: Vec<_> = members
        .into_iter()
        .rev()
        .filter(|(k, _)| seen.insert(k.clone()))
        .collect();
    kept.reverse();
    kept
}

/// The elements of an array, each error prefixed with its index.
struct Array {
    items: std::vec::IntoIter<Value>,
    index: usize,
}

impl<'de> SeqAccess<'de> for Array {
    type Error = ConvertError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, ConvertError> {
        let Some(value) = self.items.next() else {
            return Ok(None);
        };
        let index = self.index;
        self.index += 1;
        seed.deserialize(ValueDeserializer { value })
            .map(Some)
            .map_err(|e| e.at_index(index))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len())
    }
}

/// The members of a struct, each error prefixed with the member's name.
struct Struct {
    members: std::vec::IntoIter<(String, Value)>,
    current: String,
    value: Option<Value>,
}

impl<'de> MapAccess<'de> for Struct {
    type Error = ConvertError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, ConvertError> {
        let Some((name, value)) = self.members.next() else {
            return Ok(None);
        };
        self.current = name;
        self.value = Some(value);
        let key: StrDeserializer<'_, ConvertError> = self.current.as_str().into_deserializer();
        seed.deserialize(key).map(Some)
    }

    fn next_value_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<T::Value, ConvertError> {
        let value = self.value.take().unwrap_or(Value::Nil);
        seed.deserialize(ValueDeserializer { value })
            .map_err(|e| e.at_member(&self.current))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.members.len())
    }
}

/// An enum variant: its name and content (`Nil` for a unit variant sent as a string).
struct Enum {
    variant: String,
    content: Value,
}

impl<'de> EnumAccess<'de> for Enum {
    type Error = ConvertError;
    type Variant = Variant;

    fn variant_seed<S: DeserializeSeed<'de>>(
        self,
        seed: S,
    ) -> Result<(S::Value, Variant), ConvertError> {
        let name: StrDeserializer<'_, ConvertError> = self.variant.as_str().into_deserializer();
        let tag = seed.deserialize(name)?;
        Ok((
            tag,
            Variant {
                variant: self.variant,
                content: self.content,
            },
        ))
    }
}

struct Variant {
    variant: String,
    content: Value,
}

impl Variant {
    fn content(self) -> (ValueDeserializer, String) {
        (
            ValueDeserializer {
                value: self.content,
            },
            self.variant,
        )
    }
}

impl<'de> VariantAccess<'de> for Variant {
    type Error = ConvertError;

    fn unit_variant(self) -> Result<(), ConvertError> {
        match self.content {
            Value::Nil => Ok(()),
            other => Err(ConvertError::type_mismatch("nil", &other).at_member(&self.variant)),
        }
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(
        self,
        seed: T,
    ) -> Result<T::Value, ConvertError> {
        let (de, variant) = self.content();
        seed.deserialize(de).map_err(|e| e.at_member(&variant))
    }

    fn tuple_variant<V: Visitor<'de>>(
        self,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, ConvertError> {
        let (de, variant) = self.content();
        de::Deserializer::deserialize_tuple(de, len, visitor).map_err(|e| e.at_member(&variant))
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, ConvertError> {
        let (de, variant) = self.content();
        de::Deserializer::deserialize_map(de, visitor).map_err(|e| e.at_member(&variant))
    }
}

/// What `Value`'s own `Deserialize` is handed: like [`ValueDeserializer`], except that
/// the two types a self-describing format cannot tell from others arrive tagged, as a
/// one-member map under a marker name, so `Value` gets them back exactly.
struct ExactDeserializer {
    value: Value,
}

impl<'de> de::Deserializer<'de> for ExactDeserializer {
    type Error = ConvertError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ConvertError> {
        match self.value {
            Value::DateTime(t) => visitor.visit_map(MapDeserializer::new(std::iter::once((
                DATETIME_TOKEN,
                t.to_string(),
            )))),
            Value::I8(i) => visitor.visit_map(MapDeserializer::new(std::iter::once((
                I8_TOKEN,
                i.into_deserializer(),
            )))),
            // Every member, repeated names too: a `Value` keeps what was sent.
            Value::Struct(members) => visit_struct(members, visitor),
            value => ValueDeserializer { value }.deserialize_any(visitor),
        }
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map struct enum identifier ignored_any
    }
}
