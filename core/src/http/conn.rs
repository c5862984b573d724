//! The connection: input buffering, the per-side state machine, and the glue between head
//! parsing, body readers and body writers.

use super::body_read::{BodyReader, Found};
use super::body_write::BodyWriter;
use super::framing::BodyKind;
use super::head_read::{self, FieldTable, HeadScanner};
use super::head_write::{self, ResponseContext};
use super::headers::{push_packed, HeadersRef, PACKED_FIELD};
use super::{
    Error, Event, EventRef, Headers, Limits, Request, RequestRef, Response, ResponseRef, Role,
    State, Version,
};

/// Consumed input is compacted away once this many bytes are dead at the buffer front.
const COMPACT_AT: usize = 4096;

/// Spare room the input buffer gets when it grows, so that a head that is all of it can take
/// its packed field table (up to 32 fields) along without reallocating.
const TABLE_ROOM: usize = 32 * PACKED_FIELD;

/// What one step of the reading side found, before it becomes an owned [`Event`] or a
/// borrowed [`EventRef`]. Positions are absolute in `rbuf`, whose bytes stay where they are
/// until the next `receive` (which takes `&mut self`, so no borrowed event is alive then).
#[derive(Debug, Clone, Copy)]
enum Step {
    Request {
        at: usize,
        len: usize,
        method: (usize, usize),
        target: (usize, usize),
        version: Version,
    },
    Response {
        at: usize,
        len: usize,
        status: u16,
        reason: (usize, usize),
        version: Version,
        informational: bool,
    },
    Data(usize, usize),
    End,
    Closed,
}

/// A sans-IO HTTP/1.1 connection in the client or the server role.
///
/// Feed it the bytes you read with [`receive`](Connection::receive) (and
/// [`receive_eof`](Connection::receive_eof) when the peer closes), pull events with
/// [`next_event`](Connection::next_event), and turn your own events into bytes with
/// [`send`](Connection::send). It never performs I/O. See the [module docs](super) for a
/// complete driving loop.
#[derive(Debug)]
pub struct Connection {
    role: Role,
    limits: Limits,
    our_state: State,
    their_state: State,
    keep_alive: bool,

    rbuf: Vec<u8>,
    rpos: usize,
    eof: bool,
    scanner: HeadScanner,
    reader: BodyReader,
    writer: BodyWriter,
    error: Option<Error>,
    /// The fields of the head parsed last, as ranges from that head's start in `rbuf`.
    /// Reused, so parsing allocates nothing.
    fields: FieldTable,
    /// The trailers of the message that ended last (empty unless chunked with trailers).
    trailers: Headers,

    /// The current request is HEAD (its response has no body).
    head_request: bool,
    /// Server role: version of the current request.
    peer_version: Version,
    /// Server role: the client sent `Expect: 100-continue`, has a body to send, and has had
    /// neither `100 Continue` nor a final response nor sent any body byte yet.
    waiting_for_continue: bool,
}

impl Connection {
    /// A new connection in `role`, both sides [`State::Idle`].
    pub fn new(role: Role, limits: Limits) -> Self {
        Connection {
            role,
            limits,
            our_state: State::Idle,
            their_state: State::Idle,
            keep_alive: true,
            rbuf: Vec::new(),
            rpos: 0,
            eof: false,
            scanner: HeadScanner::default(),
            reader: BodyReader::Idle,
            writer: BodyWriter::Idle,
            error: None,
            fields: FieldTable::default(),
            trailers: Headers::new(),
            head_request: false,
            peer_version: Version::Http11,
            waiting_for_continue: false,
        }
    }

    /// Which role this connection plays.
    pub fn role(&self) -> Role {
        self.role
    }

    /// The limits it enforces.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Our side's state: what we may send next.
    pub fn our_state(&self) -> State {
        self.our_state
    }

    /// The peer's state: what we expect to receive next.
    pub fn their_state(&self) -> State {
        self.their_state
    }

    /// False once anything has ruled out reusing the connection for another exchange
    /// (`Connection: close` either way, HTTP/1.0 without keep-alive, a close-delimited body,
    /// an unanswered `Expect: 100-continue`, EOF, an error). Once false it stays false, and a
    /// side that finishes its message goes to [`State::MustClose`].
    pub fn keep_alive(&self) -> bool {
        self.keep_alive
    }

    /// True when the peer's current message is complete but ours is not: the next message
    /// they pipelined (if any) is held back, and [`next_event`](Connection::next_event)
    /// returns `Ok(None)` until we finish ours. A runtime may stop reading meanwhile.
    pub fn is_paused(&self) -> bool {
        self.their_state == State::Done
    }

    /// True when more input could produce an event now: the peer is between or inside a
    /// message we are waiting for, no EOF or error was seen, and we are not paused.
    pub fn wants_read(&self) -> bool {
        if self.eof || self.error.is_some() {
            return false;
        }
        match self.their_state {
            State::Idle => self.role == Role::Server,
            State::SendResponse | State::SendBody => true,
            _ => false,
        }
    }

    /// True while the peer's body being read is delimited by the connection's close (a
    /// response without `Content-Length` or chunked coding): only the end of input ends it.
    /// Over TLS, that end must be a `close_notify`, or the body may be cut short.
    pub fn body_ends_at_eof(&self) -> bool {
        self.reader.ends_at_eof()
    }

    /// Server role: the client is waiting for `100 Continue` before sending its body. Send
    /// [`Event::InformationalResponse`] with status 100 when you want the body, or a final
    /// response to refuse it (that response then carries `Connection: close`, because the
    /// client may or may not send the body anyway, so the connection cannot be reused).
    pub fn expects_continue(&self) -> bool {
        self.waiting_for_continue
    }

    /// Bytes received but not yet turned into events.
    pub fn buffered_len(&self) -> usize {
        self.rbuf.len() - self.rpos
    }

    /// The bytes received but not yet turned into events (after an error in a head: that
    /// head, from its first byte).
    pub fn buffered(&self) -> &[u8] {
        &self.rbuf[self.rpos..]
    }

    /// Buffers bytes read from the peer. Never fails and never parses; call
    /// [`next_event`](Connection::next_event) afterwards. Bytes received after
    /// [`receive_eof`](Connection::receive_eof) are ignored.
    pub fn receive(&mut self, data: &[u8]) {
        if self.eof || data.is_empty() {
            return;
        }
        if self.rpos == self.rbuf.len() {
            self.rbuf.clear();
            self.rpos = 0;
        } else if self.rpos >= COMPACT_AT && self.rpos * 2 >= self.rbuf.len() {
            self.rbuf.drain(..self.rpos);
            self.rpos = 0;
            self.scanner.reset();
        }
        if self.rbuf.capacity() == 0 {
            self.rbuf = Vec::with_capacity(data.len() + TABLE_ROOM);
        } else if self.rbuf.capacity() - self.rbuf.len() < data.len() {
            self.rbuf.reserve(data.len() + TABLE_ROOM);
        }
        self.rbuf.extend_from_slice(data);
    }

    /// Records that the peer closed its sending side. A close-delimited response body ends
    /// here; a message cut short becomes [`Error::UnexpectedEof`]; at a message boundary
    /// [`next_event`](Connection::next_event) reports [`Event::ConnectionClosed`] once the
    /// buffered input is used up.
    pub fn receive_eof(&mut self) {
        self.eof = true;
    }

    /// The next event from the peer.
    ///
    /// - `Ok(Some(event))`: one event; call again, there may be more.
    /// - `Ok(None)`: nothing until more input arrives, or paused (see
    ///   [`is_paused`](Connection::is_paused)), or the connection is closed.
    /// - `Err(e)`: the peer broke the protocol or a limit. Their state becomes
    ///   [`State::Error`], keep-alive is off, and every later call returns the same error.
    ///
    /// Server role: `Request`, `Data`*, `EndOfMessage` per request, `ConnectionClosed` at a
    /// clean EOF. Client role: `InformationalResponse`*, `Response`, `Data`*, `EndOfMessage`,
    /// and nothing at all until a request has been sent. A client that sees
    /// `ConnectionClosed` where a response was due got no response byte at all (the server
    /// closed an idle keep-alive connection, say): the request may be retried.
    ///
    /// Each head is copied once, with its field table, into one allocation (none when the
    /// head is all the input there is); [`next_event_ref`](Connection::next_event_ref) is the
    /// same without any copy.
    #[inline]
    pub fn next_event(&mut self) -> Result<Option<Event>, Error> {
        let step = match self.advance()? {
            Some(step) => step,
            None => return Ok(None),
        };
        Ok(Some(match step {
            Step::Request {
                at,
                len,
                method,
                target,
                version,
            } => {
                let storage = self.take_head(at, len);
                Event::Request(Request::from_parsed(storage, method, target, version))
            }
            Step::Response {
                at,
                len,
                status,
                reason,
                version,
                informational,
            } => {
                let resp = Response::from_parsed(self.take_head(at, len), status, reason, version);
                if informational {
                    Event::InformationalResponse(resp)
                } else {
                    Event::Response(resp)
                }
            }
            Step::Data(start, end) => Event::Data(self.take_bytes(start, end)),
            Step::End => Event::EndOfMessage(std::mem::take(&mut self.trailers)),
            Step::Closed => Event::ConnectionClosed,
        }))
    }

    /// The next event from the peer, borrowed from the connection's input buffer: exactly the
    /// events of [`next_event`](Connection::next_event), in the same order, with the same
    /// state changes and errors, but heads and body data are not copied. For an event loop
    /// that looks at a request and answers it before reading on (it must drop the event
    /// before calling `&mut self` methods again); [`EventRef::to_event`] makes an owned copy.
    ///
    /// ```
    /// use netloom_core::http::{Connection, EventRef, Headers, Limits, Response, Role, Event};
    /// let mut conn = Connection::new(Role::Server, Limits::default());
    /// conn.receive(b"GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n");
    /// let mut out = Vec::new();
    /// let mut targets = Vec::new();
    /// while let Some(ev) = conn.next_event_ref().unwrap() {
    ///     match ev {
    ///         EventRef::Request(req) => targets.push(req.target().to_owned()),
    ///         EventRef::EndOfMessage(_) => {
    ///             conn.send(Event::Response(Response::new(204)), &mut out).unwrap();
    ///             conn.send(Event::EndOfMessage(Headers::new()), &mut out).unwrap();
    ///         }
    ///         _ => {}
    ///     }
    /// }
    /// assert_eq!(targets, ["/a", "/b"]);
    /// ```
    #[inline]
    pub fn next_event_ref(&mut self) -> Result<Option<EventRef<'_>>, Error> {
        let step = match self.advance()? {
            Some(step) => step,
            None => return Ok(None),
        };
        let buf = &self.rbuf[..];
        let bytes = |start: usize, end: usize| buf.get(start..end).unwrap_or(&[]);
        Ok(Some(match step {
            Step::Request {
                at,
                len,
                method,
                target,
                version,
            } => EventRef::Request(RequestRef::new(
                HeadersRef::new(bytes(at, at + len), self.fields.as_slice()),
                method,
                target,
                version,
            )),
            Step::Response {
                at,
                len,
                status,
                reason,
                version,
                informational,
            } => {
                let resp = ResponseRef::new(
                    HeadersRef::new(bytes(at, at + len), self.fields.as_slice()),
                    status,
                    reason,
                    version,
                );
                if informational {
                    EventRef::InformationalResponse(resp)
                } else {
                    EventRef::Response(resp)
                }
            }
            Step::Data(start, end) => EventRef::Data(bytes(start, end)),
            Step::End => EventRef::EndOfMessage(self.trailers.view()),
            Step::Closed => EventRef::ConnectionClosed,
        }))
    }

    /// One step of the reading side, with the error bookkeeping of `next_event`.
    #[inline]
    fn advance(&mut self) -> Result<Option<Step>, Error> {
        if let Some(e) = &self.error {
            return Err(e.clone());
        }
        match self.step() {
            Ok(step) => Ok(step),
            Err(e) => {
                self.their_state = State::Error;
                self.keep_alive = false;
                self.waiting_for_continue = false;
                self.error = Some(e.clone());
                Err(e)
            }
        }
    }

    #[inline]
    fn step(&mut self) -> Result<Option<Step>, Error> {
        match self.their_state {
            State::Idle if self.role == Role::Server => self.read_head(),
            State::SendResponse => self.read_head(),
            State::Idle => {
                // Client role, no request sent: hold any bytes.
                self.skip_empty_lines();
                if self.eof {
                    if self.buffered_len() == 0 {
                        return Ok(Some(self.closed()));
                    }
                    return Err(Error::UnexpectedEof);
                }
                Ok(None)
            }
            State::SendBody => self.read_body(),
            State::Done => {
                if self.eof && self.buffered_len() == 0 {
                    return Ok(Some(self.closed()));
                }
                Ok(None)
            }
            State::MustClose => {
                if self.eof {
                    return Ok(Some(self.closed()));
                }
                Ok(None)
            }
            State::Closed | State::Error => Ok(None),
        }
    }

    /// Their side closed at a message boundary.
    fn closed(&mut self) -> Step {
        self.their_state = State::Closed;
        self.keep_alive = false;
        self.rbuf = Vec::new();
        self.rpos = 0;
        self.settle();
        Step::Closed
    }

    /// RFC 9112 §2.2: ignore empty lines before a request-line (we do before any head).
    fn skip_empty_lines(&mut self) {
        let start = self.rpos;
        loop {
            match self.rbuf.get(self.rpos..self.rpos + 2) {
                Some(b"\r\n") => self.rpos += 2,
                _ => match self.rbuf.get(self.rpos) {
                    Some(b'\n') => self.rpos += 1,
                    _ => break,
                },
            }
        }
        if self.rpos != start {
            self.scanner.reset();
        }
    }

    fn read_head(&mut self) -> Result<Option<Step>, Error> {
        self.skip_empty_lines();
        let avail = self.rbuf.len() - self.rpos;
        if avail == 0 {
            if self.eof {
                return Ok(Some(self.closed()));
            }
            return Ok(None);
        }
        let max = self.limits.max_head_bytes;
        let window_len = avail.min(max);
        // The first pass is optimistic; after a partial result the window is scanned (once,
        // incrementally) for a head end before httparse runs again.
        while self
            .scanner
            .should_parse(&self.rbuf[self.rpos..self.rpos + window_len])
        {
            let step = match self.role {
                Role::Server => self.parse_request_head()?,
                Role::Client => self.parse_response_head()?,
            };
            if let Some(step) = step {
                self.scanner.reset();
                return Ok(Some(step));
            }
            if !self.scanner.partial() {
                return Err(Error::InvalidLineEnding);
            }
        }
        // Still incomplete. A request line whose LF is not among its first `uri_room + 1`
        // bytes is refused as soon as that is known, as `parse_request_head` refuses it when
        // the head is complete: the answer does not depend on how the input was split.
        let uri_room = self.limits.max_uri_bytes.saturating_add(64);
        let line_too_long = match self.scanner.first_lf {
            Some(lf) => lf > uri_room,
            None => window_len > uri_room && self.scanner.scanned(window_len),
        };
        if self.role == Role::Server && line_too_long {
            return Err(Error::UriTooLong {
                limit: self.limits.max_uri_bytes,
            });
        }
        if avail >= max {
            return Err(Error::HeadTooLarge { limit: max });
        }
        if self.eof {
            return Err(Error::UnexpectedEof);
        }
        Ok(None)
    }

    /// Moves the head at `at..at + len` of the input buffer out, followed by the packed
    /// field table: without copying the head when it is all the buffer holds (the buffer
    /// keeps [`TABLE_ROOM`] spare bytes for the table), otherwise into one new allocation.
    fn take_head(&mut self, at: usize, len: usize) -> Headers {
        let fields = self.fields.as_slice();
        let table_len = fields.len() * PACKED_FIELD;
        let mut v = if at == 0 && len == self.rbuf.len() {
            self.rpos = 0;
            let mut v = std::mem::take(&mut self.rbuf);
            v.reserve(table_len);
            v
        } else {
            let mut v = Vec::with_capacity(len + table_len);
            v.extend_from_slice(self.rbuf.get(at..at + len).unwrap_or(&[]));
            v
        };
        push_packed(&mut v, fields);
        Headers::from_packed(v, len, fields.len())
    }

    /// Moves the body bytes at `start..end` of the input buffer out: the buffer itself when
    /// they are all it holds, otherwise a copy.
    fn take_bytes(&mut self, start: usize, end: usize) -> Vec<u8> {
        if start == 0 && end == self.rbuf.len() {
            self.rpos = 0;
            std::mem::take(&mut self.rbuf)
        } else {
            self.rbuf.get(start..end).unwrap_or(&[]).to_vec()
        }
    }

    fn parse_request_head(&mut self) -> Result<Option<Step>, Error> {
        let at = self.rpos;
        let window_len = (self.rbuf.len() - at).min(self.limits.max_head_bytes);
        let head = &mut self.rbuf[at..at + window_len];
        let p = match head_read::parse_request(head, &self.limits, &mut self.fields)? {
            Some(p) => p,
            None => return Ok(None),
        };
        let window = &self.rbuf[at..at + window_len];
        // `read_head` refuses a request line with no LF in its first `uri_room + 1` bytes
        // before it is complete; refuse it when it arrived complete too, so that the outcome
        // does not depend on how the input was split.
        let uri_room = self.limits.max_uri_bytes.saturating_add(64);
        if window.len() > uri_room && !window[..=uri_room].contains(&b'\n') {
            return Err(Error::UriTooLong {
                limit: self.limits.max_uri_bytes,
            });
        }
        let kind = p.framing.request_body(p.version, &self.limits)?;
        self.head_request = window.get(p.method.0..p.method.1) == Some(b"HEAD");
        self.rpos += p.len;
        self.peer_version = p.version;
        if !p.framing.wants_keep_alive(p.version) {
            self.keep_alive = false;
        }
        let has_body = kind != BodyKind::Length(0);
        self.waiting_for_continue =
            p.version == Version::Http11 && p.framing.expect_continue && has_body;
        self.reader = BodyReader::new(kind, self.limits.max_request_body_bytes);
        self.their_state = State::SendBody;
        if self.our_state == State::Idle {
            self.our_state = State::SendResponse;
        }
        Ok(Some(Step::Request {
            at,
            len: p.len,
            method: p.method,
            target: p.target,
            version: p.version,
        }))
    }

    fn parse_response_head(&mut self) -> Result<Option<Step>, Error> {
        let at = self.rpos;
        let window_len = (self.rbuf.len() - at).min(self.limits.max_head_bytes);
        let head = &mut self.rbuf[at..at + window_len];
        let p = match head_read::parse_response(head, &self.limits, &mut self.fields)? {
            Some(p) => p,
            None => return Ok(None),
        };
        if p.status == 101 {
            return Err(Error::UnexpectedSwitchingProtocols);
        }
        let informational = p.status < 200;
        let body = if informational {
            None
        } else {
            Some(
                p.framing
                    .response_body(p.version, p.status, self.head_request, &self.limits)?,
            )
        };
        if p.unfold {
            if let Some(head) = self.rbuf.get_mut(at..at + p.len) {
                head_read::unfold_values(head, self.fields.as_slice());
            }
        }
        self.rpos += p.len;
        let step = Step::Response {
            at,
            len: p.len,
            status: p.status,
            reason: p.reason,
            version: p.version,
            informational,
        };
        let (kind, must_close) = match body {
            None => return Ok(Some(step)),
            Some(b) => b,
        };
        if must_close || !p.framing.wants_keep_alive(p.version) {
            self.keep_alive = false;
        }
        self.reader = BodyReader::new(kind, self.limits.max_response_body_bytes);
        self.their_state = State::SendBody;
        Ok(Some(step))
    }

    fn read_body(&mut self) -> Result<Option<Step>, Error> {
        if let BodyReader::Length { remaining: 0 } = self.reader {
            // A message without a body (most requests) ends right after its head.
            self.reader = BodyReader::Idle;
            return Ok(Some(self.their_end(None)));
        }
        let base = self.rpos;
        let input = &self.rbuf[base..];
        let (consumed, found) = self.reader.step(input, &self.limits)?;
        self.rpos += consumed;
        match found {
            Some(Found::Data(start, end)) => {
                self.waiting_for_continue = false;
                Ok(Some(Step::Data(base + start, base + end)))
            }
            Some(Found::End(trailers)) => Ok(Some(self.their_end(Some(trailers)))),
            None => {
                if self.eof {
                    if self.reader.ends_at_eof() {
                        self.reader = BodyReader::Idle;
                        return Ok(Some(self.their_end(None)));
                    }
                    return Err(Error::UnexpectedEof);
                }
                Ok(None)
            }
        }
    }

    /// Their message ended, with `trailers` if it had any.
    fn their_end(&mut self, trailers: Option<Headers>) -> Step {
        match trailers {
            Some(t) => self.trailers = t,
            None if !self.trailers.is_empty() => self.trailers = Headers::new(),
            None => {}
        }
        self.their_state = State::Done;
        self.waiting_for_continue = false;
        self.settle();
        Step::End
    }

    /// Applies keep-alive to finished sides and starts the next cycle when both are done.
    fn settle(&mut self) {
        if !self.keep_alive {
            if self.our_state == State::Done {
                self.our_state = State::MustClose;
            }
            if self.their_state == State::Done {
                self.their_state = State::MustClose;
            }
        }
        if self.their_state == State::Closed && self.our_state == State::Idle {
            self.our_state = State::MustClose;
        }
        if self.our_state == State::Done && self.their_state == State::Done {
            self.start_next_cycle();
        }
    }

    /// Both sides finished a keep-alive exchange: back to `Idle`. Happens automatically.
    fn start_next_cycle(&mut self) {
        self.our_state = State::Idle;
        self.their_state = State::Idle;
        self.reader = BodyReader::Idle;
        self.writer = BodyWriter::Idle;
        self.head_request = false;
        self.waiting_for_continue = false;
        self.peer_version = Version::Http11;
        self.scanner.reset();
    }

    /// Appends the wire form of `event` to `out`.
    ///
    /// | event | allowed when | effect |
    /// |---|---|---|
    /// | `Request` | client, our state `Idle` | our state `SendBody`, theirs `SendResponse` |
    /// | `InformationalResponse` | server, `SendResponse`; status 1xx except 101 | a `100` ends [`expects_continue`](Connection::expects_continue) |
    /// | `Response` | server, `SendResponse`; status 200..=999 | framing chosen (module docs), our state `SendBody` |
    /// | `Data` | our state `SendBody` | framed body bytes (dropped for a HEAD response) |
    /// | `EndOfMessage` | our state `SendBody` | last chunk and trailers if chunked; our state `Done` or `MustClose` |
    /// | `ConnectionClosed` | any | our state `Closed`; nothing written |
    ///
    /// On error nothing is appended and no state changes; the error says what was wrong
    /// ([`Error::WrongState`], [`Error::InvalidOutgoingField`], [`Error::InvalidStatusCode`],
    /// [`Error::InvalidOutgoingFraming`], [`Error::BodyLengthMismatch`],
    /// [`Error::BodyNotAllowed`]).
    // Inlined so that the caller's event, whose kind is usually known there, is dispatched
    // and dropped without a runtime match.
    #[inline(always)]
    pub fn send(&mut self, event: Event, out: &mut Vec<u8>) -> Result<(), Error> {
        // Matched by reference: moving the head out of the event would copy it.
        match &event {
            Event::Request(req) => self.send_request(req, out),
            Event::InformationalResponse(resp) => self.send_informational(resp, out),
            Event::Response(resp) => self.send_response(resp, out),
            Event::Data(data) => self.send_data(data, out),
            Event::EndOfMessage(trailers) => self.send_end(trailers, out),
            Event::ConnectionClosed => {
                self.our_state = State::Closed;
                self.keep_alive = false;
                self.settle();
                Ok(())
            }
        }
    }

    /// Same as `send(Event::Data(data.to_vec()), out)` without the intermediate vector.
    pub fn send_data(&mut self, data: &[u8], out: &mut Vec<u8>) -> Result<(), Error> {
        if self.our_state != State::SendBody {
            return Err(self.wrong_state("body data"));
        }
        self.writer.write_data(data, out)
    }

    /// Counts `len` bytes of body data that the caller writes to the peer itself, right
    /// after what it has appended to `out` so far, without passing them through a buffer (a
    /// file range sent with `sendfile`). Returns whether to write them: `true` when the
    /// framing sends body bytes as they are (`Content-Length`, close-delimited), `false` in
    /// a response to HEAD (drop them). Chunked framing needs the bytes themselves
    /// ([`Error::InvalidOutgoingFraming`]: use [`send_data`](Connection::send_data)); more
    /// than the `Content-Length` is [`Error::BodyLengthMismatch`] and a message without a
    /// body is [`Error::BodyNotAllowed`], as for `send_data`. On error nothing changes.
    pub fn send_unbuffered_data(&mut self, len: u64) -> Result<bool, Error> {
        if self.our_state != State::SendBody {
            return Err(self.wrong_state("body data"));
        }
        self.writer.count_unbuffered(len)
    }

    fn wrong_state(&self, action: &'static str) -> Error {
        Error::WrongState {
            action,
            state: self.our_state,
        }
    }

    fn send_request(&mut self, req: &Request, out: &mut Vec<u8>) -> Result<(), Error> {
        if self.role != Role::Client
            || self.our_state != State::Idle
            || self.their_state != State::Idle
        {
            return Err(self.wrong_state("a request"));
        }
        let (writer, keep_alive) = head_write::write_request(req, out)?;
        self.writer = writer;
        if !keep_alive {
            self.keep_alive = false;
        }
        self.head_request = req.method() == "HEAD";
        self.our_state = State::SendBody;
        self.their_state = State::SendResponse;
        Ok(())
    }

    fn send_informational(&mut self, resp: &Response, out: &mut Vec<u8>) -> Result<(), Error> {
        if self.role != Role::Server || self.our_state != State::SendResponse {
            return Err(self.wrong_state("an informational response"));
        }
        head_write::write_informational(resp, out)?;
        if resp.status() == 100 {
            self.waiting_for_continue = false;
        }
        Ok(())
    }

    fn send_response(&mut self, resp: &Response, out: &mut Vec<u8>) -> Result<(), Error> {
        self.send_response_sized(resp, None, out)
    }

    /// Sends a final response head as [`send`](Connection::send) does; `default_length` acts
    /// as a `Content-Length` field appended to `resp` when it declares neither
    /// `Content-Length` nor `Transfer-Encoding`.
    pub(crate) fn send_response_sized(
        &mut self,
        resp: &Response,
        default_length: Option<u64>,
        out: &mut Vec<u8>,
    ) -> Result<(), Error> {
        if self.role != Role::Server || self.our_state != State::SendResponse {
            return Err(self.wrong_state("a response"));
        }
        let unread_body = self.waiting_for_continue && self.their_state == State::SendBody;
        let ctx = ResponseContext {
            head_request: self.head_request,
            peer_version: self.peer_version,
            keep_alive: self.keep_alive && !unread_body,
        };
        let (writer, keep_alive) = head_write::write_response(resp, &ctx, default_length, out)?;
        self.writer = writer;
        self.waiting_for_continue = false;
        if !keep_alive {
            self.keep_alive = false;
        }
        self.our_state = State::SendBody;
        Ok(())
    }

    fn send_end(&mut self, trailers: &Headers, out: &mut Vec<u8>) -> Result<(), Error> {
        if self.our_state != State::SendBody {
            return Err(self.wrong_state("the end of a message"));
        }
        self.writer.write_end(trailers, out)?;
        if self.writer == BodyWriter::UntilClose {
            self.keep_alive = false;
        }
        self.writer = BodyWriter::Idle;
        self.our_state = State::Done;
        self.settle();
        Ok(())
    }

    /// Server role: after `err` (usually from [`next_event`](Connection::next_event)),
    /// appends a complete minimal response — status [`Error::status_code`], a one-line
    /// `text/plain` body, `Connection: close` — and moves our state to
    /// [`State::MustClose`]. Returns false and writes nothing when it is too late (a response
    /// head was already sent, or this is the client role): then just close the connection.
    pub fn send_error_response(&mut self, err: &Error, out: &mut Vec<u8>) -> bool {
        self.send_error_response_with(err, &[], out)
    }

    /// [`send_error_response`](Self::send_error_response) with more header fields (the
    /// server's `Date` and `Server`); the caller vouches for their bytes.
    pub(crate) fn send_error_response_with(
        &mut self,
        err: &Error,
        fields: &[(&str, &[u8])],
        out: &mut Vec<u8>,
    ) -> bool {
        if self.role != Role::Server || !matches!(self.our_state, State::Idle | State::SendResponse)
        {
            return false;
        }
        head_write::write_error_response(err, fields, out);
        self.keep_alive = false;
        self.waiting_for_continue = false;
        self.writer = BodyWriter::Idle;
        self.our_state = State::MustClose;
        true
    }
}
