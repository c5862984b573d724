//! XML-RPC: [`ServerProxy`] calls a remote server over mio connections; [`server`] serves a
//! [`Dispatcher`] on this runtime's event loop through [`XmlRpcHandler`], which does
//! everything CPython's `SimpleXMLRPCRequestHandler` does.
//!
//! ```no_run
//! use netloom_core::xmlrpc::Dispatcher;
//! let mut calc = Dispatcher::new();
//! calc.register("add", |a: i32, b: i32| a + b);
//! calc.enable_multicall().enable_introspection();
//! let server = netloom_mio::xmlrpc::server("127.0.0.1:8000", calc)?;
//! # Ok::<(), std::io::Error>(())
//! ```

use std::io;
use std::net::ToSocketAddrs;
use std::sync::Arc;

use netloom_core::xmlrpc::http::{HttpOptions, XmlRpcHandler};
use netloom_core::xmlrpc::Dispatcher;

use netloom_core::http::client::{ClientConfig, ClientError};
use netloom_core::xmlrpc::proxy::ProxyOptions;

use crate::http_client::MioConnector;
use crate::http_server;

/// A proxy for a remote XML-RPC server whose connections are mio sockets: the std proxy's
/// logic over [`MioConnector`] (see `netloom_std::xmlrpc::ServerProxy` for the calls).
pub type ServerProxy = netloom_std::xmlrpc::ServerProxy<MioConnector>;

/// A proxy for the server at `url` with default settings.
pub fn proxy(url: &str) -> Result<ServerProxy, ClientError> {
    proxy_with(url, ClientConfig::default(), ProxyOptions::default())
}

/// A proxy with the given client settings and XML-RPC options.
pub fn proxy_with(
    url: &str,
    config: ClientConfig,
    options: ProxyOptions,
) -> Result<ServerProxy, ClientError> {
    ServerProxy::with_connector(MioConnector, url, config, options)
}

/// An XML-RPC server: this runtime's HTTP server with an [`XmlRpcHandler`]. Configure,
/// run and stop it like any [`http_server::Server`].
pub type Server = http_server::Server<XmlRpcHandler<Arc<Dispatcher>>>;

/// Binds `addr` and serves `dispatcher` on `/` and `/RPC2` with CPython's defaults.
pub fn server(addr: impl ToSocketAddrs, dispatcher: Dispatcher) -> io::Result<Server> {
    server_with(addr, dispatcher, HttpOptions::default())
}

/// Binds `addr` and serves `dispatcher` with `options`, under the HTTP limits XML-RPC needs
/// ([`XmlRpcHandler::http_limits`]).
pub fn server_with(
    addr: impl ToSocketAddrs,
    dispatcher: Dispatcher,
    options: HttpOptions,
) -> io::Result<Server> {
    let handler = XmlRpcHandler::with_options(Arc::new(dispatcher), options);
    let limits = handler.http_limits();
    Ok(http_server::Server::bind(addr, handler)?.limits(limits))
}
