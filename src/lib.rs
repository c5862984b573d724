//! # netloom
//!
//! The classic network-programming tour in Rust: a sans-IO protocol core
//! ([`netloom_core`], re-exported here as [`frame`], [`http`], [`xmlrpc`]) and three runtimes
//! that drive it ([`runtime::std`], [`runtime::mio`], [`runtime::smol`]).
//!
//! [`Runtime`] picks a runtime at run time behind one API, which is what the `netloom` CLI,
//! the demo and the cross-runtime tests use.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub use netloom_core::{frame, http, xmlrpc, Duplex, ServerConfig};

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
