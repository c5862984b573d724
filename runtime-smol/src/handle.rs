//! [`ServerHandle`]: a smol server run in the background on a thread of its own, stopped
//! like the servers of every other runtime.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::thread::{self, JoinHandle};

use netloom_core::frame::Addr;

use crate::server::ShutdownHandle;
use crate::Listener;

/// A server running on a background thread (its own `block_on`), stopped with
/// [`shutdown`](ServerHandle::shutdown) or when dropped: what `spawn()` returns on every
/// runtime. Inside async code, prefer `run()` with a
/// [`shutdown_handle`](crate::tcp::Server::shutdown_handle).
#[derive(Debug)]
pub struct ServerHandle {
    addr: Addr,
    path: Option<PathBuf>,
    stop: ShutdownHandle,
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

    /// Where the server listens: a TCP address, or a Unix domain socket.
    pub fn addr(&self) -> Addr {
        self.addr
    }

    /// The path of a Unix-socket server's socket.
    pub fn unix_path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// Stops the server gracefully (see [`ShutdownHandle::shutdown`]) and waits for it:
    /// returns when every connection is done or
    /// [`ServerConfig::shutdown_grace`](netloom_core::ServerConfig::shutdown_grace) has
    /// passed, with the error that stopped the server early, if one did.
    pub fn shutdown(mut self) -> io::Result<()> {
        self.stop_and_join()
    }

    fn stop_and_join(&mut self) -> io::Result<()> {
        let Some(thread) = self.thread.take() else {
            return Ok(());
        };
        self.stop.shutdown();
        thread
            .join()
            .unwrap_or_else(|_| Err(io::Error::other("server thread panicked")))
    }
}

impl Drop for ServerHandle {
    fn drop(&mut self) {
        let _ = self.stop_and_join();
    }
}

/// Where `listener` listens, for the handle of the server that will own it.
pub(crate) fn place(listener: &Listener) -> io::Result<(Addr, Option<PathBuf>)> {
    Ok((listener.addr()?, listener.path()))
}

/// Runs the future `run` makes on a new thread until `stop` is used.
pub(crate) fn spawn<F>(
    (addr, path): (Addr, Option<PathBuf>),
    stop: ShutdownHandle,
    run: impl FnOnce() -> F + Send + 'static,
) -> io::Result<ServerHandle>
where
    F: Future<Output = io::Result<()>>,
{
    let thread = thread::Builder::new()
        .name("netloom-smol".into())
        .spawn(move || async_io::block_on(run()))?;
    Ok(ServerHandle {
        addr,
        path,
        stop,
        thread: Some(thread),
    })
}
