//! A request as the client sends it: method, URL, header fields, body and per-request
//! settings.

use std::time::Duration;

use super::{ClientError, RedirectPolicy, Target};

/// What a [`ClientRequest`] sends as its body.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum RequestBody {
    /// No body (`Content-Length: 0` on methods that normally have one, as `POST`).
    #[default]
    Empty,
    /// These bytes, with a `Content-Length`. They can be sent again (a 307/308 redirect, a
    /// retry on a fresh connection).
    Bytes(Vec<u8>),
    /// A body the driver streams as the fetch asks for it
    /// ([`FetchStep::SendBody`](super::FetchStep::SendBody)): with a `Content-Length` of
    /// `len` when given, chunked otherwise. It cannot be sent twice, so a redirect that
    /// would resend it is returned as the response instead, and a stale connection is not
    /// retried.
    Stream {
        /// The body's length, if known.
        len: Option<u64>,
    },
}

impl RequestBody {
    /// Whether the body can be sent again.
    pub fn is_replayable(&self) -> bool {
        !matches!(self, RequestBody::Stream { .. })
    }
}

/// One request: method, URL, header fields, body, and settings that override the client's
/// for this request only. Credentials (`basic_auth`, user information in the URL, and
/// `Authorization`, `Cookie` and `Proxy-Authorization` fields) go to the URL's origin only:
/// a redirect to another origin (another host, port or scheme) drops them.
///
/// ```
/// use netloom_core::http::client::ClientRequest;
/// let req = ClientRequest::new("POST", "http://127.0.0.1:8000/RPC2")?
///     .header("X-Trace", "1")
///     .content_type("text/xml")
///     .body(b"<methodCall/>".to_vec());
/// assert_eq!(req.method(), "POST");
/// # Ok::<(), netloom_core::http::client::ClientError>(())
/// ```
#[derive(Debug, Clone)]
pub struct ClientRequest {
    pub(super) method: String,
    pub(super) target: Target,
    pub(super) headers: Vec<(String, String)>,
    pub(super) body: RequestBody,
    pub(super) timeout: Option<Duration>,
    pub(super) redirects: Option<RedirectPolicy>,
    pub(super) basic_auth: Option<(String, String)>,
    pub(super) retry_stale: Option<bool>,
}

impl ClientRequest {
    /// `method url`, with no body. A URL that does not parse, has no host or is not
    /// `http://` is refused here.
    pub fn new(method: &str, url: &str) -> Result<ClientRequest, ClientError> {
        Ok(ClientRequest::to(method, Target::parse(url)?))
    }

    /// `method` on an already parsed target.
    pub fn to(method: &str, target: Target) -> ClientRequest {
        ClientRequest {
            method: method.to_owned(),
            target,
            headers: Vec::new(),
            body: RequestBody::Empty,
            timeout: None,
            redirects: None,
            basic_auth: None,
            retry_stale: None,
        }
    }

    /// Adds a header field; it replaces a default field of the same name (`User-Agent`,
    /// `Accept`, `Accept-Encoding`...) and the client's own extra fields of that name.
    /// Several calls with one name send each.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Sets `Content-Type`.
    pub fn content_type(mut self, value: &str) -> Self {
        self.headers
            .retain(|(n, _)| !n.eq_ignore_ascii_case("Content-Type"));
        self.headers
            .push(("Content-Type".to_owned(), value.to_owned()));
        self
    }

    /// The body: these bytes, with a `Content-Length`.
    pub fn body(mut self, bytes: Vec<u8>) -> Self {
        self.body = RequestBody::Bytes(bytes);
        self
    }

    /// A streamed body of `len` bytes if known (chunked otherwise), fed by the driver.
    pub fn streamed_body(mut self, len: Option<u64>) -> Self {
        self.body = RequestBody::Stream { len };
        self
    }

    /// HTTP Basic credentials, for this URL's origin only.
    pub fn basic_auth(mut self, user: &str, password: &str) -> Self {
        self.basic_auth = Some((user.to_owned(), password.to_owned()));
        self
    }

    /// The whole request (redirects and body included) must be done within `limit`
    /// (instead of [`ClientConfig::total_timeout`](super::ClientConfig::total_timeout)).
    pub fn timeout(mut self, limit: Duration) -> Self {
        self.timeout = Some(limit);
        self
    }

    /// Which redirects this request follows (instead of the client's policy).
    pub fn redirects(mut self, policy: RedirectPolicy) -> Self {
        self.redirects = Some(policy);
        self
    }

    /// Whether a request that failed on a reused keep-alive connection before any byte of
    /// an answer came (the server had closed it while idle) is sent again on a fresh one.
    /// Default: only for idempotent methods (`GET`, `HEAD`, `PUT`, `DELETE`, `OPTIONS`,
    /// `TRACE`), as RFC 9110 §9.2.2 allows. CPython's `ServerProxy` retries its `POST`s
    /// that way too; an XML-RPC proxy asks for it.
    pub fn retry_on_stale(mut self, retry: bool) -> Self {
        self.retry_stale = Some(retry);
        self
    }

    /// The method.
    pub fn method(&self) -> &str {
        &self.method
    }

    /// Where it goes.
    pub fn target(&self) -> &Target {
        &self.target
    }

    /// Its own header fields.
    pub fn headers(&self) -> &[(String, String)] {
        &self.headers
    }

    /// Its body.
    pub fn request_body(&self) -> &RequestBody {
        &self.body
    }
}
