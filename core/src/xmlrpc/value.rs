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
    /// `list` or `NoneType`. For faults worded as CPython words them (the dispatcher's, and
    /// the `netloom` CLI's calculator); not part of the API.
    #[doc(hidden)]
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
                // `YYYY-MM-DDTHH:MM:SS.fffffffff+HH:MM` at most.
                Value::DateTime(_) => total += 35,
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

/// A `dateTime.iso8601` value: calendar fields, with the fraction of a second and the UTC
/// offset when the sender gave them.
///
/// XML-RPC itself defines `YYYYMMDDTHH:MM:SS` without a zone, which is what CPython writes
/// for a `datetime` and what [`DateTime::new`] values are written as. Other implementations
/// send more by default: JavaScript's `toISOString` (`2025-01-02T03:04:05.000Z`), Perl's
/// RPC::XML (`20250102T03:04:05Z`, `+02:00`), xmlrpc-c (`.250000`). All of these decode,
/// keeping the fraction ([`nanosecond`](DateTime::nanosecond)) and the offset
/// ([`offset_minutes`](DateTime::offset_minutes)).
///
/// CPython's `xmlrpc.client.DateTime` keeps the text it received and writes it back
/// unchanged; a decoded `DateTime` remembers how its text was written (dashes, colons,
/// fraction digits, the zone's form), so it is written back exactly as received too (less
/// the surrounding whitespace, which CPython strips as well, and fraction digits past the
/// ninth). Two values compare equal when their fields are equal and they are written the
/// same way, much as CPython compares the texts: `Z` and `+00:00` differ, so do `.5` and
/// `.500`; a value built with [`DateTime::with_offset_minutes`] equals the same value
/// decoded from its text.
///
/// Accepted text, after trimming whitespace:
///
/// | part | forms |
/// |------|-------|
/// | date | `YYYYMMDD`, `YYYY-MM-DD` |
/// | separator | `T` |
/// | time | `HH:MM:SS`, `HHMMSS` (seconds up to 61, as `strptime`'s `%S`) |
/// | fraction (optional) | `.` or `,` and one or more digits |
/// | zone (optional) | `Z` (or `z`), `±HH:MM`, `±HHMM`, `±HH` |
///
/// Anything else is [`Error::BadDateTime`](super::Error::BadDateTime).
///
/// ```
/// use netloom_core::xmlrpc::DateTime;
///
/// let t = DateTime::parse("20240229T23:59:60").unwrap();
/// assert_eq!(t.to_string(), "20240229T23:59:60");
/// assert_eq!(DateTime::parse("2024-02-29T23:59:60").map(|d| d.second), Some(60));
/// assert_eq!(DateTime::parse("2024-13-01T00:00:00"), None);
///
/// let js = DateTime::parse("2025-01-02T03:04:05.250Z").unwrap();
/// assert_eq!((js.nanosecond, js.offset_minutes), (250_000_000, Some(0)));
/// assert_eq!(js.to_string(), "2025-01-02T03:04:05.250Z");
///
/// let built = DateTime::new(2025, 1, 2, 3, 4, 5).unwrap()
///     .with_nanosecond(1_500).unwrap()
///     .with_offset_minutes(-150).unwrap();
/// assert_eq!(built.to_string(), "20250102T03:04:05.000001500-02:30");
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
    /// Fraction of the second in nanoseconds, `0..=999_999_999` (0 when none was sent).
    pub nanosecond: u32,
    /// Offset from UTC in minutes east (`Some(0)` for `Z`), or `None` for XML-RPC's plain
    /// zoneless time (whatever the sender meant by it).
    pub offset_minutes: Option<i16>,
    /// How the value is written.
    style: Style,
}

/// How a [`DateTime`]'s text is written: CPython's form unless it was decoded from
/// another one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
struct Style {
    /// `YYYY-MM-DD` rather than `YYYYMMDD`.
    dashed_date: bool,
    /// `HHMMSS` rather than `HH:MM:SS`.
    compact_time: bool,
    /// `,` rather than `.` before the fraction.
    comma: bool,
    /// Digits of the fraction written, 0 for none.
    fraction_digits: u8,
    /// How the offset is written.
    zone: ZoneStyle,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum ZoneStyle {
    /// `Z` for a zero offset, else `±HH:MM`.
    Auto,
    /// `±HH:MM`, also for zero.
    Colon,
    /// `±HHMM`.
    Compact,
    /// `±HH`.
    Hours,
}

const CPYTHON_STYLE: Style = Style {
    dashed_date: false,
    compact_time: false,
    comma: false,
    fraction_digits: 0,
    zone: ZoneStyle::Auto,
};

impl DateTime {
    /// A zoneless date-time without a fraction, written as CPython writes one, or `None` if
    /// a field is out of range.
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
            nanosecond: 0,
            offset_minutes: None,
            style: CPYTHON_STYLE,
        })
    }

    /// The same time with a fraction of a second, written with 3, 6 or 9 digits (as few as
    /// show it exactly; none for 0). `None` if `nanosecond` is a second or more.
    pub fn with_nanosecond(mut self, nanosecond: u32) -> Option<Self> {
        if nanosecond > 999_999_999 {
            return None;
        }
        self.nanosecond = nanosecond;
        self.style.fraction_digits = match nanosecond {
            0 => 0,
            n if n % 1_000_000 == 0 => 3,
            n if n % 1_000 == 0 => 6,
            _ => 9,
        };
        Some(self)
    }

    /// The same time with a UTC offset in minutes east (`0` is written `Z`, others
    /// `±HH:MM`). `None` beyond ±23:59.
    pub fn with_offset_minutes(mut self, minutes: i16) -> Option<Self> {
        if minutes.unsigned_abs() >= 24 * 60 {
            return None;
        }
        self.offset_minutes = Some(minutes);
        self.style.zone = ZoneStyle::Auto;
        Some(self)
    }

    /// The same time without a UTC offset.
    pub fn without_offset(mut self) -> Self {
        self.offset_minutes = None;
        self
    }

    /// Parses the text of a `dateTime.iso8601` element (see the type's documentation).
    pub fn parse(text: &str) -> Option<Self> {
        let b = text.trim().as_bytes();
        let sep = b.iter().position(|&c| c == b'T')?;
        let (date, rest) = (&b[..sep], &b[sep + 1..]);
        let mut style = CPYTHON_STYLE;
        let (y, mo, d) = match *date {
            [y1, y2, y3, y4, m1, m2, d1, d2] => ([y1, y2, y3, y4], [m1, m2], [d1, d2]),
            [y1, y2, y3, y4, b'-', m1, m2, b'-', d1, d2] => {
                style.dashed_date = true;
                ([y1, y2, y3, y4], [m1, m2], [d1, d2])
            }
            _ => return None,
        };
        // The time: `HH:MM:SS` or `HHMMSS`, then what follows.
        let (h, mi, s, mut rest) = match rest {
            [h1, h2, b':', m1, m2, b':', s1, s2, rest @ ..] => {
                ([*h1, *h2], [*m1, *m2], [*s1, *s2], rest)
            }
            [h1, h2, m1, m2, s1, s2, rest @ ..] => {
                style.compact_time = true;
                ([*h1, *h2], [*m1, *m2], [*s1, *s2], rest)
            }
            _ => return None,
        };
        let mut nanosecond = 0u32;
        if let [mark @ (b'.' | b','), tail @ ..] = rest {
            style.comma = *mark == b',';
            let digits = tail.iter().take_while(|c| c.is_ascii_digit()).count();
            if digits == 0 {
                return None;
            }
            for (i, &c) in tail[..digits].iter().enumerate() {
                if i < 9 {
                    nanosecond += u32::from(c - b'0') * 10u32.pow(8 - i as u32);
                }
            }
            style.fraction_digits = digits.min(9) as u8;
            rest = &tail[digits..];
        }
        let offset_minutes = match rest {
            [] => None,
            [b'Z' | b'z'] => Some(0),
            [sign @ (b'+' | b'-'), zone @ ..] => {
                let (hh, mm, form) = match zone {
                    [h1, h2] => ([*h1, *h2], [b'0', b'0'], ZoneStyle::Hours),
                    [h1, h2, m1, m2] => ([*h1, *h2], [*m1, *m2], ZoneStyle::Compact),
                    // `Auto` writes a non-zero offset this way too; only `+00:00` (not `Z`)
                    // needs its own form, so equal texts make equal values.
                    [h1, h2, b':', m1, m2] if [*h1, *h2, *m1, *m2] == *b"0000" => {
                        ([*h1, *h2], [*m1, *m2], ZoneStyle::Colon)
                    }
                    [h1, h2, b':', m1, m2] => ([*h1, *h2], [*m1, *m2], ZoneStyle::Auto),
                    _ => return None,
                };
                let (hh, mm) = (two(hh)?, two(mm)?);
                if hh > 23 || mm > 59 {
                    return None;
                }
                style.zone = form;
                let minutes = i16::from(hh) * 60 + i16::from(mm);
                Some(if *sign == b'-' { -minutes } else { minutes })
            }
            _ => return None,
        };
        let year = y.iter().try_fold(0u16, |acc, &c| {
            c.is_ascii_digit().then(|| acc * 10 + u16::from(c - b'0'))
        })?;
        let mut t = DateTime::new(year, two(mo)?, two(d)?, two(h)?, two(mi)?, two(s)?)?;
        t.nanosecond = nanosecond;
        t.offset_minutes = offset_minutes;
        t.style = style;
        Some(t)
    }
}

/// Two ASCII digits as a number.
fn two(d: [u8; 2]) -> Option<u8> {
    (d[0].is_ascii_digit() && d[1].is_ascii_digit()).then(|| (d[0] - b'0') * 10 + (d[1] - b'0'))
}

impl fmt::Display for DateTime {
    /// Formats as CPython does (`%04d%02d%02dT%02d:%02d:%02d`) for a value from
    /// [`DateTime::new`], and as received for a decoded one (see the type's documentation).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = &self.style;
        let (dash, colon) = (
            if s.dashed_date { "-" } else { "" },
            if s.compact_time { "" } else { ":" },
        );
        write!(
            f,
            "{:04}{dash}{:02}{dash}{:02}T{:02}{colon}{:02}{colon}{:02}",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        )?;
        if s.fraction_digits > 0 {
            let digits = usize::from(s.fraction_digits.min(9));
            let all = format!("{:09}", self.nanosecond.min(999_999_999));
            let mark = if s.comma { ',' } else { '.' };
            write!(f, "{mark}{}", &all[..digits])?;
        }
        if let Some(m) = self.offset_minutes {
            let sign = if m < 0 { '-' } else { '+' };
            let (hh, mm) = (m.unsigned_abs() / 60, m.unsigned_abs() % 60);
            match s.zone {
                ZoneStyle::Auto if m == 0 => f.write_str("Z")?,
                ZoneStyle::Auto | ZoneStyle::Colon => write!(f, "{sign}{hh:02}:{mm:02}")?,
                ZoneStyle::Compact => write!(f, "{sign}{hh:02}{mm:02}")?,
                // Only a whole-hour offset is written this way; a changed one gets minutes.
                ZoneStyle::Hours if mm == 0 => write!(f, "{sign}{hh:02}")?,
                ZoneStyle::Hours => write!(f, "{sign}{hh:02}{mm:02}")?,
            }
        }
        Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_types_are_cpythons() {
        assert_eq!(Value::Double(1.5).python_type(), "float");
        assert_eq!(Value::Base64(vec![1]).python_type(), "Binary");
        assert_eq!(Value::I8(1).python_type(), "int");
        assert_eq!(Value::Nil.python_type(), "NoneType");
    }

    /// Every accepted form: the fields it decodes to, and that it is written back as sent.
    #[test]
    fn peers_forms_decode_and_are_written_back_as_sent() {
        let cases: &[(&str, u32, Option<i16>)] = &[
            ("20250102T03:04:05", 0, None),
            ("2025-01-02T03:04:05", 0, None),
            ("20250102T030405", 0, None),
            ("2025-01-02T03:04:05.000Z", 0, Some(0)),
            ("2025-01-02T03:04:05.123Z", 123_000_000, Some(0)),
            ("20250102T03:04:05Z", 0, Some(0)),
            ("20250102T03:04:05+02:00", 0, Some(120)),
            ("20250102T03:04:05-0930", 0, Some(-570)),
            ("20250102T03:04:05+05", 0, Some(300)),
            ("19980717T14:08:55.250000", 250_000_000, None),
            ("19980717T14:08:55,5", 500_000_000, None),
            ("19980717T14:08:55.123456789-00:00", 123_456_789, Some(0)),
            ("20240229T23:59:60", 0, None),
        ];
        for &(text, nanos, offset) in cases {
            let t = DateTime::parse(text).unwrap_or_else(|| panic!("{text} refused"));
            assert_eq!((t.nanosecond, t.offset_minutes), (nanos, offset), "{text}");
            let expected = text.replace("-00:00", "+00:00");
            assert_eq!(t.to_string(), expected, "{text} written back");
            assert_eq!(
                DateTime::parse(&t.to_string()),
                Some(t),
                "{text} round trip"
            );
        }
        let t = DateTime::parse("  2025-01-02T03:04:05.5z \n").unwrap();
        assert_eq!(
            (t.year, t.month, t.day, t.hour, t.minute, t.second),
            (2025, 1, 2, 3, 4, 5)
        );
        assert_eq!(t.to_string(), "2025-01-02T03:04:05.5Z");
        // Digits past nanoseconds are dropped.
        let t = DateTime::parse("20250102T03:04:05.1234567891").unwrap();
        assert_eq!(t.nanosecond, 123_456_789);
        assert_eq!(t.to_string(), "20250102T03:04:05.123456789");
    }

    #[test]
    fn malformed_text_is_refused() {
        for bad in [
            "",
            "20250102",
            "2025010T03:04:05",
            "2025-0102T03:04:05",
            "20250102T3:04:05",
            "20250102T03:04",
            "20250102T03:04:05.",
            "20250102T03:04:05.x",
            "20250102T03:04:05Zjunk",
            "20250102T03:04:05+2",
            "20250102T03:04:05+24:00",
            "20250102T03:04:05+02:60",
            "20250102T03:04:05+02:0",
            "20250102 03:04:05",
            "20251302T03:04:05",
            "20250100T03:04:05",
            "20250102T24:00:00",
            "20250102T03:04:62",
            "+2025-01-02T03:04:05",
            "２０２５0102T03:04:05",
        ] {
            assert_eq!(DateTime::parse(bad), None, "{bad:?} accepted");
        }
    }

    #[test]
    fn built_values_are_written_in_cpythons_form_plus_what_was_added() {
        let t = DateTime::new(2025, 1, 2, 3, 4, 5).unwrap();
        assert_eq!(t.to_string(), "20250102T03:04:05");
        assert_eq!(
            t.with_nanosecond(250_000_000).unwrap().to_string(),
            "20250102T03:04:05.250"
        );
        assert_eq!(
            t.with_nanosecond(7_000).unwrap().to_string(),
            "20250102T03:04:05.000007"
        );
        assert_eq!(t.with_nanosecond(0).unwrap(), t);
        assert_eq!(t.with_nanosecond(1_000_000_000), None);
        assert_eq!(
            t.with_offset_minutes(0).unwrap().to_string(),
            "20250102T03:04:05Z"
        );
        assert_eq!(
            t.with_offset_minutes(330).unwrap().to_string(),
            "20250102T03:04:05+05:30"
        );
        assert_eq!(t.with_offset_minutes(24 * 60), None);
        assert_eq!(t.with_offset_minutes(60).unwrap().without_offset(), t);
        // A decoded whole-hour zone given minutes later still says them.
        let mut h = DateTime::parse("20250102T03:04:05+05").unwrap();
        h.offset_minutes = Some(330);
        assert_eq!(h.to_string(), "20250102T03:04:05+0530");
    }
}
