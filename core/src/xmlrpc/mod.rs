//! XML-RPC: values, codec and the method dispatcher, wire-compatible with CPython's
//! `xmlrpc.client` and `xmlrpc.server`.
//!
//! Everything here is pure: bytes in, bytes out. A runtime reads a request body, calls
//! [`Dispatcher::handle_body`] and writes the returned response body; a client writes the
//! body from [`encode_call`] (or [`Multicall::encode`]) and reads the answer with
//! [`parse_response`] (or [`parse_multicall_response`]).
//!
//! | file | holds |
//! |------|-------|
//! | `value.rs` | [`Value`], [`DateTime`], [`Base64`] |
//! | `convert.rs` | [`IntoValue`] / [`FromValue`] for Rust types, [`ConvertError`] and its [`MemberPath`] |
//! | `encode.rs` | [`encode_call`], [`encode_response`], [`encode_fault`], [`encode_value`] |
//! | `decode.rs` | [`parse_call`], [`parse_response`] |
//! | `base64.rs` | the base64 codec |
//! | `charset.rs` | document encodings (UTF-8, UTF-16, ISO-8859-1, windows-1252) and XML's `Char` rule |
//! | `fault.rs` | [`Fault`] and CPython's fault codes |
//! | `error.rs`, `limits.rs` | decoding [`Error`]s and [`Limits`] |
//! | `dispatch.rs` | [`Dispatcher`], [`Handler`], [`ContextHandler`], [`FromParams`] |
//! | `context.rs` | [`CallContext`]: the request a call came in (headers, peer, TLS) |
//! | `client.rs` | [`Multicall`], [`IntoParams`], multicall result decoding, [`typed_results`] |
//! | `http.rs` | [`http::XmlRpcHandler`]: the dispatcher served over HTTP as CPython does |
//! | `serde/` | the `serde` feature: [`Serde`], `serde::to_value`, `serde::from_value` |
//! | `chrono.rs`, `time.rs` | the `chrono` and `time` features: their date-times as `dateTime.iso8601` |
//! | `proxy.rs` | the client half over HTTP: [`proxy::CallRequest`], [`proxy::read_reply`], [`proxy::CallError`] |
//!
//! ```
//! use netloom_core::xmlrpc::{encode_call_with, parse_response, Dispatcher, Limits, Value};
//!
//! let mut server = Dispatcher::new();
//! server.register("add", |a: i32, b: i32| a + b);
//!
//! let mut request = Vec::new();
//! encode_call_with("add", (40, 2), &mut request).unwrap();
//! let response = server.handle_body(&request);
//! let answer = parse_response(&response, &Limits::default()).unwrap().into_result();
//! assert_eq!(answer, Ok(Value::Int(42)));
//! ```

mod charset;
#[cfg(feature = "chrono")]
pub mod chrono;
mod client;
mod context;
mod convert;
mod decode;
mod dispatch;
mod encode;
mod error;
mod fault;
#[cfg(feature = "server")]
pub mod http;
mod limits;
#[cfg(feature = "client")]
pub mod proxy;
#[cfg(feature = "serde")]
pub mod serde;
#[cfg(feature = "time")]
pub mod time;
mod value;

pub use client::{
    encode_call_with, multicall_results, parse_multicall_response, typed_results, FromMulticall,
    FromSlot, IntoParams, Multicall, MulticallError,
};
pub use context::{CallContext, TlsInfo};
pub use convert::{ConvertError, ConvertErrorKind, FromValue, IntoValue, MemberPath, PathSegment};
pub use decode::{parse_call, parse_response, MethodCall, Response};
pub use dispatch::{ContextHandler, Dispatcher, FromParams, Handler, IntoResult, MethodEntry};
pub use encode::{encode_call, encode_fault, encode_response, encode_value};
pub use error::Error;
pub use fault::Fault;
pub use limits::Limits;
pub use value::{Base64, DateTime, Value};

#[cfg(feature = "serde")]
pub use self::serde::Serde;
