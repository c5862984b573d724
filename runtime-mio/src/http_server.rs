//! HTTP/1.1 server on mio event loops: many keep-alive connections on each loop thread.
//!
//! Handlers run on worker threads unless `ServerConfig::handler_threads` is 0 (see the crate
//! docs).
//!
//! ```
//! use netloom_core::http::server::{IncomingRequest, OutgoingResponse};
//! use netloom_mio::http_server::Server;
//!
//! let server = Server::bind("127.0.0.1:0", |req: IncomingRequest| {
//!     OutgoingResponse::text(200, format!("you asked for {}\n", req.head.target()))
//! })?
//! .spawn()?; // or .run(), to serve on this thread
//! let url = format!("http://{}/hello", server.local_addr());
//! let text = netloom_mio::http_client::get(&url)?.text()?;
//! assert_eq!(text, "you asked for /hello\n");
//! server.shutdown()?; // graceful: requests in flight finish
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::io;
use std::net::{SocketAddr, TcpListener, ToSocketAddrs};
use std::sync::Arc;

use netloom_core::frame::ConnInfo;
use netloom_core::http::server::{Handler, HttpService, ServerConn};
use netloom_core::http::Limits;
use netloom_core::ServerConfig;

use crate::event_loop::{self, ServerHandle};
use crate::Listener;

/// An HTTP server serving one [`Handler`] from one event-loop thread.
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

    /// Runs the event loop(s) (`ServerConfig::event_loops`), blocking this thread, forever.
    pub fn run(self) -> io::Result<()> {
        let factory = connections(self.handler, self.limits, &self.config);
        event_loop::run(self.listener, self.config, factory)
    }

    /// Runs the event loop(s) on background threads; the handle stops them.
    pub fn spawn(self) -> io::Result<ServerHandle> {
        let factory = connections(self.handler, self.limits, &self.config);
        event_loop::spawn(self.listener, self.config, factory)
    }
}

/// Makes each connection's state machine (handing handler calls out as jobs when there are
/// worker threads to run them).
fn connections<H>(
    handler: Arc<H>,
    limits: Limits,
    config: &ServerConfig,
) -> impl FnMut(ConnInfo) -> ServerConn<Arc<H>> + Clone + Send + 'static
where
    H: Handler + Send + Sync + 'static,
{
    let service = Arc::new(HttpService::new(
        handler,
        limits,
        config,
        config.handler_threads > 0,
    ));
    move |info| service.connection(info)
}
