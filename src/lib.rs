//! # netloom
//!
//! The classic network-programming tour in Rust: a sans-IO protocol core
//! ([`netloom_core`], re-exported here as [`frame`], [`http`], [`xmlrpc`]) and three runtimes
//! that drive it ([`runtime::std`], [`runtime::mio`], [`runtime::smol`]).
//!
//! [`Runtime`] picks a runtime at run time behind one API, which is what the `netloom` CLI,
//! the demo and the cross-runtime tests use; [`seed`] holds the seed's programs as services.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub use netloom_core::{frame, http, tls, xmlrpc, Duplex, ServerConfig};

/// The three runtimes, each usable on its own.
pub mod runtime {
    pub use netloom_mio as mio;
    pub use netloom_smol as smol;
    pub use netloom_std as std;
}

mod http_client;
mod py_arith;
pub mod seed;
mod select;
pub mod static_files;
mod xmlrpc_client;

pub use http_client::{HttpClient, HttpResponse};
pub use select::{Listener, RunningServer, Runtime};
pub use xmlrpc_client::{XmlRpcError, XmlRpcProxy};
