//! # netloom-mio
//!
//! Binds the sans-IO [`netloom_core`] state machines to a [mio](https://docs.rs/mio) event
//! loop: one thread serves many connections with non-blocking sockets. Nothing here knows a
//! protocol; the loop moves bytes between sockets and any [`netloom_core::Duplex`].
//!
//! - [`tcp`]: framed TCP servers and clients (the 16-octet exchange, the banner pair).
//! - [`http_client`]: the HTTP client (`get`, `retrieve`) over a poll-driven connection.
//! - [`http_server`]: an HTTP/1.1 server for any [`Handler`](netloom_core::http::server::Handler).
//! - [`xmlrpc`]: an XML-RPC server for a [`Dispatcher`](netloom_core::xmlrpc::Dispatcher).
//!
//! HTTP handlers run on worker threads (up to `ServerConfig::handler_threads`, started as
//! needed), so a handler that blocks stalls only its own connection; with `handler_threads: 0`
//! they run on the event-loop thread, which is fastest for handlers that never block.
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

mod client;
mod event_loop;

pub use event_loop::ServerHandle;
pub use netloom_core::ServerConfig;
pub use netloom_io::Listener;

/// The README's examples, compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
