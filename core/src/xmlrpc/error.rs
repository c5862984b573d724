//! Typed decoding errors.

use std::fmt;

use super::Fault;

/// Why a document was refused by [`parse_call`](super::parse_call) or
/// [`parse_response`](super::parse_response).
///
/// Each variant says what was wrong; [`Error::to_fault`] gives the fault a server answers.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The document is larger than [`Limits::max_body_bytes`](super::Limits::max_body_bytes).
    BodyTooLarge {
        /// Size of the document.
        len: usize,
        /// The limit.
        limit: usize,
    },
    /// The document is not valid UTF-8.
    InvalidUtf8 {
        /// Byte offset of the first invalid sequence.
        offset: usize,
    },
    /// The document is UTF-16 (by its byte order mark or first bytes) with an odd length
    /// or an unpaired surrogate.
    InvalidUtf16 {
        /// Byte offset of the problem, after the byte order mark.
        offset: usize,
    },
    /// The XML declaration names an encoding this decoder does not read (it reads UTF-8,
    /// US-ASCII, UTF-16, ISO-8859-1 and windows-1252).
    UnsupportedEncoding(String),
    /// The XML declaration names an encoding the document is not in (`UTF-16` on a document
    /// that is not, or `UTF-8` on one with a UTF-16 byte order mark).
    WrongEncoding {
        /// The encoding declared.
        declared: String,
        /// What the document's first bytes say it is in.
        found: &'static str,
    },
    /// A character XML 1.0 does not allow (its `Char` production): a C0 control other than
    /// tab, line feed and carriage return, or U+FFFE / U+FFFF. The same characters written as
    /// references are [`Error::BadCharRef`].
    InvalidChar {
        /// Byte offset of the character in the document as UTF-8 (after conversion, for a
        /// document in another encoding).
        offset: usize,
        /// Its code point.
        code: u32,
    },
    /// A `<!DOCTYPE ...>` (and with it any entity declaration) is present. Refused without
    /// being processed, so neither entity expansion nor external entities can happen.
    DoctypeRefused,
    /// An entity reference other than the five predefined ones (`&lt;` `&gt;` `&amp;`
    /// `&apos;` `&quot;`).
    UnknownEntity(String),
    /// A character reference that names no valid character (`&#0;`, `&#xD800;`, ...).
    BadCharRef(String),
    /// The document is not well-formed XML.
    Syntax {
        /// Byte offset where the problem was found.
        offset: u64,
        /// What the XML reader reported.
        message: String,
    },
    /// The document ended before the XML-RPC structure was complete.
    Truncated,
    /// Non-whitespace content after the root element.
    TrailingContent,
    /// An element where XML-RPC does not allow it (or an unknown type inside `<value>`).
    UnexpectedTag {
        /// The element's local name.
        tag: String,
        /// What the decoder expected there.
        expected: &'static str,
    },
    /// An end tag that does not close the open element.
    UnexpectedEnd {
        /// The end tag's local name.
        tag: String,
        /// What the decoder expected there.
        expected: &'static str,
    },
    /// Non-whitespace text where only elements are allowed.
    UnexpectedText {
        /// What the decoder expected there.
        expected: &'static str,
    },
    /// Arrays and structs nest deeper than [`Limits::max_depth`](super::Limits::max_depth).
    TooDeep {
        /// The limit.
        limit: usize,
    },
    /// A string, member name or method name is longer than
    /// [`Limits::max_string_bytes`](super::Limits::max_string_bytes).
    StringTooLong {
        /// The limit.
        limit: usize,
    },
    /// A base64 value decodes to more than
    /// [`Limits::max_base64_bytes`](super::Limits::max_base64_bytes).
    Base64TooLarge {
        /// The limit.
        limit: usize,
    },
    /// More values than [`Limits::max_values`](super::Limits::max_values).
    TooManyValues {
        /// The limit.
        limit: usize,
    },
    /// The text of an integer element is not a decimal integer.
    BadInt(String),
    /// The integer does not fit in 64 bits.
    IntOutOfRange(String),
    /// The text of a `<double>` is not a number.
    BadDouble(String),
    /// The text of a `<boolean>` is not `0`, `1`, `true` or `false`.
    BadBoolean(String),
    /// The text of a `<base64>` is not valid base64.
    BadBase64,
    /// The text of a `<dateTime.iso8601>` is not a date-time.
    BadDateTime(String),
    /// A `<fault>` whose value is not a struct with a scalar `faultCode` and a string
    /// `faultString`.
    BadFault,
    /// A `<methodResponse>` whose `<params>` does not hold exactly one `<param>`.
    BadParamCount(usize),
    /// A multicall result element that is neither a one-element array nor a fault struct.
    BadMulticallResult,
}

impl Error {
    /// The fault a server answers for a request body refused with this error: code `1`, as
    /// CPython's dispatcher answers any exception, with the Python class CPython would
    /// report (`xml.parsers.expat.ExpatError` for XML-level problems,
    /// `xmlrpc.client.ResponseError` for structural ones, `ValueError` / `TypeError` for
    /// bad scalar text).
    pub fn to_fault(&self) -> Fault {
        let class = match self {
            Error::BodyTooLarge { .. }
            | Error::InvalidUtf8 { .. }
            | Error::InvalidUtf16 { .. }
            | Error::UnsupportedEncoding(_)
            | Error::WrongEncoding { .. }
            | Error::InvalidChar { .. }
            | Error::DoctypeRefused
            | Error::UnknownEntity(_)
            | Error::BadCharRef(_)
            | Error::Syntax { .. }
            | Error::Truncated
            | Error::TrailingContent => "xml.parsers.expat.ExpatError",
            Error::BadInt(_)
            | Error::IntOutOfRange(_)
            | Error::BadDouble(_)
            | Error::BadDateTime(_)
            | Error::BadBase64 => "ValueError",
            Error::BadBoolean(_) => "TypeError",
            _ => "xmlrpc.client.ResponseError",
        };
        Fault::exception(class, self)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::BodyTooLarge { len, limit } => {
                write!(
                    f,
                    "document of {len} bytes exceeds the limit of {limit} bytes"
                )
            }
            Error::InvalidUtf8 { offset } => write!(f, "invalid UTF-8 at byte {offset}"),
            Error::InvalidUtf16 { offset } => write!(f, "invalid UTF-16 at byte {offset}"),
            Error::UnsupportedEncoding(e) => write!(f, "unsupported encoding {e:?}"),
            Error::WrongEncoding { declared, found } => {
                write!(f, "document declared as {declared:?} is in {found}")
            }
            Error::InvalidChar { offset, code } => {
                write!(
                    f,
                    "character U+{code:04X} at byte {offset} is not allowed in XML"
                )
            }
            Error::DoctypeRefused => f.write_str("DOCTYPE declarations are not allowed"),
            Error::UnknownEntity(e) => write!(f, "undefined entity &{e};"),
            Error::BadCharRef(e) => write!(f, "reference to invalid character &{e};"),
            Error::Syntax { offset, message } => {
                write!(f, "not well-formed at byte {offset}: {message}")
            }
            Error::Truncated => f.write_str("document ended early"),
            Error::TrailingContent => f.write_str("junk after document element"),
            Error::UnexpectedTag { tag, expected } => {
                write!(f, "unexpected tag <{tag}>, expected {expected}")
            }
            Error::UnexpectedEnd { tag, expected } => {
                write!(f, "unexpected end tag </{tag}>, expected {expected}")
            }
            Error::UnexpectedText { expected } => write!(f, "unexpected text, expected {expected}"),
            Error::TooDeep { limit } => write!(f, "values nest deeper than {limit} levels"),
            Error::StringTooLong { limit } => write!(f, "string longer than {limit} bytes"),
            Error::Base64TooLarge { limit } => write!(f, "base64 value larger than {limit} bytes"),
            Error::TooManyValues { limit } => write!(f, "more than {limit} values"),
            Error::BadInt(s) => write!(f, "invalid literal for int(): {s:?}"),
            Error::IntOutOfRange(s) => write!(f, "integer out of 64-bit range: {s:?}"),
            Error::BadDouble(s) => write!(f, "could not convert string to float: {s:?}"),
            Error::BadBoolean(s) => write!(f, "bad boolean value {s:?}"),
            Error::BadBase64 => f.write_str("invalid base64 data"),
            Error::BadDateTime(s) => write!(f, "invalid dateTime.iso8601 value {s:?}"),
            Error::BadFault => f.write_str("fault value is not a {faultCode, faultString} struct"),
            Error::BadParamCount(n) => write!(f, "response has {n} params, expected 1"),
            Error::BadMulticallResult => {
                f.write_str("multicall result item is neither [value] nor a fault struct")
            }
        }
    }
}

impl std::error::Error for Error {}
