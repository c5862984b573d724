//! The mio driver: one event loop accepts, reads, writes and closes many connections, and
//! sleeps until the earliest deadline any of them has (see `netloom_core::serve` for the
//! contract). Every timer and every connection decision is the core's.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::Arc;
use std::task::{Wake, Waker};
use std::thread::{self, JoinHandle};
use std::time::{Instant, SystemTime};

use mio::net::{TcpListener, TcpStream, UnixListener, UnixStream};
use mio::{Events, Interest, Poll, Token};
use netloom_core::frame::Addr;
use netloom_core::frame::ConnInfo;
use netloom_core::serve::{Acceptor, Admit, Next, Served};
use netloom_core::{Duplex, Now, ServerConfig};
use netloom_io::send::{send_file, send_more, SENDFILE};
use netloom_io::Listener;
use netloom_workers::Workers;

const LISTENER: Token = Token(0);
const WAKER: Token = Token(1);
/// Connection tokens are their admission ticket's id plus this.
const FIRST_CONN: usize = 2;

fn now() -> Now {
    Now::new(Instant::now(), SystemTime::now())
}

/// An accepted connection of either transport.
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

    fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        match self {
            Conn::Tcp(s) => s.shutdown(how),
            Conn::Unix(s) => s.shutdown(how),
        }
    }
}

impl std::os::fd::AsFd for Conn {
    fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
        match self {
            Conn::Tcp(s) => s.as_fd(),
            Conn::Unix(s) => s.as_fd(),
        }
    }
}

impl Read for Conn {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Conn::Tcp(s) => s.read(buf),
            Conn::Unix(s) => s.read(buf),
        }
    }
}

impl Write for Conn {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Conn::Tcp(s) => s.write(buf),
            Conn::Unix(s) => s.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The listening socket of a loop.
enum MioListener {
    Tcp(TcpListener),
    Unix(UnixListener),
}

impl MioListener {
    fn source(&mut self) -> &mut dyn mio::event::Source {
        match self {
            MioListener::Tcp(l) => l,
            MioListener::Unix(l) => l,
        }
    }

    fn accept(&self) -> io::Result<(Conn, ConnInfo)> {
        match self {
            MioListener::Tcp(l) => {
                let (s, peer) = l.accept()?;
                let local = s.local_addr()?;
                Ok((
                    Conn::Tcp(s),
                    ConnInfo {
                        local: Addr::Inet(local),
                        peer: Addr::Inet(peer),
                    },
                ))
            }
            MioListener::Unix(l) => {
                let (s, _) = l.accept()?;
                Ok((
                    Conn::Unix(s),
                    ConnInfo {
                        local: Addr::Unix,
                        peer: Addr::Unix,
                    },
                ))
            }
        }
    }
}

/// A running mio server, stopped with [`shutdown`](ServerHandle::shutdown) or when dropped.
#[derive(Debug)]
pub struct ServerHandle {
    addr: Addr,
    /// One stop flag and waker per event loop.
    loops: Vec<(Arc<AtomicBool>, Arc<mio::Waker>)>,
    threads: Vec<JoinHandle<io::Result<()>>>,
    /// A Unix socket's file, removed when the handle goes (after the loops stopped).
    socket_file: Option<netloom_io::SocketFile>,
}

impl ServerHandle {
    /// The TCP address the server listens on (`0.0.0.0:0` for a Unix-socket server: see
    /// [`addr`](ServerHandle::addr)).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
            .socket_addr()
            .unwrap_or_else(|| SocketAddr::from(([0, 0, 0, 0], 0)))
    }

    /// Where the server listens: a TCP address, or a Unix domain socket.
    pub fn addr(&self) -> Addr {
        self.addr
    }

    /// The path of a Unix-socket server's socket.
    pub fn unix_path(&self) -> Option<&std::path::Path> {
        self.socket_file.as_ref().map(netloom_io::SocketFile::path)
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

/// Wakes the loop when the connection bound has room again.
struct RoomWaker {
    flag: AtomicBool,
    waker: Arc<mio::Waker>,
}

impl Wake for RoomWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }
    fn wake_by_ref(self: &Arc<Self>) {
        if !self.flag.swap(true, Ordering::SeqCst) {
            let _ = self.waker.wake();
        }
    }
}

struct Entry<C: Duplex> {
    stream: Conn,
    served: Served<C>,
    /// The deadline a timer is queued for, if any (later queued entries are stale).
    scheduled: Option<Instant>,
    /// Whether the socket may have more to read, or room to write: false after it said it
    /// would block, true again at its next event.
    readable: bool,
    writable: bool,
}

/// A finished job on its way back: the connection's token and the result (`None` if the job
/// panicked).
type Finished<T> = (Token, Option<T>);

/// A server's event loop, generic over the connection state machine `C` made by `factory`.
pub(crate) struct EventLoop<C: Duplex, F> {
    poll: Poll,
    /// `None` once shutdown has begun (the listening socket closes at once), or after it
    /// failed for good.
    listener: Option<MioListener>,
    config: ServerConfig,
    factory: F,
    conns: HashMap<Token, Entry<C>>,
    acceptor: Acceptor,
    /// Accepting waits until then (paused, or a silent connection's grace at the bound).
    accept_at: Option<Instant>,
    room: Arc<RoomWaker>,
    room_waker: Waker,
    /// Deadlines by connection; lazily cleaned (see `Entry::scheduled`).
    timers: BinaryHeap<Reverse<(Instant, Token)>>,
    stop: Arc<AtomicBool>,
    waker: Arc<mio::Waker>,
    buf: Vec<u8>,
    /// Set once shutdown has begun: the end of its grace period.
    drain_deadline: Option<Instant>,
    /// Where jobs run: handler calls (unless `handler_threads` is 0), and heavy requests.
    workers: Workers,
    done: Sender<Finished<C::Done>>,
    /// Set when a worker has woken the loop for completions not yet taken, so that a busy
    /// pool wakes the loop once per batch rather than once per job.
    woken: Arc<AtomicBool>,
    completions: Receiver<Finished<C::Done>>,
    /// A fatal accept error, reported when the loop ends.
    failed: Option<io::Error>,
}

impl<C, F> EventLoop<C, F>
where
    C: Duplex,
    F: FnMut(ConnInfo) -> C,
{
    pub(crate) fn new(
        std_listener: Listener,
        config: ServerConfig,
        factory: F,
        workers: Workers,
    ) -> io::Result<Self> {
        std_listener.set_nonblocking(true)?;
        let mut listener = match std_listener {
            Listener::Tcp(l) => MioListener::Tcp(TcpListener::from_std(l)),
            Listener::Unix(l, _) => MioListener::Unix(UnixListener::from_std(l)),
        };
        let poll = Poll::new()?;
        poll.registry()
            .register(listener.source(), LISTENER, Interest::READABLE)?;
        let waker = Arc::new(mio::Waker::new(poll.registry(), WAKER)?);
        let (done, completions) = mpsc::channel();
        let room = Arc::new(RoomWaker {
            flag: AtomicBool::new(false),
            waker: Arc::clone(&waker),
        });
        Ok(EventLoop {
            poll,
            listener: Some(listener),
            acceptor: Acceptor::new(&config, now()),
            config,
            factory,
            conns: HashMap::new(),
            accept_at: None,
            room_waker: Waker::from(Arc::clone(&room)),
            room,
            timers: BinaryHeap::new(),
            stop: Arc::new(AtomicBool::new(false)),
            waker,
            buf: vec![0; 64 * 1024],
            drain_deadline: None,
            workers,
            done,
            woken: Arc::new(AtomicBool::new(false)),
            completions,
            failed: None,
        })
    }

    /// Runs until the stop flag is set, then drains (see [`ServerHandle::shutdown`]).
    pub(crate) fn run(mut self) -> io::Result<()> {
        let mut events = Events::with_capacity(1024);
        loop {
            if self.drain_deadline.is_none() && self.stop.load(Ordering::SeqCst) {
                self.begin_drain();
            }
            if let Some(deadline) = self.drain_deadline {
                if self.conns.is_empty() {
                    break;
                }
                if Instant::now() >= deadline {
                    // Grace is over: the core closes whatever is left.
                    self.acceptor.admission().abort_all();
                    self.service_all(now());
                    break;
                }
            }
            let wait = self
                .next_wakeup()
                .map(|t| t.saturating_duration_since(Instant::now()));
            match self.poll.poll(&mut events, wait) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
            let t = now();
            for event in events.iter() {
                match event.token() {
                    LISTENER => self.accept_all(t),
                    WAKER => {}
                    token => {
                        if let Some(entry) = self.conns.get_mut(&token) {
                            entry.readable |= event.is_readable() || event.is_read_closed();
                            entry.writable |= event.is_writable() || event.is_write_closed();
                            entry.readable |= event.is_error();
                        }
                        self.service(token, t);
                    }
                }
            }
            self.take_completions(t);
            self.fire_timers(t);
            if self.room.flag.swap(false, Ordering::SeqCst)
                || self.accept_at.is_some_and(|at| t.instant >= at)
            {
                self.accept_all(t);
            }
        }
        self.failed.take().map_or(Ok(()), Err)
    }

    /// The earliest time the loop must wake without an event.
    fn next_wakeup(&self) -> Option<Instant> {
        [
            self.timers.peek().map(|Reverse((t, _))| *t),
            self.accept_at,
            self.drain_deadline,
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// Stops accepting; connections see the shutdown through their tickets.
    fn begin_drain(&mut self) {
        self.drain_deadline = Some(Instant::now() + self.config.shutdown_grace);
        if let Some(mut listener) = self.listener.take() {
            let _ = self.poll.registry().deregister(listener.source());
        }
        self.acceptor.admission().begin_shutdown();
        self.service_all(now());
    }

    fn service_all(&mut self, t: Now) {
        let tokens: Vec<Token> = self.conns.keys().copied().collect();
        for token in tokens {
            self.service(token, t);
        }
    }

    fn accept_all(&mut self, t: Now) {
        loop {
            if self.listener.is_none() {
                return;
            }
            // Paused, or every connection busy at the bound: clients wait in the backlog
            // until the bound wakes us or the time given.
            if let Err(at) = self.acceptor.poll_accept(t, &self.room_waker) {
                self.accept_at = at;
                return;
            }
            self.accept_at = None;
            let Some(listener) = self.listener.as_ref() else {
                return;
            };
            match listener.accept() {
                Ok((stream, info)) => self.admit(stream, info, t),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) => match self.acceptor.failed(e, t) {
                    // A descriptor reclaimed from an idle connection: close it now.
                    Ok(victim) => {
                        if let Some(victim) = victim {
                            self.service(conn_token(victim), t);
                        }
                    }
                    Err(fatal) => {
                        self.failed = Some(fatal);
                        self.stop.store(true, Ordering::SeqCst);
                        return;
                    }
                },
            }
        }
    }

    fn admit(&mut self, mut stream: Conn, info: ConnInfo, t: Now) {
        let (ticket, victim) = match self.acceptor.accepted(t) {
            Admit::Admitted { ticket, victim } => (ticket, victim),
            // Room was there a moment ago on this very thread; if not, refuse this one.
            Admit::Full | Admit::ShuttingDown => return,
        };
        if let Some(victim) = victim {
            // It gave way: the core closes it as soon as it is asked.
            self.service(conn_token(victim), t);
        }
        if let (Conn::Tcp(s), true) = (&stream, self.config.nodelay) {
            let _ = s.set_nodelay(true);
        }
        let token = conn_token(ticket.id());
        if self
            .poll
            .registry()
            .register(
                stream.source(),
                token,
                Interest::READABLE | Interest::WRITABLE,
            )
            .is_err()
        {
            return;
        }
        let conn = (self.factory)(info);
        let mut served = Served::new(conn, &self.config, Some(ticket), t);
        if SENDFILE {
            served.enable_transmit_file();
        }
        self.conns.insert(
            token,
            Entry {
                stream,
                served,
                scheduled: None,
                readable: true,
                writable: true,
            },
        );
        // The greeting (if any) goes out at once, and data may already be waiting.
        self.service(token, t);
    }

    /// Does what the connection's [`Served`] says until it must wait, then queues its next
    /// deadline.
    fn service(&mut self, token: Token, t: Now) {
        let Some(entry) = self.conns.get_mut(&token) else {
            return;
        };
        loop {
            match entry.served.next(t) {
                Next::Write => {
                    if !entry.writable {
                        break;
                    }
                    let want = entry.served.transmit().len();
                    let written = write(&mut entry.stream, &entry.served);
                    // A short write filled the socket: the next would block (the edge-
                    // triggered poll says when there is room), so save the system call.
                    let full = matches!(written, Ok(n) if n < want);
                    if !entry.served.on_write(t, written) {
                        entry.writable = false;
                        break;
                    }
                    entry.writable &= !full;
                }
                Next::WriteFile => {
                    if !entry.writable {
                        break;
                    }
                    let slice = entry.served.transmit_file();
                    let want = slice.map_or(0, |s| s.len);
                    let written = send_file(&entry.stream, slice);
                    let full = matches!(written, Ok(n) if n > 0 && n < want);
                    if !entry.served.on_write(t, written) {
                        entry.writable = false;
                        break;
                    }
                    entry.writable &= !full;
                }
                Next::Read => {
                    if !entry.readable {
                        break;
                    }
                    let read = entry.stream.read(&mut self.buf);
                    // A short read emptied the socket: the next would block (new data
                    // raises a new edge), so save the system call, as nginx and tokio do.
                    let drained = matches!(read, Ok(n) if n > 0 && n < self.buf.len());
                    if !entry.served.on_read(t, read, &self.buf) {
                        entry.readable = false;
                        break;
                    }
                    entry.readable &= !drained;
                }
                Next::Run(job) => {
                    let (done, waker) = (self.done.clone(), Arc::clone(&self.waker));
                    let woken = Arc::clone(&self.woken);
                    self.workers.run(job, move |result| {
                        // The loop may be gone (shut down): then nobody wants the result.
                        if done.send((token, result)).is_ok() && !woken.swap(true, Ordering::SeqCst)
                        {
                            let _ = waker.wake();
                        }
                    });
                }
                Next::Wait => break,
                Next::ShutdownWrite => {
                    let _ = entry.stream.shutdown(Shutdown::Write);
                }
                Next::Close => {
                    if let Some(mut entry) = self.conns.remove(&token) {
                        let _ = self.poll.registry().deregister(entry.stream.source());
                    }
                    return;
                }
            }
        }
        if let Some(deadline) = entry.served.poll_timeout() {
            // A later deadline than the one queued is found when that one fires.
            if entry.scheduled.is_none_or(|s| deadline < s) {
                entry.scheduled = Some(deadline);
                self.timers.push(Reverse((deadline, token)));
            }
        }
    }

    /// Hands every connection whose deadline has come to its `Served`.
    fn fire_timers(&mut self, t: Now) {
        while let Some(Reverse((deadline, token))) = self.timers.peek().copied() {
            if deadline > t.instant {
                break;
            }
            self.timers.pop();
            let Some(entry) = self.conns.get_mut(&token) else {
                continue;
            };
            if entry.scheduled != Some(deadline) {
                continue; // stale: a sooner deadline replaced it
            }
            entry.scheduled = None;
            entry.served.handle_timeout(t);
            self.service(token, t);
        }
    }

    /// Hands finished jobs back to their connections, and carries on with each.
    fn take_completions(&mut self, t: Now) {
        // Cleared before looking, so a completion sent after the last look wakes us again.
        self.woken.store(false, Ordering::SeqCst);
        while let Ok((token, done)) = self.completions.try_recv() {
            let Some(entry) = self.conns.get_mut(&token) else {
                continue; // closed meanwhile (shutdown grace over, say)
            };
            entry.served.on_job(t, done);
            self.service(token, t);
        }
    }
}

/// Writes (some of) what the connection has to send; with `MSG_MORE` when a file body
/// follows at once, so that its head waits for it and they leave in full packets.
fn write<C: Duplex>(stream: &mut Conn, served: &Served<C>) -> io::Result<usize> {
    if SENDFILE && served.transmit_more() {
        return send_more(&*stream, served.transmit());
    }
    stream.write(served.transmit())
}

fn conn_token(id: u64) -> Token {
    Token(usize::try_from(id).unwrap_or(usize::MAX - FIRST_CONN) + FIRST_CONN)
}

/// Starts `config.event_loops` loop threads sharing `listener` (each with its own poll and
/// its share of the connection bound); the handle stops them.
pub(crate) fn spawn<C, F>(
    listener: Listener,
    config: ServerConfig,
    factory: F,
) -> io::Result<ServerHandle>
where
    C: Duplex + 'static,
    F: FnMut(ConnInfo) -> C + Clone + Send + 'static,
{
    let addr = match &listener {
        Listener::Tcp(l) => Addr::Inet(l.local_addr()?),
        Listener::Unix(..) => Addr::Unix,
    };
    // The loops own the listening socket (each a handle to it), so that it closes when
    // they stop accepting; the handle keeps only a Unix socket's file.
    let (listener, socket_file) = match listener {
        Listener::Unix(l, file) => (Listener::Unix(l, None), file),
        tcp => (tcp, None),
    };
    // Plain or TLS, as the configuration says (the TLS layer is the core's).
    let tls = config.tls_acceptor();
    let mut make = factory;
    let factory = move |info| tls.wrap(make(info));
    let loops = config.event_loops.max(1);
    let mut per_loop = config.clone();
    per_loop.max_connections = (config.max_connections / loops).max(1);
    let mut handle = ServerHandle {
        addr,
        loops: Vec::with_capacity(loops),
        threads: Vec::with_capacity(loops),
        socket_file,
    };
    // One pool for all the loops (its threads start only when jobs come).
    let workers = Workers::for_server(&config);
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
    drop(listener);
    Ok(handle)
}

/// Runs the loops until they fail: [`spawn`] and wait.
pub(crate) fn run<C, F>(listener: Listener, config: ServerConfig, factory: F) -> io::Result<()>
where
    C: Duplex + 'static,
    F: FnMut(ConnInfo) -> C + Clone + Send + 'static,
{
    let mut handle = spawn(listener, config, factory)?;
    let result = handle.join();
    handle.loops.clear();
    result
}
