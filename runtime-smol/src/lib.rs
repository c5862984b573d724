//! # netloom-smol
//!
//! Binds the sans-IO [`netloom_core`] state machines to [smol](https://docs.rs/smol) /
//! async-io. Every server is an `async fn run()` that drives all of its connections itself, so
//! it works under any executor (`smol::block_on`, `async-executor`, `futures::executor`...);
//! clients are plain `async fn`s over any `AsyncRead`/`AsyncWrite`.
//!
//! - [`tcp`]: framed TCP servers and clients (the 16-octet exchange, the banner pair).
//! - [`http_client`]: an async HTTP/1.1 client (`get` with an `AsyncRead` body, `retrieve` to a
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

mod handle;
mod server;

pub use handle::ServerHandle;
pub use netloom_core::ServerConfig;
pub use netloom_io::Listener;
pub use server::ShutdownHandle;

/// The README's examples, compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
