//! HTTP/1.1 as a sans-IO state machine, client and server roles (in the style of h11).
//!
//! A [`Connection`] never touches a socket. You hand it the bytes you read
//! ([`receive`](Connection::receive), [`receive_eof`](Connection::receive_eof)), pull
//! [`Event`]s out of it ([`next_event`](Connection::next_event)), and turn your own events
//! into bytes appended to a buffer you own ([`send`](Connection::send)). Heads are parsed by
//! `httparse`; body framing, keep-alive, pipelining and the RFC 9112 defenses live here.
//!
//! # Driving a server by hand
//!
//! The whole contract of a runtime fits in one loop. This one serves a single connection
//! over a blocking socket from the standard library (`core/examples/embed_http_server.rs`,
//! runnable with `cargo run -p netloom-core --example embed_http_server`); an event loop does
//! the same with non-blocking reads.
//!
//! ```no_run
#![doc = include_str!("../../examples/embed_http_server.rs")]
//! ```
//!
//! # Owned or borrowed events
//!
//! [`next_event`](Connection::next_event) returns owned [`Event`]s: each head is copied, with
//! its field table, into one allocation (none when the head is all the input there is), and
//! body data into a vector. [`next_event_ref`](Connection::next_event_ref) returns the same
//! events as [`EventRef`]s that borrow the connection's input buffer: nothing is copied or
//! allocated, and the event must be dropped before the connection is used again. Both give
//! the same events, states and errors for any input split (a property test, the hostile
//! corpus and two fuzz targets check it); [`EventRef::to_event`] turns one into the other.
//!
//! # States and cycles
//!
//! Each side has a [`State`] ([`our_state`](Connection::our_state),
//! [`their_state`](Connection::their_state)). A request/response exchange is a cycle; when
//! both sides reach [`State::Done`] the connection **starts the next cycle automatically**
//! (both back to [`State::Idle`]); there is no `start_next_cycle` call. When the connection
//! cannot be reused ([`keep_alive`](Connection::keep_alive) is false) a finished side goes to
//! [`State::MustClose`]: write what you have and close the socket.
//!
//! **Pipelining** (server role): once a request is complete, the next request is not parsed
//! until our response is finished; meanwhile [`next_event`](Connection::next_event) returns
//! `Ok(None)` and [`is_paused`](Connection::is_paused) is true. Bytes received meanwhile stay
//! buffered. The client role sends one request at a time (no client pipelining).
//!
//! # Receiving: framing rules (RFC 9112 §6)
//!
//! - A request body is framed by `Transfer-Encoding: chunked` or `Content-Length`, and is
//!   empty without either.
//! - A response to HEAD, a 1xx, 204 or 304 response has no body. Otherwise chunked, then
//!   `Content-Length`, then **close-delimited**: the body runs until
//!   [`receive_eof`](Connection::receive_eof) (and the connection cannot be reused).
//! - HTTP/1.0 messages are not kept alive unless they say `Connection: keep-alive`;
//!   `Connection: close` in either direction ends the connection after the exchange.
//! - `Expect: 100-continue` (HTTP/1.1 requests with a body): see
//!   [`expects_continue`](Connection::expects_continue). If we send a final response
//!   without `100 Continue` before any body byte arrived, that response gets
//!   `Connection: close`. If a final response is sent while a body *is* arriving, the
//!   connection stays usable only if the rest of that body is read: `next_event` keeps
//!   returning its `Data` and `EndOfMessage` (discard them) before the next request.
//! - Upgrades (`101 Switching Protocols`) and `CONNECT` tunnels are not supported: a client
//!   receiving 101 gets [`Error::UnexpectedSwitchingProtocols`]; a server cannot send 101.
//!
//! # Defenses (each a typed [`Error`] with its status code)
//!
//! `Content-Length` with `Transfer-Encoding` (400), invalid or differing `Content-Length`
//! (400; identical repeats are fine), `Transfer-Encoding` not ending in `chunked` (400; a
//! coding with parameters, `chunked;x=y`, is not `chunked`), other transfer codings (501),
//! `Transfer-Encoding` in HTTP/1.0 (400), chunk sizes that are not hex or overflow 64 bits
//! (400), obs-fold in requests (400), missing, duplicate or malformed `Host` (400: userinfo,
//! whitespace, `/`, a list), a request target with bytes ≥ 0x80 (400) or over the limit
//! (414, decided from the same prefix of the input however it is split), head or header count
//! over the limit (431), body over the limit (413), a version that is not `HTTP/DIGIT.DIGIT`
//! (400) or whose major version is not 1 (505; `HTTP/1.2` and up are read as 1.1). Limits
//! are in [`Limits`].
//!
//! Beside the connection: [`content_coding`] (gzip and deflate bodies, capped), [`date`]
//! (HTTP dates), [`range`] (byte ranges) and [`conditional`] (entity tags and
//! preconditions), for servers and clients built on it.
//!
//! Obs-fold in *responses* is accepted by the client role and replaced by spaces, as RFC 9112
//! §5.2 asks of user agents.
//!
//! # Bare LF
//!
//! - **Heads (start line, header fields): a bare LF is accepted as a line ending**, as RFC
//!   9112 §2.2 allows and httparse does; a bare CR is rejected
//!   ([`Error::InvalidLineEnding`] / [`Error::InvalidHeaderValue`]). A head has exactly one
//!   interpretation either way, so this leniency cannot desynchronise framing.
//! - **Inside a chunked body everything must be CRLF**: chunk-size lines, the line end after
//!   chunk data, trailer fields and the final empty line. A bare LF or CR there is
//!   [`Error::InvalidChunkFraming`]. Chunk framing is where lenient and strict parsers
//!   disagree in request-smuggling attacks, so we take the strict reading.
//! - Empty lines (CRLF or LF) before a head are skipped (RFC 9112 §2.2).
//!
//! # Sending: framing chosen automatically
//!
//! - A head with `Content-Length` is sent with that length; sending more or fewer body bytes
//!   is [`Error::BodyLengthMismatch`].
//! - A head with `Transfer-Encoding: chunked` is chunked.
//! - Otherwise a **response** is chunked for an HTTP/1.1 client (we add the header) and
//!   close-delimited for an HTTP/1.0 client (we add `Connection: close`). A response to HEAD
//!   writes no body whatever its headers say (body data sent for it is dropped); 204 and 304
//!   responses have none (data is an error).
//! - Otherwise a **request** has no body when its method is GET, HEAD, DELETE, OPTIONS,
//!   TRACE or CONNECT (or it is HTTP/1.0), and is chunked for any other method.
//! - Whenever the connection will not be reused, the response carries `Connection: close`
//!   (added if you did not); an HTTP/1.0 client that asked for keep-alive gets
//!   `Connection: keep-alive`. Responses are always written as `HTTP/1.1`.
//! - Header names must be tokens and values must not contain CR, LF or NUL
//!   ([`Error::InvalidOutgoingField`]), so user data cannot inject header lines. An HTTP/1.1
//!   request needs a `Host` field; adding it is the caller's job.

mod body_read;
mod body_write;
#[cfg(feature = "client")]
pub mod client;
pub mod conditional;
mod conn;
pub mod content_coding;
pub mod date;
mod error;
mod events;
mod framing;
mod head_read;
mod head_write;
mod headers;
mod limits;
pub mod range;
#[cfg(feature = "server")]
pub mod server;
mod state;
pub mod target;

pub use conn::Connection;
pub use error::Error;
pub use events::{
    reason_phrase, Event, EventRef, Request, RequestRef, Response, ResponseRef, Version,
};
pub use headers::{Headers, HeadersRef};
pub use limits::Limits;
pub use state::{Role, State};
