//! The accept loop, connection bound and shutdown shared by every std server.

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
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<io::Result<()>>>,
}

impl ServerHandle {
    /// The address the server listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops accepting and waits for the accept loop to end. Connections already being served
    /// finish on their own threads.
    pub fn shutdown(mut self) -> io::Result<()> {
        self.stop_and_join()
    }

    fn stop_and_join(&mut self) -> io::Result<()> {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the blocking accept; the loop sees the flag and returns.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        match self.thread.take() {
            Some(t) => t
                .join()
                .unwrap_or_else(|_| Err(io::Error::other("accept loop panicked"))),
            None => Ok(()),
        }
    }
}

impl Drop for ServerHandle {
    fn drop(&mut self) {
        let _ = self.stop_and_join();
    }
}

/// Counts live connections and makes the accept loop wait when the bound is reached.
#[derive(Default)]
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
        self.freed.notify_one();
    }
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
    let handle = Arc::new(handle);
    let slots = Arc::new(Slots::default());
    loop {
        if !slots.acquire(config.max_connections.max(1), &stop) {
            return Ok(());
        }
        let accepted = listener.accept();
        if stop.load(Ordering::SeqCst) {
            return Ok(());
        }
        let stream = match accepted {
            Ok((stream, _)) => stream,
            Err(e) if is_transient_accept_error(&e) => {
                slots.release();
                // Out of descriptors or a peer that reset before accept: back off briefly
                // instead of spinning, and keep serving.
                thread::sleep(Duration::from_millis(10));
                continue;
            }
            Err(e) => {
                slots.release();
                return Err(e);
            }
        };
        let _ = stream.set_read_timeout(Some(config.idle_timeout));
        let _ = stream.set_write_timeout(Some(config.write_timeout));
        let handle = Arc::clone(&handle);
        let slots_for_conn = Arc::clone(&slots);
        let spawned = thread::Builder::new()
            .name("netloom-conn".into())
            .spawn(move || {
                let _guard = SlotGuard(slots_for_conn);
                handle(stream);
            });
        if spawned.is_err() {
            slots.release();
        }
    }
}

struct SlotGuard(Arc<Slots>);

impl Drop for SlotGuard {
    fn drop(&mut self) {
        self.0.release();
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

/// Starts `accept_loop` on a background thread.
pub(crate) fn spawn<F>(
    listener: TcpListener,
    config: ServerConfig,
    handle: F,
) -> io::Result<ServerHandle>
where
    F: Fn(TcpStream) + Send + Sync + 'static,
{
    let addr = listener.local_addr()?;
    let stop = Arc::new(AtomicBool::new(false));
    let stop_for_loop = Arc::clone(&stop);
    let thread = thread::Builder::new()
        .name("netloom-accept".into())
        .spawn(move || accept_loop(listener, config, stop_for_loop, handle))?;
    Ok(ServerHandle {
        addr,
        stop,
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
        let out = conn.transmit();
        if !out.is_empty() {
            if stream.write_all(out).is_err() {
                break;
            }
            let n = out.len();
            conn.advance(n);
            continue; // writing may have unblocked more output
        }
        // With nothing to write, a connection that will not read is done: in this blocking
        // driver output is only ever produced while handling input.
        if conn.is_finished() || !conn.wants_read() {
            break;
        }
        message_start = if conn.mid_message() {
            Some(message_start.unwrap_or_else(Instant::now))
        } else {
            None
        };
        let Some(budget) = config.read_budget(message_start.map(|t| t.elapsed())) else {
            break; // the message took too long to arrive
        };
        if budget != timeout && stream.set_read_timeout(Some(budget)).is_ok() {
            timeout = budget;
        }
        match stream.read(&mut buf) {
            Ok(0) => conn.receive_eof(),
            Ok(n) => conn.receive(&buf[..n]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            // Idle timeout, reset or any other failure ends this connection only.
            Err(_) => break,
        }
    }
    lingering_close(stream);
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
