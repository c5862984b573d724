//! The event vocabulary: what [`Connection::next_event`](super::Connection::next_event)
//! returns and what [`Connection::send`](super::Connection::send) takes.

use std::fmt;

use super::headers::{Headers, HeadersRef};

/// The HTTP version of a message. Only 1.0 and 1.1 exist on this connection: `HTTP/1.2` to
/// `HTTP/1.9` are read as 1.1 (RFC 9110 §2.5), another major version is
/// [`Error::UnsupportedVersion`](super::Error::UnsupportedVersion) and anything that is not
/// `HTTP/DIGIT.DIGIT` is [`Error::InvalidVersion`](super::Error::InvalidVersion).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Version {
    /// `HTTP/1.0`: no chunked coding, no keep-alive unless asked for.
    Http10,
    /// `HTTP/1.1`.
    Http11,
}

impl Version {
    /// The version as it appears on the wire, e.g. `"HTTP/1.1"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Version::Http10 => "HTTP/1.0",
            Version::Http11 => "HTTP/1.1",
        }
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One event on an HTTP/1.1 connection, in either direction.
///
/// A message is always `Request`/`Response`, then zero or more `Data`, then exactly one
/// `EndOfMessage` — even when the body is empty. Any number of `InformationalResponse`s may
/// precede a `Response`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A request head (method, target, version, header fields).
    Request(Request),
    /// A 1xx response head (for example `100 Continue`); the final response follows.
    /// `101 Switching Protocols` is not supported.
    InformationalResponse(Response),
    /// The final (status 200..=999) response head.
    Response(Response),
    /// A piece of body data, after transfer decoding. Received data is copied once, from the
    /// input buffer into this vector (not at all when the whole buffer is body data).
    /// Sending an empty `Data` is a no-op.
    Data(Vec<u8>),
    /// The end of the current message, with its trailer fields (empty unless the body was
    /// chunked and the peer sent trailers). Sending non-empty trailers needs chunked framing.
    EndOfMessage(Headers),
    /// Received: the peer closed its side (EOF at a message boundary). Sent: we are about to
    /// close; our state becomes [`State::Closed`](super::State::Closed) and nothing is written.
    ConnectionClosed,
}

/// A request head.
///
/// Storage is one buffer for the request line and all fields. Build one with
/// [`Request::new`] and [`header`](Request::header):
///
/// ```
/// use netloom_core::http::Request;
/// let req = Request::new("POST", "/RPC2")
///     .header("Host", "example.com")
///     .header("Content-Length", "0");
/// assert_eq!(req.method(), "POST");
/// assert_eq!(req.headers().get_str("host"), Some("example.com"));
/// ```
#[derive(Clone)]
pub struct Request {
    pub(crate) storage: Headers,
    pub(crate) method: (usize, usize),
    pub(crate) target: (usize, usize),
    pub(crate) version: Version,
}

fn text(buf: &[u8], r: (usize, usize)) -> &str {
    buf.get(r.0..r.1)
        .and_then(|b| std::str::from_utf8(b).ok())
        .unwrap_or("")
}

impl Request {
    /// A new HTTP/1.1 request head without header fields. Method and target are validated when
    /// sent.
    pub fn new(method: &str, target: &str) -> Self {
        let mut buf = Vec::with_capacity(method.len() + target.len() + 64);
        buf.extend_from_slice(method.as_bytes());
        buf.extend_from_slice(target.as_bytes());
        let m = method.len();
        Request {
            storage: Headers::from_parts(buf, Vec::new()),
            method: (0, m),
            target: (m, m + target.len()),
            version: Version::Http11,
        }
    }

    pub(crate) fn from_parsed(
        storage: Headers,
        method: (usize, usize),
        target: (usize, usize),
        version: Version,
    ) -> Self {
        Request {
            storage,
            method,
            target,
            version,
        }
    }

    /// The method, e.g. `"GET"` (case-sensitive, as sent).
    pub fn method(&self) -> &str {
        text(&self.storage.buf, self.method)
    }

    /// The request target, e.g. `"/index.html?q=1"`.
    pub fn target(&self) -> &str {
        text(&self.storage.buf, self.target)
    }

    /// The target's path, as sent (`%XX` escapes kept), without the query: `/a%20b` for
    /// `/a%20b?x=1`; for an absolute-form target (`http://host/p`), the part after the host.
    /// See [`target`](super::target).
    pub fn path(&self) -> &str {
        super::target::split(self.target()).0
    }

    /// The path percent-decoded (`/a b` for `/a%20b`), or `None` when it does not decode to
    /// UTF-8 without NULs: answer such a request 400 (or 404). Borrowed when nothing is
    /// escaped.
    pub fn decoded_path(&self) -> Option<std::borrow::Cow<'_, str>> {
        super::target::decode_path(self.path())
    }

    /// The target's query, as sent, without the `?`: `x=1&y=2` for `/p?x=1&y=2`.
    pub fn query(&self) -> Option<&str> {
        super::target::split(self.target()).1
    }

    /// The query's `name=value` pairs decoded as a form (`+` is a space), in order.
    pub fn query_pairs(&self) -> super::target::QueryPairs<'_> {
        super::target::QueryPairs::new(self.query())
    }

    /// The first value of the query parameter `name`, decoded.
    pub fn query_param(&self, name: &str) -> Option<std::borrow::Cow<'_, str>> {
        self.query_pairs().find(|(n, _)| n == name).map(|(_, v)| v)
    }

    /// The HTTP version.
    pub fn version(&self) -> Version {
        self.version
    }

    /// Sets the version to send (default 1.1). An HTTP/1.0 request cannot use chunked framing.
    pub fn set_version(&mut self, version: Version) {
        self.version = version;
    }

    /// The header fields.
    pub fn headers(&self) -> &Headers {
        &self.storage
    }

    /// Appends a header field (see [`Headers::push`]).
    pub fn push_header(&mut self, name: &str, value: impl AsRef<[u8]>) {
        self.storage.push(name, value);
    }

    /// Builder form of [`push_header`](Request::push_header).
    pub fn header(mut self, name: &str, value: impl AsRef<[u8]>) -> Self {
        self.storage.push(name, value);
        self
    }

    /// Removes every header field called `name`; returns how many were removed.
    pub fn remove_header(&mut self, name: &str) -> usize {
        self.storage.remove(name)
    }
}

impl PartialEq for Request {
    fn eq(&self, other: &Self) -> bool {
        self.method() == other.method()
            && self.target() == other.target()
            && self.version == other.version
            && self.storage == other.storage
    }
}

impl Eq for Request {}

impl fmt::Debug for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Request")
            .field("method", &self.method())
            .field("target", &self.target())
            .field("version", &self.version)
            .field("headers", &self.storage)
            .finish()
    }
}

/// A response head (final or informational).
///
/// ```
/// use netloom_core::http::Response;
/// let resp = Response::new(404).header("Content-Length", "0");
/// assert_eq!(resp.reason(), "Not Found");
/// ```
#[derive(Clone)]
pub struct Response {
    pub(crate) storage: Headers,
    pub(crate) status: u16,
    pub(crate) reason: Reason,
    pub(crate) version: Version,
}

/// Where a response's reason phrase lives.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Reason {
    /// The standard phrase of the status (no allocation for `Response::new`).
    Standard,
    /// A range of the storage buffer.
    Stored(usize, usize),
}

impl Response {
    /// A response with the standard reason phrase for `status` (empty for unknown codes).
    pub fn new(status: u16) -> Self {
        Response {
            storage: Headers::new(),
            status,
            reason: Reason::Standard,
            version: Version::Http11,
        }
    }

    /// A response with a custom reason phrase (validated when sent).
    pub fn with_reason(status: u16, reason: &str) -> Self {
        let mut buf = Vec::with_capacity(reason.len() + 64);
        buf.extend_from_slice(reason.as_bytes());
        Response {
            storage: Headers::from_parts(buf, Vec::new()),
            status,
            reason: Reason::Stored(0, reason.len()),
            version: Version::Http11,
        }
    }

    pub(crate) fn from_parsed(
        storage: Headers,
        status: u16,
        reason: (usize, usize),
        version: Version,
    ) -> Self {
        Response {
            storage,
            status,
            reason: Reason::Stored(reason.0, reason.1),
            version,
        }
    }

    /// The status code.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The reason phrase (may be empty).
    pub fn reason(&self) -> &str {
        match self.reason {
            Reason::Standard => reason_phrase(self.status),
            Reason::Stored(a, b) => text(&self.storage.buf, (a, b)),
        }
    }

    /// True when the reason phrase is the status code's standard one (built by
    /// [`Response::new`]), so its status line can come from a table.
    pub(crate) fn has_standard_reason(&self) -> bool {
        matches!(self.reason, Reason::Standard)
    }

    /// The HTTP version the peer sent. Outgoing responses are always written as `HTTP/1.1`
    /// (RFC 9110 §6.2: a server sends its own highest version), whatever this says.
    pub fn version(&self) -> Version {
        self.version
    }

    /// The header fields.
    pub fn headers(&self) -> &Headers {
        &self.storage
    }

    /// Appends a header field (see [`Headers::push`]).
    pub fn push_header(&mut self, name: &str, value: impl AsRef<[u8]>) {
        self.storage.push(name, value);
    }

    /// Builder form of [`push_header`](Response::push_header).
    pub fn header(mut self, name: &str, value: impl AsRef<[u8]>) -> Self {
        self.storage.push(name, value);
        self
    }

    /// Removes every header field called `name`; returns how many were removed.
    pub fn remove_header(&mut self, name: &str) -> usize {
        self.storage.remove(name)
    }
}

impl PartialEq for Response {
    fn eq(&self, other: &Self) -> bool {
        self.status == other.status
            && self.reason() == other.reason()
            && self.version == other.version
            && self.storage == other.storage
    }
}

impl Eq for Response {}

impl fmt::Debug for Response {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Response")
            .field("status", &self.status)
            .field("reason", &self.reason())
            .field("version", &self.version)
            .field("headers", &self.storage)
            .finish()
    }
}

/// The status codes with a standard reason phrase (RFC 9110 §15), and from the same table
/// their complete `HTTP/1.1` status lines, so a standard response head starts with one copy.
macro_rules! status_table {
    ($($code:literal => $phrase:literal,)*) => {
        /// An event borrowed from a [`Connection`](super::Connection)'s input buffer, as
/// [`Connection::next_event_ref`](super::Connection::next_event_ref) returns it: the same
/// vocabulary as [`Event`], without copying heads or body data.
#[derive(Debug, Clone, Copy)]
pub enum EventRef<'a> {
    /// A request head.
    Request(RequestRef<'a>),
    /// A 1xx response head.
    InformationalResponse(ResponseRef<'a>),
    /// The final response head.
    Response(ResponseRef<'a>),
    /// A piece of body data, after transfer decoding.
    Data(&'a [u8]),
    /// The end of the current message, with its trailer fields.
    EndOfMessage(HeadersRef<'a>),
    /// The peer closed its side (EOF at a message boundary).
    ConnectionClosed,
}

impl EventRef<'_> {
    /// An owned copy, equal to what [`Connection::next_event`](super::Connection::next_event)
    /// would have returned.
    pub fn to_event(&self) -> Event {
        match self {
            EventRef::Request(r) => Event::Request(r.to_request()),
            EventRef::InformationalResponse(r) => Event::InformationalResponse(r.to_response()),
            EventRef::Response(r) => Event::Response(r.to_response()),
            EventRef::Data(d) => Event::Data(d.to_vec()),
            EventRef::EndOfMessage(t) => Event::EndOfMessage(t.to_headers()),
            EventRef::ConnectionClosed => Event::ConnectionClosed,
        }
    }
}

/// A request head borrowed from a connection's input buffer (see [`EventRef`]).
#[derive(Clone, Copy)]
pub struct RequestRef<'a> {
    head: HeadersRef<'a>,
    method: (usize, usize),
    target: (usize, usize),
    version: Version,
}

impl<'a> RequestRef<'a> {
    pub(crate) fn new(
        head: HeadersRef<'a>,
        method: (usize, usize),
        target: (usize, usize),
        version: Version,
    ) -> Self {
        RequestRef {
            head,
            method,
            target,
            version,
        }
    }

    /// The method, e.g. `"GET"`.
    pub fn method(&self) -> &'a str {
        text(self.head.bytes(), self.method)
    }

    /// The request target, e.g. `"/index.html?q=1"`.
    pub fn target(&self) -> &'a str {
        text(self.head.bytes(), self.target)
    }

    /// The HTTP version.
    pub fn version(&self) -> Version {
        self.version
    }

    /// The header fields.
    pub fn headers(&self) -> HeadersRef<'a> {
        self.head
    }

    /// An owned copy (one allocation for the head and its field table).
    pub fn to_request(&self) -> Request {
        Request::from_parsed(self.head.to_headers(), self.method, self.target, self.version)
    }
}

impl fmt::Debug for RequestRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequestRef")
            .field("method", &self.method())
            .field("target", &self.target())
            .field("version", &self.version)
            .field("headers", &self.head)
            .finish()
    }
}

/// A response head borrowed from a connection's input buffer (see [`EventRef`]).
#[derive(Clone, Copy)]
pub struct ResponseRef<'a> {
    head: HeadersRef<'a>,
    status: u16,
    reason: (usize, usize),
    version: Version,
}

impl<'a> ResponseRef<'a> {
    pub(crate) fn new(
        head: HeadersRef<'a>,
        status: u16,
        reason: (usize, usize),
        version: Version,
    ) -> Self {
        ResponseRef {
            head,
            status,
            reason,
            version,
        }
    }

    /// The status code.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The reason phrase as received (may be empty).
    pub fn reason(&self) -> &'a str {
        text(self.head.bytes(), self.reason)
    }

    /// The HTTP version the peer sent.
    pub fn version(&self) -> Version {
        self.version
    }

    /// The header fields.
    pub fn headers(&self) -> HeadersRef<'a> {
        self.head
    }

    /// An owned copy (one allocation for the head and its field table).
    pub fn to_response(&self) -> Response {
        Response::from_parsed(self.head.to_headers(), self.status, self.reason, self.version)
    }
}

impl fmt::Debug for ResponseRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponseRef")
            .field("status", &self.status)
            .field("reason", &self.reason())
            .field("version", &self.version)
            .field("headers", &self.head)
            .finish()
    }
}

/// The standard reason phrase for a status code (RFC 9110 §15), or `""` if unknown.
        pub fn reason_phrase(status: u16) -> &'static str {
            match status {
                $($code => $phrase,)*
                _ => "",
            }
        }

        /// `HTTP/1.1 <status> <standard phrase>\r\n\r\n`, a whole head without fields, for a
        /// status with a standard phrase; the status line is all of it but the last two bytes.
        pub(crate) fn standard_bare_head(status: u16) -> Option<&'static [u8]> {
            match status {
                $($code => Some(concat!("HTTP/1.1 ", $code, " ", $phrase, "\r\n\r\n").as_bytes()),)*
                _ => None,
            }
        }
    };
}

status_table! {
    100 => "Continue",
    101 => "Switching Protocols",
    103 => "Early Hints",
    200 => "OK",
    201 => "Created",
    202 => "Accepted",
    203 => "Non-Authoritative Information",
    204 => "No Content",
    205 => "Reset Content",
    206 => "Partial Content",
    300 => "Multiple Choices",
    301 => "Moved Permanently",
    302 => "Found",
    303 => "See Other",
    304 => "Not Modified",
    307 => "Temporary Redirect",
    308 => "Permanent Redirect",
    400 => "Bad Request",
    401 => "Unauthorized",
    403 => "Forbidden",
    404 => "Not Found",
    405 => "Method Not Allowed",
    406 => "Not Acceptable",
    408 => "Request Timeout",
    409 => "Conflict",
    410 => "Gone",
    411 => "Length Required",
    412 => "Precondition Failed",
    413 => "Content Too Large",
    414 => "URI Too Long",
    415 => "Unsupported Media Type",
    416 => "Range Not Satisfiable",
    417 => "Expectation Failed",
    422 => "Unprocessable Content",
    426 => "Upgrade Required",
    429 => "Too Many Requests",
    431 => "Request Header Fields Too Large",
    500 => "Internal Server Error",
    501 => "Not Implemented",
    502 => "Bad Gateway",
    503 => "Service Unavailable",
    504 => "Gateway Timeout",
    505 => "HTTP Version Not Supported",
}
