//! Everything that can go wrong fetching a URL, typed.

use std::fmt;
use std::io;

use crate::http::content_coding::ContentError;
use crate::http::Error;

/// What a client was waiting for when its time ran out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Waiting {
    /// The TCP connection.
    Connect,
    /// The response (head or body).
    Read,
    /// The server to accept the request bytes.
    Write,
    /// The whole response head ([`ClientConfig::head_timeout`](super::ClientConfig::head_timeout)).
    Head,
    /// The whole request ([`ClientConfig::total_timeout`](super::ClientConfig::total_timeout)).
    Total,
}

/// Everything that can go wrong fetching a URL.
#[derive(Debug)]
#[non_exhaustive]
pub enum ClientError {
    /// The URL does not parse, has no host, or a redirect's `Location` cannot be resolved.
    InvalidUrl(String),
    /// The URL's scheme is neither `http` nor `https` (or it is `https` and netloom was built
    /// without its `tls` feature).
    UnsupportedScheme(String),
    /// No TCP connection could be made (refused, unreachable, unknown host...).
    Connect(io::Error),
    /// The server did not answer in time.
    Timeout(Waiting),
    /// Reading from or writing to the connection failed.
    Io(io::Error),
    /// The server's response broke HTTP/1.1 or a configured limit.
    Protocol(Error),
    /// The request cannot be sent as given (a header field with a forbidden byte, say).
    InvalidRequest(Error),
    /// The server closed the connection without sending any byte of a response.
    NoResponse,
    /// More redirects than [`ClientConfig::max_redirects`](super::ClientConfig::max_redirects).
    TooManyRedirects {
        /// The maximum that was allowed.
        max: usize,
    },
    /// A redirect the [`RedirectPolicy`](super::RedirectPolicy) does not follow (an XML-RPC
    /// call is never turned into a `GET` elsewhere).
    RedirectRefused {
        /// The redirect's status.
        status: u16,
        /// Where it pointed (as sent).
        location: String,
    },
    /// More `1xx` responses than
    /// [`ClientConfig::max_informational`](super::ClientConfig::max_informational) before
    /// the final one.
    TooManyInformational {
        /// The maximum that was allowed.
        max: usize,
    },
    /// The server answered with a status the operation cannot accept (for example
    /// `retrieve` of a `404`).
    Status {
        /// The status code.
        code: u16,
        /// The reason phrase the server sent.
        reason: String,
    },
    /// A `gzip` or `deflate` response body is corrupt, truncated, or decodes to more than
    /// [`ClientConfig::max_decoded_body_bytes`](super::ClientConfig::max_decoded_body_bytes).
    Decoding(ContentError),
    /// The server closed the connection before the end of the body.
    BodyIncomplete {
        /// The declared `Content-Length`, if there was one (none for a chunked body).
        expected: Option<u64>,
        /// How many body bytes arrived.
        received: u64,
    },
    /// TLS failed: the certificate, the handshake, an alert, or a body cut short without
    /// `close_notify`.
    #[cfg(feature = "tls")]
    Tls(crate::tls::TlsError),
}

/// Describes an I/O error the way a person would say it.
fn describe_io(e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::ConnectionRefused => "connection refused".into(),
        io::ErrorKind::ConnectionReset => "connection reset by peer".into(),
        io::ErrorKind::ConnectionAborted => "connection aborted".into(),
        io::ErrorKind::BrokenPipe => "the server closed the connection".into(),
        io::ErrorKind::AddrNotAvailable => "address not available".into(),
        io::ErrorKind::PermissionDenied => "permission denied".into(),
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => "timed out".into(),
        _ => e.to_string(),
    }
}

impl fmt::Display for ClientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClientError::InvalidUrl(why) => write!(f, "invalid URL: {why}"),
            ClientError::UnsupportedScheme(s) if s == "https" => {
                f.write_str("https:// needs netloom built with its `tls` feature")
            }
            ClientError::UnsupportedScheme(s) => {
                write!(f, "unsupported URL scheme '{s}' (only http:// and https:// URLs)")
            }
            #[cfg(feature = "tls")]
            ClientError::Tls(e) => e.fmt(f),
            ClientError::Connect(e) => write!(f, "cannot connect: {}", describe_io(e)),
            ClientError::Timeout(Waiting::Connect) => f.write_str("timed out connecting"),
            ClientError::Timeout(Waiting::Read) => {
                f.write_str("timed out waiting for the server")
            }
            ClientError::Timeout(Waiting::Write) => f.write_str("timed out sending the request"),
            ClientError::Timeout(Waiting::Head) => {
                f.write_str("timed out waiting for the response head")
            }
            ClientError::Timeout(Waiting::Total) => {
                f.write_str("the request took longer than its time limit")
            }
            ClientError::Io(e) => f.write_str(&describe_io(e)),
            ClientError::Protocol(e) => write!(f, "bad response: {e}"),
            ClientError::InvalidRequest(e) => write!(f, "invalid request: {e}"),
            ClientError::Decoding(e) => write!(f, "bad response body: {e}"),
            ClientError::NoResponse => {
                f.write_str("the server closed the connection without a response")
            }
            ClientError::TooManyRedirects { max } => {
                write!(f, "too many redirects (more than {max})")
            }
            ClientError::RedirectRefused { status, location } => {
                write!(f, "redirect refused: {status} to {location}")
            }
            ClientError::TooManyInformational { max } => {
                write!(f, "more than {max} informational (1xx) responses")
            }
            ClientError::Status { code, reason } if reason.is_empty() => write!(f, "{code}"),
            ClientError::Status { code, reason } => write!(f, "{code} {reason}"),
            ClientError::BodyIncomplete {
                expected: Some(n),
                received,
            } => write!(
                f,
                "the server closed the connection after {received} of {n} body bytes"
            ),
            ClientError::BodyIncomplete {
                expected: None,
                received,
            } => write!(
                f,
                "the server closed the connection after {received} body bytes, before the end of the body"
            ),
        }
    }
}

/// A copy of the error, so that a body reader can report the same typed error on every read
/// after a failure (an I/O error is copied as its kind and message).
impl Clone for ClientError {
    fn clone(&self) -> Self {
        let io_copy = |e: &io::Error| io::Error::new(e.kind(), e.to_string());
        match self {
            ClientError::InvalidUrl(s) => ClientError::InvalidUrl(s.clone()),
            ClientError::UnsupportedScheme(s) => ClientError::UnsupportedScheme(s.clone()),
            ClientError::Connect(e) => ClientError::Connect(io_copy(e)),
            ClientError::Timeout(w) => ClientError::Timeout(*w),
            ClientError::Io(e) => ClientError::Io(io_copy(e)),
            ClientError::Protocol(e) => ClientError::Protocol(e.clone()),
            ClientError::InvalidRequest(e) => ClientError::InvalidRequest(e.clone()),
            ClientError::NoResponse => ClientError::NoResponse,
            ClientError::TooManyRedirects { max } => ClientError::TooManyRedirects { max: *max },
            ClientError::RedirectRefused { status, location } => ClientError::RedirectRefused {
                status: *status,
                location: location.clone(),
            },
            ClientError::TooManyInformational { max } => {
                ClientError::TooManyInformational { max: *max }
            }
            ClientError::Status { code, reason } => ClientError::Status {
                code: *code,
                reason: reason.clone(),
            },
            ClientError::Decoding(e) => ClientError::Decoding(e.clone()),
            ClientError::BodyIncomplete { expected, received } => ClientError::BodyIncomplete {
                expected: *expected,
                received: *received,
            },
            #[cfg(feature = "tls")]
            ClientError::Tls(e) => ClientError::Tls(e.clone()),
        }
    }
}

impl std::error::Error for ClientError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ClientError::Connect(e) | ClientError::Io(e) => Some(e),
            ClientError::Protocol(e) | ClientError::InvalidRequest(e) => Some(e),
            ClientError::Decoding(e) => Some(e),
            #[cfg(feature = "tls")]
            ClientError::Tls(e) => Some(e),
            _ => None,
        }
    }
}

impl ClientError {
    /// The [`io::ErrorKind`] this error becomes as an [`io::Error`] (see the `From` impl):
    /// `UnexpectedEof` for a cut-short body or no response, `TimedOut`, `InvalidData` for
    /// protocol and decoding errors, `InvalidInput` for URLs, the original kind for I/O and connect
    /// errors, `Other` otherwise.
    pub fn io_kind(&self) -> io::ErrorKind {
        match self {
            ClientError::Io(e) | ClientError::Connect(e) => e.kind(),
            ClientError::BodyIncomplete { .. } | ClientError::NoResponse => {
                io::ErrorKind::UnexpectedEof
            }
            ClientError::Timeout(_) => io::ErrorKind::TimedOut,
            ClientError::Protocol(_) | ClientError::Decoding(_) => io::ErrorKind::InvalidData,
            ClientError::InvalidUrl(_)
            | ClientError::UnsupportedScheme(_)
            | ClientError::InvalidRequest(_) => io::ErrorKind::InvalidInput,
            ClientError::TooManyInformational { .. } => io::ErrorKind::InvalidData,
            #[cfg(feature = "tls")]
            ClientError::Tls(crate::tls::TlsError::Truncated) => io::ErrorKind::UnexpectedEof,
            #[cfg(feature = "tls")]
            ClientError::Tls(_) => io::ErrorKind::InvalidData,
            ClientError::TooManyRedirects { .. }
            | ClientError::RedirectRefused { .. }
            | ClientError::Status { .. } => io::ErrorKind::Other,
        }
    }

    /// Classifies an error from connecting: a timeout is [`ClientError::Timeout`], anything
    /// else [`ClientError::Connect`].
    pub fn from_connect(e: io::Error) -> ClientError {
        match e.kind() {
            io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => {
                ClientError::Timeout(Waiting::Connect)
            }
            _ => ClientError::Connect(e),
        }
    }

    /// Classifies an I/O error from a connected socket while `waiting`: an error that carries
    /// a `ClientError` (see the `From` impl below) gives it back, a timeout is
    /// [`ClientError::Timeout`], anything else [`ClientError::Io`].
    pub fn from_io(e: io::Error, waiting: Waiting) -> ClientError {
        if e.get_ref().is_some_and(|inner| inner.is::<ClientError>()) {
            if let Some(inner) = e.into_inner() {
                return match inner.downcast::<ClientError>() {
                    Ok(ce) => *ce,
                    Err(other) => ClientError::Io(io::Error::other(other)),
                };
            }
            return ClientError::Io(io::Error::other("unknown error"));
        }
        match e.kind() {
            io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => ClientError::Timeout(waiting),
            _ => ClientError::Io(e),
        }
    }
}

/// Lets a body reader's `read` report a client error; [`ClientError::from_io`] gets it
/// back. A cut-short body is [`io::ErrorKind::UnexpectedEof`], a timeout
/// [`io::ErrorKind::TimedOut`]; [`ClientError::Io`] gives back the original error.
impl From<ClientError> for io::Error {
    fn from(e: ClientError) -> io::Error {
        match e {
            ClientError::Io(inner) => inner,
            other => io::Error::new(other.io_kind(), other),
        }
    }
}

/// Lets `?` on a body read (`resp.read_to_end(..)?`) give a `ClientError`: the inverse of
/// the conversion above, as [`ClientError::from_io`] with [`Waiting::Read`].
impl From<io::Error> for ClientError {
    fn from(e: io::Error) -> ClientError {
        ClientError::from_io(e, Waiting::Read)
    }
}
