//! The client's settings, and the request head they make.

use std::time::Duration;

use super::Target;
use crate::http::{Limits, Request};

/// Settings of an HTTP client. Start from [`ClientConfig::default`] and change what you need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientConfig {
    /// How long to wait for a TCP connection to one address. Default 10 s; zero waits as
    /// long as the operating system does.
    pub connect_timeout: Duration,
    /// How long one read (or write) may wait for the server. Default 30 s; zero means no
    /// timeout.
    pub read_timeout: Duration,
    /// How many redirects to follow before [`ClientError::TooManyRedirects`]. Default 10.
    pub max_redirects: usize,
    /// Limits on responses (head size, header count, body size...). Default: the core's
    /// defaults, which put no bound on a (streamed) response body.
    pub limits: Limits,
    /// The `User-Agent` header. Default `netloom/<version>`.
    pub user_agent: String,
    /// Extra request header fields. A field here replaces a default field of the same name
    /// (`Accept-Encoding`, `Accept`, `User-Agent`, `Connection`...).
    pub headers: Vec<(String, String)>,
    /// Idle keep-alive connections kept per host and port for reuse. Default 8; 0 disables
    /// reuse.
    pub max_idle_per_host: usize,
    /// Most bytes a `gzip` or `deflate` response body may decode to (the client asks for
    /// those codings and undoes them; see [`Exchange`]); past it the body fails with
    /// [`ClientError::Decoding`], so a small compressed "bomb" cannot fill a disk or
    /// memory. Default 1 GiB.
    pub max_decoded_body_bytes: u64,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            connect_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(30),
            max_redirects: 10,
            limits: Limits::default(),
            user_agent: concat!("netloom/", env!("CARGO_PKG_VERSION")).to_owned(),
            headers: Vec::new(),
            max_idle_per_host: 8,
            max_decoded_body_bytes: 1 << 30,
        }
    }
}

/// The request head for `method` on `target`: `Host`, `User-Agent`, `Accept: */*`,
/// `Accept-Encoding: gzip, deflate` (an [`Exchange`] undoes those codings), `Connection:
/// keep-alive`, then the config's extra headers (each replacing a default of the same name:
/// `Accept-Encoding: identity` asks for bodies as they are), and `Content-Length` when
/// `body_len` is given.
pub fn build_request(
    config: &ClientConfig,
    method: &str,
    target: &Target,
    body_len: Option<u64>,
) -> Request {
    let mut req = Request::new(method, target.request_target())
        .header("Host", target.host_header())
        .header("User-Agent", &config.user_agent)
        .header("Accept", "*/*")
        .header("Accept-Encoding", "gzip, deflate")
        .header("Connection", "keep-alive");
    for (name, _) in &config.headers {
        req.remove_header(name);
    }
    for (name, value) in &config.headers {
        req.push_header(name, value);
    }
    if let Some(len) = body_len {
        req.remove_header("Content-Length");
        req.push_header("Content-Length", len.to_string());
    }
    req
}

/// The `Content-Length` to declare for a request body of `len` bytes: none for an empty
/// body on a method that normally has none (`GET`, `HEAD`, `DELETE`, `OPTIONS`, `TRACE`),
/// `len` otherwise (so an empty `POST` says `Content-Length: 0`).
pub fn body_length(method: &str, len: usize) -> Option<u64> {
    let bodiless = matches!(method, "GET" | "HEAD" | "DELETE" | "OPTIONS" | "TRACE");
    if len == 0 && bodiless {
        None
    } else {
        Some(len as u64)
    }
}
