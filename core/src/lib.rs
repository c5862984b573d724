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
//! - [`driver`]: everything a runtime (or your own event loop) uses, on one page.
//!
//! # Features
//!
//! | feature | default | what it adds | dependencies |
//! |---------|:-------:|--------------|--------------|
//! | *(none)* | | `frame`, `serve`, [`Duplex`] | none |
//! | `http` | yes | [`http`]: the HTTP/1.1 connection, both roles | httparse |
//! | `client` | yes | [`http::client`]: the client's policy ([`Fetch`](http::client::Fetch)); with `xmlrpc`, `xmlrpc::proxy` | url |
//! | `server` | yes | [`http::server`]: handlers over a connection; with `xmlrpc`, `xmlrpc::http` | |
//! | `gzip` | yes | gzip and deflate bodies ([`http::content_coding`]'s codecs), asked for by the client, read and written by the XML-RPC server | flate2 |
//! | `xmlrpc` | yes | [`xmlrpc`]: values, codec, dispatcher | quick-xml |
//! | `serde` | | `xmlrpc::Serde`: any `Serialize`/`Deserialize` type as arguments and results | serde |
//! | `chrono`, `time` | | those crates' date-times as `dateTime.iso8601` | chrono, time |
//!
//! `netloom-core = { version = "0.1", default-features = false }` is framing and the server
//! policy with nothing beyond std; add `features = ["http"]` for HTTP alone.
#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(any(feature = "xmlrpc", feature = "client"))]
mod base64;
pub mod driver;
mod duplex;
mod file;
pub mod frame;
#[cfg(feature = "http")]
pub mod http;
pub mod serve;
mod time;
pub mod tls;
#[cfg(feature = "xmlrpc")]
pub mod xmlrpc;

pub use duplex::{Duplex, Job};
pub use file::{FileRange, FileSlice, RangeReader};
pub use serve::ServerConfig;
pub use time::Now;

/// The README's examples, compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
