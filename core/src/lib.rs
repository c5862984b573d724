//! # netloom-core
//!
//! Pure, sans-IO protocol state machines. Nothing in this crate opens a socket, spawns a
//! thread, sleeps or reads a clock: every state machine takes bytes in and hands events out,
//! and takes events in and appends bytes to a caller-owned buffer. The runtimes
//! (`netloom-std`, `netloom-mio`, `netloom-smol`) only move bytes; you can drive these types
//! from any event loop of your own.
//!
//! - [`frame`]: fixed-length and length-prefixed framing.
//! - [`http`]: HTTP/1.1 connections, client and server roles.
//! - [`xmlrpc`]: XML-RPC values, codec and the method dispatcher.
//! - [`serve`]: every server timer and connection decision (deadlines, the connection bound,
//!   lingering close, shutdown), with the time passed in as a [`Now`]; the driver contract
//!   every runtime follows is documented there.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod base64;
mod duplex;
mod file;
pub mod frame;
pub mod http;
pub mod serve;
mod time;
pub mod tls;
pub mod xmlrpc;

pub use duplex::{Duplex, Job};
pub use file::{FileRange, FileSlice, RangeReader};
pub use serve::ServerConfig;
pub use time::Now;
