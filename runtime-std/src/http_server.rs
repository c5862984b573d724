//! HTTP/1.1 server over blocking sockets: a thread per connection, up to the bound.
//!
//! ```
//! use netloom_core::http::server::{IncomingRequest, OutgoingResponse};
//! use netloom_std::http_server::Server;
//!
//! let server = Server::bind("127.0.0.1:0", |req: IncomingRequest| {
//!     OutgoingResponse::text(200, format!("you asked for {}\n", req.head.target()))
//! })?
//! .spawn()?; // or .run(), to serve on this thread
//! let url = format!("http://{}/hello", server.local_addr());
//! let text = netloom_std::http_client::get(&url)?.text()?;
//! assert_eq!(text, "you asked for /hello\n");
//! server.shutdown()?; // graceful: requests in flight finish
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::io;
use std::net::{SocketAddr, TcpListener, ToSocketAddrs};
use std::sync::Arc;

use netloom_core::http::server::{Handler, HttpService};
use netloom_core::http::Limits;
use netloom_core::ServerConfig;

use crate::server::{self, ServerHandle};
use crate::Listener;

/// An HTTP server serving one [`Handler`].
pub struct Server<H> {
    listener: Listener,
    handler: Arc<H>,
    config: ServerConfig,
    limits: Limits,
}

impl<H> Server<H>
where
    H: Handler + Send + Sync + 'static,
{
    /// Binds `addr` (port 0 picks a free port).
    pub fn bind(addr: impl ToSocketAddrs, handler: H) -> io::Result<Self> {
        Ok(Self::from_listener(TcpListener::bind(addr)?, handler))
    }

    /// Binds a Unix domain socket at `path` (a live socket there is never replaced, a
    /// stale one is; the file is removed when the server stops).
    pub fn bind_unix(path: impl AsRef<std::path::Path>, handler: H) -> io::Result<Self> {
        Ok(Self::from_listener(
            Listener::bind_unix(path.as_ref())?,
            handler,
        ))
    }

    /// Serves on an already bound listener (a `TcpListener`, a `UnixListener`, or a
    /// [`Listener`]).
    pub fn from_listener(listener: impl Into<Listener>, handler: H) -> Self {
        Server {
            listener: listener.into(),
            handler: Arc::new(handler),
            config: ServerConfig::default(),
            limits: Limits::default(),
        }
    }

    /// Replaces the default connection settings.
    pub fn config(mut self, config: ServerConfig) -> Self {
        self.config = config;
        self
    }

    /// Replaces the default HTTP limits.
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// The bound TCP address (an error for a Unix-socket server).
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Splits the server into its listener, its config, and what makes each connection's state
    /// machine (handlers run on the connection's own thread).
    fn parts(self) -> (Listener, ServerConfig, HttpService<H>) {
        let service = HttpService::new(self.handler, self.limits, &self.config, false);
        (self.listener, self.config, service)
    }

    /// Serves on this thread, forever.
    pub fn run(self) -> io::Result<()> {
        let (listener, config, service) = self.parts();
        server::run(listener, config, move |info| service.connection(info))
    }

    /// Serves on a background thread; the handle stops it.
    pub fn spawn(self) -> io::Result<ServerHandle> {
        let (listener, config, service) = self.parts();
        server::spawn(listener, config, move |info| service.connection(info))
    }
}
