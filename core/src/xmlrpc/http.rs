//! XML-RPC over HTTP, as CPython's `SimpleXMLRPCRequestHandler` does it: which paths and
//! methods are served, gzip in both directions, and the status codes for everything else.
//!
//! [`XmlRpcHandler`] is an [`http::server::Handler`](crate::http::server::Handler), so any
//! runtime's HTTP server serves a [`Dispatcher`] with it and nothing XML-RPC specific is
//! written in a runtime.

use std::io::{Read, Write};
use std::ops::Deref;

use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use flate2::Compression;

use super::{CallContext, Dispatcher};
use crate::http::server::{IncomingRequest, OutgoingResponse};
use crate::http::Headers;

/// How a dispatcher is exposed over HTTP. Defaults match CPython.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpOptions {
    /// Paths that accept calls; others get `404 No such page`. Default: `/` and `/RPC2`.
    /// Empty means every path.
    pub rpc_paths: Vec<String>,
    /// Responses longer than this are gzipped when the client accepts gzip. Default: 1400
    /// (CPython's `encode_threshold`); `None` never compresses.
    pub encode_threshold: Option<usize>,
    /// Largest body a gzipped request may inflate to; more is `400 Bad Request`.
    /// Default: 20 MiB (CPython's `MAX_GZIP_LENGTH`).
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
        let body = match decode_content(req.head.headers(), req.body, self.options.max_decoded_body)
        {
            Ok(body) => body,
            Err(ContentError::Unsupported(encoding)) => {
                return bare(501, &format!("encoding '{encoding}' not supported"))
            }
            Err(ContentError::BadGzip) => return bare(400, "error decoding gzip content"),
        };
        let ctx = CallContext::new(req.head.headers())
            .with_path(path)
            .with_peer(req.conn.peer)
            .with_local(req.conn.local);
        let mut response = self.dispatcher.handle_body_with(&body, &ctx);
        let mut gzipped = false;
        if let Some(threshold) = self.options.encode_threshold {
            if response.len() > threshold && accepts_gzip(req.head.headers()) {
                if let Ok(z) = gzip(&response) {
                    response = z;
                    gzipped = true;
                }
            }
        }
        let resp = OutgoingResponse::bytes(200, "text/xml", response);
        if gzipped {
            resp.header("Content-Encoding", "gzip")
        } else {
            resp
        }
    }
}

/// A response with a custom reason and an empty body, as CPython sends its errors.
fn bare(status: u16, reason: &str) -> OutgoingResponse {
    OutgoingResponse {
        head: crate::http::Response::with_reason(status, reason).header("Content-Length", "0"),
        body: crate::http::server::Body::Empty,
    }
}

/// Why a request body could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContentError {
    /// A `Content-Encoding` other than identity or gzip (CPython: 501).
    Unsupported(String),
    /// Gzip that does not inflate, or inflates past the cap (CPython: 400).
    BadGzip,
}

/// Undoes `Content-Encoding` on a body: identity or gzip, the latter capped at `max` bytes.
pub fn decode_content(
    headers: &Headers,
    body: Vec<u8>,
    max: usize,
) -> Result<Vec<u8>, ContentError> {
    let encoding = headers
        .get_str("Content-Encoding")
        .unwrap_or("identity")
        .trim()
        .to_ascii_lowercase();
    match encoding.as_str() {
        "identity" | "" => Ok(body),
        "gzip" | "x-gzip" => gunzip(&body, max).ok_or(ContentError::BadGzip),
        _ => Err(ContentError::Unsupported(encoding)),
    }
}

/// Inflates gzip data, refusing output over `max` bytes (a gzip bomb stops at the cap).
pub fn gunzip(data: &[u8], max: usize) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let mut decoder = GzDecoder::new(data).take(max as u64 + 1);
    decoder.read_to_end(&mut out).ok()?;
    if out.len() > max {
        return None;
    }
    Some(out)
}

/// Gzips `data` (fast level: the point is fewer bytes on the wire, cheaply).
pub fn gzip(data: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut enc = GzEncoder::new(Vec::with_capacity(data.len() / 4 + 64), Compression::fast());
    enc.write_all(data)?;
    enc.finish()
}

/// Whether `Accept-Encoding` allows gzip with a non-zero q-value.
pub fn accepts_gzip(headers: &Headers) -> bool {
    headers.get_all("Accept-Encoding").any(|value| {
        String::from_utf8_lossy(value).split(',').any(|item| {
            let mut parts = item.split(';');
            let coding = parts.next().unwrap_or("").trim();
            if !coding.eq_ignore_ascii_case("gzip") {
                return false;
            }
            let q = parts
                .filter_map(|p| {
                    let p = p.trim();
                    p.strip_prefix("q=").or_else(|| p.strip_prefix("Q="))
                })
                .next()
                .map(|q| q.trim().parse::<f32>().unwrap_or(0.0))
                .unwrap_or(1.0);
            q > 0.0
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gzip_round_trips_and_the_cap_holds() {
        let data = vec![b'a'; 100_000];
        let z = gzip(&data).unwrap();
        assert!(z.len() < 1000);
        assert_eq!(gunzip(&z, 100_000).unwrap(), data);
        assert_eq!(gunzip(&z, 99_999), None);
        assert_eq!(gunzip(b"not gzip", 100), None);
    }

    #[test]
    fn accept_encoding_q_values() {
        let h = |v: &str| Headers::new().with("Accept-Encoding", v);
        assert!(accepts_gzip(&h("gzip")));
        assert!(accepts_gzip(&h("deflate, gzip;q=0.5")));
        assert!(!accepts_gzip(&h("gzip;q=0")));
        assert!(!accepts_gzip(&h("identity")));
        assert!(!accepts_gzip(&Headers::new()));
    }
}
