//! The HTTP client of every runtime behind one API: [`Runtime::http_client`], [`Runtime::get`],
//! [`Runtime::retrieve`].

use std::io::{self, Read};
use std::path::Path;

use futures_lite::AsyncReadExt;
use netloom_core::http::client::{ClientConfig, ClientError, ClientRequest, Url};
use netloom_core::http::{self, Headers};

use crate::Runtime;

/// A response from any runtime's client: the head, the final URL and the body as a blocking
/// [`Read`] that streams from the socket.
pub struct HttpResponse {
    head: http::Response,
    url: Url,
    content_length: Option<u64>,
    body: Box<dyn Read + Send>,
}

impl std::fmt::Debug for HttpResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpResponse")
            .field("url", &self.url.as_str())
            .field("head", &self.head)
            .finish_non_exhaustive()
    }
}

impl HttpResponse {
    /// The status code.
    pub fn status(&self) -> u16 {
        self.head.status()
    }

    /// The reason phrase.
    pub fn reason(&self) -> &str {
        self.head.reason()
    }

    /// The whole response head (status, reason, version and fields).
    pub fn head(&self) -> &http::Response {
        &self.head
    }

    /// The header fields.
    pub fn headers(&self) -> &Headers {
        self.head.headers()
    }

    /// The URL after redirects.
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// The declared body length, if any.
    pub fn content_length(&self) -> Option<u64> {
        self.content_length
    }

    /// The body, to read from (or pass to [`io::copy`]).
    pub fn body(&mut self) -> &mut (dyn Read + Send) {
        &mut *self.body
    }

    /// Gives up the head and keeps the body.
    pub fn into_body(self) -> Box<dyn Read + Send> {
        self.body
    }
}

impl Read for HttpResponse {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.body.read(buf)
    }
}

/// The smol body read from blocking code, one `block_on` per read.
struct BlockingSmolBody(netloom_smol::http_client::Response);

impl Read for BlockingSmolBody {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        async_io::block_on(self.0.read(buf))
    }
}

/// One of the three clients, each with its own keep-alive pool.
#[derive(Debug, Clone)]
pub enum HttpClient {
    /// `netloom_std::http_client::Client`.
    Std(netloom_std::http_client::Client),
    /// `netloom_mio::http_client::Client`.
    Mio(netloom_mio::http_client::Client),
    /// `netloom_smol::http_client::Client`, driven with `async_io::block_on`.
    Smol(netloom_smol::http_client::Client),
}

impl HttpClient {
    /// `GET url`, following redirects.
    pub fn get(&self, url: &str) -> Result<HttpResponse, ClientError> {
        self.request("GET", url, &[])
    }

    /// `method url` with `body`, following redirects.
    pub fn request(
        &self,
        method: &str,
        url: &str,
        body: &[u8],
    ) -> Result<HttpResponse, ClientError> {
        let mut req = ClientRequest::new(method, url)?;
        if !body.is_empty() || !matches!(method, "GET" | "HEAD" | "DELETE" | "OPTIONS" | "TRACE") {
            req = req.body(body.to_vec());
        }
        self.send(req, None)
    }

    /// Sends `request`; a streamed body ([`ClientRequest::streamed_body`]) is read from
    /// `upload`.
    pub fn send(
        &self,
        request: ClientRequest,
        upload: Option<Box<dyn Read + Send>>,
    ) -> Result<HttpResponse, ClientError> {
        match self {
            HttpClient::Std(c) => {
                let r = c.send(request, upload)?;
                Ok(HttpResponse {
                    head: r.head().clone(),
                    url: r.url().clone(),
                    content_length: r.content_length(),
                    body: Box::new(r),
                })
            }
            HttpClient::Mio(c) => {
                let r = c.send(request, upload)?;
                Ok(HttpResponse {
                    head: r.head().clone(),
                    url: r.url().clone(),
                    content_length: r.content_length(),
                    body: Box::new(r),
                })
            }
            HttpClient::Smol(c) => {
                let upload = upload.map(|u| {
                    Box::pin(futures_lite::io::AssertAsync::new(u))
                        as std::pin::Pin<Box<dyn futures_lite::AsyncRead + Send>>
                });
                let r = async_io::block_on(c.send(request, upload))?;
                Ok(HttpResponse {
                    head: r.head().clone(),
                    url: r.url().clone(),
                    content_length: r.content_length(),
                    body: Box::new(BlockingSmolBody(r)),
                })
            }
        }
    }

    /// Saves `url` to `path` through a temporary file (see
    /// `netloom_std::http_client::Client::retrieve`).
    pub fn retrieve(
        &self,
        url: &str,
        path: &Path,
        progress: impl FnMut(u64, Option<u64>),
    ) -> Result<u64, ClientError> {
        match self {
            HttpClient::Std(c) => c.retrieve(url, path, progress),
            HttpClient::Mio(c) => c.retrieve(url, path, progress),
            HttpClient::Smol(c) => async_io::block_on(c.retrieve(url, path, progress)),
        }
    }

    /// Idle pooled connections.
    pub fn idle_connections(&self) -> usize {
        match self {
            HttpClient::Std(c) => c.idle_connections(),
            HttpClient::Mio(c) => c.idle_connections(),
            HttpClient::Smol(c) => c.idle_connections(),
        }
    }
}

impl Runtime {
    /// An HTTP client on this runtime.
    pub fn http_client(self, config: ClientConfig) -> HttpClient {
        match self {
            Runtime::Std => HttpClient::Std(netloom_std::http_client::Client::with_config(config)),
            Runtime::Mio => HttpClient::Mio(netloom_mio::http_client::Client::with_config(config)),
            Runtime::Smol => {
                HttpClient::Smol(netloom_smol::http_client::Client::with_config(config))
            }
        }
    }

    /// `GET url` with a new client on this runtime (`urlopen`).
    pub fn get(self, url: &str, config: ClientConfig) -> Result<HttpResponse, ClientError> {
        self.http_client(config).get(url)
    }

    /// Saves `url` to `path` with a new client on this runtime (`urlretrieve`); a failure
    /// leaves no file.
    pub fn retrieve(
        self,
        url: &str,
        path: &Path,
        config: ClientConfig,
        progress: impl FnMut(u64, Option<u64>),
    ) -> Result<u64, ClientError> {
        self.http_client(config).retrieve(url, path, progress)
    }
}
