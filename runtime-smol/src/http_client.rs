//! An async HTTP/1.1 client: `urlopen` and `urlretrieve` as `async fn`s on async-io.
//!
//! [`Client::get`] gives a [`Response`] whose body is a streaming
//! [`AsyncRead`]; [`Client::retrieve`] saves a URL through a
//! temporary file renamed on success. Redirects, keep-alive reuse (with one retry when a
//! pooled connection turns out stale), connect and read timeouts behave as in
//! `netloom_std::http_client`: every rule comes from [`netloom_core::http::client`], and this
//! module only moves bytes, with [`async_io::Timer`] for the timeouts. Works under any
//! executor.
//!
//! ```no_run
//! use futures_lite::AsyncReadExt;
//!
//! # fn main() -> Result<(), netloom_smol::http_client::ClientError> {
//! smol::block_on(async {
//!     let mut resp = netloom_smol::http_client::get("http://127.0.0.1:8000/").await?;
//!     let mut body = Vec::new();
//!     resp.read_to_end(&mut body).await?;
//!     netloom_smol::http_client::retrieve("http://127.0.0.1:8000/f", "f", |_, _| {}).await?;
//!     Ok(())
//! })
//! # }
//! ```

use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::Duration;

use async_io::{Async, Timer};
use futures_lite::{future, AsyncRead, AsyncWriteExt};
use netloom_core::http::client::{
    body_length, build_request, is_success, part_path, BodyCursor, Exchange, Redirects, Step,
    Target,
};
use netloom_core::http::{self, Headers};

pub use netloom_core::http::client::{ClientConfig, ClientError, Url, Waiting};

/// Size of the buffer each response reads the socket with.
const READ_BUF: usize = 64 * 1024;

/// A redirect's body is drained (so its connection can be reused) up to this many bytes.
const DRAIN_LIMIT: u64 = 64 * 1024;

/// The connection type.
type Stream = Async<TcpStream>;

/// Runs `fut` for at most `limit` (zero: no limit); running out is
/// [`ClientError::Timeout`]`(waiting)`.
async fn timed<T>(
    limit: Duration,
    waiting: Waiting,
    fut: impl Future<Output = Result<T, ClientError>>,
) -> Result<T, ClientError> {
    if limit.is_zero() {
        return fut.await;
    }
    future::or(fut, async {
        Timer::after(limit).await;
        Err(ClientError::Timeout(waiting))
    })
    .await
}

async fn resolve(host: &str, port: u16) -> Result<Vec<SocketAddr>, ClientError> {
    let unknown = || {
        ClientError::Connect(io::Error::new(
            io::ErrorKind::NotFound,
            format!("unknown host '{host}'"),
        ))
    };
    let addrs = smol::net::resolve((host, port))
        .await
        .map_err(|_| unknown())?;
    if addrs.is_empty() {
        return Err(unknown());
    }
    Ok(addrs)
}

async fn connect(host: &str, port: u16, config: &ClientConfig) -> Result<Stream, ClientError> {
    let mut last = None;
    for addr in resolve(host, port).await? {
        let attempt = timed(config.connect_timeout, Waiting::Connect, async {
            Async::<TcpStream>::connect(addr)
                .await
                .map_err(ClientError::from_connect)
        });
        match attempt.await {
            Ok(s) => {
                let _ = s.get_ref().set_nodelay(true);
                return Ok(s);
            }
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| {
        ClientError::Connect(io::Error::new(
            io::ErrorKind::NotFound,
            "no address to connect to",
        ))
    }))
}

/// Idle keep-alive connections by host and port.
struct Pool {
    idle: HashMap<(String, u16), Vec<Stream>>,
    max_per_host: usize,
}

type SharedPool = Arc<Mutex<Pool>>;

fn lock(pool: &SharedPool) -> MutexGuard<'_, Pool> {
    pool.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Pool {
    fn take(&mut self, key: &(String, u16)) -> Option<Stream> {
        let list = self.idle.get_mut(key)?;
        let s = list.pop();
        if list.is_empty() {
            self.idle.remove(key);
        }
        s
    }

    fn put(&mut self, key: (String, u16), stream: Stream) {
        let list = self.idle.entry(key).or_default();
        if list.len() < self.max_per_host {
            list.push(stream);
        }
    }
}

/// An async HTTP client with a keep-alive pool. Cloning is cheap; clones share the pool.
#[derive(Clone)]
pub struct Client {
    config: ClientConfig,
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
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

fn file_error(what: &str, path: &Path, e: io::Error) -> ClientError {
    ClientError::Io(io::Error::new(
        e.kind(),
        format!("{what} {}: {e}", path.display()),
    ))
}

impl Client {
    /// A client with [`ClientConfig::default`].
    pub fn new() -> Self {
        Client::with_config(ClientConfig::default())
    }

    /// A client with `config`.
    pub fn with_config(config: ClientConfig) -> Self {
        let pool = Pool {
            idle: HashMap::new(),
            max_per_host: config.max_idle_per_host,
        };
        Client {
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

    /// `GET url`, following redirects. Any status is a response (a `404` is not an error);
    /// the body streams from the socket as you read it.
    pub async fn get(&self, url: &str) -> Result<Response, ClientError> {
        self.request("GET", url, &[]).await
    }

    /// Sends `method url` with `body`, following redirects as
    /// [`redirect`](netloom_core::http::client::redirect) says (301/302 turn a `POST` into a
    /// `GET`, 303 always `GET`s, 307/308 resend method and body).
    pub async fn request(
        &self,
        method: &str,
        url: &str,
        body: &[u8],
    ) -> Result<Response, ClientError> {
        let mut target = Target::parse(url)?;
        let mut method = method.to_owned();
        let mut body = body;
        let mut redirects = Redirects::new(self.config.max_redirects);
        loop {
            let mut resp = self.send(&target, &method, body).await?;
            match redirects.follow(target.url(), &method, &resp.head)? {
                None => return Ok(resp),
                Some(next) => {
                    resp.discard(DRAIN_LIMIT).await;
                    target = Target::from_url(next.url)?;
                    method = next.method;
                    if !next.keep_body {
                        body = &[];
                    }
                }
            }
        }
    }

    /// Saves `url` to `path` through a temporary file next to it, renamed when the body is
    /// complete and removed on any failure; `progress(bytes_done, total)` is called as the
    /// body arrives. A non-2xx status is [`ClientError::Status`] and writes nothing. Returns
    /// the body size.
    pub async fn retrieve(
        &self,
        url: &str,
        path: impl AsRef<Path>,
        mut progress: impl FnMut(u64, Option<u64>),
    ) -> Result<u64, ClientError> {
        let dest = path.as_ref();
        let mut resp = self.get(url).await?;
        if !is_success(resp.status()) {
            return Err(ClientError::Status {
                code: resp.status(),
                reason: resp.reason().to_owned(),
            });
        }
        let n = PART_COUNTER.fetch_add(1, Ordering::Relaxed);
        let part_name = part_path(dest, std::process::id(), n).ok_or_else(|| {
            ClientError::Io(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("'{}' is not a file name", dest.display()),
            ))
        })?;
        let mut file = smol::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&part_name)
            .await
            .map_err(|e| file_error("cannot create", &part_name, e))?;
        let mut part = PartFile {
            path: part_name,
            keep: false,
        };
        let total = resp.content_length();
        let mut done = 0u64;
        progress(done, total);
        while let Some(chunk) = resp.next_chunk().await? {
            file.write_all(&chunk)
                .await
                .map_err(|e| file_error("cannot write", &part.path, e))?;
            done += chunk.len() as u64;
            progress(done, total);
        }
        file.flush()
            .await
            .map_err(|e| file_error("cannot write", &part.path, e))?;
        drop(file);
        smol::fs::rename(&part.path, dest)
            .await
            .map_err(|e| file_error("cannot rename to", dest, e))?;
        part.keep = true;
        Ok(done)
    }

    async fn send(
        &self,
        target: &Target,
        method: &str,
        body: &[u8],
    ) -> Result<Response, ClientError> {
        let key = (target.host().to_owned(), target.port());
        let idle = lock(&self.pool).take(&key);
        if let Some(stream) = idle {
            match self
                .attempt(stream, target, method, body, key.clone())
                .await
            {
                Ok(resp) => return Ok(resp),
                Err((_, true)) => {}
                Err((e, false)) => return Err(e),
            }
        }
        let stream = connect(target.host(), target.port(), &self.config).await?;
        self.attempt(stream, target, method, body, key)
            .await
            .map_err(|(e, _)| e)
    }

    /// Writes the request and reads up to the final response head; on error, says whether
    /// the connection looked stale.
    async fn attempt(
        &self,
        mut stream: Stream,
        target: &Target,
        method: &str,
        body: &[u8],
        key: (String, u16),
    ) -> Result<Response, (ClientError, bool)> {
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
        let written = timed(self.config.read_timeout, Waiting::Write, async {
            stream
                .write_all(&out)
                .await
                .map_err(|e| ClientError::from_io(e, Waiting::Write))
        })
        .await;
        if let Err(e) = written {
            let stale = exchange.is_stale(&e);
            return Err((e, stale));
        }
        let mut wire = Wire {
            exchange,
            stream: Some(stream),
            buf: Vec::new(),
            key,
            pool: Arc::clone(&self.pool),
            read_timeout: self.config.read_timeout,
            timer: None,
        };
        let head = match future::poll_fn(|cx| wire.poll_step(cx)).await {
            Ok(Step::Head(h)) => h,
            Ok(_) => {
                let e = ClientError::Protocol(http::Error::InvalidStatusLine);
                return Err((e, false));
            }
            Err(e) => {
                let stale = wire.exchange.is_stale(&e);
                return Err((e, stale));
            }
        };
        Ok(Response {
            head,
            url: target.url().clone(),
            wire,
            cursor: BodyCursor::default(),
        })
    }
}

/// The socket side of a response: reads into the exchange with a timer per wait, and hands
/// the connection back to the pool at a reusable end.
struct Wire {
    exchange: Exchange,
    stream: Option<Stream>,
    buf: Vec<u8>,
    key: (String, u16),
    pool: SharedPool,
    read_timeout: Duration,
    timer: Option<Timer>,
}

impl Wire {
    fn poll_step(&mut self, cx: &mut Context<'_>) -> Poll<Result<Step, ClientError>> {
        loop {
            match self.exchange.step() {
                Err(e) => return Poll::Ready(Err(e)),
                Ok(Step::NeedInput) => {}
                Ok(Step::End { reusable }) => {
                    if let Some(stream) = self.stream.take() {
                        if reusable {
                            lock(&self.pool).put(self.key.clone(), stream);
                        }
                    }
                    return Poll::Ready(Ok(Step::End { reusable }));
                }
                Ok(other) => return Poll::Ready(Ok(other)),
            }
            let Some(stream) = self.stream.as_mut() else {
                self.exchange.receive_eof();
                continue;
            };
            if self.buf.len() < READ_BUF {
                self.buf.resize(READ_BUF, 0);
            }
            match Pin::new(stream).poll_read(cx, &mut self.buf) {
                Poll::Ready(Ok(0)) => {
                    self.timer = None;
                    self.exchange.receive_eof();
                }
                Poll::Ready(Ok(n)) => {
                    self.timer = None;
                    self.exchange.receive(&self.buf[..n]);
                }
                Poll::Ready(Err(e)) if e.kind() == io::ErrorKind::Interrupted => {}
                Poll::Ready(Err(e)) => {
                    self.timer = None;
                    self.stream = None;
                    return Poll::Ready(Err(ClientError::from_io(e, Waiting::Read)));
                }
                Poll::Pending => {
                    if self.read_timeout.is_zero() {
                        return Poll::Pending;
                    }
                    let limit = self.read_timeout;
                    let timer = self.timer.get_or_insert_with(|| Timer::after(limit));
                    return match Pin::new(timer).poll(cx) {
                        Poll::Ready(_) => {
                            self.timer = None;
                            self.stream = None;
                            Poll::Ready(Err(ClientError::Timeout(Waiting::Read)))
                        }
                        Poll::Pending => Poll::Pending,
                    };
                }
            }
        }
    }
}

/// A response: status, headers, final URL, and the body as a streaming
/// [`AsyncRead`].
///
/// Reading the body to the end returns the connection to the client's pool (when the server
/// allows reuse); dropping the response earlier closes it. A body cut short by the server is
/// an error from `read` ([`io::ErrorKind::UnexpectedEof`] carrying
/// [`ClientError::BodyIncomplete`]), never a silently short body.
pub struct Response {
    head: http::Response,
    url: Url,
    wire: Wire,
    cursor: BodyCursor,
}

impl std::fmt::Debug for Response {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Response")
            .field("url", &self.url.as_str())
            .field("head", &self.head)
            .finish_non_exhaustive()
    }
}

impl Response {
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
        self.wire.exchange.expected()
    }

    fn poll_chunk(&mut self, cx: &mut Context<'_>) -> Poll<Result<Option<Vec<u8>>, ClientError>> {
        if let Some(ready) = self.cursor.pending() {
            return Poll::Ready(ready);
        }
        loop {
            let step = match self.wire.poll_step(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(step) => step,
            };
            if let Some(ready) = self.cursor.on_step(step) {
                return Poll::Ready(ready);
            }
        }
    }

    /// The next piece of the body as the socket delivered it, `None` at the end.
    pub async fn next_chunk(&mut self) -> Result<Option<Vec<u8>>, ClientError> {
        future::poll_fn(|cx| self.poll_chunk(cx)).await
    }

    /// Reads and drops up to `limit` more body bytes so the connection can be reused; a
    /// longer body (or an error) closes it.
    async fn discard(&mut self, limit: u64) {
        let mut seen = 0u64;
        while seen <= limit {
            match self.next_chunk().await {
                Ok(Some(c)) => seen += c.len() as u64,
                _ => return,
            }
        }
        self.wire.stream = None;
    }
}

impl AsyncRead for Response {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        if this.cursor.is_drained() {
            match this.poll_chunk(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e.into())),
                Poll::Ready(Ok(None)) => return Poll::Ready(Ok(0)),
                Poll::Ready(Ok(Some(c))) => this.cursor.set_chunk(c),
            }
        }
        Poll::Ready(Ok(this.cursor.copy_to(buf)))
    }
}

/// `GET url` with a default [`Client`] (Python's `urlopen`).
pub async fn get(url: &str) -> Result<Response, ClientError> {
    Client::new().get(url).await
}

/// Saves `url` to `path` with a default [`Client`] (Python's `urlretrieve`); see
/// [`Client::retrieve`].
pub async fn retrieve(
    url: &str,
    path: impl AsRef<Path>,
    progress: impl FnMut(u64, Option<u64>),
) -> Result<u64, ClientError> {
    Client::new().retrieve(url, path, progress).await
}
