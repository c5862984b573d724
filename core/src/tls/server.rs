//! The server side: any [`Duplex`] connection behind TLS, as a [`Duplex`] again, so a driver
//! serves TLS exactly as it serves plaintext.

use crate::{Duplex, Job, Now};

#[cfg(feature = "tls")]
use super::session::{Plain, Session, OUT_HIGH};
#[cfg(feature = "tls")]
use super::TlsServerConfig;

/// Makes each accepted connection plain or TLS: what a runtime's server keeps and applies
/// to every connection it makes ([`wrap`](Self::wrap)). The default is plain.
#[derive(Debug, Clone, Default)]
pub struct TlsAcceptor {
    #[cfg(feature = "tls")]
    config: Option<TlsServerConfig>,
}

impl TlsAcceptor {
    /// Connections in plaintext.
    pub fn plain() -> Self {
        TlsAcceptor::default()
    }

    /// Connections in TLS under `config`.
    #[cfg(feature = "tls")]
    pub fn tls(config: TlsServerConfig) -> Self {
        TlsAcceptor {
            config: Some(config),
        }
    }

    /// Whether connections are TLS.
    pub fn is_tls(&self) -> bool {
        #[cfg(feature = "tls")]
        {
            self.config.is_some()
        }
        #[cfg(not(feature = "tls"))]
        {
            false
        }
    }

    /// `conn`, the connection's own state machine, as this acceptor serves it.
    pub fn wrap<C: Duplex>(&self, conn: C) -> MaybeTls<C> {
        #[cfg(feature = "tls")]
        if let Some(config) = &self.config {
            return match Session::server(config) {
                Ok(session) => {
                    MaybeTls(Inner::Tls(Box::new(TlsServer::with_session(conn, session))))
                }
                // rustls refuses only a configuration it cannot use: such a connection
                // just closes.
                Err(_) => MaybeTls(Inner::Closed(conn)),
            };
        }
        MaybeTls(Inner::Plain(conn))
    }
}

/// A server connection in plaintext or behind TLS (what a [`TlsAcceptor`] makes).
#[derive(Debug)]
pub struct MaybeTls<C>(Inner<C>);

#[derive(Debug)]
enum Inner<C> {
    Plain(C),
    #[cfg(feature = "tls")]
    Tls(Box<TlsServer<C>>),
    /// TLS could not start: closed at once.
    #[cfg(feature = "tls")]
    Closed(C),
}

impl<C> MaybeTls<C> {
    /// The connection inside.
    pub fn get_ref(&self) -> &C {
        match &self.0 {
            Inner::Plain(c) => c,
            #[cfg(feature = "tls")]
            Inner::Tls(t) => &t.inner,
            #[cfg(feature = "tls")]
            Inner::Closed(c) => c,
        }
    }

    /// Whether this connection is TLS.
    pub fn is_tls(&self) -> bool {
        !matches!(self.0, Inner::Plain(_))
    }
}

/// Calls the method on the plain or the TLS connection; a connection whose TLS could not
/// start answers `$closed`.
macro_rules! each {
    ($self:expr, $c:ident => $e:expr, closed => $closed:expr) => {
        match $self {
            Inner::Plain($c) => $e,
            #[cfg(feature = "tls")]
            Inner::Tls($c) => $e,
            #[cfg(feature = "tls")]
            Inner::Closed(_) => $closed,
        }
    };
}

impl<C: Duplex> Duplex for MaybeTls<C> {
    type Done = C::Done;

    fn receive(&mut self, now: Now, data: &[u8]) {
        each!(&mut self.0, c => c.receive(now, data), closed => ())
    }
    fn receive_eof(&mut self, now: Now) {
        each!(&mut self.0, c => c.receive_eof(now), closed => ())
    }
    fn transmit(&self) -> &[u8] {
        each!(&self.0, c => c.transmit(), closed => &[])
    }
    // File bodies go out with `sendfile` only in plaintext: behind TLS they must be
    // encrypted, so the TLS layer leaves its inner connection reading them into `transmit`.
    fn transmit_file(&self) -> Option<crate::FileSlice<'_>> {
        match &self.0 {
            Inner::Plain(c) => c.transmit_file(),
            #[allow(unreachable_patterns)]
            _ => None,
        }
    }
    fn transmit_more(&self) -> bool {
        match &self.0 {
            Inner::Plain(c) => c.transmit_more(),
            #[allow(unreachable_patterns)]
            _ => false,
        }
    }
    fn enable_transmit_file(&mut self) {
        #[allow(irrefutable_let_patterns)] // without the `tls` feature, only Plain exists
        if let Inner::Plain(c) = &mut self.0 {
            c.enable_transmit_file();
        }
    }
    fn secured(&mut self, info: std::sync::Arc<super::TlsInfo>) {
        each!(&mut self.0, c => c.secured(info), closed => ())
    }
    fn advance(&mut self, now: Now, n: usize) {
        each!(&mut self.0, c => c.advance(now, n), closed => ())
    }
    fn wants_read(&self) -> bool {
        each!(&self.0, c => c.wants_read(), closed => false)
    }
    fn is_finished(&self) -> bool {
        each!(&self.0, c => c.is_finished(), closed => true)
    }
    fn mid_message(&self) -> bool {
        each!(&self.0, c => c.mid_message(), closed => false)
    }
    fn take_job(&mut self) -> Option<Job<Self::Done>> {
        each!(&mut self.0, c => c.take_job(), closed => None)
    }
    fn complete(&mut self, now: Now, done: Self::Done) {
        each!(&mut self.0, c => c.complete(now, done), closed => drop(done))
    }
}

/// The answer to plaintext HTTP on a TLS port (nginx answers the same way): one line the
/// person at the other end can act on, rather than a dropped connection.
#[cfg(feature = "tls")]
const PLAIN_ON_TLS: &[u8] = b"HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: 52\r\nConnection: close\r\n\r\nThis port speaks TLS: use https:// for this server.\n";

/// A connection `C` (HTTP, XML-RPC, framing: any [`Duplex`]) behind TLS.
///
/// Ciphertext goes in and out at the driver's side; `C` sees only plaintext. The handshake
/// is part of the connection's first message as far as deadlines go: a client that
/// stalls mid-handshake is held to the request deadline of [`Served`](crate::serve::Served),
/// and one that never sends is a silent connection like any other. A plaintext HTTP request
/// gets a plaintext `400` that says to use `https://`; any other non-TLS input, or a failed
/// handshake, gets rustls' alert and the close. When `C` finishes, `close_notify` goes out
/// before the close.
///
/// ```
/// use netloom_core::tls::{TlsAcceptor, TlsServerConfig};
/// # fn config() -> TlsServerConfig { unimplemented!() }
/// fn serve_tls<C: netloom_core::Duplex>(config: TlsServerConfig, conn: C) {
/// let acceptor = TlsAcceptor::tls(config);
/// let conn = acceptor.wrap(conn); // a MaybeTls<C>: a Duplex to drive like any other
/// # let _ = conn;
/// }
/// ```
#[cfg(feature = "tls")]
pub struct TlsServer<C> {
    inner: C,
    session: Session,
    state: State,
    refusal_sent: usize,
}

#[cfg(feature = "tls")]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Open,
    /// Plaintext HTTP came: the `400` is being written, then the close.
    Refusing,
    /// The handshake or the connection failed: the alert goes out, then the close.
    Failed,
}

#[cfg(feature = "tls")]
impl<C: std::fmt::Debug> std::fmt::Debug for TlsServer<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsServer")
            .field("inner", &self.inner)
            .field("session", &self.session)
            .field("state", &self.state)
            .finish()
    }
}

/// Whether `data` starts the way a plaintext HTTP request does (an upper-case method).
#[cfg(feature = "tls")]
fn looks_like_http(data: &[u8]) -> bool {
    data.first().is_some_and(|b| b.is_ascii_uppercase())
}

#[cfg(feature = "tls")]
impl<C: Duplex> TlsServer<C> {
    /// `inner` behind TLS under `config` (an error only for a configuration rustls
    /// cannot use).
    pub fn new(inner: C, config: &TlsServerConfig) -> Result<Self, super::TlsError> {
        Ok(TlsServer::with_session(inner, Session::server(config)?))
    }

    fn with_session(inner: C, session: Session) -> Self {
        TlsServer {
            inner,
            session,
            state: State::Open,
            refusal_sent: 0,
        }
    }

    /// The connection inside.
    pub fn get_ref(&self) -> &C {
        &self.inner
    }

    /// The name the client asked for (SNI), once the handshake has it.
    pub fn server_name(&self) -> Option<&str> {
        self.session.server_name()
    }

    /// Moves `inner`'s output into TLS while the ciphertext waiting stays under its bound,
    /// and closes TLS once `inner` is done.
    fn pump(&mut self, now: Now) {
        if self.state != State::Open {
            return;
        }
        while self.session.pending() < OUT_HIGH {
            let out = self.inner.transmit();
            if out.is_empty() {
                break;
            }
            let n = self.session.send(out);
            if n == 0 {
                break;
            }
            self.inner.advance(now, n);
        }
        if self.inner.is_finished() && !self.session.is_handshaking() {
            self.session.close();
        }
    }
}

#[cfg(feature = "tls")]
impl<C: Duplex> Duplex for TlsServer<C> {
    type Done = C::Done;

    fn receive(&mut self, now: Now, data: &[u8]) {
        if self.state != State::Open {
            return;
        }
        if !self.session.got_bytes() && looks_like_http(data) {
            self.state = State::Refusing;
            return;
        }
        let inner = &mut self.inner;
        let result = self.session.receive(now, data, &mut |plain| match plain {
            Plain::Secured(info) => inner.secured(std::sync::Arc::new(info)),
            Plain::Data(data) => inner.receive(now, data),
        });
        match result {
            Ok(()) => {
                if self.session.peer_closed() {
                    self.inner.receive_eof(now);
                }
            }
            Err(_) => self.state = State::Failed,
        }
        self.pump(now);
    }

    fn receive_eof(&mut self, now: Now) {
        self.session.receive_eof();
        if self.state == State::Open {
            // Clean or not, no more requests come; a request cut short is `inner`'s to judge.
            self.inner.receive_eof(now);
            self.pump(now);
        }
    }

    fn transmit(&self) -> &[u8] {
        match self.state {
            State::Refusing => &PLAIN_ON_TLS[self.refusal_sent..],
            _ => self.session.transmit(),
        }
    }

    fn advance(&mut self, now: Now, n: usize) {
        match self.state {
            State::Refusing => self.refusal_sent = (self.refusal_sent + n).min(PLAIN_ON_TLS.len()),
            _ => {
                self.session.advance(n);
                self.pump(now);
            }
        }
    }

    fn wants_read(&self) -> bool {
        match self.state {
            State::Open if self.session.is_handshaking() => true,
            State::Open => !self.session.close_sent() && self.inner.wants_read(),
            _ => false,
        }
    }

    fn is_finished(&self) -> bool {
        self.transmit().is_empty()
            && match self.state {
                State::Open => self.session.close_sent(),
                State::Refusing | State::Failed => true,
            }
    }

    fn mid_message(&self) -> bool {
        match self.state {
            State::Open => {
                (self.session.is_handshaking() && self.session.got_bytes())
                    || self.inner.mid_message()
            }
            _ => false,
        }
    }

    fn take_job(&mut self) -> Option<Job<Self::Done>> {
        match self.state {
            State::Open => self.inner.take_job(),
            _ => None,
        }
    }

    fn complete(&mut self, now: Now, done: Self::Done) {
        self.inner.complete(now, done);
        self.pump(now);
    }
}
