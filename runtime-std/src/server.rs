//! The accept loop, connection bound and shutdown shared by every std server.

use std::cell::RefCell;
use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use netloom_core::Duplex;
pub use netloom_core::ServerConfig;

/// A running server, stopped with [`shutdown`](ServerHandle::shutdown) or when dropped.
#[derive(Debug)]
pub struct ServerHandle {
    addr: SocketAddr,
    shared: Arc<Shared>,
    thread: Option<JoinHandle<io::Result<()>>>,
}

impl ServerHandle {
    /// The address the server listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops the server gracefully: stops accepting at once (the listener is closed before
    /// this returns), closes idle keep-alive connections, lets requests in flight finish and
    /// their responses be written, and returns when every connection is done or
    /// [`ServerConfig::shutdown_grace`] has passed, whichever comes first. Connections still
    /// open then are shut down (a handler still running keeps its thread until it returns, but
    /// its socket is closed).
    pub fn shutdown(mut self) -> io::Result<()> {
        self.stop_and_join()
    }

    fn stop_and_join(&mut self) -> io::Result<()> {
        let Some(thread) = self.thread.take() else {
            return Ok(());
        };
        let deadline = Instant::now() + self.shared.grace;
        self.shared.stop.store(true, Ordering::SeqCst);
        self.shared.wake_idle();
        // Wake the blocking accept; the loop sees the flag, returns and closes the listener.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        let accepted = thread
            .join()
            .unwrap_or_else(|_| Err(io::Error::other("accept loop panicked")));
        if !self.shared.slots.wait_empty(deadline) {
            self.shared.close_all();
        }
        accepted
    }
}

impl Drop for ServerHandle {
    fn drop(&mut self) {
        let _ = self.stop_and_join();
    }
}

/// What a server's accept loop, its connection threads and its handle share.
#[derive(Debug)]
struct Shared {
    stop: Arc<AtomicBool>,
    slots: Slots,
    grace: Duration,
    /// Every live connection, so shutdown can wake the ones blocked reading an idle socket.
    ///
    /// Why a registry and not short read timeouts: polling would wake every idle thread a few
    /// times a second for the whole life of the server (a cost paid by each of up to
    /// `max_connections` keep-alive connections) and still delay shutdown by up to one poll
    /// period, while shutting down the read side of a `try_clone`d socket wakes exactly the
    /// blocked `read` at once and costs nothing until shutdown.
    conns: Mutex<Registry>,
}

#[derive(Debug, Default)]
struct Registry {
    next_id: u64,
    live: HashMap<u64, Registered>,
}

#[derive(Debug)]
struct Registered {
    stream: TcpStream,
    /// Set while the connection waits for the first byte of a message (nothing in flight).
    idle: Arc<AtomicBool>,
}

impl Shared {
    fn new(stop: Arc<AtomicBool>, config: &ServerConfig) -> Self {
        Shared {
            stop,
            slots: Slots::default(),
            grace: config.shutdown_grace,
            conns: Mutex::new(Registry::default()),
        }
    }

    fn registry(&self) -> std::sync::MutexGuard<'_, Registry> {
        self.conns.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Ends the blocked reads of idle connections: their `read` returns end-of-stream.
    ///
    /// Paired with [`ConnTicket::begin_idle`]: a thread publishes `idle` and then checks
    /// `stop`, and shutdown sets `stop` and then checks `idle` (all `SeqCst`), so either the
    /// thread sees the flag before it reads or shutdown sees it idle and wakes it.
    fn wake_idle(&self) {
        for conn in self.registry().live.values() {
            if conn.idle.load(Ordering::SeqCst) {
                let _ = conn.stream.shutdown(Shutdown::Read);
            }
        }
    }

    /// The grace period is over: close every connection still open.
    fn close_all(&self) {
        for conn in self.registry().live.values() {
            let _ = conn.stream.shutdown(Shutdown::Both);
        }
    }
}

/// Counts live connections and makes the accept loop wait when the bound is reached.
#[derive(Debug, Default)]
struct Slots {
    used: Mutex<usize>,
    freed: Condvar,
}

impl Slots {
    /// Takes a slot, waiting while all are in use; false if `stop` was set meanwhile.
    fn acquire(&self, max: usize, stop: &AtomicBool) -> bool {
        let mut used = self.used.lock().unwrap_or_else(|e| e.into_inner());
        while *used >= max {
            if stop.load(Ordering::SeqCst) {
                return false;
            }
            used = self
                .freed
                .wait_timeout(used, Duration::from_millis(100))
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
        *used += 1;
        true
    }

    fn release(&self) {
        let mut used = self.used.lock().unwrap_or_else(|e| e.into_inner());
        *used = used.saturating_sub(1);
        // The accept loop and a shutdown may both be waiting.
        self.freed.notify_all();
    }

    /// Waits until no connection is left; false if `deadline` passed first.
    fn wait_empty(&self, deadline: Instant) -> bool {
        let mut used = self.used.lock().unwrap_or_else(|e| e.into_inner());
        while *used > 0 {
            let now = Instant::now();
            if now >= deadline {
                return false;
            }
            used = self
                .freed
                .wait_timeout(used, deadline - now)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
        true
    }
}

thread_local! {
    /// The connection this thread serves, set by the accept loop around the user's `handle`
    /// so that [`drive`] can take part in graceful shutdown without a wider signature.
    static TICKET: RefCell<Option<ConnTicket>> = const { RefCell::new(None) };
}

/// A connection thread's membership of its server: registered while it lives, and holding
/// its slot.
struct ConnTicket {
    shared: Arc<Shared>,
    id: Option<u64>,
    idle: Arc<AtomicBool>,
}

impl ConnTicket {
    fn new(shared: Arc<Shared>, stream: &TcpStream) -> Self {
        let idle = Arc::new(AtomicBool::new(false));
        // Without a clone shutdown cannot wake this thread early; it still ends at its idle
        // timeout, so serve it anyway.
        let id = stream.try_clone().ok().map(|clone| {
            let mut registry = shared.registry();
            let id = registry.next_id;
            registry.next_id += 1;
            registry.live.insert(
                id,
                Registered {
                    stream: clone,
                    idle: Arc::clone(&idle),
                },
            );
            id
        });
        ConnTicket { shared, id, idle }
    }

    /// About to wait for a new message: false if the server is shutting down (close now).
    fn begin_idle(&self) -> bool {
        self.idle.store(true, Ordering::SeqCst);
        !self.shared.stop.load(Ordering::SeqCst)
    }

    fn end_idle(&self) {
        self.idle.store(false, Ordering::SeqCst);
    }
}

impl Drop for ConnTicket {
    fn drop(&mut self) {
        if let Some(id) = self.id {
            self.shared.registry().live.remove(&id);
        }
        self.shared.slots.release();
    }
}

/// Runs `f` with this thread's connection ticket, if it has one.
fn with_ticket<T>(f: impl FnOnce(&ConnTicket) -> T) -> Option<T> {
    TICKET.with(|t| t.borrow().as_ref().map(f))
}

/// Runs `handle` on its own thread for every accepted connection until `stop` is set.
pub(crate) fn accept_loop<F>(
    listener: TcpListener,
    config: ServerConfig,
    stop: Arc<AtomicBool>,
    handle: F,
) -> io::Result<()>
where
    F: Fn(TcpStream) + Send + Sync + 'static,
{
    let shared = Arc::new(Shared::new(stop, &config));
    serve(listener, config, shared, handle)
}

fn serve<F>(
    listener: TcpListener,
    config: ServerConfig,
    shared: Arc<Shared>,
    handle: F,
) -> io::Result<()>
where
    F: Fn(TcpStream) + Send + Sync + 'static,
{
    let handle = Arc::new(handle);
    let stop = &shared.stop;
    loop {
        if !shared.slots.acquire(config.max_connections.max(1), stop) {
            return Ok(());
        }
        let accepted = listener.accept();
        if stop.load(Ordering::SeqCst) {
            shared.slots.release();
            return Ok(());
        }
        let stream = match accepted {
            Ok((stream, _)) => stream,
            Err(e) if is_transient_accept_error(&e) => {
                shared.slots.release();
                // Out of descriptors or a peer that reset before accept: back off briefly
                // instead of spinning, and keep serving.
                thread::sleep(Duration::from_millis(10));
                continue;
            }
            Err(e) => {
                shared.slots.release();
                return Err(e);
            }
        };
        let _ = stream.set_read_timeout(Some(config.idle_timeout));
        let _ = stream.set_write_timeout(Some(config.write_timeout));
        let handle = Arc::clone(&handle);
        // Registered before its thread starts, so a shutdown from now on sees it.
        let ticket = ConnTicket::new(Arc::clone(&shared), &stream);
        let spawned = thread::Builder::new()
            .name("netloom-conn".into())
            .spawn(move || {
                TICKET.with(|t| *t.borrow_mut() = Some(ticket));
                handle(stream);
                // Unregisters and frees the slot.
                TICKET.with(|t| t.borrow_mut().take());
            });
        // A failed spawn drops the closure, and the ticket in it frees the slot.
        drop(spawned);
    }
}

fn is_transient_accept_error(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::Interrupted
            | io::ErrorKind::WouldBlock
    ) || e
        .raw_os_error()
        .is_some_and(|code| code == 24 || code == 23) // EMFILE, ENFILE
}

/// Starts the accept loop on a background thread.
pub(crate) fn spawn<F>(
    listener: TcpListener,
    config: ServerConfig,
    handle: F,
) -> io::Result<ServerHandle>
where
    F: Fn(TcpStream) + Send + Sync + 'static,
{
    let addr = listener.local_addr()?;
    let shared = Arc::new(Shared::new(Arc::new(AtomicBool::new(false)), &config));
    let for_loop = Arc::clone(&shared);
    let thread = thread::Builder::new()
        .name("netloom-accept".into())
        .spawn(move || serve(listener, config, for_loop, handle))?;
    Ok(ServerHandle {
        addr,
        shared,
        thread: Some(thread),
    })
}

/// Drives one connection's [`Duplex`] over a blocking socket until it is finished, the peer
/// goes away, or a read or write times out.
pub(crate) fn drive<C: Duplex>(mut conn: C, mut stream: TcpStream, config: &ServerConfig) {
    let mut buf = vec![0u8; 16 * 1024];
    let mut message_start: Option<Instant> = None;
    let mut timeout = config.idle_timeout;
    loop {
        let out = config.write_slice(conn.transmit());
        if !out.is_empty() {
            if write_within(&mut stream, out, config.write_timeout).is_err() {
                break;
            }
            let n = out.len();
            conn.advance(n);
            continue; // more may be queued, or writing may have unblocked more output
        }
        // With nothing to write, a connection that will not read is done: in this blocking
        // driver output is only ever produced while handling input.
        if conn.is_finished() || !conn.wants_read() {
            break;
        }
        let idle = !conn.mid_message();
        message_start = if idle {
            None
        } else {
            Some(message_start.unwrap_or_else(Instant::now))
        };
        // Between messages a shutting-down server closes the connection; a message part-way
        // in is read to its end and answered.
        if idle && with_ticket(ConnTicket::begin_idle) == Some(false) {
            break;
        }
        let Some(budget) = config.read_budget(message_start.map(|t| t.elapsed())) else {
            break; // the message took too long to arrive
        };
        if budget != timeout && stream.set_read_timeout(Some(budget)).is_ok() {
            timeout = budget;
        }
        let read = stream.read(&mut buf);
        if idle {
            with_ticket(ConnTicket::end_idle);
        }
        match read {
            Ok(0) => conn.receive_eof(),
            Ok(n) => conn.receive(&buf[..n]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            // Idle timeout, reset or any other failure ends this connection only.
            Err(_) => break,
        }
    }
    lingering_close(stream);
}

/// Writes all of `data` (one write window) within `limit` in total. A per-call socket timeout
/// alone would let a peer that reads a trickle (or a kernel freeing buffer space bit by bit)
/// keep a blocked writer alive forever; the deadline bounds the whole window.
fn write_within(stream: &mut TcpStream, mut data: &[u8], limit: Duration) -> io::Result<()> {
    let deadline = Instant::now() + limit;
    while !data.is_empty() {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(io::ErrorKind::TimedOut.into());
        }
        stream.set_write_timeout(Some(left))?;
        match stream.write(data) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => data = &data[n..],
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Closes our side, then drains what the peer still sends for a moment: closing a socket with
/// unread input makes the kernel send a reset, which can destroy a reply the peer has not read.
fn lingering_close(mut stream: TcpStream) {
    let _ = stream.shutdown(Shutdown::Write);
    let _ = stream.set_read_timeout(Some(Duration::from_millis(500)));
    let mut sink = [0u8; 4096];
    let mut drained = 0usize;
    while drained < 256 * 1024 {
        match stream.read(&mut sink) {
            Ok(0) | Err(_) => break,
            Ok(n) => drained += n,
        }
    }
}
