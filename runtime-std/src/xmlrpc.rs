//! XML-RPC: [`ServerProxy`] calls a remote server; [`server`] serves a
//! [`Dispatcher`](netloom_core::xmlrpc::Dispatcher) with
//! this runtime's HTTP server through
//! [`XmlRpcHandler`](netloom_core::xmlrpc::http::XmlRpcHandler), which does everything CPython's
//! `SimpleXMLRPCRequestHandler` does.
//!
//! ```no_run
//! use netloom_core::xmlrpc::Dispatcher;
//! let mut calc = Dispatcher::new();
//! calc.register("add", |a: i32, b: i32| a + b);
//! calc.enable_multicall().enable_introspection();
//! let server = netloom_std::xmlrpc::server("127.0.0.1:8000", calc)?;
//! # Ok::<(), std::io::Error>(())
//! ```

#[cfg(feature = "client")]
mod proxy;
#[cfg(feature = "server")]
mod server;

#[cfg(feature = "client")]
pub use proxy::ServerProxy;
#[cfg(feature = "server")]
pub use server::{server, server_with, Server};
