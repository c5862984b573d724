//! Received heads: httparse does the grammar, this file turns its output into owned ranges,
//! classifies its errors into typed ones, and decides when a partial head is worth
//! re-parsing (so a head that trickles in byte by byte costs linear, not quadratic, time).

use std::mem::MaybeUninit;

use super::body_read::range_in;
use super::framing::FramingInfo;
use super::headers::{Field, Span};
use super::{Error, Limits, Version};

/// Header slots kept on the stack; larger `max_headers` limits use a heap vector.
const STACK_HEADERS: usize = 128;

/// A request head, as ranges into the buffer it was parsed from. Its fields went into the
/// caller's field table.
pub(crate) struct ParsedRequest {
    pub(crate) len: usize,
    pub(crate) method: (usize, usize),
    pub(crate) target: (usize, usize),
    pub(crate) version: Version,
    pub(crate) framing: FramingInfo,
}

/// A response head, as ranges into the buffer it was parsed from. Its fields went into the
/// caller's field table.
pub(crate) struct ParsedResponse {
    pub(crate) len: usize,
    pub(crate) status: u16,
    pub(crate) reason: (usize, usize),
    pub(crate) version: Version,
    pub(crate) framing: FramingInfo,
    /// Some value contained obs-fold line breaks that must become spaces.
    pub(crate) unfold: bool,
}

type Slots<'b> = MaybeUninit<httparse::Header<'b>>;

/// Fields a [`FieldTable`] holds inline, in the connection itself.
const INLINE_FIELDS: usize = 16;

/// The field table of the head parsed last, reused from head to head: the first
/// [`INLINE_FIELDS`] entries live inline (no allocation and no clearing per head), more
/// spill to a vector.
#[derive(Debug, Clone)]
pub(crate) struct FieldTable {
    inline: [Field; INLINE_FIELDS],
    len: usize,
    spill: Vec<Field>,
}

impl Default for FieldTable {
    fn default() -> Self {
        FieldTable {
            inline: [Field::EMPTY; INLINE_FIELDS],
            len: 0,
            spill: Vec::new(),
        }
    }
}

impl FieldTable {
    /// Replaces the table with the fields httparse found in the buffer starting at `base`,
    /// showing each to `framing` on the way.
    #[inline(always)]
    fn fill(
        &mut self,
        headers: &[httparse::Header<'_>],
        base: usize,
        framing: &mut FramingInfo,
    ) -> Result<(), Error> {
        self.clear();
        if headers.len() <= INLINE_FIELDS {
            // The common case: no per-field branch on the table's size.
            for (slot, h) in self.inline.iter_mut().zip(headers) {
                framing.observe(h.name.as_bytes(), h.value)?;
                *slot = field_at(base, h);
            }
            self.len = headers.len();
        } else {
            for h in headers {
                framing.observe(h.name.as_bytes(), h.value)?;
                self.push(field_at(base, h));
            }
        }
        Ok(())
    }

    fn clear(&mut self) {
        self.len = 0;
        self.spill.clear();
    }

    #[inline(always)]
    fn push(&mut self, f: Field) {
        if let Some(slot) = self.inline.get_mut(self.len) {
            *slot = f;
        } else {
            if self.len == INLINE_FIELDS {
                self.spill.extend_from_slice(&self.inline);
            }
            self.spill.push(f);
        }
        self.len += 1;
    }

    /// The fields, in order.
    #[inline]
    pub(crate) fn as_slice(&self) -> &[Field] {
        if self.len <= INLINE_FIELDS {
            &self.inline[..self.len]
        } else {
            &self.spill
        }
    }
}

/// Parses a request head at the start of `buf`. `Ok(None)` = incomplete. On success
/// `fields` holds the head's fields (it is cleared first; the connection reuses it, so the
/// hot path allocates nothing).
///
/// An `HTTP/1.x` version above 1.1 is read as 1.1 (RFC 9110 §2.5: a recipient processes a
/// higher minor version as the highest it implements): its minor digit is rewritten to `1`
/// in `buf`, which is why `buf` is mutable.
pub(crate) fn parse_request(
    buf: &mut [u8],
    limits: &Limits,
    fields: &mut FieldTable,
) -> Result<Option<ParsedRequest>, Error> {
    match parse_request_as_is(buf, limits, fields) {
        Err(Error::InvalidVersion) => match request_version(buf) {
            VersionCheck::Incomplete => Ok(None),
            VersionCheck::HigherMinor(at) => {
                buf[at] = b'1';
                parse_request_as_is(buf, limits, fields)
            }
            VersionCheck::Refuse(e) => Err(e),
        },
        other => other,
    }
}

fn parse_request_as_is(
    buf: &[u8],
    limits: &Limits,
    fields: &mut FieldTable,
) -> Result<Option<ParsedRequest>, Error> {
    if limits.max_headers <= STACK_HEADERS {
        let mut slots = [Slots::uninit(); STACK_HEADERS];
        request_with(buf, limits, &mut slots[..limits.max_headers], fields)
    } else {
        let mut slots = vec![Slots::uninit(); limits.max_headers];
        request_with(buf, limits, &mut slots, fields)
    }
}

fn request_with<'b>(
    buf: &'b [u8],
    limits: &Limits,
    slots: &mut [Slots<'b>],
    fields: &mut FieldTable,
) -> Result<Option<ParsedRequest>, Error> {
    let mut req = httparse::Request::new(&mut []);
    let len = match req.parse_with_uninit_headers(buf, slots) {
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(e) => return Err(request_error(e, buf, limits)),
    };
    let base = buf.as_ptr() as usize;
    let method = req.method.unwrap_or("");
    let target = req.path.unwrap_or("");
    if target.len() > limits.max_uri_bytes {
        return Err(Error::UriTooLong {
            limit: limits.max_uri_bytes,
        });
    }
    // RFC 9112 §3.2 allows only ASCII in a request target (anything else must be
    // percent-encoded); httparse lets valid UTF-8 through.
    if !target.is_ascii() {
        return Err(Error::InvalidRequestLine);
    }
    let version = if req.version == Some(0) {
        Version::Http10
    } else {
        Version::Http11
    };
    let mut framing = FramingInfo::default();
    fields.fill(req.headers, base, &mut framing)?;
    Ok(Some(ParsedRequest {
        len,
        method: offsets(base, method.as_bytes()),
        target: offsets(base, target.as_bytes()),
        version,
        framing,
    }))
}

/// Parses a response head at the start of `buf` into `fields` as [`parse_request`] does
/// (an `HTTP/1.x` above 1.1 is read as 1.1 the same way). Obs-fold is accepted here (RFC
/// 9112 §5.2 lets a user agent replace it with spaces) and reported through `unfold`.
pub(crate) fn parse_response(
    buf: &mut [u8],
    limits: &Limits,
    fields: &mut FieldTable,
) -> Result<Option<ParsedResponse>, Error> {
    match parse_response_as_is(buf, limits, fields) {
        Err(Error::InvalidVersion) => match response_version(buf) {
            VersionCheck::Incomplete => Ok(None),
            VersionCheck::HigherMinor(at) => {
                buf[at] = b'1';
                parse_response_as_is(buf, limits, fields)
            }
            VersionCheck::Refuse(e) => Err(e),
        },
        other => other,
    }
}

fn parse_response_as_is(
    buf: &[u8],
    limits: &Limits,
    fields: &mut FieldTable,
) -> Result<Option<ParsedResponse>, Error> {
    if limits.max_headers <= STACK_HEADERS {
        let mut slots = [Slots::uninit(); STACK_HEADERS];
        response_with(buf, limits, &mut slots[..limits.max_headers], fields)
    } else {
        let mut slots = vec![Slots::uninit(); limits.max_headers];
        response_with(buf, limits, &mut slots, fields)
    }
}

fn response_with<'b>(
    buf: &'b [u8],
    limits: &Limits,
    slots: &mut [Slots<'b>],
    fields: &mut FieldTable,
) -> Result<Option<ParsedResponse>, Error> {
    let mut resp = httparse::Response::new(&mut []);
    let parsed = httparse::ParserConfig::default()
        .allow_obsolete_multiline_headers_in_responses(true)
        .parse_response_with_uninit_headers(&mut resp, buf, slots);
    let len = match parsed {
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(e) => return Err(response_error(e, buf, limits)),
    };
    let status = resp.code.unwrap_or(0);
    if status < 100 {
        return Err(Error::InvalidStatusLine);
    }
    let base = buf.as_ptr() as usize;
    let version = if resp.version == Some(0) {
        Version::Http10
    } else {
        Version::Http11
    };
    let mut framing = FramingInfo::default();
    fields.clear();
    let mut unfold = false;
    for h in resp.headers.iter() {
        if h.value.iter().any(|&b| b == b'\r' || b == b'\n') {
            unfold = true;
        }
        framing.observe(h.name.as_bytes(), h.value)?;
        fields.push(Field {
            name: Span::new(range_in(base, buf.len(), h.name.as_bytes())),
            value: Span::new(range_in(base, buf.len(), h.value)),
        });
    }
    Ok(Some(ParsedResponse {
        len,
        status,
        reason: range_in(base, buf.len(), resp.reason.unwrap_or("").as_bytes()),
        version,
        framing,
        unfold,
    }))
}

/// The spans of a field httparse returned from the buffer starting at `base`.
#[inline(always)]
fn field_at(base: usize, h: &httparse::Header<'_>) -> Field {
    Field {
        name: Span::new(offsets(base, h.name.as_bytes())),
        value: Span::new(offsets(base, h.value)),
    }
}

/// The offsets of `s`, a slice httparse returned from the buffer starting at `base`. (All
/// later accesses go through `get`, so a bogus range could never panic, only read empty.)
#[inline(always)]
fn offsets(base: usize, s: &[u8]) -> (usize, usize) {
    let start = (s.as_ptr() as usize).wrapping_sub(base);
    (start, start.wrapping_add(s.len()))
}

/// Replaces the CR/LF of obs-folds inside field values with spaces (RFC 9112 §5.2).
pub(crate) fn unfold_values(buf: &mut [u8], fields: &[Field]) {
    for f in fields {
        if let Some(v) = buf.get_mut(f.value.range()) {
            for b in v.iter_mut() {
                if *b == b'\r' || *b == b'\n' {
                    *b = b' ';
                }
            }
        }
    }
}

fn request_error(e: httparse::Error, buf: &[u8], limits: &Limits) -> Error {
    match e {
        httparse::Error::Token => Error::InvalidRequestLine,
        // Judged by `parse_request` (`request_version`).
        httparse::Error::Version => Error::InvalidVersion,
        httparse::Error::NewLine if version_overrun(buf) => Error::InvalidVersion,
        httparse::Error::NewLine => Error::InvalidLineEnding,
        httparse::Error::HeaderName if has_fold(buf) => Error::ObsFold,
        httparse::Error::HeaderName => Error::InvalidHeaderName,
        httparse::Error::HeaderValue => Error::InvalidHeaderValue,
        httparse::Error::Status => Error::InvalidRequestLine,
        httparse::Error::TooManyHeaders => Error::TooManyHeaders {
            limit: limits.max_headers,
        },
    }
}

fn response_error(e: httparse::Error, _buf: &[u8], limits: &Limits) -> Error {
    match e {
        // Judged by `parse_response` (`response_version`).
        httparse::Error::Version => Error::InvalidVersion,
        httparse::Error::Status | httparse::Error::Token => Error::InvalidStatusLine,
        httparse::Error::NewLine => Error::InvalidLineEnding,
        httparse::Error::HeaderName => Error::InvalidHeaderName,
        httparse::Error::HeaderValue => Error::InvalidHeaderValue,
        httparse::Error::TooManyHeaders => Error::TooManyHeaders {
            limit: limits.max_headers,
        },
    }
}

/// What a version httparse refused is.
#[derive(Debug, PartialEq, Eq)]
enum VersionCheck {
    /// Not all of it has arrived yet: wait (a prefix such as `HTTP/2.` may still become
    /// well formed, so judging it now would depend on how the input was split).
    Incomplete,
    /// `HTTP/1.x` with `x` above 1: the minor digit is at this offset.
    HigherMinor(usize),
    /// A well-formed version of another major number ([`Error::UnsupportedVersion`],
    /// 505), or a malformed one ([`Error::InvalidVersion`], 400), or a malformed line.
    Refuse(Error),
}

/// Judges the version `token` found at offset `at`: `HTTP/DIGIT.DIGIT` (RFC 9112 §2.3).
fn judge_version(token: &[u8], at: usize) -> VersionCheck {
    match *token {
        [b'H', b'T', b'T', b'P', b'/', major, b'.', minor]
            if major.is_ascii_digit() && minor.is_ascii_digit() =>
        {
            if major != b'1' {
                VersionCheck::Refuse(Error::UnsupportedVersion)
            } else if minor >= b'2' {
                VersionCheck::HigherMinor(at + 7)
            } else {
                // 1.0 and 1.1 are not refused by httparse; anything it refused is malformed.
                VersionCheck::Refuse(Error::InvalidVersion)
            }
        }
        _ => VersionCheck::Refuse(Error::InvalidVersion),
    }
}

/// The start of the first line after any leading empty lines, and that line without its
/// line ending (`None` while its LF has not arrived).
fn first_line_at(buf: &[u8]) -> (usize, Option<&[u8]>) {
    let start = buf
        .iter()
        .position(|&b| b != b'\r' && b != b'\n')
        .unwrap_or(buf.len());
    let rest = &buf[start..];
    let line = rest.iter().position(|&b| b == b'\n').map(|end| {
        let line = &rest[..end];
        line.strip_suffix(b"\r").unwrap_or(line)
    });
    (start, line)
}

/// Whether the request line's version is `HTTP/1.x` followed by more of a token
/// (`HTTP/1.10`, `HTTP/1.1.1`), which httparse reports as a missing line ending. Decided by
/// the byte after the eighth of the version, the one httparse stopped at, so it is the same
/// however the input was split.
fn version_overrun(buf: &[u8]) -> bool {
    let start = buf
        .iter()
        .position(|&b| b != b'\r' && b != b'\n')
        .unwrap_or(buf.len());
    let mut parts = buf[start..].splitn(3, |&b| b == b' ');
    let (Some(_), Some(_), Some(version)) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    version.len() > 8
        && version.starts_with(b"HTTP/1.")
        && !matches!(version[8], b'\r' | b'\n' | b' ')
}

/// Classifies the version of a request line httparse refused: `METHOD SP target SP
/// version` with exactly three parts has a version to judge; anything else is a malformed
/// request line. Judged only once the line is complete.
fn request_version(buf: &[u8]) -> VersionCheck {
    let (start, Some(line)) = first_line_at(buf) else {
        return VersionCheck::Incomplete;
    };
    let mut parts = line.split(|&b| b == b' ');
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(_), Some(_), Some(v), None) => judge_version(v, start + line.len() - v.len()),
        _ => VersionCheck::Refuse(Error::InvalidRequestLine),
    }
}

/// Classifies the version of a status line httparse refused: the token before its first
/// space, judged once that space (or the line's end) has arrived.
fn response_version(buf: &[u8]) -> VersionCheck {
    let (start, line) = first_line_at(buf);
    let rest = line.unwrap_or(&buf[start..]);
    match rest.iter().position(|&b| b == b' ') {
        Some(end) => judge_version(&rest[..end], start),
        None if line.is_some() => judge_version(rest, start),
        None => VersionCheck::Incomplete,
    }
}

/// Whether a line of the head (before its end) starts with SP or HTAB: obs-fold, or
/// whitespace before the first field.
fn has_fold(buf: &[u8]) -> bool {
    let mut i = 0;
    while let Some(p) = buf[i..].iter().position(|&b| b == b'\n') {
        let lf = i + p;
        match buf.get(lf + 1) {
            Some(b' ' | b'\t') => return true,
            Some(b'\n') | None => return false,
            Some(b'\r') if buf.get(lf + 2) == Some(&b'\n') => return false,
            _ => i = lf + 1,
        }
    }
    false
}

/// Decides when a partial head should be handed to httparse again.
///
/// The first attempt is optimistic (most heads arrive whole). After a partial result, the
/// input is scanned once, incrementally, for the end of the head (`\n\n` or `\n\r\n`); only
/// then is httparse run again. Each byte is scanned once, so total work is linear.
#[derive(Debug, Default)]
pub(crate) struct HeadScanner {
    tried: bool,
    scan: usize,
    reparses: u8,
    /// Where the first LF of the window is (the end of the start line), once scanned.
    pub(crate) first_lf: Option<usize>,
}

impl HeadScanner {
    /// True if the head in `window` (all of the buffered head so far, capped at the head
    /// limit) may be complete now.
    pub(crate) fn should_parse(&mut self, window: &[u8]) -> bool {
        if !self.tried {
            return true;
        }
        let mut i = self.scan.min(window.len());
        while let Some(p) = window[i..].iter().position(|&b| b == b'\n') {
            let lf = i + p;
            self.first_lf.get_or_insert(lf);
            match window.get(lf + 1) {
                None => {
                    self.scan = lf;
                    return false;
                }
                Some(b'\n') => {
                    self.scan = lf + 1;
                    return true;
                }
                Some(b'\r') => match window.get(lf + 2) {
                    None => {
                        self.scan = lf;
                        return false;
                    }
                    Some(b'\n') => {
                        self.scan = lf + 1;
                        return true;
                    }
                    _ => i = lf + 1,
                },
                _ => i = lf + 1,
            }
        }
        self.scan = window.len();
        false
    }

    /// Whether everything buffered has been scanned.
    pub(crate) fn scanned(&self, len: usize) -> bool {
        self.tried && self.scan >= len
    }

    /// Records a partial parse. Returns false when a found head end still parsed as partial
    /// more than twice, which only malformed input can cause.
    pub(crate) fn partial(&mut self) -> bool {
        if !self.tried {
            self.tried = true;
            self.scan = 0;
            return true;
        }
        self.reparses += 1;
        self.reparses <= 2
    }

    /// Forget everything (a new head starts, or the buffer start moved).
    pub(crate) fn reset(&mut self) {
        *self = HeadScanner::default();
    }
}
