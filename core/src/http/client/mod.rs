//! The HTTP client's pure logic, shared by every runtime: URL targets, request heads,
//! redirect rules, typed client errors, configuration, and [`Exchange`], a sans-IO
//! request/response cycle over a client-role [`Connection`].
//!
//! A runtime's client is a thin loop around these pieces:
//!
//! 1. [`Target::parse`] the URL (`http://` only), connect to [`Target::host`] and
//!    [`Target::port`] (or take an idle pooled connection),
//! 2. [`Exchange::start`] with [`build_request`] and write the bytes it produced,
//! 3. feed what the socket reads to [`Exchange::receive`] / [`Exchange::receive_eof`] while
//!    [`Exchange::step`] says [`Step::NeedInput`]; it yields the head, then body chunks,
//!    then [`Step::End`] saying whether the socket may go back to the pool,
//! 4. ask [`Redirects::follow`] whether the response sends us elsewhere.
//!
//! ```
//! use netloom_core::http::client::{build_request, ClientConfig, Exchange, Step, Target};
//!
//! let target = Target::parse("http://example.com/a?b#frag").unwrap();
//! assert_eq!((target.host(), target.port()), ("example.com", 80));
//! let config = ClientConfig::default();
//! let mut ex = Exchange::new(config.limits.clone());
//! let mut out = Vec::new();
//! ex.start(build_request(&config, "GET", &target, None), &[], &mut out).unwrap();
//! assert!(out.starts_with(b"GET /a?b HTTP/1.1\r\n"));
//!
//! ex.receive(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi");
//! let Step::Head(resp) = ex.step().unwrap() else { panic!() };
//! assert_eq!(resp.status(), 200);
//! assert_eq!(ex.step().unwrap(), Step::Data(b"hi".to_vec()));
//! assert_eq!(ex.step().unwrap(), Step::End { reusable: true });
//! ```

mod config;
mod cursor;
mod error;
mod exchange;
mod fetch;
mod pool;
mod redirect;
mod request;
mod retrieve;
mod target;
#[cfg(test)]
mod tests;

/// The URL type ([`url::Url`]), re-exported so runtimes and users need no `url` dependency.
pub use url::Url;

pub use config::{body_length, build_request, ClientConfig};
pub use cursor::BodyCursor;
pub use error::{ClientError, Waiting};
pub use exchange::{Exchange, Step};
pub use fetch::{Fetch, FetchStep};
pub use pool::Pool;
pub use redirect::{is_redirect, redirect, Redirect, RedirectPolicy, Redirects};
pub use request::{ClientRequest, RequestBody};
pub use retrieve::{is_success, part_path};
pub use target::{Origin, Scheme, Target};
