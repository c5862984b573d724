//! The driver API: what a runtime uses to run the core's state machines over real sockets.
//!
//! An application never needs this module: it picks a runtime (`netloom-std`,
//! `netloom-mio`, `netloom-smol`) and writes [`Handler`](crate::http::server::Handler)s,
//! [`Service`](crate::frame::Service)s and
//! [`Dispatcher`](crate::xmlrpc::Dispatcher) methods. This is for the other side: the three
//! runtimes are built from exactly these items, and so is any driver of your own (a tokio
//! loop, an io_uring loop, a test harness that steps time by hand). Each item also lives in
//! the module that explains it; they are gathered here so that the whole contract is on one
//! page.
//!
//! # Serving
//!
//! | item | what a driver does with it |
//! |------|----------------------------|
//! | [`Duplex`], [`Job`] | the one interface of every server connection: bytes in, bytes out, work to run elsewhere |
//! | [`Now`] | both clocks, read by the driver and passed in on every call: the core never reads a clock |
//! | [`serve`] | [`Served`](serve::Served) (a connection's deadlines and how it closes), [`Acceptor`](serve::Acceptor) and [`Admission`](serve::Admission) (the accept loop and the connection bound); the contract is in that module's docs |
//! | [`Bound`], [`Session`] | a framed [`Service`](crate::frame::Service) on one connection, as a `Duplex` |
//! | [`HttpService`], [`ServerConn`], [`ServerDone`] | an HTTP [`Handler`](crate::http::server::Handler) on one connection, as a `Duplex` (feature `server`) |
//!
//! # Fetching
//!
//! | item | what a driver does with it |
//! |------|----------------------------|
//! | [`Fetch`], [`FetchStep`] | the whole client request as one state machine: connect, write, read, sleep until, release to the pool (feature `client`) |
//! | [`Pool`], [`Origin`] | idle connections by origin, expired by the driver's clock |
//! | [`ClientError::from_connect`](crate::http::client::ClientError::from_connect), [`ClientError::from_io`](crate::http::client::ClientError::from_io), [`Waiting`] | turning socket errors into the client's typed errors |
//! | [`CallRequest`], [`ReplyBody`], [`read_reply`], [`read_multicall_reply`] | an XML-RPC call as an HTTP request, and its answer back (features `client` and `xmlrpc`) |
//!
//! `core/examples/embed_tokio.rs` (in the repository) is a whole server driver on tokio, and
//! [`http`](crate::http)'s module docs drive a connection by hand over a blocking socket.

pub use crate::duplex::{Duplex, Job};
pub use crate::frame::{Bound, Session};
pub use crate::serve;
pub use crate::time::Now;

#[cfg(feature = "client")]
pub use crate::http::client::{Fetch, FetchStep, Origin, Pool, Waiting};
#[cfg(feature = "server")]
pub use crate::http::server::{HttpService, ServerConn, ServerDone};
#[cfg(all(feature = "client", feature = "xmlrpc"))]
pub use crate::xmlrpc::proxy::{read_multicall_reply, read_reply, CallRequest, ReplyBody};
