//! # netloom-std
//!
//! Binds the sans-IO [`netloom_core`] state machines to blocking `std::net` sockets: one thread
//! per connection, with a bound on how many run at once. Nothing here knows a protocol; it moves
//! bytes between sockets and the core.
//!
//! - [`tcp`]: framed TCP servers and clients (the 16-octet exchange, the banner pair).
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod tcp;

mod server;

pub use server::{ServerConfig, ServerHandle};
