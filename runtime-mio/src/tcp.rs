//! Framed TCP on a mio event loop.
//!
//! A [`Server`] serves a [`Service`] on every connection from one thread; a client connects
//! with [`connect`] (a [`Client`]: one connection driven by its own poll, with a deadline on
//! every call) and reads frames with [`recv_frame`] or [`recvall`].
//!
//! ```
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
//! let server = netloom_mio::tcp::Server::bind("127.0.0.1:0", Sixteen)?.spawn()?;
//! let mut client = netloom_mio::tcp::connect(server.local_addr())?;
//! client.write_all(b"Hi there, server")?;
//! let reply = netloom_mio::tcp::recvall(&mut client, 16)?; // fails clearly on a short read
//! assert_eq!(reply, b"Farewell, client");
//! server.shutdown()?;
//! # Ok::<(), std::io::Error>(())
//! ```

use std::io;
use std::net::{SocketAddr, TcpListener, ToSocketAddrs};
use std::sync::Arc;
use std::time::Duration;

use netloom_core::frame::{Bound, Decoder, Service};
use netloom_core::ServerConfig;

use crate::event_loop::{self, ServerHandle};
use crate::Listener;

pub use crate::client::ClientConn as Client;
pub use netloom_io::{recv_frame, recvall};

/// How long [`connect`] waits for each address.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The per-operation timeout of a [`Client`] from [`connect`]: each read or write must
/// finish within it.
pub const CLIENT_TIMEOUT: Duration = Duration::from_secs(30);

/// Connects to the first address of `addr` that answers within [`CONNECT_TIMEOUT`]; each
/// later read or write of the client must finish within [`CLIENT_TIMEOUT`]
/// ([`Client::set_timeout`] changes it).
pub fn connect(addr: impl ToSocketAddrs) -> io::Result<Client> {
    let mut client = Client::connect(addr, CONNECT_TIMEOUT)?;
    client.set_timeout(CLIENT_TIMEOUT);
    Ok(client)
}

impl Client {
    /// Connects with [`CLIENT_TIMEOUT`] for the connect and every operation.
    #[deprecated(
        since = "0.1.0",
        note = "use `netloom_mio::tcp::connect`, as on every runtime"
    )]
    pub fn connect_default(addr: impl ToSocketAddrs) -> io::Result<Self> {
        Client::connect(addr, CLIENT_TIMEOUT)
    }

    /// [`recv_frame`] on this connection.
    pub fn recv_frame<D: Decoder>(&mut self, decoder: &mut D) -> io::Result<Vec<u8>> {
        recv_frame(self, decoder)
    }

    /// [`recvall`] on this connection.
    pub fn recvall(&mut self, len: usize) -> io::Result<Vec<u8>> {
        recvall(self, len)
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
