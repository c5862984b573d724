//! A blocking HTTP/1.1 client: `urlopen` and `urlretrieve` over `std::net` (or a Unix socket).
//!
//! Every rule is the core's [`Fetch`]: redirects, credentials that never leave their origin,
//! the retry of a stale pooled connection, the `1xx` cap, the connect, read, head and total
//! deadlines. This module connects, moves bytes and keeps the pool.
//!
//! ```no_run
//! use std::io::Read;
//! use netloom_std::http_client::Client;
//!
//! # fn main() -> Result<(), netloom_std::http_client::ClientError> {
//! let client = Client::new();
//! let mut resp = client.get("http://127.0.0.1:8000/")?;
//! println!("{} {}", resp.status(), resp.reason());
//! let text = resp.text()?;
//!
//! let resp = client
//!     .post("http://127.0.0.1:8000/echo")
//!     .header("X-Trace", "1")
//!     .content_type("application/json")
//!     .basic_auth("alice", "s3cret")
//!     .body(br#"{"a":1}"#.to_vec())
//!     .send()?;
//!
//! client.retrieve("http://127.0.0.1:8000/big.iso", "big.iso", |done, total| {
//!     eprintln!("{done} of {total:?} bytes")
//! })?;
//! # Ok(()) }
//! ```

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream, ToSocketAddrs};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use netloom_core::http::client::{ClientRequest, Fetch, FetchStep, Link, Origin, Pool};
use netloom_core::http::{self, Headers};
use netloom_io::PartFile;

use crate::server::now;
use crate::timeouts::Armed;

pub use netloom_core::http::client::{ClientConfig, ClientError, RedirectPolicy, Url, Waiting};

/// Size of the buffer transfers read the socket with.
const READ_BUF: usize = 64 * 1024;

thread_local! {
    /// The read buffer of this thread's transfers (zeroing 64 KiB per request would cost
    /// more than the whole request).
    static READ_BUFFER: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Runs `f` with this thread's read buffer (or a fresh one, if it is in use already).
fn with_buffer<T>(f: impl FnOnce(&mut [u8]) -> T) -> T {
    READ_BUFFER.with(|cell| match cell.try_borrow_mut() {
        Ok(mut buf) => {
            if buf.len() < READ_BUF {
                buf.resize(READ_BUF, 0);
            }
            f(&mut buf)
        }
        Err(_) => f(&mut vec![0; READ_BUF]),
    })
}

/// A connection to a server: TCP, or a Unix socket
/// ([`ClientConfig::unix_socket`]).
#[derive(Debug)]
enum Conn {
    Tcp(TcpStream),
    Unix(UnixStream),
}

impl Conn {
    fn set_read_timeout(&self, d: Option<Duration>) -> io::Result<()> {
        match self {
            Conn::Tcp(s) => s.set_read_timeout(d),
            Conn::Unix(s) => s.set_read_timeout(d),
        }
    }

    fn set_write_timeout(&self, d: Option<Duration>) -> io::Result<()> {
        match self {
            Conn::Tcp(s) => s.set_write_timeout(d),
            Conn::Unix(s) => s.set_write_timeout(d),
        }
    }

    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Conn::Tcp(s) => s.read(buf),
            Conn::Unix(s) => s.read(buf),
        }
    }

    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Conn::Tcp(s) => s.write(buf),
            Conn::Unix(s) => s.write(buf),
        }
    }
}

impl Drop for Conn {
    fn drop(&mut self) {
        let _ = match self {
            Conn::Tcp(s) => s.shutdown(Shutdown::Both),
            Conn::Unix(s) => s.shutdown(Shutdown::Both),
        };
    }
}

/// A pooled connection, with its socket timeouts as last set and its TLS session.
#[derive(Debug)]
struct Pooled {
    conn: Conn,
    read: ArmedDebug,
    write: ArmedDebug,
    link: Link,
}

#[derive(Default)]
struct ArmedDebug(Armed);

impl std::fmt::Debug for ArmedDebug {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Armed")
    }
}

type SharedPool = Arc<Mutex<Pool<Pooled>>>;

fn lock(pool: &SharedPool) -> MutexGuard<'_, Pool<Pooled>> {
    pool.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Resolves `host:port`; a name that does not resolve is [`ClientError::Connect`] saying
/// "unknown host".
fn resolve(host: &str, port: u16) -> Result<Vec<SocketAddr>, ClientError> {
    let unknown = || {
        ClientError::Connect(io::Error::new(
            io::ErrorKind::NotFound,
            format!("unknown host '{host}'"),
        ))
    };
    let addrs: Vec<SocketAddr> = (host, port)
        .to_socket_addrs()
        .map_err(|_| unknown())?
        .collect();
    if addrs.is_empty() {
        return Err(unknown());
    }
    Ok(addrs)
}

/// Connects to `origin` (or the configured Unix socket) by `deadline`.
fn connect(
    origin: &Origin,
    config: &ClientConfig,
    deadline: Option<Instant>,
) -> Result<Conn, ClientError> {
    if let Some(path) = &config.unix_socket {
        return UnixStream::connect(path)
            .map(Conn::Unix)
            .map_err(ClientError::from_connect);
    }
    let mut last = None;
    for addr in resolve(&origin.host, origin.port)? {
        let left = deadline.map(|d| d.saturating_duration_since(Instant::now()));
        let attempt = match left {
            Some(d) if d.is_zero() => return Err(ClientError::Timeout(Waiting::Connect)),
            Some(d) => TcpStream::connect_timeout(&addr, d),
            None => TcpStream::connect(addr),
        };
        match attempt {
            Ok(s) => {
                let _ = s.set_nodelay(true);
                return Ok(Conn::Tcp(s));
            }
            Err(e) => last = Some(e),
        }
    }
    Err(ClientError::from_connect(last.unwrap_or_else(|| {
        io::Error::new(io::ErrorKind::NotFound, "no address to connect to")
    })))
}

/// A blocking HTTP client with a keep-alive pool.
///
/// Cloning is cheap and clones share the pool. A response returns its connection to the pool
/// when its body has been read to the end and the server allows reuse.
#[derive(Clone)]
pub struct Client {
    config: Arc<ClientConfig>,
    pool: SharedPool,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Default for Client {
    fn default() -> Self {
        Client::new()
    }
}

impl Client {
    /// A client with [`ClientConfig::default`].
    pub fn new() -> Self {
        Client::with_config(ClientConfig::default())
    }

    /// A client with `config`. Without a TLS configuration of its own
    /// (`ClientConfig::tls`), `https://` servers are verified against the system's trust
    /// store.
    pub fn with_config(config: ClientConfig) -> Self {
        #[cfg(feature = "tls")]
        let config = {
            let mut config = config;
            netloom_io::tls::fill_client_defaults(&mut config);
            config
        };
        Client {
            pool: Arc::new(Mutex::new(Pool::new(&config))),
            config: Arc::new(config),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// How many idle connections the pool holds now (all origins).
    pub fn idle_connections(&self) -> usize {
        lock(&self.pool).len()
    }

    /// A request to build and [`send`](RequestBuilder::send).
    pub fn request(&self, method: &str, url: &str) -> RequestBuilder {
        RequestBuilder {
            client: self.clone(),
            request: ClientRequest::new(method, url),
            upload: None,
        }
    }

    /// `POST url`, to build on.
    pub fn post(&self, url: &str) -> RequestBuilder {
        self.request("POST", url)
    }

    /// `GET url`, following redirects. The response's status may be anything (a `404` is a
    /// response, not an error); its body streams from the socket as you read it.
    pub fn get(&self, url: &str) -> Result<Response, ClientError> {
        self.request("GET", url).send()
    }

    /// Sends `request`; a streamed body
    /// ([`RequestBody::Stream`](netloom_core::http::client::RequestBody::Stream)) is read from
    /// `upload`.
    pub fn send(
        &self,
        request: ClientRequest,
        upload: Option<Box<dyn Read + Send>>,
    ) -> Result<Response, ClientError> {
        let fetch = Fetch::new(request, Arc::clone(&self.config), now());
        let mut transfer = Transfer {
            fetch,
            conn: None,
            pool: Arc::clone(&self.pool),
            config: Arc::clone(&self.config),
            upload,
        };
        match transfer.pump()? {
            FetchStep::Head => Ok(Response { transfer }),
            _ => Err(ClientError::NoResponse),
        }
    }

    /// Saves `url` (after redirects) to `path`, calling `progress(bytes_done, total)` as the
    /// body arrives (`total` is the `Content-Length`, when the server sent one; the first call
    /// reports 0 bytes). The body goes to a temporary file next to `path`, renamed onto `path`
    /// when complete; on any failure the temporary file is removed and `path` is untouched. A
    /// non-2xx status is [`ClientError::Status`] (and no file). Returns the body size.
    pub fn retrieve(
        &self,
        url: &str,
        path: impl AsRef<Path>,
        mut progress: impl FnMut(u64, Option<u64>),
    ) -> Result<u64, ClientError> {
        let mut resp = self.get(url)?;
        if !(200..300).contains(&resp.status()) {
            return Err(ClientError::Status {
                code: resp.status(),
                reason: resp.reason().to_owned(),
            });
        }
        let mut part = PartFile::create(path.as_ref()).map_err(ClientError::Io)?;
        let total = resp.content_length();
        let mut done = 0u64;
        progress(done, total);
        while let Some(chunk) = resp.chunk()? {
            part.write_all(chunk).map_err(ClientError::Io)?;
            done += chunk.len() as u64;
            let n = chunk.len();
            resp.consume(n);
            progress(done, total);
        }
        part.finish().map_err(ClientError::Io)?;
        Ok(done)
    }
}

/// A request being built: [`Client::request`] and its shortcuts make one, [`send`](Self::send)
/// sends it.
pub struct RequestBuilder {
    client: Client,
    request: Result<ClientRequest, ClientError>,
    upload: Option<Box<dyn Read + Send>>,
}

impl std::fmt::Debug for RequestBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RequestBuilder")
            .field("request", &self.request)
            .finish_non_exhaustive()
    }
}

impl RequestBuilder {
    fn map(mut self, f: impl FnOnce(ClientRequest) -> ClientRequest) -> Self {
        self.request = self.request.map(f);
        self
    }

    /// Adds a header field (it replaces a default field of the same name).
    pub fn header(self, name: &str, value: &str) -> Self {
        self.map(|r| r.header(name, value))
    }

    /// Sets `Content-Type`.
    pub fn content_type(self, value: &str) -> Self {
        self.map(|r| r.content_type(value))
    }

    /// HTTP Basic credentials, sent to this URL's origin only.
    pub fn basic_auth(self, user: &str, password: &str) -> Self {
        self.map(|r| r.basic_auth(user, password))
    }

    /// The whole request must be done within `limit`.
    pub fn timeout(self, limit: Duration) -> Self {
        self.map(|r| r.timeout(limit))
    }

    /// Which redirects this request follows.
    pub fn redirects(self, policy: RedirectPolicy) -> Self {
        self.map(|r| r.redirects(policy))
    }

    /// The body: these bytes, with a `Content-Length`.
    pub fn body(self, bytes: impl Into<Vec<u8>>) -> Self {
        let bytes = bytes.into();
        self.map(|r| r.body(bytes))
    }

    /// A body read from `reader` as it is sent: with a `Content-Length` of `len` when given,
    /// chunked otherwise. It is sent once: a redirect that would resend it is returned as
    /// the response.
    pub fn body_reader(mut self, reader: impl Read + Send + 'static, len: Option<u64>) -> Self {
        self.upload = Some(Box::new(reader));
        self.map(|r| r.streamed_body(len))
    }

    /// Sends the request and returns the response once its head has arrived.
    pub fn send(self) -> Result<Response, ClientError> {
        let request = self.request?;
        self.client.send(request, self.upload)
    }
}

/// One fetch in progress: the core's [`Fetch`] and the connection it runs on.
struct Transfer {
    fetch: Fetch,
    conn: Option<Pooled>,
    pool: SharedPool,
    config: Arc<ClientConfig>,
    upload: Option<Box<dyn Read + Send>>,
}

impl Transfer {
    /// Runs the fetch until it has something for the caller: the head, body bytes, or the
    /// end ([`FetchStep::Head`], [`FetchStep::Body`], [`FetchStep::Done`]).
    fn pump(&mut self) -> Result<FetchStep, ClientError> {
        loop {
            let t = now();
            let step = match self.fetch.next(t) {
                Ok(step) => step,
                Err(e) => {
                    self.conn = None;
                    return Err(e);
                }
            };
            match step {
                FetchStep::Connect { fresh } => {
                    let origin = self.fetch.origin().clone();
                    let pooled = (!fresh)
                        .then(|| lock(&self.pool).take(&origin, t))
                        .flatten();
                    match pooled {
                        Some(mut p) => {
                            let link = std::mem::take(&mut p.link);
                            self.conn = Some(p);
                            self.fetch.reused(t, link)?;
                        }
                        None => {
                            let conn = connect(&origin, &self.config, self.fetch.poll_timeout())
                                .map_err(|e| self.fetch.connect_failed(e))?;
                            self.conn = Some(Pooled {
                                conn,
                                read: ArmedDebug::default(),
                                write: ArmedDebug::default(),
                                link: Link::plain(),
                            });
                            self.fetch.connected(now())?;
                        }
                    }
                }
                FetchStep::Write => self.write(t),
                FetchStep::Read => self.read(t),
                FetchStep::SendBody => self.upload_piece(t)?,
                FetchStep::Release { reusable } => {
                    if let Some(mut conn) = self.conn.take() {
                        if reusable {
                            conn.link = self.fetch.take_link();
                            lock(&self.pool).put(self.fetch.origin().clone(), conn, t);
                        }
                    }
                }
                FetchStep::Head | FetchStep::Body | FetchStep::Done => return Ok(step),
            }
        }
    }

    fn write(&mut self, t: netloom_core::Now) {
        let Some(p) = self.conn.as_mut() else {
            self.fetch.io_failed(io::ErrorKind::NotConnected.into());
            return;
        };
        let deadline = self.fetch.poll_timeout();
        if !p
            .write
            .0
            .arm(deadline, t.instant, |d| p.conn.set_write_timeout(d))
        {
            self.fetch.handle_timeout(now());
            return;
        }
        match p.conn.write(self.fetch.transmit()) {
            Ok(0) => self.fetch.io_failed(io::ErrorKind::WriteZero.into()),
            Ok(n) => self.fetch.advance(now(), n),
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                self.fetch.handle_timeout(now())
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => self.fetch.io_failed(e),
        }
    }

    fn read(&mut self, t: netloom_core::Now) {
        let Some(p) = self.conn.as_mut() else {
            self.fetch.receive_eof(t);
            return;
        };
        let deadline = self.fetch.poll_timeout();
        if !p
            .read
            .0
            .arm(deadline, t.instant, |d| p.conn.set_read_timeout(d))
        {
            self.fetch.handle_timeout(now());
            return;
        }
        let fetch = &mut self.fetch;
        with_buffer(|buf| match p.conn.read(buf) {
            Ok(0) => fetch.receive_eof(now()),
            Ok(n) => fetch.receive(now(), &buf[..n]),
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                fetch.handle_timeout(now())
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => fetch.io_failed(e),
        })
    }

    /// The next piece of a streamed upload.
    fn upload_piece(&mut self, t: netloom_core::Now) -> Result<(), ClientError> {
        let Some(upload) = self.upload.as_mut() else {
            return self.fetch.finish_body(t);
        };
        let fetch = &mut self.fetch;
        loop {
            let piece = with_buffer(|buf| match upload.read(buf) {
                Ok(0) => Ok(None),
                Ok(n) => fetch.send_body(t, &buf[..n]).map(Some).map_err(Err),
                Err(e) => Err(Ok(e)),
            });
            match piece {
                Ok(None) => return fetch.finish_body(t),
                Ok(Some(())) => return Ok(()),
                Err(Err(e)) => return Err(e),
                Err(Ok(e)) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(Ok(e)) => {
                    let e = ClientError::Io(io::Error::new(
                        e.kind(),
                        format!("reading the request body: {e}"),
                    ));
                    return Err(fetch.connect_failed(e));
                }
            }
        }
    }
}

/// A response: status, headers, the final URL, and the body as a streaming [`Read`].
///
/// The body is read from the socket as you read it, never buffered whole. Reading it to the
/// end returns the connection to its client's pool (when the server allows reuse); dropping
/// the response earlier closes the connection. A body cut short by the server is an error
/// from `read` ([`io::ErrorKind::UnexpectedEof`], carrying
/// [`ClientError::BodyIncomplete`]; get it back with [`ClientError::from_io`]), on every
/// later read too; never a silently short body.
pub struct Response {
    transfer: Transfer,
}

impl std::fmt::Debug for Response {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Response")
            .field("url", &self.url().as_str())
            .field("status", &self.status())
            .finish_non_exhaustive()
    }
}

impl Response {
    fn head_ref(&self) -> &http::Response {
        // A Response exists only once the fetch said Head.
        self.transfer
            .fetch
            .response()
            .expect("a response has its head")
    }

    /// The status code.
    pub fn status(&self) -> u16 {
        self.head_ref().status()
    }

    /// The reason phrase the server sent (may be empty).
    pub fn reason(&self) -> &str {
        self.head_ref().reason()
    }

    /// The header fields.
    pub fn headers(&self) -> &Headers {
        self.head_ref().headers()
    }

    /// The whole response head.
    pub fn head(&self) -> &http::Response {
        self.head_ref()
    }

    /// The URL this response came from, after redirects.
    pub fn url(&self) -> &Url {
        self.transfer.fetch.url()
    }

    /// The body length the server declared (`Content-Length`), if any.
    pub fn content_length(&self) -> Option<u64> {
        self.transfer.fetch.content_length()
    }

    /// The next body bytes as they came (`None` at the end), without copying; say how many
    /// were used with [`consume`](Response::consume).
    pub fn chunk(&mut self) -> Result<Option<&[u8]>, ClientError> {
        match self.transfer.pump()? {
            FetchStep::Body => Ok(Some(self.transfer.fetch.body())),
            _ => Ok(None),
        }
    }

    /// `n` bytes of the last [`chunk`](Response::chunk) were used.
    pub fn consume(&mut self, n: usize) {
        self.transfer.fetch.consume(n);
    }

    /// The whole body as text (invalid UTF-8 replaced).
    pub fn text(&mut self) -> Result<String, ClientError> {
        let bytes = self.bytes()?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }

    /// The whole body.
    pub fn bytes(&mut self) -> Result<Vec<u8>, ClientError> {
        let mut out = Vec::new();
        while let Some(chunk) = self.chunk()? {
            out.extend_from_slice(chunk);
            let n = chunk.len();
            self.consume(n);
        }
        Ok(out)
    }
}

impl Read for Response {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        match self.chunk().map_err(io::Error::from)? {
            Some(chunk) => {
                let n = chunk.len().min(buf.len());
                buf[..n].copy_from_slice(&chunk[..n]);
                self.consume(n);
                Ok(n)
            }
            None => Ok(0),
        }
    }
}

/// `GET url` with a default [`Client`] (Python's `urllib.request.urlopen`). For several
/// requests, keep a [`Client`]: it reuses connections.
pub fn get(url: &str) -> Result<Response, ClientError> {
    Client::new().get(url)
}

/// Saves `url` to `path` with a default [`Client`] (Python's `urlretrieve`); see
/// [`Client::retrieve`].
pub fn retrieve(
    url: &str,
    path: impl AsRef<Path>,
    progress: impl FnMut(u64, Option<u64>),
) -> Result<u64, ClientError> {
    Client::new().retrieve(url, path, progress)
}

// Responses move between threads (a body read elsewhere).
const _: fn() = || {
    fn assert_send<T: Send>() {}
    assert_send::<Response>();
};
