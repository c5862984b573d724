//! A blocking HTTP/1.1 client: `urlopen` and `urlretrieve` over `std::net`.
//!
//! [`get`] gives a [`Response`] whose body is a streaming [`Read`]; [`retrieve`] saves a URL
//! to a file through a temporary file renamed on success, so a failure never leaves a
//! partial file. A [`Client`] follows redirects (301, 302, 303, 307, 308, at most
//! [`ClientConfig::max_redirects`]), keeps idle keep-alive connections per host for reuse, and
//! applies connect and read timeouts. Only `http://` URLs are supported for now.
//!
//! Everything about HTTP (the request head, framing, redirect rules, when a connection can
//! be reused) comes from [`netloom_core::http::client`]; this module moves bytes. It is
//! generic over a [`Connector`], so other blocking transports (netloom-mio's poll-driven
//! connection, say) reuse it whole.
//!
//! ```no_run
//! use std::io::Read;
//!
//! # fn main() -> Result<(), netloom_std::http_client::ClientError> {
//! let mut resp = netloom_std::http_client::get("http://127.0.0.1:8000/")?;
//! println!("{} {}", resp.status(), resp.reason());
//! let mut body = String::new();
//! resp.read_to_string(&mut body)?;
//!
//! let bytes = netloom_std::http_client::retrieve(
//!     "http://127.0.0.1:8000/big.iso",
//!     "big.iso",
//!     |done, total| eprintln!("{done} of {total:?} bytes"),
//! )?;
//! # Ok(()) }
//! ```

use std::collections::HashMap;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use netloom_core::http::client::{
    body_length, build_request, is_success, part_path, BodyCursor, Exchange, Redirects, Step,
    Target,
};
use netloom_core::http::{self, Headers};

pub use netloom_core::http::client::{ClientConfig, ClientError, Url, Waiting};

/// Size of the buffer each response reads the socket with.
const READ_BUF: usize = 64 * 1024;

/// A redirect's body is drained (so its connection can be reused) up to this many bytes;
/// a longer one closes the connection instead.
const DRAIN_LIMIT: u64 = 64 * 1024;

/// How a [`Client`] opens connections.
///
/// Implement it to run the client over another blocking transport; the stream only has to
/// read and write, honouring the config's timeouts (a read that times out should fail with
/// [`io::ErrorKind::TimedOut`] or [`io::ErrorKind::WouldBlock`]).
pub trait Connector {
    /// The connection type.
    type Stream: Read + Write;

    /// Opens a connection to `host:port`, within
    /// [`connect_timeout`](ClientConfig::connect_timeout) per address, with reads and writes
    /// bounded by [`read_timeout`](ClientConfig::read_timeout). Errors:
    /// [`ClientError::Connect`] or [`ClientError::Timeout`] (see
    /// [`ClientError::from_connect`]).
    fn connect(
        &self,
        host: &str,
        port: u16,
        config: &ClientConfig,
    ) -> Result<Self::Stream, ClientError>;
}

/// Resolves `host:port`; a name that does not resolve is [`ClientError::Connect`] saying
/// "unknown host".
pub fn resolve(host: &str, port: u16) -> Result<Vec<SocketAddr>, ClientError> {
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

/// `Some(d)` unless `d` is zero (which means "no timeout").
fn nonzero(d: Duration) -> Option<Duration> {
    (!d.is_zero()).then_some(d)
}

/// The default [`Connector`]: a blocking [`TcpStream`], `TCP_NODELAY`, read and write
/// timeouts set on the socket.
#[derive(Debug, Clone, Copy, Default)]
pub struct TcpConnector;

impl Connector for TcpConnector {
    type Stream = TcpStream;

    fn connect(
        &self,
        host: &str,
        port: u16,
        config: &ClientConfig,
    ) -> Result<TcpStream, ClientError> {
        let mut last = None;
        for addr in resolve(host, port)? {
            let attempt = match nonzero(config.connect_timeout) {
                Some(t) => TcpStream::connect_timeout(&addr, t),
                None => TcpStream::connect(addr),
            };
            match attempt {
                Ok(s) => {
                    let setup = s
                        .set_read_timeout(nonzero(config.read_timeout))
                        .and_then(|()| s.set_write_timeout(nonzero(config.read_timeout)))
                        .and_then(|()| s.set_nodelay(true));
                    return setup.map(|()| s).map_err(ClientError::Io);
                }
                Err(e) => last = Some(e),
            }
        }
        Err(ClientError::from_connect(last.unwrap_or_else(|| {
            io::Error::new(io::ErrorKind::NotFound, "no address to connect to")
        })))
    }
}

/// Idle keep-alive connections by host and port.
struct Pool<S> {
    idle: HashMap<(String, u16), Vec<S>>,
    max_per_host: usize,
}

type SharedPool<S> = Arc<Mutex<Pool<S>>>;

fn lock<S>(pool: &SharedPool<S>) -> MutexGuard<'_, Pool<S>> {
    pool.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl<S> Pool<S> {
    fn take(&mut self, key: &(String, u16)) -> Option<S> {
        let list = self.idle.get_mut(key)?;
        let s = list.pop();
        if list.is_empty() {
            self.idle.remove(key);
        }
        s
    }

    fn put(&mut self, key: (String, u16), stream: S) {
        let list = self.idle.entry(key).or_default();
        if list.len() < self.max_per_host {
            list.push(stream);
        }
    }
}

/// A blocking HTTP client with a keep-alive pool, generic over its [`Connector`].
///
/// Cloning is cheap and clones share the pool. Idle connections are kept per host and
/// port (at most [`ClientConfig::max_idle_per_host`]); a response returns its connection to
/// the pool when its body has been read to the end and the server allows reuse. A pooled
/// connection the server has closed meanwhile is detected by the request getting no
/// response byte, and the request is sent once more on a fresh connection.
pub struct Client<C: Connector = TcpConnector> {
    connector: C,
    config: ClientConfig,
    pool: SharedPool<C::Stream>,
}

impl<C: Connector + Clone> Clone for Client<C> {
    fn clone(&self) -> Self {
        Client {
            connector: self.connector.clone(),
            config: self.config.clone(),
            pool: Arc::clone(&self.pool),
        }
    }
}

impl<C: Connector> std::fmt::Debug for Client<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Default for Client<TcpConnector> {
    fn default() -> Self {
        Client::new()
    }
}

impl Client<TcpConnector> {
    /// A client over `std::net` with [`ClientConfig::default`].
    pub fn new() -> Self {
        Client::with_config(ClientConfig::default())
    }

    /// A client over `std::net` with `config`.
    pub fn with_config(config: ClientConfig) -> Self {
        Client::with_connector(TcpConnector, config)
    }
}

/// Which download a temporary file belongs to, within this process.
static PART_COUNTER: AtomicU64 = AtomicU64::new(0);

/// Removes a temporary download file unless the download succeeded.
struct PartFile {
    path: PathBuf,
    keep: bool,
}

impl Drop for PartFile {
    fn drop(&mut self) {
        if !self.keep {
            let _ = fs::remove_file(&self.path);
        }
    }
}

/// Opens the temporary file a download to `dest` goes through (see
/// [`part_path`](netloom_core::http::client::part_path)); it is removed again when the returned
/// guard drops unless [`finish_part`] renamed it into place.
fn create_part(dest: &Path) -> Result<(File, PartFile), ClientError> {
    let n = PART_COUNTER.fetch_add(1, Ordering::Relaxed);
    let path = part_path(dest, std::process::id(), n).ok_or_else(|| {
        ClientError::Io(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("'{}' is not a file name", dest.display()),
        ))
    })?;
    let file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)
        .map_err(|e| file_error("cannot create", &path, e))?;
    Ok((file, PartFile { path, keep: false }))
}

fn finish_part(mut part: PartFile, dest: &Path) -> Result<(), ClientError> {
    fs::rename(&part.path, dest).map_err(|e| file_error("cannot rename to", dest, e))?;
    part.keep = true;
    Ok(())
}

fn file_error(what: &str, path: &Path, e: io::Error) -> ClientError {
    ClientError::Io(io::Error::new(
        e.kind(),
        format!("{what} {}: {e}", path.display()),
    ))
}

impl<C: Connector> Client<C> {
    /// A client that opens its connections with `connector`.
    pub fn with_connector(connector: C, config: ClientConfig) -> Self {
        let pool = Pool {
            idle: HashMap::new(),
            max_per_host: config.max_idle_per_host,
        };
        Client {
            connector,
            config,
            pool: Arc::new(Mutex::new(pool)),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// How many idle connections the pool holds now (all hosts).
    pub fn idle_connections(&self) -> usize {
        lock(&self.pool).idle.values().map(Vec::len).sum()
    }

    /// `GET url`, following redirects. The response's status may be anything (a `404` is a
    /// response, not an error); its body streams from the socket as you read it.
    pub fn get(&self, url: &str) -> Result<Response<C::Stream>, ClientError> {
        self.request("GET", url, &[])
    }

    /// Sends `method url` with `body` (given a `Content-Length`; none for an empty body on
    /// `GET`-like methods), following redirects as [`redirect`](netloom_core::http::client::redirect)
    /// says: 301/302 turn a `POST` into a `GET`, 303 always `GET`s, 307/308 resend the same
    /// method and body.
    pub fn request(
        &self,
        method: &str,
        url: &str,
        body: &[u8],
    ) -> Result<Response<C::Stream>, ClientError> {
        let mut target = Target::parse(url)?;
        let mut method = method.to_owned();
        let mut body = body;
        let mut redirects = Redirects::new(self.config.max_redirects);
        loop {
            let mut resp = self.send(&target, &method, body)?;
            match redirects.follow(target.url(), &method, &resp.head)? {
                None => return Ok(resp),
                Some(next) => {
                    resp.discard(DRAIN_LIMIT);
                    target = Target::from_url(next.url)?;
                    method = next.method;
                    if !next.keep_body {
                        body = &[];
                    }
                }
            }
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
        let dest = path.as_ref();
        let mut resp = self.get(url)?;
        if !is_success(resp.status()) {
            return Err(ClientError::Status {
                code: resp.status(),
                reason: resp.reason().to_owned(),
            });
        }
        let (mut file, part) = create_part(dest)?;
        let total = resp.content_length();
        let mut done = 0u64;
        progress(done, total);
        while let Some(chunk) = resp.next_chunk()? {
            file.write_all(&chunk)
                .map_err(|e| file_error("cannot write", &part.path, e))?;
            done += chunk.len() as u64;
            progress(done, total);
        }
        drop(file);
        finish_part(part, dest)?;
        Ok(done)
    }

    /// One request on one connection: an idle pooled one first (retried once on a fresh
    /// connection if it turns out stale), else a new one.
    fn send(
        &self,
        target: &Target,
        method: &str,
        body: &[u8],
    ) -> Result<Response<C::Stream>, ClientError> {
        let key = (target.host().to_owned(), target.port());
        let idle = lock(&self.pool).take(&key);
        if let Some(stream) = idle {
            match self.attempt(stream, target, method, body, key.clone()) {
                Ok(resp) => return Ok(resp),
                Err((_, true)) => {}
                Err((e, false)) => return Err(e),
            }
        }
        let stream = self
            .connector
            .connect(target.host(), target.port(), &self.config)?;
        self.attempt(stream, target, method, body, key)
            .map_err(|(e, _)| e)
    }

    /// Writes the request and reads up to the final response head. On error, says whether
    /// the connection looked stale.
    fn attempt(
        &self,
        mut stream: C::Stream,
        target: &Target,
        method: &str,
        body: &[u8],
        key: (String, u16),
    ) -> Result<Response<C::Stream>, (ClientError, bool)> {
        let mut exchange = Exchange::for_config(&self.config);
        let req = build_request(
            &self.config,
            method,
            target,
            body_length(method, body.len()),
        );
        let mut out = Vec::with_capacity(256 + body.len());
        exchange
            .start(req, body, &mut out)
            .map_err(|e| (e, false))?;
        if let Err(e) = stream.write_all(&out).and_then(|()| stream.flush()) {
            let e = ClientError::from_io(e, Waiting::Write);
            let stale = exchange.is_stale(&e);
            return Err((e, stale));
        }
        let mut body = BodyReader {
            exchange,
            stream: Some(stream),
            buf: Vec::new(),
            key,
            pool: Arc::clone(&self.pool),
        };
        let head = match body.step() {
            Ok(Step::Head(h)) => h,
            Ok(_) => {
                let e = ClientError::Protocol(http::Error::InvalidStatusLine);
                return Err((e, false));
            }
            Err(e) => {
                let stale = body.exchange.is_stale(&e);
                return Err((e, stale));
            }
        };
        Ok(Response {
            head,
            url: target.url().clone(),
            body,
            cursor: BodyCursor::default(),
        })
    }
}

/// The socket side of a response body: reads the socket into the exchange, and hands the
/// connection back to the pool at a reusable end.
struct BodyReader<S> {
    exchange: Exchange,
    stream: Option<S>,
    buf: Vec<u8>,
    key: (String, u16),
    pool: SharedPool<S>,
}

impl<S: Read + Write> BodyReader<S> {
    /// The next step that is not `NeedInput`, reading the socket as needed.
    fn step(&mut self) -> Result<Step, ClientError> {
        loop {
            match self.exchange.step()? {
                Step::NeedInput => self.fill()?,
                Step::End { reusable } => {
                    if let Some(stream) = self.stream.take() {
                        if reusable {
                            lock(&self.pool).put(self.key.clone(), stream);
                        }
                    }
                    return Ok(Step::End { reusable });
                }
                other => return Ok(other),
            }
        }
    }

    fn fill(&mut self) -> Result<(), ClientError> {
        let Some(stream) = self.stream.as_mut() else {
            self.exchange.receive_eof();
            return Ok(());
        };
        if self.buf.len() < READ_BUF {
            self.buf.resize(READ_BUF, 0);
        }
        loop {
            match stream.read(&mut self.buf) {
                Ok(0) => {
                    self.exchange.receive_eof();
                    return Ok(());
                }
                Ok(n) => {
                    self.exchange.receive(&self.buf[..n]);
                    return Ok(());
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.stream = None;
                    return Err(ClientError::from_io(e, Waiting::Read));
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
/// [`ClientError::BodyIncomplete`]; get it back with [`ClientError::from_io`]), never a
/// silently short body.
pub struct Response<S = TcpStream> {
    head: http::Response,
    url: Url,
    body: BodyReader<S>,
    cursor: BodyCursor,
}

impl<S> std::fmt::Debug for Response<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Response")
            .field("url", &self.url.as_str())
            .field("head", &self.head)
            .finish_non_exhaustive()
    }
}

impl<S: Read + Write> Response<S> {
    /// The status code.
    pub fn status(&self) -> u16 {
        self.head.status()
    }

    /// The reason phrase the server sent (may be empty).
    pub fn reason(&self) -> &str {
        self.head.reason()
    }

    /// The header fields.
    pub fn headers(&self) -> &Headers {
        self.head.headers()
    }

    /// The whole response head.
    pub fn head(&self) -> &http::Response {
        &self.head
    }

    /// The URL this response came from, after redirects.
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// The body length the server declared (`Content-Length`), if any.
    pub fn content_length(&self) -> Option<u64> {
        self.body.exchange.expected()
    }

    /// The next piece of the body as the socket delivered it, `None` at the end. Bytes
    /// already handed out by `read` are not returned again.
    pub fn next_chunk(&mut self) -> Result<Option<Vec<u8>>, ClientError> {
        if let Some(ready) = self.cursor.pending() {
            return ready;
        }
        loop {
            if let Some(ready) = self.cursor.on_step(self.body.step()) {
                return ready;
            }
        }
    }

    /// Reads and drops up to `limit` more body bytes so the connection can be reused; a
    /// longer body (or an error) just closes it.
    fn discard(&mut self, limit: u64) {
        let mut seen = 0u64;
        while seen <= limit {
            match self.next_chunk() {
                Ok(Some(c)) => seen += c.len() as u64,
                _ => return,
            }
        }
        self.body.stream = None;
    }
}

impl<S: Read + Write> Read for Response<S> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        if self.cursor.is_drained() {
            match self.next_chunk().map_err(io::Error::from)? {
                Some(c) => self.cursor.set_chunk(c),
                None => return Ok(0),
            }
        }
        Ok(self.cursor.copy_to(buf))
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
