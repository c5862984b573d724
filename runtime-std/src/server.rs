//! The std driver: an accept loop, and a thread per connection that does what its
//! [`Served`] says (see `netloom_core::serve` for the contract). Every timer and every
//! connection decision is the core's; this file only blocks on sockets.

use std::io;
use std::net::{Shutdown, SocketAddr};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::Waker;
use std::thread::{self, JoinHandle, Thread};
use std::time::{Duration, Instant, SystemTime};

use netloom_core::frame::{Addr, ConnInfo};
use netloom_core::serve::{Acceptor, Admission, Admit, Next, Served, Ticket};
pub use netloom_core::ServerConfig;
use netloom_core::{Duplex, Now};
use netloom_io::send::{send_file, send_more, SENDFILE};

use crate::timeouts::Armed;
use crate::transport::{Accept, Listener, ListenerExt, Socket, Wake};

/// Both clocks, read once per call into the core.
pub(crate) fn now() -> Now {
    Now::new(Instant::now(), SystemTime::now())
}

/// A running server, stopped with [`shutdown`](ServerHandle::shutdown) or when dropped.
#[derive(Debug)]
pub struct ServerHandle {
    addr: Addr,
    path: Option<PathBuf>,
    wake: Wake,
    stop: Arc<AtomicBool>,
    admission: Arc<Admission>,
    grace: Duration,
    thread: Option<JoinHandle<io::Result<()>>>,
}

impl ServerHandle {
    /// The TCP address the server listens on (`0.0.0.0:0` for a Unix-socket server: see
    /// [`addr`](ServerHandle::addr)).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
            .socket_addr()
            .unwrap_or_else(|| SocketAddr::from(([0, 0, 0, 0], 0)))
    }

    /// Where the server listens: a TCP address, or a Unix domain socket
    /// ([`unix_path`](ServerHandle::unix_path)).
    pub fn addr(&self) -> Addr {
        self.addr
    }

    /// The path of a Unix-socket server's socket.
    pub fn unix_path(&self) -> Option<&Path> {
        self.path.as_deref()
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
        let deadline = Instant::now() + self.grace;
        self.stop.store(true, Ordering::SeqCst);
        self.admission.begin_shutdown();
        // Wake the blocking accept; the loop sees the flag, returns and closes the listener.
        self.wake.wake();
        let accepted = thread
            .join()
            .unwrap_or_else(|_| Err(io::Error::other("accept loop panicked")));
        let waker = parker();
        while self.admission.poll_empty(&waker).is_pending() {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                self.admission.abort_all();
                break;
            }
            thread::park_timeout(left);
        }
        accepted
    }
}

impl Drop for ServerHandle {
    fn drop(&mut self) {
        let _ = self.stop_and_join();
    }
}

/// Wakes a parked thread.
struct Unpark(Thread);

impl std::task::Wake for Unpark {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }
    fn wake_by_ref(self: &Arc<Self>) {
        self.0.unpark();
    }
}

/// A waker that unparks the calling thread.
fn parker() -> Waker {
    Waker::from(Arc::new(Unpark(thread::current())))
}

/// Interrupts a connection thread blocked on its socket (the core kicked it: evicted, or the
/// server is shutting down): its read or write returns at once.
struct Interrupt<S>(S);

impl<S: Socket + Sync> std::task::Wake for Interrupt<S> {
    fn wake(self: Arc<Self>) {
        let _ = self.0.shutdown(Shutdown::Both);
    }
    fn wake_by_ref(self: &Arc<Self>) {
        let _ = self.0.shutdown(Shutdown::Both);
    }
}

/// Accepts until `stop` is set, serving each connection on a thread of its own.
fn serve<C, F, L>(
    listener: L,
    config: ServerConfig,
    mut acceptor: Acceptor,
    stop: Arc<AtomicBool>,
    make: F,
) -> io::Result<()>
where
    C: Duplex,
    F: Fn(ConnInfo) -> C + Send + Sync + 'static,
    L: Accept,
    L::Socket: Sync,
{
    // Plain or TLS, as the configuration says (the TLS layer is the core's).
    let tls = config.tls_acceptor();
    let make = Arc::new(move |info| tls.wrap(make(info)));
    let config = Arc::new(config);
    let waker = parker();
    loop {
        // Paused, or at the bound with every connection busy: clients wait in the backlog.
        while let Err(until) = acceptor.poll_accept(now(), &waker) {
            match until {
                Some(t) => thread::park_timeout(t.saturating_duration_since(Instant::now())),
                None => thread::park(),
            }
        }
        if stop.load(Ordering::SeqCst) {
            return Ok(());
        }
        let (stream, info) = match listener.accept_conn() {
            Ok(pair) => pair,
            Err(e) => {
                // Victims (descriptors reclaimed) are kicked through their tickets.
                acceptor.failed(e, now())?;
                continue;
            }
        };
        if stop.load(Ordering::SeqCst) {
            return Ok(());
        }
        let ticket = match acceptor.accepted(now()) {
            Admit::Admitted { ticket, .. } => ticket,
            // Full again (someone got busy since we looked): wait for room next round.
            Admit::Full => continue,
            Admit::ShuttingDown => return Ok(()),
        };
        if config.nodelay {
            let _ = stream.set_nodelay();
        }
        // The clone lets the core interrupt this connection's blocked read (eviction,
        // shutdown). Without a descriptor for it, serve the connection anyway (its own
        // deadlines still end it), and count it as running out of descriptors.
        match stream.try_clone() {
            Ok(clone) => ticket.set_waker(&Waker::from(Arc::new(Interrupt(clone)))),
            Err(e) => {
                let _ = acceptor.failed(e, now());
            }
        }
        let (make, config) = (Arc::clone(&make), Arc::clone(&config));
        let spawned = thread::Builder::new()
            .name("netloom-conn".into())
            .spawn(move || {
                let conn = make(info);
                drive(conn, stream, &config, Some(ticket));
            });
        // A failed spawn drops the closure; the ticket in it frees the slot.
        drop(spawned);
    }
}

/// Runs the accept loop on this thread until the listener fails.
pub(crate) fn run<C, F>(listener: Listener, config: ServerConfig, make: F) -> io::Result<()>
where
    C: Duplex,
    F: Fn(ConnInfo) -> C + Send + Sync + 'static,
{
    let acceptor = Acceptor::new(&config, now());
    let stop = Arc::new(AtomicBool::new(false));
    match listener {
        Listener::Tcp(l) => serve(l, config, acceptor, stop, make),
        // The socket file goes when the loop ends.
        Listener::Unix(l, _file) => serve(l, config, acceptor, stop, make),
    }
}

/// Starts the accept loop on a background thread.
pub(crate) fn spawn<C, F>(
    listener: Listener,
    config: ServerConfig,
    make: F,
) -> io::Result<ServerHandle>
where
    C: Duplex,
    F: Fn(ConnInfo) -> C + Send + Sync + 'static,
{
    let addr = listener.addr()?;
    let path = listener.path();
    let wake = listener.waker();
    let acceptor = Acceptor::new(&config, now());
    let admission = Arc::clone(acceptor.admission());
    let stop = Arc::new(AtomicBool::new(false));
    let grace = config.shutdown_grace;
    let s = Arc::clone(&stop);
    let thread =
        thread::Builder::new()
            .name("netloom-accept".into())
            .spawn(move || match listener {
                Listener::Tcp(l) => serve(l, config, acceptor, s, make),
                Listener::Unix(l, _file) => serve(l, config, acceptor, s, make),
            })?;
    Ok(ServerHandle {
        addr,
        path,
        wake,
        stop,
        admission,
        grace,
        thread: Some(thread),
    })
}

/// Drives one connection over a blocking socket until its [`Served`] says to close.
pub(crate) fn drive<C: Duplex, S: Socket>(
    conn: C,
    mut stream: S,
    config: &ServerConfig,
    ticket: Option<Ticket>,
) {
    let mut served = Served::new(conn, config, ticket, now());
    if SENDFILE {
        served.enable_transmit_file();
    }
    let mut buf = vec![0u8; 16 * 1024];
    let (mut read_timeout, mut write_timeout) = (Armed::default(), Armed::default());
    loop {
        let t = now();
        match served.next(t) {
            Next::Write => {
                let armed = write_timeout.arm(served.poll_timeout(), t.instant, |d| {
                    stream.set_write_timeout(d)
                });
                // A blocking write that would block has hit its deadline.
                if !armed || !served.on_write(now(), write(&mut stream, &served)) {
                    served.handle_timeout(now());
                }
            }
            Next::WriteFile => {
                let armed = write_timeout.arm(served.poll_timeout(), t.instant, |d| {
                    stream.set_write_timeout(d)
                });
                if !armed || !served.on_write(now(), send_file(&stream, served.transmit_file())) {
                    served.handle_timeout(now());
                }
            }
            Next::Read => {
                let armed = read_timeout.arm(served.poll_timeout(), t.instant, |d| {
                    stream.set_read_timeout(d)
                });
                if !armed || !served.on_read(now(), stream.read(&mut buf), &buf) {
                    served.handle_timeout(now());
                }
            }
            // This connection has a thread of its own: run the job right here.
            Next::Run(job) => {
                let done = catch_unwind(AssertUnwindSafe(|| job.run())).ok();
                served.on_job(now(), done);
            }
            Next::Wait => match served.poll_timeout() {
                Some(deadline) => {
                    thread::sleep(deadline.saturating_duration_since(Instant::now()));
                    served.handle_timeout(now());
                }
                // Nothing can wake a blocking driver that has nothing to wait for.
                None => served.abort(),
            },
            Next::ShutdownWrite => {
                let _ = stream.shutdown(Shutdown::Write);
            }
            Next::Close => return,
        }
    }
}

/// Writes (some of) what the connection has to send; with `MSG_MORE` when a file body
/// follows at once, so that its head waits for it and they leave in full packets.
fn write<C: Duplex, S: Socket>(stream: &mut S, served: &Served<C>) -> io::Result<usize> {
    if SENDFILE && served.transmit_more() {
        return send_more(&*stream, served.transmit());
    }
    stream.write(served.transmit())
}
