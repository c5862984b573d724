//! The client's settings, and the request head they make.

use std::path::PathBuf;
use std::time::Duration;

use super::{RedirectPolicy, Target};
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
    /// How long the server may take to send the response head, from the moment the
    /// connection is there, however steadily it trickles (a server dripping a byte a second
    /// is cut off here). Default 60 s; zero means no limit.
    pub head_timeout: Duration,
    /// How long a whole request may take, redirects and body included (curl's
    /// `--max-time`). Default: no limit (a download may take as long as it takes, as long as
    /// bytes keep coming within [`read_timeout`](Self::read_timeout)).
    pub total_timeout: Option<Duration>,
    /// How many redirects to follow before [`ClientError::TooManyRedirects`](super::ClientError::TooManyRedirects). Default 10.
    pub max_redirects: usize,
    /// Which redirects are followed. Default [`RedirectPolicy::Follow`].
    pub redirects: RedirectPolicy,
    /// Most `1xx` responses accepted before the final one (a server sending `100 Continue`
    /// forever is refused). Default 16.
    pub max_informational: usize,
    /// Connect every request through this Unix socket instead of TCP (curl's
    /// `--unix-socket`); the URL still gives the `Host` and the path. Default: none.
    pub unix_socket: Option<PathBuf>,
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
    /// An idle pooled connection older than this is not reused (servers close idle
    /// connections after a while; reusing one they closed costs a retry). Default 60 s.
    pub pool_idle_timeout: Duration,
    /// Most bytes a `gzip` or `deflate` response body may decode to (with the `gzip`
    /// feature, the client asks for those codings and undoes them); past it the body fails with
    /// [`ClientError::Decoding`](super::ClientError::Decoding), so a small compressed "bomb" cannot fill a disk or
    /// memory. Default 1 GiB.
    pub max_decoded_body_bytes: u64,
    /// How `https://` connections verify servers and speak TLS. Default: none in core (an
    /// `https://` request fails with [`TlsError::NotConfigured`](crate::tls::TlsError::NotConfigured));
    /// the runtimes' clients fill in the system's trust store when it is unset.
    #[cfg(feature = "tls")]
    pub tls: Option<crate::tls::TlsClientConfig>,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            connect_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(30),
            head_timeout: Duration::from_secs(60),
            total_timeout: None,
            max_redirects: 10,
            redirects: RedirectPolicy::Follow,
            max_informational: 16,
            unix_socket: None,
            limits: Limits::default(),
            user_agent: concat!("netloom/", env!("CARGO_PKG_VERSION")).to_owned(),
            headers: Vec::new(),
            max_idle_per_host: 8,
            pool_idle_timeout: Duration::from_secs(60),
            max_decoded_body_bytes: 1 << 30,
            #[cfg(feature = "tls")]
            tls: None,
        }
    }
}

/// The request head for `method` on `target`: `Host`, `User-Agent`, `Accept: */*`,
/// `Accept-Encoding: gzip, deflate` (with the `gzip` feature: an [`Exchange`] undoes those
/// codings), `Connection: keep-alive`, then the config's extra headers (each replacing a
/// default of the same name: `Accept-Encoding: identity` asks for bodies as they are), and
/// `Content-Length` when `body_len` is given.
pub fn build_request(
    config: &ClientConfig,
    method: &str,
    target: &Target,
    body_len: Option<u64>,
) -> Request {
    let mut req = Request::new(method, target.request_target())
        .header("Host", target.host_header())
        .header("User-Agent", &config.user_agent)
        .header("Accept", "*/*");
    if cfg!(feature = "gzip") {
        req.push_header("Accept-Encoding", "gzip, deflate");
    }
    req.push_header("Connection", "keep-alive");
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
