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

impl Field {
    /// Empty name and value.
    pub(crate) const EMPTY: Field = Field {
        name: Span { start: 0, end: 0 },
        value: Span { start: 0, end: 0 },
    };
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
    table: Table,
}

/// Where the field table lives.
#[derive(Clone)]
enum Table {
    /// In its own vector (heads built with `push`, trailers).
    Owned(Vec<Field>),
    /// Packed at the end of `buf`, from byte `at`, `len` entries of [`PACKED_FIELD`] bytes
    /// (name start, name end, value start, value end; `u32` little-endian each). A received
    /// head keeps its bytes and its table in one allocation. The first change turns it into
    /// `Owned`.
    Packed { at: u32, len: u32 },
}

impl Default for Table {
    fn default() -> Self {
        Table::Owned(Vec::new())
    }
}

/// Room the first [`Headers::push`] makes: bytes, and fields.
const FIRST_PUSH_BYTES: usize = 256;
const FIRST_PUSH_FIELDS: usize = 8;

/// Bytes per packed field-table entry.
pub(crate) const PACKED_FIELD: usize = 16;

/// Appends the packed form (see [`Table::Packed`]) of every field in `fields` to `out`.
pub(crate) fn push_packed(out: &mut Vec<u8>, fields: &[Field]) {
    let at = out.len();
    // One resize, then plain stores: no capacity check per entry.
    out.resize(at + fields.len() * PACKED_FIELD, 0);
    for (entry, f) in out[at..].chunks_exact_mut(PACKED_FIELD).zip(fields) {
        let packed = (f.name.start as u128)
            | (f.name.end as u128) << 32
            | (f.value.start as u128) << 64
            | (f.value.end as u128) << 96;
        entry.copy_from_slice(&packed.to_le_bytes());
    }
}

#[inline(always)]
fn unpack_field(e: &[u8]) -> Field {
    let packed = match e
        .get(..PACKED_FIELD)
        .and_then(|w| <[u8; PACKED_FIELD]>::try_from(w).ok())
    {
        Some(w) => u128::from_le_bytes(w),
        None => 0,
    };
    Field {
        name: Span {
            start: packed as u32,
            end: (packed >> 32) as u32,
        },
        value: Span {
            start: (packed >> 64) as u32,
            end: (packed >> 96) as u32,
        },
    }
}

/// The fields of a [`Headers`], in order.
pub(crate) enum FieldIter<'a> {
    Owned(std::slice::Iter<'a, Field>),
    Packed(std::slice::ChunksExact<'a, u8>),
}

impl Iterator for FieldIter<'_> {
    type Item = Field;

    #[inline]
    fn next(&mut self) -> Option<Field> {
        match self {
            FieldIter::Owned(it) => it.next().copied(),
            FieldIter::Packed(it) => it.next().map(unpack_field),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        match self {
            FieldIter::Owned(it) => it.size_hint(),
            FieldIter::Packed(it) => it.size_hint(),
        }
    }
}

impl Headers {
    /// An empty list; does not allocate.
    pub fn new() -> Self {
        Headers::default()
    }

    /// Builds from storage the parser filled in.
    pub(crate) fn from_parts(buf: Vec<u8>, fields: Vec<Field>) -> Self {
        Headers {
            buf,
            table: Table::Owned(fields),
        }
    }

    /// Builds from a buffer whose last `len` entries of [`PACKED_FIELD`] bytes, starting at
    /// byte `at`, are the packed field table (see [`push_packed`]).
    pub(crate) fn from_packed(buf: Vec<u8>, at: usize, len: usize) -> Self {
        Headers {
            buf,
            table: Table::Packed {
                at: at as u32,
                len: len as u32,
            },
        }
    }

    /// A borrowed view of these fields, the same type a borrowed event
    /// ([`EventRef`](super::EventRef)) hands out.
    #[inline]
    pub fn view(&self) -> HeadersRef<'_> {
        match &self.table {
            Table::Owned(v) => HeadersRef {
                buf: &self.buf,
                table: TableRef::Slice(v),
            },
            Table::Packed { at, len } => {
                // The bytes the spans point into stop where the table starts.
                let at = *at as usize;
                let end = at.saturating_add((*len as usize).saturating_mul(PACKED_FIELD));
                HeadersRef {
                    buf: self.buf.get(..at).unwrap_or(&[]),
                    table: TableRef::Packed(self.buf.get(at..end).unwrap_or(&[])),
                }
            }
        }
    }

    /// Turns a packed table into an owned one (its bytes leave `buf`), before a change.
    fn unpack(&mut self) {
        if let Table::Packed { at, .. } = self.table {
            let fields: Vec<Field> = self.view().fields().collect();
            self.buf.truncate(at as usize);
            self.table = Table::Owned(fields);
        }
    }

    /// Appends a field. The name should be an RFC 9110 token and the value must not contain
    /// CR, LF or NUL; both are checked when the message is sent.
    pub fn push(&mut self, name: &str, value: impl AsRef<[u8]>) {
        let value = value.as_ref();
        self.unpack();
        if self.buf.capacity() == 0 {
            // A head being built: room for a typical one at once, rather than growing
            // through every power of two on the way.
            self.buf
                .reserve(FIRST_PUSH_BYTES.max(name.len() + value.len()));
        }
        let ns = self.buf.len();
        self.buf.extend_from_slice(name.as_bytes());
        let vs = self.buf.len();
        self.buf.extend_from_slice(value);
        let end = self.buf.len();
        if let Table::Owned(fields) = &mut self.table {
            if fields.capacity() == 0 {
                fields.reserve(FIRST_PUSH_FIELDS);
            }
            fields.push(Field {
                name: Span::new((ns, vs)),
                value: Span::new((vs, end)),
            });
        }
    }

    /// Builder form of [`push`](Headers::push).
    pub fn with(mut self, name: &str, value: impl AsRef<[u8]>) -> Self {
        self.push(name, value);
        self
    }

    /// Number of fields (duplicates counted).
    pub fn len(&self) -> usize {
        match &self.table {
            Table::Owned(v) => v.len(),
            Table::Packed { len, .. } => *len as usize,
        }
    }

    /// True when there are no fields.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// All fields in order, as `(name, value)`. Names keep the case they were sent with.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &[u8])> + '_ {
        self.view().iter()
    }

    /// All fields as raw `(name, value)` bytes, without the UTF-8 view of names.
    pub(crate) fn iter_raw(&self) -> impl Iterator<Item = (&[u8], &[u8])> + '_ {
        self.view().iter_raw()
    }

    /// The value of the first field called `name` (case-insensitive).
    pub fn get(&self, name: &str) -> Option<&[u8]> {
        self.view().get(name)
    }

    /// The value of the first field called `name`, if it is valid UTF-8.
    pub fn get_str(&self, name: &str) -> Option<&str> {
        self.view().get_str(name)
    }

    /// The values of every field called `name`, in order.
    pub fn get_all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a [u8]> + 'a {
        self.view().get_all(name)
    }

    /// True when at least one field is called `name`.
    pub fn contains(&self, name: &str) -> bool {
        self.view().contains(name)
    }

    /// True when some field called `name` holds `token` as one element of its comma-separated
    /// list, compared case-insensitively after trimming whitespace. Parameters after `;` are
    /// ignored, so `contains_token("te", "trailers")` matches `TE: trailers;q=1`.
    pub fn contains_token(&self, name: &str, token: &str) -> bool {
        self.view().contains_token(name, token)
    }

    /// Removes every field called `name`; returns how many were removed.
    pub fn remove(&mut self, name: &str) -> usize {
        let before = self.len();
        self.unpack();
        let Headers { buf, table } = self;
        let Table::Owned(fields) = table else {
            return 0;
        };
        fields.retain(|f| {
            !buf.get(f.name.range())
                .unwrap_or(&[])
                .eq_ignore_ascii_case(name.as_bytes())
        });
        before - fields.len()
    }

    /// Removes every field.
    pub fn clear(&mut self) {
        self.table = Table::default();
        self.buf.clear();
    }
}

/// Header fields borrowed from a connection's input buffer (or from a [`Headers`], through
/// [`Headers::view`]): the lookups of [`Headers`] without owning anything.
///
/// ```
/// use netloom_core::http::Headers;
/// let h = Headers::new().with("Content-Type", "text/xml");
/// let v = h.view();
/// assert_eq!(v.get_str("content-type"), Some("text/xml"));
/// assert_eq!(v.to_headers(), h);
/// ```
#[derive(Clone, Copy)]
pub struct HeadersRef<'a> {
    buf: &'a [u8],
    table: TableRef<'a>,
}

/// Where a borrowed field table lives.
#[derive(Clone, Copy)]
enum TableRef<'a> {
    Slice(&'a [Field]),
    Packed(&'a [u8]),
}

impl<'a> HeadersRef<'a> {
    /// Fields given as spans into `buf`.
    pub(crate) fn new(buf: &'a [u8], fields: &'a [Field]) -> Self {
        HeadersRef {
            buf,
            table: TableRef::Slice(fields),
        }
    }

    /// The bytes the fields' spans point into.
    pub(crate) fn bytes(&self) -> &'a [u8] {
        self.buf
    }

    /// The fields, in order.
    #[inline]
    pub(crate) fn fields(&self) -> FieldIter<'a> {
        match self.table {
            TableRef::Slice(v) => FieldIter::Owned(v.iter()),
            TableRef::Packed(b) => FieldIter::Packed(b.chunks_exact(PACKED_FIELD)),
        }
    }

    fn slice(&self, r: Span) -> &'a [u8] {
        self.buf.get(r.range()).unwrap_or(&[])
    }

    fn name_of(&self, f: &Field) -> &'a str {
        // Names are either parsed tokens (ASCII) or came in as `&str`: always UTF-8.
        std::str::from_utf8(self.slice(f.name)).unwrap_or("")
    }

    /// Number of fields (duplicates counted).
    pub fn len(&self) -> usize {
        match self.table {
            TableRef::Slice(v) => v.len(),
            TableRef::Packed(b) => b.len() / PACKED_FIELD,
        }
    }

    /// True when there are no fields.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// All fields in order, as `(name, value)`. Names keep the case they were sent with.
    pub fn iter(self) -> impl Iterator<Item = (&'a str, &'a [u8])> {
        self.fields()
            .map(move |f| (self.name_of(&f), self.slice(f.value)))
    }

    /// All fields as raw `(name, value)` bytes, without the UTF-8 view of names.
    pub(crate) fn iter_raw(self) -> impl Iterator<Item = (&'a [u8], &'a [u8])> {
        self.fields()
            .map(move |f| (self.slice(f.name), self.slice(f.value)))
    }

    /// The value of the first field called `name` (case-insensitive).
    pub fn get(&self, name: &str) -> Option<&'a [u8]> {
        self.fields()
            .find(|f| self.slice(f.name).eq_ignore_ascii_case(name.as_bytes()))
            .map(|f| self.slice(f.value))
    }

    /// The value of the first field called `name`, if it is valid UTF-8.
    pub fn get_str(&self, name: &str) -> Option<&'a str> {
        self.get(name).and_then(|v| std::str::from_utf8(v).ok())
    }

    /// The values of every field called `name`, in order.
    pub fn get_all<'n>(self, name: &'n str) -> impl Iterator<Item = &'a [u8]> + 'n
    where
        'a: 'n,
    {
        self.fields().filter_map(move |f| {
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
    /// list (see [`Headers::contains_token`]).
    pub fn contains_token(&self, name: &str, token: &str) -> bool {
        self.get_all(name)
            .any(|v| list_elements(v).any(|e| e.eq_ignore_ascii_case(token.as_bytes())))
    }

    /// An owned copy: the fields' bytes and a packed table in one allocation.
    pub fn to_headers(&self) -> Headers {
        let n = self.len();
        let mut buf = Vec::with_capacity(self.buf.len() + n * PACKED_FIELD);
        buf.extend_from_slice(self.buf);
        let at = buf.len();
        match self.table {
            TableRef::Slice(fields) => push_packed(&mut buf, fields),
            TableRef::Packed(table) => buf.extend_from_slice(table),
        }
        Headers::from_packed(buf, at, n)
    }
}

impl fmt::Debug for HeadersRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(
                self.iter()
                    .map(|(n, v)| (n, String::from_utf8_lossy(v).into_owned())),
            )
            .finish()
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

/// The elements of a comma-separated list as written (trimmed, empty ones skipped), with
/// their parameters: for `Transfer-Encoding`, where `chunked;x=y` is not `chunked`.
pub(crate) fn list_items(value: &[u8]) -> impl Iterator<Item = &[u8]> {
    value
        .split(|&b| b == b',')
        .map(trim_ows)
        .filter(|e| !e.is_empty())
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
pub(crate) const fn is_tchar(b: u8) -> bool {
    matches!(b,
        b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9'
        | b'!' | b'#' | b'$' | b'%' | b'&' | b'\'' | b'*' | b'+'
        | b'-' | b'.' | b'^' | b'_' | b'`' | b'|' | b'~')
}

/// A byte we are willing to send in a field value (see [`is_sendable_value`]).
const fn is_sendable_byte(b: u8) -> bool {
    b == b'\t' || (b >= b' ' && b <= b'~') || b >= 0x80
}

/// Lookup tables for the two per-byte checks on outgoing heads: bit 0 `tchar`, bit 1
/// sendable in a value.
const fn byte_classes() -> [u8; 256] {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = is_tchar(i as u8) as u8 | (is_sendable_byte(i as u8) as u8) << 1;
        i += 1;
    }
    t
}

static CLASSES: [u8; 256] = byte_classes();

/// A non-empty token.
pub(crate) fn is_token(v: &[u8]) -> bool {
    !v.is_empty() && v.iter().all(|&b| CLASSES[b as usize] & 1 != 0)
}

/// A field value we are willing to send: SP, HTAB, visible ASCII and obs-text; no CR, LF,
/// NUL or other controls.
pub(crate) fn is_sendable_value(v: &[u8]) -> bool {
    v.iter().all(|&b| CLASSES[b as usize] & 2 != 0)
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
        fmt::Debug::fmt(&self.view(), f)
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
    fn a_received_head_copies_through_its_view_without_growing() {
        let mut c = super::super::Connection::new(
            super::super::Role::Server,
            super::super::Limits::default(),
        );
        c.receive(b"GET / HTTP/1.1\r\nHost: a\r\nX: 1\r\n\r\n");
        let Ok(Some(super::super::Event::Request(r))) = c.next_event() else {
            panic!("no request")
        };
        let copy = r.headers().view().to_headers();
        assert_eq!(&copy, r.headers());
        assert_eq!(copy.buf.len(), r.headers().buf.len());
    }

    #[test]
    fn remove_drops_all_matches() {
        let mut h: Headers = [("X", "1"), ("y", "2"), ("x", "3")].into_iter().collect();
        assert_eq!(h.remove("x"), 2);
        assert_eq!(h.len(), 1);
        assert_eq!(h.get("Y"), Some(&b"2"[..]));
    }
}
