//! The HTTP client role, decided once for every runtime: [`Fetch`] runs a whole request
//! (redirects, credentials per origin, the retry of a stale pooled connection, the `1xx`
//! cap, the connect, read, head and total deadlines) and says what to do next
//! ([`FetchStep`]); a runtime's client connects, moves bytes, sleeps until
//! [`Fetch::poll_timeout`] and keeps a [`Pool`] of idle connections by [`Origin`].
//!
//! | file | holds |
//! |------|-------|
//! | `fetch.rs` | [`Fetch`], [`FetchStep`]: the client state machine |
//! | `request.rs` | [`ClientRequest`], [`RequestBody`] |
//! | `config.rs` | [`ClientConfig`], the request head it makes |
//! | `redirect.rs` | [`RedirectPolicy`] and the RFC 9110 §15.4 rules [`Fetch`] applies |
//! | `pool.rs` | [`Pool`]: idle connections by origin |
//! | `link.rs` | [`Link`]: a connection's TLS session, pooled with its socket |
//! | `target.rs` | [`Target`], [`Origin`], [`Scheme`] |
//! | `exchange.rs` | `Exchange`: one request/response cycle on one connection, as [`Fetch`] runs it |
//! | `error.rs` | [`ClientError`], [`Waiting`] |
//!
//! ```
//! use std::sync::Arc;
//! use std::time::{Instant, SystemTime};
//! use netloom_core::http::client::{ClientConfig, ClientRequest, Fetch, FetchStep};
//! use netloom_core::Now;
//!
//! let now = Now::new(Instant::now(), SystemTime::now());
//! let request = ClientRequest::new("GET", "http://example.com/a?b#frag")?;
//! let mut fetch = Fetch::new(request, Arc::new(ClientConfig::default()), now);
//! assert_eq!(fetch.next(now)?, FetchStep::Connect { fresh: false });
//! fetch.connected(now)?; // a TCP connection to fetch.origin() is there
//! assert_eq!(fetch.next(now)?, FetchStep::Write);
//! assert!(fetch.transmit().starts_with(b"GET /a?b HTTP/1.1\r\nHost: example.com\r\n"));
//! let n = fetch.transmit().len();
//! fetch.advance(now, n);
//! assert_eq!(fetch.next(now)?, FetchStep::Read);
//! fetch.receive(now, b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi");
//! assert_eq!(fetch.next(now)?, FetchStep::Head);
//! assert_eq!(fetch.response().unwrap().status(), 200);
//! assert_eq!(fetch.next(now)?, FetchStep::Body);
//! assert_eq!(fetch.body(), b"hi");
//! fetch.consume(2);
//! assert_eq!(fetch.next(now)?, FetchStep::Release { reusable: true }); // back to the pool
//! assert_eq!(fetch.next(now)?, FetchStep::Done);
//! # Ok::<(), netloom_core::http::client::ClientError>(())
//! ```

mod config;
mod error;
mod exchange;
mod fetch;
mod link;
mod pool;
mod redirect;
mod request;
mod target;
#[cfg(test)]
mod tests;

/// The URL type ([`url::Url`]), re-exported so runtimes and users need no `url` dependency.
pub use url::Url;

pub use config::ClientConfig;
pub(crate) use config::{body_length, build_request};
pub use error::{ClientError, Waiting};
pub(crate) use exchange::{Exchange, Step};
pub use fetch::{Fetch, FetchStep};
pub use link::Link;
pub use pool::Pool;
#[cfg(test)]
use redirect::redirect;
pub use redirect::RedirectPolicy;
pub(crate) use redirect::{is_redirect, Redirect, Redirects};
pub use request::{ClientRequest, RequestBody};
pub use target::{Origin, Scheme, Target};
