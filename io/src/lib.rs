//! # netloom-io
//!
//! The blocking plumbing every netloom runtime shares, so that none is written twice: where a
//! server listens ([`Listener`]: TCP, or a Unix domain socket bound safely), how a blocking
//! client reads a frame ([`recv_frame`], [`recvall`]), how a download is saved
//! ([`PartFile`]) and (feature `tls`) where TLS roots, certificates and keys come from
//! ([`tls`]). No protocol logic lives here; that is `netloom-core`'s.
//!
//! Applications get these through a runtime (`netloom-std`, `netloom-mio`, `netloom-smol`
//! re-export [`Listener`]); this crate is for the runtimes and for drivers of your own.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod download;
mod frames;
mod listen;
pub mod send;
#[cfg(feature = "tls")]
pub mod tls;

pub use download::{part_path, PartFile};
pub use frames::{recv_frame, recvall};
pub use listen::{bind_unix, Listener, SocketFile};

/// The README's examples, compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
