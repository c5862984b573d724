//! # netloom-std
//!
//! Binds the sans-IO [`netloom_core`] state machines to blocking `std::net` sockets: one thread
//! per connection, with a bound on how many run at once. Nothing here knows a protocol; it moves
//! bytes between sockets and the core.
//!
//! - [`tcp`]: framed TCP servers and clients (the 16-octet exchange, the banner pair).
//! - [`http_client`]: a blocking HTTP/1.1 client: `get` (a streaming body) and `retrieve` (to a
//!   file), redirects, keep-alive reuse, timeouts.
//! - [`http_server`]: an HTTP/1.1 server for any [`Handler`](netloom_core::http::server::Handler).
//! - [`xmlrpc`]: an XML-RPC server for a [`Dispatcher`](netloom_core::xmlrpc::Dispatcher).
#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(feature = "client")]
pub mod http_client;
#[cfg(feature = "server")]
pub mod http_server;
pub mod tcp;
#[cfg(all(feature = "xmlrpc", any(feature = "client", feature = "server")))]
pub mod xmlrpc;

mod server;
mod timeouts;
mod transport;

pub use server::{ServerConfig, ServerHandle};
pub use transport::Listener;

/// The README's examples, compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
