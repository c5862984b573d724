use core::fmt;
use core::net::{IpAddr, SocketAddr};

use super::{Decoder, FrameError};

/// One end of a connection: an IP address and port, or a Unix domain socket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Addr {
    /// A TCP end.
    Inet(SocketAddr),
    /// A Unix domain socket end (its path, when it has one, is the server's business: a
    /// client's end is usually unnamed).
    Unix,
}

impl Addr {
    /// The IP address and port, for a TCP end.
    pub fn socket_addr(&self) -> Option<SocketAddr> {
        match self {
            Addr::Inet(a) => Some(*a),
            Addr::Unix => None,
        }
    }

    /// The IP address, for a TCP end.
    pub fn ip(&self) -> Option<IpAddr> {
        self.socket_addr().map(|a| a.ip())
    }

    /// The port, for a TCP end.
    pub fn port(&self) -> Option<u16> {
        self.socket_addr().map(|a| a.port())
    }

    /// The host part as a log line shows it: the IP address, or `unix`.
    pub fn host(&self) -> String {
        match self {
            Addr::Inet(a) => a.ip().to_string(),
            Addr::Unix => "unix".to_owned(),
        }
    }
}

impl From<SocketAddr> for Addr {
    fn from(a: SocketAddr) -> Addr {
        Addr::Inet(a)
    }
}

impl core::str::FromStr for Addr {
    type Err = core::net::AddrParseError;
    /// An `IP:port` address.
    fn from_str(s: &str) -> Result<Addr, Self::Err> {
        s.parse().map(Addr::Inet)
    }
}

impl fmt::Display for Addr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Addr::Inet(a) => a.fmt(f),
            Addr::Unix => f.write_str("unix"),
        }
    }
}

/// The two ends of an accepted connection, for a [`Service`] to log or use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnInfo {
    /// Our socket's address.
    pub local: Addr,
    /// The peer's address.
    pub peer: Addr,
}

/// What a [`Service`] wants done after a connection event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// Nothing to send; keep reading.
    Nothing,
    /// Send these bytes and keep reading.
    Send(Vec<u8>),
    /// Send these bytes, then close once they are written.
    SendAndClose(Vec<u8>),
    /// Close without sending anything more.
    Close,
}

/// A framed request/reply protocol, written once and served by any runtime.
///
/// The runtime calls these methods through a [`Session`]; none of them does I/O.
pub trait Service {
    /// The framing this service reads.
    type Decoder: Decoder;

    /// A fresh decoder for a new connection.
    fn decoder(&self) -> Self::Decoder;

    /// Called once when a connection is accepted: a greeting, or an immediate close.
    fn on_connect(&self, conn: &ConnInfo) -> Reply {
        let _ = conn;
        Reply::Nothing
    }

    /// Called for every complete frame.
    fn on_frame(&self, conn: &ConnInfo, frame: Vec<u8>) -> Reply;

    /// Called when the stream fails (a short read at EOF, an oversize frame). The connection
    /// is closed afterwards.
    fn on_error(&self, conn: &ConnInfo, err: &FrameError) {
        let _ = (conn, err);
    }
}

/// One connection of a [`Service`]: frames in, replies out, and when to close.
///
/// A runtime drives it like this (see `netloom-std` for the blocking version):
///
/// ```
/// use netloom_core::frame::{ConnInfo, FixedDecoder, Reply, Service, Session};
///
/// struct Echo16;
/// impl Service for Echo16 {
///     type Decoder = FixedDecoder;
///     fn decoder(&self) -> FixedDecoder { FixedDecoder::new(16) }
///     fn on_frame(&self, _: &ConnInfo, frame: Vec<u8>) -> Reply { Reply::SendAndClose(frame) }
/// }
///
/// let info = ConnInfo { local: "127.0.0.1:1".parse().unwrap(), peer: "127.0.0.1:2".parse().unwrap() };
/// let mut session = Session::new(&Echo16, info);
/// session.receive(&Echo16, b"Hi there, server");
/// assert_eq!(session.transmit(), b"Hi there, server");
/// let n = session.transmit().len();
/// session.advance(n); // the runtime wrote n bytes
/// assert!(session.is_finished()); // so it closes the socket
/// ```
#[derive(Debug)]
pub struct Session<D> {
    info: ConnInfo,
    decoder: D,
    out: Vec<u8>,
    sent: usize,
    closing: bool,
    error: Option<FrameError>,
}

impl<D: Decoder> Session<D> {
    /// Starts a session for a just-accepted connection, queueing the service's greeting.
    pub fn new<S: Service<Decoder = D>>(service: &S, info: ConnInfo) -> Self {
        let mut session = Session {
            info,
            decoder: service.decoder(),
            out: Vec::new(),
            sent: 0,
            closing: false,
            error: None,
        };
        let reply = guarded(|| service.on_connect(&info));
        session.apply(reply);
        session
    }

    /// The connection's addresses.
    pub fn info(&self) -> &ConnInfo {
        &self.info
    }

    /// Feeds bytes read from the socket and runs the service on every complete frame.
    pub fn receive<S: Service<Decoder = D>>(&mut self, service: &S, data: &[u8]) {
        if self.closing {
            return;
        }
        self.decoder.receive(data);
        self.drain_frames(service);
    }

    /// Records that the peer closed its side.
    pub fn receive_eof<S: Service<Decoder = D>>(&mut self, service: &S) {
        if self.closing {
            return;
        }
        self.decoder.receive_eof();
        self.drain_frames(service);
        // Nothing more can arrive, so the session ends once its output is written.
        self.closing = true;
    }

    fn drain_frames<S: Service<Decoder = D>>(&mut self, service: &S) {
        while !self.closing {
            match self.decoder.next_frame() {
                Ok(Some(frame)) => {
                    let info = self.info;
                    let reply = guarded(|| service.on_frame(&info, frame));
                    self.apply(reply);
                }
                Ok(None) => break,
                Err(err) => {
                    let info = self.info;
                    let _ = guarded(|| {
                        service.on_error(&info, &err);
                        Reply::Nothing
                    });
                    self.error = Some(err);
                    self.closing = true;
                }
            }
        }
    }

    fn apply(&mut self, reply: Reply) {
        match reply {
            Reply::Nothing => {}
            Reply::Send(bytes) => self.queue(&bytes),
            Reply::SendAndClose(bytes) => {
                self.queue(&bytes);
                self.closing = true;
            }
            Reply::Close => self.closing = true,
        }
    }

    fn queue(&mut self, bytes: &[u8]) {
        if self.sent == self.out.len() {
            self.out.clear();
            self.sent = 0;
        }
        self.out.extend_from_slice(bytes);
    }

    /// Bytes waiting to be written to the socket.
    pub fn transmit(&self) -> &[u8] {
        &self.out[self.sent..]
    }

    /// Marks `n` bytes of [`transmit`](Self::transmit) as written.
    pub fn advance(&mut self, n: usize) {
        self.sent = (self.sent + n).min(self.out.len());
        if self.sent == self.out.len() {
            self.out.clear();
            self.sent = 0;
        }
    }

    /// Whether the runtime should keep reading from the socket.
    pub fn wants_read(&self) -> bool {
        !self.closing
    }

    /// Whether the connection is over: the session decided to close (or the peer did) and all
    /// output has been written. The runtime closes the socket then.
    pub fn is_finished(&self) -> bool {
        self.closing && self.transmit().is_empty()
    }

    /// Whether a frame is part-way in.
    pub fn mid_frame(&self) -> bool {
        !self.closing && self.decoder.buffered() > 0
    }

    /// The framing error that ended the session, if any.
    pub fn error(&self) -> Option<&FrameError> {
        self.error.as_ref()
    }
}

/// A [`Session`] bound to its service, so a runtime can drive it as a [`Duplex`](crate::Duplex).
///
/// `P` is anything that derefs to the service (a reference, an `Arc`, a `Box`).
#[derive(Debug)]
pub struct Bound<P, D> {
    service: P,
    session: Session<D>,
}

impl<P, S> Bound<P, S::Decoder>
where
    P: core::ops::Deref<Target = S>,
    S: Service,
{
    /// Starts a session of `service` for the connection `info`.
    pub fn new(service: P, info: ConnInfo) -> Self {
        let session = Session::new(&*service, info);
        Bound { service, session }
    }

    /// The underlying session.
    pub fn session(&self) -> &Session<S::Decoder> {
        &self.session
    }
}

impl<P, S> crate::Duplex for Bound<P, S::Decoder>
where
    P: core::ops::Deref<Target = S>,
    S: Service,
{
    type Done = ();

    fn receive(&mut self, _now: crate::Now, data: &[u8]) {
        self.session.receive(&*self.service, data);
    }
    fn receive_eof(&mut self, _now: crate::Now) {
        self.session.receive_eof(&*self.service);
    }
    fn transmit(&self) -> &[u8] {
        self.session.transmit()
    }
    fn advance(&mut self, _now: crate::Now, n: usize) {
        self.session.advance(n);
    }
    fn wants_read(&self) -> bool {
        self.session.wants_read()
    }
    fn is_finished(&self) -> bool {
        self.session.is_finished()
    }
    fn mid_message(&self) -> bool {
        self.session.mid_frame()
    }
}

/// Runs a service callback; one that panics closes its connection instead of unwinding into
/// the runtime (where it would take down a thread, or every connection of an event loop).
fn guarded(callback: impl FnOnce() -> Reply) -> Reply {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(callback)).unwrap_or(Reply::Close)
}
