//! One request/response cycle over a client-role connection, without I/O.

use std::io;

use super::{ClientConfig, ClientError};
#[cfg(feature = "gzip")]
use crate::http::content_coding::Decoder;
use crate::http::content_coding::{self, Coding};
use crate::http::{Connection, Error, Event, Headers, Limits, Request, Response, Role};

/// Without the `gzip` feature nothing is decoded: a decoder that never exists.
#[cfg(not(feature = "gzip"))]
#[derive(Debug)]
enum Decoder {}

#[cfg(not(feature = "gzip"))]
impl Decoder {
    fn decode(
        &mut self,
        _: &[u8],
        _: &mut Vec<u8>,
        _: usize,
    ) -> Result<usize, content_coding::ContentError> {
        match *self {}
    }

    fn finish(&self) -> Result<(), content_coding::ContentError> {
        match *self {}
    }
}

/// One step of an [`Exchange`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Nothing more until the socket gives more bytes (or EOF).
    NeedInput,
    /// The final response head (1xx responses are skipped).
    Head(Response),
    /// A piece of the body.
    Data(Vec<u8>),
    /// The response is complete. `reusable`: the connection may carry another request (send
    /// it back to the pool); otherwise close it.
    End {
        /// Whether the connection can be reused.
        reusable: bool,
    },
}

/// Decoded body bytes one [`Step::Data`] carries at most.
pub(super) const DECODED_CHUNK: usize = 64 * 1024;

/// One request/response cycle over a client-role [`Connection`], without I/O.
///
/// Turns the connection's events into the client's view: EOF before any response byte is
/// [`ClientError::NoResponse`] (on a reused connection, retry on a fresh one: see
/// [`is_stale`](Exchange::is_stale)), EOF inside the body is
/// [`ClientError::BodyIncomplete`], a protocol violation is [`ClientError::Protocol`].
///
/// A response body in a content coding the request asked for (`Accept-Encoding`, which
/// [`build_request`] sets to `gzip, deflate`) is decoded: its [`Step::Data`] carry decoded
/// bytes (at most 64 KiB each, whatever the data inflates to), the head returned has no
/// `Content-Encoding` and no `Content-Length` (they described the coded body), and corrupt,
/// truncated or oversized data is [`ClientError::Decoding`]. A coding the request did not
/// ask for is passed through with its headers.
#[derive(Debug)]
pub struct Exchange {
    conn: Connection,
    head_request: bool,
    got_bytes: bool,
    head_seen: bool,
    finished: bool,
    expected: Option<u64>,
    received: u64,
    /// The codings the request accepted.
    accepted: Accepted,
    /// Most bytes a coded body may decode to.
    #[cfg_attr(not(feature = "gzip"), allow(dead_code))]
    max_decoded: u64,
    /// Set while a coded body is decoded.
    decoder: Option<Decoder>,
    /// Coded bytes received and not yet decoded (from `pending_pos`).
    pending: Vec<u8>,
    pending_pos: usize,
    /// The coded body ended; what the decoder holds is still to come out.
    coded_end: bool,
    /// `1xx` responses seen, and how many are allowed.
    informational: usize,
    max_informational: usize,
}

/// Which content codings a request's `Accept-Encoding` allows.
#[derive(Debug, Clone, Copy, Default)]
#[cfg_attr(not(feature = "gzip"), allow(dead_code))]
struct Accepted {
    gzip: bool,
    deflate: bool,
}

impl Exchange {
    /// A fresh exchange on a new client connection state (one per request, also on a
    /// reused socket: the previous cycle left nothing behind, or it was not reusable).
    /// Coded bodies decode to at most [`ClientConfig::max_decoded_body_bytes`]'s default.
    #[cfg(test)]
    pub fn new(limits: Limits) -> Self {
        Exchange::with_decoded_limit(limits, ClientConfig::default().max_decoded_body_bytes)
    }

    /// An exchange under `config`'s limits and decoding cap.
    pub fn for_config(config: &ClientConfig) -> Self {
        let mut ex =
            Exchange::with_decoded_limit(config.limits.clone(), config.max_decoded_body_bytes);
        ex.max_informational = config.max_informational;
        ex
    }

    /// An exchange whose coded bodies may decode to at most `max_decoded` bytes.
    pub fn with_decoded_limit(limits: Limits, max_decoded: u64) -> Self {
        Exchange {
            conn: Connection::new(Role::Client, limits),
            head_request: false,
            got_bytes: false,
            head_seen: false,
            finished: false,
            expected: None,
            received: 0,
            accepted: Accepted::default(),
            max_decoded,
            decoder: None,
            pending: Vec::new(),
            pending_pos: 0,
            coded_end: false,
            informational: 0,
            max_informational: ClientConfig::default().max_informational,
        }
    }

    /// Appends the bytes of `request` and `body` to `out`. With a body, give the request a
    /// `Content-Length` ([`build_request`](super::build_request) does).
    pub fn start(
        &mut self,
        request: Request,
        body: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<(), ClientError> {
        self.start_head(request, out)?;
        self.send_body(body, out)?;
        self.finish_body(out)
    }

    /// Appends the bytes of `request`'s head to `out`; its body follows with
    /// [`send_body`](Exchange::send_body) and [`finish_body`](Exchange::finish_body)
    /// (a streamed upload: `Content-Length` if the head declares one, chunked otherwise).
    pub fn start_head(&mut self, request: Request, out: &mut Vec<u8>) -> Result<(), ClientError> {
        self.head_request = request.method() == "HEAD";
        self.accepted = Accepted {
            gzip: content_coding::accepts(request.headers(), Coding::Gzip),
            deflate: content_coding::accepts(request.headers(), Coding::Deflate),
        };
        self.conn
            .send(Event::Request(request), out)
            .map_err(ClientError::Protocol)
    }

    /// Appends a piece of the request body to `out`.
    pub fn send_body(&mut self, data: &[u8], out: &mut Vec<u8>) -> Result<(), ClientError> {
        if data.is_empty() {
            return Ok(());
        }
        self.conn
            .send_data(data, out)
            .map_err(ClientError::Protocol)
    }

    /// Appends the end of the request body to `out` (a chunked body's last chunk).
    pub fn finish_body(&mut self, out: &mut Vec<u8>) -> Result<(), ClientError> {
        self.conn
            .send(Event::EndOfMessage(Headers::new()), out)
            .map_err(ClientError::Protocol)
    }

    /// Buffers bytes read from the socket.
    pub fn receive(&mut self, data: &[u8]) {
        if !data.is_empty() {
            self.got_bytes = true;
        }
        self.conn.receive(data);
    }

    /// Records that the server closed the connection.
    pub fn receive_eof(&mut self) {
        self.conn.receive_eof();
    }

    /// The next step. Call until it says [`Step::NeedInput`] (read more) or [`Step::End`];
    /// after `End` it keeps returning `End`.
    pub fn step(&mut self) -> Result<Step, ClientError> {
        if self.finished {
            return Ok(Step::End {
                reusable: self.reusable(),
            });
        }
        loop {
            if let Some(decoded) = self.decode_pending()? {
                return Ok(Step::Data(decoded));
            }
            if self.coded_end {
                if let Some(decoder) = self.decoder.take() {
                    decoder.finish().map_err(ClientError::Decoding)?;
                }
                self.finished = true;
                return Ok(Step::End {
                    reusable: self.reusable(),
                });
            }
            let event = match self.conn.next_event() {
                Ok(ev) => ev,
                Err(Error::UnexpectedEof) if self.head_seen => {
                    return Err(ClientError::BodyIncomplete {
                        expected: self.expected,
                        received: self.received,
                    })
                }
                Err(e) => return Err(ClientError::Protocol(e)),
            };
            match event {
                None => return Ok(Step::NeedInput),
                Some(Event::InformationalResponse(_)) => {
                    self.informational += 1;
                    if self.informational > self.max_informational {
                        return Err(ClientError::TooManyInformational {
                            max: self.max_informational,
                        });
                    }
                    continue;
                }
                Some(Event::Response(mut resp)) => {
                    self.head_seen = true;
                    if !self.head_request {
                        self.expected = resp
                            .headers()
                            .get_str("Content-Length")
                            .and_then(|v| v.trim().parse().ok());
                        self.start_decoding(&mut resp);
                    }
                    return Ok(Step::Head(resp));
                }
                Some(Event::Data(d)) => {
                    self.received += d.len() as u64;
                    if self.decoder.is_some() {
                        if self.pending_pos == self.pending.len() {
                            self.pending = d;
                            self.pending_pos = 0;
                        } else {
                            self.pending.extend_from_slice(&d);
                        }
                        continue;
                    }
                    return Ok(Step::Data(d));
                }
                Some(Event::EndOfMessage(_)) => {
                    if self.decoder.is_some() {
                        self.coded_end = true;
                        continue;
                    }
                    self.finished = true;
                    return Ok(Step::End {
                        reusable: self.reusable(),
                    });
                }
                Some(Event::ConnectionClosed) => {
                    return Err(if self.head_seen {
                        ClientError::BodyIncomplete {
                            expected: self.expected,
                            received: self.received,
                        }
                    } else {
                        ClientError::NoResponse
                    })
                }
                Some(Event::Request(_)) => {
                    return Err(ClientError::Protocol(Error::InvalidStatusLine))
                }
            }
        }
    }

    /// Without the `gzip` feature a coded body is passed through with its headers.
    #[cfg(not(feature = "gzip"))]
    fn start_decoding(&mut self, _resp: &mut Response) {}

    /// Sets up decoding when the response's body is in a coding the request asked for;
    /// the head then loses the fields that described the coded body.
    #[cfg(feature = "gzip")]
    fn start_decoding(&mut self, resp: &mut Response) {
        let status = resp.status();
        if status == 204 || status == 304 {
            return;
        }
        let coding = match Coding::of(resp.headers()) {
            Ok(c @ Coding::Gzip) if self.accepted.gzip => c,
            Ok(c @ Coding::Deflate) if self.accepted.deflate => c,
            _ => return,
        };
        self.decoder = Some(Decoder::new(coding, self.max_decoded));
        resp.remove_header("Content-Encoding");
        resp.remove_header("Content-Length");
        self.expected = None;
    }

    /// The next piece of decoded body from what is pending (or held in the decoder).
    fn decode_pending(&mut self) -> Result<Option<Vec<u8>>, ClientError> {
        let Some(decoder) = self.decoder.as_mut() else {
            return Ok(None);
        };
        let mut out = Vec::new();
        let input = self.pending.get(self.pending_pos..).unwrap_or(&[]);
        let used = decoder
            .decode(input, &mut out, DECODED_CHUNK)
            .map_err(ClientError::Decoding)?;
        self.pending_pos += used;
        if self.pending_pos >= self.pending.len() {
            self.pending.clear();
            self.pending_pos = 0;
        }
        Ok((!out.is_empty()).then_some(out))
    }

    fn reusable(&self) -> bool {
        self.finished && self.conn.keep_alive() && self.conn.buffered_len() == 0
    }

    /// Body bytes received so far, as they came over the wire (before any decoding).
    #[cfg(test)]
    pub fn received(&self) -> u64 {
        self.received
    }

    /// Whether the response body being read ends only when the connection does (see
    /// [`Connection::body_ends_at_eof`]).
    pub fn body_ends_at_eof(&self) -> bool {
        self.conn.body_ends_at_eof()
    }

    /// The declared `Content-Length` of the response body, once the head is known (`None`
    /// for a body being decoded: its decoded length is not known ahead).
    pub fn expected(&self) -> Option<u64> {
        self.expected
    }

    /// True when `err`, on a connection taken from the idle pool, means that connection had
    /// gone stale (the server closed it while idle) rather than that the server refused this
    /// request: no response byte arrived and the error is a close, a reset, a broken pipe or
    /// a write failure. The request can then be retried once on a fresh connection.
    pub fn is_stale(&self, err: &ClientError) -> bool {
        if self.got_bytes {
            return false;
        }
        match err {
            ClientError::NoResponse => true,
            ClientError::Io(e) => matches!(
                e.kind(),
                io::ErrorKind::ConnectionReset
                    | io::ErrorKind::ConnectionAborted
                    | io::ErrorKind::BrokenPipe
                    | io::ErrorKind::UnexpectedEof
                    | io::ErrorKind::NotConnected
            ),
            _ => false,
        }
    }
}
