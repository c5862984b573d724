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
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod duplex;
pub mod frame;
pub mod http;
mod server_config;
pub mod xmlrpc;

pub use duplex::{Completion, Duplex, Job};
pub use server_config::ServerConfig;
