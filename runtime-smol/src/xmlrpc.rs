//! XML-RPC server: a [`Dispatcher`] served by this runtime's HTTP server through
//! [`XmlRpcHandler`], which does everything CPython's `SimpleXMLRPCRequestHandler` does.
//!
//! ```no_run
//! use netloom_core::xmlrpc::Dispatcher;
//! let mut calc = Dispatcher::new();
//! calc.register("add", |a: i32, b: i32| a + b);
//! calc.enable_multicall().enable_introspection();
//! let server = netloom_smol::xmlrpc::server("127.0.0.1:8000", calc)?;
//! # Ok::<(), std::io::Error>(())
//! ```

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

/// Binds `addr` and serves `dispatcher` with `options`.
pub fn server_with(
    addr: impl ToSocketAddrs,
    dispatcher: Dispatcher,
    options: HttpOptions,
) -> io::Result<Server> {
    http_server::Server::bind(
        addr,
        XmlRpcHandler::with_options(Arc::new(dispatcher), options),
    )
}
