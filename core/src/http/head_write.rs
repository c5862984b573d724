//! Outgoing heads: validation (no header injection), the automatic framing choice, and
//! serialization into the caller's buffer. Nothing is written unless the whole head is valid.

use super::body_write::{validate_fields, write_decimal, write_fields, BodyWriter};
use super::framing::parse_decimal;
use super::headers::{is_sendable_value, is_token, list_elements, list_items, Headers};
use super::{Error, Request, Response, Version};

/// What the caller's own header fields say about framing and persistence.
struct Declared {
    content_length: Option<u64>,
    chunked: bool,
    close: bool,
    keep_alive: bool,
}

impl Declared {
    /// A head without fields.
    const NONE: Declared = Declared {
        content_length: None,
        chunked: false,
        close: false,
        keep_alive: false,
    };
}

fn declared(h: &Headers) -> Result<Declared, Error> {
    let mut d = Declared::NONE;
    let mut te = false;
    for (name, value) in h.iter_raw() {
        observe_declared(&mut d, &mut te, name, value)?;
    }
    if d.chunked && d.content_length.is_some() {
        return Err(Error::InvalidOutgoingFraming(
            "both Content-Length and Transfer-Encoding",
        ));
    }
    Ok(d)
}

/// One field of [`declared`]; `te` records that a Transfer-Encoding field was seen.
fn observe_declared(
    d: &mut Declared,
    te: &mut bool,
    name: &[u8],
    value: &[u8],
) -> Result<(), Error> {
    if name.eq_ignore_ascii_case(b"content-length") {
        let n = parse_decimal(value).ok_or(Error::InvalidOutgoingFraming(
            "Content-Length is not a number",
        ))?;
        if d.content_length.is_some_and(|m| m != n) {
            return Err(Error::InvalidOutgoingFraming(
                "differing Content-Length values",
            ));
        }
        d.content_length = Some(n);
    } else if name.eq_ignore_ascii_case(b"transfer-encoding") {
        if *te {
            return Err(Error::InvalidOutgoingFraming(
                "only one Transfer-Encoding field can be sent",
            ));
        }
        *te = true;
        // Parameters kept: `chunked;x=y` is not chunked to a reader, so it is not sent.
        let mut codings = list_items(value);
        match (codings.next(), codings.next()) {
            (Some(c), None) if c.eq_ignore_ascii_case(b"chunked") => d.chunked = true,
            _ => {
                return Err(Error::InvalidOutgoingFraming(
                    "Transfer-Encoding must be exactly chunked",
                ))
            }
        }
    } else if name.eq_ignore_ascii_case(b"connection") {
        for t in list_elements(value) {
            if t.eq_ignore_ascii_case(b"close") {
                d.close = true;
            } else if t.eq_ignore_ascii_case(b"keep-alive") {
                d.keep_alive = true;
            }
        }
    }
    Ok(())
}

/// Methods whose requests carry no body unless the caller declares one.
fn bodiless_method(m: &str) -> bool {
    matches!(
        m,
        "GET" | "HEAD" | "DELETE" | "OPTIONS" | "TRACE" | "CONNECT"
    )
}

/// Writes a request head. Returns its body writer and whether the connection may be kept
/// alive after it.
pub(crate) fn write_request(req: &Request, out: &mut Vec<u8>) -> Result<(BodyWriter, bool), Error> {
    let method = req.method();
    let target = req.target();
    if !is_token(method.as_bytes())
        || target.is_empty()
        || !target.bytes().all(|b| (b'!'..=b'~').contains(&b))
    {
        return Err(Error::InvalidOutgoingField);
    }
    let h = req.headers();
    validate_fields(h)?;
    let d = declared(h)?;
    let http10 = req.version() == Version::Http10;
    let mut add_chunked = false;
    let writer = if d.chunked {
        if http10 {
            return Err(Error::InvalidOutgoingFraming(
                "chunked in an HTTP/1.0 request",
            ));
        }
        BodyWriter::Chunked
    } else if let Some(n) = d.content_length {
        BodyWriter::Length {
            declared: n,
            sent: 0,
        }
    } else if bodiless_method(method) || http10 {
        BodyWriter::Empty
    } else {
        add_chunked = true;
        BodyWriter::Chunked
    };
    let keep_alive = !d.close && (!http10 || d.keep_alive);

    out.extend_from_slice(method.as_bytes());
    out.push(b' ');
    out.extend_from_slice(target.as_bytes());
    out.push(b' ');
    out.extend_from_slice(req.version().as_str().as_bytes());
    out.extend_from_slice(b"\r\n");
    write_fields(h, out);
    if add_chunked {
        out.extend_from_slice(b"Transfer-Encoding: chunked\r\n");
    }
    out.extend_from_slice(b"\r\n");
    Ok((writer, keep_alive))
}

/// What the server knows about the request a response answers.
pub(crate) struct ResponseContext {
    pub(crate) head_request: bool,
    pub(crate) peer_version: Version,
    /// The connection may persist as far as everything before this response is concerned.
    pub(crate) keep_alive: bool,
}

fn check_reason_and_fields(resp: &Response) -> Result<(), Error> {
    check_reason(resp)?;
    validate_fields(resp.headers())
}

/// A custom reason phrase must be sendable; standard ones are.
fn check_reason(resp: &Response) -> Result<(), Error> {
    if !resp.has_standard_reason() && !is_sendable_value(resp.reason().as_bytes()) {
        return Err(Error::InvalidOutgoingField);
    }
    Ok(())
}

fn write_status_line(resp: &Response, out: &mut Vec<u8>) {
    let s = resp.status();
    if resp.has_standard_reason() {
        if let Some(head) = super::events::standard_bare_head(s) {
            out.extend_from_slice(&head[..head.len() - 2]);
            return;
        }
    }
    if (100..=999).contains(&s) {
        let mut line = *b"HTTP/1.1 000 ";
        line[9] = b'0' + (s / 100) as u8;
        line[10] = b'0' + (s / 10 % 10) as u8;
        line[11] = b'0' + (s % 10) as u8;
        out.extend_from_slice(&line);
    } else {
        out.extend_from_slice(b"HTTP/1.1 ");
        write_decimal(u64::from(s), out);
        out.push(b' ');
    }
    out.extend_from_slice(resp.reason().as_bytes());
    out.extend_from_slice(b"\r\n");
}

/// Validates, observes (as [`declared`] does) and writes every field of a final response in
/// one pass. On error `out` may hold a partial head; the caller truncates it. Errors come in
/// the same order as `validate_fields` then `declared`: an invalid field wins over a framing
/// error anywhere in the head.
fn write_response_fields(h: &Headers, out: &mut Vec<u8>) -> Result<Declared, Error> {
    let mut d = Declared::NONE;
    let mut te = false;
    let mut framing: Result<(), Error> = Ok(());
    for (name, value) in h.iter_raw() {
        if !is_token(name) || !is_sendable_value(value) {
            return Err(Error::InvalidOutgoingField);
        }
        if framing.is_ok() && framing_name(name) {
            framing = observe_declared(&mut d, &mut te, name, value);
        }
        out.extend_from_slice(name);
        out.extend_from_slice(b": ");
        out.extend_from_slice(value);
        out.extend_from_slice(b"\r\n");
    }
    framing?;
    if d.chunked && d.content_length.is_some() {
        return Err(Error::InvalidOutgoingFraming(
            "both Content-Length and Transfer-Encoding",
        ));
    }
    Ok(d)
}

/// Whether `name` (a token) may be one of the three names [`declared`] looks at; a cheap
/// length test that lets every other field skip the comparisons.
#[inline(always)]
fn framing_name(name: &[u8]) -> bool {
    matches!(name.len(), 10 | 14 | 17)
}

/// Writes an informational (1xx, not 101) response head.
pub(crate) fn write_informational(resp: &Response, out: &mut Vec<u8>) -> Result<(), Error> {
    let s = resp.status();
    if !(100..200).contains(&s) || s == 101 {
        return Err(Error::InvalidStatusCode(s));
    }
    check_reason_and_fields(resp)?;
    let d = declared(resp.headers())?;
    if d.chunked || d.content_length.is_some() {
        return Err(Error::InvalidOutgoingFraming(
            "framing headers on a 1xx response",
        ));
    }
    write_status_line(resp, out);
    write_fields(resp.headers(), out);
    out.extend_from_slice(b"\r\n");
    Ok(())
}

/// Writes a final response head, choosing the framing (module docs, "Sending"). Returns the
/// body writer and whether the connection stays open afterwards.
///
/// `default_length`, when the head declares neither `Content-Length` nor
/// `Transfer-Encoding`, acts exactly as a `Content-Length` field appended to the head (the
/// server writes a full body's length this way without building a string for it).
pub(crate) fn write_response(
    resp: &Response,
    ctx: &ResponseContext,
    default_length: Option<u64>,
    out: &mut Vec<u8>,
) -> Result<(BodyWriter, bool), Error> {
    let s = resp.status();
    if !(200..=999).contains(&s) {
        return Err(Error::InvalidStatusCode(s));
    }
    check_reason(resp)?;
    if resp.headers().is_empty() && default_length.is_none() {
        // A bare head (an empty 204, say): nothing to validate, nothing to undo.
        let (writer, keep_alive, tail) = framing(s, &Declared::NONE, ctx)?;
        match super::events::standard_bare_head(s) {
            // The commonest head of all (a kept-alive empty 204, say) is one copy.
            Some(head) if tail == b"\r\n" && resp.has_standard_reason() => {
                out.extend_from_slice(head)
            }
            _ => {
                write_status_line(resp, out);
                out.extend_from_slice(tail);
            }
        }
        return Ok((writer, keep_alive));
    }
    let start = out.len();
    match write_response_checked(resp, ctx, default_length, out) {
        Ok(r) => Ok(r),
        Err(e) => {
            out.truncate(start);
            Err(e)
        }
    }
}

fn write_response_checked(
    resp: &Response,
    ctx: &ResponseContext,
    default_length: Option<u64>,
    out: &mut Vec<u8>,
) -> Result<(BodyWriter, bool), Error> {
    write_status_line(resp, out);
    let mut d = write_response_fields(resp.headers(), out)?;
    if let Some(n) = default_length.filter(|_| d.content_length.is_none() && !d.chunked) {
        d.content_length = Some(n);
        out.extend_from_slice(b"Content-Length: ");
        write_decimal(n, out);
        out.extend_from_slice(b"\r\n");
    }
    let (writer, keep_alive, tail) = framing(resp.status(), &d, ctx)?;
    out.extend_from_slice(tail);
    Ok((writer, keep_alive))
}

/// The framing of a final response with status `s` whose fields declared `d`: its body
/// writer, whether the connection stays open, and the end of its head (the fields we add,
/// then the empty line).
#[inline(always)]
fn framing(
    s: u16,
    d: &Declared,
    ctx: &ResponseContext,
) -> Result<(BodyWriter, bool, &'static [u8]), Error> {
    if s == 204 && (d.chunked || d.content_length.is_some()) {
        return Err(Error::InvalidOutgoingFraming(
            "framing headers on a 204 response",
        ));
    }
    if s == 304 && d.chunked {
        return Err(Error::InvalidOutgoingFraming(
            "Transfer-Encoding on a 304 response",
        ));
    }
    let http10 = ctx.peer_version == Version::Http10;
    let mut add_chunked = false;
    let writer = if ctx.head_request {
        BodyWriter::Discard
    } else if s == 204 || s == 304 {
        BodyWriter::Empty
    } else if d.chunked {
        if http10 {
            return Err(Error::InvalidOutgoingFraming(
                "chunked to an HTTP/1.0 client",
            ));
        }
        BodyWriter::Chunked
    } else if let Some(n) = d.content_length {
        BodyWriter::Length {
            declared: n,
            sent: 0,
        }
    } else if !http10 {
        add_chunked = true;
        BodyWriter::Chunked
    } else {
        BodyWriter::UntilClose
    };
    let keep_alive = ctx.keep_alive && !d.close && writer != BodyWriter::UntilClose;
    let close = !keep_alive && !d.close;
    let announce_keep_alive = keep_alive && http10 && !d.keep_alive;
    let tail: &'static [u8] = match (add_chunked, close, announce_keep_alive) {
        (false, false, false) => b"\r\n",
        (false, true, _) => b"Connection: close\r\n\r\n",
        (false, false, true) => b"Connection: keep-alive\r\n\r\n",
        (true, false, false) => b"Transfer-Encoding: chunked\r\n\r\n",
        (true, true, _) => b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
        (true, false, true) => b"Transfer-Encoding: chunked\r\nConnection: keep-alive\r\n\r\n",
    };
    Ok((writer, keep_alive, tail))
}

/// A complete minimal error response: status line, `Content-Type: text/plain`,
/// `Content-Length`, `Connection: close`, and a one-line body.
pub(crate) fn write_error_response(err: &Error, fields: &[(&str, &[u8])], out: &mut Vec<u8>) {
    let status = err.status_code();
    let body = format!("{err}\n");
    out.extend_from_slice(b"HTTP/1.1 ");
    write_decimal(u64::from(status), out);
    out.push(b' ');
    out.extend_from_slice(super::reason_phrase(status).as_bytes());
    out.extend_from_slice(b"\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ");
    write_decimal(body.len() as u64, out);
    out.extend_from_slice(b"\r\nConnection: close\r\n");
    for (name, value) in fields {
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(body.as_bytes());
}
