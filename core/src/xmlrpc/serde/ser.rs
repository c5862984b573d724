//! `Serialize` → [`Value`]: the serde serializer behind [`to_value`](super::to_value).

use ::serde::ser::{self, Serialize};

use super::{DATETIME_TOKEN, I8_TOKEN};
use crate::xmlrpc::{ConvertError, ConvertErrorKind, DateTime, Value};

/// The serializer whose output is a [`Value`]. `wide` is set only inside the `<i8>`
/// marker newtype, where an `i64` becomes [`Value::I8`] instead of a range-checked int.
#[derive(Clone, Copy, Default)]
pub(super) struct ValueSerializer {
    wide: bool,
}

fn int(i: i64) -> Result<Value, ConvertError> {
    i32::try_from(i)
        .map(Value::Int)
        .map_err(|_| ConvertError::new(ConvertErrorKind::IntOutOfRange(i)))
}

fn wide_int<T: TryInto<i64> + Copy>(i: T) -> Result<Value, ConvertError> {
    match i.try_into() {
        Ok(i) => int(i),
        // Beyond i64: reported saturated, it is out of range either way.
        Err(_) => Err(ConvertError::new(ConvertErrorKind::IntOutOfRange(i64::MAX))),
    }
}

impl ser::Error for ConvertError {
    fn custom<T: std::fmt::Display>(msg: T) -> Self {
        ConvertError::invalid(msg)
    }
}

impl ser::Serializer for ValueSerializer {
    type Ok = Value;
    type Error = ConvertError;
    type SerializeSeq = SeqSerializer;
    type SerializeTuple = SeqSerializer;
    type SerializeTupleStruct = SeqSerializer;
    type SerializeTupleVariant = VariantSerializer<SeqSerializer>;
    type SerializeMap = MapSerializer;
    type SerializeStruct = StructSerializer;
    type SerializeStructVariant = VariantSerializer<StructSerializer>;

    fn serialize_bool(self, v: bool) -> Result<Value, ConvertError> {
        Ok(Value::Bool(v))
    }
    fn serialize_i8(self, v: i8) -> Result<Value, ConvertError> {
        Ok(Value::Int(v.into()))
    }
    fn serialize_i16(self, v: i16) -> Result<Value, ConvertError> {
        Ok(Value::Int(v.into()))
    }
    fn serialize_i32(self, v: i32) -> Result<Value, ConvertError> {
        Ok(Value::Int(v))
    }
    fn serialize_i64(self, v: i64) -> Result<Value, ConvertError> {
        if self.wide {
            return Ok(Value::I8(v));
        }
        int(v)
    }
    fn serialize_i128(self, v: i128) -> Result<Value, ConvertError> {
        wide_int(v)
    }
    fn serialize_u8(self, v: u8) -> Result<Value, ConvertError> {
        Ok(Value::Int(v.into()))
    }
    fn serialize_u16(self, v: u16) -> Result<Value, ConvertError> {
        Ok(Value::Int(v.into()))
    }
    fn serialize_u32(self, v: u32) -> Result<Value, ConvertError> {
        int(v.into())
    }
    fn serialize_u64(self, v: u64) -> Result<Value, ConvertError> {
        wide_int(v)
    }
    fn serialize_u128(self, v: u128) -> Result<Value, ConvertError> {
        wide_int(v)
    }
    fn serialize_f32(self, v: f32) -> Result<Value, ConvertError> {
        Ok(Value::Double(v.into()))
    }
    fn serialize_f64(self, v: f64) -> Result<Value, ConvertError> {
        Ok(Value::Double(v))
    }
    fn serialize_char(self, v: char) -> Result<Value, ConvertError> {
        Ok(Value::String(v.to_string()))
    }
    fn serialize_str(self, v: &str) -> Result<Value, ConvertError> {
        Ok(Value::String(v.to_owned()))
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<Value, ConvertError> {
        Ok(Value::Base64(v.to_vec()))
    }
    fn serialize_none(self) -> Result<Value, ConvertError> {
        Ok(Value::Nil)
    }
    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result<Value, ConvertError> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<Value, ConvertError> {
        Ok(Value::Nil)
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<Value, ConvertError> {
        Ok(Value::Nil)
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<Value, ConvertError> {
        Ok(Value::String(variant.to_owned()))
    }
    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        name: &'static str,
        value: &T,
    ) -> Result<Value, ConvertError> {
        match name {
            DATETIME_TOKEN => match value.serialize(self)? {
                Value::String(text) => {
                    DateTime::parse(&text).map(Value::DateTime).ok_or_else(|| {
                        ConvertError::invalid(format_args!("invalid dateTime.iso8601 {text:?}"))
                    })
                }
                other => Err(ConvertError::type_mismatch("string", &other)),
            },
            I8_TOKEN => value.serialize(ValueSerializer { wide: true }),
            _ => value.serialize(self),
        }
    }
    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<Value, ConvertError> {
        let inner = value
            .serialize(ValueSerializer::default())
            .map_err(|e| e.at_member(variant))?;
        Ok(Value::Struct(vec![(variant.to_owned(), inner)]))
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<SeqSerializer, ConvertError> {
        Ok(SeqSerializer {
            items: Vec::with_capacity(len.unwrap_or(0)),
        })
    }
    fn serialize_tuple(self, len: usize) -> Result<SeqSerializer, ConvertError> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        len: usize,
    ) -> Result<SeqSerializer, ConvertError> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<VariantSerializer<SeqSerializer>, ConvertError> {
        Ok(VariantSerializer {
            variant,
            inner: self.serialize_seq(Some(len))?,
        })
    }
    fn serialize_map(self, len: Option<usize>) -> Result<MapSerializer, ConvertError> {
        Ok(MapSerializer {
            members: Vec::with_capacity(len.unwrap_or(0)),
            key: None,
        })
    }
    fn serialize_struct(
        self,
        _name: &'static str,
        len: usize,
    ) -> Result<StructSerializer, ConvertError> {
        Ok(StructSerializer {
            members: Vec::with_capacity(len),
        })
    }
    fn serialize_struct_variant(
        self,
        name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<VariantSerializer<StructSerializer>, ConvertError> {
        Ok(VariantSerializer {
            variant,
            inner: self.serialize_struct(name, len)?,
        })
    }
}

/// Arrays: sequences, tuples and tuple structs.
pub(super) struct SeqSerializer {
    items: Vec<Value>,
}

impl SeqSerializer {
    fn push<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), ConvertError> {
        let v = value
            .serialize(ValueSerializer::default())
            .map_err(|e| e.at_index(self.items.len()))?;
        self.items.push(v);
        Ok(())
    }
}

impl ser::SerializeSeq for SeqSerializer {
    type Ok = Value;
    type Error = ConvertError;
    fn serialize_element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), ConvertError> {
        self.push(value)
    }
    fn end(self) -> Result<Value, ConvertError> {
        Ok(Value::Array(self.items))
    }
}

impl ser::SerializeTuple for SeqSerializer {
    type Ok = Value;
    type Error = ConvertError;
    fn serialize_element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), ConvertError> {
        self.push(value)
    }
    fn end(self) -> Result<Value, ConvertError> {
        Ok(Value::Array(self.items))
    }
}

impl ser::SerializeTupleStruct for SeqSerializer {
    type Ok = Value;
    type Error = ConvertError;
    fn serialize_field<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), ConvertError> {
        self.push(value)
    }
    fn end(self) -> Result<Value, ConvertError> {
        Ok(Value::Array(self.items))
    }
}

/// Structs: members in declaration order; a skipped field is an absent member.
pub(super) struct StructSerializer {
    members: Vec<(String, Value)>,
}

impl ser::SerializeStruct for StructSerializer {
    type Ok = Value;
    type Error = ConvertError;
    fn serialize_field<T: ?Sized + Serialize>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), ConvertError> {
        let v = value
            .serialize(ValueSerializer::default())
            .map_err(|e| e.at_member(key))?;
        self.members.push((key.to_owned(), v));
        Ok(())
    }
    fn end(self) -> Result<Value, ConvertError> {
        Ok(Value::Struct(self.members))
    }
}

/// Maps: keys must serialize to strings (or integers, written in decimal as serde_json
/// does), since struct member names are strings.
pub(super) struct MapSerializer {
    members: Vec<(String, Value)>,
    key: Option<String>,
}

impl ser::SerializeMap for MapSerializer {
    type Ok = Value;
    type Error = ConvertError;
    fn serialize_key<T: ?Sized + Serialize>(&mut self, key: &T) -> Result<(), ConvertError> {
        let key = match key.serialize(ValueSerializer::default())? {
            Value::String(s) => s,
            Value::Int(i) => i.to_string(),
            other => {
                return Err(ConvertError::invalid(format_args!(
                    "struct member names must be strings, not {}",
                    other.kind()
                )))
            }
        };
        self.key = Some(key);
        Ok(())
    }
    fn serialize_value<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), ConvertError> {
        let key = self
            .key
            .take()
            .ok_or_else(|| ConvertError::invalid("map value without a key"))?;
        match value.serialize(ValueSerializer::default()) {
            Ok(v) => {
                self.members.push((key, v));
                Ok(())
            }
            Err(e) => Err(e.at_member(&key)),
        }
    }
    fn end(self) -> Result<Value, ConvertError> {
        Ok(Value::Struct(self.members))
    }
}

/// A tuple or struct variant: `{variant: content}`, serde's external tagging.
pub(super) struct VariantSerializer<S> {
    variant: &'static str,
    inner: S,
}

impl<S> VariantSerializer<S> {
    fn wrap(variant: &'static str, content: Value) -> Value {
        Value::Struct(vec![(variant.to_owned(), content)])
    }
}

impl ser::SerializeTupleVariant for VariantSerializer<SeqSerializer> {
    type Ok = Value;
    type Error = ConvertError;
    fn serialize_field<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), ConvertError> {
        let variant = self.variant;
        self.inner.push(value).map_err(|e| e.at_member(variant))
    }
    fn end(self) -> Result<Value, ConvertError> {
        Ok(Self::wrap(self.variant, Value::Array(self.inner.items)))
    }
}

impl ser::SerializeStructVariant for VariantSerializer<StructSerializer> {
    type Ok = Value;
    type Error = ConvertError;
    fn serialize_field<T: ?Sized + Serialize>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), ConvertError> {
        let variant = self.variant;
        ser::SerializeStruct::serialize_field(&mut self.inner, key, value)
            .map_err(|e| e.at_member(variant))
    }
    fn end(self) -> Result<Value, ConvertError> {
        Ok(Self::wrap(self.variant, Value::Struct(self.inner.members)))
    }
}
