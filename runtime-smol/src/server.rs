//! The accept loop, connection bound, timeouts and shutdown shared by every smol server.

use std::cell::Cell;
use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::net::{UnixListener, UnixStream};
use std::task::Waker;
use std::time::{Duration, Instant, SystemTime};

use async_channel::{self as channel, Receiver, Sender};
use async_io::{Async, Timer};
use futures_lite::future;
use futures_lite::AsyncWriteExt;
use netloom_core::frame::{Addr, ConnInfo};
use netloom_core::serve::{Acceptor, Admit, Kicked, Next, Served};
use netloom_core::{Duplex, Now, ServerConfig};
use netloom_io::send::{send_file, send_more, SENDFILE};
use netloom_io::{Listener, SocketFile};
use netloom_workers::Workers;

fn now() -> Now {
    Now::new(Instant::now(), SystemTime::now())
}

/// A listening socket of either transport, on async-io (a Unix socket's file is kept, and
/// removed when the server stops).
pub(crate) enum SmolListener {
    Tcp(Async<TcpListener>),
    // The socket file, removed when the server stops.
    Unix(Async<UnixListener>, #[allow(dead_code)] Option<SocketFile>),
}

/// An accepted connection of either transport.
pub(crate) enum SmolStream {
    Tcp(Async<TcpStream>),
    Unix(Async<UnixStream>),
}

impl SmolListener {
    pub(crate) fn new(listener: Listener) -> io::Result<SmolListener> {
        Ok(match listener {
            Listener::Tcp(l) => SmolListener::Tcp(Async::new(l)?),
            Listener::Unix(l, file) => SmolListener::Unix(Async::new(l)?, file),
        })
    }

    async fn accept(&self) -> io::Result<(SmolStream, ConnInfo)> {
        match self {
            SmolListener::Tcp(l) => {
                let (s, peer) = l.accept().await?;
                let local = s.get_ref().local_addr()?;
                Ok((
                    SmolStream::Tcp(s),
                    ConnInfo {
                        local: Addr::Inet(local),
                        peer: Addr::Inet(peer),
                    },
                ))
            }
            SmolListener::Unix(l, _) => {
                let (s, _) = l.accept().await?;
                Ok((
                    SmolStream::Unix(s),
                    ConnInfo {
                        local: Addr::Unix,
                        peer: Addr::Unix,
                    },
                ))
            }
        }
    }
}

/// Half-closing a socket of either transport.
pub(crate) trait Shutdown {
    fn shutdown_write(&self) -> io::Result<()>;
}

impl Shutdown for TcpStream {
    fn shutdown_write(&self) -> io::Result<()> {
        self.shutdown(std::net::Shutdown::Write)
    }
}

impl Shutdown for UnixStream {
    fn shutdown_write(&self) -> io::Result<()> {
        self.shutdown(std::net::Shutdown::Write)
    }
}

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
/// future, so no global executor is assumed. Every timer and connection decision is the
/// core's (`netloom_core::serve`); this only awaits sockets, timers and jobs.
pub(crate) async fn accept_loop<C, F>(
    listener: SmolListener,
    config: &ServerConfig,
    signal: &ShutdownSignal,
    mut factory: F,
) -> io::Result<()>
where
    C: Duplex + 'static,
    F: FnMut(ConnInfo) -> C,
{
    let ex = async_executor::LocalExecutor::new();
    // Plain or TLS, as the configuration says (the TLS layer is the core's).
    let tls = config.tls_acceptor();
    let mut acceptor = Acceptor::new(config, now());
    let admission = std::sync::Arc::clone(acceptor.admission());
    // Where jobs run (handler calls, heavy requests); threads start as needed.
    let workers = Workers::for_server(config);
    ex.run(async {
        // Owned here so that it closes the moment accepting stops: clients arriving
        // during the drain are refused, not left waiting in the backlog.
        let listener = listener;
        let accept = async {
            loop {
                // Paused, or every connection busy at the bound: clients wait in the backlog.
                while let Err(until) = acceptor.poll_accept(now(), Waker::noop()) {
                    let ready = acceptor.ready(now());
                    match until {
                        Some(at) => {
                            future::or(ready, async {
                                Timer::at(at).await;
                            })
                            .await
                        }
                        None => ready.await,
                    }
                }
                let (stream, peer) = match listener.accept().await {
                    Ok(pair) => pair,
                    Err(e) => {
                        // Victims (descriptors reclaimed) are kicked through their tickets.
                        acceptor.failed(e, now())?;
                        continue;
                    }
                };
                let ticket = match acceptor.accepted(now()) {
                    Admit::Admitted { ticket, .. } => ticket,
                    Admit::Full => continue,
                    Admit::ShuttingDown => return Ok::<(), io::Error>(()),
                };
                let conn = tls.wrap(factory(peer));
                let mut served = Served::new(conn, config, Some(ticket), now());
                if SENDFILE {
                    served.enable_transmit_file();
                }
                match stream {
                    SmolStream::Tcp(s) => {
                        if config.nodelay {
                            let _ = s.get_ref().set_nodelay(true);
                        }
                        ex.spawn(drive(served, s, workers.clone())).detach();
                    }
                    SmolStream::Unix(s) => {
                        ex.spawn(drive(served, s, workers.clone())).detach();
                    }
                }
            }
        };
        future::or(accept, async {
            signal.wait().await;
            Ok(())
        })
        .await?;
        drop(listener);
        // Connections learn of it through their tickets: idle ones close, busy ones finish.
        admission.begin_shutdown();
        let grace_over = future::or(
            async {
                admission.empty().await;
                false
            },
            async {
                Timer::after(config.shutdown_grace).await;
                true
            },
        )
        .await;
        if grace_over {
            admission.abort_all();
            // The kicked tasks close at once; give them a moment to do so.
            future::or(admission.empty(), async {
                Timer::after(Duration::from_millis(100)).await;
            })
            .await;
        }
        Ok(())
    })
    .await
    // Tasks still running are dropped with the executor, closing their sockets.
}

/// What ended a wait.
enum Woke<T> {
    /// The operation finished.
    Done(T),
    /// The connection's deadline passed.
    Deadline,
    /// The core kicked the connection (evicted, shutting down): ask it again.
    Kicked,
}

/// Awaits `op`, the connection's next deadline, or a kick, whichever comes first.
async fn wait<T>(
    op: impl std::future::Future<Output = T>,
    deadline: Option<Instant>,
    kicked: Option<Kicked>,
) -> Woke<T> {
    let timer = async {
        match deadline {
            Some(at) => {
                Timer::at(at).await;
                Woke::Deadline
            }
            None => future::pending().await,
        }
    };
    let kick = async {
        match kicked {
            Some(k) => {
                k.await;
                Woke::Kicked
            }
            None => future::pending().await,
        }
    };
    future::or(async { Woke::Done(op.await) }, future::or(timer, kick)).await
}

/// Drives one connection's [`Served`] until it says to close. Its jobs (handler calls) run on
/// `workers`.
pub(crate) async fn drive<C: Duplex, T: Shutdown + Write + std::os::fd::AsFd + async_io::IoSafe>(
    mut served: Served<C>,
    mut stream: Async<T>,
    workers: Workers,
) where
    for<'a> &'a T: Read + Write,
{
    // The result of the job out, if one is.
    let mut job: Option<Receiver<Option<C::Done>>> = None;
    loop {
        let t = now();
        match served.next(t) {
            Next::Write => {
                let (deadline, kicked) = (served.poll_timeout(), served.kicked());
                match wait(write(&mut stream, &served), deadline, kicked).await {
                    Woke::Done(written) => {
                        served.on_write(now(), written);
                    }
                    Woke::Deadline => served.handle_timeout(now()),
                    Woke::Kicked => {}
                }
            }
            Next::WriteFile => {
                let (deadline, kicked) = (served.poll_timeout(), served.kicked());
                let sent = stream.write_with(|io| send_file(io, served.transmit_file()));
                match wait(sent, deadline, kicked).await {
                    Woke::Done(written) => {
                        served.on_write(now(), written);
                    }
                    Woke::Deadline => served.handle_timeout(now()),
                    Woke::Kicked => {}
                }
            }
            Next::Read => {
                let (deadline, kicked) = (served.poll_timeout(), served.kicked());
                // `receive` runs inside the read, on a buffer shared by the thread's
                // connections, so an idle connection holds no read buffer of its own.
                let read = stream.read_with(|io| read_into(io, &mut served));
                match wait(read, deadline, kicked).await {
                    Woke::Done(Ok(())) => {}
                    Woke::Done(Err(e)) => {
                        served.on_read(now(), Err(e), &[]);
                    }
                    Woke::Deadline => served.handle_timeout(now()),
                    Woke::Kicked => {}
                }
            }
            Next::Run(work) => {
                let (tx, rx) = channel::bounded(1);
                workers.run(work, move |done| {
                    let _ = tx.try_send(done);
                });
                job = Some(rx);
            }
            Next::Wait => {
                let (deadline, kicked) = (served.poll_timeout(), served.kicked());
                let done = async {
                    match &job {
                        Some(rx) => rx.recv().await.ok().flatten(),
                        None => future::pending().await,
                    }
                };
                match wait(done, deadline, kicked).await {
                    Woke::Done(done) => {
                        job = None;
                        served.on_job(now(), done);
                    }
                    Woke::Deadline => served.handle_timeout(now()),
                    Woke::Kicked => {}
                }
            }
            Next::ShutdownWrite => {
                let _ = stream.flush().await;
                let _ = stream.get_ref().shutdown_write();
            }
            Next::Close => return,
        }
    }
}

/// Writes (some of) what the connection has to send; with `MSG_MORE` when a file body
/// follows at once, so that its head waits for it and they leave in full packets.
async fn write<C: Duplex, T: Write + std::os::fd::AsFd + async_io::IoSafe>(
    stream: &mut Async<T>,
    served: &Served<C>,
) -> io::Result<usize>
where
    for<'a> &'a T: Write,
{
    if SENDFILE && served.transmit_more() {
        return stream.write_with(|s| send_more(s, served.transmit())).await;
    }
    stream.write(served.transmit()).await
}

/// Size of the shared read buffer.
const READ_BUF: usize = 16 * 1024;

thread_local! {
    /// The read buffer of every connection this thread drives (only used between an await's
    /// wake-up and the next await, so one per thread is enough).
    static READ_BUFFER: Cell<Vec<u8>> = const { Cell::new(Vec::new()) };
}

/// One non-blocking read from `io`, handed straight to `served` (end of stream included);
/// `WouldBlock` when there is nothing, so that `read_with` waits.
fn read_into<C: Duplex, T>(mut io: &T, served: &mut Served<C>) -> io::Result<()>
where
    for<'a> &'a T: Read,
{
    // Taken out of the thread-local while in use, so a handler that somehow re-enters gets a
    // buffer of its own rather than a conflict.
    let mut buf = READ_BUFFER.with(Cell::take);
    buf.resize(READ_BUF, 0);
    let read = io.read(&mut buf);
    let result = match read {
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => Err(e),
        other => {
            served.on_read(now(), other, &buf);
            Ok(())
        }
    };
    READ_BUFFER.with(|b| b.set(buf));
    result
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
