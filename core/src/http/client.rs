//! The HTTP client's pure logic, shared by every runtime: URL targets, request heads,
//! redirect rules, typed client errors, configuration, and [`Exchange`], a sans-IO
//! request/response cycle over a client-role [`Connection`].
//!
//! A runtime's client is a thin loop around these pieces:
//!
//! 1. [`Target::parse`] the URL (`http://` only), connect to [`Target::host`] and
//!    [`Target::port`] (or take an idle pooled connection),
//! 2. [`Exchange::start`] with [`build_request`] and write the bytes it produced,
//! 3. feed what the socket reads to [`Exchange::receive`] / [`Exchange::receive_eof`] while
//!    [`Exchange::step`] says [`Step::NeedInput`]; it yields the head, then body chunks,
//!    then [`Step::End`] saying whether the socket may go back to the pool,
//! 4. ask [`Redirects::follow`] whether the response sends us elsewhere.
//!
//! ```
//! use netloom_core::http::client::{build_request, ClientConfig, Exchange, Step, Target};
//!
//! let target = Target::parse("http://example.com/a?b#frag").unwrap();
//! assert_eq!((target.host(), target.port()), ("example.com", 80));
//! let config = ClientConfig::default();
//! let mut ex = Exchange::new(config.limits.clone());
//! let mut out = Vec::new();
//! ex.start(build_request(&config, "GET", &target, None), &[], &mut out).unwrap();
//! assert!(out.starts_with(b"GET /a?b HTTP/1.1\r\n"));
//!
//! ex.receive(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi");
//! let Step::Head(resp) = ex.step().unwrap() else { panic!() };
//! assert_eq!(resp.status(), 200);
//! assert_eq!(ex.step().unwrap(), Step::Data(b"hi".to_vec()));
//! assert_eq!(ex.step().unwrap(), Step::End { reusable: true });
//! ```

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The URL type ([`url::Url`]), re-exported so runtimes and users need no `url` dependency.
pub use url::Url;

use super::content_coding::{self, Coding, ContentError, Decoder};
use super::{Connection, Error, Event, Headers, Limits, Request, Response, Role};

/// Where an `http://` URL points: the address to connect to and what to put in the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    url: Url,
    host: String,
    port: u16,
    host_header: String,
    request_target: String,
}

impl Target {
    /// Parses `url`. Only `http://` is accepted: `https://` is
    /// [`ClientError::UnsupportedScheme`] (not supported yet), as is any other scheme; a URL
    /// that does not parse or has no host is [`ClientError::InvalidUrl`].
    pub fn parse(url: &str) -> Result<Target, ClientError> {
        let parsed = Url::parse(url.trim()).map_err(|e| match e {
            url::ParseError::RelativeUrlWithoutBase => {
                ClientError::InvalidUrl(format!("'{url}' has no scheme (try http://{url})"))
            }
            other => ClientError::InvalidUrl(format!("'{url}': {other}")),
        })?;
        Target::from_url(parsed)
    }

    /// Checks an already parsed URL (say, a redirect's) the same way as [`Target::parse`].
    pub fn from_url(url: Url) -> Result<Target, ClientError> {
        match url.scheme() {
            "http" => {}
            other => return Err(ClientError::UnsupportedScheme(other.to_owned())),
        }
        let host = match url.host() {
            Some(url::Host::Domain(d)) if !d.is_empty() => d.to_owned(),
            Some(url::Host::Ipv4(a)) => a.to_string(),
            Some(url::Host::Ipv6(a)) => a.to_string(),
            _ => return Err(ClientError::InvalidUrl(format!("'{url}' has no host"))),
        };
        let port = url.port_or_known_default().unwrap_or(80);
        let host_str = url.host_str().unwrap_or(&host);
        let host_header = match url.port() {
            Some(p) => format!("{host_str}:{p}"),
            None => host_str.to_owned(),
        };
        let mut request_target = url.path().to_owned();
        if request_target.is_empty() {
            request_target.push('/');
        }
        if let Some(q) = url.query() {
            request_target.push('?');
            request_target.push_str(q);
        }
        Ok(Target {
            url,
            host,
            port,
            host_header,
            request_target,
        })
    }

    /// The URL itself (with its fragment, which is never sent).
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// The host to connect to: a name, or an IP address (IPv6 without brackets).
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The port to connect to (80 unless the URL says otherwise).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The `Host` header value: the host as written in the URL, with `:port` unless it is 80.
    pub fn host_header(&self) -> &str {
        &self.host_header
    }

    /// The origin-form request target: path and query, no fragment (RFC 9112 §3.2.1).
    pub fn request_target(&self) -> &str {
        &self.request_target
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.url.as_str())
    }
}

/// Settings of an HTTP client. Start from [`ClientConfig::default`] and change what you need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientConfig {
    /// How long to wait for a TCP connection to one address. Default 10 s; zero waits as
    /// long as the operating system does.
    pub connect_timeout: Duration,
    /// How long one read (or write) may wait for the server. Default 30 s; zero means no
    /// timeout.
    pub read_timeout: Duration,
    /// How many redirects to follow before [`ClientError::TooManyRedirects`]. Default 10.
    pub max_redirects: usize,
    /// Limits on responses (head size, header count, body size...). Default: the core's
    /// defaults, which put no bound on a (streamed) response body.
    pub limits: Limits,
    /// The `User-Agent` header. Default `netloom/<version>`.
    pub user_agent: String,
    /// Extra request header fields. A field here replaces a default field of the same name
    /// (`Accept-Encoding`, `Accept`, `User-Agent`, `Connection`...).
    pub headers: Vec<(String, String)>,
    /// Idle keep-alive connections kept per host and port for reuse. Default 8; 0 disables
    /// reuse.
    pub max_idle_per_host: usize,
    /// Most bytes a `gzip` or `deflate` response body may decode to (the client asks for
    /// those codings and undoes them; see [`Exchange`]); past it the body fails with
    /// [`ClientError::Decoding`], so a small compressed "bomb" cannot fill a disk or
    /// memory. Default 1 GiB.
    pub max_decoded_body_bytes: u64,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            connect_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(30),
            max_redirects: 10,
            limits: Limits::default(),
            user_agent: concat!("netloom/", env!("CARGO_PKG_VERSION")).to_owned(),
            headers: Vec::new(),
            max_idle_per_host: 8,
            max_decoded_body_bytes: 1 << 30,
        }
    }
}

/// The request head for `method` on `target`: `Host`, `User-Agent`, `Accept: */*`,
/// `Accept-Encoding: gzip, deflate` (an [`Exchange`] undoes those codings), `Connection:
/// keep-alive`, then the config's extra headers (each replacing a default of the same name:
/// `Accept-Encoding: identity` asks for bodies as they are), and `Content-Length` when
/// `body_len` is given.
pub fn build_request(
    config: &ClientConfig,
    method: &str,
    target: &Target,
    body_len: Option<u64>,
) -> Request {
    let mut req = Request::new(method, target.request_target())
        .header("Host", target.host_header())
        .header("User-Agent", &config.user_agent)
        .header("Accept", "*/*")
        .header("Accept-Encoding", "gzip, deflate")
        .header("Connection", "keep-alive");
    for (name, _) in &config.headers {
        req.remove_header(name);
    }
    for (name, value) in &config.headers {
        req.push_header(name, value);
    }
    if let Some(len) = body_len {
        req.remove_header("Content-Length");
        req.push_header("Content-Length", len.to_string());
    }
    req
}

/// The `Content-Length` to declare for a request body of `len` bytes: none for an empty
/// body on a method that normally has none (`GET`, `HEAD`, `DELETE`, `OPTIONS`, `TRACE`),
/// `len` otherwise (so an empty `POST` says `Content-Length: 0`).
pub fn body_length(method: &str, len: usize) -> Option<u64> {
    let bodiless = matches!(method, "GET" | "HEAD" | "DELETE" | "OPTIONS" | "TRACE");
    if len == 0 && bodiless {
        None
    } else {
        Some(len as u64)
    }
}

/// Where a redirect sends the client next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redirect {
    /// The next URL (a relative `Location` resolved against the current URL).
    pub url: Url,
    /// The method of the next request.
    pub method: String,
    /// Whether the next request carries the same body (307 and 308 only).
    pub keep_body: bool,
}

/// True for the statuses the client follows: 301, 302, 303, 307 and 308.
pub fn is_redirect(status: u16) -> bool {
    matches!(status, 301 | 302 | 303 | 307 | 308)
}

/// The redirect rule, as a pure function of the current URL and method, the response status
/// and its `Location` (RFC 9110 §15.4, as urllib and browsers apply it):
///
/// - not 301/302/303/307/308, or no `Location`: `Ok(None)`, the response is final;
/// - 301, 302: a `POST` becomes a `GET` without body; other methods are kept;
/// - 303: `GET` without body (a `HEAD` stays `HEAD`);
/// - 307, 308: same method, same body.
///
/// A relative `Location` is resolved against `current`; a `Location` without a fragment
/// inherits `current`'s (RFC 9110 §10.2.2). A `Location` that cannot be resolved is
/// [`ClientError::InvalidUrl`]. The scheme of the result is not checked here.
pub fn redirect(
    current: &Url,
    method: &str,
    status: u16,
    location: Option<&str>,
) -> Result<Option<Redirect>, ClientError> {
    if !is_redirect(status) {
        return Ok(None);
    }
    let Some(location) = location.map(str::trim).filter(|l| !l.is_empty()) else {
        return Ok(None);
    };
    let mut url = current.join(location).map_err(|e| {
        ClientError::InvalidUrl(format!("redirect to '{location}' (from {current}): {e}"))
    })?;
    if url.fragment().is_none() {
        url.set_fragment(current.fragment());
    }
    let (method, keep_body) = match status {
        303 if method == "HEAD" => ("HEAD".to_owned(), false),
        303 => ("GET".to_owned(), false),
        301 | 302 if method == "POST" => ("GET".to_owned(), false),
        301 | 302 => (method.to_owned(), false),
        _ => (method.to_owned(), true),
    };
    Ok(Some(Redirect {
        url,
        method,
        keep_body,
    }))
}

/// Counts the redirects of one request against a maximum.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redirects {
    max: usize,
    followed: usize,
}

impl Redirects {
    /// Allows at most `max` redirects.
    pub fn new(max: usize) -> Self {
        Redirects { max, followed: 0 }
    }

    /// How many redirects were followed so far.
    pub fn followed(&self) -> usize {
        self.followed
    }

    /// Applies [`redirect`] to a response and counts the hop: `Ok(None)` when the response
    /// is final, [`ClientError::TooManyRedirects`] when one more hop would exceed the
    /// maximum.
    pub fn follow(
        &mut self,
        current: &Url,
        method: &str,
        response: &Response,
    ) -> Result<Option<Redirect>, ClientError> {
        let location = response
            .headers()
            .get("Location")
            .map(|l| String::from_utf8_lossy(l).into_owned());
        let next = redirect(current, method, response.status(), location.as_deref())?;
        if next.is_some() {
            if self.followed >= self.max {
                return Err(ClientError::TooManyRedirects { max: self.max });
            }
            self.followed += 1;
        }
        Ok(next)
    }
}

/// What a client was waiting for when its time ran out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Waiting {
    /// The TCP connection.
    Connect,
    /// The response (head or body).
    Read,
    /// The server to accept the request bytes.
    Write,
}

/// Everything that can go wrong fetching a URL.
#[derive(Debug)]
#[non_exhaustive]
pub enum ClientError {
    /// The URL does not parse, has no host, or a redirect's `Location` cannot be resolved.
    InvalidUrl(String),
    /// The URL's scheme is not `http` (`https` is not supported yet).
    UnsupportedScheme(String),
    /// No TCP connection could be made (refused, unreachable, unknown host...).
    Connect(io::Error),
    /// The server did not answer in time.
    Timeout(Waiting),
    /// Reading from or writing to the connection failed.
    Io(io::Error),
    /// The server's response broke HTTP/1.1 or a configured limit.
    Protocol(Error),
    /// The server closed the connection without sending any byte of a response.
    NoResponse,
    /// More redirects than [`ClientConfig::max_redirects`].
    TooManyRedirects {
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
    /// [`ClientConfig::max_decoded_body_bytes`].
    Decoding(ContentError),
    /// The server closed the connection before the end of the body.
    BodyIncomplete {
        /// The declared `Content-Length`, if there was one (none for a chunked body).
        expected: Option<u64>,
        /// How many body bytes arrived.
        received: u64,
    },
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
                f.write_str("https:// is not supported yet (only http:// URLs)")
            }
            ClientError::UnsupportedScheme(s) => {
                write!(f, "unsupported URL scheme '{s}' (only http:// URLs)")
            }
            ClientError::Connect(e) => write!(f, "cannot connect: {}", describe_io(e)),
            ClientError::Timeout(Waiting::Connect) => f.write_str("timed out connecting"),
            ClientError::Timeout(Waiting::Read) => {
                f.write_str("timed out waiting for the server")
            }
            ClientError::Timeout(Waiting::Write) => f.write_str("timed out sending the request"),
            ClientError::Io(e) => f.write_str(&describe_io(e)),
            ClientError::Protocol(e) => write!(f, "bad response: {e}"),
            ClientError::Decoding(e) => write!(f, "bad response body: {e}"),
            ClientError::NoResponse => {
                f.write_str("the server closed the connection without a response")
            }
            ClientError::TooManyRedirects { max } => {
                write!(f, "too many redirects (more than {max})")
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

impl std::error::Error for ClientError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ClientError::Connect(e) | ClientError::Io(e) => Some(e),
            ClientError::Protocol(e) => Some(e),
            ClientError::Decoding(e) => Some(e),
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
            ClientError::InvalidUrl(_) | ClientError::UnsupportedScheme(_) => {
                io::ErrorKind::InvalidInput
            }
            ClientError::TooManyRedirects { .. } | ClientError::Status { .. } => {
                io::ErrorKind::Other
            }
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

/// One step of an [`Exchange`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Nothing more until the socket gives more bytes (or EOF).
    NeedInput,
    /// The final response head (1xx responses are skipped).
    Head(Response),
    /// A piece of the body.
    Data(Vec<u8>),
    /// The response is complete. `reusable`: the connection may carry another request (send
    /// it back to the pool); otherwise close it.
    End {
        /// Whether the connection can be reused.
        reusable: bool,
    },
}

/// Decoded body bytes one [`Step::Data`] carries at most.
const DECODED_CHUNK: usize = 64 * 1024;

/// One request/response cycle over a client-role [`Connection`], without I/O.
///
/// Turns the connection's events into the client's view: EOF before any response byte is
/// [`ClientError::NoResponse`] (on a reused connection, retry on a fresh one: see
/// [`is_stale`](Exchange::is_stale)), EOF inside the body is
/// [`ClientError::BodyIncomplete`], a protocol violation is [`ClientError::Protocol`].
///
/// A response body in a content coding the request asked for (`Accept-Encoding`, which
/// [`build_request`] sets to `gzip, deflate`) is decoded: its [`Step::Data`] carry decoded
/// bytes (at most 64 KiB each, whatever the data inflates to), the head returned has no
/// `Content-Encoding` and no `Content-Length` (they described the coded body), and corrupt,
/// truncated or oversized data is [`ClientError::Decoding`]. A coding the request did not
/// ask for is passed through with its headers.
#[derive(Debug)]
pub struct Exchange {
    conn: Connection,
    head_request: bool,
    got_bytes: bool,
    head_seen: bool,
    finished: bool,
    expected: Option<u64>,
    received: u64,
    /// The codings the request accepted.
    accepted: Accepted,
    /// Most bytes a coded body may decode to.
    max_decoded: u64,
    /// Set while a coded body is decoded.
    decoder: Option<Decoder>,
    /// Coded bytes received and not yet decoded (from `pending_pos`).
    pending: Vec<u8>,
    pending_pos: usize,
    /// The coded body ended; what the decoder holds is still to come out.
    coded_end: bool,
}

/// Which content codings a request's `Accept-Encoding` allows.
#[derive(Debug, Clone, Copy, Default)]
struct Accepted {
    gzip: bool,
    deflate: bool,
}

impl Exchange {
    /// A fresh exchange on a new client connection state (one per request, also on a
    /// reused socket: the previous cycle left nothing behind, or it was not reusable).
    /// Coded bodies decode to at most [`ClientConfig::max_decoded_body_bytes`]'s default.
    pub fn new(limits: Limits) -> Self {
        Exchange::with_decoded_limit(limits, ClientConfig::default().max_decoded_body_bytes)
    }

    /// An exchange under `config`'s limits and decoding cap.
    pub fn for_config(config: &ClientConfig) -> Self {
        Exchange::with_decoded_limit(config.limits.clone(), config.max_decoded_body_bytes)
    }

    /// An exchange whose coded bodies may decode to at most `max_decoded` bytes.
    pub fn with_decoded_limit(limits: Limits, max_decoded: u64) -> Self {
        Exchange {
            conn: Connection::new(Role::Client, limits),
            head_request: false,
            got_bytes: false,
            head_seen: false,
            finished: false,
            expected: None,
            received: 0,
            accepted: Accepted::default(),
            max_decoded,
            decoder: None,
            pending: Vec::new(),
            pending_pos: 0,
            coded_end: false,
        }
    }

    /// Appends the bytes of `request` and `body` to `out`. With a body, give the request a
    /// `Content-Length` ([`build_request`] does).
    pub fn start(
        &mut self,
        request: Request,
        body: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<(), ClientError> {
        self.head_request = request.method() == "HEAD";
        self.accepted = Accepted {
            gzip: content_coding::accepts(request.headers(), Coding::Gzip),
            deflate: content_coding::accepts(request.headers(), Coding::Deflate),
        };
        self.conn
            .send(Event::Request(request), out)
            .map_err(ClientError::Protocol)?;
        if !body.is_empty() {
            self.conn
                .send_data(body, out)
                .map_err(ClientError::Protocol)?;
        }
        self.conn
            .send(Event::EndOfMessage(Headers::new()), out)
            .map_err(ClientError::Protocol)
    }

    /// Buffers bytes read from the socket.
    pub fn receive(&mut self, data: &[u8]) {
        if !data.is_empty() {
            self.got_bytes = true;
        }
        self.conn.receive(data);
    }

    /// Records that the server closed the connection.
    pub fn receive_eof(&mut self) {
        self.conn.receive_eof();
    }

    /// The next step. Call until it says [`Step::NeedInput`] (read more) or [`Step::End`];
    /// after `End` it keeps returning `End`.
    pub fn step(&mut self) -> Result<Step, ClientError> {
        if self.finished {
            return Ok(Step::End {
                reusable: self.reusable(),
            });
        }
        loop {
            if let Some(decoded) = self.decode_pending()? {
                return Ok(Step::Data(decoded));
            }
            if self.coded_end {
                if let Some(decoder) = self.decoder.take() {
                    decoder.finish().map_err(ClientError::Decoding)?;
                }
                self.finished = true;
                return Ok(Step::End {
                    reusable: self.reusable(),
                });
            }
            let event = match self.conn.next_event() {
                Ok(ev) => ev,
                Err(Error::UnexpectedEof) if self.head_seen => {
                    return Err(ClientError::BodyIncomplete {
                        expected: self.expected,
                        received: self.received,
                    })
                }
                Err(e) => return Err(ClientError::Protocol(e)),
            };
            match event {
                None => return Ok(Step::NeedInput),
                Some(Event::InformationalResponse(_)) => continue,
                Some(Event::Response(mut resp)) => {
                    self.head_seen = true;
                    if !self.head_request {
                        self.expected = resp
                            .headers()
                            .get_str("Content-Length")
                            .and_then(|v| v.trim().parse().ok());
                        self.start_decoding(&mut resp);
                    }
                    return Ok(Step::Head(resp));
                }
                Some(Event::Data(d)) => {
                    self.received += d.len() as u64;
                    if self.decoder.is_some() {
                        if self.pending_pos == self.pending.len() {
                            self.pending = d;
                            self.pending_pos = 0;
                        } else {
                            self.pending.extend_from_slice(&d);
                        }
                        continue;
                    }
                    return Ok(Step::Data(d));
                }
                Some(Event::EndOfMessage(_)) => {
                    if self.decoder.is_some() {
                        self.coded_end = true;
                        continue;
                    }
                    self.finished = true;
                    return Ok(Step::End {
                        reusable: self.reusable(),
                    });
                }
                Some(Event::ConnectionClosed) => {
                    return Err(if self.head_seen {
                        ClientError::BodyIncomplete {
                            expected: self.expected,
                            received: self.received,
                        }
                    } else {
                        ClientError::NoResponse
                    })
                }
                Some(Event::Request(_)) => {
                    return Err(ClientError::Protocol(Error::InvalidStatusLine))
                }
            }
        }
    }

    /// Sets up decoding when the response's body is in a coding the request asked for;
    /// the head then loses the fields that described the coded body.
    fn start_decoding(&mut self, resp: &mut Response) {
        let status = resp.status();
        if status == 204 || status == 304 {
            return;
        }
        let coding = match Coding::of(resp.headers()) {
            Ok(c @ Coding::Gzip) if self.accepted.gzip => c,
            Ok(c @ Coding::Deflate) if self.accepted.deflate => c,
            _ => return,
        };
        self.decoder = Some(Decoder::new(coding, self.max_decoded));
        resp.remove_header("Content-Encoding");
        resp.remove_header("Content-Length");
        self.expected = None;
    }

    /// The next piece of decoded body from what is pending (or held in the decoder).
    fn decode_pending(&mut self) -> Result<Option<Vec<u8>>, ClientError> {
        let Some(decoder) = self.decoder.as_mut() else {
            return Ok(None);
        };
        let mut out = Vec::new();
        let input = self.pending.get(self.pending_pos..).unwrap_or(&[]);
        let used = decoder
            .decode(input, &mut out, DECODED_CHUNK)
            .map_err(ClientError::Decoding)?;
        self.pending_pos += used;
        if self.pending_pos >= self.pending.len() {
            self.pending.clear();
            self.pending_pos = 0;
        }
        Ok((!out.is_empty()).then_some(out))
    }

    fn reusable(&self) -> bool {
        self.finished && self.conn.keep_alive() && self.conn.buffered_len() == 0
    }

    /// True once the final response head was returned.
    pub fn head_seen(&self) -> bool {
        self.head_seen
    }

    /// Body bytes received so far, as they came over the wire (before any decoding).
    pub fn received(&self) -> u64 {
        self.received
    }

    /// The declared `Content-Length` of the response body, once the head is known (`None`
    /// for a body being decoded: its decoded length is not known ahead).
    pub fn expected(&self) -> Option<u64> {
        self.expected
    }

    /// True when `err`, on a connection taken from the idle pool, means that connection had
    /// gone stale (the server closed it while idle) rather than that the server refused this
    /// request: no response byte arrived and the error is a close, a reset, a broken pipe or
    /// a write failure. The request can then be retried once on a fresh connection.
    pub fn is_stale(&self, err: &ClientError) -> bool {
        if self.got_bytes {
            return false;
        }
        match err {
            ClientError::NoResponse => true,
            ClientError::Io(e) => matches!(
                e.kind(),
                io::ErrorKind::ConnectionReset
                    | io::ErrorKind::ConnectionAborted
                    | io::ErrorKind::BrokenPipe
                    | io::ErrorKind::UnexpectedEof
                    | io::ErrorKind::NotConnected
            ),
            _ => false,
        }
    }
}

/// The temporary file a download to `dest` is written to before it is renamed into place:
/// `.{name}.part-{pid}-{n}` in the same directory (so the rename stays on one file system).
/// `None` when `dest` has no file name (`/`, `..`).
pub fn part_path(dest: &Path, pid: u32, n: u64) -> Option<PathBuf> {
    let name = dest.file_name()?;
    let mut part = std::ffi::OsString::from(".");
    part.push(name);
    part.push(format!(".part-{pid}-{n}"));
    Some(dest.with_file_name(part))
}

/// True for a 2xx status: what `retrieve` accepts.
pub fn is_success(status: u16) -> bool {
    (200..300).contains(&status)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(url: &str) -> Target {
        Target::parse(url).expect(url)
    }

    #[test]
    fn target_parts() {
        let x = t("http://example.com/a/b?x=1&y#frag");
        assert_eq!(x.host(), "example.com");
        assert_eq!(x.port(), 80);
        assert_eq!(x.host_header(), "example.com");
        assert_eq!(x.request_target(), "/a/b?x=1&y");

        let x = t("http://Example.COM:8080");
        assert_eq!(x.host(), "example.com");
        assert_eq!(x.port(), 8080);
        assert_eq!(x.host_header(), "example.com:8080");
        assert_eq!(x.request_target(), "/");

        let x = t("http://example.com:80/");
        assert_eq!(x.host_header(), "example.com");

        let x = t("http://[::1]:9000/p");
        assert_eq!(x.host(), "::1");
        assert_eq!(x.port(), 9000);
        assert_eq!(x.host_header(), "[::1]:9000");

        let x = t("http://127.0.0.1/a b");
        assert_eq!(x.host(), "127.0.0.1");
        assert_eq!(x.request_target(), "/a%20b");

        let x = t("http://user:pw@h/");
        assert_eq!(x.host_header(), "h");
    }

    #[test]
    fn target_errors() {
        assert!(matches!(
            Target::parse("https://example.com/"),
            Err(ClientError::UnsupportedScheme(s)) if s == "https"
        ));
        let e = Target::parse("https://example.com/")
            .unwrap_err()
            .to_string();
        assert!(e.contains("not supported yet"), "{e}");
        assert!(matches!(
            Target::parse("ftp://example.com/"),
            Err(ClientError::UnsupportedScheme(s)) if s == "ftp"
        ));
        assert!(matches!(
            Target::parse("file:///etc/passwd"),
            Err(ClientError::UnsupportedScheme(_))
        ));
        for bad in [
            "example.com/x",
            "",
            "http://",
            "http://exa mple.com/",
            "http://:80/",
        ] {
            assert!(
                matches!(Target::parse(bad), Err(ClientError::InvalidUrl(_))),
                "{bad}"
            );
        }
        let e = Target::parse("example.com").unwrap_err().to_string();
        assert!(e.contains("try http://example.com"), "{e}");
    }

    #[test]
    fn request_head() {
        let config = ClientConfig::default();
        let mut out = Vec::new();
        let mut ex = Exchange::new(Limits::default());
        ex.start(
            build_request(&config, "GET", &t("http://h:81/x?y#z"), None),
            &[],
            &mut out,
        )
        .unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(
            text.starts_with("GET /x?y HTTP/1.1\r\nHost: h:81\r\n"),
            "{text}"
        );
        assert!(text.contains("\r\nUser-Agent: netloom/"), "{text}");
        assert!(
            text.contains("\r\nAccept-Encoding: gzip, deflate\r\n"),
            "{text}"
        );
        assert!(text.contains("\r\nConnection: keep-alive\r\n"), "{text}");
        assert!(text.ends_with("\r\n\r\n"));

        let config = ClientConfig {
            headers: vec![("accept-encoding".into(), "gzip".into())],
            ..ClientConfig::default()
        };
        let req = build_request(&config, "POST", &t("http://h/"), Some(3));
        assert_eq!(req.headers().get_str("Accept-Encoding"), Some("gzip"));
        assert_eq!(req.headers().get_all("Accept-Encoding").count(), 1);
        assert_eq!(req.headers().get_str("Content-Length"), Some("3"));
        assert_eq!(body_length("GET", 0), None);
        assert_eq!(body_length("POST", 0), Some(0));
        assert_eq!(body_length("GET", 2), Some(2));
    }

    fn hop(status: u16, method: &str, loc: &str) -> Option<Redirect> {
        let cur = Url::parse("http://a.example/dir/page?q#f").unwrap();
        redirect(&cur, method, status, Some(loc)).unwrap()
    }

    #[test]
    fn redirect_methods() {
        for s in [301, 302] {
            let r = hop(s, "POST", "/x").unwrap();
            assert_eq!((r.method.as_str(), r.keep_body), ("GET", false));
            let r = hop(s, "GET", "/x").unwrap();
            assert_eq!(r.method, "GET");
            let r = hop(s, "PUT", "/x").unwrap();
            assert_eq!(r.method, "PUT");
        }
        let r = hop(303, "PUT", "/x").unwrap();
        assert_eq!((r.method.as_str(), r.keep_body), ("GET", false));
        assert_eq!(hop(303, "HEAD", "/x").unwrap().method, "HEAD");
        for s in [307, 308] {
            let r = hop(s, "POST", "/x").unwrap();
            assert_eq!((r.method.as_str(), r.keep_body), ("POST", true));
        }
        for s in [200, 300, 304, 305, 404] {
            assert_eq!(hop(s, "GET", "/x"), None);
        }
    }

    #[test]
    fn redirect_locations() {
        assert_eq!(
            hop(301, "GET", "other").unwrap().url.as_str(),
            "http://a.example/dir/other#f"
        );
        assert_eq!(
            hop(301, "GET", "../up?z").unwrap().url.as_str(),
            "http://a.example/up?z#f"
        );
        assert_eq!(
            hop(301, "GET", "//b.example/p#g").unwrap().url.as_str(),
            "http://b.example/p#g"
        );
        assert_eq!(
            hop(301, "GET", "http://c.example:8/").unwrap().url.as_str(),
            "http://c.example:8/#f"
        );
        let cur = Url::parse("http://a.example/").unwrap();
        assert_eq!(redirect(&cur, "GET", 302, None).unwrap(), None);
        assert_eq!(redirect(&cur, "GET", 302, Some("  ")).unwrap(), None);
        assert!(matches!(
            redirect(&cur, "GET", 302, Some("http://[bad")),
            Err(ClientError::InvalidUrl(_))
        ));
        // The scheme is checked when the next target is made.
        let r = redirect(&cur, "GET", 302, Some("https://a.example/")).unwrap();
        assert!(matches!(
            Target::from_url(r.unwrap().url),
            Err(ClientError::UnsupportedScheme(_))
        ));
    }

    #[test]
    fn redirect_limit() {
        let cur = Url::parse("http://a.example/").unwrap();
        let resp = Response::new(302).header("Location", "/loop");
        let mut r = Redirects::new(10);
        for _ in 0..10 {
            assert!(r.follow(&cur, "GET", &resp).unwrap().is_some());
        }
        assert!(matches!(
            r.follow(&cur, "GET", &resp),
            Err(ClientError::TooManyRedirects { max: 10 })
        ));
        let mut r = Redirects::new(0);
        assert!(r
            .follow(&cur, "GET", &Response::new(200))
            .unwrap()
            .is_none());
        assert!(r.follow(&cur, "GET", &resp).is_err());
    }

    fn started(method: &str) -> Exchange {
        let mut ex = Exchange::new(Limits::default());
        let mut out = Vec::new();
        let config = ClientConfig::default();
        ex.start(
            build_request(&config, method, &t("http://h/"), None),
            &[],
            &mut out,
        )
        .unwrap();
        ex
    }

    #[test]
    fn exchange_chunked_and_reuse() {
        let mut ex = started("GET");
        assert_eq!(ex.step().unwrap(), Step::NeedInput);
        ex.receive(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n");
        assert!(matches!(ex.step().unwrap(), Step::Head(r) if r.status() == 200));
        assert_eq!(ex.step().unwrap(), Step::Data(b"abc".to_vec()));
        assert_eq!(ex.step().unwrap(), Step::End { reusable: true });
        assert_eq!(ex.step().unwrap(), Step::End { reusable: true });
    }

    #[test]
    fn exchange_not_reusable() {
        let mut ex = started("GET");
        ex.receive(b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
        assert!(matches!(ex.step().unwrap(), Step::Head(_)));
        assert_eq!(ex.step().unwrap(), Step::End { reusable: false });

        let mut ex = started("GET");
        ex.receive(b"HTTP/1.0 200 OK\r\n\r\nbody");
        assert!(matches!(ex.step().unwrap(), Step::Head(_)));
        assert_eq!(ex.step().unwrap(), Step::Data(b"body".to_vec()));
        assert_eq!(ex.step().unwrap(), Step::NeedInput);
        ex.receive_eof();
        assert_eq!(ex.step().unwrap(), Step::End { reusable: false });

        // Junk after the response: not reusable.
        let mut ex = started("GET");
        ex.receive(b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nxJUNK");
        assert!(matches!(ex.step().unwrap(), Step::Head(_)));
        assert_eq!(ex.step().unwrap(), Step::Data(b"x".to_vec()));
        assert_eq!(ex.step().unwrap(), Step::End { reusable: false });
    }

    #[test]
    fn exchange_head_request_ignores_length() {
        let mut ex = started("HEAD");
        ex.receive(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n");
        assert!(matches!(ex.step().unwrap(), Step::Head(_)));
        assert_eq!(ex.expected(), None);
        assert_eq!(ex.step().unwrap(), Step::End { reusable: true });
    }

    #[test]
    fn exchange_eof_cases() {
        let mut ex = started("GET");
        ex.receive_eof();
        let e = ex.step().unwrap_err();
        assert!(matches!(e, ClientError::NoResponse));
        assert!(ex.is_stale(&e));

        let mut ex = started("GET");
        ex.receive(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n0123456789");
        assert!(matches!(ex.step().unwrap(), Step::Head(_)));
        assert_eq!(ex.step().unwrap(), Step::Data(b"0123456789".to_vec()));
        ex.receive_eof();
        let e = ex.step().unwrap_err();
        assert!(matches!(
            e,
            ClientError::BodyIncomplete {
                expected: Some(1000),
                received: 10
            }
        ));
        assert!(!ex.is_stale(&e));
        assert_eq!(
            e.to_string(),
            "the server closed the connection after 10 of 1000 body bytes"
        );
        let io: io::Error = e.into();
        assert_eq!(io.kind(), io::ErrorKind::UnexpectedEof);
        assert!(matches!(
            ClientError::from_io(io, Waiting::Read),
            ClientError::BodyIncomplete { .. }
        ));

        let mut ex = started("GET");
        ex.receive(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab");
        assert!(matches!(ex.step().unwrap(), Step::Head(_)));
        assert_eq!(ex.step().unwrap(), Step::Data(b"ab".to_vec()));
        ex.receive_eof();
        assert!(matches!(
            ex.step().unwrap_err(),
            ClientError::BodyIncomplete {
                expected: None,
                received: 2
            }
        ));

        let mut ex = started("GET");
        ex.receive(b"HTTP/1.1 200 O");
        ex.receive_eof();
        let e = ex.step().unwrap_err();
        assert!(matches!(e, ClientError::Protocol(Error::UnexpectedEof)));
        assert!(!ex.is_stale(&e));
    }

    /// Runs `ex` over `wire` fed in pieces of `piece` bytes: the head and all body data.
    fn collect(
        ex: &mut Exchange,
        wire: &[u8],
        piece: usize,
    ) -> Result<(Response, Vec<u8>), ClientError> {
        let mut head = None;
        let mut body = Vec::new();
        let mut chunks = wire.chunks(piece);
        loop {
            match ex.step()? {
                Step::NeedInput => match chunks.next() {
                    Some(c) => ex.receive(c),
                    None => ex.receive_eof(),
                },
                Step::Head(h) => head = Some(h),
                Step::Data(d) => {
                    assert!(d.len() <= DECODED_CHUNK);
                    body.extend_from_slice(&d);
                }
                Step::End { .. } => return Ok((head.expect("a head"), body)),
            }
        }
    }

    fn coded_response(coding: &str, body: &[u8]) -> Vec<u8> {
        let mut wire = format!(
            "HTTP/1.1 200 OK\r\nContent-Encoding: {coding}\r\nContent-Length: {}\r\n\r\n",
            body.len()
        )
        .into_bytes();
        wire.extend_from_slice(body);
        wire
    }

    #[test]
    fn exchange_decodes_the_codings_it_asked_for() {
        let data: Vec<u8> = (0..300_000u32).map(|i| (i % 97) as u8).collect();
        for (name, coded) in [
            ("gzip", content_coding::gzip(&data)),
            ("deflate", content_coding::deflate(&data)),
            ("x-gzip", content_coding::gzip(&data)),
        ] {
            for piece in [1, 7, 1000, usize::MAX] {
                let wire = coded_response(name, &coded);
                let mut ex = started("GET");
                let (head, body) = collect(&mut ex, &wire, piece.min(wire.len())).unwrap();
                assert_eq!(body, data, "{name} in pieces of {piece}");
                assert!(!head.headers().contains("Content-Encoding"));
                assert!(!head.headers().contains("Content-Length"));
                assert_eq!(ex.expected(), None);
                assert_eq!(ex.received(), coded.len() as u64);
            }
        }
        // Chunked too.
        let z = content_coding::gzip(b"chunked and gzipped");
        let mut wire =
            b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n"
                .to_vec();
        for c in z.chunks(5) {
            wire.extend_from_slice(format!("{:x}\r\n", c.len()).as_bytes());
            wire.extend_from_slice(c);
            wire.extend_from_slice(b"\r\n");
        }
        wire.extend_from_slice(b"0\r\n\r\n");
        let mut ex = started("GET");
        assert_eq!(
            collect(&mut ex, &wire, 3).unwrap().1,
            b"chunked and gzipped"
        );
        assert_eq!(ex.step().unwrap(), Step::End { reusable: true });
    }

    #[test]
    fn exchange_passes_through_what_it_did_not_ask_for() {
        let z = content_coding::gzip(b"raw");
        // The request said identity: the gzip body is handed over as it is.
        let config = ClientConfig {
            headers: vec![("Accept-Encoding".into(), "identity".into())],
            ..ClientConfig::default()
        };
        let mut ex = Exchange::for_config(&config);
        let mut out = Vec::new();
        ex.start(
            build_request(&config, "GET", &t("http://h/"), None),
            &[],
            &mut out,
        )
        .unwrap();
        let (head, body) = collect(&mut ex, &coded_response("gzip", &z), 100).unwrap();
        assert_eq!(body, z);
        assert_eq!(head.headers().get_str("Content-Encoding"), Some("gzip"));
        // A coding we do not read is passed through too.
        let mut ex = started("GET");
        let (head, body) = collect(&mut ex, &coded_response("br", b"xyz"), 100).unwrap();
        assert_eq!(
            (head.headers().get_str("Content-Encoding"), &body[..]),
            (Some("br"), &b"xyz"[..])
        );
        // No body to decode: HEAD, 304.
        let mut ex = started("HEAD");
        let (head, body) = collect(
            &mut ex,
            b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 20\r\n\r\n",
            100,
        )
        .unwrap();
        assert!(body.is_empty() && head.headers().contains("Content-Encoding"));
        let mut ex = started("GET");
        let (_, body) = collect(
            &mut ex,
            b"HTTP/1.1 304 Not Modified\r\nContent-Encoding: gzip\r\n\r\n",
            100,
        )
        .unwrap();
        assert!(body.is_empty());
    }

    #[test]
    fn exchange_refuses_bad_and_oversized_coded_bodies() {
        let data = vec![b'a'; 200_000];
        let z = content_coding::gzip(&data);
        let mut ex = started("GET");
        let e = collect(&mut ex, &coded_response("gzip", &z[..z.len() - 3]), 50).unwrap_err();
        assert!(
            matches!(
                e,
                ClientError::Decoding(ContentError::Corrupt(Coding::Gzip))
            ),
            "{e}"
        );
        let mut ex = started("GET");
        let e = collect(&mut ex, &coded_response("deflate", b"\xFFnot deflate"), 50).unwrap_err();
        assert!(matches!(e, ClientError::Decoding(_)), "{e}");
        assert_eq!(io::Error::from(e).kind(), io::ErrorKind::InvalidData);
        let mut ex = Exchange::with_decoded_limit(Limits::default(), 100_000);
        let mut out = Vec::new();
        ex.start(
            build_request(&ClientConfig::default(), "GET", &t("http://h/"), None),
            &[],
            &mut out,
        )
        .unwrap();
        let e = collect(&mut ex, &coded_response("gzip", &z), 1000).unwrap_err();
        assert!(matches!(
            e,
            ClientError::Decoding(ContentError::TooLarge { limit: 100_000 })
        ));
        assert_eq!(
            e.to_string(),
            "bad response body: decoded body larger than 100000 bytes"
        );
    }

    #[test]
    fn exchange_protocol_error() {
        let mut ex = started("GET");
        ex.receive(b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n");
        assert!(matches!(ex.step(), Err(ClientError::Protocol(_))));
    }

    #[test]
    fn io_error_round_trip() {
        let e: io::Error = ClientError::Io(io::ErrorKind::ConnectionReset.into()).into();
        assert_eq!(e.kind(), io::ErrorKind::ConnectionReset);
        assert!(matches!(
            ClientError::from_io(io::ErrorKind::WouldBlock.into(), Waiting::Read),
            ClientError::Timeout(Waiting::Read)
        ));
        assert!(matches!(
            ClientError::from_connect(io::ErrorKind::TimedOut.into()),
            ClientError::Timeout(Waiting::Connect)
        ));
        assert!(matches!(
            ClientError::from_connect(io::ErrorKind::ConnectionRefused.into()),
            ClientError::Connect(_)
        ));
        assert_eq!(
            ClientError::from_connect(io::ErrorKind::ConnectionRefused.into()).to_string(),
            "cannot connect: connection refused"
        );
        assert_eq!(
            ClientError::Status {
                code: 404,
                reason: "Not Found".into()
            }
            .to_string(),
            "404 Not Found"
        );
    }

    #[test]
    fn part_paths() {
        assert_eq!(
            part_path(Path::new("dir/file.bin"), 7, 3),
            Some(PathBuf::from("dir/.file.bin.part-7-3"))
        );
        assert_eq!(
            part_path(Path::new("f"), 1, 0),
            Some(PathBuf::from(".f.part-1-0"))
        );
        assert_eq!(part_path(Path::new("/"), 1, 0), None);
        assert_eq!(part_path(Path::new("a/.."), 1, 0), None);
    }
}

/// The reading side of a response body, shared by the blocking and the async clients: it
/// holds the chunk being read, turns exchange [`Step`]s into chunks, and remembers a failure
/// so every later read repeats it (a body cut short never looks complete).
#[derive(Debug, Default)]
pub struct BodyCursor {
    chunk: Vec<u8>,
    pos: usize,
    done: bool,
    failed: Option<(io::ErrorKind, String)>,
}

impl BodyCursor {
    /// What the next chunk is without touching the socket: the unread rest of the current
    /// chunk, the end, or the remembered failure. `None`: take a step.
    pub fn pending(&mut self) -> Option<Result<Option<Vec<u8>>, ClientError>> {
        if self.pos < self.chunk.len() {
            let mut rest = std::mem::take(&mut self.chunk);
            rest.drain(..self.pos);
            self.pos = 0;
            return Some(Ok(Some(rest)));
        }
        if self.done {
            return Some(Ok(None));
        }
        self.failed
            .as_ref()
            .map(|(kind, msg)| Err(ClientError::Io(io::Error::new(*kind, msg.clone()))))
    }

    /// Interprets one exchange step: a chunk, the end, or an error (remembered). `None` for an
    /// empty data step: take another.
    pub fn on_step(
        &mut self,
        step: Result<Step, ClientError>,
    ) -> Option<Result<Option<Vec<u8>>, ClientError>> {
        match step {
            Ok(Step::Data(d)) if d.is_empty() => None,
            Ok(Step::Data(d)) => Some(Ok(Some(d))),
            Ok(Step::End { .. }) => {
                self.done = true;
                Some(Ok(None))
            }
            Ok(_) => Some(Err(
                self.fail(ClientError::Protocol(Error::InvalidStatusLine))
            )),
            Err(e) => Some(Err(self.fail(e))),
        }
    }

    fn fail(&mut self, e: ClientError) -> ClientError {
        self.failed = Some((e.io_kind(), e.to_string()));
        e
    }

    /// Whether the current chunk is used up, so a `read` needs the next one.
    pub fn is_drained(&self) -> bool {
        self.pos >= self.chunk.len()
    }

    /// Makes `chunk` the one `copy_to` reads from.
    pub fn set_chunk(&mut self, chunk: Vec<u8>) {
        self.chunk = chunk;
        self.pos = 0;
    }

    /// Copies as much of the current chunk as fits into `buf`.
    pub fn copy_to(&mut self, buf: &mut [u8]) -> usize {
        let n = buf.len().min(self.chunk.len() - self.pos);
        buf[..n].copy_from_slice(&self.chunk[self.pos..self.pos + n]);
        self.pos += n;
        n
    }
}
