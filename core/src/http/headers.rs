//! Header fields: one byte buffer plus ranges into it, with case-insensitive lookups.
//!
//! A received head is copied (at most once) into a single buffer; every field is a pair of
//! ranges into it, so parsing allocates two vectors per head, not two strings per field.

use std::fmt;

/// `start..end` inside the owner's buffer, as `u32`s to keep field tables small (heads are
/// limited far below 4 GiB; an offset that does not fit reads as empty, never panics).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Span {
    start: u32,
    end: u32,
}

impl Span {
    /// Offsets past `u32::MAX` (a head over 4 GiB, far beyond any sane
    /// [`Limits`](super::Limits)) wrap and read as wrong-but-in-bounds or empty bytes.
    #[inline(always)]
    pub(crate) fn new((start, end): (usize, usize)) -> Self {
        Span {
            start: start as u32,
            end: end as u32,
        }
    }

    #[inline(always)]
    pub(crate) fn range(self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }
}

/// A field: the spans of its name and value inside the owner's buffer.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Field {
    pub(crate) name: Span,
    pub(crate) value: Span,
}

/// An ordered list of header (or trailer) fields.
///
/// Names compare case-insensitively (`get("content-type")` finds `Content-Type`); values are
/// bytes (`get_str` gives them as text when they are UTF-8). Duplicates are kept in order.
///
/// Fields added with [`push`](Headers::push) are validated when the message is sent, not
/// here: an invalid name or a value with CR/LF makes
/// [`Connection::send`](super::Connection::send) fail with
/// [`Error::InvalidOutgoingField`](super::Error::InvalidOutgoingField).
///
/// ```
/// use netloom_core::http::Headers;
/// let mut h = Headers::new();
/// h.push("Connection", "keep-alive, Upgrade");
/// assert!(h.contains_token("connection", "upgrade"));
/// assert_eq!(h.get_str("CONNECTION"), Some("keep-alive, Upgrade"));
/// ```
#[derive(Clone, Default)]
pub struct Headers {
    pub(crate) buf: Vec<u8>,
    pub(crate) fields: Vec<Field>,
}

impl Headers {
    /// An empty list; does not allocate.
    pub fn new() -> Self {
        Headers::default()
    }

    /// Builds from storage the parser filled in.
    pub(crate) fn from_parts(buf: Vec<u8>, fields: Vec<Field>) -> Self {
        Headers { buf, fields }
    }

    /// Appends a field. The name should be an RFC 9110 token and the value must not contain
    /// CR, LF or NUL; both are checked when the message is sent.
    pub fn push(&mut self, name: &str, value: impl AsRef<[u8]>) {
        let value = value.as_ref();
        let ns = self.buf.len();
        self.buf.extend_from_slice(name.as_bytes());
        let vs = self.buf.len();
        self.buf.extend_from_slice(value);
        self.fields.push(Field {
            name: Span::new((ns, vs)),
            value: Span::new((vs, self.buf.len())),
        });
    }

    /// Builder form of [`push`](Headers::push).
    pub fn with(mut self, name: &str, value: impl AsRef<[u8]>) -> Self {
        self.push(name, value);
        self
    }

    /// Number of fields (duplicates counted).
    pub fn len(&self) -> usize {
        self.fields.len()
    }

    /// True when there are no fields.
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    fn slice(&self, r: Span) -> &[u8] {
        self.buf.get(r.range()).unwrap_or(&[])
    }

    fn name_of(&self, f: &Field) -> &str {
        // Names are either parsed tokens (ASCII) or came in as `&str`: always UTF-8.
        std::str::from_utf8(self.slice(f.name)).unwrap_or("")
    }

    /// All fields in order, as `(name, value)`. Names keep the case they were sent with.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &[u8])> + '_ {
        self.fields
            .iter()
            .map(move |f| (self.name_of(f), self.slice(f.value)))
    }

    /// All fields as raw `(name, value)` bytes, without the UTF-8 view of names.
    pub(crate) fn iter_raw(&self) -> impl Iterator<Item = (&[u8], &[u8])> + '_ {
        self.fields
            .iter()
            .map(move |f| (self.slice(f.name), self.slice(f.value)))
    }

    /// The value of the first field called `name` (case-insensitive).
    pub fn get(&self, name: &str) -> Option<&[u8]> {
        self.fields
            .iter()
            .find(|f| self.slice(f.name).eq_ignore_ascii_case(name.as_bytes()))
            .map(|f| self.slice(f.value))
    }

    /// The value of the first field called `name`, if it is valid UTF-8.
    pub fn get_str(&self, name: &str) -> Option<&str> {
        self.get(name).and_then(|v| std::str::from_utf8(v).ok())
    }

    /// The values of every field called `name`, in order.
    pub fn get_all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a [u8]> + 'a {
        self.fields.iter().filter_map(move |f| {
            if self.slice(f.name).eq_ignore_ascii_case(name.as_bytes()) {
                Some(self.slice(f.value))
            } else {
                None
            }
        })
    }

    /// True when at least one field is called `name`.
    pub fn contains(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// True when some field called `name` holds `token` as one element of its comma-separated
    /// list, compared case-insensitively after trimming whitespace. Parameters after `;` are
    /// ignored, so `contains_token("te", "trailers")` matches `TE: trailers;q=1`.
    pub fn contains_token(&self, name: &str, token: &str) -> bool {
        self.get_all(name)
            .any(|v| list_elements(v).any(|e| e.eq_ignore_ascii_case(token.as_bytes())))
    }

    /// Removes every field called `name`; returns how many were removed.
    pub fn remove(&mut self, name: &str) -> usize {
        let before = self.fields.len();
        let buf = &self.buf;
        self.fields.retain(|f| {
            !buf.get(f.name.range())
                .unwrap_or(&[])
                .eq_ignore_ascii_case(name.as_bytes())
        });
        before - self.fields.len()
    }

    /// Removes every field.
    pub fn clear(&mut self) {
        self.fields.clear();
        self.buf.clear();
    }
}

/// The elements of a comma-separated list value (`#element`, RFC 9110 §5.6.1): trimmed,
/// empty elements skipped, parameters after `;` cut off.
pub(crate) fn list_elements(value: &[u8]) -> impl Iterator<Item = &[u8]> {
    value.split(|&b| b == b',').filter_map(|e| {
        let e = match e.iter().position(|&b| b == b';') {
            Some(i) => &e[..i],
            None => e,
        };
        let e = trim_ows(e);
        if e.is_empty() {
            None
        } else {
            Some(e)
        }
    })
}

/// Trims optional whitespace (SP, HTAB) at both ends.
pub(crate) fn trim_ows(mut v: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = v {
        v = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = v {
        v = rest;
    }
    v
}

/// RFC 9110 `tchar`.
pub(crate) fn is_tchar(b: u8) -> bool {
    matches!(b,
        b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9'
        | b'!' | b'#' | b'$' | b'%' | b'&' | b'\'' | b'*' | b'+'
        | b'-' | b'.' | b'^' | b'_' | b'`' | b'|' | b'~')
}

/// A non-empty token.
pub(crate) fn is_token(v: &[u8]) -> bool {
    !v.is_empty() && v.iter().all(|&b| is_tchar(b))
}

/// A field value we are willing to send: SP, HTAB, visible ASCII and obs-text; no CR, LF,
/// NUL or other controls.
pub(crate) fn is_sendable_value(v: &[u8]) -> bool {
    v.iter()
        .all(|&b| b == b'\t' || (b' '..=b'~').contains(&b) || b >= 0x80)
}

impl PartialEq for Headers {
    /// Same fields in the same order; names compare case-insensitively, values exactly.
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len()
            && self
                .iter()
                .zip(other.iter())
                .all(|((an, av), (bn, bv))| an.eq_ignore_ascii_case(bn) && av == bv)
    }
}

impl Eq for Headers {}

impl fmt::Debug for Headers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(
                self.iter()
                    .map(|(n, v)| (n, String::from_utf8_lossy(v).into_owned())),
            )
            .finish()
    }
}

impl<N: AsRef<str>, V: AsRef<[u8]>> FromIterator<(N, V)> for Headers {
    fn from_iter<I: IntoIterator<Item = (N, V)>>(iter: I) -> Self {
        let mut h = Headers::new();
        for (n, v) in iter {
            h.push(n.as_ref(), v);
        }
        h
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookups_are_case_insensitive_and_ordered() {
        let h: Headers = [("A", "1"), ("b", "2"), ("a", "3")].into_iter().collect();
        assert_eq!(h.get("a"), Some(&b"1"[..]));
        assert_eq!(
            h.get_all("A").collect::<Vec<_>>(),
            vec![&b"1"[..], &b"3"[..]]
        );
        assert!(h.contains("B"));
        assert!(!h.contains("c"));
    }

    #[test]
    fn tokens_trim_and_skip_empty_elements() {
        let h = Headers::new().with("Connection", " , Keep-Alive ,close;x=1");
        assert!(h.contains_token("connection", "close"));
        assert!(h.contains_token("connection", "keep-alive"));
        assert!(!h.contains_token("connection", ""));
    }

    #[test]
    fn remove_drops_all_matches() {
        let mut h: Headers = [("X", "1"), ("y", "2"), ("x", "3")].into_iter().collect();
        assert_eq!(h.remove("x"), 2);
        assert_eq!(h.len(), 1);
        assert_eq!(h.get("Y"), Some(&b"2"[..]));
    }
}
