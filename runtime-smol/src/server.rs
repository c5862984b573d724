//! The accept loop, connection bound, timeouts and shutdown shared by every smol server.

use std::cell::Cell;
use std::io::{self, Read};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_io::{Async, Timer};
use futures_lite::future;
use futures_lite::{AsyncReadExt, AsyncWriteExt};
use netloom_core::frame::ConnInfo;
use netloom_core::{Duplex, ServerConfig};
use netloom_std::workers::Workers;
use smol::channel::{self, Receiver, Sender};
use smol::lock::Semaphore;

/// Stops a running server: [`shutdown`](ShutdownHandle::shutdown) makes its `run` future
/// finish gracefully and return. Cloneable; dropping it does nothing.
#[derive(Debug, Clone)]
pub struct ShutdownHandle {
    tx: Sender<()>,
}

impl ShutdownHandle {
    /// Asks the server to shut down gracefully. Its `run` future stops accepting at once,
    /// closes idle keep-alive connections, lets requests in flight finish and their responses
    /// be written, and returns when every connection is done or
    /// [`ServerConfig::shutdown_grace`] has passed (connections still open then are closed).
    /// The listening socket closes at once, so clients arriving meanwhile are refused.
    pub fn shutdown(&self) {
        self.tx.close();
    }
}

/// The receiving half a server keeps.
#[derive(Debug, Clone)]
pub(crate) struct ShutdownSignal {
    rx: Receiver<()>,
}

pub(crate) fn shutdown_pair() -> (ShutdownHandle, ShutdownSignal) {
    let (tx, rx) = channel::bounded(1);
    (ShutdownHandle { tx }, ShutdownSignal { rx })
}

impl ShutdownSignal {
    pub(crate) async fn wait(&self) {
        // Resolves when every sender is gone or closed.
        let _ = self.rx.recv().await;
    }
}

/// Accepts and serves connections until `signal` fires, then drains them (see
/// [`ShutdownHandle::shutdown`]). Every connection task runs on a local executor owned by this
/// future, so no global executor is assumed.
pub(crate) async fn accept_loop<C, F>(
    listener: Async<std::net::TcpListener>,
    config: &ServerConfig,
    signal: &ShutdownSignal,
    mut factory: F,
) -> io::Result<()>
where
    C: Duplex + 'static,
    F: FnMut(ConnInfo) -> C,
{
    let ex = smol::LocalExecutor::new();
    let slots = Arc::new(Semaphore::new(config.max_connections.max(1)));
    // Where handler jobs run (`ServerConfig::handler_threads`); threads start as needed.
    let workers = Workers::new(config.handler_threads);
    // Every connection task holds a clone of `live`; `all_done` resolves once all are gone.
    let (live, all_done) = channel::bounded::<()>(1);
    ex.run(async {
        // Owned here so that it closes the moment accepting stops: clients arriving
        // during the drain are refused, not left waiting in the backlog.
        let listener = listener;
        let accept = async {
            // Owned by this future: dropped with it when accepting stops.
            let live = live;
            loop {
                let permit = slots.acquire_arc().await;
                let (stream, peer) = match listener.accept().await {
                    Ok(pair) => pair,
                    Err(e) if is_transient(&e) => {
                        Timer::after(Duration::from_millis(10)).await;
                        continue;
                    }
                    Err(e) => return Err(e),
                };
                let Ok(local) = stream.get_ref().local_addr() else {
                    continue;
                };
                let _ = stream.get_ref().set_nodelay(true);
                let conn = factory(ConnInfo { local, peer });
                let config = config.clone();
                let drain = signal.clone();
                let live = live.clone();
                let workers = workers.clone();
                let task = async move {
                    drive(conn, stream, &config, &drain, &workers).await;
                    drop(permit);
                    drop(live);
                };
                ex.spawn(task).detach();
            }
        };
        future::or(accept, async {
            signal.wait().await;
            Ok(())
        })
        .await?;
        drop(listener);
        // No more accepts. Connections saw the same signal: idle ones close, busy ones finish.
        future::or(
            async {
                let _ = all_done.recv().await;
            },
            async {
                Timer::after(config.shutdown_grace).await;
            },
        )
        .await;
        Ok(())
    })
    .await
    // Tasks still running are dropped with the executor, closing their sockets.
}

fn is_transient(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::Interrupted
    ) || e
        .raw_os_error()
        .is_some_and(|code| code == 24 || code == 23) // EMFILE, ENFILE
}

/// Drives one connection's [`Duplex`] until it finishes, the peer goes, a timeout fires, or
/// `drain` fires while no message is in flight. Its jobs (handler calls) run on `workers`.
pub(crate) async fn drive<C: Duplex>(
    mut conn: C,
    mut stream: Async<TcpStream>,
    config: &ServerConfig,
    drain: &ShutdownSignal,
    workers: &Workers,
) {
    let mut message_start: Option<Instant> = None;
    loop {
        // One write window per deadline (`ServerConfig::write_timeout`).
        let out = config.write_slice(conn.transmit());
        if !out.is_empty() {
            let n = out.len();
            let write = async { stream.write_all(out).await.map(|_| true) };
            match with_timeout(config.write_timeout, write).await {
                Ok(true) => conn.advance(n),
                _ => break,
            }
            continue;
        }
        if let Some(job) = conn.take_job() {
            // Not timed: like std's handler call, it takes what it takes.
            let (tx, rx) = channel::bounded(1);
            workers.submit(job, move |done| {
                let _ = tx.try_send(done);
            });
            match rx.recv().await {
                Ok(done) => conn.complete(done),
                Err(_) => break, // the worker lost the job (it cannot, short of a bug)
            }
            continue;
        }
        if conn.is_finished() || !conn.wants_read() {
            break;
        }
        let idle = !conn.mid_message();
        message_start = if idle {
            None
        } else {
            Some(message_start.unwrap_or_else(Instant::now))
        };
        let Some(budget) = config.read_budget(message_start.map(|t| t.elapsed())) else {
            break; // the message took too long to arrive
        };
        // `receive` runs inside the read, on a buffer shared by the thread's connections, so
        // an idle connection holds no read buffer of its own.
        let read = with_timeout(budget, stream.read_with(|io| read_into_conn(io, &mut conn)));
        let read = if idle {
            // Between messages, shutting down closes the connection; a message part-way in
            // is read to its end and answered. A read that loses the race has read nothing.
            future::or(read, async {
                drain.wait().await;
                Err(io::ErrorKind::ConnectionAborted.into())
            })
            .await
        } else {
            read.await
        };
        match read {
            Ok(0) => conn.receive_eof(),
            Ok(_) => {} // already handed to `conn`
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => break,
        }
    }
    let _ = stream.flush().await;
    let _ = stream.get_ref().shutdown(std::net::Shutdown::Write);
    // Drain briefly so unread input does not turn our close into a reset that destroys the
    // reply (see the std runtime's lingering close).
    let drain = async {
        // On the heap: an array here would be part of every connection's future, idle or not.
        let mut sink = vec![0u8; 4096];
        let mut total = 0usize;
        while total < 256 * 1024 {
            match stream.read(&mut sink).await {
                Ok(0) | Err(_) => break,
                Ok(n) => total += n,
            }
        }
        Ok::<_, io::Error>(())
    };
    let _ = with_timeout(Duration::from_millis(500), drain).await;
}

/// Size of the shared read buffer.
const READ_BUF: usize = 16 * 1024;

thread_local! {
    /// The read buffer of every connection this thread drives (only used between an await's
    /// wake-up and the next await, so one per thread is enough).
    static READ_BUFFER: Cell<Vec<u8>> = const { Cell::new(Vec::new()) };
}

/// One non-blocking read from `io`, handed straight to `conn`; the byte count (0 at end of
/// stream, which the caller reports).
fn read_into_conn<C: Duplex>(mut io: &TcpStream, conn: &mut C) -> io::Result<usize> {
    // Taken out of the thread-local while in use, so a handler that somehow re-enters gets a
    // buffer of its own rather than a conflict.
    let mut buf = READ_BUFFER.with(Cell::take);
    buf.resize(READ_BUF, 0);
    let read = io.read(&mut buf);
    if let Ok(n) = read {
        if n > 0 {
            conn.receive(&buf[..n]);
        }
    }
    READ_BUFFER.with(|b| b.set(buf));
    read
}

/// Runs `fut`, or fails with `TimedOut` after `limit`.
pub(crate) async fn with_timeout<T>(
    limit: Duration,
    fut: impl std::future::Future<Output = io::Result<T>>,
) -> io::Result<T> {
    future::or(fut, async {
        Timer::after(limit).await;
        Err(io::ErrorKind::TimedOut.into())
    })
    .await
}
