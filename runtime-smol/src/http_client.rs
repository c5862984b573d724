//! An async HTTP/1.1 client: `urlopen` and `urlretrieve` as `async fn`s on async-io, over TCP
//! or a Unix socket.
//!
//! Every rule is the core's [`Fetch`] (redirects, credentials per origin, the stale retry,
//! the `1xx` cap, the connect, read, head and total deadlines); this module connects, moves
//! bytes with async-io, sleeps with [`async_io::Timer`], and keeps the pool. Works under any
//! executor.
//!
//! ```no_run
//! use futures_lite::AsyncReadExt;
//! use netloom_smol::http_client::Client;
//!
//! # fn main() -> Result<(), netloom_smol::http_client::ClientError> {
//! smol::block_on(async {
//!     let client = Client::new();
//!     let mut resp = client.get("http://127.0.0.1:8000/").await?;
//!     let mut body = Vec::new();
//!     resp.read_to_end(&mut body).await?;
//!     let resp = client
//!         .post("http://127.0.0.1:8000/echo")
//!         .content_type("text/plain")
//!         .body("hi")
//!         .send()
//!         .await?;
//!     client.retrieve("http://127.0.0.1:8000/f", "f", |_, _| {}).await?;
//!     Ok(())
//! })
//! # }
//! ```

use std::future::Future;
use std::io;
use std::net::{SocketAddr, TcpStream};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::{Duration, Instant, SystemTime};

use async_io::{Async, Timer};
use futures_lite::{future, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use netloom_core::http::client::{ClientRequest, Fetch, FetchStep, Link, Origin, Pool};
use netloom_core::http::{self, Headers};
use netloom_core::Now;
use netloom_io::PartFile;

pub use netloom_core::http::client::{ClientConfig, ClientError, RedirectPolicy, Url, Waiting};

/// Size of the buffer each transfer reads the socket with.
const READ_BUF: usize = 64 * 1024;

fn now() -> Now {
    Now::new(Instant::now(), SystemTime::now())
}

/// A connection to a server: TCP, or a Unix socket ([`ClientConfig::unix_socket`]).
#[derive(Debug)]
enum Conn {
    Tcp(Async<TcpStream>),
    Unix(Async<UnixStream>),
}

impl AsyncRead for Conn {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Conn::Tcp(s) => Pin::new(s).poll_read(cx, buf),
            Conn::Unix(s) => Pin::new(s).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Conn {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Conn::Tcp(s) => Pin::new(s).poll_write(cx, buf),
            Conn::Unix(s) => Pin::new(s).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Conn::Tcp(s) => Pin::new(s).poll_flush(cx),
            Conn::Unix(s) => Pin::new(s).poll_flush(cx),
        }
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Conn::Tcp(s) => Pin::new(s).poll_close(cx),
            Conn::Unix(s) => Pin::new(s).poll_close(cx),
        }
    }
}

/// Idle connections, each with its TLS session.
type SharedPool = Arc<Mutex<Pool<(Conn, Link)>>>;

/// Read buffers of finished transfers, for the next ones: zeroing 64 KiB per request would
/// cost more than the whole request.
type Buffers = Arc<Mutex<Vec<Vec<u8>>>>;

fn lock(pool: &SharedPool) -> MutexGuard<'_, Pool<(Conn, Link)>> {
    pool.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

async fn resolve(host: &str, port: u16) -> Result<Vec<SocketAddr>, ClientError> {
    let unknown = || {
        ClientError::Connect(io::Error::new(
            io::ErrorKind::NotFound,
            format!("unknown host '{host}'"),
        ))
    };
    let addrs = async_net::resolve((host, port))
        .await
        .map_err(|_| unknown())?;
    if addrs.is_empty() {
        return Err(unknown());
    }
    Ok(addrs)
}

/// Awaits `fut` until `deadline` at most; `None` if the deadline came first.
async fn until<T>(deadline: Option<Instant>, fut: impl Future<Output = T>) -> Option<T> {
    match deadline {
        None => Some(fut.await),
        Some(at) => {
            future::or(async { Some(fut.await) }, async {
                Timer::at(at).await;
                None
            })
            .await
        }
    }
}

async fn connect(
    origin: &Origin,
    config: &ClientConfig,
    deadline: Option<Instant>,
) -> Result<Conn, ClientError> {
    if let Some(path) = &config.unix_socket {
        return Async::<UnixStream>::connect(path)
            .await
            .map(Conn::Unix)
            .map_err(ClientError::from_connect);
    }
    let mut last = None;
    for addr in resolve(&origin.host, origin.port).await? {
        match until(deadline, Async::<TcpStream>::connect(addr)).await {
            None => return Err(ClientError::Timeout(Waiting::Connect)),
            Some(Ok(s)) => {
                let _ = s.get_ref().set_nodelay(true);
                return Ok(Conn::Tcp(s));
            }
            Some(Err(e)) => last = Some(e),
        }
    }
    Err(ClientError::from_connect(last.unwrap_or_else(|| {
        io::Error::new(io::ErrorKind::NotFound, "no address to connect to")
    })))
}

/// An async HTTP client with a keep-alive pool. Cloning is cheap and clones share the pool.
#[derive(Clone)]
pub struct Client {
    config: Arc<ClientConfig>,
    pool: SharedPool,
    buffers: Buffers,
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
            buffers: Buffers::default(),
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

    /// `GET url`, following redirects; the body streams as you read it.
    pub async fn get(&self, url: &str) -> Result<Response, ClientError> {
        self.request("GET", url).send().await
    }

    /// Sends `request`; a streamed body is read from `upload`.
    pub async fn send(
        &self,
        request: ClientRequest,
        upload: Option<Pin<Box<dyn AsyncRead + Send>>>,
    ) -> Result<Response, ClientError> {
        let buf = self
            .buffers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .pop()
            .unwrap_or_else(|| vec![0; READ_BUF]);
        let mut transfer = Transfer {
            fetch: Fetch::new(request, Arc::clone(&self.config), now()),
            conn: None,
            pool: Arc::clone(&self.pool),
            config: Arc::clone(&self.config),
            upload,
            buf,
            buffers: Arc::clone(&self.buffers),
            timer: None,
        };
        match transfer.run().await? {
            FetchStep::Head => Ok(Response { transfer }),
            _ => Err(ClientError::NoResponse),
        }
    }

    /// Saves `url` to `path` through a temporary file renamed when complete; see
    /// `netloom_std::http_client::Client::retrieve`.
    pub async fn retrieve(
        &self,
        url: &str,
        path: impl AsRef<Path>,
        mut progress: impl FnMut(u64, Option<u64>),
    ) -> Result<u64, ClientError> {
        let mut resp = self.get(url).await?;
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
        while let Some(chunk) = resp.chunk().await? {
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

/// A request being built: [`Client::request`] makes one, [`send`](Self::send) sends it.
pub struct RequestBuilder {
    client: Client,
    request: Result<ClientRequest, ClientError>,
    upload: Option<Pin<Box<dyn AsyncRead + Send>>>,
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
    /// chunked otherwise.
    pub fn body_reader(
        mut self,
        reader: impl AsyncRead + Send + 'static,
        len: Option<u64>,
    ) -> Self {
        self.upload = Some(Box::pin(reader));
        self.map(|r| r.streamed_body(len))
    }

    /// Sends the request; the response comes once its head has arrived.
    pub async fn send(self) -> Result<Response, ClientError> {
        let request = self.request?;
        self.client.send(request, self.upload).await
    }
}

/// One fetch in progress: the core's [`Fetch`] and the connection it runs on.
struct Transfer {
    fetch: Fetch,
    conn: Option<Conn>,
    pool: SharedPool,
    config: Arc<ClientConfig>,
    upload: Option<Pin<Box<dyn AsyncRead + Send>>>,
    buf: Vec<u8>,
    buffers: Buffers,
    /// The deadline being waited for while a body read is pending.
    timer: Option<(Instant, Timer)>,
}

impl Drop for Transfer {
    fn drop(&mut self) {
        let mut free = self.buffers.lock().unwrap_or_else(|e| e.into_inner());
        // A few kept, for as many transfers at once as usually run.
        if free.len() < 64 {
            free.push(std::mem::take(&mut self.buf));
        }
    }
}

impl Transfer {
    fn next(&mut self) -> Result<FetchStep, ClientError> {
        self.fetch.next(now()).inspect_err(|_| self.conn = None)
    }

    fn release(&mut self, reusable: bool) {
        if let Some(conn) = self.conn.take() {
            if reusable {
                let link = self.fetch.take_link();
                lock(&self.pool).put(self.fetch.origin().clone(), (conn, link), now());
            }
        }
    }

    /// Runs the fetch until it has something for the caller: the head, body bytes, or the
    /// end.
    async fn run(&mut self) -> Result<FetchStep, ClientError> {
        loop {
            match self.next()? {
                FetchStep::Connect { fresh } => {
                    let origin = self.fetch.origin().clone();
                    let pooled = (!fresh)
                        .then(|| lock(&self.pool).take(&origin, now()))
                        .flatten();
                    match pooled {
                        Some((c, link)) => {
                            self.conn = Some(c);
                            self.fetch.reused(now(), link)?;
                        }
                        None => {
                            let conn = connect(&origin, &self.config, self.fetch.poll_timeout())
                                .await
                                .map_err(|e| self.fetch.connect_failed(e))?;
                            self.conn = Some(conn);
                            self.fetch.connected(now())?;
                        }
                    }
                }
                FetchStep::Write => {
                    let deadline = self.fetch.poll_timeout();
                    let Some(conn) = self.conn.as_mut() else {
                        self.fetch.io_failed(io::ErrorKind::NotConnected.into());
                        continue;
                    };
                    match until(deadline, conn.write(self.fetch.transmit())).await {
                        None => self.fetch.handle_timeout(now()),
                        Some(Ok(0)) => self.fetch.io_failed(io::ErrorKind::WriteZero.into()),
                        Some(Ok(n)) => self.fetch.advance(now(), n),
                        Some(Err(e)) if e.kind() == io::ErrorKind::Interrupted => {}
                        Some(Err(e)) => self.fetch.io_failed(e),
                    }
                }
                FetchStep::Read => {
                    let deadline = self.fetch.poll_timeout();
                    let Some(conn) = self.conn.as_mut() else {
                        self.fetch.receive_eof(now());
                        continue;
                    };
                    match until(deadline, conn.read(&mut self.buf)).await {
                        None => self.fetch.handle_timeout(now()),
                        Some(Ok(0)) => self.fetch.receive_eof(now()),
                        Some(Ok(n)) => self.fetch.receive(now(), &self.buf[..n]),
                        Some(Err(e)) if e.kind() == io::ErrorKind::Interrupted => {}
                        Some(Err(e)) => self.fetch.io_failed(e),
                    }
                }
                FetchStep::SendBody => {
                    let piece = match self.upload.as_mut() {
                        Some(up) => up.read(&mut self.buf).await,
                        None => Ok(0),
                    };
                    match piece {
                        Ok(0) => self.fetch.finish_body(now())?,
                        Ok(n) => self.fetch.send_body(now(), &self.buf[..n])?,
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        Err(e) => {
                            let e = ClientError::Io(io::Error::new(
                                e.kind(),
                                format!("reading the request body: {e}"),
                            ));
                            return Err(self.fetch.connect_failed(e));
                        }
                    }
                }
                FetchStep::Release { reusable } => self.release(reusable),
                step @ (FetchStep::Head | FetchStep::Body | FetchStep::Done) => return Ok(step),
            }
        }
    }

    /// Waits for the fetch's deadline: `Ready` once it has passed (and the fetch was told).
    fn poll_deadline(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let Some(deadline) = self.fetch.poll_timeout() else {
            return Poll::Pending;
        };
        if !matches!(&self.timer, Some((at, _)) if *at == deadline) {
            self.timer = Some((deadline, Timer::at(deadline)));
        }
        if let Some((_, timer)) = self.timer.as_mut() {
            if Pin::new(timer).poll(cx).is_pending() {
                return Poll::Pending;
            }
        }
        self.timer = None;
        self.fetch.handle_timeout(now());
        Poll::Ready(())
    }

    /// The body phase, poll by poll (for `AsyncRead`): past the head a fetch only reads and
    /// releases.
    fn poll_body(&mut self, cx: &mut Context<'_>) -> Poll<Result<FetchStep, ClientError>> {
        loop {
            match self.next()? {
                FetchStep::Read => {
                    let Some(conn) = self.conn.as_mut() else {
                        self.fetch.receive_eof(now());
                        continue;
                    };
                    match Pin::new(conn).poll_read(cx, &mut self.buf) {
                        Poll::Ready(Ok(0)) => self.fetch.receive_eof(now()),
                        Poll::Ready(Ok(n)) => {
                            self.timer = None;
                            self.fetch.receive(now(), &self.buf[..n]);
                        }
                        Poll::Ready(Err(e)) if e.kind() == io::ErrorKind::Interrupted => {}
                        Poll::Ready(Err(e)) => self.fetch.io_failed(e),
                        Poll::Pending => {
                            if self.poll_deadline(cx).is_pending() {
                                return Poll::Pending;
                            }
                        }
                    }
                }
                // TLS may answer the server mid-body (a key update).
                FetchStep::Write => {
                    let Some(conn) = self.conn.as_mut() else {
                        self.fetch.io_failed(io::ErrorKind::NotConnected.into());
                        continue;
                    };
                    match Pin::new(conn).poll_write(cx, self.fetch.transmit()) {
                        Poll::Ready(Ok(0)) => self.fetch.io_failed(io::ErrorKind::WriteZero.into()),
                        Poll::Ready(Ok(n)) => {
                            self.timer = None;
                            self.fetch.advance(now(), n);
                        }
                        Poll::Ready(Err(e)) if e.kind() == io::ErrorKind::Interrupted => {}
                        Poll::Ready(Err(e)) => self.fetch.io_failed(e),
                        Poll::Pending => {
                            if self.poll_deadline(cx).is_pending() {
                                return Poll::Pending;
                            }
                        }
                    }
                }
                FetchStep::Release { reusable } => self.release(reusable),
                step @ (FetchStep::Body | FetchStep::Done) => return Poll::Ready(Ok(step)),
                // Nothing else comes after the head.
                _ => return Poll::Ready(Err(ClientError::NoResponse)),
            }
        }
    }
}

/// A response: status, headers, the final URL, and the body as a streaming [`AsyncRead`]
/// (read to the end, it returns its connection to the pool; a body cut short is an error,
/// the same typed error on every later read).
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
        self.transfer
            .fetch
            .response()
            .expect("a response has its head")
    }

    /// The status code.
    pub fn status(&self) -> u16 {
        self.head_ref().status()
    }

    /// The reason phrase the server sent.
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

    /// The URL after redirects.
    pub fn url(&self) -> &Url {
        self.transfer.fetch.url()
    }

    /// The declared body length, if any.
    pub fn content_length(&self) -> Option<u64> {
        self.transfer.fetch.content_length()
    }

    /// The next body bytes as they came (`None` at the end), without copying; say how many
    /// were used with [`consume`](Response::consume).
    pub async fn chunk(&mut self) -> Result<Option<&[u8]>, ClientError> {
        let step = future::poll_fn(|cx| self.transfer.poll_body(cx)).await?;
        Ok((step == FetchStep::Body).then(|| self.transfer.fetch.body()))
    }

    /// `n` bytes of the last [`chunk`](Response::chunk) were used.
    pub fn consume(&mut self, n: usize) {
        self.transfer.fetch.consume(n);
    }

    /// The whole body.
    pub async fn bytes(&mut self) -> Result<Vec<u8>, ClientError> {
        let mut out = Vec::new();
        while let Some(chunk) = self.chunk().await? {
            out.extend_from_slice(chunk);
            let n = chunk.len();
            self.consume(n);
        }
        Ok(out)
    }

    /// The whole body as text (invalid UTF-8 replaced).
    pub async fn text(&mut self) -> Result<String, ClientError> {
        let bytes = self.bytes().await?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
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
        match this.transfer.poll_body(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Err(e)) => Poll::Ready(Err(e.into())),
            Poll::Ready(Ok(FetchStep::Body)) => {
                let chunk = this.transfer.fetch.body();
                let n = chunk.len().min(buf.len());
                buf[..n].copy_from_slice(&chunk[..n]);
                this.transfer.fetch.consume(n);
                Poll::Ready(Ok(n))
            }
            Poll::Ready(Ok(_)) => Poll::Ready(Ok(0)),
        }
    }
}

/// `GET url` with a default [`Client`] (Python's `urlopen`).
pub async fn get(url: &str) -> Result<Response, ClientError> {
    Client::new().get(url).await
}

/// Saves `url` to `path` with a default [`Client`] (Python's `urlretrieve`).
pub async fn retrieve(
    url: &str,
    path: impl AsRef<Path>,
    progress: impl FnMut(u64, Option<u64>),
) -> Result<u64, ClientError> {
    Client::new().retrieve(url, path, progress).await
}
