//! The HTTP client on mio: one event-loop thread drives every fetch of a [`Client`] over
//! non-blocking sockets (TCP or Unix), many at once, with no blocking call in the loop; the
//! calling threads wait only for their own answers.
//!
//! Every rule is the core's [`Fetch`] (redirects, credentials per origin, the stale retry,
//! the `1xx` cap, the connect, read, head and total deadlines); the loop connects, moves
//! bytes, keeps the pool and sleeps until the earliest deadline. Names are resolved on the
//! calling thread before a fetch reaches the loop (resolving blocks).
//!
//! ```no_run
//! use std::io::Read;
//! use netloom_mio::http_client::Client;
//!
//! # fn main() -> Result<(), netloom_mio::http_client::ClientError> {
//! let client = Client::new();
//! let mut resp = client.get("http://127.0.0.1:8000/")?;
//! let text = resp.text()?;
//! let resp = client.post("http://127.0.0.1:8000/echo").body("hi").send()?;
//! client.retrieve("http://127.0.0.1:8000/f", "f", |_, _| {})?;
//! # Ok(()) }
//! ```

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::io::{self, Read, Write};
use std::net::{SocketAddr, ToSocketAddrs};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant, SystemTime};

use mio::net::{TcpStream, UnixStream};
use mio::{Events, Interest, Poll, Token, Waker};
use netloom_core::http::client::{ClientRequest, Fetch, FetchStep, Link, Pool};
use netloom_core::http::{self, Headers};
use netloom_core::Now;
use netloom_io::PartFile;

pub use netloom_core::http::client::{ClientConfig, ClientError, RedirectPolicy, Url, Waiting};

const WAKER: Token = Token(0);
/// Body pieces queued for a reader before the loop stops reading that fetch's socket.
const QUEUED_PIECES: usize = 4;
/// Size of each read of a socket (and most a body piece holds).
const READ_BUF: usize = 64 * 1024;

fn now() -> Now {
    Now::new(Instant::now(), SystemTime::now())
}

/// What the loop tells a waiting caller about its fetch. Head, body and end travel together
/// as far as they arrived together: a small response is one event, one wake-up.
enum Event {
    /// Response bytes: the head (first time only), body bytes, and whether the body ended.
    Data {
        head: Option<Box<(http::Response, Url, Option<u64>)>>,
        body: Vec<u8>,
        end: bool,
    },
    /// The fetch failed.
    Failed(ClientError),
    /// A streamed request body wants its next piece.
    WantBody,
}

/// What a job has for its caller and has not sent yet.
#[derive(Default)]
struct Outbox {
    head: Option<Box<(http::Response, Url, Option<u64>)>>,
    body: Vec<u8>,
    end: bool,
}

impl Outbox {
    fn is_empty(&self) -> bool {
        self.head.is_none() && self.body.is_empty() && !self.end
    }
}

/// What a flush of the outbox came to.
enum Flushed {
    /// Sent (or nothing to send).
    Sent,
    /// The caller's queue is full: wait for it.
    Full,
    /// The caller is gone.
    Gone,
}

/// What callers ask of the loop.
enum Command {
    Start(Box<Start>),
    /// The caller took body pieces: read on.
    Resume(u64),
    /// The next piece of a streamed request body (empty: the end).
    BodyPiece(u64, Vec<u8>),
    /// The caller is gone.
    Cancel(u64),
}

struct Start {
    id: u64,
    request: ClientRequest,
    addrs: Result<Vec<SocketAddr>, ClientError>,
    events: SyncSender<Event>,
    paused: Arc<AtomicBool>,
}

/// A connection of the loop's.
enum Conn {
    Tcp(TcpStream),
    Unix(UnixStream),
}

impl Conn {
    fn source(&mut self) -> &mut dyn mio::event::Source {
        match self {
            Conn::Tcp(s) => s,
            Conn::Unix(s) => s,
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

    /// Whether a non-blocking connect finished: `Ok(true)` connected, `Ok(false)` not yet.
    fn connected(&mut self) -> io::Result<bool> {
        let (err, peer) = match self {
            Conn::Tcp(s) => (s.take_error()?, s.peer_addr().map(|_| ())),
            Conn::Unix(s) => (s.take_error()?, s.peer_addr().map(|_| ())),
        };
        if let Some(e) = err {
            return Err(e);
        }
        match peer {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == io::ErrorKind::NotConnected => Ok(false),
            Err(e) => Err(e),
        }
    }
}

/// One fetch in the loop.
struct Job {
    fetch: Fetch,
    conn: Option<Conn>,
    /// A connect in progress, and the addresses still to try.
    connecting: bool,
    addrs: Vec<SocketAddr>,
    /// Every address of the origin, for the next connect (a retry, say).
    all_addrs: Vec<SocketAddr>,
    /// The origin `all_addrs` were resolved for (a redirect elsewhere needs its own), and
    /// whether a resolution is under way.
    addrs_for: Option<netloom_core::http::client::Origin>,
    resolving: bool,
    readable: bool,
    writable: bool,
    events: SyncSender<Event>,
    paused: Arc<AtomicBool>,
    /// What the caller has not been sent yet.
    outbox: Outbox,
    /// The caller was asked for a streamed body's next piece.
    awaiting_body: bool,
    scheduled: Option<Instant>,
    /// The fetch is done; only its delivery is left.
    done: bool,
    /// The fetch failed; the caller hears it after what the outbox holds.
    failure: Option<ClientError>,
}

impl Job {
    /// Sends what the outbox holds to the caller.
    fn flush(&mut self) -> Flushed {
        if self.outbox.is_empty() {
            return Flushed::Sent;
        }
        let out = std::mem::take(&mut self.outbox);
        let event = Event::Data {
            head: out.head,
            body: out.body,
            end: out.end,
        };
        match self.events.try_send(event) {
            Ok(()) => Flushed::Sent,
            Err(TrySendError::Full(Event::Data { head, body, end })) => {
                self.outbox = Outbox { head, body, end };
                self.paused.store(true, Ordering::SeqCst);
                Flushed::Full
            }
            Err(_) => Flushed::Gone,
        }
    }
}

struct Loop {
    poll: Poll,
    config: Arc<ClientConfig>,
    jobs: HashMap<Token, Job>,
    /// Idle connections, each with its TLS session.
    pool: Pool<(Conn, Link)>,
    /// The pool's size, for [`Client::idle_connections`].
    idle: Arc<AtomicUsize>,
    timers: BinaryHeap<Reverse<(Instant, Token)>>,
    commands: Receiver<Command>,
    woken: Arc<AtomicBool>,
    buf: Vec<u8>,
    /// Names resolved on helper threads (resolving blocks), for redirects to other hosts.
    resolved_tx: Sender<(u64, Result<Vec<SocketAddr>, ClientError>)>,
    resolved: Receiver<(u64, Result<Vec<SocketAddr>, ClientError>)>,
    waker: Arc<Waker>,
}

impl Loop {
    fn run(mut self) {
        let mut events = Events::with_capacity(256);
        loop {
            let wait = [
                self.timers.peek().map(|Reverse((t, _))| *t),
                self.pool.poll_timeout(),
            ]
            .into_iter()
            .flatten()
            .min()
            .map(|t| t.saturating_duration_since(Instant::now()));
            if let Err(e) = self.poll.poll(&mut events, wait) {
                if e.kind() != io::ErrorKind::Interrupted {
                    return;
                }
            }
            let t = now();
            for event in events.iter() {
                let token = event.token();
                if token == WAKER {
                    continue;
                }
                if let Some(job) = self.jobs.get_mut(&token) {
                    job.readable |=
                        event.is_readable() || event.is_read_closed() || event.is_error();
                    job.writable |=
                        event.is_writable() || event.is_write_closed() || event.is_error();
                }
                self.service(token, t);
            }
            let alive = self.take_commands(t);
            while let Ok((id, addrs)) = self.resolved.try_recv() {
                let token = Token(id as usize);
                if let Some(job) = self.jobs.get_mut(&token) {
                    job.resolving = false;
                    match addrs {
                        Ok(a) => job.all_addrs = a,
                        Err(e) => {
                            self.finish(token, Some(e));
                            continue;
                        }
                    }
                }
                self.service(token, t);
            }
            if !alive && self.jobs.is_empty() {
                return; // every handle is gone, and nothing is in flight
            }
            self.fire_timers(t);
            self.pool.expire(t);
            self.idle.store(self.pool.len(), Ordering::SeqCst);
        }
    }

    /// Takes what callers asked; false once every handle is gone.
    fn take_commands(&mut self, t: Now) -> bool {
        self.woken.store(false, Ordering::SeqCst);
        loop {
            match self.commands.try_recv() {
                Ok(Command::Start(start)) => self.start(*start, t),
                Ok(Command::Resume(id)) => {
                    let token = Token(id as usize);
                    if let Some(job) = self.jobs.get_mut(&token) {
                        job.paused.store(false, Ordering::SeqCst);
                    }
                    self.service(token, t);
                }
                Ok(Command::BodyPiece(id, piece)) => {
                    let token = Token(id as usize);
                    if let Some(job) = self.jobs.get_mut(&token) {
                        job.awaiting_body = false;
                        let sent = if piece.is_empty() {
                            job.fetch.finish_body(t)
                        } else {
                            job.fetch.send_body(t, &piece)
                        };
                        let _ = sent; // an error shows at the next step
                    }
                    self.service(token, t);
                }
                Ok(Command::Cancel(id)) => self.finish(Token(id as usize), None),
                Err(mpsc::TryRecvError::Empty) => return true,
                Err(mpsc::TryRecvError::Disconnected) => return false,
            }
        }
    }

    fn start(&mut self, start: Start, t: Now) {
        let token = Token(start.id as usize);
        let (addrs, fetch_error) = match start.addrs {
            Ok(a) => (a, None),
            Err(e) => (Vec::new(), Some(e)),
        };
        let origin = start.request.target().origin().clone();
        let fetch = Fetch::new(start.request, Arc::clone(&self.config), t);
        let job = Job {
            fetch,
            conn: None,
            connecting: false,
            all_addrs: addrs.clone(),
            addrs,
            addrs_for: Some(origin),
            resolving: false,
            readable: false,
            writable: false,
            events: start.events,
            paused: start.paused,
            outbox: Outbox::default(),
            awaiting_body: false,
            scheduled: None,
            done: false,
            failure: None,
        };
        if let Some(e) = fetch_error {
            let _ = job.events.try_send(Event::Failed(e));
            return;
        }
        self.jobs.insert(token, job);
        self.service(token, t);
    }

    /// Does what the fetch says until it must wait.
    fn service(&mut self, token: Token, t: Now) {
        let Some(job) = self.jobs.get_mut(&token) else {
            return;
        };
        // What the caller's full queue held back goes first.
        match job.flush() {
            Flushed::Sent if job.done => {
                let failure = job.failure.take();
                self.finish(token, failure);
                return;
            }
            Flushed::Sent => {}
            Flushed::Full => return,
            Flushed::Gone => {
                self.finish(token, None);
                return;
            }
        }
        if job.connecting {
            let done = job.conn.as_mut().map(Conn::connected);
            match done {
                Some(Ok(true)) => {
                    job.connecting = false;
                    if let Err(e) = job.fetch.connected(t) {
                        self.finish(token, Some(e));
                        return;
                    }
                }
                Some(Ok(false)) => {
                    self.schedule(token);
                    return;
                }
                Some(Err(e)) => {
                    self.close_conn(token);
                    if !self.connect_next(token, t, Some(e)) {
                        return;
                    }
                }
                None => {}
            }
        }
        loop {
            let Some(job) = self.jobs.get_mut(&token) else {
                return;
            };
            let step = match job.fetch.next(t) {
                Ok(step) => step,
                Err(e) => {
                    self.finish(token, Some(e));
                    return;
                }
            };
            match step {
                FetchStep::Connect { fresh } => {
                    let origin = job.fetch.origin().clone();
                    if !fresh {
                        let pooled = self.pool.take(&origin, t);
                        self.idle.store(self.pool.len(), Ordering::SeqCst);
                        if let Some((mut conn, link)) = pooled {
                            let registered = self.poll.registry().register(
                                conn.source(),
                                token,
                                Interest::READABLE | Interest::WRITABLE,
                            );
                            let job = self.jobs.get_mut(&token).expect("present");
                            if registered.is_ok() {
                                job.conn = Some(conn);
                                job.readable = true;
                                job.writable = true;
                                if let Err(e) = job.fetch.reused(t, link) {
                                    self.finish(token, Some(e));
                                    return;
                                }
                                continue;
                            }
                        }
                    }
                    let job = self.jobs.get_mut(&token).expect("present");
                    if job.resolving {
                        break;
                    }
                    if job.addrs_for.as_ref() != Some(&origin) && self.config.unix_socket.is_none()
                    {
                        // A redirect to another origin: its own addresses.
                        job.addrs_for = Some(origin.clone());
                        match origin.host.parse::<std::net::IpAddr>() {
                            Ok(ip) => job.all_addrs = vec![SocketAddr::new(ip, origin.port)],
                            Err(_) => {
                                job.resolving = true;
                                let (tx, waker) =
                                    (self.resolved_tx.clone(), Arc::clone(&self.waker));
                                let id = token.0 as u64;
                                let spawned = thread::Builder::new()
                                    .name("netloom-resolve".into())
                                    .spawn(move || {
                                        let _ = tx.send((id, resolve(&origin.host, origin.port)));
                                        let _ = waker.wake();
                                    });
                                if spawned.is_err() {
                                    let e = ClientError::Io(io::Error::other("cannot resolve"));
                                    self.finish(token, Some(e));
                                    return;
                                }
                                break;
                            }
                        }
                    }
                    let job = self.jobs.get_mut(&token).expect("present");
                    job.addrs = job.all_addrs.clone();
                    if !self.connect_next(token, t, None) {
                        return;
                    }
                    let Some(job) = self.jobs.get_mut(&token) else {
                        return;
                    };
                    if job.connecting {
                        break;
                    }
                }
                FetchStep::Write => {
                    let Some(conn) = job.conn.as_mut().filter(|_| job.writable) else {
                        break;
                    };
                    match conn.write(job.fetch.transmit()) {
                        Ok(0) => job.fetch.io_failed(io::ErrorKind::WriteZero.into()),
                        Ok(n) => job.fetch.advance(t, n),
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                            job.writable = false;
                            break;
                        }
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        Err(e) => job.fetch.io_failed(e),
                    }
                }
                FetchStep::Read => {
                    let Some(conn) = job.conn.as_mut().filter(|_| job.readable) else {
                        break;
                    };
                    match conn.read(&mut self.buf) {
                        Ok(0) => job.fetch.receive_eof(t),
                        Ok(n) => job.fetch.receive(t, &self.buf[..n]),
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                            job.readable = false;
                            break;
                        }
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        Err(e) => job.fetch.io_failed(e),
                    }
                }
                FetchStep::SendBody => {
                    if !job.awaiting_body {
                        job.awaiting_body = true;
                        if job.events.try_send(Event::WantBody).is_err() {
                            self.finish(token, None);
                            return;
                        }
                    }
                    break;
                }
                FetchStep::Head => {
                    if let Some(head) = job.fetch.response().cloned() {
                        let url = job.fetch.url().clone();
                        let len = job.fetch.content_length();
                        job.outbox.head = Some(Box::new((head, url, len)));
                    }
                }
                FetchStep::Body => {
                    let piece = job.fetch.body();
                    let n = piece.len();
                    job.outbox.body.extend_from_slice(piece);
                    job.fetch.consume(n);
                    if job.outbox.body.len() >= READ_BUF {
                        match job.flush() {
                            Flushed::Sent => {}
                            // The caller reads slower than the server sends: stop reading
                            // until it takes what is queued (back-pressure).
                            Flushed::Full => break,
                            Flushed::Gone => {
                                self.finish(token, None);
                                return;
                            }
                        }
                    }
                }
                FetchStep::Release { reusable } => {
                    if let Some(mut conn) = job.conn.take() {
                        let _ = self.poll.registry().deregister(conn.source());
                        if reusable {
                            let origin = job.fetch.origin().clone();
                            let link = job.fetch.take_link();
                            self.pool.put(origin, (conn, link), t);
                            // Before the caller hears of the end.
                            self.idle.store(self.pool.len(), Ordering::SeqCst);
                        }
                    }
                }
                FetchStep::Done => {
                    job.done = true;
                    job.outbox.end = true;
                    match job.flush() {
                        // The connection is released already; wait for the reader.
                        Flushed::Full => {}
                        Flushed::Sent | Flushed::Gone => self.finish(token, None),
                    }
                    return;
                }
            }
        }
        // Waiting on the socket (or the caller): hand over what came so far.
        if let Some(job) = self.jobs.get_mut(&token) {
            if let Flushed::Gone = job.flush() {
                self.finish(token, None);
                return;
            }
        }
        self.schedule(token);
    }

    /// Starts a non-blocking connect to the next address; false when the job ended.
    fn connect_next(&mut self, token: Token, t: Now, failed: Option<io::Error>) -> bool {
        let Some(job) = self.jobs.get_mut(&token) else {
            return false;
        };
        let mut last = failed;
        let attempt = if let Some(path) = &self.config.unix_socket {
            if last.is_some() {
                None
            } else {
                Some(UnixStream::connect(path).map(Conn::Unix))
            }
        } else if job.addrs.is_empty() {
            None
        } else {
            let addr = job.addrs.remove(0);
            Some(TcpStream::connect(addr).map(|s| {
                let _ = s.set_nodelay(true);
                Conn::Tcp(s)
            }))
        };
        match attempt {
            Some(Ok(mut conn)) => {
                if let Err(e) = self.poll.registry().register(
                    conn.source(),
                    token,
                    Interest::READABLE | Interest::WRITABLE,
                ) {
                    self.finish(token, Some(ClientError::Connect(e)));
                    return false;
                }
                let job = self.jobs.get_mut(&token).expect("present");
                job.conn = Some(conn);
                job.connecting = true;
                job.readable = false;
                job.writable = false;
                true
            }
            Some(Err(e)) => {
                last = Some(e);
                self.connect_next_or_fail(token, t, last)
            }
            None => {
                let e = last.unwrap_or_else(|| {
                    io::Error::new(io::ErrorKind::NotFound, "no address to connect to")
                });
                self.finish(token, Some(ClientError::from_connect(e)));
                false
            }
        }
    }

    fn connect_next_or_fail(&mut self, token: Token, t: Now, last: Option<io::Error>) -> bool {
        let more = self
            .jobs
            .get(&token)
            .is_some_and(|j| !j.addrs.is_empty() && self.config.unix_socket.is_none());
        if more {
            return self.connect_next(token, t, None);
        }
        let e = last.unwrap_or_else(|| io::Error::other("connect failed"));
        self.finish(token, Some(ClientError::from_connect(e)));
        false
    }

    fn close_conn(&mut self, token: Token) {
        if let Some(job) = self.jobs.get_mut(&token) {
            if let Some(mut conn) = job.conn.take() {
                let _ = self.poll.registry().deregister(conn.source());
            }
        }
    }

    /// Ends a job (telling its caller `error`, if any); its connection is closed. What came
    /// before a failure reaches the caller first (the head, the body so far), as on every
    /// runtime; if the caller's queue is full, the job waits for it with the error.
    fn finish(&mut self, token: Token, error: Option<ClientError>) {
        self.close_conn(token);
        let Some(job) = self.jobs.get_mut(&token) else {
            return;
        };
        if let Some(e) = error {
            let held = match job.flush() {
                Flushed::Sent => match job.events.try_send(Event::Failed(e)) {
                    Err(TrySendError::Full(Event::Failed(e))) => {
                        job.paused.store(true, Ordering::SeqCst);
                        Some(e)
                    }
                    _ => None,
                },
                Flushed::Full => Some(e),
                Flushed::Gone => None,
            };
            if held.is_some() {
                job.failure = held;
                job.done = true;
                return;
            }
        }
        self.jobs.remove(&token);
    }

    fn schedule(&mut self, token: Token) {
        let Some(job) = self.jobs.get_mut(&token) else {
            return;
        };
        if let Some(deadline) = job.fetch.poll_timeout() {
            if job.scheduled.is_none_or(|s| deadline < s) {
                job.scheduled = Some(deadline);
                self.timers.push(Reverse((deadline, token)));
            }
        }
    }

    fn fire_timers(&mut self, t: Now) {
        while let Some(Reverse((deadline, token))) = self.timers.peek().copied() {
            if deadline > t.instant {
                break;
            }
            self.timers.pop();
            let Some(job) = self.jobs.get_mut(&token) else {
                continue;
            };
            if job.scheduled != Some(deadline) {
                continue;
            }
            job.scheduled = None;
            job.fetch.handle_timeout(t);
            self.service(token, t);
        }
    }
}

/// The handle side of a loop: commands in, the thread, and waking it.
struct Shared {
    commands: Mutex<Sender<Command>>,
    waker: Arc<Waker>,
    woken: Arc<AtomicBool>,
    next_id: AtomicU64,
    thread: Mutex<Option<JoinHandle<()>>>,
    config: Arc<ClientConfig>,
    idle: Arc<AtomicUsize>,
}

impl Shared {
    fn send(&self, command: Command) -> Result<(), ClientError> {
        let sent = self
            .commands
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .send(command);
        if sent.is_err() {
            return Err(ClientError::Io(io::Error::other("the client loop stopped")));
        }
        if !self.woken.swap(true, Ordering::SeqCst) {
            let _ = self.waker.wake();
        }
        Ok(())
    }
}

impl Drop for Shared {
    fn drop(&mut self) {
        // Closing the command channel, then waking the loop, lets it end once its fetches
        // are done.
        let (dead, _) = mpsc::channel();
        *self.commands.lock().unwrap_or_else(|e| e.into_inner()) = dead;
        let _ = self.waker.wake();
        if let Some(t) = self.thread.lock().unwrap_or_else(|e| e.into_inner()).take() {
            if t.thread().id() != thread::current().id() {
                let _ = t.join();
            }
        }
    }
}

/// An HTTP client whose fetches all run on one mio event-loop thread. Cloning is cheap;
/// clones share the loop and its keep-alive pool. The loop thread ends when the last clone
/// and the last response are gone.
#[derive(Clone)]
pub struct Client {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("config", &self.shared.config)
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

    /// A client with `config`; its loop thread starts now. Without a TLS configuration of
    /// its own (`ClientConfig::tls`), `https://` servers are verified against the system's
    /// trust store.
    ///
    /// # Panics
    /// If the operating system refuses an event queue or a thread (out of resources).
    pub fn with_config(config: ClientConfig) -> Self {
        Client::try_with_config(config).expect("start the client's event loop")
    }

    /// A client with `config`, or why its loop could not start.
    pub fn try_with_config(config: ClientConfig) -> io::Result<Self> {
        #[cfg(feature = "tls")]
        let config = {
            let mut config = config;
            netloom_io::tls::fill_client_defaults(&mut config);
            config
        };
        let poll = Poll::new()?;
        let waker = Arc::new(Waker::new(poll.registry(), WAKER)?);
        let (tx, rx) = mpsc::channel();
        let config = Arc::new(config);
        let woken = Arc::new(AtomicBool::new(false));
        let idle = Arc::new(AtomicUsize::new(0));
        let (resolved_tx, resolved) = mpsc::channel();
        let event_loop = Loop {
            resolved_tx,
            resolved,
            waker: Arc::clone(&waker),
            poll,
            idle: Arc::clone(&idle),
            pool: Pool::new(&config),
            config: Arc::clone(&config),
            jobs: HashMap::new(),
            timers: BinaryHeap::new(),
            commands: rx,
            woken: Arc::clone(&woken),
            buf: vec![0; READ_BUF],
        };
        let thread = thread::Builder::new()
            .name("netloom-mio-client".into())
            .spawn(move || event_loop.run())?;
        Ok(Client {
            shared: Arc::new(Shared {
                commands: Mutex::new(tx),
                waker,
                woken,
                next_id: AtomicU64::new(1),
                thread: Mutex::new(Some(thread)),
                config,
                idle,
            }),
        })
    }

    /// The configuration.
    pub fn config(&self) -> &ClientConfig {
        &self.shared.config
    }

    /// How many idle connections the loop's pool held at the end of its last turn.
    pub fn idle_connections(&self) -> usize {
        self.shared.idle.load(Ordering::SeqCst)
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
    pub fn get(&self, url: &str) -> Result<Response, ClientError> {
        self.request("GET", url).send()
    }

    /// Sends `request` through the loop and waits for its head; a streamed body is read from
    /// `upload` on this thread as the loop asks for it.
    pub fn send(
        &self,
        request: ClientRequest,
        mut upload: Option<Box<dyn Read + Send>>,
    ) -> Result<Response, ClientError> {
        let id = self.shared.next_id.fetch_add(1, Ordering::Relaxed);
        // Resolving blocks, so it happens here rather than in the loop.
        let addrs = if self.shared.config.unix_socket.is_some() {
            Ok(Vec::new())
        } else {
            resolve(request.target().host(), request.target().port())
        };
        let (tx, events) = mpsc::sync_channel(QUEUED_PIECES);
        let paused = Arc::new(AtomicBool::new(false));
        self.shared.send(Command::Start(Box::new(Start {
            id,
            request,
            addrs,
            events: tx,
            paused: Arc::clone(&paused),
        })))?;
        let mut buf = Vec::new();
        loop {
            match events.recv() {
                Ok(Event::Data {
                    head: Some(head),
                    body,
                    end,
                }) => {
                    let (head, url, content_length) = *head;
                    return Ok(Response {
                        head,
                        url,
                        content_length,
                        events,
                        paused,
                        piece: body,
                        pos: 0,
                        id,
                        shared: Arc::clone(&self.shared),
                        finished: end.then_some(Ok(())),
                    });
                }
                Ok(Event::WantBody) => {
                    buf.resize(READ_BUF, 0);
                    let piece = match upload.as_mut() {
                        None => Vec::new(),
                        Some(up) => match up.read(&mut buf) {
                            Ok(n) => buf[..n].to_vec(),
                            Err(e) => {
                                let _ = self.shared.send(Command::Cancel(id));
                                return Err(ClientError::Io(io::Error::new(
                                    e.kind(),
                                    format!("reading the request body: {e}"),
                                )));
                            }
                        },
                    };
                    self.shared.send(Command::BodyPiece(id, piece))?;
                }
                Ok(Event::Failed(e)) => return Err(e),
                Ok(Event::Data { head: None, .. }) | Err(_) => return Err(ClientError::NoResponse),
            }
        }
    }

    /// Saves `url` to `path` through a temporary file renamed when complete; see
    /// `netloom_std::http_client::Client::retrieve`.
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

/// A request being built: [`Client::request`] makes one, [`send`](Self::send) sends it.
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

    /// A body read from `reader` (on the calling thread) as it is sent: with a
    /// `Content-Length` of `len` when given, chunked otherwise.
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

/// A response: the head, the final URL, and the body as a blocking [`Read`], fed by the
/// loop as it arrives (a few pieces ahead of the reader at most: back-pressure reaches the
/// server). A body cut short is an error, the same typed error on every later read.
pub struct Response {
    head: http::Response,
    url: Url,
    content_length: Option<u64>,
    events: Receiver<Event>,
    paused: Arc<AtomicBool>,
    piece: Vec<u8>,
    pos: usize,
    id: u64,
    shared: Arc<Shared>,
    /// The end, or the failure, once seen.
    finished: Option<Result<(), ClientError>>,
}

impl std::fmt::Debug for Response {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Response")
            .field("url", &self.url.as_str())
            .field("status", &self.head.status())
            .finish_non_exhaustive()
    }
}

impl Response {
    /// The status code.
    pub fn status(&self) -> u16 {
        self.head.status()
    }

    /// The reason phrase the server sent.
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

    /// The URL after redirects.
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// The declared body length, if any.
    pub fn content_length(&self) -> Option<u64> {
        self.content_length
    }

    /// The next body bytes (`None` at the end); say how many were used with
    /// [`consume`](Response::consume).
    pub fn chunk(&mut self) -> Result<Option<&[u8]>, ClientError> {
        if self.pos < self.piece.len() {
            return Ok(Some(&self.piece[self.pos..]));
        }
        if let Some(done) = &self.finished {
            return done.clone().map(|()| None);
        }
        let event = loop {
            match self.events.recv_timeout(Duration::from_secs(3600)) {
                Ok(e) => break Ok(e),
                Err(RecvTimeoutError::Timeout) => continue,
                Err(RecvTimeoutError::Disconnected) => break Err(()),
            }
        };
        if self.paused.load(Ordering::SeqCst) {
            let _ = self.shared.send(Command::Resume(self.id));
        }
        match event {
            Ok(Event::Data { body, end, .. }) => {
                if end {
                    self.finished = Some(Ok(()));
                }
                self.piece = body;
                self.pos = 0;
                if self.piece.is_empty() {
                    return self.chunk();
                }
                Ok(Some(&self.piece[..]))
            }
            Ok(Event::Failed(e)) => {
                self.finished = Some(Err(e.clone()));
                Err(e)
            }
            Ok(Event::WantBody) | Err(()) => {
                let e = ClientError::Io(io::Error::other("the client loop stopped"));
                self.finished = Some(Err(e.clone()));
                Err(e)
            }
        }
    }

    /// `n` bytes of the last [`chunk`](Response::chunk) were used.
    pub fn consume(&mut self, n: usize) {
        self.pos = (self.pos + n).min(self.piece.len());
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

    /// The whole body as text (invalid UTF-8 replaced).
    pub fn text(&mut self) -> Result<String, ClientError> {
        let bytes = self.bytes()?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
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

impl Drop for Response {
    fn drop(&mut self) {
        if self.finished.is_none() {
            // Not read to the end: the loop drops the fetch and closes its connection.
            let _ = self.shared.send(Command::Cancel(self.id));
        }
    }
}

/// `GET url` with a default [`Client`] (Python's `urlopen`).
pub fn get(url: &str) -> Result<Response, ClientError> {
    Client::new().get(url)
}

/// Saves `url` to `path` with a default [`Client`] (Python's `urlretrieve`).
pub fn retrieve(
    url: &str,
    path: impl AsRef<Path>,
    progress: impl FnMut(u64, Option<u64>),
) -> Result<u64, ClientError> {
    Client::new().retrieve(url, path, progress)
}
