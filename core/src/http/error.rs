//! Typed errors: what went wrong, and which status code a server answers with.

use std::fmt;

use super::State;

/// Everything that can go wrong on an HTTP/1.1 connection.
///
/// Errors returned by [`Connection::next_event`](super::Connection::next_event) mean the peer
/// broke the protocol (or a [`Limits`](super::Limits) value); the connection is then unusable
/// for reading, [`Connection::their_state`](super::Connection::their_state) is
/// [`State::Error`] and every later `next_event` returns the same error. A server should answer
/// with [`Connection::send_error_response`](super::Connection::send_error_response) (which uses
/// [`Error::status_code`]) and close.
///
/// Errors returned by [`Connection::send`](super::Connection::send) mean the caller asked for
/// something the protocol does not allow; nothing is written and the connection state does not
/// change, so the caller may fix the event and try again. Their `status_code` is 500.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    // ----- received heads -----
    /// The request line is malformed: bad method token, empty or invalid target, wrong spacing. \[400\]
    InvalidRequestLine,
    /// The status line of a response is malformed, or its code is below 100. \[400\]
    InvalidStatusLine,
    /// The HTTP-version is not of the form `HTTP/DIGIT.DIGIT` (`HTTP/1.10`, `HTTP/1`,
    /// `http/1.1`). \[400\]
    InvalidVersion,
    /// The HTTP-version is well formed but its major version is not 1 (`HTTP/2.0`,
    /// `HTTP/0.9`). `HTTP/1.2` and up are read as 1.1 (RFC 9110 §2.5). \[505\]
    UnsupportedVersion,
    /// A header field name contains a byte that is not a token character. \[400\]
    InvalidHeaderName,
    /// A header field value contains a forbidden byte (a control character, a bare CR). \[400\]
    InvalidHeaderValue,
    /// A line of the head ends with a bare CR, or another byte appears where a line ending
    /// belongs. \[400\]
    InvalidLineEnding,
    /// A request header field is continued on the next line by leading whitespace (obs-fold,
    /// RFC 9112 §5.2), or whitespace precedes the first header field. \[400\]
    ObsFold,
    /// The head is longer than [`Limits::max_head_bytes`](super::Limits::max_head_bytes). \[431\]
    HeadTooLarge {
        /// The limit that was exceeded, in bytes.
        limit: usize,
    },
    /// The request target is longer than
    /// [`Limits::max_uri_bytes`](super::Limits::max_uri_bytes). \[414\]
    UriTooLong {
        /// The limit that was exceeded, in bytes.
        limit: usize,
    },
    /// More header (or trailer) fields than
    /// [`Limits::max_headers`](super::Limits::max_headers). \[431\]
    TooManyHeaders {
        /// The limit that was exceeded, in fields.
        limit: usize,
    },
    /// An HTTP/1.1 request has no `Host` header field (RFC 9112 §3.2). \[400\]
    MissingHost,
    /// A request has more than one `Host` header field (RFC 9112 §3.2). \[400\]
    DuplicateHost,
    /// A `Host` value is not `uri-host [ ":" port ]`: userinfo, whitespace, a `/`, a list
    /// (RFC 9112 §3.2). \[400\]
    InvalidHost,
    /// A request carries both `Content-Length` and `Transfer-Encoding`, a classic request
    /// smuggling vector (RFC 9112 §6.1). \[400\]
    ContentLengthWithTransferEncoding,
    /// A `Content-Length` value is not a plain decimal number that fits in 64 bits. \[400\]
    InvalidContentLength,
    /// Several `Content-Length` values disagree (identical repeats are accepted). \[400\]
    DifferingContentLength,
    /// A request's `Transfer-Encoding` does not end in `chunked`, so its length cannot be
    /// determined (RFC 9112 §6.3). \[400\]
    TransferEncodingNotChunked,
    /// A transfer coding other than one `chunked` is used; this implementation only decodes
    /// `chunked` (RFC 9112 §6.1). \[501\]
    UnsupportedTransferCoding,
    /// An HTTP/1.0 message carries `Transfer-Encoding`; its framing is faulty by definition
    /// (RFC 9112 §6.1). \[400\]
    TransferEncodingInHttp10,
    /// A chunk-size line does not start with a hexadecimal number, or has junk after it. \[400\]
    InvalidChunkSize,
    /// A chunk size does not fit in 64 bits. \[400\]
    ChunkSizeOverflow,
    /// A line inside a chunked body does not end in CRLF (bare LF, bare CR, or chunk data longer
    /// than its size). \[400\]
    InvalidChunkFraming,
    /// A chunk extension is longer than
    /// [`Limits::max_chunk_ext_bytes`](super::Limits::max_chunk_ext_bytes). \[400\]
    ChunkExtensionTooLong {
        /// The limit that was exceeded, in bytes.
        limit: usize,
    },
    /// The trailer section is longer than
    /// [`Limits::max_trailer_bytes`](super::Limits::max_trailer_bytes). \[431\]
    TrailersTooLarge {
        /// The limit that was exceeded, in bytes.
        limit: usize,
    },
    /// The trailer section after a chunked body is malformed. \[400\]
    InvalidTrailers,
    /// The body is larger than the body limit for this role
    /// ([`Limits::max_request_body_bytes`](super::Limits::max_request_body_bytes) or
    /// [`Limits::max_response_body_bytes`](super::Limits::max_response_body_bytes)). \[413\]
    BodyTooLarge {
        /// The limit that was exceeded, in bytes.
        limit: u64,
    },
    /// The peer closed the connection in the middle of a message (a partial head, or a body
    /// shorter than its framing promised). \[400\]
    UnexpectedEof,
    /// Client role: the server answered `101 Switching Protocols`; protocol upgrades are not
    /// supported (this connection never asks for one). \[400\]
    UnexpectedSwitchingProtocols,

    // ----- local misuse (returned by `send`) -----
    /// The event cannot be sent in the current state (for example a second response head, or
    /// body data before a head). \[500\]
    WrongState {
        /// What the caller tried to send.
        action: &'static str,
        /// Our state at that moment.
        state: State,
    },
    /// An outgoing method, target, reason phrase, header name or header value contains bytes
    /// that are not allowed there (a CR or LF in a value would allow header injection). \[500\]
    InvalidOutgoingField,
    /// An outgoing status code is outside 100..=999, a final status where an informational one
    /// was expected or the other way round, or `101` (upgrades are not supported). \[500\]
    InvalidStatusCode(u16),
    /// The outgoing framing headers cannot be honoured: both `Content-Length` and
    /// `Transfer-Encoding`, a coding other than `chunked`, chunked towards an HTTP/1.0 peer,
    /// or framing headers on a response that has no body. The text says which. \[500\]
    InvalidOutgoingFraming(&'static str),
    /// More body data than the declared `Content-Length`, or the end of the message before
    /// all of it. \[500\]
    BodyLengthMismatch {
        /// The declared `Content-Length`.
        declared: u64,
        /// How many body bytes were (or would have been) sent.
        sent: u64,
    },
    /// Body data or trailers on a message that cannot have them (a 204 or 304 response, or a
    /// request without body framing). \[500\]
    BodyNotAllowed,
}

impl Error {
    /// The status code a server should answer with when this error comes from the peer's
    /// request: 400, 413, 414, 431, 501 or 505. Errors that only the client role can produce
    /// report 400; local misuse ([`Connection::send`](super::Connection::send) errors) reports
    /// 500.
    pub fn status_code(&self) -> u16 {
        match self {
            Error::UnsupportedVersion => 505,
            Error::HeadTooLarge { .. }
            | Error::TooManyHeaders { .. }
            | Error::TrailersTooLarge { .. } => 431,
            Error::UriTooLong { .. } => 414,
            Error::BodyTooLarge { .. } => 413,
            Error::UnsupportedTransferCoding => 501,
            Error::WrongState { .. }
            | Error::InvalidOutgoingField
            | Error::InvalidStatusCode(_)
            | Error::InvalidOutgoingFraming(_)
            | Error::BodyLengthMismatch { .. }
            | Error::BodyNotAllowed => 500,
            _ => 400,
        }
    }

    /// True when the caller (not the peer) made the mistake: the error came from
    /// [`Connection::send`](super::Connection::send).
    pub fn is_local(&self) -> bool {
        self.status_code() == 500
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::InvalidRequestLine => f.write_str("malformed request line"),
            Error::InvalidStatusLine => f.write_str("malformed status line"),
            Error::InvalidVersion => f.write_str("malformed HTTP version"),
            Error::UnsupportedVersion => f.write_str("HTTP version not supported"),
            Error::InvalidHeaderName => f.write_str("invalid byte in header field name"),
            Error::InvalidHeaderValue => f.write_str("invalid byte in header field value"),
            Error::InvalidLineEnding => f.write_str("invalid line ending in message head"),
            Error::ObsFold => f.write_str("obsolete line folding in request header"),
            Error::HeadTooLarge { limit } => {
                write!(f, "message head larger than {limit} bytes")
            }
            Error::UriTooLong { limit } => write!(f, "request target longer than {limit} bytes"),
            Error::TooManyHeaders { limit } => write!(f, "more than {limit} header fields"),
            Error::MissingHost => f.write_str("HTTP/1.1 request without Host header"),
            Error::DuplicateHost => f.write_str("request with more than one Host header"),
            Error::InvalidHost => f.write_str("invalid Host header"),
            Error::ContentLengthWithTransferEncoding => {
                f.write_str("both Content-Length and Transfer-Encoding present")
            }
            Error::InvalidContentLength => f.write_str("invalid Content-Length value"),
            Error::DifferingContentLength => f.write_str("conflicting Content-Length values"),
            Error::TransferEncodingNotChunked => {
                f.write_str("Transfer-Encoding does not end in chunked")
            }
            Error::UnsupportedTransferCoding => f.write_str("unsupported transfer coding"),
            Error::TransferEncodingInHttp10 => {
                f.write_str("Transfer-Encoding in an HTTP/1.0 message")
            }
            Error::InvalidChunkSize => f.write_str("invalid chunk size"),
            Error::ChunkSizeOverflow => f.write_str("chunk size overflows 64 bits"),
            Error::InvalidChunkFraming => f.write_str("chunked body line not ended by CRLF"),
            Error::ChunkExtensionTooLong { limit } => {
                write!(f, "chunk extension longer than {limit} bytes")
            }
            Error::TrailersTooLarge { limit } => {
                write!(f, "trailer section larger than {limit} bytes")
            }
            Error::InvalidTrailers => f.write_str("malformed trailer section"),
            Error::BodyTooLarge { limit } => write!(f, "body larger than {limit} bytes"),
            Error::UnexpectedEof => f.write_str("connection closed in the middle of a message"),
            Error::UnexpectedSwitchingProtocols => {
                f.write_str("unexpected 101 Switching Protocols response")
            }
            Error::WrongState { action, state } => {
                write!(f, "cannot send {action} in state {state}")
            }
            Error::InvalidOutgoingField => f.write_str("invalid bytes in outgoing message head"),
            Error::InvalidStatusCode(code) => write!(f, "status code {code} not allowed here"),
            Error::InvalidOutgoingFraming(why) => write!(f, "invalid outgoing framing: {why}"),
            Error::BodyLengthMismatch { declared, sent } => write!(
                f,
                "body length mismatch: Content-Length {declared}, body {sent} bytes"
            ),
            Error::BodyNotAllowed => f.write_str("this message cannot have a body"),
        }
    }
}

impl std::error::Error for Error {}
