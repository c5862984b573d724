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

/// Why a conversion between a Rust type and a [`Value`] failed, and where: the
/// [`path`](Self::path) to the member or element that failed (`tags[2]`, `address.city`),
/// empty when the value itself is at fault.
///
/// ```
/// use netloom_core::xmlrpc::{ConvertErrorKind, FromValue, Value};
///
/// let v = Value::Array(vec![Value::from("a"), Value::Int(2)]);
/// let e = Vec::<String>::from_value(v).unwrap_err();
/// assert_eq!(e.path().to_string(), "[1]");
/// assert_eq!(e.kind(), &ConvertErrorKind::Type { expected: "string", found: "int" });
/// assert_eq!(e.to_string(), "[1]: expected string, got int");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConvertError {
    kind: ConvertErrorKind,
    path: MemberPath,
}

/// What went wrong in a [`ConvertError`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConvertErrorKind {
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
    /// A required struct member is absent; the error's path ends with its name.
    MissingMember,
    /// A struct member the Rust type refuses (serde's `deny_unknown_fields`); the error's
    /// path ends with its name.
    UnknownMember,
    /// A string or single-member struct that names no variant of the Rust enum.
    UnknownVariant(String),
    /// Any other reason, in words (from a serde implementation, or a value a type refuses).
    Invalid(String),
}

/// Where in a value a [`ConvertError`] happened: struct members and array indices from the
/// outside in. Displayed as `user.tags[2]`; a member name that is not a plain word is
/// quoted (`["first name"]`), with control characters escaped.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct MemberPath(Vec<PathSegment>);

/// One step of a [`MemberPath`].
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum PathSegment {
    /// A struct member (or a map key, or an enum variant's name).
    Member(String),
    /// An array element (or a tuple's position).
    Index(usize),
}

impl MemberPath {
    /// The steps, outermost first.
    pub fn segments(&self) -> &[PathSegment] {
        &self.0
    }

    /// Whether the path is empty (the error is about the value itself).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Display for MemberPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, seg) in self.0.iter().enumerate() {
            match seg {
                PathSegment::Index(n) => write!(f, "[{n}]")?,
                PathSegment::Member(name) if is_plain(name) => {
                    if i > 0 {
                        f.write_str(".")?;
                    }
                    f.write_str(name)?;
                }
                PathSegment::Member(name) => write!(f, "[{:?}]", name)?,
            }
        }
        Ok(())
    }
}

/// A member name shown bare in a path: a non-empty word of letters, digits, `_`, `-`, `$`.
fn is_plain(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '$'))
}

impl ConvertError {
    /// An error of `kind` about the value itself (empty path).
    pub fn new(kind: ConvertErrorKind) -> Self {
        ConvertError {
            kind,
            path: MemberPath::default(),
        }
    }

    /// The value has type `found` where the Rust type needs `expected` (an XML-RPC type
    /// name such as `"int"` or `"struct"`).
    pub fn type_mismatch(expected: &'static str, found: &Value) -> Self {
        ConvertError::new(ConvertErrorKind::Type {
            expected,
            found: found.kind(),
        })
    }

    /// The required struct member `name` is absent.
    pub fn missing_member(name: &str) -> Self {
        ConvertError::new(ConvertErrorKind::MissingMember).at_member(name)
    }

    /// Any other reason, in words.
    pub fn invalid(message: impl fmt::Display) -> Self {
        ConvertError::new(ConvertErrorKind::Invalid(message.to_string()))
    }

    /// The same error, inside struct member `name` (prepends `name` to the path). For
    /// hand-written [`FromValue`] impls of structs.
    pub fn at_member(mut self, name: &str) -> Self {
        self.path.0.insert(0, PathSegment::Member(name.to_owned()));
        self
    }

    /// The same error, inside array element `index` (prepends `[index]` to the path).
    pub fn at_index(mut self, index: usize) -> Self {
        self.path.0.insert(0, PathSegment::Index(index));
        self
    }

    /// What went wrong.
    pub fn kind(&self) -> &ConvertErrorKind {
        &self.kind
    }

    /// Where: the member or element that failed.
    pub fn path(&self) -> &MemberPath {
        &self.path
    }

    /// The fault CPython's server would answer: `OverflowError` for integers beyond the
    /// XML-RPC limits, `TypeError` otherwise (code `1`).
    pub fn to_fault(&self) -> Fault {
        match self.kind {
            ConvertErrorKind::IntOutOfRange(_) if self.path.is_empty() => {
                Fault::exception("OverflowError", "int exceeds XML-RPC limits")
            }
            ConvertErrorKind::IntOutOfRange(_) => Fault::exception(
                "OverflowError",
                format_args!("int exceeds XML-RPC limits at {}", self.path),
            ),
            _ => Fault::type_error(self),
        }
    }
}

impl From<ConvertErrorKind> for ConvertError {
    fn from(kind: ConvertErrorKind) -> Self {
        ConvertError::new(kind)
    }
}

impl fmt::Display for ConvertError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ConvertErrorKind::MissingMember => return write!(f, "missing member {}", self.path),
            ConvertErrorKind::UnknownMember => return write!(f, "unknown member {}", self.path),
            _ => {}
        }
        if !self.path.is_empty() {
            write!(f, "{}: ", self.path)?;
        }
        match &self.kind {
            ConvertErrorKind::Type { expected, found } => {
                write!(f, "expected {expected}, got {found}")
            }
            ConvertErrorKind::IntOutOfRange(i) => write!(f, "integer {i} out of range"),
            ConvertErrorKind::Length { expected, found } => {
                write!(f, "expected an array of {expected} elements, got {found}")
            }
            ConvertErrorKind::UnknownVariant(v) => write!(f, "unknown variant {v:?}"),
            ConvertErrorKind::Invalid(m) => f.write_str(m),
            ConvertErrorKind::MissingMember | ConvertErrorKind::UnknownMember => Ok(()),
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
///
/// With the `serde` feature, any `Serialize` type converts when wrapped in
/// [`Serde`](super::Serde).
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be sent as an XML-RPC value",
    label = "`{Self}` does not implement `IntoValue`",
    note = "XML-RPC values are the scalars, `String`, `Vec`, maps, tuples, `Option`, `DateTime`, `Base64` and `Value`",
    note = "for a `Serialize` type (the `serde` feature), wrap it: `Serde<{Self}>`"
)]
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
///
/// With the `serde` feature, any `Deserialize` type converts when wrapped in
/// [`Serde`](super::Serde).
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be read from an XML-RPC value",
    label = "`{Self}` does not implement `FromValue`",
    note = "XML-RPC values are the scalars, `String`, `Vec`, maps, tuples, `Option`, `DateTime`, `Base64` and `Value`",
    note = "for a `Deserialize` type (the `serde` feature), wrap it: `Serde<{Self}>`"
)]
pub trait FromValue: Sized {
    /// Performs the conversion.
    fn from_value(value: Value) -> Result<Self, ConvertError>;

    /// The value of a parameter the caller left out, or `None` if it is required (the
    /// default). `Option<T>` answers `Some(None)`, so trailing `Option` parameters of a
    /// typed handler may be omitted.
    ///
    /// ```
    /// use netloom_core::xmlrpc::FromValue;
    /// assert_eq!(<Option<i32>>::from_absent(), Some(None));
    /// assert_eq!(i32::from_absent(), None);
    /// ```
    fn from_absent() -> Option<Self> {
        None
    }
}

fn mismatch<T>(expected: &'static str, v: &Value) -> Result<T, ConvertError> {
    Err(ConvertError::type_mismatch(expected, v))
}

fn out_of_range(i: i64) -> ConvertError {
    ConvertError::new(ConvertErrorKind::IntOutOfRange(i))
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
                    .map_err(|_| out_of_range(i64::try_from(self).unwrap_or(i64::MAX)))
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
                    Some(i) => <$t>::try_from(i).map_err(|_| out_of_range(i)),
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

    fn from_absent() -> Option<Self> {
        Some(None)
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
            Value::Array(items) => items
                .into_iter()
                .enumerate()
                .map(|(i, v)| T::from_value(v).map_err(|e| e.at_index(i)))
                .collect(),
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
                .map(|(k, v)| match T::from_value(v) {
                    Ok(v) => Ok((k, v)),
                    Err(e) => Err(e.at_member(&k)),
                })
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
                .map(|(k, v)| match T::from_value(v) {
                    Ok(v) => Ok((k, v)),
                    Err(e) => Err(e.at_member(&k)),
                })
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
                        let mut it = items.into_iter().enumerate();
                        Ok(($({
                            let (i, v) = it.next().unwrap_or((0, Value::Nil));
                            $t::from_value(v).map_err(|e| e.at_index(i))?
                        },)+))
                    }
                    Value::Array(items) => Err(ConvertError::new(ConvertErrorKind::Length {
                        expected: $n,
                        found: items.len(),
                    })),
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
            Err(out_of_range(1 << 31))
        );
        assert_eq!(u32::MAX.into_value(), Err(out_of_range(u32::MAX.into())));
        assert_eq!(
            out_of_range(0).to_fault().string,
            "<class 'OverflowError'>:int exceeds XML-RPC limits"
        );
        assert_eq!(u8::from_value(Value::Int(256)), Err(out_of_range(256)));
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
            Err(ConvertError::new(ConvertErrorKind::Length {
                expected: 2,
                found: 1
            }))
        );
    }

    #[test]
    fn errors_name_the_member_or_element() {
        let v = Value::Struct(vec![(
            "users".into(),
            Value::Array(vec![Value::Struct(vec![(
                "first name".into(),
                Value::Array(vec![Value::from("a"), Value::Int(1)]),
            )])]),
        )]);
        let e = BTreeMap::<String, Vec<BTreeMap<String, Vec<String>>>>::from_value(v).unwrap_err();
        assert_eq!(
            e.to_string(),
            "users[0][\"first name\"][1]: expected string, got int"
        );
        assert_eq!(
            e.path().segments()[0],
            PathSegment::Member("users".to_string())
        );
        let e = <(i32, String)>::from_value(Value::Array(vec![1.into(), 2.into()])).unwrap_err();
        assert_eq!(e.to_string(), "[1]: expected string, got int");
        // Names from the network are escaped when shown.
        let e = ConvertError::missing_member("a\x1b[2Jb");
        assert_eq!(e.to_string(), "missing member [\"a\\u{1b}[2Jb\"]");
        let e = ConvertError::missing_member("born").at_member("user");
        assert_eq!(e.to_string(), "missing member user.born");
        assert_eq!(
            out_of_range(1 << 40).at_index(3).to_fault().string,
            "<class 'OverflowError'>:int exceeds XML-RPC limits at [3]"
        );
    }
}
