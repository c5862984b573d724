//! Body writers: the mirror of `body_read.rs`. Each appends the wire form of outgoing body
//! data and of the end of the message to the caller's buffer.

use super::headers::{is_sendable_value, is_token, Headers};
use super::Error;

/// How the body of the message we are sending is framed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BodyWriter {
    /// No message body in progress.
    Idle,
    /// `Content-Length: declared`; `sent` bytes written so far.
    Length { declared: u64, sent: u64 },
    /// `Transfer-Encoding: chunked`.
    Chunked,
    /// Close-delimited (HTTP/1.0 peer, no Content-Length): the close ends the body.
    UntilClose,
    /// A response to HEAD: body data is accepted and dropped (the head describes it).
    Discard,
    /// The message cannot have a body (204, 304, a request without body framing).
    Empty,
}

impl BodyWriter {
    /// Appends `data` in this framing. Empty data writes nothing.
    pub(crate) fn write_data(&mut self, data: &[u8], out: &mut Vec<u8>) -> Result<(), Error> {
        if data.is_empty() {
            return Ok(());
        }
        match self {
            BodyWriter::Idle => unreachable_state(),
            BodyWriter::Length { declared, sent } => {
                let total = sent.saturating_add(data.len() as u64);
                if total > *declared {
                    return Err(Error::BodyLengthMismatch {
                        declared: *declared,
                        sent: total,
                    });
                }
                *sent = total;
                out.extend_from_slice(data);
                Ok(())
            }
            BodyWriter::Chunked => {
                write_hex(data.len() as u64, out);
                out.extend_from_slice(b"\r\n");
                out.extend_from_slice(data);
                out.extend_from_slice(b"\r\n");
                Ok(())
            }
            BodyWriter::UntilClose => {
                out.extend_from_slice(data);
                Ok(())
            }
            BodyWriter::Discard => Ok(()),
            BodyWriter::Empty => Err(Error::BodyNotAllowed),
        }
    }

    /// Counts `len` bytes the caller writes itself, unframed: whether to write them.
    pub(crate) fn count_unbuffered(&mut self, len: u64) -> Result<bool, Error> {
        match self {
            BodyWriter::Idle => unreachable_state().map(|()| false),
            BodyWriter::Length { declared, sent } => {
                let total = sent.saturating_add(len);
                if total > *declared {
                    return Err(Error::BodyLengthMismatch {
                        declared: *declared,
                        sent: total,
                    });
                }
                *sent = total;
                Ok(len > 0)
            }
            BodyWriter::Chunked => Err(Error::InvalidOutgoingFraming(
                "chunked body data must pass through the connection",
            )),
            BodyWriter::UntilClose => Ok(len > 0),
            BodyWriter::Discard => Ok(false),
            BodyWriter::Empty if len == 0 => Ok(false),
            BodyWriter::Empty => Err(Error::BodyNotAllowed),
        }
    }

    /// Appends the end of the message (the last chunk and trailers when chunked).
    pub(crate) fn write_end(&mut self, trailers: &Headers, out: &mut Vec<u8>) -> Result<(), Error> {
        match self {
            BodyWriter::Chunked => {
                validate_fields(trailers)?;
                out.extend_from_slice(b"0\r\n");
                write_fields(trailers, out);
                out.extend_from_slice(b"\r\n");
                Ok(())
            }
            BodyWriter::Discard => Ok(()),
            _ if !trailers.is_empty() => Err(Error::BodyNotAllowed),
            BodyWriter::Length { declared, sent } if sent != declared => {
                Err(Error::BodyLengthMismatch {
                    declared: *declared,
                    sent: *sent,
                })
            }
            _ => Ok(()),
        }
    }
}

fn unreachable_state() -> Result<(), Error> {
    // The connection checks its state before calling a writer; answer sanely anyway.
    Err(Error::BodyNotAllowed)
}

/// Checks every field name is a token and every value is sendable (no CR, LF, NUL).
pub(crate) fn validate_fields(h: &Headers) -> Result<(), Error> {
    for (n, v) in h.iter_raw() {
        if !is_token(n) || !is_sendable_value(v) {
            return Err(Error::InvalidOutgoingField);
        }
    }
    Ok(())
}

/// Appends `name: value\r\n` for every field.
pub(crate) fn write_fields(h: &Headers, out: &mut Vec<u8>) {
    for (n, v) in h.iter_raw() {
        out.extend_from_slice(n);
        out.extend_from_slice(b": ");
        out.extend_from_slice(v);
        out.extend_from_slice(b"\r\n");
    }
}

/// Lowercase hexadecimal, no leading zeros.
pub(crate) fn write_hex(mut n: u64, out: &mut Vec<u8>) {
    let mut tmp = [0u8; 16];
    let mut i = tmp.len();
    loop {
        i -= 1;
        tmp[i] = b"0123456789abcdef"[(n & 15) as usize];
        n >>= 4;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&tmp[i..]);
}

/// Decimal.
pub(crate) fn write_decimal(mut n: u64, out: &mut Vec<u8>) {
    let mut tmp = [0u8; 20];
    let mut i = tmp.len();
    loop {
        i -= 1;
        tmp[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&tmp[i..]);
}
