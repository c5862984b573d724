//! One API over the three runtimes, chosen at run time.

use std::fmt;
use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::str::FromStr;
use std::time::Duration;

use futures_lite::{AsyncReadExt, AsyncWriteExt};
use netloom_core::frame::{Addr, Service};
use netloom_core::http::server::Handler;
use netloom_core::http::Limits as HttpLimits;
use netloom_core::ServerConfig;
pub use netloom_io::Listener;

/// Which runtime drives the sockets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Runtime {
    /// Blocking `std::net`, a thread per connection.
    Std,
    /// A mio event loop, many connections per thread.
    Mio,
    /// smol / async-io.
    Smol,
}

impl Runtime {
    /// All three, in a fixed order.
    pub const ALL: [Runtime; 3] = [Runtime::Std, Runtime::Mio, Runtime::Smol];

    /// The runtime's name as the CLI spells it.
    pub fn name(self) -> &'static str {
        match self {
            Runtime::Std => "std",
            Runtime::Mio => "mio",
            Runtime::Smol => "smol",
        }
    }
}

impl fmt::Display for Runtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Runtime {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "std" => Ok(Runtime::Std),
            "mio" => Ok(Runtime::Mio),
            "smol" => Ok(Runtime::Smol),
            other => Err(format!(
                "unknown runtime '{other}' (expected std, mio or smol)"
            )),
        }
    }
}

/// A server running in the background on some runtime. Dropping it stops it.
pub struct RunningServer {
    addr: Addr,
    stop: Option<Box<dyn FnOnce() + Send>>,
}

impl RunningServer {
    /// The TCP address it listens on (`0.0.0.0:0` for a Unix-socket server: see
    /// [`addr`](RunningServer::addr)).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
            .socket_addr()
            .unwrap_or_else(|| SocketAddr::from(([0, 0, 0, 0], 0)))
    }

    /// Where it listens: a TCP address, or a Unix domain socket.
    pub fn addr(&self) -> Addr {
        self.addr
    }

    /// Stops the server and waits for it.
    pub fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            stop();
        }
    }

    pub(crate) fn new(addr: Addr, stop: impl FnOnce() + Send + 'static) -> Self {
        RunningServer {
            addr,
            stop: Some(Box::new(stop)),
        }
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            stop();
        }
    }
}

impl fmt::Debug for RunningServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RunningServer")
            .field("addr", &self.addr)
            .finish()
    }
}

/// How long the clients below wait on each operation.
pub const CLIENT_TIMEOUT: Duration = Duration::from_secs(30);

impl Runtime {
    /// Starts a framed TCP server for `service` on `addr` in the background.
    pub fn spawn_tcp<S>(
        self,
        addr: SocketAddr,
        service: S,
        config: ServerConfig,
    ) -> io::Result<RunningServer>
    where
        S: Service + Send + Sync + 'static,
    {
        self.spawn_tcp_on(std::net::TcpListener::bind(addr)?, service, config)
    }

    /// Starts a framed TCP server for `service` on an already bound listener, in the
    /// background (so a caller can report a bind error itself, and keep clients already in
    /// the listener's backlog).
    pub fn spawn_tcp_on<S>(
        self,
        listener: impl Into<Listener>,
        service: S,
        config: ServerConfig,
    ) -> io::Result<RunningServer>
    where
        S: Service + Send + Sync + 'static,
    {
        let listener = listener.into();
        let addr = listener.addr()?;
        match self {
            Runtime::Std => {
                let h = netloom_std::tcp::Server::from_listener(listener, service)
                    .config(config)
                    .spawn()?;
                Ok(RunningServer::new(addr, move || {
                    let _ = h.shutdown();
                }))
            }
            Runtime::Mio => {
                let h = netloom_mio::tcp::Server::from_listener(listener, service)
                    .config(config)
                    .spawn()?;
                Ok(RunningServer::new(addr, move || {
                    let _ = h.shutdown();
                }))
            }
            Runtime::Smol => {
                let h = netloom_smol::tcp::Server::from_listener(listener, service)
                    .config(config)
                    .spawn()?;
                Ok(RunningServer::new(addr, move || {
                    let _ = h.shutdown();
                }))
            }
        }
    }

    /// Starts an HTTP server for `handler` on `addr` in the background.
    pub fn spawn_http<H>(
        self,
        addr: SocketAddr,
        handler: H,
        config: ServerConfig,
        limits: HttpLimits,
    ) -> io::Result<RunningServer>
    where
        H: Handler + Send + Sync + 'static,
    {
        self.spawn_http_on(std::net::TcpListener::bind(addr)?, handler, config, limits)
    }

    /// Starts an HTTP server for `handler` on an already bound listener, in the background.
    pub fn spawn_http_on<H>(
        self,
        listener: impl Into<Listener>,
        handler: H,
        config: ServerConfig,
        limits: HttpLimits,
    ) -> io::Result<RunningServer>
    where
        H: Handler + Send + Sync + 'static,
    {
        let listener = listener.into();
        let addr = listener.addr()?;
        match self {
            Runtime::Std => {
                let h = netloom_std::http_server::Server::from_listener(listener, handler)
                    .config(config)
                    .limits(limits)
                    .spawn()?;
                Ok(RunningServer::new(addr, move || {
                    let _ = h.shutdown();
                }))
            }
            Runtime::Mio => {
                let h = netloom_mio::http_server::Server::from_listener(listener, handler)
                    .config(config)
                    .limits(limits)
                    .spawn()?;
                Ok(RunningServer::new(addr, move || {
                    let _ = h.shutdown();
                }))
            }
            Runtime::Smol => {
                let h = netloom_smol::http_server::Server::from_listener(listener, handler)
                    .config(config)
                    .limits(limits)
                    .spawn()?;
                Ok(RunningServer::new(addr, move || {
                    let _ = h.shutdown();
                }))
            }
        }
    }

    /// Starts an XML-RPC server for `dispatcher` (CPython's HTTP behaviour) in the background,
    /// under the HTTP limits XML-RPC needs ([`XmlRpcHandler::http_limits`](netloom_core::xmlrpc::http::XmlRpcHandler::http_limits)).
    pub fn spawn_xmlrpc(
        self,
        addr: SocketAddr,
        dispatcher: netloom_core::xmlrpc::Dispatcher,
        config: ServerConfig,
    ) -> io::Result<RunningServer> {
        let handler =
            netloom_core::xmlrpc::http::XmlRpcHandler::new(std::sync::Arc::new(dispatcher));
        let limits = handler.http_limits();
        self.spawn_http(addr, handler, config, limits)
    }

    /// Serves HTTP with `handler` on an already bound listener, on this thread, forever.
    pub fn serve_http<H>(
        self,
        listener: impl Into<Listener>,
        handler: H,
        config: ServerConfig,
        limits: HttpLimits,
    ) -> io::Result<()>
    where
        H: Handler + Send + Sync + 'static,
    {
        match self {
            Runtime::Std => netloom_std::http_server::Server::from_listener(listener, handler)
                .config(config)
                .limits(limits)
                .run(),
            Runtime::Mio => netloom_mio::http_server::Server::from_listener(listener, handler)
                .config(config)
                .limits(limits)
                .run(),
            Runtime::Smol => async_io::block_on(
                netloom_smol::http_server::Server::from_listener(listener, handler)
                    .config(config)
                    .limits(limits)
                    .run(),
            ),
        }
    }

    /// Serves a framed TCP service on this thread, forever.
    pub fn serve_tcp<S>(self, listener: impl Into<Listener>, service: S) -> io::Result<()>
    where
        S: Service + Send + Sync + 'static,
    {
        // The caller's listener is used as is: closing it and binding again would reset
        // clients already waiting in its backlog.
        match self {
            Runtime::Std => netloom_std::tcp::Server::from_listener(listener, service).run(),
            Runtime::Mio => netloom_mio::tcp::Server::from_listener(listener, service).run(),
            Runtime::Smol => async_io::block_on(
                netloom_smol::tcp::Server::from_listener(listener, service).run(),
            ),
        }
    }

    /// Connects to `addrs` (first that answers), sends `message`, half-closes nothing, and
    /// reads exactly `reply_len` bytes back. Returns our socket's address and the reply.
    pub fn exchange(
        self,
        addrs: &[SocketAddr],
        message: &[u8],
        reply_len: usize,
    ) -> io::Result<(SocketAddr, Vec<u8>)> {
        match self {
            Runtime::Std => {
                let mut s = netloom_std::tcp::connect(addrs)?;
                s.set_read_timeout(Some(CLIENT_TIMEOUT))?;
                let local = s.local_addr()?;
                s.write_all(message)?;
                Ok((local, netloom_std::tcp::recvall(&mut s, reply_len)?))
            }
            Runtime::Mio => {
                let mut c = netloom_mio::tcp::Client::connect(addrs, CLIENT_TIMEOUT)?;
                let local = c.local_addr()?;
                c.write_all(message)?;
                Ok((local, c.recvall(reply_len)?))
            }
            Runtime::Smol => async_io::block_on(async {
                let mut s = netloom_smol::tcp::connect(addrs).await?;
                let local = s.get_ref().local_addr()?;
                s.write_all(message).await?;
                Ok((local, netloom_smol::tcp::recvall(&mut s, reply_len).await?))
            }),
        }
    }

    /// Connects and returns the first read of at most `max` bytes (empty if the server closed
    /// without a word), like the seed's `recv(1024)`.
    pub fn read_once(self, addrs: &[SocketAddr], max: usize) -> io::Result<Vec<u8>> {
        let mut buf = vec![0u8; max];
        let n = match self {
            Runtime::Std => {
                let mut s = netloom_std::tcp::connect(addrs)?;
                s.set_read_timeout(Some(CLIENT_TIMEOUT))?;
                s.read(&mut buf)?
            }
            Runtime::Mio => {
                netloom_mio::tcp::Client::connect(addrs, CLIENT_TIMEOUT)?.read(&mut buf)?
            }
            Runtime::Smol => async_io::block_on(async {
                let mut s = netloom_smol::tcp::connect(addrs).await?;
                s.read(&mut buf).await
            })?,
        };
        buf.truncate(n);
        Ok(buf)
    }
}
