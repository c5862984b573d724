//! What a method handler may know about the request that called it: [`CallContext`].

use std::net::SocketAddr;

use crate::base64;
use crate::http::Headers;

/// The request a call arrived in: its HTTP header fields, path and addresses, and (once
/// the connection is TLS) what TLS established. Handlers registered with
/// [`Dispatcher::register_with_context`](super::Dispatcher::register_with_context) get it
/// as their first argument, for per-call authentication, logging or rate limits.
///
/// [`XmlRpcHandler`](super::http::XmlRpcHandler) fills it from each HTTP request; an
/// embedder that moves request bodies itself builds one with the `with_*` methods and
/// calls [`Dispatcher::handle_body_with`](super::Dispatcher::handle_body_with). Every
/// field may be absent (a call made with [`Dispatcher::dispatch`](super::Dispatcher::dispatch)
/// has none of them).
///
/// ```
/// use netloom_core::http::Headers;
/// use netloom_core::xmlrpc::CallContext;
///
/// let headers = Headers::new().with("Authorization", "Basic YWRhOnMzY3JldA==");
/// let ctx = CallContext::new(&headers).with_peer("127.0.0.1:5000".parse().unwrap());
/// assert_eq!(ctx.basic_auth(), Some(("ada".to_string(), "s3cret".to_string())));
/// assert_eq!(ctx.peer().map(|a| a.port()), Some(5000));
/// assert_eq!(ctx.header("X-Missing"), None);
/// ```
#[derive(Clone, Copy, Debug)]
pub struct CallContext<'a> {
    headers: &'a Headers,
    path: Option<&'a str>,
    peer: Option<SocketAddr>,
    local: Option<SocketAddr>,
    tls: Option<&'a TlsInfo>,
}

impl<'a> CallContext<'a> {
    /// A context with the request's header fields and nothing else.
    pub fn new(headers: &'a Headers) -> Self {
        CallContext {
            headers,
            path: None,
            peer: None,
            local: None,
            tls: None,
        }
    }

    /// Sets the request target the call was posted to (`/RPC2`).
    pub fn with_path(mut self, path: &'a str) -> Self {
        self.path = Some(path);
        self
    }

    /// Sets the peer's address.
    pub fn with_peer(mut self, peer: SocketAddr) -> Self {
        self.peer = Some(peer);
        self
    }

    /// Sets our own address (the one the peer connected to).
    pub fn with_local(mut self, local: SocketAddr) -> Self {
        self.local = Some(local);
        self
    }

    /// Sets the peer's address from a connection's end (a Unix socket peer has none).
    pub fn with_peer_addr(mut self, peer: crate::frame::Addr) -> Self {
        self.peer = peer.socket_addr();
        self
    }

    /// Sets our own address from a connection's end.
    pub fn with_local_addr(mut self, local: crate::frame::Addr) -> Self {
        self.local = local.socket_addr();
        self
    }

    /// Sets what TLS established on the connection.
    pub fn with_tls(mut self, tls: &'a TlsInfo) -> Self {
        self.tls = Some(tls);
        self
    }

    /// The request's header fields (empty when the call did not come over HTTP).
    pub fn headers(&self) -> &'a Headers {
        self.headers
    }

    /// The first value of header `name` (case-insensitive), if present and valid UTF-8.
    pub fn header(&self, name: &str) -> Option<&'a str> {
        self.headers.get_str(name)
    }

    /// User name and password of an `Authorization: Basic` header, if there is a
    /// well-formed one (RFC 7617; the credentials are read as UTF-8).
    pub fn basic_auth(&self) -> Option<(String, String)> {
        let value = self.header("Authorization")?.trim();
        let (scheme, encoded) = value.split_once(' ')?;
        if !scheme.eq_ignore_ascii_case("basic") {
            return None;
        }
        let encoded = encoded.trim().as_bytes();
        let decoded = base64::decode(encoded, encoded.len()).ok()?;
        let text = String::from_utf8(decoded).ok()?;
        let (user, password) = text.split_once(':')?;
        Some((user.to_owned(), password.to_owned()))
    }

    /// The request target the call was posted to, if known.
    pub fn path(&self) -> Option<&'a str> {
        self.path
    }

    /// The peer's address, if known.
    pub fn peer(&self) -> Option<SocketAddr> {
        self.peer
    }

    /// Our own address, if known.
    pub fn local(&self) -> Option<SocketAddr> {
        self.local
    }

    /// What TLS established, if the call came over TLS.
    pub fn tls(&self) -> Option<&'a TlsInfo> {
        self.tls
    }
}

pub use crate::tls::TlsInfo;
