//! XML-RPC: [`server`] serves a [`Dispatcher`](netloom_core::xmlrpc::Dispatcher) with this
//! runtime's event-loop HTTP server through
//! [`XmlRpcHandler`](netloom_core::xmlrpc::http::XmlRpcHandler), which does everything
//! CPython's `SimpleXMLRPCRequestHandler` does; [`ServerProxy`] calls a server, as CPython's
//! `ServerProxy` does.
//!
//! ```
//! use netloom_core::xmlrpc::{Dispatcher, Multicall};
//! use netloom_mio::xmlrpc::{self, ServerProxy};
//!
//! let mut calc = Dispatcher::new();
//! calc.register("add", |a: i32, b: i32| a + b);
//! calc.enable_multicall().enable_introspection();
//! let server = xmlrpc::server("127.0.0.1:0", calc)?.spawn()?; // or .run()
//!
//! let proxy = ServerProxy::new(&format!("http://{}/RPC2", server.local_addr()))?;
//! let sum: i32 = proxy.call("add", (7, 3))?;
//! assert_eq!(sum, 10);
//! let mut batch = Multicall::new();
//! batch.call_with("add", (1, 2))?.call_with("nope", ())?;
//! let results = proxy.multicall(&batch)?;
//! assert!(results[0].is_ok() && results[1].is_err()); // a fault per call
//! server.shutdown()?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#[cfg(feature = "client")]
mod proxy;
#[cfg(feature = "server")]
mod server;

#[cfg(feature = "client")]
pub use proxy::ServerProxy;
#[cfg(feature = "server")]
pub use server::{server, server_with, Server};
