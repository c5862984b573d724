//! TLS as one sans-IO layer over rustls, for both roles: ciphertext in and out at the
//! socket's side, plaintext to and from netloom's own state machines at the other.
//!
//! - A server wraps any [`Duplex`](crate::Duplex) connection in a [`TlsServer`] (through a
//!   [`TlsAcceptor`], which makes plain connections when there is no certificate): the
//!   driver moves ciphertext exactly as it moves plaintext, and the handshake is held to the
//!   same request deadline ([`serve`](crate::serve)) as the first request, so a plaintext
//!   client or one stalling mid-handshake is closed on time, not held.
//! - The client's [`Fetch`](crate::http::client::Fetch) speaks TLS itself on an `https://`
//!   origin ([`ClientConfig::tls`](crate::http::client::ClientConfig::tls)); a pooled
//!   connection keeps its session in a [`Link`](crate::http::client::Link).
//!
//! Time is passed in: configurations built here give rustls a clock the connection sets from
//! the driver's [`Now`](crate::Now) before rustls looks at it (certificate validity, ticket
//! lifetimes), so no rustls code reads the system clock.
//!
//! The crypto provider is *ring*; [`rustls`] is re-exported so a configuration of your own
//! ([`TlsClientConfig::from_rustls`], [`TlsServerConfig::from_rustls`]) uses the same
//! version.
//!
//! | file | holds |
//! |------|-------|
//! | `config.rs` | [`TlsClientConfig`], [`TlsServerConfig`], the certificate verifiers |
//! | `clock.rs` | the driver-fed rustls clock |
//! | `session.rs` | one rustls connection as buffers (shared by both roles) |
//! | `server.rs` | [`TlsServer`], [`TlsAcceptor`], [`MaybeTls`] |
//! | `error.rs` | [`TlsError`]: what went wrong, as a person would say it |
//! | `info.rs` | [`TlsInfo`]: what the handshake established, for the connection behind it |

#[cfg(feature = "tls")]
mod clock;
#[cfg(feature = "tls")]
mod config;
#[cfg(feature = "tls")]
mod der;
#[cfg(feature = "tls")]
mod error;
mod info;
mod server;
#[cfg(feature = "tls")]
pub(crate) mod session;

#[cfg(feature = "tls")]
pub use config::{TlsClientBuilder, TlsClientConfig, TlsServerConfig};
#[cfg(feature = "tls")]
pub use error::TlsError;
pub use info::TlsInfo;
#[cfg(feature = "tls")]
pub use rustls;
#[cfg(feature = "tls")]
pub use server::TlsServer;
pub use server::{MaybeTls, TlsAcceptor};

/// The ALPN protocol netloom's HTTP clients offer and servers accept.
pub const ALPN_HTTP11: &[u8] = b"http/1.1";
