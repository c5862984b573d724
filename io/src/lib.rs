//! # netloom-io
//!
//! The blocking plumbing every netloom runtime shares, so that none is written twice: where a
//! server listens ([`Listener`]: TCP, or a Unix domain socket bound safely) and how a
//! download is saved ([`PartFile`]). No protocol logic lives here; that is `netloom-core`'s.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod download;
mod listen;

pub use download::{part_path, PartFile};
pub use listen::{bind_unix, Listener, SocketFile};
