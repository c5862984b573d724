//! The one event loop every mio server runs: accept, read, write, time out, close.

use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use mio::net::{TcpListener, TcpStream};
use mio::{Events, Interest, Poll, Token, Waker};
use netloom_core::frame::ConnInfo;
use netloom_core::{Completion, Duplex, ServerConfig};

use netloom_std::workers::Workers;

const LISTENER: Token = Token(0);
const WAKER: Token = Token(1);
const FIRST_CONN: usize = 2;
/// How often idle connections are looked for, at most.
const TICK: Duration = Duration::from_millis(250);

/// A running mio server, stopped with [`shutdown`](ServerHandle::shutdown) or when dropped.
#[derive(Debug)]
pub struct ServerHandle {
    addr: SocketAddr,
    /// One stop flag and waker per event loop.
    loops: Vec<(Arc<AtomicBool>, Arc<Waker>)>,
    threads: Vec<JoinHandle<io::Result<()>>>,
}

impl ServerHandle {
    /// The address the server listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops the server gracefully: the listener is closed at once, idle keep-alive
    /// connections are closed, requests in flight finish and their responses are written, and
    /// this returns when every connection is done or [`ServerConfig::shutdown_grace`] has
    /// passed (connections still open then are closed).
    pub fn shutdown(mut self) -> io::Result<()> {
        self.stop_and_join()
    }

    fn stop_and_join(&mut self) -> io::Result<()> {
        for (stop, waker) in &self.loops {
            stop.store(true, Ordering::SeqCst);
            let _ = waker.wake();
        }
        self.join()
    }

    /// Waits for every loop thread; the first error wins.
    fn join(&mut self) -> io::Result<()> {
        let mut result = Ok(());
        for t in self.threads.drain(..) {
            let r = t
                .join()
                .unwrap_or_else(|_| Err(io::Error::other("event loop panicked")));
            if result.is_ok() {
                result = r;
            }
        }
        result
    }
}

impl Drop for ServerHandle {
    fn drop(&mut self) {
        let _ = self.stop_and_join();
    }
}

struct Entry<C> {
    stream: TcpStream,
    conn: C,
    /// Last time a read or write made progress.
    active: Instant,
    /// Whether output is waiting on a writable event.
    blocked_on_write: bool,
    /// When the current write window began (see `ServerConfig::write_timeout`), while
    /// output is queued.
    window_start: Option<Instant>,
    /// Bytes of the current write window not yet written.
    window_left: usize,
    /// When the message now arriving began, if one is part-way in.
    message_start: Option<Instant>,
    /// Its handler job is out on a worker: the connection is busy (never idle, not timed).
    job_pending: bool,
}

/// A server's event loop, generic over the connection state machine `C` made by `factory`.
pub(crate) struct EventLoop<C, F> {
    poll: Poll,
    /// `None` once shutdown has begun: the listening socket is closed at once.
    listener: Option<TcpListener>,
    config: ServerConfig,
    factory: F,
    conns: HashMap<Token, Entry<C>>,
    next_token: usize,
    stop: Arc<AtomicBool>,
    waker: Arc<Waker>,
    buf: Vec<u8>,
    /// Set once shutdown has begun: connections close as soon as they are idle, and the loop
    /// ends when none is left or at this deadline.
    drain_deadline: Option<Instant>,
    /// Where handler jobs run; `None` runs them on this thread (`handler_threads: 0`).
    workers: Option<Workers>,
    /// Finished jobs come back through here (and the waker).
    done: Sender<(Token, Completion)>,
    /// Set when a worker has woken the loop for completions not yet taken, so that a busy
    /// pool wakes the loop once per batch rather than once per job.
    woken: Arc<AtomicBool>,
    completions: Receiver<(Token, Completion)>,
}

impl<C, F> EventLoop<C, F>
where
    C: Duplex,
    F: FnMut(ConnInfo) -> C,
{
    pub(crate) fn new(
        std_listener: std::net::TcpListener,
        config: ServerConfig,
        factory: F,
        workers: Option<Workers>,
    ) -> io::Result<Self> {
        std_listener.set_nonblocking(true)?;
        let mut listener = TcpListener::from_std(std_listener);
        let poll = Poll::new()?;
        poll.registry()
            .register(&mut listener, LISTENER, Interest::READABLE)?;
        let waker = Arc::new(Waker::new(poll.registry(), WAKER)?);
        let (done, completions) = mpsc::channel();
        Ok(EventLoop {
            poll,
            listener: Some(listener),
            config,
            factory,
            conns: HashMap::new(),
            next_token: FIRST_CONN,
            stop: Arc::new(AtomicBool::new(false)),
            waker,
            buf: vec![0; 64 * 1024],
            drain_deadline: None,
            workers,
            done,
            woken: Arc::new(AtomicBool::new(false)),
            completions,
        })
    }

    /// Runs until the stop flag is set, then drains (see [`ServerHandle::shutdown`]).
    pub(crate) fn run(mut self) -> io::Result<()> {
        let mut events = Events::with_capacity(1024);
        let mut last_sweep = Instant::now();
        loop {
            let mut wait = TICK;
            if self.drain_deadline.is_none() && self.stop.load(Ordering::SeqCst) {
                self.begin_drain();
            }
            if let Some(deadline) = self.drain_deadline {
                let now = Instant::now();
                if self.conns.is_empty() || now >= deadline {
                    // Whatever is left closes as the loop (and its sockets) drop.
                    return Ok(());
                }
                wait = wait.min(deadline - now);
            }
            match self.poll.poll(&mut events, Some(wait)) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
            for event in events.iter() {
                match event.token() {
                    LISTENER => self.accept_all(),
                    WAKER => {}
                    token => self.service(token),
                }
            }
            self.take_completions();
            if last_sweep.elapsed() >= TICK {
                self.close_idle();
                last_sweep = Instant::now();
            }
        }
    }

    /// Stops accepting, and closes every connection that has nothing in flight.
    fn begin_drain(&mut self) {
        self.drain_deadline = Some(Instant::now() + self.config.shutdown_grace);
        if let Some(mut listener) = self.listener.take() {
            let _ = self.poll.registry().deregister(&mut listener);
        }
        let idle: Vec<Token> = self
            .conns
            .iter()
            .filter(|(_, e)| is_idle(e))
            .map(|(t, _)| *t)
            .collect();
        for token in idle {
            self.close(token);
        }
    }

    fn accept_all(&mut self) {
        while self.conns.len() < self.config.max_connections.max(1) {
            let Some(listener) = self.listener.as_ref() else {
                return; // shutting down
            };
            match listener.accept() {
                Ok((stream, peer)) => self.admit(stream, peer),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                // A peer that reset before accept, or out of descriptors: try again on the
                // next event or sweep rather than spin.
                Err(_) => return,
            }
        }
        // At the bound: the rest wait in the backlog until a connection closes.
    }

    fn admit(&mut self, mut stream: TcpStream, peer: SocketAddr) {
        let Ok(local) = stream.local_addr() else {
            return;
        };
        let _ = stream.set_nodelay(true);
        let token = self.allocate_token();
        if self
            .poll
            .registry()
            .register(&mut stream, token, Interest::READABLE | Interest::WRITABLE)
            .is_err()
        {
            return;
        }
        let conn = (self.factory)(ConnInfo { local, peer });
        self.conns.insert(
            token,
            Entry {
                stream,
                conn,
                active: Instant::now(),
                blocked_on_write: false,
                window_start: None,
                window_left: 0,
                message_start: None,
                job_pending: false,
            },
        );
        // The greeting (if any) goes out at once, and data may already be waiting.
        self.service(token);
    }

    fn allocate_token(&mut self) -> Token {
        loop {
            let t = Token(self.next_token);
            self.next_token = self.next_token.checked_add(1).unwrap_or(FIRST_CONN);
            if !self.conns.contains_key(&t) {
                return t;
            }
        }
    }

    /// Makes all the progress a connection can make without blocking, and hands its handler
    /// job (if it made one) to the workers.
    fn service(&mut self, token: Token) {
        let draining = self.drain_deadline.is_some();
        loop {
            let Some(entry) = self.conns.get_mut(&token) else {
                return;
            };
            if entry.job_pending {
                return;
            }
            if !pump(entry, &mut self.buf, draining, self.config.write_window) {
                self.close(token);
                return;
            }
            let Some(job) = entry.conn.take_job() else {
                return;
            };
            match &self.workers {
                Some(workers) => {
                    entry.job_pending = true;
                    let (done, waker) = (self.done.clone(), Arc::clone(&self.waker));
                    let woken = Arc::clone(&self.woken);
                    workers.submit(job, move |completion| {
                        // The loop may be gone (shut down): then nobody wants the result.
                        if done.send((token, completion)).is_ok()
                            && !woken.swap(true, Ordering::SeqCst)
                        {
                            let _ = waker.wake();
                        }
                    });
                    return;
                }
                // Inline: run it here, then carry on with its response.
                None => entry.conn.complete(job.run()),
            }
        }
    }

    /// Hands finished jobs back to their connections, and carries on with each.
    fn take_completions(&mut self) {
        // Cleared before looking, so a completion sent after the last look wakes us again.
        self.woken.store(false, Ordering::SeqCst);
        while let Ok((token, done)) = self.completions.try_recv() {
            let Some(entry) = self.conns.get_mut(&token) else {
                continue; // closed meanwhile (shutdown grace over, say)
            };
            if !std::mem::replace(&mut entry.job_pending, false) {
                continue;
            }
            entry.active = Instant::now();
            entry.conn.complete(done);
            if !entry.conn.mid_message() {
                entry.message_start = None; // answered: the request timeout is over
            }
            self.service(token);
        }
    }

    fn close(&mut self, token: Token) {
        if let Some(mut entry) = self.conns.remove(&token) {
            let _ = self.poll.registry().deregister(&mut entry.stream);
            let _ = entry.stream.shutdown(Shutdown::Write);
            // A slot freed: take clients that waited in the backlog.
            self.accept_all();
        }
    }

    fn close_idle(&mut self) {
        let now = Instant::now();
        let idle = self.config.idle_timeout;
        let write = self.config.write_timeout;
        let expired: Vec<Token> = self
            .conns
            .iter()
            // A handler at work is not timed, as on std where it runs on the connection's
            // own thread.
            .filter(|(_, e)| !e.job_pending)
            .filter(|(_, e)| {
                let too_slow = e.message_start.is_some_and(|start| {
                    self.config
                        .read_budget(Some(now.duration_since(start)))
                        .is_none()
                });
                let expired = if e.blocked_on_write {
                    // The peer must take each write window within the write timeout, however
                    // steadily it trickles.
                    e.window_start
                        .is_some_and(|start| now.duration_since(start) >= write)
                } else {
                    now.duration_since(e.active) >= idle
                };
                too_slow || expired
            })
            .map(|(t, _)| *t)
            .collect();
        for token in expired {
            self.close(token);
        }
        // Accepting may have stopped at the bound or on a transient error.
        self.accept_all();
    }
}

/// Whether a connection has nothing in flight: no output queued and no message part-way in.
fn is_idle<C: Duplex>(entry: &Entry<C>) -> bool {
    !entry.job_pending && entry.conn.transmit().is_empty() && !entry.conn.mid_message()
}

/// Writes and reads until the socket would block; false when the connection is over. While
/// `draining` (shutting down), a connection is over as soon as it has nothing in flight.
/// Output is timed in windows of `window` bytes (`ServerConfig::write_timeout`).
fn pump<C: Duplex>(entry: &mut Entry<C>, buf: &mut [u8], draining: bool, window: usize) -> bool {
    loop {
        while !entry.conn.transmit().is_empty() {
            if entry.window_start.is_none() {
                entry.window_start = Some(Instant::now());
                entry.window_left = window.max(1);
            }
            match entry.stream.write(entry.conn.transmit()) {
                Ok(0) => return false,
                Ok(n) => {
                    entry.conn.advance(n);
                    entry.active = Instant::now();
                    entry.window_left = entry.window_left.saturating_sub(n);
                    if entry.window_left == 0 {
                        entry.window_start = None; // the next window starts now
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    entry.blocked_on_write = true;
                    return true;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => return false,
            }
        }
        entry.blocked_on_write = false;
        entry.window_start = None;
        if entry.conn.is_finished() || (draining && !entry.conn.mid_message()) {
            return false;
        }
        if !entry.conn.wants_read() {
            // Paused (say, a pipelined request waits for a response to drain); output-side
            // progress will resume it.
            return true;
        }
        match entry.stream.read(buf) {
            Ok(0) => {
                entry.conn.receive_eof();
                if entry.conn.transmit().is_empty() && !entry.conn.is_finished() {
                    // The peer is gone and nothing more can happen.
                    return false;
                }
            }
            Ok(n) => {
                entry.active = Instant::now();
                entry.conn.receive(&buf[..n]);
                entry.message_start = if entry.conn.mid_message() {
                    Some(entry.message_start.unwrap_or(entry.active))
                } else {
                    None
                };
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return true,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => return false,
        }
    }
}

/// Starts `config.event_loops` loop threads sharing `listener` (each with its own poll and
/// its share of the connection bound); the handle stops them.
pub(crate) fn spawn<C, F>(
    listener: std::net::TcpListener,
    config: ServerConfig,
    factory: F,
) -> io::Result<ServerHandle>
where
    C: Duplex + 'static,
    F: FnMut(ConnInfo) -> C + Clone + Send + 'static,
{
    let addr = listener.local_addr()?;
    let loops = config.event_loops.max(1);
    let mut per_loop = config.clone();
    per_loop.max_connections = (config.max_connections / loops).max(1);
    let mut handle = ServerHandle {
        addr,
        loops: Vec::with_capacity(loops),
        threads: Vec::with_capacity(loops),
    };
    // One pool for all the loops (its threads start only when jobs come).
    let workers = (config.handler_threads > 0).then(|| Workers::new(config.handler_threads));
    for _ in 0..loops {
        let listener = listener.try_clone()?;
        let (config, factory) = (per_loop.clone(), factory.clone());
        let workers = workers.clone();
        // The poll is created on the loop's own thread, so `C` need not be `Send`.
        let (tx, rx) = std::sync::mpsc::channel();
        let thread = thread::Builder::new()
            .name("netloom-mio".into())
            .spawn(move || {
                let lp = match EventLoop::new(listener, config, factory, workers) {
                    Ok(lp) => lp,
                    Err(e) => {
                        let _ = tx.send(Err(io::Error::new(e.kind(), e.to_string())));
                        return Err(e);
                    }
                };
                let _ = tx.send(Ok((Arc::clone(&lp.stop), Arc::clone(&lp.waker))));
                lp.run()
            })?;
        handle.threads.push(thread);
        // On failure the handle's drop stops the loops already running.
        let pair = rx
            .recv()
            .map_err(|_| io::Error::other("event loop thread died"))??;
        handle.loops.push(pair);
    }
    Ok(handle)
}

/// Runs the loops until they fail: [`spawn`] and wait.
pub(crate) fn run<C, F>(
    listener: std::net::TcpListener,
    config: ServerConfig,
    factory: F,
) -> io::Result<()>
where
    C: Duplex + 'static,
    F: FnMut(ConnInfo) -> C + Clone + Send + 'static,
{
    let mut handle = spawn(listener, config, factory)?;
    let result = handle.join();
    handle.loops.clear();
    result
}
