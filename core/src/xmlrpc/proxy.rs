//! The client half of XML-RPC over HTTP, as CPython's `ServerProxy` does it, minus the
//! sockets: the request a call is sent as, and how the HTTP answer becomes a value, a
//! [`Fault`], or an error that says which layer failed.
//!
//! A runtime's proxy POSTs [`CallRequest::body`] with [`CallRequest::headers`] and hands
//! status, headers and body to [`read_reply`].

use std::fmt;

use super::{
    encode_call, parse_multicall_response, parse_response, ConvertError, Error, Fault, Limits,
    Multicall, Response, Value,
};
use crate::http::client::{ClientRequest, RedirectPolicy, Target};
use crate::http::content_coding::{decode_body, ContentError};
use crate::http::Headers;

/// Why a call did not produce a value. `T` is the runtime's transport error (every
/// runtime's proxy uses [`ClientError`](crate::http::client::ClientError)).
///
/// [`source`](std::error::Error::source) gives the error underneath: the transport error, the
/// [`Fault`], the decoding [`Error`], the [`ContentError`] or the [`ConvertError`].
#[derive(Debug)]
#[non_exhaustive]
pub enum CallError<T> {
    /// Connecting, sending or receiving failed (CPython: `OSError`).
    Transport(T),
    /// The server answered with an HTTP error status (CPython: `xmlrpc.client.ProtocolError`).
    Protocol {
        /// HTTP status code.
        status: u16,
        /// Reason phrase.
        reason: String,
    },
    /// The server answered with an XML-RPC fault (CPython: `xmlrpc.client.Fault`).
    Fault(Fault),
    /// The answer was not a valid XML-RPC response (CPython: `ResponseError`/`ExpatError`).
    BadResponse(Error),
    /// The answer's `Content-Encoding` is unsupported, or its gzip or deflate data is bad
    /// or too large.
    BadEncoding(ContentError),
    /// An argument could not be sent (an integer beyond `i32`, as CPython refuses), or the
    /// result is not of the type asked for.
    Convert(ConvertError),
}

impl<T> From<ConvertError> for CallError<T> {
    fn from(e: ConvertError) -> Self {
        CallError::Convert(e)
    }
}

impl<T> CallError<T> {
    /// Replaces the transport error type (for layering one error type over another).
    pub fn map_transport<U>(self, f: impl FnOnce(T) -> U) -> CallError<U> {
        match self {
            CallError::Transport(t) => CallError::Transport(f(t)),
            CallError::Protocol { status, reason } => CallError::Protocol { status, reason },
            CallError::Fault(fault) => CallError::Fault(fault),
            CallError::BadResponse(e) => CallError::BadResponse(e),
            CallError::BadEncoding(e) => CallError::BadEncoding(e),
            CallError::Convert(e) => CallError::Convert(e),
        }
    }
}

impl<T: fmt::Display> fmt::Display for CallError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CallError::Transport(e) => write!(f, "transport error: {e}"),
            CallError::Protocol { status, reason } => {
                write!(f, "protocol error: {status} {reason}")
            }
            CallError::Fault(fault) => write!(f, "{fault}"),
            CallError::BadResponse(e) => write!(f, "bad response: {e}"),
            CallError::BadEncoding(e) => write!(f, "bad response encoding: {e}"),
            CallError::Convert(e) => write!(f, "conversion error: {e}"),
        }
    }
}

impl<T: std::error::Error + 'static> std::error::Error for CallError<T> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            CallError::Transport(e) => Some(e),
            CallError::Protocol { .. } => None,
            CallError::Fault(fault) => Some(fault),
            CallError::BadResponse(e) => Some(e),
            CallError::BadEncoding(e) => Some(e),
            CallError::Convert(e) => Some(e),
        }
    }
}

/// How a proxy talks to a server. Defaults match CPython's client.
#[derive(Debug, Clone)]
pub struct ProxyOptions {
    /// Decoding limits for responses.
    pub limits: Limits,
    /// Largest size a gzipped (or deflated) response may inflate to. Default: 20 MiB, as
    /// CPython.
    pub max_decoded_body: usize,
    /// Whether to ask for compressed answers (`Accept-Encoding: gzip, deflate`; `identity`
    /// otherwise, and always without the `gzip` feature). Default: true.
    pub accept_gzip: bool,
    /// Which redirects a call follows. Default [`RedirectPolicy::KeepMethod`]: a 307 or 308
    /// (which resend the `POST` with its body) is followed, anything else is
    /// [`ClientError::RedirectRefused`](crate::http::client::ClientError::RedirectRefused)
    /// naming the status and the `Location`, so a call is never turned into a `GET` that
    /// drops it. [`RedirectPolicy::Refuse`] follows none, as CPython's `ServerProxy`.
    pub redirects: RedirectPolicy,
}

impl Default for ProxyOptions {
    fn default() -> Self {
        ProxyOptions {
            limits: Limits::default(),
            max_decoded_body: 20 * 1024 * 1024,
            accept_gzip: true,
            redirects: RedirectPolicy::KeepMethod,
        }
    }
}

/// An encoded call, ready to POST.
#[derive(Debug, Clone)]
pub struct CallRequest {
    /// The `text/xml` body.
    pub body: Vec<u8>,
    /// Headers to send with it (besides `Host` and framing).
    pub headers: Vec<(String, String)>,
}

impl CallRequest {
    /// A call of `method` with `params`.
    pub fn call(method: &str, params: &[Value], options: &ProxyOptions) -> Self {
        let mut body = Vec::with_capacity(256);
        encode_call(method, params, &mut body);
        Self::with_body(body, options)
    }

    /// A `system.multicall` of the calls in `multicall`.
    pub fn multicall(multicall: &Multicall, options: &ProxyOptions) -> Self {
        let mut body = Vec::with_capacity(512);
        multicall.encode(&mut body);
        Self::with_body(body, options)
    }

    fn with_body(body: Vec<u8>, options: &ProxyOptions) -> Self {
        CallRequest {
            body,
            headers: options.headers(),
        }
    }

    /// The HTTP request that carries the call to `target`: a `POST` with its headers and
    /// body, following only the redirects [`ProxyOptions::redirects`] allows, and sent once
    /// more on a fresh connection when a kept-alive one turns out closed before any answer
    /// came (as CPython's transport does).
    pub fn http_request(self, target: Target, options: &ProxyOptions) -> ClientRequest {
        let mut req = ClientRequest::to("POST", target)
            .redirects(options.redirects)
            .retry_on_stale(true);
        for (name, value) in &self.headers {
            req = req.header(name, value);
        }
        req.body(self.body)
    }
}

impl ProxyOptions {
    /// The header fields every call carries (besides `Host` and framing): `Content-Type:
    /// text/xml`, a `User-Agent`, and `Accept-Encoding: gzip, deflate` (`identity` when
    /// turned off).
    pub fn headers(&self) -> Vec<(String, String)> {
        let mut headers = vec![
            ("Content-Type".to_string(), "text/xml".to_string()),
            (
                "User-Agent".to_string(),
                concat!("netloom-xmlrpc/", env!("CARGO_PKG_VERSION")).to_string(),
            ),
        ];
        let accept = if self.accept_gzip && cfg!(feature = "gzip") {
            "gzip, deflate"
        } else {
            "identity"
        };
        headers.push(("Accept-Encoding".to_string(), accept.to_string()));
        headers
    }

    /// Sets up an HTTP client configuration for calls: adds the [`headers`](Self::headers)
    /// it does not set itself, and caps decoded answers at
    /// [`max_decoded_body`](Self::max_decoded_body). Each runtime's proxy applies it to the
    /// configuration it is given.
    pub fn configure(&self, config: &mut crate::http::client::ClientConfig) {
        for (name, value) in self.headers() {
            if !config
                .headers
                .iter()
                .any(|(n, _)| n.eq_ignore_ascii_case(&name))
            {
                config.headers.push((name, value));
            }
        }
        config.max_decoded_body_bytes = config
            .max_decoded_body_bytes
            .min(self.max_decoded_body as u64);
    }

    /// The most response bytes worth reading before giving up: the decoding limit.
    pub fn max_response_bytes(&self) -> usize {
        self.limits.max_body_bytes
    }
}

/// An answer's body as a proxy gathers it, piece by piece, up to
/// [`ProxyOptions::max_response_bytes`]: a runtime's proxy pushes what its client reads.
#[derive(Debug)]
pub struct ReplyBody {
    buf: Vec<u8>,
    max: usize,
}

impl ReplyBody {
    /// An empty body for an answer under `options`.
    pub fn new(options: &ProxyOptions) -> Self {
        ReplyBody {
            buf: Vec::new(),
            max: options.max_response_bytes(),
        }
    }

    /// Adds a piece; an answer larger than allowed is refused as it arrives.
    pub fn push<T>(&mut self, piece: &[u8]) -> Result<(), CallError<T>> {
        let len = self.buf.len() + piece.len();
        if len > self.max {
            return Err(CallError::BadResponse(Error::BodyTooLarge {
                len,
                limit: self.max,
            }));
        }
        self.buf.extend_from_slice(piece);
        Ok(())
    }

    /// The body gathered.
    pub fn into_bytes(self) -> Vec<u8> {
        self.buf
    }
}

/// Turns an HTTP answer into the call's value or the error that explains it.
pub fn read_reply<T>(
    status: u16,
    reason: &str,
    headers: &Headers,
    body: Vec<u8>,
    options: &ProxyOptions,
) -> Result<Value, CallError<T>> {
    let body = checked_body(status, reason, headers, body, options)?;
    match parse_response(&body, &options.limits) {
        Ok(Response::Success(v)) => Ok(v),
        Ok(Response::Fault(fault)) => Err(CallError::Fault(fault)),
        Err(e) => Err(CallError::BadResponse(e)),
    }
}

/// Like [`read_reply`] for a `system.multicall`: one result or fault per call.
pub fn read_multicall_reply<T>(
    status: u16,
    reason: &str,
    headers: &Headers,
    body: Vec<u8>,
    options: &ProxyOptions,
) -> Result<Vec<Result<Value, Fault>>, CallError<T>> {
    let body = checked_body(status, reason, headers, body, options)?;
    match parse_multicall_response(&body, &options.limits) {
        Ok(Ok(results)) => Ok(results),
        Ok(Err(fault)) => Err(CallError::Fault(fault)),
        Err(e) => Err(CallError::BadResponse(e)),
    }
}

fn checked_body<T>(
    status: u16,
    reason: &str,
    headers: &Headers,
    body: Vec<u8>,
    options: &ProxyOptions,
) -> Result<Vec<u8>, CallError<T>> {
    // CPython's transport accepts only 200; anything else is a ProtocolError.
    if status != 200 {
        return Err(CallError::Protocol {
            status,
            reason: reason.to_string(),
        });
    }
    decode_body(headers, body, options.max_decoded_body as u64).map_err(CallError::BadEncoding)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xmlrpc::{encode_fault, encode_response};

    type E = CallError<std::convert::Infallible>;

    #[test]
    fn success_fault_protocol_and_gzip() {
        let opts = ProxyOptions::default();
        let mut body = Vec::new();
        encode_response(&Value::Int(10), &mut body);
        let v: Result<Value, E> = read_reply(200, "OK", &Headers::new(), body.clone(), &opts);
        assert_eq!(v.unwrap(), Value::Int(10));

        let z = crate::http::content_coding::gzip(&body);
        let gz = Headers::new().with("Content-Encoding", "gzip");
        let v: Result<Value, E> = read_reply(200, "OK", &gz, z, &opts);
        assert_eq!(v.unwrap(), Value::Int(10));

        let mut fault = Vec::new();
        encode_fault(&Fault::new(4, "Too many parameters."), &mut fault);
        let v: Result<Value, E> = read_reply(200, "OK", &Headers::new(), fault, &opts);
        assert!(matches!(v, Err(CallError::Fault(f)) if f.code == 4));

        let v: Result<Value, E> = read_reply(404, "Not Found", &Headers::new(), Vec::new(), &opts);
        assert!(matches!(v, Err(CallError::Protocol { status: 404, .. })));

        let v: Result<Value, E> =
            read_reply(200, "OK", &Headers::new(), b"<html/>".to_vec(), &opts);
        assert!(matches!(v, Err(CallError::BadResponse(_))));
    }

    #[test]
    fn errors_name_their_source() {
        use std::error::Error as _;
        let opts = ProxyOptions::default();
        let bad = Headers::new().with("Content-Encoding", "br");
        let e: E = read_reply(200, "OK", &bad, b"x".to_vec(), &opts).unwrap_err();
        assert_eq!(
            e.to_string(),
            "bad response encoding: content coding 'br' not supported"
        );
        let source = e.source().expect("a source");
        assert_eq!(
            source.downcast_ref::<ContentError>(),
            Some(&ContentError::Unsupported("br".into()))
        );
        let e: E = read_reply(200, "OK", &Headers::new(), b"<x/>".to_vec(), &opts).unwrap_err();
        assert!(e.source().is_some_and(|s| s.is::<Error>()));
        let e: E = read_reply(500, "Oops", &Headers::new(), Vec::new(), &opts).unwrap_err();
        assert!(e.source().is_none());
    }

    #[test]
    fn request_headers_ask_for_gzip() {
        let r = CallRequest::call("add", &[Value::Int(1)], &ProxyOptions::default());
        assert!(r
            .headers
            .iter()
            .any(|(n, v)| *n == "Accept-Encoding" && v == "gzip, deflate"));
        assert!(r.body.starts_with(b"<?xml"));
    }
}
