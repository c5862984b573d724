//! Serving HTTP: a [`Handler`] turns each complete request into a response, and
//! [`ServerConn`] runs the server-role [`Connection`] around it as the
//! [`Duplex`](crate::Duplex) every runtime drives.
//!
//! This is where keep-alive, pipelining, `100 Continue`, error responses for protocol
//! violations (400/413/414/431/501/505), handler panics (500) and response streaming with
//! back-pressure are decided, once for all runtimes. A runtime only moves bytes.
//!
//! ```
//! use netloom_core::frame::ConnInfo;
//! use netloom_core::http::server::{IncomingRequest, OutgoingResponse, ServerConn};
//! use netloom_core::http::Limits;
//! use netloom_core::{Duplex, Now};
//!
//! let hello = |req: IncomingRequest| OutgoingResponse::text(200, format!("hi {}\n", req.head.target()));
//! let info = ConnInfo { local: "127.0.0.1:80".parse().unwrap(), peer: "127.0.0.1:9".parse().unwrap() };
//! let now = Now::new(std::time::Instant::now(), std::time::SystemTime::now());
//! let mut conn = ServerConn::new(&hello, info, Limits::default());
//! conn.receive(now, b"GET /x HTTP/1.1\r\nHost: a\r\n\r\n");
//! let out = String::from_utf8(conn.transmit().to_vec()).unwrap();
//! assert!(out.starts_with("HTTP/1.1 200 OK\r\n"));
//! assert!(out.contains("\r\nServer: netloom/"));
//! assert!(out.ends_with("\r\n\r\nhi /x\n"));
//! ```

use std::io::Read;
use std::ops::Deref;
use std::panic::{catch_unwind, AssertUnwindSafe};

use std::sync::Arc;

use super::date::DateCache;
use super::{Connection, Event, EventRef, Headers, Limits, Request, Response, Role, State};
use crate::frame::ConnInfo;
use crate::serve::{BodyBudget, Reservation, ServerConfig};
use crate::{FileRange, FileSlice, Job, Now};

/// A complete request, body included, as a [`Handler`] receives it.
#[derive(Debug)]
pub struct IncomingRequest {
    /// Method, target, version and headers.
    pub head: Request,
    /// The whole body (bounded by [`Limits::max_request_body_bytes`]).
    pub body: Vec<u8>,
    /// Trailer fields of a chunked body.
    pub trailers: Headers,
    /// The connection's addresses.
    pub conn: ConnInfo,
    /// What TLS established when the connection is behind it (the server name asked for,
    /// ALPN, the client's certificates); `None` in plaintext.
    pub tls: Option<Arc<crate::tls::TlsInfo>>,
    /// The body's share of the server's [`BodyBudget`], given back when the request is
    /// dropped.
    _held: Option<Reservation>,
}

impl IncomingRequest {
    /// A request as a handler would receive it (for tests, or a handler called by hand).
    pub fn new(head: Request, body: Vec<u8>, conn: ConnInfo) -> Self {
        IncomingRequest {
            head,
            body,
            trailers: Headers::new(),
            conn,
            tls: None,
            _held: None,
        }
    }
}

/// A response body.
pub enum Body {
    /// No body.
    Empty,
    /// The whole body, sent with a `Content-Length`.
    Full(Vec<u8>),
    /// A body read piece by piece while the socket accepts it (say, a file), so it is never
    /// held whole. Give the head a `Content-Length` when the size is known; otherwise it is
    /// sent chunked (or close-delimited to an HTTP/1.0 client). A read error aborts the
    /// response and closes the connection.
    Stream(Box<dyn Read + Send>),
    /// A range of an open file, sent with a `Content-Length` of its size. A driver that can
    /// (`sendfile`) writes it straight from the file to the socket, without a copy or a
    /// worker thread; otherwise it is read piece by piece like a [`Stream`](Body::Stream).
    /// A file shorter than the range cuts the response short and closes the connection.
    File(FileRange),
}

impl Body {
    /// A streamed body made of the chunks an iterator yields, each sent as it comes (chunked,
    /// unless the head has a `Content-Length`). The iterator runs where streamed bodies are
    /// read (a worker thread, or the I/O thread with `handler_threads: 0`), one chunk per
    /// write the socket takes, so a slow iterator holds no one else up where it runs on a
    /// worker. Empty chunks are skipped.
    ///
    /// ```
    /// use netloom_core::http::server::{Body, OutgoingResponse};
    /// let lines = (1..=3).map(|n| format!("line {n}\n"));
    /// let resp = OutgoingResponse::new(200)
    ///     .header("Content-Type", "text/plain")
    ///     .body(Body::from_chunks(lines));
    /// # let _ = resp;
    /// ```
    pub fn from_chunks<I>(chunks: I) -> Body
    where
        I: IntoIterator,
        I::Item: AsRef<[u8]> + Send + 'static,
        I::IntoIter: Send + 'static,
    {
        Body::Stream(Box::new(ChunkReader {
            chunks: chunks.into_iter(),
            current: None,
            at: 0,
        }))
    }
}

/// A `Read` over an iterator of chunks ([`Body::from_chunks`]).
struct ChunkReader<I: Iterator> {
    chunks: I,
    current: Option<I::Item>,
    at: usize,
}

impl<I> Read for ChunkReader<I>
where
    I: Iterator,
    I::Item: AsRef<[u8]>,
{
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        loop {
            if let Some(chunk) = &self.current {
                let rest = &chunk.as_ref()[self.at..];
                if !rest.is_empty() {
                    let n = rest.len().min(buf.len());
                    buf[..n].copy_from_slice(&rest[..n]);
                    self.at += n;
                    return Ok(n);
                }
            }
            match self.chunks.next() {
                Some(chunk) => {
                    self.current = Some(chunk);
                    self.at = 0;
                }
                None => return Ok(0),
            }
        }
    }
}

impl std::fmt::Debug for Body {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Body::Empty => f.write_str("Empty"),
            Body::Full(b) => write!(f, "Full({} bytes)", b.len()),
            Body::Stream(_) => f.write_str("Stream(..)"),
            Body::File(r) => write!(f, "File({} bytes from {})", r.len(), r.offset()),
        }
    }
}

/// A response a [`Handler`] returns.
#[derive(Debug)]
pub struct OutgoingResponse {
    /// Status and headers. Framing headers are added as needed.
    pub head: Response,
    /// The body.
    pub body: Body,
}

impl OutgoingResponse {
    /// A response with `status` and no body.
    pub fn new(status: u16) -> Self {
        OutgoingResponse {
            head: Response::new(status),
            body: Body::Empty,
        }
    }

    /// A `text/plain; charset=utf-8` response.
    pub fn text(status: u16, body: impl Into<String>) -> Self {
        Self::bytes(
            status,
            "text/plain; charset=utf-8",
            body.into().into_bytes(),
        )
    }

    /// A response with the given content type and body.
    pub fn bytes(status: u16, content_type: &str, body: Vec<u8>) -> Self {
        OutgoingResponse {
            head: Response::new(status).header("Content-Type", content_type),
            body: Body::Full(body),
        }
    }

    /// A body of `len` bytes of `file` from `offset` (see [`Body::File`]), with its
    /// `Content-Length`.
    pub fn file(status: u16, content_type: &str, range: FileRange) -> Self {
        OutgoingResponse {
            head: Response::new(status).header("Content-Type", content_type),
            body: Body::File(range),
        }
    }

    /// A streamed body of `len` bytes if known.
    pub fn stream(
        status: u16,
        content_type: &str,
        len: Option<u64>,
        body: Box<dyn Read + Send>,
    ) -> Self {
        let mut head = Response::new(status).header("Content-Type", content_type);
        if let Some(len) = len {
            head.push_header("Content-Length", len.to_string());
        }
        OutgoingResponse {
            head,
            body: Body::Stream(body),
        }
    }

    /// Adds a header.
    pub fn header(mut self, name: &str, value: impl AsRef<[u8]>) -> Self {
        self.head.push_header(name, value);
        self
    }

    /// Replaces the body.
    pub fn body(mut self, body: Body) -> Self {
        self.body = body;
        self
    }
}

/// Answers requests. Implemented for every `Fn(IncomingRequest) -> R` where `R`
/// [`IntoResponse`] (an [`OutgoingResponse`], or a `Result` of one and an [`HttpError`]).
///
/// Handlers run on the runtime's connection thread or task (the event-loop thread for mio),
/// so they should not block for long. A handler that panics gets a `500` sent in its place and
/// the connection carries on.
pub trait Handler {
    /// Produces the response to `request`.
    fn handle(&self, request: IncomingRequest) -> OutgoingResponse;

    /// The fast path of a handler whose calls run on worker threads: called first, on the
    /// connection's own (I/O) thread, to answer at once when that takes no blocking work (a
    /// file whose contents are cached, say), saving the hand-off to a worker and back.
    /// Decline anything that may block ([`Attempt::Declined`], with the request), and it
    /// goes to [`handle`](Handler::handle) on a worker. Connections that call handlers
    /// inline call only `handle`. Default: every request goes to a worker.
    fn try_handle(&self, request: IncomingRequest) -> Attempt {
        Attempt::Declined(request)
    }

    /// Called with each request's head as soon as it arrives, on the connection's own
    /// thread, before the body is read and before `100 Continue` goes to a client that
    /// waits for it (curl does, for uploads over 1 MiB): return a response to answer at
    /// once without the body (a `401` for a missing credential, a `413` for an upload too
    /// large for this user, a `415`), or `None` to read it and call
    /// [`handle`](Handler::handle) as usual. A request whose body was refused is answered
    /// with `Connection: close`, so the client stops sending it (what it sent already is
    /// drained by the lingering close). Keep it quick: it runs on the I/O thread. Default:
    /// `None`.
    ///
    /// ```
    /// use netloom_core::frame::ConnInfo;
    /// use netloom_core::http::server::{Handler, IncomingRequest, OutgoingResponse};
    /// use netloom_core::http::Request;
    ///
    /// struct Uploads;
    /// impl Handler for Uploads {
    ///     fn check_head(&self, head: &Request, _: &ConnInfo) -> Option<OutgoingResponse> {
    ///         let authorized = head.headers().get_str("Authorization") == Some("Bearer s3cret");
    ///         (!authorized).then(|| OutgoingResponse::text(401, "who are you?\n"))
    ///     }
    ///     fn handle(&self, req: IncomingRequest) -> OutgoingResponse {
    ///         OutgoingResponse::text(200, format!("stored {} bytes\n", req.body.len()))
    ///     }
    /// }
    /// ```
    fn check_head(&self, head: &Request, conn: &ConnInfo) -> Option<OutgoingResponse> {
        let _ = (head, conn);
        None
    }

    /// Called when the connection answered a request itself, without the handler: it broke
    /// HTTP or a limit (a 400, 413, 414, 431, 501, 505...), or the server was too busy
    /// (503). For access logs; the response is already decided. Default: nothing.
    fn rejected(&self, rejection: &Rejection<'_>) {
        let _ = rejection;
    }
}

/// What [`Handler::try_handle`] did with a request.
#[derive(Debug)]
pub enum Attempt {
    /// Answered at once, on the I/O thread.
    Answered(OutgoingResponse),
    /// Not here: the request, for [`Handler::handle`] on a worker thread.
    Declined(IncomingRequest),
}

/// A request the connection answered itself (see [`Handler::rejected`]).
#[derive(Debug)]
pub struct Rejection<'a> {
    /// The status sent.
    pub status: u16,
    /// Why: the protocol error, or `None` for a request refused because the server was busy.
    pub error: Option<&'a super::Error>,
    /// The start of the request as it arrived, raw (its request line, when it got that far;
    /// at most 1 KiB, possibly empty). Escape it before printing it.
    pub start: &'a [u8],
    /// The connection's addresses.
    pub conn: ConnInfo,
}

/// Every function or closure from an [`IncomingRequest`] to something that
/// [`IntoResponse`]: an [`OutgoingResponse`], or a `Result` whose error becomes one.
impl<F, R> Handler for F
where
    F: Fn(IncomingRequest) -> R,
    R: IntoResponse,
{
    fn handle(&self, request: IncomingRequest) -> OutgoingResponse {
        self(request).into_response()
    }
}

/// What a handler function may return: a response, or a `Result` whose error is answered
/// with its status, so handlers can use `?`.
///
/// ```
/// use netloom_core::http::server::{HttpError, IncomingRequest, OutgoingResponse};
///
/// // `?` on an io::Error answers 404 for a missing file, 403 for a forbidden one, else 500.
/// fn show(req: IncomingRequest) -> Result<OutgoingResponse, HttpError> {
///     let name = req.head.query_param("name").ok_or(HttpError::new(400, "name= is missing"))?;
///     let text = std::fs::read_to_string(format!("/srv/notes/{name}.txt"))?;
///     Ok(OutgoingResponse::text(200, text))
/// }
/// # fn is_handler<H: netloom_core::http::server::Handler>(_: H) {}
/// # is_handler(show);
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not something an HTTP handler can answer with",
    label = "`{Self}` does not implement `IntoResponse`",
    note = "return an `OutgoingResponse`, an `HttpError`, or a `Result<_, E>` of those (E: `IntoResponse`, such as `HttpError` or `std::io::Error`)"
)]
pub trait IntoResponse {
    /// The response to send.
    fn into_response(self) -> OutgoingResponse;
}

impl IntoResponse for OutgoingResponse {
    fn into_response(self) -> OutgoingResponse {
        self
    }
}

impl<T: IntoResponse, E: IntoResponse> IntoResponse for Result<T, E> {
    fn into_response(self) -> OutgoingResponse {
        match self {
            Ok(ok) => ok.into_response(),
            Err(err) => err.into_response(),
        }
    }
}

/// An error a handler answers with: a status and a short text for the client (a
/// `text/plain` body). `From<std::io::Error>` maps a missing file to 404, a forbidden one to
/// 403, bad input to 400, a timeout to 504, anything else to 500; the body then names only
/// the status, never the error's own text (paths and system details stay on the server).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpError {
    status: u16,
    message: String,
}

impl HttpError {
    /// An error answered with `status` (an error status: 400–599) and `message` as its body.
    /// A status outside 400–599 is answered 500.
    pub fn new(status: u16, message: impl Into<String>) -> Self {
        HttpError {
            status: if (400..600).contains(&status) {
                status
            } else {
                500
            },
            message: message.into(),
        }
    }

    /// The status it is answered with.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The text the client gets.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl std::fmt::Display for HttpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.status, self.message)
    }
}

impl std::error::Error for HttpError {}

impl From<std::io::Error> for HttpError {
    fn from(err: std::io::Error) -> Self {
        use std::io::ErrorKind::*;
        let status = match err.kind() {
            NotFound => 404,
            PermissionDenied => 403,
            InvalidInput | InvalidData => 400,
            TimedOut => 504,
            _ => 500,
        };
        HttpError::new(status, super::reason_phrase(status))
    }
}

impl IntoResponse for HttpError {
    fn into_response(self) -> OutgoingResponse {
        let mut body = self.message;
        if !body.ends_with('\n') {
            body.push('\n');
        }
        OutgoingResponse::text(self.status, body)
    }
}

impl IntoResponse for std::io::Error {
    fn into_response(self) -> OutgoingResponse {
        HttpError::from(self).into_response()
    }
}

/// The `Server` field of every response a [`ServerConn`] sends for its handler (RFC 9110
/// §10.2.4): the product and its version, nothing more.
pub const SERVER: &str = concat!("netloom/", env!("CARGO_PKG_VERSION"));

/// Output queued past this stops reading and handler calls until the socket drains, so a
/// client that pipelines without reading cannot grow our memory.
const HIGH_WATER: usize = 256 * 1024;
/// Size of each read from a streamed body.
const STREAM_CHUNK: usize = 64 * 1024;
/// How much more a compressed request body counts against
/// [`ServerConfig::offload_body_bytes`] than its size: what it may inflate to.
pub const COMPRESSED_BODY_WEIGHT: usize = 256;

/// One server connection: HTTP/1.1 state machine plus handler, as a [`Duplex`](crate::Duplex).
///
/// `P` is anything that derefs to the handler (`&H`, `Arc<H>`, `Arc<dyn Handler + Send + Sync>`).
pub struct ServerConn<P> {
    handler: P,
    conn: Connection,
    info: ConnInfo,
    out: Vec<u8>,
    sent: usize,
    request: Option<Request>,
    body: Vec<u8>,
    stream: Option<Box<dyn Read + Send>>,
    /// A file body the driver writes itself, after `out` ([`Duplex::transmit_file`]).
    file: Option<FileRange>,
    /// The driver writes file bodies itself (`sendfile`).
    transmit_files: bool,
    scratch: Vec<u8>,
    closing: bool,
    /// Makes a handler call into a [`Job`], for a connection whose handler can travel to a
    /// worker thread.
    make_job: Option<fn(&P, IncomingRequest) -> Job<ServerDone>>,
    /// Which handler calls become jobs.
    dispatch: Dispatch,
    /// A job made, not yet taken by the runtime.
    job: Option<Job<ServerDone>>,
    /// What the job out is for: nothing more happens until it comes back.
    awaiting: Awaiting,
    /// The server's budget for request bodies, if it has one.
    budget: Option<Arc<BodyBudget>>,
    /// The current request body's share of it.
    held: Option<Reservation>,
    /// The time of the latest call, for what responses say about it.
    now: Option<Now>,
    /// The `Date` of responses, formatted once a second.
    date: DateCache,
    /// What TLS established, when the connection is behind it.
    tls: Option<Arc<crate::tls::TlsInfo>>,
}

/// Where a connection calls its handler.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dispatch {
    /// On its own thread, every time.
    Inline,
    /// On a worker ([`Job`]), unless [`Handler::try_handle`] answers at once.
    Deferred,
    /// On its own thread, except requests whose body weighs more than this
    /// ([`ServerConfig::offload_body_bytes`]), which go to a worker.
    InlineUpTo(usize),
}

/// What a deferred connection's job out will bring back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Awaiting {
    Nothing,
    /// The handler's response.
    Response,
    /// A [`Chunk`] of a streamed body.
    Chunk,
}

/// What a [`ServerConn`]'s [`Job`] produces, on its way back to
/// [`Duplex::complete`](crate::Duplex::complete): a handler's response, or one read of a
/// streamed body.
pub struct ServerDone(Done);

enum Done {
    Response(OutgoingResponse),
    Chunk(Chunk),
}

impl std::fmt::Debug for ServerDone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.0 {
            Done::Response(r) => f.debug_tuple("Response").field(&r.head.status()).finish(),
            Done::Chunk(c) => f.debug_tuple("Chunk").field(&c.read.as_ref().ok()).finish(),
        }
    }
}

/// One read from a streamed body, done off the connection's thread; the reader and the buffer
/// travel with it.
struct Chunk {
    reader: Box<dyn Read + Send>,
    buf: Vec<u8>,
    read: std::io::Result<usize>,
}

impl<P, H> ServerConn<P>
where
    P: Deref<Target = H>,
    H: Handler + ?Sized,
{
    /// A connection for `info` that answers with `handler` under `limits`.
    pub fn new(handler: P, info: ConnInfo, limits: Limits) -> Self {
        ServerConn {
            handler,
            conn: Connection::new(Role::Server, limits),
            info,
            out: Vec::new(),
            sent: 0,
            request: None,
            body: Vec::new(),
            stream: None,
            file: None,
            transmit_files: false,
            scratch: Vec::new(),
            closing: false,
            make_job: None,
            dispatch: Dispatch::Inline,
            job: None,
            awaiting: Awaiting::Nothing,
            budget: None,
            held: None,
            now: None,
            date: DateCache::default(),
            tls: None,
        }
    }

    /// Holds request bodies to `budget`, shared with the server's other connections: a
    /// request whose declared body does not fit is answered `503` before its body is read,
    /// and a chunked one that outgrows it is cut off with a `503`.
    pub fn with_budget(mut self, budget: Option<Arc<BodyBudget>>) -> Self {
        self.budget = budget;
        self
    }

    /// The HTTP state machine (for its states and keep-alive decision).
    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    /// Whether a request has begun arriving and is not complete yet (a runtime bounds how
    /// long that may take, against slow-header attacks).
    pub fn in_request(&self) -> bool {
        self.request.is_some() || (self.conn.buffered_len() > 0 && !self.conn.is_paused())
    }

    fn pending(&self) -> usize {
        self.out.len() - self.sent
    }

    /// Makes all the progress possible without more input or more room to write.
    fn progress(&mut self) {
        loop {
            if self.busy() {
                return;
            }
            if self.file.is_some() {
                // The driver is writing a file body: what follows waits for it.
                return;
            }
            if self.stream.is_some() {
                // One piece at a time: what a streamed body produced goes out before the next
                // read, so a slow producer's bytes reach the peer as they come.
                if self.pending() > 0 || !self.pump_stream() {
                    return;
                }
                continue;
            }
            if self.closing || self.pending() >= HIGH_WATER {
                return;
            }
            // Borrowed events, so body bytes are copied once, from the input buffer straight
            // into the request body.
            let event = match self.conn.next_event_ref() {
                Ok(Some(EventRef::Data(data))) => {
                    if self.request.is_some() {
                        if !hold(&mut self.held, self.body.len(), data.len()) {
                            self.refuse_busy();
                            return;
                        }
                        self.body.extend_from_slice(data);
                    }
                    continue;
                }
                Ok(ev) => Ok(ev.map(|ev| ev.to_event())),
                Err(e) => Err(e),
            };
            match event {
                Ok(Some(Event::Request(head))) => {
                    if let Some(early) = self.handler.check_head(&head, &self.info) {
                        self.answer_head(early);
                        continue;
                    }
                    if !self.reserve_body(&head) {
                        self.request = Some(head);
                        self.refuse_busy();
                        return;
                    }
                    if self.conn.expects_continue() {
                        // We always want the body (its size is bounded by the limits), so
                        // tell the client to go ahead.
                        let _ = self.conn.send(
                            Event::InformationalResponse(Response::new(100)),
                            &mut self.out,
                        );
                    }
                    self.body.clear();
                    self.request = Some(head);
                }
                Ok(Some(Event::EndOfMessage(trailers))) => {
                    if let Some(head) = self.request.take() {
                        let body = std::mem::take(&mut self.body);
                        let held = self.held.take();
                        self.respond(head, body, trailers, held);
                    }
                }
                Ok(Some(Event::ConnectionClosed)) => self.closing = true,
                Ok(Some(_)) => {}
                Ok(None) => {
                    if matches!(self.conn.our_state(), State::MustClose | State::Closed) {
                        self.closing = true;
                    }
                    return;
                }
                Err(err) => {
                    let date = self.now.map(|now| self.date.get(now.wall));
                    let mut fields: [(&str, &[u8]); 2] = [("Server", SERVER.as_bytes()), ("", b"")];
                    let n = match date {
                        Some(date) => {
                            fields[1] = ("Date", date);
                            2
                        }
                        None => 1,
                    };
                    if self
                        .conn
                        .send_error_response_with(&err, &fields[..n], &mut self.out)
                    {
                        let pending = self.conn.buffered();
                        let start = pending
                            .iter()
                            .position(|&b| b == b'\n')
                            .map_or(pending, |lf| &pending[..lf]);
                        let start = start.strip_suffix(b"\r").unwrap_or(start);
                        self.handler.rejected(&Rejection {
                            status: err.status_code(),
                            error: Some(&err),
                            start: &start[..start.len().min(1024)],
                            conn: self.info,
                        });
                    }
                    self.request = None;
                    self.closing = true;
                    return;
                }
            }
        }
    }

    /// Reserves a request's declared body (`Content-Length`) in the server's budget, and room
    /// for it in the body buffer; false if it does not fit. A chunked body reserves as it
    /// arrives ([`hold`](Self::hold)).
    fn reserve_body(&mut self, head: &Request) -> bool {
        self.held = None;
        let declared = head
            .headers()
            .get("Content-Length")
            .and_then(super::framing::parse_decimal)
            .unwrap_or(0)
            .min(self.conn.limits().max_request_body_bytes);
        let declared = usize::try_from(declared).unwrap_or(usize::MAX);
        if let Some(budget) = &self.budget {
            match budget.try_reserve(declared) {
                Some(r) => self.held = Some(r),
                None => return false,
            }
        }
        // The exact size at once: growing by doubling would hold up to twice the body.
        self.body = Vec::with_capacity(declared);
        true
    }

    /// The server holds as many request bodies as its budget allows: answer 503 and close
    /// (the body is never read; lingering close drains what the client still sends).
    fn refuse_busy(&mut self) {
        if let Some(head) = &self.request {
            let start = format!(
                "{} {} {}",
                head.method(),
                head.target(),
                head.version().as_str()
            );
            self.handler.rejected(&Rejection {
                status: 503,
                error: None,
                start: start.as_bytes(),
                conn: self.info,
            });
        }
        self.request = None;
        self.held = None;
        self.body = Vec::new();
        let body = b"Service Unavailable: the server is busy; try again shortly\n";
        let mut head = Response::new(503);
        self.stamp(&mut head);
        let head = head
            .header("Content-Type", "text/plain; charset=utf-8")
            .header("Content-Length", body.len().to_string())
            .header("Retry-After", "1")
            .header("Connection", "close");
        if self.conn.send(Event::Response(head), &mut self.out).is_ok() {
            let _ = self.conn.send_data(body, &mut self.out);
            let _ = self
                .conn
                .send(Event::EndOfMessage(Headers::new()), &mut self.out);
        }
        self.closing = true;
    }

    fn respond(
        &mut self,
        head: Request,
        body: Vec<u8>,
        trailers: Headers,
        held: Option<Reservation>,
    ) {
        let request = IncomingRequest {
            head,
            body,
            trailers,
            conn: self.info,
            tls: self.tls.clone(),
            _held: held,
        };
        let request = match (self.dispatch, self.make_job) {
            (Dispatch::Deferred, Some(make_job)) => match try_handler(&*self.handler, request) {
                Attempt::Answered(response) => return self.send_response(response),
                Attempt::Declined(request) => Some((make_job, request)),
            },
            (Dispatch::InlineUpTo(max), Some(make_job)) if body_weight(&request) > max => {
                Some((make_job, request))
            }
            _ => {
                let response = call_handler(&*self.handler, request);
                return self.send_response(response);
            }
        };
        if let Some((make_job, request)) = request {
            self.job = Some(make_job(&self.handler, request));
            self.awaiting = Awaiting::Response;
        }
    }

    /// Sends the answer [`Handler::check_head`] gave for a request whose body is not read: a
    /// body still to come ends the connection after it (its bytes are dropped as they come).
    fn answer_head(&mut self, mut response: OutgoingResponse) {
        self.request = None;
        self.held = None;
        if self.conn.their_state() == State::SendBody {
            response.head.push_header("Connection", "close");
        }
        self.send_response(response);
    }

    /// Gives a response the fields every response of ours carries, unless it has them:
    /// `Server`, and `Date` (RFC 9110 §6.6.1: a server with a clock must send it; the time
    /// is the driver's, as of the latest call).
    fn stamp(&mut self, head: &mut Response) {
        if !head.headers().contains("Server") {
            head.push_header("Server", SERVER);
        }
        if let Some(now) = self.now {
            if !head.headers().contains("Date") {
                head.push_header("Date", self.date.get(now.wall));
            }
        }
    }

    /// Sends the handler's response (or a 500 when it cannot be sent), with `Server` and
    /// `Date` fields unless the handler set them.
    fn send_response(&mut self, response: OutgoingResponse) {
        let OutgoingResponse { mut head, body } = response;
        self.stamp(&mut head);
        // A full body gets a Content-Length unless the head declares its own framing (or the
        // status has no body); the connection writes it straight into the head.
        let status = head.status();
        let bodyless = (100..200).contains(&status) || status == 204 || status == 304;
        let default_length = match &body {
            Body::Full(bytes) => (!bodyless).then_some(bytes.len() as u64),
            Body::File(range) => (!bodyless).then_some(range.len()),
            _ => None,
        };
        if let Err(err) = self
            .conn
            .send_response_sized(&head, default_length, &mut self.out)
        {
            // The handler built an unsendable head (bad header bytes, say): answer 500.
            let _ = err;
            let mut fallback = Response::new(500);
            self.stamp(&mut fallback);
            let fallback = fallback
                .header("Content-Type", "text/plain; charset=utf-8")
                .header("Content-Length", "22");
            if self
                .conn
                .send(Event::Response(fallback), &mut self.out)
                .is_err()
            {
                self.closing = true;
                return;
            }
            let _ = self
                .conn
                .send_data(b"Internal Server Error\n", &mut self.out);
            self.finish_message();
            return;
        }
        match body {
            Body::Empty => self.finish_message(),
            Body::Full(bytes) => {
                if self.conn.send_data(&bytes, &mut self.out).is_err() {
                    self.closing = true;
                    return;
                }
                self.finish_message();
            }
            Body::Stream(reader) => self.stream = Some(reader),
            Body::File(range) => self.send_file(range),
        }
    }

    /// Sends a file body: left to the driver when it writes files itself and the framing
    /// sends body bytes as they are; otherwise read like a stream.
    fn send_file(&mut self, range: FileRange) {
        if range.is_empty() {
            return self.finish_message();
        }
        if !self.transmit_files {
            self.stream = Some(Box::new(range.reader()));
            return;
        }
        match self.conn.send_unbuffered_data(range.len()) {
            Ok(true) => self.file = Some(range),
            // A response to HEAD: the head says it all.
            Ok(false) => self.finish_message(),
            // Chunked (the head asked for it): the bytes must pass through the framing.
            Err(super::Error::InvalidOutgoingFraming(_)) => {
                self.stream = Some(Box::new(range.reader()))
            }
            // More than the head's Content-Length, or a status without a body.
            Err(_) => self.closing = true,
        }
    }

    /// A job is out (see [`Awaiting`]).
    fn busy(&self) -> bool {
        self.awaiting != Awaiting::Nothing
    }

    /// Reads one piece of a streamed body into the output; false when it cannot go on now.
    /// A deferred connection hands the read out as a job instead (a file on a slow disk must
    /// not stall the runtime's thread either).
    fn pump_stream(&mut self) -> bool {
        if self.dispatch == Dispatch::Deferred {
            let Some(mut reader) = self.stream.take() else {
                return false;
            };
            let mut buf = std::mem::take(&mut self.scratch);
            self.job = Some(Job::new(move || {
                buf.resize(STREAM_CHUNK, 0);
                let read = loop {
                    match read_chunk(&mut reader, &mut buf) {
                        Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                        read => break read,
                    }
                };
                ServerDone(Done::Chunk(Chunk { reader, buf, read }))
            }));
            self.awaiting = Awaiting::Chunk;
            return false;
        }
        let Some(reader) = self.stream.as_mut() else {
            return false;
        };
        self.scratch.resize(STREAM_CHUNK, 0);
        let read = read_chunk(reader, &mut self.scratch);
        self.take_chunk(read)
    }

    /// Sends what one read of the streamed body (into `scratch`) gave; false when it cannot
    /// go on now.
    fn take_chunk(&mut self, read: std::io::Result<usize>) -> bool {
        match read {
            Ok(0) => {
                self.stream = None;
                self.finish_message();
                true
            }
            Ok(n) => {
                if self
                    .conn
                    .send_data(&self.scratch[..n], &mut self.out)
                    .is_err()
                {
                    // More bytes than the promised Content-Length.
                    self.abort();
                    return false;
                }
                true
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => true,
            Err(_) => {
                self.abort();
                false
            }
        }
    }

    /// Ends a response whose body cannot be completed: the head is out, so the only honest
    /// signal left is closing the connection before the body's end.
    fn abort(&mut self) {
        self.stream = None;
        self.file = None;
        let _ = self.conn.send(Event::ConnectionClosed, &mut self.out);
        self.closing = true;
    }

    fn finish_message(&mut self) {
        if self
            .conn
            .send(Event::EndOfMessage(Headers::new()), &mut self.out)
            .is_err()
        {
            // A body shorter than its Content-Length: the peer must not take it as complete.
            self.abort();
            return;
        }
        if matches!(self.conn.our_state(), State::MustClose | State::Closed) {
            self.closing = true;
        }
    }
}

impl<P, H> ServerConn<P>
where
    P: Deref<Target = H> + Clone + Send + 'static,
    H: Handler + ?Sized,
{
    /// Like [`new`](ServerConn::new), but the handler is not called on the connection's
    /// thread: each complete request becomes a [`Job`] ([`Duplex::take_job`](crate::Duplex::take_job))
    /// for the runtime to run on a worker thread, and the response comes back through
    /// [`Duplex::complete`](crate::Duplex::complete). Runtimes whose connections share a
    /// thread use this, so that a blocking handler stalls only its own connection.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use netloom_core::frame::ConnInfo;
    /// use netloom_core::http::server::{IncomingRequest, OutgoingResponse, ServerConn};
    /// use netloom_core::http::Limits;
    /// use netloom_core::{Duplex, Now};
    ///
    /// let hello = Arc::new(|_: IncomingRequest| OutgoingResponse::text(200, "hi\n"));
    /// let info = ConnInfo { local: "127.0.0.1:80".parse().unwrap(), peer: "127.0.0.1:9".parse().unwrap() };
    /// let now = Now::new(std::time::Instant::now(), std::time::SystemTime::now());
    /// let mut conn = ServerConn::deferred(hello, info, Limits::default());
    /// conn.receive(now, b"GET / HTTP/1.1\r\nHost: a\r\n\r\n");
    /// assert!(conn.transmit().is_empty());
    /// let job = conn.take_job().expect("the request is complete");
    /// // A runtime runs this on one of its worker threads; core itself never spawns any.
    /// let done = job.run();
    /// conn.complete(now, done);
    /// assert!(conn.transmit().starts_with(b"HTTP/1.1 200 OK\r\n"));
    /// ```
    pub fn deferred(handler: P, info: ConnInfo, limits: Limits) -> Self {
        let mut conn = ServerConn::new(handler, info, limits);
        conn.make_job = Some(make_job::<P, H>);
        conn.dispatch = Dispatch::Deferred;
        conn
    }

    /// Calls the handler inline (as [`new`](ServerConn::new)), except for a request whose
    /// body weighs more than `max` bytes (see [`ServerConfig::offload_body_bytes`]): that one
    /// becomes a [`Job`] for a worker thread, so that one heavy call cannot hold the
    /// connection's thread, and every connection sharing it, for long. A deferred
    /// connection is left as it is.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use netloom_core::frame::ConnInfo;
    /// use netloom_core::http::server::{IncomingRequest, OutgoingResponse, ServerConn};
    /// use netloom_core::http::Limits;
    /// use netloom_core::{Duplex, Now};
    ///
    /// let echo = Arc::new(|req: IncomingRequest| OutgoingResponse::text(200, format!("{}", req.body.len())));
    /// let info = ConnInfo { local: "127.0.0.1:80".parse().unwrap(), peer: "127.0.0.1:9".parse().unwrap() };
    /// let now = Now::new(std::time::Instant::now(), std::time::SystemTime::now());
    /// let mut conn = ServerConn::new(echo, info, Limits::default()).offload_above(4);
    /// conn.receive(now, b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nhi");
    /// assert!(conn.transmit().ends_with(b"\r\n\r\n2"), "light: answered inline");
    /// let n = conn.transmit().len();
    /// conn.advance(now, n);
    /// conn.receive(now, b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 9\r\n\r\nheavy one");
    /// assert!(conn.transmit().is_empty());
    /// let done = conn.take_job().expect("heavy: handed out").run();
    /// conn.complete(now, done);
    /// assert!(conn.transmit().ends_with(b"\r\n\r\n9"));
    /// ```
    pub fn offload_above(mut self, max: usize) -> Self {
        if self.dispatch == Dispatch::Inline {
            self.make_job = Some(make_job::<P, H>);
            self.dispatch = Dispatch::InlineUpTo(max);
        }
        self
    }
}

/// A handler call as a [`Job`].
fn make_job<P, H>(handler: &P, request: IncomingRequest) -> Job<ServerDone>
where
    P: Deref<Target = H> + Clone + Send + 'static,
    H: Handler + ?Sized,
{
    let handler = P::clone(handler);
    Job::new(move || ServerDone(Done::Response(call_handler(&*handler, request))))
}

/// What a request's body weighs against [`ServerConfig::offload_body_bytes`]: its size, or
/// [`COMPRESSED_BODY_WEIGHT`] times that when it is compressed (a handler inflates it).
fn body_weight(request: &IncomingRequest) -> usize {
    let coded = request
        .head
        .headers()
        .get("Content-Encoding")
        .is_some_and(|v| !v.trim_ascii().eq_ignore_ascii_case(b"identity"));
    if coded {
        request.body.len().saturating_mul(COMPRESSED_BODY_WEIGHT)
    } else {
        request.body.len()
    }
}

/// What all of one server's HTTP connections share: the handler, the HTTP limits and the
/// body budget. A driver makes one per server and a [`ServerConn`] per accepted connection
/// with [`connection`](HttpService::connection).
pub struct HttpService<H: ?Sized> {
    handler: Arc<H>,
    limits: Limits,
    budget: Arc<BodyBudget>,
    offload: bool,
    offload_above: usize,
}

impl<H: ?Sized> std::fmt::Debug for HttpService<H> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpService")
            .field("limits", &self.limits)
            .field("budget", &self.budget)
            .field("offload", &self.offload)
            .finish_non_exhaustive()
    }
}

impl<H> HttpService<H>
where
    H: Handler + Send + Sync + ?Sized + 'static,
{
    /// Serves `handler` under `limits`, with `config`'s body budget. `offload`: handler calls
    /// become [`Job`]s for the driver to run on worker threads (a driver whose connections
    /// share a thread, with [`ServerConfig::handler_threads`] above 0), unless
    /// [`Handler::try_handle`] answers them at once; otherwise the handler is called inline,
    /// on the connection's own thread or task, except for requests heavier than
    /// [`ServerConfig::offload_body_bytes`], which become jobs all the same. A driver must
    /// therefore run [`Next::Run`](crate::serve::Next::Run) jobs in either case.
    pub fn new(handler: Arc<H>, limits: Limits, config: &ServerConfig, offload: bool) -> Self {
        HttpService {
            handler,
            limits,
            budget: BodyBudget::new(config.body_budget),
            offload,
            offload_above: config.offload_body_bytes,
        }
    }

    /// The connection state machine for a newly accepted connection.
    pub fn connection(&self, info: ConnInfo) -> ServerConn<Arc<H>> {
        let handler = Arc::clone(&self.handler);
        let conn = if self.offload {
            ServerConn::deferred(handler, info, self.limits.clone())
        } else {
            ServerConn::new(handler, info, self.limits.clone()).offload_above(self.offload_above)
        };
        conn.with_budget(Some(Arc::clone(&self.budget)))
    }

    /// The server's body budget.
    pub fn budget(&self) -> &Arc<BodyBudget> {
        &self.budget
    }
}

/// Makes room in a body's reservation for `more` bytes after the `have` already held; false
/// if the budget has no room. Without a budget there is always room.
fn hold(held: &mut Option<Reservation>, have: usize, more: usize) -> bool {
    let Some(held) = held else {
        return true;
    };
    let needed = (have + more).saturating_sub(held.bytes());
    needed == 0 || held.grow(needed)
}

/// One read of a streamed body. A reader that panics is a read error (the body is cut
/// short), not a panic in the runtime's thread.
fn read_chunk(reader: &mut Box<dyn Read + Send>, buf: &mut [u8]) -> std::io::Result<usize> {
    catch_unwind(AssertUnwindSafe(|| reader.read(buf)))
        .unwrap_or_else(|_| Err(std::io::Error::other("the body reader panicked")))
}

/// Offers `request` to the handler's fast path; a panic there becomes a `500`.
fn try_handler<H: Handler + ?Sized>(handler: &H, request: IncomingRequest) -> Attempt {
    catch_unwind(AssertUnwindSafe(|| handler.try_handle(request))).unwrap_or_else(|_| {
        Attempt::Answered(OutgoingResponse::text(500, "Internal Server Error\n"))
    })
}

/// Calls `handler`; a panic becomes a `500`.
fn call_handler<H: Handler + ?Sized>(handler: &H, request: IncomingRequest) -> OutgoingResponse {
    catch_unwind(AssertUnwindSafe(|| handler.handle(request)))
        .unwrap_or_else(|_| OutgoingResponse::text(500, "Internal Server Error\n"))
}

impl<P, H> crate::Duplex for ServerConn<P>
where
    P: Deref<Target = H>,
    H: Handler + ?Sized,
{
    type Done = ServerDone;

    fn receive(&mut self, now: Now, data: &[u8]) {
        self.now = Some(now);
        self.conn.receive(data);
        self.progress();
    }

    fn secured(&mut self, info: Arc<crate::tls::TlsInfo>) {
        self.tls = Some(info);
    }

    fn receive_eof(&mut self, now: Now) {
        self.now = Some(now);
        self.conn.receive_eof();
        self.progress();
        if self.stream.is_none() && self.file.is_none() && self.request.is_none() && !self.busy() {
            // Nothing more will arrive; finish what is queued and close.
            self.closing = true;
        }
    }

    fn transmit(&self) -> &[u8] {
        &self.out[self.sent..]
    }

    fn transmit_file(&self) -> Option<FileSlice<'_>> {
        match &self.file {
            Some(range) if self.pending() == 0 && !range.is_empty() => {
                Some(range.slice(usize::MAX))
            }
            _ => None,
        }
    }

    fn transmit_more(&self) -> bool {
        // The file follows the head (and is only ever set for a driver that sends files).
        self.file.is_some()
    }

    fn enable_transmit_file(&mut self) {
        self.transmit_files = true;
    }

    fn advance(&mut self, now: Now, n: usize) {
        self.now = Some(now);
        if self.pending() == 0 {
            if let Some(range) = &mut self.file {
                range.consume(n as u64);
                if range.is_empty() {
                    self.file = None;
                    self.finish_message();
                }
                self.progress();
                return;
            }
        }
        self.sent = (self.sent + n).min(self.out.len());
        if self.sent == self.out.len() {
            self.out.clear();
            self.sent = 0;
        } else if self.sent >= HIGH_WATER {
            // A runtime that never writes everything at once (a socket taking part, or a
            // write window smaller than what is queued) must not make the buffer grow with
            // everything ever sent: drop the sent part (what stays is under a chunk).
            self.out.drain(..self.sent);
            self.sent = 0;
        }
        // Room to write again: stream more, or answer a request held behind the last one.
        self.progress();
    }

    fn wants_read(&self) -> bool {
        !self.closing
            && !self.busy()
            && self.stream.is_none()
            && self.file.is_none()
            && self.pending() < HIGH_WATER
            && self.conn.wants_read()
    }

    fn is_finished(&self) -> bool {
        self.closing
            && !self.busy()
            && self.stream.is_none()
            && self.file.is_none()
            && self.pending() == 0
    }

    fn mid_message(&self) -> bool {
        // A request handed out as a job is still in progress: a draining server must wait
        // for its answer.
        self.busy() || (!self.closing && self.in_request())
    }

    fn take_job(&mut self) -> Option<Job<ServerDone>> {
        self.job.take()
    }

    fn complete(&mut self, now: Now, done: ServerDone) {
        self.now = Some(now);
        match (
            std::mem::replace(&mut self.awaiting, Awaiting::Nothing),
            done.0,
        ) {
            (Awaiting::Response, Done::Response(response)) => self.send_response(response),
            (Awaiting::Chunk, Done::Chunk(Chunk { reader, buf, read })) => {
                self.scratch = buf;
                self.stream = Some(reader);
                self.take_chunk(read);
            }
            (Awaiting::Nothing, _) => return,
            // Not what this connection waits for: it cannot be answered honestly.
            _ => self.abort(),
        }
        self.progress();
    }
}
