//! The XML-RPC data model: [`Value`], [`DateTime`] and the [`Base64`] wrapper.

use std::fmt;

/// One XML-RPC value.
///
/// Every type of the XML-RPC specification plus the two widespread extensions that CPython's
/// `xmlrpc.client` understands: `<i8>` (64-bit integers) and `<nil/>`.
///
/// Structs keep their members in document (insertion) order, as a Python `dict` does. A
/// struct decoded from the wire may contain the same name twice; [`Value::get`] then returns
/// the last one, which is what CPython's unmarshaller keeps.
///
/// ```
/// use netloom_core::xmlrpc::Value;
///
/// let v = Value::Struct(vec![
///     ("name".to_string(), Value::from("ada")),
///     ("age".to_string(), Value::Int(36)),
/// ]);
/// assert_eq!(v.get("age"), Some(&Value::Int(36)));
/// assert_eq!(v.kind(), "struct");
/// ```
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// `<int>` / `<i4>`: a 32-bit signed integer (what CPython sends for every `int`).
    Int(i32),
    /// `<i8>`: a 64-bit signed integer. CPython decodes it but never sends it; it refuses to
    /// marshal integers outside the `i32` range. Also produced when an `<int>` on the wire
    /// does not fit in 32 bits but fits in 64.
    I8(i64),
    /// `<boolean>`: `0` or `1`.
    Bool(bool),
    /// `<string>`, or the text of a `<value>` without a type element.
    String(String),
    /// `<double>`: a 64-bit float.
    Double(f64),
    /// `<dateTime.iso8601>`.
    DateTime(DateTime),
    /// `<base64>`: raw bytes.
    Base64(Vec<u8>),
    /// `<struct>`: named members in document order.
    Struct(Vec<(String, Value)>),
    /// `<array>`.
    Array(Vec<Value>),
    /// `<nil/>`: CPython's `None` (it sends it only with `allow_none=True`, and always
    /// accepts it).
    Nil,
}

impl Value {
    /// The XML-RPC type name of this value, as it appears in the element name (`"int"`,
    /// `"i8"`, `"boolean"`, `"string"`, `"double"`, `"dateTime.iso8601"`, `"base64"`,
    /// `"struct"`, `"array"`, `"nil"`). Used in conversion error messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Value::Int(_) => "int",
            Value::I8(_) => "i8",
            Value::Bool(_) => "boolean",
            Value::String(_) => "string",
            Value::Double(_) => "double",
            Value::DateTime(_) => "dateTime.iso8601",
            Value::Base64(_) => "base64",
            Value::Struct(_) => "struct",
            Value::Array(_) => "array",
            Value::Nil => "nil",
        }
    }

    /// The Python type CPython's `xmlrpc` unmarshals this value into (without
    /// `use_builtin_types`): `int`, `bool`, `str`, `float`, `DateTime`, `Binary`, `dict`,
    /// `list` or `NoneType`. For messages worded as CPython words them.
    ///
    /// ```
    /// use netloom_core::xmlrpc::Value;
    /// assert_eq!(Value::Double(1.5).python_type(), "float");
    /// assert_eq!(Value::Base64(vec![1]).python_type(), "Binary");
    /// ```
    pub fn python_type(&self) -> &'static str {
        match self {
            Value::Int(_) | Value::I8(_) => "int",
            Value::Bool(_) => "bool",
            Value::String(_) => "str",
            Value::Double(_) => "float",
            Value::DateTime(_) => "DateTime",
            Value::Base64(_) => "Binary",
            Value::Struct(_) => "dict",
            Value::Array(_) => "list",
            Value::Nil => "NoneType",
        }
    }

    /// The member `name` of a struct (the last one if the name repeats), or `None` if this
    /// is not a struct or has no such member.
    pub fn get(&self, name: &str) -> Option<&Value> {
        match self {
            Value::Struct(members) => members
                .iter()
                .rev()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v),
            _ => None,
        }
    }

    /// The integer held by an `Int` or `I8` value.
    pub fn as_i64(&self) -> Option<i64> {
        match *self {
            Value::Int(i) => Some(i64::from(i)),
            Value::I8(i) => Some(i),
            _ => None,
        }
    }

    /// The text of a `String` value.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The elements of an `Array` value.
    pub fn as_array(&self) -> Option<&[Value]> {
        match self {
            Value::Array(items) => Some(items),
            _ => None,
        }
    }

    /// Roughly how many bytes this value takes encoded (its text and data, plus the tags
    /// around each value; escaping is not counted). Cheap next to encoding, and it walks
    /// nested values with a heap stack, so any depth is safe. Used to bound responses
    /// ([`Limits::max_result_bytes`](super::Limits::max_result_bytes)).
    ///
    /// ```
    /// use netloom_core::xmlrpc::Value;
    /// let small = Value::Int(1).size_hint();
    /// let big = Value::from("x".repeat(1000)).size_hint();
    /// assert!(small < 64 && big > 1000 && big < 1100);
    /// ```
    pub fn size_hint(&self) -> usize {
        // `<value><tag>` and `</tag></value>`, about.
        const TAGS: usize = 32;
        let mut total = 0usize;
        let mut stack = vec![self];
        while let Some(v) = stack.pop() {
            total = total.saturating_add(TAGS);
            match v {
                Value::String(s) => total = total.saturating_add(s.len()),
                Value::Base64(b) => total = total.saturating_add(b.len() / 3 * 4 + 4),
                Value::Int(_) | Value::I8(_) | Value::Double(_) => total += 24,
                Value::DateTime(_) => total += 17,
                Value::Bool(_) | Value::Nil => {}
                Value::Array(items) => stack.extend(items.iter()),
                Value::Struct(members) => {
                    for (name, value) in members {
                        total = total.saturating_add(name.len() + TAGS);
                        stack.push(value);
                    }
                }
            }
        }
        total
    }
}

/// A `dateTime.iso8601` value: calendar fields without a time zone, as XML-RPC defines it.
///
/// Sent in CPython's format `YYYYMMDDTHH:MM:SS`. Decoding also accepts the dashed date
/// (`YYYY-MM-DD`) and a time without colons (`HHMMSS`), and ignores surrounding whitespace
/// as CPython does; anything else is [`Error::BadDateTime`](super::Error::BadDateTime).
///
/// ```
/// use netloom_core::xmlrpc::DateTime;
///
/// let t = DateTime::parse("20240229T23:59:60").unwrap();
/// assert_eq!(t.to_string(), "20240229T23:59:60");
/// assert_eq!(DateTime::parse("2024-02-29T23:59:60"), Some(t));
/// assert_eq!(DateTime::parse("2024-13-01T00:00:00"), None);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DateTime {
    /// Year, `0..=9999`.
    pub year: u16,
    /// Month, `1..=12`.
    pub month: u8,
    /// Day of the month, `1..=31`.
    pub day: u8,
    /// Hour, `0..=23`.
    pub hour: u8,
    /// Minute, `0..=59`.
    pub minute: u8,
    /// Second, `0..=61` (what `strptime`'s `%S` accepts).
    pub second: u8,
}

impl DateTime {
    /// A date-time from its fields, or `None` if a field is out of range.
    pub fn new(year: u16, month: u8, day: u8, hour: u8, minute: u8, second: u8) -> Option<Self> {
        let ok = year <= 9999
            && (1..=12).contains(&month)
            && (1..=31).contains(&day)
            && hour <= 23
            && minute <= 59
            && second <= 61;
        ok.then_some(DateTime {
            year,
            month,
            day,
            hour,
            minute,
            second,
        })
    }

    /// Parses the text of a `dateTime.iso8601` element (see the type's documentation).
    pub fn parse(text: &str) -> Option<Self> {
        let b = text.trim().as_bytes();
        let (date, time) = match b.iter().position(|&c| c == b'T') {
            Some(i) => (&b[..i], &b[i + 1..]),
            None => return None,
        };
        let (y, mo, d) = match date.len() {
            8 => (&date[0..4], &date[4..6], &date[6..8]),
            10 if date[4] == b'-' && date[7] == b'-' => (&date[0..4], &date[5..7], &date[8..10]),
            _ => return None,
        };
        let (h, mi, s) = match time.len() {
            8 if time[2] == b':' && time[5] == b':' => (&time[0..2], &time[3..5], &time[6..8]),
            6 => (&time[0..2], &time[2..4], &time[4..6]),
            _ => return None,
        };
        fn num(d: &[u8]) -> Option<u16> {
            d.iter().try_fold(0u16, |acc, &c| {
                c.is_ascii_digit().then(|| acc * 10 + u16::from(c - b'0'))
            })
        }
        let small = |d: &[u8]| num(d).map(|n| n as u8);
        DateTime::new(
            num(y)?,
            small(mo)?,
            small(d)?,
            small(h)?,
            small(mi)?,
            small(s)?,
        )
    }
}

impl fmt::Display for DateTime {
    /// Formats as CPython does: `%04d%02d%02dT%02d:%02d:%02d`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:04}{:02}{:02}T{:02}:{:02}:{:02}",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        )
    }
}

/// Bytes that convert to and from an XML-RPC `<base64>` value.
///
/// `Vec<u8>` converts to an array of integers (like any `Vec<T>`); wrap it in `Base64` to
/// send it as binary, as CPython does for `bytes`.
///
/// ```
/// use netloom_core::xmlrpc::{Base64, Value};
///
/// assert_eq!(Value::from(Base64(b"hi".to_vec())), Value::Base64(b"hi".to_vec()));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Base64(pub Vec<u8>);
