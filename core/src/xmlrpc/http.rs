//! XML-RPC over HTTP, as CPython's `SimpleXMLRPCRequestHandler` does it: which paths and
//! methods are served, gzip in both directions (and `deflate` request bodies, which CPython
//! does not read), the HTTP limits a server needs for XML-RPC's own body limit, and the
//! status codes for everything else.
//!
//! [`XmlRpcHandler`] is an [`http::server::Handler`](crate::http::server::Handler), so any
//! runtime's HTTP server serves a [`Dispatcher`] with it and nothing XML-RPC specific is
//! written in a runtime.

use std::ops::Deref;

use super::{CallContext, Dispatcher};
#[cfg(feature = "gzip")]
use crate::http::content_coding;
use crate::http::content_coding::{decode_body, Coding, ContentError};
use crate::http::server::{IncomingRequest, OutgoingResponse};
use crate::http::Headers;

/// How a dispatcher is exposed over HTTP. Defaults match CPython.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpOptions {
    /// Paths that accept calls; others get `404 No such page`. Default: `/` and `/RPC2`.
    /// Empty means every path.
    pub rpc_paths: Vec<String>,
    /// Responses longer than this are gzipped when the client accepts gzip (with the `gzip`
    /// feature). Default: 1400 (CPython's `encode_threshold`); `None` never compresses.
    pub encode_threshold: Option<usize>,
    /// Largest body a gzipped (or deflated) request may inflate to; more is `400 Bad
    /// Request`. Default: 20 MiB (CPython's `MAX_GZIP_LENGTH`). Without the `gzip` feature
    /// a coded request is `501`, as CPython answers a coding it does not read.
    pub max_decoded_body: usize,
}

impl Default for HttpOptions {
    fn default() -> Self {
        HttpOptions {
            rpc_paths: vec!["/".into(), "/RPC2".into()],
            encode_threshold: Some(1400),
            max_decoded_body: 20 * 1024 * 1024,
        }
    }
}

/// Serves a [`Dispatcher`] (behind `&`, `Arc`, ...) as an HTTP handler.
#[derive(Debug, Clone)]
pub struct XmlRpcHandler<D> {
    dispatcher: D,
    options: HttpOptions,
}

impl<D: Deref<Target = Dispatcher>> XmlRpcHandler<D> {
    /// Serves `dispatcher` with CPython's defaults.
    pub fn new(dispatcher: D) -> Self {
        Self::with_options(dispatcher, HttpOptions::default())
    }

    /// Serves `dispatcher` with `options`.
    pub fn with_options(dispatcher: D, options: HttpOptions) -> Self {
        XmlRpcHandler {
            dispatcher,
            options,
        }
    }

    /// The dispatcher served.
    pub fn dispatcher(&self) -> &Dispatcher {
        &self.dispatcher
    }

    /// The HTTP limits to serve this handler under: the defaults, with a request body limit
    /// that lets the dispatcher's own document limit
    /// ([`Limits::max_body_bytes`](super::Limits::max_body_bytes), 32 MiB by default) be
    /// reached, instead of the generic HTTP default (16 MiB) answering `413` first. Each
    /// runtime's `xmlrpc::server` uses them.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use netloom_core::xmlrpc::{http::XmlRpcHandler, Dispatcher, Limits};
    ///
    /// let handler = XmlRpcHandler::new(Arc::new(Dispatcher::new()));
    /// let limits = handler.http_limits();
    /// assert_eq!(limits.max_request_body_bytes, Limits::default().max_body_bytes as u64);
    /// ```
    pub fn http_limits(&self) -> crate::http::Limits {
        crate::http::Limits {
            max_request_body_bytes: self.dispatcher.limits().max_body_bytes as u64,
            ..crate::http::Limits::default()
        }
    }
}

impl<D: Deref<Target = Dispatcher>> crate::http::server::Handler for XmlRpcHandler<D> {
    fn handle(&self, req: IncomingRequest) -> OutgoingResponse {
        let method = req.head.method();
        if method != "POST" {
            return OutgoingResponse::text(501, format!("Unsupported method ('{method}')\n"));
        }
        let path = req.head.target();
        if !self.options.rpc_paths.is_empty() && !self.options.rpc_paths.iter().any(|p| p == path) {
            return OutgoingResponse::bytes(404, "text/plain", b"No such page".to_vec());
        }
        let max = self.options.max_decoded_body as u64;
        let body = match decode_body(req.head.headers(), req.body, max) {
            Ok(body) => body,
            // CPython's answers: 501 for a coding it does not read, 400 for bad data.
            Err(ContentError::Unsupported(encoding)) => {
                let encoding = encoding.to_ascii_lowercase();
                return bare(501, &format!("encoding '{encoding}' not supported"));
            }
            Err(_) => {
                let coding = Coding::of(req.head.headers()).unwrap_or(Coding::Gzip);
                return bare(400, &format!("error decoding {coding} content"));
            }
        };
        let mut ctx = CallContext::new(req.head.headers())
            .with_path(path)
            .with_peer_addr(req.conn.peer)
            .with_local_addr(req.conn.local);
        if let Some(tls) = &req.tls {
            ctx = ctx.with_tls(tls);
        }
        let response = self.dispatcher.handle_body_with(&body, &ctx);
        self.respond(response, req.head.headers())
    }
}

impl<D> XmlRpcHandler<D> {
    /// The `200` answer, gzipped when it is long and the client accepts gzip.
    #[cfg(feature = "gzip")]
    fn respond(&self, response: Vec<u8>, request: &Headers) -> OutgoingResponse {
        match self.options.encode_threshold {
            Some(threshold)
                if response.len() > threshold && content_coding::accepts(request, Coding::Gzip) =>
            {
                OutgoingResponse::bytes(200, "text/xml", content_coding::gzip(&response))
                    .header("Content-Encoding", "gzip")
            }
            _ => OutgoingResponse::bytes(200, "text/xml", response),
        }
    }

    /// The `200` answer (without the `gzip` feature, never compressed).
    #[cfg(not(feature = "gzip"))]
    fn respond(&self, response: Vec<u8>, _request: &Headers) -> OutgoingResponse {
        OutgoingResponse::bytes(200, "text/xml", response)
    }
}

/// A response with a custom reason and an empty body, as CPython sends its errors.
fn bare(status: u16, reason: &str) -> OutgoingResponse {
    OutgoingResponse {
        head: crate::http::Response::with_reason(status, reason).header("Content-Length", "0"),
        body: crate::http::server::Body::Empty,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gzip_round_trips_and_the_cap_holds() {
        let data = vec![b'a'; 100_000];
        let z = content_coding::gzip(&data);
        assert!(z.len() < 1000);
        let gz = Headers::new().with("Content-Encoding", "gzip");
        assert_eq!(decode_body(&gz, z.clone(), 100_000).unwrap(), data);
        assert!(decode_body(&gz, z, 99_999).is_err());
        assert!(decode_body(&gz, b"not gzip".to_vec(), 100).is_err());
    }

    fn post(
        handler: &XmlRpcHandler<std::sync::Arc<Dispatcher>>,
        coding: &str,
        body: Vec<u8>,
    ) -> OutgoingResponse {
        use crate::http::server::Handler;
        let head = crate::http::Request::new("POST", "/RPC2").header("Content-Encoding", coding);
        handler.handle(IncomingRequest::new(
            head,
            body,
            crate::frame::ConnInfo {
                local: "127.0.0.1:1".parse().unwrap(),
                peer: "127.0.0.1:2".parse().unwrap(),
            },
        ))
    }

    #[test]
    fn gzip_and_deflate_requests_are_inflated_under_the_cap() {
        let mut d = Dispatcher::new();
        d.register("len", |s: String| s.len() as i32);
        let small = XmlRpcHandler::with_options(
            std::sync::Arc::new(d),
            HttpOptions {
                max_decoded_body: 10_000,
                ..HttpOptions::default()
            },
        );
        let mut call = Vec::new();
        crate::xmlrpc::encode_call_with("len", ("x".repeat(5000),), &mut call).unwrap();
        let mut big = Vec::new();
        crate::xmlrpc::encode_call_with("len", ("x".repeat(20_000),), &mut big).unwrap();
        for (coding, code) in [
            ("gzip", content_coding::gzip as fn(&[u8]) -> Vec<u8>),
            ("deflate", content_coding::deflate),
        ] {
            let r = post(&small, coding, code(&call));
            assert_eq!(r.head.status(), 200, "{coding}");
            let crate::http::server::Body::Full(body) = r.body else {
                panic!()
            };
            assert!(String::from_utf8_lossy(&body).contains("<int>5000</int>"));
            let r = post(&small, coding, code(&big));
            assert_eq!(
                (r.head.status(), r.head.reason()),
                (400, &*format!("error decoding {coding} content"))
            );
            let r = post(&small, coding, b"junk".to_vec());
            assert_eq!(r.head.status(), 400);
        }
        let r = post(&small, "br", call.clone());
        assert_eq!(
            (r.head.status(), r.head.reason()),
            (501, "encoding 'br' not supported")
        );
        assert_eq!(post(&small, "identity", call).head.status(), 200);
        assert_eq!(small.http_limits().max_request_body_bytes, 32 << 20);
    }

    #[test]
    fn accept_encoding_q_values() {
        let h = |v: &str| Headers::new().with("Accept-Encoding", v);
        let gzip = |h: &Headers| content_coding::accepts(h, Coding::Gzip);
        assert!(gzip(&h("gzip")));
        assert!(gzip(&h("deflate, gzip;q=0.5")));
        assert!(!gzip(&h("gzip;q=0")));
        assert!(!gzip(&h("identity")));
        assert!(!gzip(&Headers::new()));
    }
}
