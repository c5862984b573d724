//! Conversions between Rust types and [`Value`], so handlers and callers rarely build
//! `Value`s by hand.
//!
//! | Rust | XML-RPC |
//! |------|---------|
//! | `i8`, `i16`, `i32`, `u8`, `u16` | `int` |
//! | `i64`, `u32`, `u64`, `isize`, `usize` | `int`, range-checked like CPython (error outside `i32`) |
//! | `bool` | `boolean` |
//! | `f64`, `f32` | `double` (`int` also accepted when decoding) |
//! | `String`, `&str` | `string` |
//! | [`Base64`] | `base64` |
//! | [`DateTime`] | `dateTime.iso8601` |
//! | `Vec<T>`, tuples up to 6 | `array` |
//! | `HashMap<String, T>`, `BTreeMap<String, T>` | `struct` |
//! | `Option<T>`, `()` | `nil` when `None` / `()` |
//! | [`Value`] | itself |

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::hash::BuildHasher;

use super::{Base64, DateTime, Fault, Value};

/// Why a conversion between a Rust type and a [`Value`] failed.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConvertError {
    /// The value has another XML-RPC type.
    Type {
        /// What the Rust type needs (`"int"`, `"string"`, ...).
        expected: &'static str,
        /// What the value is ([`Value::kind`]).
        found: &'static str,
    },
    /// An integer outside the range of the target (`i32` on the wire, as CPython enforces
    /// when sending; the Rust type's range when receiving).
    IntOutOfRange(i64),
    /// An array of the wrong length for a tuple.
    Length {
        /// The tuple's arity.
        expected: usize,
        /// The array's length.
        found: usize,
    },
}

impl ConvertError {
    /// The fault CPython's server would answer: `OverflowError` for integers beyond the
    /// XML-RPC limits, `TypeError` otherwise (code `1`).
    pub fn to_fault(&self) -> Fault {
        match self {
            ConvertError::IntOutOfRange(_) => {
                Fault::exception("OverflowError", "int exceeds XML-RPC limits")
            }
            _ => Fault::type_error(self),
        }
    }
}

impl fmt::Display for ConvertError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConvertError::Type { expected, found } => write!(f, "expected {expected}, got {found}"),
            ConvertError::IntOutOfRange(i) => write!(f, "integer {i} out of range"),
            ConvertError::Length { expected, found } => {
                write!(f, "expected an array of {expected} elements, got {found}")
            }
        }
    }
}

impl std::error::Error for ConvertError {}

/// Conversion of a Rust value into a [`Value`]; fails only for integers outside the `i32`
/// range, which CPython refuses to send (`OverflowError: int exceeds XML-RPC limits`).
/// Use [`Value::I8`] explicitly to send a 64-bit integer as `<i8>`.
///
/// ```
/// use netloom_core::xmlrpc::{IntoValue, Value};
///
/// assert_eq!((1, "a", true).into_value(), Ok(Value::Array(vec![
///     Value::Int(1), Value::from("a"), Value::Bool(true),
/// ])));
/// assert!(5_000_000_000i64.into_value().is_err());
/// ```
pub trait IntoValue {
    /// Performs the conversion.
    fn into_value(self) -> Result<Value, ConvertError>;
}

/// Conversion of a [`Value`] into a Rust value (typed handler arguments, typed results).
///
/// ```
/// use netloom_core::xmlrpc::{FromValue, Value};
///
/// let v = Value::Array(vec![Value::Int(1), Value::Int(2)]);
/// assert_eq!(Vec::<u8>::from_value(v), Ok(vec![1, 2]));
/// assert!(String::from_value(Value::Int(1)).is_err());
/// ```
pub trait FromValue: Sized {
    /// Performs the conversion.
    fn from_value(value: Value) -> Result<Self, ConvertError>;
}

fn mismatch<T>(expected: &'static str, v: &Value) -> Result<T, ConvertError> {
    Err(ConvertError::Type {
        expected,
        found: v.kind(),
    })
}

impl IntoValue for Value {
    fn into_value(self) -> Result<Value, ConvertError> {
        Ok(self)
    }
}

impl FromValue for Value {
    fn from_value(value: Value) -> Result<Self, ConvertError> {
        Ok(value)
    }
}

macro_rules! small_ints {
    ($($t:ty),*) => {$(
        impl From<$t> for Value {
            fn from(i: $t) -> Value {
                Value::Int(i32::from(i))
            }
        }
        impl IntoValue for $t {
            fn into_value(self) -> Result<Value, ConvertError> {
                Ok(Value::from(self))
            }
        }
    )*};
}
small_ints!(i8, i16, i32, u8, u16);

macro_rules! wide_ints {
    ($($t:ty),*) => {$(
        impl IntoValue for $t {
            fn into_value(self) -> Result<Value, ConvertError> {
                i32::try_from(self)
                    .map(Value::Int)
                    .map_err(|_| ConvertError::IntOutOfRange(i64::try_from(self).unwrap_or(i64::MAX)))
            }
        }
    )*};
}
wide_ints!(i64, u32, u64, isize, usize);

macro_rules! from_ints {
    ($($t:ty),*) => {$(
        impl FromValue for $t {
            fn from_value(value: Value) -> Result<Self, ConvertError> {
                match value.as_i64() {
                    Some(i) => <$t>::try_from(i).map_err(|_| ConvertError::IntOutOfRange(i)),
                    None => mismatch("int", &value),
                }
            }
        }
    )*};
}
from_ints!(i8, i16, i32, i64, u8, u16, u32, u64, isize, usize);

impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::Bool(b)
    }
}

impl From<f64> for Value {
    fn from(d: f64) -> Value {
        Value::Double(d)
    }
}

impl From<f32> for Value {
    fn from(d: f32) -> Value {
        Value::Double(f64::from(d))
    }
}

impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::String(s)
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::String(s.to_owned())
    }
}

impl From<Base64> for Value {
    fn from(b: Base64) -> Value {
        Value::Base64(b.0)
    }
}

impl From<DateTime> for Value {
    fn from(t: DateTime) -> Value {
        Value::DateTime(t)
    }
}

impl From<Vec<Value>> for Value {
    fn from(items: Vec<Value>) -> Value {
        Value::Array(items)
    }
}

macro_rules! infallible {
    ($($t:ty),*) => {$(
        impl IntoValue for $t {
            fn into_value(self) -> Result<Value, ConvertError> {
                Ok(Value::from(self))
            }
        }
    )*};
}
infallible!(bool, f64, f32, String, Base64, DateTime);

impl IntoValue for &str {
    fn into_value(self) -> Result<Value, ConvertError> {
        Ok(Value::from(self))
    }
}

impl IntoValue for &String {
    fn into_value(self) -> Result<Value, ConvertError> {
        Ok(Value::String(self.clone()))
    }
}

impl FromValue for bool {
    fn from_value(value: Value) -> Result<Self, ConvertError> {
        match value {
            Value::Bool(b) => Ok(b),
            v => mismatch("boolean", &v),
        }
    }
}

impl FromValue for f64 {
    fn from_value(value: Value) -> Result<Self, ConvertError> {
        match value {
            Value::Double(d) => Ok(d),
            Value::Int(i) => Ok(f64::from(i)),
            Value::I8(i) => Ok(i as f64),
            v => mismatch("double", &v),
        }
    }
}

impl FromValue for String {
    fn from_value(value: Value) -> Result<Self, ConvertError> {
        match value {
            Value::String(s) => Ok(s),
            v => mismatch("string", &v),
        }
    }
}

impl FromValue for Base64 {
    fn from_value(value: Value) -> Result<Self, ConvertError> {
        match value {
            Value::Base64(b) => Ok(Base64(b)),
            v => mismatch("base64", &v),
        }
    }
}

impl FromValue for DateTime {
    fn from_value(value: Value) -> Result<Self, ConvertError> {
        match value {
            Value::DateTime(t) => Ok(t),
            v => mismatch("dateTime.iso8601", &v),
        }
    }
}

impl IntoValue for () {
    fn into_value(self) -> Result<Value, ConvertError> {
        Ok(Value::Nil)
    }
}

impl FromValue for () {
    fn from_value(value: Value) -> Result<Self, ConvertError> {
        match value {
            Value::Nil => Ok(()),
            v => mismatch("nil", &v),
        }
    }
}

impl<T: IntoValue> IntoValue for Option<T> {
    fn into_value(self) -> Result<Value, ConvertError> {
        match self {
            Some(v) => v.into_value(),
            None => Ok(Value::Nil),
        }
    }
}

impl<T: FromValue> FromValue for Option<T> {
    fn from_value(value: Value) -> Result<Self, ConvertError> {
        match value {
            Value::Nil => Ok(None),
            v => T::from_value(v).map(Some),
        }
    }
}

impl<T: IntoValue> IntoValue for Vec<T> {
    fn into_value(self) -> Result<Value, ConvertError> {
        self.into_iter()
            .map(T::into_value)
            .collect::<Result<_, _>>()
            .map(Value::Array)
    }
}

impl<T: IntoValue + Clone> IntoValue for &[T] {
    fn into_value(self) -> Result<Value, ConvertError> {
        self.iter()
            .cloned()
            .map(T::into_value)
            .collect::<Result<_, _>>()
            .map(Value::Array)
    }
}

impl<T: FromValue> FromValue for Vec<T> {
    fn from_value(value: Value) -> Result<Self, ConvertError> {
        match value {
            Value::Array(items) => items.into_iter().map(T::from_value).collect(),
            v => mismatch("array", &v),
        }
    }
}

impl<T: IntoValue, S: BuildHasher> IntoValue for HashMap<String, T, S> {
    fn into_value(self) -> Result<Value, ConvertError> {
        self.into_iter()
            .map(|(k, v)| Ok((k, v.into_value()?)))
            .collect::<Result<_, _>>()
            .map(Value::Struct)
    }
}

impl<T: FromValue, S: BuildHasher + Default> FromValue for HashMap<String, T, S> {
    fn from_value(value: Value) -> Result<Self, ConvertError> {
        match value {
            Value::Struct(members) => members
                .into_iter()
                .map(|(k, v)| Ok((k, T::from_value(v)?)))
                .collect(),
            v => mismatch("struct", &v),
        }
    }
}

impl<T: IntoValue> IntoValue for BTreeMap<String, T> {
    fn into_value(self) -> Result<Value, ConvertError> {
        self.into_iter()
            .map(|(k, v)| Ok((k, v.into_value()?)))
            .collect::<Result<_, _>>()
            .map(Value::Struct)
    }
}

impl<T: FromValue> FromValue for BTreeMap<String, T> {
    fn from_value(value: Value) -> Result<Self, ConvertError> {
        match value {
            Value::Struct(members) => members
                .into_iter()
                .map(|(k, v)| Ok((k, T::from_value(v)?)))
                .collect(),
            v => mismatch("struct", &v),
        }
    }
}

macro_rules! tuples {
    ($( ($n:expr; $($t:ident),+) )*) => {$(
        impl<$($t: IntoValue),+> IntoValue for ($($t,)+) {
            #[allow(non_snake_case)]
            fn into_value(self) -> Result<Value, ConvertError> {
                let ($($t,)+) = self;
                Ok(Value::Array(vec![$($t.into_value()?),+]))
            }
        }
        impl<$($t: FromValue),+> FromValue for ($($t,)+) {
            fn from_value(value: Value) -> Result<Self, ConvertError> {
                match value {
                    Value::Array(items) if items.len() == $n => {
                        let mut it = items.into_iter();
                        Ok(($($t::from_value(it.next().unwrap_or(Value::Nil))?,)+))
                    }
                    Value::Array(items) => {
                        Err(ConvertError::Length { expected: $n, found: items.len() })
                    }
                    v => mismatch("array", &v),
                }
            }
        }
    )*};
}
tuples! {
    (1; A)
    (2; A, B)
    (3; A, B, C)
    (4; A, B, C, D)
    (5; A, B, C, D, E)
    (6; A, B, C, D, E, F)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ints_are_range_checked_like_cpython() {
        assert_eq!(i64::from(i32::MAX).into_value(), Ok(Value::Int(i32::MAX)));
        assert_eq!(
            (i64::from(i32::MAX) + 1).into_value(),
            Err(ConvertError::IntOutOfRange(1 << 31))
        );
        assert_eq!(
            u32::MAX.into_value(),
            Err(ConvertError::IntOutOfRange(u32::MAX.into()))
        );
        assert_eq!(
            ConvertError::IntOutOfRange(0).to_fault().string,
            "<class 'OverflowError'>:int exceeds XML-RPC limits"
        );
        assert_eq!(
            u8::from_value(Value::Int(256)),
            Err(ConvertError::IntOutOfRange(256))
        );
        assert_eq!(i64::from_value(Value::I8(1 << 40)), Ok(1 << 40));
    }

    #[test]
    fn containers() {
        let mut m = BTreeMap::new();
        m.insert("a".to_string(), Some(1));
        m.insert("b".to_string(), None);
        let v = m.clone().into_value().unwrap();
        assert_eq!(
            v,
            Value::Struct(vec![("a".into(), Value::Int(1)), ("b".into(), Value::Nil)])
        );
        assert_eq!(BTreeMap::<String, Option<i32>>::from_value(v), Ok(m));
        let t: (i32, String) =
            FromValue::from_value(Value::Array(vec![1.into(), "x".into()])).unwrap();
        assert_eq!(t, (1, "x".to_string()));
        assert_eq!(
            <(i32, i32)>::from_value(Value::Array(vec![1.into()])),
            Err(ConvertError::Length {
                expected: 2,
                found: 1
            })
        );
    }
}
