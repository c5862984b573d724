//! Framed TCP with async-io: `async fn`s usable from any executor.
//!
//! A [`Server`] serves a [`Service`] on every connection (`run()` is a future, `spawn()` a
//! thread of its own); a client connects with [`connect`] and reads frames with
//! [`recv_frame`] or [`recvall`].
//!
//! ```
//! use futures_lite::AsyncWriteExt;
//! use netloom_core::frame::{ConnInfo, FixedDecoder, Reply, Service};
//!
//! /// The 16-octet exchange's server: read 16 octets, answer, close.
//! struct Sixteen;
//! impl Service for Sixteen {
//!     type Decoder = FixedDecoder;
//!     fn decoder(&self) -> FixedDecoder {
//!         FixedDecoder::new(16)
//!     }
//!     fn on_frame(&self, _: &ConnInfo, _frame: Vec<u8>) -> Reply {
//!         Reply::SendAndClose(b"Farewell, client".to_vec())
//!     }
//! }
//!
//! let server = netloom_smol::tcp::Server::bind("127.0.0.1:0", Sixteen)?.spawn()?;
//! smol::block_on(async {
//!     let mut sock = netloom_smol::tcp::connect(server.local_addr()).await?;
//!     sock.write_all(b"Hi there, server").await?;
//!     let reply = netloom_smol::tcp::recvall(&mut sock, 16).await?; // fails clearly on a short read
//!     assert_eq!(reply, b"Farewell, client");
//!     Ok::<(), std::io::Error>(())
//! })?;
//! server.shutdown()?;
//! # Ok::<(), std::io::Error>(())
//! ```

use std::io;
use std::net::{SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::sync::Arc;
use std::time::Duration;

use async_io::Async;
use futures_lite::{AsyncRead, AsyncReadExt};
use netloom_core::frame::{Bound, Decoder, FixedDecoder, Service};
use netloom_core::ServerConfig;

use crate::handle::{self, ServerHandle};
use crate::server::{self, shutdown_pair, ShutdownHandle, ShutdownSignal, SmolListener};
use crate::Listener;

/// How long [`connect`] waits for each address.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Connects to the first address of `addr` that answers. Name resolution blocks briefly.
pub async fn connect(addr: impl ToSocketAddrs) -> io::Result<Async<TcpStream>> {
    let mut last = None;
    for a in addr.to_socket_addrs()? {
        match server::with_timeout(CONNECT_TIMEOUT, Async::<TcpStream>::connect(a)).await {
            Ok(s) => return Ok(s),
            Err(e) => last = Some(e),
        }
    }
    Err(last
        .unwrap_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no address to connect to")))
}

/// Reads until `decoder` yields one frame; a peer that closes first is an `UnexpectedEof`
/// error carrying a [`FrameError`](netloom_core::frame::FrameError).
pub async fn recv_frame<D: Decoder>(
    stream: &mut (impl AsyncRead + Unpin),
    decoder: &mut D,
) -> io::Result<Vec<u8>> {
    let mut buf = [0u8; 8192];
    loop {
        if let Some(frame) = decoder.expect_frame()? {
            return Ok(frame);
        }
        let want = decoder.wanted().clamp(1, buf.len());
        match stream.read(&mut buf[..want]).await {
            Ok(0) => decoder.receive_eof(),
            Ok(n) => decoder.receive(&buf[..n]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

/// Reads exactly `len` bytes, or fails with the short-read error.
pub async fn recvall(stream: &mut (impl AsyncRead + Unpin), len: usize) -> io::Result<Vec<u8>> {
    recv_frame(stream, &mut FixedDecoder::new(len)).await
}

/// A framed TCP server whose `run` future serves every connection.
pub struct Server<S> {
    listener: Listener,
    service: Arc<S>,
    config: ServerConfig,
    signal: ShutdownSignal,
    handle: ShutdownHandle,
}

impl<S> Server<S>
where
    S: Service + 'static,
{
    /// Binds `addr` (port 0 picks a free port).
    pub fn bind(addr: impl ToSocketAddrs, service: S) -> io::Result<Self> {
        Ok(Self::from_listener(TcpListener::bind(addr)?, service))
    }

    /// Binds a Unix domain socket at `path` (a live socket there is never replaced, a
    /// stale one is; the file is removed when the server stops).
    pub fn bind_unix(path: impl AsRef<std::path::Path>, service: S) -> io::Result<Self> {
        Ok(Self::from_listener(
            Listener::bind_unix(path.as_ref())?,
            service,
        ))
    }

    /// Serves on an already bound listener (a `TcpListener`, a `UnixListener`, or a
    /// [`Listener`]).
    pub fn from_listener(listener: impl Into<Listener>, service: S) -> Self {
        let (handle, signal) = shutdown_pair();
        Server {
            listener: listener.into(),
            service: Arc::new(service),
            config: ServerConfig::default(),
            signal,
            handle,
        }
    }

    /// Replaces the default [`ServerConfig`].
    pub fn config(mut self, config: ServerConfig) -> Self {
        self.config = config;
        self
    }

    /// The bound TCP address (an error for a Unix-socket server).
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// A handle that makes [`run`](Self::run) return (gracefully, see
    /// [`ShutdownHandle::shutdown`]).
    pub fn shutdown_handle(&self) -> ShutdownHandle {
        self.handle.clone()
    }

    /// Serves until the shutdown handle is used.
    pub async fn run(self) -> io::Result<()> {
        let listener = SmolListener::new(self.listener)?;
        serve(
            listener,
            self.service,
            self.config,
            self.signal,
            self.handle,
        )
        .await
    }

    /// Serves on a background thread of its own; the handle stops it.
    pub fn spawn(self) -> io::Result<ServerHandle>
    where
        S: Send + Sync,
    {
        let place = handle::place(&self.listener)?;
        // Registered here, so that an error is this call's.
        let listener = SmolListener::new(self.listener)?;
        let (service, config, signal, handle) =
            (self.service, self.config, self.signal, self.handle);
        let stop = handle.clone();
        handle::spawn(place, stop, move || {
            serve(listener, service, config, signal, handle)
        })
    }
}

async fn serve<S: Service + 'static>(
    listener: SmolListener,
    service: Arc<S>,
    config: ServerConfig,
    signal: ShutdownSignal,
    handle: ShutdownHandle,
) -> io::Result<()> {
    // Held for the whole run: the channel closes only when a handle says so.
    let _keep_open = handle;
    server::accept_loop(listener, &config, &signal, move |info| {
        Bound::new(Arc::clone(&service), info)
    })
    .await
}
