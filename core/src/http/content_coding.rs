//! Content codings (RFC 9110 §8.4): undoing `Content-Encoding: gzip` and `deflate` on a
//! body, whole or piece by piece, with a cap on what it may inflate to, so that a small
//! "zip bomb" stops at the cap instead of filling memory or a disk.
//!
//! `deflate` is the zlib format (RFC 1950) as RFC 9110 defines it; raw deflate (RFC 1951),
//! which some servers send under that name, is read too, as browsers and curl read it. A
//! gzip body may hold several members (RFC 1952 §2.2), and zero bytes after the last,
//! as CPython's `gzip` module accepts.
//!
//! ```
//! use netloom_core::http::content_coding::{decode, Coding, ContentError};
//!
//! let z = netloom_core::http::content_coding::gzip(b"hello hello hello");
//! assert_eq!(decode(Coding::Gzip, &z, 100).unwrap(), b"hello hello hello");
//! assert_eq!(decode(Coding::Gzip, &z, 10), Err(ContentError::TooLarge { limit: 10 }));
//! ```

use std::fmt;

use super::Headers;

// The codecs need flate2: the `gzip` feature. Without it the client asks for no coding and
// a server decodes none (a coded request body is `ContentError::Unsupported`).
#[cfg(feature = "gzip")]
mod flate;
#[cfg(feature = "gzip")]
pub use flate::{decode, deflate, gzip, Decoder};

/// A content coding this module decodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Coding {
    /// No coding.
    Identity,
    /// `gzip` (or `x-gzip`).
    Gzip,
    /// `deflate`: zlib, or raw deflate.
    Deflate,
}

impl Coding {
    /// The coding a `Content-Encoding` value names, case-insensitively: none (or
    /// `identity`) is [`Coding::Identity`]. Several codings, or one this module does not
    /// decode, are [`ContentError::Unsupported`].
    pub fn from_value(value: &[u8]) -> Result<Coding, ContentError> {
        let mut codings = value
            .split(|&b| b == b',')
            .map(|c| c.trim_ascii())
            .filter(|c| !c.is_empty() && !c.eq_ignore_ascii_case(b"identity"));
        let unsupported =
            || ContentError::Unsupported(value.trim_ascii().escape_ascii().to_string());
        match (codings.next(), codings.next()) {
            (None, _) => Ok(Coding::Identity),
            (Some(c), None)
                if c.eq_ignore_ascii_case(b"gzip") || c.eq_ignore_ascii_case(b"x-gzip") =>
            {
                Ok(Coding::Gzip)
            }
            (Some(c), None) if c.eq_ignore_ascii_case(b"deflate") => Ok(Coding::Deflate),
            _ => Err(unsupported()),
        }
    }

    /// The coding of a message, from all its `Content-Encoding` fields.
    pub fn of(headers: &Headers) -> Result<Coding, ContentError> {
        let mut joined = Vec::new();
        for v in headers.get_all("Content-Encoding") {
            if !joined.is_empty() {
                joined.extend_from_slice(b", ");
            }
            joined.extend_from_slice(v);
        }
        Coding::from_value(&joined)
    }

    /// The coding's name as it appears in a header.
    pub fn name(self) -> &'static str {
        match self {
            Coding::Identity => "identity",
            Coding::Gzip => "gzip",
            Coding::Deflate => "deflate",
        }
    }
}

impl fmt::Display for Coding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a body could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ContentError {
    /// A `Content-Encoding` this module does not decode (the value, escaped).
    Unsupported(String),
    /// The data is not valid in its coding, or ends before its coding does.
    Corrupt(Coding),
    /// The decoded body would be larger than the cap.
    TooLarge {
        /// The cap, in bytes.
        limit: u64,
    },
}

impl fmt::Display for ContentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ContentError::Unsupported(c) => write!(f, "content coding '{c}' not supported"),
            ContentError::Corrupt(c) => write!(f, "invalid or truncated {c} data"),
            ContentError::TooLarge { limit } => {
                write!(f, "decoded body larger than {limit} bytes")
            }
        }
    }
}

impl std::error::Error for ContentError {}

/// Whether an `Accept-Encoding` (all its fields) allows `coding` with a non-zero q-value
/// (RFC 9110 §12.5.3): named (`x-gzip` counts as `gzip`), or through `*` when not named.
/// Without the field, only identity is taken as acceptable (servers may send anything, but
/// this is what the conservative reading needs).
///
/// ```
/// use netloom_core::http::content_coding::{accepts, Coding};
/// use netloom_core::http::Headers;
///
/// let h = Headers::new().with("Accept-Encoding", "deflate, gzip;q=0.5");
/// assert!(accepts(&h, Coding::Gzip) && accepts(&h, Coding::Deflate));
/// assert!(!accepts(&Headers::new().with("Accept-Encoding", "gzip;q=0"), Coding::Gzip));
/// ```
pub fn accepts(headers: &Headers, coding: Coding) -> bool {
    let mut named = None;
    let mut star = None;
    for value in headers.get_all("Accept-Encoding") {
        for item in value.split(|&b| b == b',') {
            let mut parts = item.split(|&b| b == b';');
            let name = parts.next().unwrap_or(&[]).trim_ascii();
            let q = parts
                .filter_map(|p| {
                    let p = p.trim_ascii();
                    p.strip_prefix(b"q=").or_else(|| p.strip_prefix(b"Q="))
                })
                .next()
                .map(|q| {
                    std::str::from_utf8(q)
                        .ok()
                        .and_then(|q| q.trim().parse::<f32>().ok())
                        .unwrap_or(0.0)
                })
                .unwrap_or(1.0);
            let is = |n: &[u8]| name.eq_ignore_ascii_case(n);
            let matches = match coding {
                Coding::Gzip => is(b"gzip") || is(b"x-gzip"),
                Coding::Deflate => is(b"deflate"),
                Coding::Identity => is(b"identity"),
            };
            if matches {
                named = Some(named.unwrap_or(false) || q > 0.0);
            } else if is(b"*") {
                star = Some(q > 0.0);
            }
        }
    }
    match (named, star) {
        (Some(ok), _) => ok,
        (None, Some(ok)) => ok,
        (None, None) => coding == Coding::Identity,
    }
}

/// Undoes a whole message body's `Content-Encoding` (all its fields): identity passes
/// through, gzip and deflate decode to at most `max` bytes. Without the `gzip` feature a
/// coded body is [`ContentError::Unsupported`].
///
/// ```
/// use netloom_core::http::content_coding::{decode_body, gzip};
/// use netloom_core::http::Headers;
///
/// let coded = Headers::new().with("Content-Encoding", "gzip");
/// assert_eq!(decode_body(&coded, gzip(b"<ok/>"), 1024).unwrap(), b"<ok/>");
/// assert_eq!(decode_body(&Headers::new(), b"plain".to_vec(), 1024).unwrap(), b"plain");
/// ```
pub fn decode_body(headers: &Headers, body: Vec<u8>, max: u64) -> Result<Vec<u8>, ContentError> {
    match Coding::of(headers)? {
        Coding::Identity => Ok(body),
        #[cfg(feature = "gzip")]
        coding => decode(coding, &body, max),
        #[cfg(not(feature = "gzip"))]
        coding => {
            let _ = max;
            Err(ContentError::Unsupported(coding.name().to_owned()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coding_names() {
        assert_eq!(Coding::from_value(b""), Ok(Coding::Identity));
        assert_eq!(Coding::from_value(b"identity"), Ok(Coding::Identity));
        assert_eq!(Coding::from_value(b" GZip "), Ok(Coding::Gzip));
        assert_eq!(Coding::from_value(b"x-gzip"), Ok(Coding::Gzip));
        assert_eq!(Coding::from_value(b"Deflate"), Ok(Coding::Deflate));
        assert_eq!(
            Coding::from_value(b"br"),
            Err(ContentError::Unsupported("br".into()))
        );
        assert!(Coding::from_value(b"gzip, gzip").is_err());
        let h = Headers::new()
            .with("Content-Encoding", "identity")
            .with("Content-Encoding", "deflate");
        assert_eq!(Coding::of(&h), Ok(Coding::Deflate));
        assert_eq!(Coding::of(&Headers::new()), Ok(Coding::Identity));
    }
}
