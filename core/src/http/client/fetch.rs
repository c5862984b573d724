//! A whole fetch, decided once for every runtime: the request on one connection after
//! another (redirects, a retry on a stale pooled connection), what credentials go where,
//! whether a connection can be reused, and every client deadline, with the time passed in.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::{
    body_length, build_request, ClientConfig, ClientError, ClientRequest, Exchange, Link, Origin,
    RedirectPolicy, Redirects, RequestBody, Step, Target, Waiting,
};
use crate::http::{Request, Response};
use crate::time::earliest;
use crate::Now;

/// A redirect's body is read and dropped (so its connection can be reused) up to this many
/// bytes; a longer one closes the connection instead.
const DRAIN_LIMIT: u64 = 64 * 1024;

/// What the driver of a [`Fetch`] does next (see [`Fetch`] for the loop).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FetchStep {
    /// Get a connection to [`Fetch::origin`] (through
    /// [`ClientConfig::unix_socket`](super::ClientConfig::unix_socket) if it is set): an
    /// idle one from the pool, then call [`Fetch::reused`] with its [`Link`]; or a new one,
    /// then [`Fetch::connected`] (on `https://`, the TLS handshake is the fetch's: it comes
    /// as more writes and reads). `fresh`: this is a retry after a pooled connection turned out
    /// stale, so connect anew. Connecting is due by [`Fetch::poll_timeout`].
    Connect {
        /// Do not take a pooled connection.
        fresh: bool,
    },
    /// Write what [`Fetch::transmit`] holds; report it with [`Fetch::advance`].
    Write,
    /// A streamed request body wants its next piece: [`Fetch::send_body`], or
    /// [`Fetch::finish_body`] at its end.
    SendBody,
    /// Read from the connection; hand what arrives to [`Fetch::receive`] (or
    /// [`Fetch::receive_eof`]).
    Read,
    /// The final response head is here: [`Fetch::response`]. Said once.
    Head,
    /// Response body bytes are here: [`Fetch::body`], then [`Fetch::consume`] what was used.
    Body,
    /// The fetch is done with the connection to [`Fetch::origin`] (asked now, before the
    /// next step): return it to the pool if `reusable`, with [`Fetch::take_link`], close it
    /// otherwise. The fetch may go on (a redirect connects again).
    Release {
        /// Whether the connection may carry another request.
        reusable: bool,
    },
    /// The response is complete.
    Done,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Connect {
        fresh: bool,
    },
    Send,
    AwaitHead,
    HeadReady,
    Body,
    /// Reading a redirect's body to its end (at most [`DRAIN_LIMIT`]).
    Drain,
    /// The redirect's connection was released: on to the next hop.
    Hop,
    Done,
    Failed,
}

/// Credentials and the one origin they may go to.
#[derive(Clone)]
struct Credentials {
    origin: Origin,
    authorization: String,
}

/// One request, start to finish, without I/O: the client-role state machine every runtime's
/// client drives, and an embedder can drive from any loop.
///
/// ```text
/// let mut fetch = Fetch::new(request, config, now)?;
/// loop {
///     match fetch.next(now)? {                     // an error ends the fetch: close the connection
///         FetchStep::Connect { fresh }  => take a pooled connection (fetch.reused(now, link)) or connect (fetch.connected(now))
///         FetchStep::Write              => write fetch.transmit(); fetch.advance(now, n)
///         FetchStep::SendBody           => fetch.send_body(now, piece) / fetch.finish_body(now)
///         FetchStep::Read               => read; fetch.receive(now, bytes) / fetch.receive_eof(now)
///         FetchStep::Head               => fetch.response() is the head
///         FetchStep::Body               => use fetch.body(); fetch.consume(n)
///         FetchStep::Release { reusable } => pool the connection with fetch.take_link(), or close it
///         FetchStep::Done               => break
///     }
///     // Whenever you wait on the connection, wait no later than fetch.poll_timeout();
///     // when it has passed, call fetch.handle_timeout(now).
/// }
/// ```
///
/// Decided here, once: redirects (RFC 9110 §15.4, under a [`RedirectPolicy`], counted
/// against [`ClientConfig::max_redirects`]; a redirect's body is drained for reuse when
/// short), credentials (Basic from the URL's user information or
/// [`ClientRequest::basic_auth`], and `Authorization`, `Cookie` and `Proxy-Authorization`
/// fields, all for the first origin only), the retry of a request whose pooled connection
/// turned out stale (once, on a fresh connection, for idempotent or opted-in requests), the
/// `1xx` cap, and the deadlines: connect, each read or write, the response head, and the
/// whole request. On an `https://` origin the fetch speaks TLS itself
/// ([`ClientConfig::tls`]): what it writes and reads is ciphertext, the handshake counts
/// against the head deadline, and a body delimited by the connection's close must end with
/// the server's `close_notify` (otherwise it may be cut short:
/// [`TlsError::Truncated`](crate::tls::TlsError::Truncated)).
pub struct Fetch {
    config: Arc<ClientConfig>,
    method: String,
    target: Target,
    headers: Vec<(String, String)>,
    body: RequestBody,
    credentials: Option<Credentials>,
    /// Set once a redirect has left the first origin: sensitive fields are not sent again.
    left_origin: bool,
    first_origin: Origin,
    policy: RedirectPolicy,
    redirects: Redirects,
    retry_stale: bool,
    phase: Phase,
    exchange: Exchange,
    out: Vec<u8>,
    sent: usize,
    /// Streamed body: finished.
    body_done: bool,
    reused: bool,
    retried: bool,
    head: Option<Response>,
    chunk: Vec<u8>,
    pos: usize,
    drained: u64,
    next_hop: Option<super::Redirect>,
    /// The connection broke and the fetch goes on (a retry): release it first.
    release_first: bool,
    error: Option<ClientError>,
    total_deadline: Option<Instant>,
    /// The current connect, read or write must be done by then.
    io_deadline: Option<(Instant, Waiting)>,
    head_deadline: Option<Instant>,
    /// The connection's state beyond the socket (its TLS session).
    link: Link,
    /// The response body ends with the connection.
    close_delimited: bool,
    /// The connection ended without TLS `close_notify`.
    unclean_eof: bool,
}

impl std::fmt::Debug for Fetch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fetch")
            .field("method", &self.method)
            .field("url", &self.target.url().as_str())
            .field("phase", &self.phase)
            .finish_non_exhaustive()
    }
}

fn nonzero(d: Duration) -> Option<Duration> {
    (!d.is_zero()).then_some(d)
}

/// Fields that carry credentials: never sent beyond the first origin.
const SENSITIVE: [&str; 3] = ["Authorization", "Cookie", "Proxy-Authorization"];

fn is_idempotent(method: &str) -> bool {
    matches!(
        method,
        "GET" | "HEAD" | "PUT" | "DELETE" | "OPTIONS" | "TRACE"
    )
}

impl Fetch {
    /// Starts fetching `request` under `config` at `now`.
    pub fn new(request: ClientRequest, config: Arc<ClientConfig>, now: Now) -> Fetch {
        let ClientRequest {
            method,
            target,
            headers,
            body,
            timeout,
            redirects,
            basic_auth,
            retry_stale,
        } = request;
        let first_origin = target.origin().clone();
        let basic =
            basic_auth.or_else(|| target.userinfo().map(|(u, p)| (u.to_owned(), p.to_owned())));
        let credentials = basic.map(|(user, password)| Credentials {
            origin: first_origin.clone(),
            authorization: format!(
                "Basic {}",
                crate::base64::encode(format!("{user}:{password}").as_bytes())
            ),
        });
        let total = timeout.or(config.total_timeout);
        let retry_stale = retry_stale.unwrap_or_else(|| is_idempotent(&method));
        Fetch {
            exchange: Exchange::for_config(&config),
            policy: redirects.unwrap_or(config.redirects),
            redirects: Redirects::new(config.max_redirects),
            config,
            method,
            target,
            headers,
            body,
            credentials,
            left_origin: false,
            first_origin,
            retry_stale,
            phase: Phase::Connect { fresh: false },
            out: Vec::new(),
            sent: 0,
            body_done: false,
            reused: false,
            retried: false,
            head: None,
            chunk: Vec::new(),
            pos: 0,
            drained: 0,
            next_hop: None,
            release_first: false,
            error: None,
            total_deadline: total.map(|t| now.instant + t),
            io_deadline: None,
            head_deadline: None,
            link: Link::plain(),
            close_delimited: false,
            unclean_eof: false,
        }
    }

    /// The origin to connect to now.
    pub fn origin(&self) -> &Origin {
        self.target.origin()
    }

    /// The URL being fetched now (after redirects).
    pub fn url(&self) -> &super::Url {
        self.target.url()
    }

    /// The final response head, once [`FetchStep::Head`] was said.
    pub fn response(&self) -> Option<&Response> {
        self.head.as_ref()
    }

    /// The declared length of the response body, if the server gave one (and it is not
    /// being decoded).
    pub fn content_length(&self) -> Option<u64> {
        self.exchange.expected()
    }

    /// What to do next; see [`FetchStep`]. An error ends the fetch (close the connection);
    /// asking again repeats it.
    pub fn next(&mut self, now: Now) -> Result<FetchStep, ClientError> {
        if let Some(e) = &self.error {
            return Err(e.clone());
        }
        match self.step(now) {
            Ok(step) => Ok(step),
            Err(e) => {
                self.phase = Phase::Failed;
                self.error = Some(e.clone());
                Err(e)
            }
        }
    }

    fn step(&mut self, now: Now) -> Result<FetchStep, ClientError> {
        if self.total_deadline.is_some_and(|t| now.instant >= t) {
            return Err(ClientError::Timeout(Waiting::Total));
        }
        if std::mem::replace(&mut self.release_first, false) {
            return Ok(FetchStep::Release { reusable: false });
        }
        loop {
            match self.phase {
                Phase::Connect { fresh } => {
                    if self.io_deadline.is_none() {
                        self.io_deadline = nonzero(self.config.connect_timeout)
                            .map(|d| (now.instant + d, Waiting::Connect));
                    }
                    return Ok(FetchStep::Connect { fresh });
                }
                Phase::Send => {
                    self.seal();
                    if !self.transmit().is_empty() {
                        self.arm_io(now, Waiting::Write);
                        return Ok(FetchStep::Write);
                    }
                    if self.sent < self.out.len() {
                        // TLS holds the request back until the handshake is done: read
                        // the server's side of it.
                        return Ok(self.read_step(now));
                    }
                    if !self.body_done {
                        return Ok(FetchStep::SendBody);
                    }
                    self.phase = Phase::AwaitHead;
                    self.io_deadline = None;
                }
                Phase::AwaitHead => match self.exchange.step() {
                    Ok(Step::NeedInput) => return Ok(self.read_step(now)),
                    Ok(Step::Head(head)) => self.on_head(head)?,
                    // The exchange yields a head before anything else.
                    Ok(_) => {
                        return Err(ClientError::Protocol(crate::http::Error::InvalidStatusLine))
                    }
                    Err(e) => return self.on_failure(e),
                },
                Phase::HeadReady => {
                    self.phase = Phase::Body;
                    self.head_deadline = None;
                    return Ok(FetchStep::Head);
                }
                Phase::Body => {
                    if self.pos < self.chunk.len() {
                        return Ok(FetchStep::Body);
                    }
                    match self.exchange.step()? {
                        Step::NeedInput => return Ok(self.read_step(now)),
                        Step::Data(d) => {
                            self.chunk = d;
                            self.pos = 0;
                        }
                        // Only a TLS connection can end uncleanly.
                        #[cfg(feature = "tls")]
                        Step::End { .. } if self.close_delimited && self.unclean_eof => {
                            return Err(ClientError::Tls(crate::tls::TlsError::Truncated));
                        }
                        Step::End { reusable } => {
                            self.phase = Phase::Done;
                            self.io_deadline = None;
                            return Ok(FetchStep::Release { reusable });
                        }
                        Step::Head(_) => {
                            return Err(ClientError::Protocol(
                                crate::http::Error::InvalidStatusLine,
                            ))
                        }
                    }
                }
                Phase::Drain => {
                    let reusable = match self.exchange.step() {
                        Ok(Step::NeedInput) => return Ok(self.read_step(now)),
                        Ok(Step::Data(d)) => {
                            self.drained += d.len() as u64;
                            if self.drained <= DRAIN_LIMIT {
                                continue;
                            }
                            false
                        }
                        Ok(Step::End { reusable }) => reusable,
                        // A redirect's body that breaks: just do not reuse its connection.
                        Ok(Step::Head(_)) | Err(_) => false,
                    };
                    // Released first, while `origin` still names its connection's origin.
                    self.phase = Phase::Hop;
                    return Ok(FetchStep::Release { reusable });
                }
                Phase::Hop => self.hop(now)?,
                Phase::Done => return Ok(FetchStep::Done),
                Phase::Failed => return Err(self.error.clone().unwrap_or(ClientError::NoResponse)),
            }
        }
    }

    /// Read next, unless TLS has something to write first (its part of the handshake, a
    /// key update's answer).
    fn read_step(&mut self, now: Now) -> FetchStep {
        if self.transmit().is_empty() {
            self.arm_io(now, Waiting::Read);
            FetchStep::Read
        } else {
            self.arm_io(now, Waiting::Write);
            FetchStep::Write
        }
    }

    /// On TLS, moves the request bytes waiting into the session (as much as it takes).
    fn seal(&mut self) {
        #[cfg(feature = "tls")]
        if let Some(tls) = self.link.tls.as_mut() {
            while self.sent < self.out.len() {
                let n = tls.send(&self.out[self.sent..]);
                if n == 0 {
                    break;
                }
                self.sent += n;
            }
            if self.sent == self.out.len() {
                self.out.clear();
                self.sent = 0;
            }
        }
    }

    /// The read or write now starting must progress within the read timeout.
    fn arm_io(&mut self, now: Now, waiting: Waiting) {
        match self.io_deadline {
            Some((_, w)) if w == waiting => {}
            _ => {
                self.io_deadline =
                    nonzero(self.config.read_timeout).map(|d| (now.instant + d, waiting));
            }
        }
    }

    /// Progress on the connection at `now`: the read/write deadline starts over.
    fn progressed(&mut self, now: Now) {
        if let Some((_, waiting)) = self.io_deadline {
            self.io_deadline =
                nonzero(self.config.read_timeout).map(|d| (now.instant + d, waiting));
        }
    }

    /// The final head of one exchange: a redirect to follow, or the response.
    fn on_head(&mut self, head: Response) -> Result<(), ClientError> {
        let status = head.status();
        let location = head
            .headers()
            .get("Location")
            .map(|l| String::from_utf8_lossy(l).into_owned());
        let follows =
            super::is_redirect(status) && location.as_deref().is_some_and(|l| !l.trim().is_empty());
        if follows {
            let refuse = match self.policy {
                RedirectPolicy::Follow => false,
                RedirectPolicy::KeepMethod => !matches!(status, 307 | 308),
                RedirectPolicy::Refuse => true,
                RedirectPolicy::Return => {
                    return self.deliver(head);
                }
            };
            if refuse {
                return Err(ClientError::RedirectRefused {
                    status,
                    location: location.unwrap_or_default(),
                });
            }
            let Some(next) = self
                .redirects
                .follow(self.target.url(), &self.method, &head)?
            else {
                return self.deliver(head);
            };
            if next.keep_body && !self.body.is_replayable() {
                // A streamed body cannot be sent again: the redirect is the answer.
                return self.deliver(head);
            }
            self.next_hop = Some(next);
            self.phase = Phase::Drain;
            self.drained = 0;
            self.head_deadline = None;
            return Ok(());
        }
        self.deliver(head)
    }

    fn deliver(&mut self, head: Response) -> Result<(), ClientError> {
        self.close_delimited = self.exchange.body_ends_at_eof();
        self.head = Some(head);
        self.phase = Phase::HeadReady;
        Ok(())
    }

    /// Sets up the request a redirect leads to.
    fn hop(&mut self, now: Now) -> Result<(), ClientError> {
        let Some(next) = self.next_hop.take() else {
            return Ok(());
        };
        let target = Target::from_url(next.url)?;
        if target.origin() != &self.first_origin {
            // Credentials stay with the origin they were given for (a scheme change is
            // another origin too), and once gone, are not sent again.
            self.left_origin = true;
        }
        self.target = target;
        self.method = next.method;
        if !next.keep_body {
            self.body = RequestBody::Empty;
            self.headers
                .retain(|(n, _)| !n.eq_ignore_ascii_case("Content-Type"));
        }
        self.begin_attempt(now);
        Ok(())
    }

    /// A fresh exchange for the next attempt, waiting for its connection.
    fn begin_attempt(&mut self, _now: Now) {
        self.exchange = Exchange::for_config(&self.config);
        self.out.clear();
        self.sent = 0;
        self.body_done = false;
        self.io_deadline = None;
        self.head_deadline = None;
        self.phase = Phase::Connect { fresh: false };
    }

    /// An exchange failed before its final head: retry it on a fresh connection when the
    /// reused one was stale, otherwise the fetch fails.
    fn on_failure(&mut self, e: ClientError) -> Result<FetchStep, ClientError> {
        let may_retry = self.reused
            && !self.retried
            && self.retry_stale
            && self.body.is_replayable()
            && self.exchange.is_stale(&e);
        if !may_retry {
            return Err(e);
        }
        self.retried = true;
        self.exchange = Exchange::for_config(&self.config);
        self.out.clear();
        self.sent = 0;
        self.body_done = false;
        self.io_deadline = None;
        self.head_deadline = None;
        self.phase = Phase::Connect { fresh: true };
        Ok(FetchStep::Release { reusable: false })
    }

    /// The request head for the current attempt.
    fn request_head(&self) -> Request {
        let body_len = match &self.body {
            RequestBody::Empty => body_length(&self.method, 0),
            RequestBody::Bytes(b) => body_length(&self.method, b.len()),
            RequestBody::Stream { len } => *len,
        };
        let mut req = build_request(&self.config, &self.method, &self.target, body_len);
        for (name, _) in &self.headers {
            req.remove_header(name);
        }
        for (name, value) in &self.headers {
            req.push_header(name, value);
        }
        if self.left_origin {
            // Whoever set them (the client's config, this request), they were meant for
            // the first origin.
            for name in SENSITIVE {
                req.remove_header(name);
            }
        } else if let Some(c) = &self.credentials {
            if &c.origin == self.target.origin() {
                req.remove_header("Authorization");
                req.push_header("Authorization", &c.authorization);
            }
        }
        req
    }

    /// A new connection to [`origin`](Fetch::origin) is there, at `now`. On `https://`, the
    /// TLS session starts here (an error: no usable TLS configuration for this host).
    pub fn connected(&mut self, now: Now) -> Result<(), ClientError> {
        if !matches!(self.phase, Phase::Connect { .. }) {
            return Ok(());
        }
        let link = self.new_link(now).map_err(|e| self.fail(e))?;
        self.start(now, false, link)
    }

    /// A pooled connection to [`origin`](Fetch::origin) is used, at `now`, with the
    /// [`Link`] it was pooled with.
    pub fn reused(&mut self, now: Now, link: Link) -> Result<(), ClientError> {
        self.start(now, true, link)
    }

    /// The connection's [`Link`], to pool with it when [`FetchStep::Release`] says it is
    /// reusable.
    pub fn take_link(&mut self) -> Link {
        std::mem::take(&mut self.link)
    }

    fn new_link(&mut self, now: Now) -> Result<Link, ClientError> {
        #[cfg(not(feature = "tls"))]
        let _ = now;
        match self.target.origin().scheme {
            super::Scheme::Http => Ok(Link::plain()),
            #[cfg(feature = "tls")]
            super::Scheme::Https => {
                let config = self
                    .config
                    .tls
                    .as_ref()
                    .ok_or(ClientError::Tls(crate::tls::TlsError::NotConfigured))?;
                let session =
                    crate::tls::session::Session::client(config, &self.target.origin().host, now)
                        .map_err(ClientError::Tls)?;
                Ok(Link {
                    tls: Some(Box::new(session)),
                })
            }
            #[cfg(not(feature = "tls"))]
            super::Scheme::Https => Err(ClientError::UnsupportedScheme("https".into())),
        }
    }

    fn start(&mut self, now: Now, reused: bool, link: Link) -> Result<(), ClientError> {
        if !matches!(self.phase, Phase::Connect { .. }) {
            return Ok(());
        }
        self.link = link;
        self.unclean_eof = false;
        self.close_delimited = false;
        self.reused = reused;
        let head = self.request_head();
        let started = match &self.body {
            RequestBody::Empty => self.exchange.start(head, &[], &mut self.out),
            RequestBody::Bytes(b) => self.exchange.start(head, b, &mut self.out),
            RequestBody::Stream { .. } => self.exchange.start_head(head, &mut self.out),
        };
        started.map_err(|e| match e {
            ClientError::Protocol(e) => ClientError::InvalidRequest(e),
            other => other,
        })?;
        self.body_done = self.body.is_replayable();
        self.phase = Phase::Send;
        self.io_deadline = None;
        self.head_deadline = nonzero(self.config.head_timeout).map(|d| now.instant + d);
        Ok(())
    }

    /// Connecting failed (refused, unreachable...): the fetch fails with `error`.
    pub fn connect_failed(&mut self, error: ClientError) -> ClientError {
        self.fail(error)
    }

    /// The connection failed (a read or write error): a stale pooled connection is retried,
    /// anything else fails the fetch. Ask [`next`](Fetch::next) what follows.
    pub fn io_failed(&mut self, error: std::io::Error) {
        let waiting = match self.phase {
            Phase::Send => Waiting::Write,
            _ => Waiting::Read,
        };
        let e = ClientError::from_io(error, waiting);
        if matches!(self.phase, Phase::Send | Phase::AwaitHead) {
            match self.on_failure(e) {
                // The retry starts with the release of the broken connection.
                Ok(_) => self.release_first = true,
                Err(e) => {
                    self.fail(e);
                }
            }
        } else {
            self.fail(e);
        }
    }

    fn fail(&mut self, e: ClientError) -> ClientError {
        self.phase = Phase::Failed;
        self.error = Some(e.clone());
        e
    }

    /// The bytes to write when [`next`](Fetch::next) says [`FetchStep::Write`].
    pub fn transmit(&self) -> &[u8] {
        #[cfg(feature = "tls")]
        if let Some(tls) = &self.link.tls {
            return tls.transmit();
        }
        &self.out[self.sent..]
    }

    /// `n` bytes of [`transmit`](Fetch::transmit) were written at `now`.
    pub fn advance(&mut self, now: Now, n: usize) {
        #[cfg(feature = "tls")]
        if let Some(tls) = self.link.tls.as_mut() {
            tls.advance(n);
            self.seal();
            self.progressed(now);
            return;
        }
        self.sent = (self.sent + n).min(self.out.len());
        if self.sent == self.out.len() {
            self.out.clear();
            self.sent = 0;
        }
        self.progressed(now);
    }

    /// The next piece of a streamed request body.
    pub fn send_body(&mut self, now: Now, data: &[u8]) -> Result<(), ClientError> {
        let _ = now;
        if self.body_done {
            return Ok(());
        }
        self.exchange
            .send_body(data, &mut self.out)
            .map_err(|e| self.fail(e))?;
        self.seal();
        Ok(())
    }

    /// A streamed request body ended.
    pub fn finish_body(&mut self, now: Now) -> Result<(), ClientError> {
        let _ = now;
        if self.body_done {
            return Ok(());
        }
        self.body_done = true;
        self.exchange
            .finish_body(&mut self.out)
            .map_err(|e| self.fail(e))?;
        self.seal();
        Ok(())
    }

    /// Bytes read from the connection at `now`.
    pub fn receive(&mut self, now: Now, data: &[u8]) {
        if data.is_empty() || matches!(self.phase, Phase::Failed) {
            return;
        }
        self.progressed(now);
        #[cfg(feature = "tls")]
        if let Some(tls) = self.link.tls.as_mut() {
            let exchange = &mut self.exchange;
            let result = tls.receive(now, data, &mut |plain| {
                if let crate::tls::session::Plain::Data(data) = plain {
                    exchange.receive(data);
                }
            });
            match result {
                Err(e) => {
                    self.fail(ClientError::Tls(e));
                }
                Ok(()) if tls.peer_closed() => self.exchange.receive_eof(),
                Ok(()) => {}
            }
            self.seal();
            return;
        }
        self.exchange.receive(data);
    }

    /// The server closed the connection.
    pub fn receive_eof(&mut self, now: Now) {
        let _ = now;
        #[cfg(feature = "tls")]
        if let Some(tls) = self.link.tls.as_mut() {
            if tls.is_handshaking() && !self.reused {
                self.fail(ClientError::Tls(crate::tls::TlsError::Handshake(
                    "the server closed the connection during the handshake".into(),
                )));
                return;
            }
            if !tls.receive_eof() {
                self.unclean_eof = true;
            }
        }
        self.exchange.receive_eof();
    }

    /// The body bytes at hand, when [`next`](Fetch::next) says [`FetchStep::Body`].
    pub fn body(&self) -> &[u8] {
        &self.chunk[self.pos.min(self.chunk.len())..]
    }

    /// `n` bytes of [`body`](Fetch::body) were used.
    pub fn consume(&mut self, n: usize) {
        self.pos = (self.pos + n).min(self.chunk.len());
    }

    /// When the driver must call [`handle_timeout`](Fetch::handle_timeout) at the latest,
    /// if nothing else happens first.
    pub fn poll_timeout(&self) -> Option<Instant> {
        if matches!(self.phase, Phase::Done | Phase::Failed) {
            return None;
        }
        let mut deadline = self.total_deadline;
        // Waiting on the caller (it reads the head, or the body at its own pace) is not the
        // server's time.
        let callers_turn = self.phase == Phase::HeadReady
            || (self.phase == Phase::Body && self.pos < self.chunk.len());
        if !callers_turn {
            deadline = earliest(deadline, self.io_deadline.map(|(t, _)| t));
            deadline = earliest(deadline, self.head_deadline);
        }
        deadline
    }

    /// The time is `now`: fails the fetch if one of its deadlines has passed.
    pub fn handle_timeout(&mut self, now: Now) {
        if matches!(self.phase, Phase::Done | Phase::Failed) {
            return;
        }
        let now = now.instant;
        if self.total_deadline.is_some_and(|t| now >= t) {
            self.fail(ClientError::Timeout(Waiting::Total));
        } else if self.head_deadline.is_some_and(|t| now >= t) {
            self.fail(ClientError::Timeout(Waiting::Head));
        } else if let Some((t, waiting)) = self.io_deadline {
            if now >= t {
                self.fail(ClientError::Timeout(waiting));
            }
        }
    }
}
