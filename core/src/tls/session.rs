//! One rustls connection as buffers, for either role: ciphertext in from the socket and out
//! to it, plaintext out to netloom's state machine and in from it.

use std::io::{self, BufRead, Write};
use std::sync::Arc;

use super::clock::FedClock;
use super::error::{printable, TlsError};
use crate::Now;

/// Ciphertext held unsent before plaintext stops being taken in: the output stays bounded
/// however much the connection above has queued (it keeps the rest, under its own write
/// window).
pub(crate) const OUT_HIGH: usize = 64 * 1024;

/// A TLS connection's buffers and its view of how it ended.
/// What a [`Session::receive`] hands on, in order.
pub(crate) enum Plain<'a> {
    /// The handshake is done (given once, before any data).
    Secured(super::TlsInfo),
    /// Decrypted application data.
    Data(&'a [u8]),
}

pub(crate) struct Session {
    conn: rustls::Connection,
    clock: Option<Arc<FedClock>>,
    out: Vec<u8>,
    sent: usize,
    /// The host a client connected to (for its error messages).
    host: Option<String>,
    /// Any byte came from the peer.
    got_bytes: bool,
    /// The peer sent `close_notify`.
    peer_closed: bool,
    /// The transport reached its end.
    eof: bool,
    failed: Option<TlsError>,
    close_sent: bool,
    /// The end of the handshake was handed on ([`Plain::Secured`]).
    announced: bool,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("handshaking", &self.conn.is_handshaking())
            .field("out", &(self.out.len() - self.sent))
            .field("peer_closed", &self.peer_closed)
            .field("failed", &self.failed)
            .finish_non_exhaustive()
    }
}

/// TLS record content types (RFC 8446 §5.1): what a TLS peer's first byte is.
fn is_tls_record(first: u8) -> bool {
    (20..=24).contains(&first)
}

impl Session {
    #[cfg_attr(not(feature = "client"), allow(dead_code))]
    pub(crate) fn client(
        config: &super::TlsClientConfig,
        host: &str,
        now: Now,
    ) -> Result<Session, TlsError> {
        let (rustls, clock) = config.resolve()?;
        let name = rustls::pki_types::ServerName::try_from(host.to_owned())
            .map_err(|_| TlsError::Config(format!("'{host}' is not a name TLS can verify")))?;
        if let Some(c) = &clock {
            c.feed(now.wall);
        }
        let conn = rustls::ClientConnection::new(rustls, name)
            .map_err(|e| TlsError::from_rustls(&e, Some(host)))?;
        let mut s = Session::new(conn.into(), clock);
        s.host = Some(host.to_owned());
        s.flush();
        Ok(s)
    }

    pub(crate) fn server(config: &super::TlsServerConfig) -> Result<Session, TlsError> {
        let conn = rustls::ServerConnection::new(Arc::clone(&config.rustls))
            .map_err(|e| TlsError::from_rustls(&e, None))?;
        Ok(Session::new(conn.into(), config.clock.clone()))
    }

    fn new(conn: rustls::Connection, clock: Option<Arc<FedClock>>) -> Session {
        Session {
            conn,
            clock,
            out: Vec::new(),
            sent: 0,
            host: None,
            got_bytes: false,
            peer_closed: false,
            eof: false,
            failed: None,
            close_sent: false,
            announced: false,
        }
    }

    /// Ciphertext `data` from the peer at `now`; the plaintext it carries goes to `deliver`,
    /// in order, straight from rustls' buffer (no copy of ours). An error is final (the
    /// alert for the peer, if any, is in [`transmit`](Self::transmit)); plaintext before it
    /// is delivered first.
    pub(crate) fn receive(
        &mut self,
        now: Now,
        mut data: &[u8],
        deliver: &mut dyn FnMut(Plain<'_>),
    ) -> Result<(), TlsError> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        if data.is_empty() || self.peer_closed {
            return Ok(());
        }
        if !self.got_bytes {
            self.got_bytes = true;
            if !is_tls_record(data[0]) {
                return Err(self.fail(TlsError::NotTls {
                    answered: printable(data, 80),
                }));
            }
        }
        if let Some(c) = &self.clock {
            c.feed(now.wall);
        }
        while !data.is_empty() && !self.peer_closed {
            match self.conn.read_tls(&mut data) {
                Ok(0) => break,
                Ok(_) => {}
                // The plaintext buffer is full: it is emptied below, then reading goes on.
                Err(e) if e.kind() == io::ErrorKind::Other => {}
                Err(e) => return Err(self.fail(TlsError::Handshake(e.to_string()))),
            }
            let processed = self.conn.process_new_packets();
            if !self.announced && !self.conn.is_handshaking() {
                self.announced = true;
                deliver(Plain::Secured(self.info()));
            }
            self.drain_plaintext(deliver);
            if let Err(e) = processed {
                let host = self.host.clone();
                let e = TlsError::from_rustls(&e, host.as_deref());
                self.flush();
                return Err(self.fail(e));
            }
        }
        self.flush();
        Ok(())
    }

    fn drain_plaintext(&mut self, deliver: &mut dyn FnMut(Plain<'_>)) {
        let mut reader = self.conn.reader();
        loop {
            match reader.fill_buf() {
                // Nothing more, and the peer's close_notify came after everything it sent.
                Ok([]) => {
                    self.peer_closed = true;
                    return;
                }
                Ok(chunk) => {
                    let n = chunk.len();
                    deliver(Plain::Data(chunk));
                    reader.consume(n);
                }
                // WouldBlock: all there is for now. Another error is a transport EOF
                // without close_notify, which `receive_eof` tells.
                Err(_) => return,
            }
        }
    }

    /// The transport reached its end. Returns whether the peer closed TLS properly
    /// (`close_notify`) first.
    pub(crate) fn receive_eof(&mut self) -> bool {
        if !self.eof {
            self.eof = true;
            // rustls learns of the end from a read of nothing.
            let _ = self.conn.read_tls(&mut io::empty());
        }
        self.peer_closed
    }

    /// Plaintext to send: returns how much rustls took (less than `data` while the
    /// handshake is on and its buffer is full, or once the output is at [`OUT_HIGH`]).
    pub(crate) fn send(&mut self, data: &[u8]) -> usize {
        if self.failed.is_some() || self.close_sent || self.pending() >= OUT_HIGH {
            return 0;
        }
        let n = self.conn.writer().write(data).unwrap_or(0);
        self.flush();
        n
    }

    /// Queues `close_notify` (once).
    pub(crate) fn close(&mut self) {
        if !self.close_sent {
            self.close_sent = true;
            self.conn.send_close_notify();
            self.flush();
        }
    }

    /// Moves what rustls has to send into the output buffer.
    fn flush(&mut self) {
        while self.conn.wants_write() {
            if self.conn.write_tls(&mut self.out).is_err() {
                break;
            }
        }
    }

    fn fail(&mut self, e: TlsError) -> TlsError {
        self.failed = Some(e.clone());
        e
    }

    /// Ciphertext to write.
    pub(crate) fn transmit(&self) -> &[u8] {
        &self.out[self.sent..]
    }

    /// `n` bytes of [`transmit`](Self::transmit) were written.
    pub(crate) fn advance(&mut self, n: usize) {
        self.sent = (self.sent + n).min(self.out.len());
        if self.sent == self.out.len() {
            self.out.clear();
            self.sent = 0;
        } else if self.sent > OUT_HIGH {
            self.out.drain(..self.sent);
            self.sent = 0;
        }
    }

    /// Ciphertext bytes not yet written.
    pub(crate) fn pending(&self) -> usize {
        self.out.len() - self.sent
    }

    pub(crate) fn is_handshaking(&self) -> bool {
        self.conn.is_handshaking()
    }

    pub(crate) fn got_bytes(&self) -> bool {
        self.got_bytes
    }

    pub(crate) fn peer_closed(&self) -> bool {
        self.peer_closed
    }

    pub(crate) fn close_sent(&self) -> bool {
        self.close_sent
    }

    /// What the handshake established.
    fn info(&self) -> super::TlsInfo {
        super::TlsInfo {
            server_name: self.server_name().map(str::to_owned),
            alpn_protocol: self.conn.alpn_protocol().map(<[u8]>::to_vec),
            peer_certificates: self
                .conn
                .peer_certificates()
                .map(|chain| chain.iter().map(|c| c.as_ref().to_vec()).collect())
                .unwrap_or_default(),
        }
    }

    /// The negotiated ALPN protocol and, on a server, the name the client asked for.
    pub(crate) fn server_name(&self) -> Option<&str> {
        match &self.conn {
            rustls::Connection::Server(s) => s.server_name(),
            rustls::Connection::Client(_) => None,
        }
    }
}
