//! The XML-RPC server: this runtime's HTTP server with core's [`XmlRpcHandler`].

use std::io;
use std::net::ToSocketAddrs;
use std::sync::Arc;

use netloom_core::xmlrpc::http::{HttpOptions, XmlRpcHandler};
use netloom_core::xmlrpc::Dispatcher;

use crate::http_server;

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
