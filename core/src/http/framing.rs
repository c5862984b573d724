//! RFC 9112 §6 message framing: which header fields decide where a body ends, and the
//! request-smuggling defenses around them. Used for received heads; the sending side
//! (`head_write.rs`) applies the same rules to the heads it writes.

use super::headers::{list_elements, list_items, trim_ows};
use super::{Error, Limits, Version};

/// How the body of one message is delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BodyKind {
    /// Exactly this many bytes (0 = no body).
    Length(u64),
    /// `Transfer-Encoding: chunked`.
    Chunked,
    /// Everything until the peer closes (responses only).
    UntilClose,
}

/// What the framing-relevant header fields of one head say.
#[derive(Debug, Default, Clone)]
pub(crate) struct FramingInfo {
    pub(crate) content_length: Option<u64>,
    pub(crate) te_seen: bool,
    /// Number of `chunked` codings seen.
    pub(crate) chunked_count: u32,
    /// The last coding seen was `chunked`.
    pub(crate) last_chunked: bool,
    /// Some coding other than `chunked` was seen.
    pub(crate) other_coding: bool,
    pub(crate) close: bool,
    pub(crate) keep_alive: bool,
    pub(crate) expect_continue: bool,
    pub(crate) host_count: u32,
    /// Some `Host` value is not `uri-host [ ":" port ]`.
    pub(crate) bad_host: bool,
}

impl FramingInfo {
    /// Looks at one field. Only five names matter, and they have five distinct lengths: one
    /// table lookup on the length, compared with the first letter, is all the common case
    /// (an unrelated field) costs, inlined into the parse loop.
    #[inline(always)]
    pub(crate) fn observe(&mut self, name: &[u8], value: &[u8]) -> Result<(), Error> {
        const FIRST: [u8; 18] = {
            let mut t = [0u8; 18];
            t[4] = b'h';
            t[6] = b'e';
            t[10] = b'c';
            t[14] = b'c';
            t[17] = b't';
            t
        };
        match (FIRST.get(name.len()), name.first()) {
            (Some(&f), Some(&b)) if f == b | 0x20 => self.observe_named(name, value),
            _ => Ok(()),
        }
    }

    /// A field whose name has the length and first letter of one of the five; the names
    /// compare in a few wide operations, and only the value parsing is out of line.
    #[inline(always)]
    fn observe_named(&mut self, name: &[u8], value: &[u8]) -> Result<(), Error> {
        match name.len() {
            4 if token_eq(name, b"host") => {
                self.host_count += 1;
                if !valid_host(value) {
                    self.bad_host = true;
                }
            }
            6 if token_eq(name, b"expect") => self.observe_expect(value),
            10 if token_eq(name, b"connection") => self.observe_connection(value),
            14 if token_eq(name, b"content-length") => return self.observe_length(value),
            17 if token_eq(name, b"transfer-encoding") => self.observe_te(value),
            _ => {}
        }
        Ok(())
    }

    fn observe_expect(&mut self, value: &[u8]) {
        if trim_ows(value).eq_ignore_ascii_case(b"100-continue") {
            self.expect_continue = true;
        }
    }

    fn observe_connection(&mut self, value: &[u8]) {
        // Fast path for the two common single-token values.
        if lower_eq(value, b"keep-alive") {
            self.keep_alive = true;
            return;
        }
        if lower_eq(value, b"close") {
            self.close = true;
            return;
        }
        for t in list_elements(value) {
            if t.eq_ignore_ascii_case(b"close") {
                self.close = true;
            } else if t.eq_ignore_ascii_case(b"keep-alive") {
                self.keep_alive = true;
            }
        }
    }

    /// Each coding as written, parameters included: `chunked` has none (RFC 9112 §7), so
    /// `chunked;x=y` is some other coding, never the chunked one a lenient peer may take it
    /// for (a request-smuggling lever).
    fn observe_te(&mut self, value: &[u8]) {
        self.te_seen = true;
        for coding in list_items(value) {
            if coding.eq_ignore_ascii_case(b"chunked") {
                self.chunked_count += 1;
                self.last_chunked = true;
            } else {
                self.other_coding = true;
                self.last_chunked = false;
            }
        }
    }

    /// `Content-Length = 1*DIGIT`, possibly repeated as a list or in several fields; repeats
    /// must be identical (RFC 9112 §6.3 item 5).
    fn observe_length(&mut self, value: &[u8]) -> Result<(), Error> {
        for element in value.split(|&b| b == b',') {
            let n = parse_decimal(trim_ows(element)).ok_or(Error::InvalidContentLength)?;
            match self.content_length {
                Some(prev) if prev != n => return Err(Error::DifferingContentLength),
                _ => self.content_length = Some(n),
            }
        }
        Ok(())
    }

    /// Whether the connection may stay open after this message, by its version and
    /// `Connection` field (RFC 9112 §9.3).
    pub(crate) fn wants_keep_alive(&self, version: Version) -> bool {
        match version {
            Version::Http11 => !self.close,
            Version::Http10 => self.keep_alive && !self.close,
        }
    }

    /// Body framing of a received request (RFC 9112 §6.3), with the smuggling defenses.
    pub(crate) fn request_body(
        &self,
        version: Version,
        limits: &Limits,
    ) -> Result<BodyKind, Error> {
        if version == Version::Http11 && self.host_count == 0 {
            return Err(Error::MissingHost);
        }
        if self.host_count > 1 {
            return Err(Error::DuplicateHost);
        }
        if self.bad_host {
            return Err(Error::InvalidHost);
        }
        if self.te_seen {
            if version == Version::Http10 {
                return Err(Error::TransferEncodingInHttp10);
            }
            if self.content_length.is_some() {
                return Err(Error::ContentLengthWithTransferEncoding);
            }
            if !self.last_chunked || self.chunked_count != 1 {
                return Err(Error::TransferEncodingNotChunked);
            }
            if self.other_coding {
                return Err(Error::UnsupportedTransferCoding);
            }
            return Ok(BodyKind::Chunked);
        }
        let n = self.content_length.unwrap_or(0);
        if n > limits.max_request_body_bytes {
            return Err(Error::BodyTooLarge {
                limit: limits.max_request_body_bytes,
            });
        }
        Ok(BodyKind::Length(n))
    }

    /// Body framing of a received final response (RFC 9112 §6.3), given whether the request
    /// was HEAD. Returns the framing and whether the connection must close afterwards because
    /// of the framing itself (close-delimited, or Content-Length overridden by chunked).
    pub(crate) fn response_body(
        &self,
        version: Version,
        status: u16,
        head_request: bool,
        limits: &Limits,
    ) -> Result<(BodyKind, bool), Error> {
        if head_request || status == 204 || status == 304 {
            return Ok((BodyKind::Length(0), false));
        }
        if self.te_seen {
            if version == Version::Http10 {
                return Err(Error::TransferEncodingInHttp10);
            }
            if !self.last_chunked || self.chunked_count != 1 || self.other_coding {
                // We cannot undo any other coding, and without a final `chunked` the body
                // would be close-delimited data in an unknown coding.
                return Err(Error::UnsupportedTransferCoding);
            }
            // Transfer-Encoding overrides Content-Length; the connection must not be reused
            // (RFC 9112 §6.3 item 3).
            return Ok((BodyKind::Chunked, self.content_length.is_some()));
        }
        match self.content_length {
            Some(n) if n > limits.max_response_body_bytes => Err(Error::BodyTooLarge {
                limit: limits.max_response_body_bytes,
            }),
            Some(n) => Ok((BodyKind::Length(n), false)),
            None => Ok((BodyKind::UntilClose, true)),
        }
    }
}

/// Case-insensitive equality of a field name (a token, as httparse guarantees) with a
/// lowercase literal made of letters, digits and `-`. For token bytes `b | 0x20` equals such a
/// literal byte exactly when `b` is that character in either case.
/// The literal's length is a constant, so the comparison unrolls into a few wide operations.
#[inline(always)]
fn token_eq<const N: usize>(name: &[u8], lower: &[u8; N]) -> bool {
    match <&[u8; N]>::try_from(name) {
        Ok(name) => {
            let mut diff = 0u8;
            for i in 0..N {
                diff |= (name[i] | 0x20) ^ lower[i];
            }
            diff == 0
        }
        Err(_) => false,
    }
}

/// Exactly `value.eq_ignore_ascii_case(lower)` for a lowercase ASCII literal, without a
/// branch per byte: letters compare with the case bit set, every other byte compares exactly.
#[inline(always)]
pub(crate) fn lower_eq<const N: usize>(value: &[u8], lower: &[u8; N]) -> bool {
    match <&[u8; N]>::try_from(value) {
        Ok(value) => {
            let mut diff = 0u8;
            for i in 0..N {
                let case = if lower[i].is_ascii_lowercase() {
                    0x20
                } else {
                    0
                };
                diff |= (value[i] | case) ^ lower[i];
            }
            diff == 0
        }
        Err(_) => false,
    }
}

/// `Host = uri-host [ ":" port ]` (RFC 9112 §3.2, RFC 3986 §3.2.2): an IP literal in
/// brackets or a reg-name (unreserved characters, percent-encodings and sub-delims), then
/// digits after a colon. Empty is allowed (a target without authority). Refused among
/// others: userinfo (`@`), whitespace, `/`, and lists (a comma, which RFC 3986 would allow in
/// a reg-name but no host name has and a list of hosts abuses).
fn valid_host(value: &[u8]) -> bool {
    let v = trim_ows(value);
    let (host, port) = match v.strip_prefix(b"[") {
        Some(rest) => match rest.iter().position(|&b| b == b']') {
            Some(end) => {
                let literal = &rest[..end];
                let ok = !literal.is_empty()
                    && literal
                        .iter()
                        .all(|&b| b == b':' || b == b'%' || reg_name_byte(b));
                if !ok {
                    return false;
                }
                (&[][..], &rest[end + 1..])
            }
            None => return false,
        },
        None => match v.iter().position(|&b| b == b':') {
            Some(i) => (&v[..i], &v[i..]),
            None => (v, &[][..]),
        },
    };
    let port_ok = match port.split_first() {
        None => true,
        Some((b':', digits)) => digits.iter().all(u8::is_ascii_digit),
        Some(_) => false,
    };
    port_ok && reg_name(host)
}

/// `*( unreserved / pct-encoded / sub-delims )`, without `,`.
fn reg_name(host: &[u8]) -> bool {
    let mut i = 0;
    while let Some(&b) = host.get(i) {
        if b == b'%' {
            match host.get(i + 1..i + 3) {
                Some([h, l]) if h.is_ascii_hexdigit() && l.is_ascii_hexdigit() => i += 3,
                _ => return false,
            }
        } else if reg_name_byte(b) {
            i += 1;
        } else {
            return false;
        }
    }
    true
}

/// RFC 3986 `unreserved` and `sub-delims` but `,`.
fn reg_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b'-' | b'.'
                | b'_'
                | b'~'
                | b'!'
                | b'$'
                | b'&'
                | b'\''
                | b'('
                | b')'
                | b'*'
                | b'+'
                | b';'
                | b'='
        )
}

/// `1*DIGIT` into a u64; `None` when empty, not all digits, or overflowing.
pub(crate) fn parse_decimal(v: &[u8]) -> Option<u64> {
    if v.is_empty() {
        return None;
    }
    let mut n: u64 = 0;
    for &b in v {
        if !b.is_ascii_digit() {
            return None;
        }
        n = n.checked_mul(10)?.checked_add(u64::from(b - b'0'))?;
    }
    Some(n)
}
