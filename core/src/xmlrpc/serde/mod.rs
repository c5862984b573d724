//! serde support (the `serde` feature): any `Serialize` / `Deserialize` type as XML-RPC
//! arguments, results and client calls, with no hand-written mapping.
//!
//! Wrap the type in [`Serde`] wherever a [`FromValue`] or [`IntoValue`] is expected: as a
//! handler's argument or result, in a client call's parameters or its result type. Or
//! convert directly with [`to_value`] and [`from_value`].
//!
//! ```
//! use netloom_core::xmlrpc::{DateTime, Dispatcher, Fault, Serde, Value};
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Serialize, Deserialize, Debug, PartialEq)]
//! struct User {
//!     name: String,
//!     tags: Vec<String>,
//!     born: DateTime,
//!     nickname: Option<String>,
//! }
//!
//! let mut d = Dispatcher::new();
//! d.register("user.greet", |Serde(u): Serde<User>| format!("hello {}", u.name));
//!
//! let ada = User {
//!     name: "ada".into(),
//!     tags: vec!["math".into()],
//!     born: DateTime::parse("18151210T00:00:00").unwrap(),
//!     nickname: None,
//! };
//! let arg = netloom_core::xmlrpc::serde::to_value(&ada).unwrap();
//! assert_eq!(d.dispatch("user.greet", vec![arg]), Ok(Value::from("hello ada")));
//!
//! // A member missing or of the wrong type is a fault that names it.
//! let no_born = Value::Struct(vec![
//!     ("name".into(), "bob".into()),
//!     ("tags".into(), Value::Array(vec!["x".into(), Value::Int(2)])),
//! ]);
//! assert_eq!(
//!     d.dispatch("user.greet", vec![no_born]).unwrap_err().string,
//!     "<class 'TypeError'>:user.greet() argument 1: tags[1]: expected string, got int"
//! );
//! ```
//!
//! # The mapping
//!
//! | Rust (serde data model) | XML-RPC |
//! |------|---------|
//! | `bool` | `boolean` |
//! | `i8`–`i64`, `u8`–`u64`, `i128`, `u128` | `int`; beyond `i32` an error when sending, as CPython refuses (decoding reads `int` and `i8` into any integer type that holds the value) |
//! | `f32`, `f64` | `double` (an `int` is accepted when decoding) |
//! | `char`, `String`, `&str` | `string` |
//! | bytes: [`Base64`], `serde_bytes`, `#[serde(with = "serde_bytes")]` | `base64` |
//! | [`DateTime`] (or chrono / time types with [`datetime`]) | `dateTime.iso8601` |
//! | `Option<T>` | `nil` for `None`; when decoding, an absent member or trailing argument is `None` |
//! | `()`, unit structs | `nil` |
//! | structs, maps with string (or integer) keys | `struct` (members in field order) |
//! | `Vec<T>`, slices, tuples, tuple structs | `array` |
//! | newtype structs | their content |
//! | unit enum variants | `string`: the variant's name |
//! | other enum variants | a one-member `struct` `{variant: content}` (serde's external tagging); internally and adjacently tagged and untagged enums work as serde defines them |
//! | [`Value`] | itself, exactly |
//!
//! `Vec<u8>` is an array of integers, as in every serde format: send bytes as base64 with
//! [`Base64`] or `serde_bytes` (decoding reads a `base64` into a `Vec<u8>` either way). A
//! `None` field is sent as `<nil/>`, which CPython always reads; to leave the member out
//! instead, mark the field `#[serde(skip_serializing_if = "Option::is_none")]`. A struct
//! that names a member twice is read as CPython reads it: the last one wins.
//!
//! Errors are [`ConvertError`]s whose [`path`](ConvertError::path) names the member or
//! element (`user.tags[2]`, `address.city`); a typed handler answers them with a
//! `TypeError` fault that quotes it.

mod de;
mod impls;
mod ser;

use std::ops::{Deref, DerefMut};

use ::serde::de::{DeserializeOwned, Deserializer, Visitor};
use ::serde::{forward_to_deserialize_any, Deserialize, Serialize};

#[cfg(doc)]
use super::{Base64, DateTime};
use super::{ConvertError, FromValue, IntoValue, Value};

/// Marker names through which [`DateTime`], `<i8>` integers and [`Value`] recognize this
/// crate's serializer and deserializer. Other formats see plain newtypes.
const DATETIME_TOKEN: &str = "$__netloom_xmlrpc_datetime";
const I8_TOKEN: &str = "$__netloom_xmlrpc_i8";
const VALUE_TOKEN: &str = "$__netloom_xmlrpc_value";

/// Converts any `Serialize` value to a [`Value`] (see the [mapping](self#the-mapping)).
///
/// ```
/// use netloom_core::xmlrpc::{serde::to_value, Value};
///
/// #[derive(serde::Serialize)]
/// struct Point { x: i32, y: i32 }
///
/// assert_eq!(
///     to_value(&Point { x: 1, y: 2 }),
///     Ok(Value::Struct(vec![("x".into(), Value::Int(1)), ("y".into(), Value::Int(2))]))
/// );
/// let too_big = to_value(&[0, 1i64 << 40]).unwrap_err();
/// assert_eq!(too_big.to_string(), "[1]: integer 1099511627776 out of range");
/// ```
pub fn to_value<T: ?Sized + Serialize>(value: &T) -> Result<Value, ConvertError> {
    value.serialize(ser::ValueSerializer::default())
}

/// Converts a [`Value`] to any `Deserialize` type (see the [mapping](self#the-mapping)).
///
/// ```
/// use netloom_core::xmlrpc::{serde::from_value, Value};
///
/// #[derive(serde::Deserialize, Debug, PartialEq)]
/// struct Point { x: i32, y: i32, label: Option<String> }
///
/// let v = Value::Struct(vec![("x".into(), Value::Int(1)), ("y".into(), Value::Int(2))]);
/// assert_eq!(from_value::<Point>(v), Ok(Point { x: 1, y: 2, label: None }));
///
/// let v = Value::Struct(vec![("x".into(), Value::Int(1))]);
/// assert_eq!(from_value::<Point>(v).unwrap_err().to_string(), "missing member y");
/// ```
pub fn from_value<T: DeserializeOwned>(value: Value) -> Result<T, ConvertError> {
    T::deserialize(de::ValueDeserializer::new(value))
}

/// A `Serialize` / `Deserialize` type used where XML-RPC values go: as a typed handler's
/// argument or result, and in client calls. Like axum's `Json<T>`.
///
/// ```
/// use netloom_core::xmlrpc::{Dispatcher, Fault, IntoParams, Serde, Value};
/// use serde::{Deserialize, Serialize};
///
/// #[derive(Serialize, Deserialize, Clone)]
/// struct Order { item: String, count: u32 }
///
/// #[derive(Serialize, Deserialize, Debug, PartialEq)]
/// struct Receipt { id: i32, total: f64 }
///
/// let mut d = Dispatcher::new();
/// // Arguments: mix `Serde` with plain typed ones; trailing `Option`s may be left out.
/// d.register("shop.order", |Serde(o): Serde<Order>, discount: Option<f64>| {
///     if o.count == 0 {
///         return Err(Fault::new(4, "empty order"));
///     }
///     let total = f64::from(o.count) * 2.5 * (1.0 - discount.unwrap_or(0.0));
///     Ok(Serde(Receipt { id: 1, total }))
/// });
///
/// // Parameters for a call: `Serde` borrows, so nothing is cloned.
/// let order = Order { item: "tea".into(), count: 4 };
/// let params = (Serde(&order),).into_params().unwrap();
/// let result = d.dispatch("shop.order", params).unwrap();
///
/// // A typed result: `let Serde(receipt): Serde<Receipt> = proxy.call(...)?` on a client.
/// let Serde(receipt): Serde<Receipt> = netloom_core::xmlrpc::FromValue::from_value(result).unwrap();
/// assert_eq!(receipt, Receipt { id: 1, total: 10.0 });
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Serde<T>(pub T);

impl<T> Serde<T> {
    /// The wrapped value.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> From<T> for Serde<T> {
    fn from(value: T) -> Self {
        Serde(value)
    }
}

impl<T> Deref for Serde<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> DerefMut for Serde<T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.0
    }
}

impl<T: Serialize> IntoValue for Serde<T> {
    fn into_value(self) -> Result<Value, ConvertError> {
        to_value(&self.0)
    }
}

impl<T: DeserializeOwned> FromValue for Serde<T> {
    fn from_value(value: Value) -> Result<Self, ConvertError> {
        from_value(value).map(Serde)
    }

    /// What serde makes of a missing field: `None` for an `Option` (so a trailing
    /// `Serde<Option<T>>` argument may be left out); required otherwise.
    fn from_absent() -> Option<Self> {
        T::deserialize(Absent).ok().map(Serde)
    }
}

/// A value that is not there: an `Option` reads `None`, anything else fails.
struct Absent;

impl<'de> Deserializer<'de> for Absent {
    type Error = ConvertError;

    fn deserialize_any<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, ConvertError> {
        Err(ConvertError::invalid("required"))
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ConvertError> {
        visitor.visit_none()
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct newtype_struct seq tuple
        tuple_struct map struct enum identifier ignored_any
    }
}

/// `#[serde(with = "netloom_core::xmlrpc::serde::datetime")]`: sends a field of any type
/// that converts to and from [`DateTime`] with `TryFrom` (such as chrono's and time's
/// date-times with the `chrono` and `time` features) as `dateTime.iso8601`.
///
/// ```
/// use netloom_core::xmlrpc::{serde::{from_value, to_value}, DateTime, Value};
///
/// /// A date-time type of the application's own, convertible to and from `DateTime`.
/// #[derive(Clone, Debug, PartialEq)]
/// struct Stamp(String);
/// impl From<Stamp> for DateTime {
///     fn from(s: Stamp) -> DateTime { DateTime::parse(&s.0).unwrap() }
/// }
/// impl TryFrom<DateTime> for Stamp {
///     type Error = std::convert::Infallible;
///     fn try_from(t: DateTime) -> Result<Stamp, Self::Error> { Ok(Stamp(t.to_string())) }
/// }
///
/// #[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq)]
/// struct Event {
///     #[serde(with = "netloom_core::xmlrpc::serde::datetime")]
///     at: Stamp,
/// }
///
/// let e = Event { at: Stamp("20240229T12:00:00".into()) };
/// let v = to_value(&e).unwrap();
/// assert!(matches!(v.get("at"), Some(Value::DateTime(_))));
/// assert_eq!(from_value::<Event>(v), Ok(e));
/// ```
pub mod datetime {
    use std::fmt::Display;

    use ::serde::de::Error as _;
    use ::serde::ser::Error as _;
    use ::serde::{Deserialize, Deserializer, Serialize, Serializer};

    use crate::xmlrpc::DateTime;

    /// Serializes `value` as a [`DateTime`].
    pub fn serialize<T, S>(value: &T, serializer: S) -> Result<S::Ok, S::Error>
    where
        T: Clone + TryInto<DateTime>,
        T::Error: Display,
        S: Serializer,
    {
        match value.clone().try_into() {
            Ok(t) => t.serialize(serializer),
            Err(e) => Err(S::Error::custom(e)),
        }
    }

    /// Deserializes a [`DateTime`] and converts it.
    pub fn deserialize<'de, T, D>(deserializer: D) -> Result<T, D::Error>
    where
        T: TryFrom<DateTime>,
        T::Error: Display,
        D: Deserializer<'de>,
    {
        let t = DateTime::deserialize(deserializer)?;
        T::try_from(t).map_err(D::Error::custom)
    }
}

/// `#[serde(with = "netloom_core::xmlrpc::serde::datetime_option")]`: as [`datetime`], for
/// an `Option` field (`None` is `nil`; add `#[serde(default)]` to also read an absent
/// member as `None`).
pub mod datetime_option {
    use std::fmt::Display;

    use ::serde::de::Error as _;
    use ::serde::ser::Error as _;
    use ::serde::{Deserialize, Deserializer, Serializer};

    use crate::xmlrpc::DateTime;

    /// Serializes `value` as an optional [`DateTime`].
    pub fn serialize<T, S>(value: &Option<T>, serializer: S) -> Result<S::Ok, S::Error>
    where
        T: Clone + TryInto<DateTime>,
        T::Error: Display,
        S: Serializer,
    {
        match value.clone().map(TryInto::try_into) {
            Some(Ok(t)) => serializer.serialize_some(&t),
            Some(Err(e)) => Err(S::Error::custom(e)),
            None => serializer.serialize_none(),
        }
    }

    /// Deserializes an optional [`DateTime`] and converts it.
    pub fn deserialize<'de, T, D>(deserializer: D) -> Result<Option<T>, D::Error>
    where
        T: TryFrom<DateTime>,
        T::Error: Display,
        D: Deserializer<'de>,
    {
        match Option::<DateTime>::deserialize(deserializer)? {
            Some(t) => T::try_from(t).map(Some).map_err(D::Error::custom),
            None => Ok(None),
        }
    }
}

// `Serialize` / `Deserialize` for `Serde<T>` itself: transparent, so a `Serde` can sit
// inside other serde types.
impl<T: Serialize> Serialize for Serde<T> {
    fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Serde<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        T::deserialize(deserializer).map(Serde)
    }
}
