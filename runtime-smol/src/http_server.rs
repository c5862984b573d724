//! HTTP/1.1 server with async-io: `run()` serves every connection from one future, under any
//! executor; `spawn()` runs it on a thread of its own.
//!
//! ```
//! use netloom_core::http::server::{IncomingRequest, OutgoingResponse};
//! use netloom_smol::http_server::Server;
//!
//! let server = Server::bind("127.0.0.1:0", |req: IncomingRequest| {
//!     OutgoingResponse::text(200, format!("you asked for {}\n", req.head.target()))
//! })?;
//! let url = format!("http://{}/hello", server.local_addr()?);
//! let stop = server.shutdown_handle();
//! let client = async {
//!     let text = netloom_smol::http_client::get(&url).await?.text().await?;
//!     stop.shutdown(); // graceful: `run()` returns once requests in flight are done
//!     Ok::<_, netloom_smol::http_client::ClientError>(text)
//! };
//! let (served, text) = smol::block_on(smol::future::zip(server.run(), client));
//! served?;
//! assert_eq!(text?, "you asked for /hello\n");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::io;
use std::net::{SocketAddr, TcpListener, ToSocketAddrs};
use std::sync::Arc;

use netloom_core::http::server::{Body, Handler, HttpService};
use netloom_core::http::Limits;
use netloom_core::ServerConfig;

use crate::handle::{self, ServerHandle};
use crate::server::{self, shutdown_pair, ShutdownHandle, ShutdownSignal, SmolListener};
use crate::Listener;

/// An HTTP server serving one [`Handler`].
///
/// Handlers run on worker threads (up to [`ServerConfig::handler_threads`]), so one that
/// blocks delays only its own connection; with `handler_threads: 0` they run on the
/// executor's thread, which is fastest for handlers that never block.
pub struct Server<H> {
    listener: Listener,
    handler: Arc<H>,
    config: ServerConfig,
    limits: Limits,
    signal: ShutdownSignal,
    handle: ShutdownHandle,
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
        let (handle, signal) = shutdown_pair();
        Server {
            listener: listener.into(),
            handler: Arc::new(handler),
            config: ServerConfig::default(),
            limits: Limits::default(),
            signal,
            handle,
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

    /// A handle that makes [`run`](Self::run) return (gracefully, see
    /// [`ShutdownHandle::shutdown`]).
    pub fn shutdown_handle(&self) -> ShutdownHandle {
        self.handle.clone()
    }

    /// Serves until the shutdown handle is used. Every connection is driven from this
    /// future (on an executor it owns), so it runs under any executor.
    pub async fn run(self) -> io::Result<()> {
        let listener = SmolListener::new(self.listener)?;
        let Server {
            handler,
            config,
            limits,
            signal,
            handle,
            ..
        } = self;
        serve(listener, handler, config, limits, signal, handle).await
    }

    /// Serves on a background thread of its own; the handle stops it.
    pub fn spawn(self) -> io::Result<ServerHandle> {
        let place = handle::place(&self.listener)?;
        // Registered here, so that an error is this call's.
        let listener = SmolListener::new(self.listener)?;
        let Server {
            handler,
            config,
            limits,
            signal,
            handle,
            ..
        } = self;
        let stop = handle.clone();
        handle::spawn(place, stop, move || {
            serve(listener, handler, config, limits, signal, handle)
        })
    }
}

async fn serve<H>(
    listener: SmolListener,
    handler: Arc<H>,
    config: ServerConfig,
    limits: Limits,
    signal: ShutdownSignal,
    handle: ShutdownHandle,
) -> io::Result<()>
where
    H: Handler + Send + Sync + 'static,
{
    // Held for the whole run: the channel closes only when a handle says so.
    let _keep_open = handle;
    let service = HttpService::new(handler, limits, &config, config.handler_threads > 0);
    server::accept_loop(listener, &config, &signal, move |info| {
        service.connection(info)
    })
    .await
}

/// A response body read from an async source (any `AsyncRead`: a pipe, another connection,
/// a channel's reader, an `async-fs` file), piece by piece as the client takes it, chunked
/// unless the head has a `Content-Length`.
///
/// It is read where streamed bodies are read: on the worker threads
/// ([`ServerConfig::handler_threads`], 64 by default), each read waiting on the source, so a
/// slow source holds up only its own connection. With `handler_threads: 0` the reads run on
/// the connection's executor thread, and a source that has to wait holds every connection
/// there: keep that setting for handlers whose sources are always ready.
///
/// ```
/// use netloom_core::http::server::{IncomingRequest, OutgoingResponse};
/// use netloom_smol::http_server::async_body;
///
/// let handler = |_req: IncomingRequest| {
///     let source = futures_lite::io::Cursor::new(b"from an async source\n".to_vec());
///     OutgoingResponse::new(200).body(async_body(source))
/// };
/// # let _ = handler;
/// ```
pub fn async_body<R>(reader: R) -> Body
where
    R: futures_lite::AsyncRead + Send + Unpin + 'static,
{
    Body::Stream(Box::new(futures_lite::io::BlockOn::new(reader)))
}
