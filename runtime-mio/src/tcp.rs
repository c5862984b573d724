//! Framed TCP on a mio event loop.
//!
//! [`Server`] serves a [`Service`] on every connection from one thread; [`Client`] is a
//! single connection driven by its own poll, with a deadline on every call.
//!
//! ```no_run
//! let mut client = netloom_mio::tcp::Client::connect_default("127.0.0.1:1060")?;
//! client.write_all(b"Hi there, server")?;
//! let reply = client.recvall(16)?; // fails clearly on a short read
//! println!("The server said {:?}", String::from_utf8_lossy(&reply));
//! # Ok::<(), std::io::Error>(())
//! ```

use std::io;
use std::net::{SocketAddr, TcpListener, ToSocketAddrs};
use std::sync::Arc;
use std::time::Duration;

use netloom_core::frame::{Bound, Decoder, FixedDecoder, Service};
use netloom_core::ServerConfig;

use crate::event_loop::{self, ServerHandle};
use crate::Listener;

pub use crate::client::ClientConn as Client;

/// Default per-operation timeout of [`Client`].
pub const CLIENT_TIMEOUT: Duration = Duration::from_secs(30);

impl Client {
    /// Connects with the default timeout ([`CLIENT_TIMEOUT`]).
    pub fn connect_default(addr: impl ToSocketAddrs) -> io::Result<Self> {
        Client::connect(addr, CLIENT_TIMEOUT)
    }

    /// Reads until `decoder` yields one frame; a peer that closes first is an
    /// `UnexpectedEof` error carrying a [`FrameError`](netloom_core::frame::FrameError).
    pub fn recv_frame<D: Decoder>(&mut self, decoder: &mut D) -> io::Result<Vec<u8>> {
        let mut buf = [0u8; 8192];
        loop {
            if let Some(frame) = decoder.expect_frame()? {
                return Ok(frame);
            }
            let want = decoder.wanted().clamp(1, buf.len());
            match self.read(&mut buf[..want])? {
                0 => decoder.receive_eof(),
                n => decoder.receive(&buf[..n]),
            }
        }
    }

    /// Reads exactly `len` bytes, or fails with the short-read error.
    pub fn recvall(&mut self, len: usize) -> io::Result<Vec<u8>> {
        self.recv_frame(&mut FixedDecoder::new(len))
    }
}

/// A framed TCP server on one event-loop thread.
pub struct Server<S> {
    listener: Listener,
    service: Arc<S>,
    config: ServerConfig,
}

impl<S> Server<S>
where
    S: Service + Send + Sync + 'static,
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
        Server {
            listener: listener.into(),
            service: Arc::new(service),
            config: ServerConfig::default(),
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

    /// Runs the event loop(s) (`ServerConfig::event_loops`), blocking this thread, forever.
    pub fn run(self) -> io::Result<()> {
        let service = self.service;
        event_loop::run(self.listener, self.config, move |info| {
            Bound::new(Arc::clone(&service), info)
        })
    }

    /// Runs the event loop(s) on background threads; the handle stops them.
    pub fn spawn(self) -> io::Result<ServerHandle> {
        let service = self.service;
        event_loop::spawn(self.listener, self.config, move |info| {
            Bound::new(Arc::clone(&service), info)
        })
    }
}
