//! # netloom
//!
//! The classic network-programming tour in Rust: a sans-IO protocol core
//! ([`netloom_core`], re-exported here as [`frame`], [`http`], [`xmlrpc`] and [`driver`])
//! and three runtimes that drive it ([`runtime::std`], [`runtime::mio`],
//! [`runtime::smol`]), each with the same servers and clients: framed TCP, HTTP/1.1 and
//! XML-RPC. The README's library quickstart shows one of each.
//!
//! [`Runtime`] picks a runtime at run time behind one API, which is what the `netloom` CLI,
//! the demo and the cross-runtime tests use:
//!
//! ```
//! use std::io::Read;
//! use netloom::http::client::ClientConfig;
//! use netloom::http::server::{IncomingRequest, OutgoingResponse};
//! use netloom::http::Limits;
//! use netloom::{Runtime, ServerConfig};
//!
//! for runtime in Runtime::ALL {
//!     let hello = |_: IncomingRequest| OutgoingResponse::text(200, "hello\n");
//!     let addr = "127.0.0.1:0".parse()?;
//!     let server = runtime.spawn_http(addr, hello, ServerConfig::default(), Limits::default())?;
//!     let url = format!("http://{}/", server.local_addr());
//!     let mut body = String::new();
//!     runtime.get(&url, ClientConfig::default())?.read_to_string(&mut body)?;
//!     assert_eq!(body, "hello\n", "{runtime}");
//!     server.shutdown();
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Features
//!
//! - `cli` (default): the `netloom` command and its dependencies (clap, indicatif,
//!   serde_json, ...). A library depends on `netloom` with `default-features = false`.
//! - `serde` (default): any `Serialize`/`Deserialize` type as XML-RPC arguments and results
//!   ([`xmlrpc::Serde`]).
//! - `chrono`, `time`: those crates' date-times as XML-RPC `dateTime.iso8601`.
//! - `tls` (default): `https://` clients and TLS servers on every runtime ([`tls`]).
#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub use netloom_core::{driver, frame, http, xmlrpc, ServerConfig};

/// TLS (feature `tls`): the core's sans-IO layer and configurations
/// ([`TlsServerConfig`](crate::tls::TlsServerConfig) for [`ServerConfig::tls`],
/// [`TlsClientConfig`](crate::tls::TlsClientConfig) for a client's `ClientConfig::tls`), with the
/// files and the system's trust store read for you.
///
/// ```no_run
/// use netloom::tls::{self, TlsServerConfig};
/// use netloom::{http::client::ClientConfig, ServerConfig};
/// # fn main() -> Result<(), netloom::tls::TlsError> {
/// // A server: certificate chain and key from PEM files.
/// let config = ServerConfig {
///     tls: Some(tls::server_from_files("cert.pem".as_ref(), "key.pem".as_ref())?),
///     ..ServerConfig::default()
/// };
/// // A client trusting the system's roots and a CA of its own (curl's --cacert).
/// let ca = std::fs::read("ca.pem").expect("readable");
/// let client = ClientConfig {
///     tls: Some(tls::system_roots().roots_pem(&ca)?.build()?),
///     ..ClientConfig::default()
/// };
/// # let _ = (config, client, TlsServerConfig::from_pem); Ok(()) }
/// ```
#[cfg(feature = "tls")]
pub mod tls {
    pub use netloom_core::tls::*;
    pub use netloom_io::tls::{server_from_files, system_client, system_roots};
}
#[cfg(not(feature = "tls"))]
pub use netloom_core::tls;

/// The three runtimes, each usable on its own.
pub mod runtime {
    pub use netloom_mio as mio;
    pub use netloom_smol as smol;
    pub use netloom_std as std;
}

mod http_client;
mod py_arith;
mod select;
mod xmlrpc_client;

// The `netloom` CLI's own programs (the seed's services, its calculator and its static file
// handler), public only so that the binary and the tests can reach them: not part of the
// library's API.
#[doc(hidden)]
pub mod seed;
#[doc(hidden)]
pub mod static_files;

pub use http_client::{HttpClient, HttpResponse};
pub use select::{Listener, RunningServer, Runtime};
pub use xmlrpc_client::{XmlRpcError, XmlRpcProxy};

/// The README's examples (the library quickstart), compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
