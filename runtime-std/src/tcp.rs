//! Framed TCP over blocking sockets.
//!
//! A [`Server`] runs a [`Service`] (see [`netloom_core::frame`]) on every connection; a client
//! connects with [`connect`] and reads frames with [`recv_frame`] or [`recvall`].
//!
//! ```
//! use std::io::Write;
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
//! let server = netloom_std::tcp::Server::bind("127.0.0.1:0", Sixteen)?.spawn()?;
//! let mut sock = netloom_std::tcp::connect(server.local_addr())?;
//! sock.write_all(b"Hi there, server")?;
//! let reply = netloom_std::tcp::recvall(&mut sock, 16)?; // fails clearly on a short read
//! assert_eq!(reply, b"Farewell, client");
//! server.shutdown()?;
//! # Ok::<(), std::io::Error>(())
//! ```

use std::io;
use std::net::{SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::sync::Arc;
use std::time::Duration;

use netloom_core::frame::{Bound, Service};

use crate::server::{self, ServerConfig, ServerHandle};
use crate::Listener;

pub use netloom_io::{recv_frame, recvall};

/// How long [`connect`] waits for each address.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Connects to the first address of `addr` that answers within [`CONNECT_TIMEOUT`], trying
/// each in turn. The stream has no read or write timeout: set them
/// (`TcpStream::set_read_timeout`) for a peer that may go quiet.
pub fn connect(addr: impl ToSocketAddrs) -> io::Result<TcpStream> {
    let mut last = None;
    for a in addr.to_socket_addrs()? {
        match TcpStream::connect_timeout(&a, CONNECT_TIMEOUT) {
            Ok(s) => return Ok(s),
            Err(e) => last = Some(e),
        }
    }
    Err(last
        .unwrap_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no address to connect to")))
}

/// A framed TCP server: binds, then serves a [`Service`] on every connection.
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

    /// Serves on this thread, forever (or until accept fails for good).
    pub fn run(self) -> io::Result<()> {
        let service = self.service;
        server::run(self.listener, self.config, move |info| {
            Bound::new(Arc::clone(&service), info)
        })
    }

    /// Serves on a background thread; the handle stops it.
    pub fn spawn(self) -> io::Result<ServerHandle> {
        let service = self.service;
        server::spawn(self.listener, self.config, move |info| {
            Bound::new(Arc::clone(&service), info)
        })
    }
}
