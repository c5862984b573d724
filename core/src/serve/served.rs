//! One server connection under the server's policy: its deadlines, and how and when it
//! closes. Every runtime, and any embedder's loop, runs connections through this one type.

use std::io;
use std::time::Instant;

use super::admission::{Phase, Ticket};
use super::ServerConfig;
use crate::time::earliest;
use crate::{Duplex, FileSlice, Job, Now};

/// What the driver should do next for a [`Served`] connection (see the
/// [module docs](super) for the loop).
#[derive(Debug)]
pub enum Next<T> {
    /// Write (some of) what [`Served::transmit`] holds to the socket, then report how many
    /// bytes with [`Served::advance`]. If the socket would block, wait until it is writable or
    /// until [`Served::poll_timeout`].
    Write,
    /// Write (some of) the file slice [`Served::transmit_file`] names to the socket
    /// (`sendfile`), then report how many bytes as for [`Next::Write`]. Only a driver that
    /// called [`Served::enable_transmit_file`] is ever told this.
    WriteFile,
    /// Read from the socket and hand what arrives to [`Served::receive`] (or
    /// [`Served::receive_eof`] at end of stream). If nothing is there, wait until the socket
    /// is readable or until [`Served::poll_timeout`].
    Read,
    /// Run this job away from the I/O thread (or inline, for a blocking driver) and hand its
    /// result to [`Served::complete`]. The connection waits for it and is not timed meanwhile.
    Run(Job<T>),
    /// Nothing to do until a job handed out comes back, or until [`Served::poll_timeout`].
    Wait,
    /// Shut down the socket's writing side now (the peer reads end of stream), then carry on
    /// asking: the connection lingers, reading and discarding what the peer still sends,
    /// before it is closed (see [`ServerConfig::linger`]).
    ShutdownWrite,
    /// Close the socket. Nothing more will happen on this connection.
    Close,
}

/// Why a [`Served`] connection was closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CloseReason {
    /// The connection finished normally (its last response written, then lingered).
    Finished,
    /// The peer closed its side and nothing was left to answer.
    PeerClosed,
    /// Nothing arrived for [`ServerConfig::idle_timeout`].
    IdleTimeout,
    /// A message did not arrive in full within [`ServerConfig::request_timeout`].
    RequestTimeout,
    /// The peer did not take a write window within [`ServerConfig::write_timeout`].
    WriteTimeout,
    /// The server was at its connection bound and this silent or idle connection gave way to
    /// a new client.
    Evicted,
    /// The server is shutting down and this connection had nothing in flight.
    Shutdown,
    /// The server's shutdown grace period ran out while this connection was still busy.
    ShutdownGrace,
    /// The driver closed it ([`Served::abort`]): a socket error, say.
    Aborted,
}

/// The timers a connection runs under, copied from its [`ServerConfig`].
#[derive(Debug, Clone, Copy)]
struct Timers {
    idle: std::time::Duration,
    request: std::time::Duration,
    write: std::time::Duration,
    window: usize,
    grace: std::time::Duration,
    linger: std::time::Duration,
    linger_bytes: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Open,
    /// Output done, the connection is over: the driver is to shut down its writing side.
    ShutWrite,
    /// Reading and discarding until `until`, at most `left` more bytes.
    Lingering {
        until: Instant,
        left: usize,
    },
    Closed(CloseReason),
}

/// The current write window: output queued since `start`, `left` bytes of it still owed.
#[derive(Debug, Clone, Copy)]
struct Window {
    start: Instant,
    left: usize,
}

/// A server connection (any [`Duplex`]) under the policy of a [`ServerConfig`]: the idle,
/// request, write-window, shutdown-grace and linger deadlines, the connection bound's
/// eviction ([`Ticket`]) and graceful close. The driver feeds it bytes and the time, asks
/// [`next`](Served::next) what to do, and sleeps until [`poll_timeout`](Served::poll_timeout).
#[derive(Debug)]
pub struct Served<C: Duplex> {
    conn: C,
    timers: Timers,
    ticket: Option<Ticket>,
    state: State,
    accepted: Instant,
    /// No byte has arrived yet.
    fresh: bool,
    /// The first message has not ended yet: it is timed from the accept.
    first: bool,
    last_active: Instant,
    /// When the message now arriving began (its first byte), while one is part-way in.
    message_start: Option<Instant>,
    window: Option<Window>,
    job_out: bool,
    peer_eof: bool,
    /// Set once shutdown has begun: the deadline of its grace period.
    drain_until: Option<Instant>,
    phase: Phase,
}

impl<C: Duplex> Served<C> {
    /// Starts serving `conn`, accepted at `now`, under `config`. `ticket` is its place under
    /// the server's connection bound ([`Admission::admit`](super::Admission::admit)); `None`
    /// for a connection served outside any bound.
    pub fn new(conn: C, config: &ServerConfig, ticket: Option<Ticket>, now: Now) -> Self {
        let mut served = Served {
            conn,
            timers: Timers {
                idle: config.idle_timeout,
                request: config.request_timeout,
                write: config.write_timeout,
                window: config.write_window.max(1),
                grace: config.shutdown_grace,
                linger: config.linger,
                linger_bytes: config.linger_bytes,
            },
            ticket,
            state: State::Open,
            accepted: now.instant,
            fresh: true,
            first: true,
            last_active: now.instant,
            message_start: None,
            window: None,
            job_out: false,
            peer_eof: false,
            drain_until: None,
            phase: Phase::Busy,
        };
        served.refresh(now);
        served
    }

    /// The connection served.
    pub fn conn(&self) -> &C {
        &self.conn
    }

    /// The bytes to write when [`next`](Served::next) says [`Next::Write`]: at most what is
    /// left of the current write window, so that a blocking write returns (and the window's
    /// deadline is judged) once a window has gone out.
    pub fn transmit(&self) -> &[u8] {
        let out = self.conn.transmit();
        &out[..out.len().min(self.window_left())]
    }

    /// The part of a file to write when [`next`](Served::next) says [`Next::WriteFile`]: at
    /// most what is left of the current write window, as for [`transmit`](Served::transmit)
    /// (file bytes count against the window like any others).
    pub fn transmit_file(&self) -> Option<FileSlice<'_>> {
        let mut slice = self.conn.transmit_file()?;
        slice.len = slice.len.min(self.window_left());
        Some(slice)
    }

    /// Whether more output follows [`transmit`](Served::transmit) at once (a file body
    /// after its head): a driver may write it with `MSG_MORE`, so that the kernel holds the
    /// bytes back until the rest comes and sends them in full packets.
    pub fn transmit_more(&self) -> bool {
        self.conn.transmit_more()
    }

    /// The driver writes file slices itself ([`Next::WriteFile`], with `sendfile`): the
    /// connection may hand its file bodies to it instead of reading them into
    /// [`transmit`](Served::transmit). Call it once, before serving; a driver that does not
    /// never sees `WriteFile`.
    pub fn enable_transmit_file(&mut self) {
        self.conn.enable_transmit_file();
    }

    /// Bytes the current write window still covers.
    fn window_left(&self) -> usize {
        self.window.map_or(self.timers.window, |w| w.left)
    }

    /// Whether the connection has output waiting, bytes or a file slice.
    fn has_output(&self) -> bool {
        !self.conn.transmit().is_empty() || self.conn.transmit_file().is_some()
    }

    /// The connection served, to change it. Call [`refresh`](Served::refresh) afterwards if
    /// what it has to send or wants to read may have changed.
    pub fn conn_mut(&mut self) -> &mut C {
        &mut self.conn
    }

    /// Its place under the connection bound, if it has one.
    pub fn ticket(&self) -> Option<&Ticket> {
        self.ticket.as_ref()
    }

    /// A future that resolves when the connection must be looked at again although its
    /// socket is quiet (it was evicted, or the server is shutting down): an async driver races
    /// it against the socket while waiting. `None` without a ticket.
    pub fn kicked(&self) -> Option<super::Kicked> {
        self.ticket.as_ref().map(Ticket::kicked)
    }

    /// Why it was closed, once [`next`](Served::next) has said [`Next::Close`].
    pub fn close_reason(&self) -> Option<CloseReason> {
        match self.state {
            State::Closed(why) => Some(why),
            _ => None,
        }
    }

    /// Whether it is closed.
    pub fn is_closed(&self) -> bool {
        matches!(self.state, State::Closed(_))
    }

    /// What to do next. Call it after every other call, until it says to wait ([`Next::Read`]
    /// or [`Next::Write`] on a socket that would block, or [`Next::Wait`]), then sleep until
    /// the socket is ready, a job comes back, or [`poll_timeout`](Served::poll_timeout).
    pub fn next(&mut self, now: Now) -> Next<C::Done> {
        self.check_ticket(now);
        match self.state {
            State::Closed(_) => return Next::Close,
            State::ShutWrite => {
                return if self.peer_eof {
                    // Nothing more can arrive: no need to linger.
                    self.close(CloseReason::Finished)
                } else {
                    self.state = State::Lingering {
                        until: now.instant + self.timers.linger,
                        left: self.timers.linger_bytes,
                    };
                    self.set_phase(Phase::Idle);
                    Next::ShutdownWrite
                };
            }
            State::Lingering { .. } => return Next::Read,
            State::Open => {}
        }
        if let Some(job) = self.conn.take_job() {
            self.job_out = true;
            self.set_phase(Phase::Busy);
            return Next::Run(job);
        }
        let write = if !self.conn.transmit().is_empty() {
            Some(Next::Write)
        } else if self.conn.transmit_file().is_some() {
            Some(Next::WriteFile)
        } else {
            None
        };
        if let Some(write) = write {
            if self.window.is_none() {
                self.window = Some(self.new_window(now.instant));
            }
            return write;
        }
        if self.job_out {
            return Next::Wait;
        }
        if self.conn.is_finished() {
            self.state = State::ShutWrite;
            return self.next(now);
        }
        if self.drain_until.is_some() && !self.conn.mid_message() {
            // Shutting down, and nothing is in flight: close between messages.
            return self.close(CloseReason::Shutdown);
        }
        if self.peer_eof && !self.conn.mid_message() {
            return self.close(CloseReason::PeerClosed);
        }
        if self.conn.wants_read() {
            return Next::Read;
        }
        // Paused with nothing to write and no job out: wait for a deadline.
        Next::Wait
    }

    /// Bytes read from the socket at `now`.
    pub fn receive(&mut self, now: Now, data: &[u8]) {
        match &mut self.state {
            State::Open => {}
            State::Lingering { left, .. } => {
                *left = left.saturating_sub(data.len());
                if *left == 0 {
                    self.close(CloseReason::Finished);
                }
                return;
            }
            _ => return,
        }
        if data.is_empty() {
            return;
        }
        self.fresh = false;
        self.last_active = now.instant;
        // Busy while the connection works on what arrived (an inline handler may run for a
        // while): a shutdown or the bound must not take it for idle meanwhile.
        self.set_phase(Phase::Busy);
        self.conn.receive(now, data);
        self.refresh(now);
    }

    /// The peer closed its sending side (a read returned end of stream).
    pub fn receive_eof(&mut self, now: Now) {
        match self.state {
            State::Open => {}
            State::Lingering { .. } | State::ShutWrite => {
                self.close(CloseReason::Finished);
                return;
            }
            State::Closed(_) => return,
        }
        self.peer_eof = true;
        self.set_phase(Phase::Busy);
        self.conn.receive_eof(now);
        self.refresh(now);
    }

    /// `n` bytes of the last [`Next::Write`] (or [`Next::WriteFile`]) were written at `now`.
    pub fn advance(&mut self, now: Now, n: usize) {
        if n == 0 || self.state != State::Open {
            return;
        }
        self.set_phase(Phase::Busy);
        self.conn.advance(now, n);
        self.last_active = now.instant;
        if let Some(w) = &mut self.window {
            if n >= w.left {
                // This window was taken in time: the next one starts now.
                self.window = None;
            } else {
                w.left -= n;
            }
        }
        self.refresh(now);
    }

    /// What a write of [`transmit`](Served::transmit) returned at `now`: the bytes written
    /// are taken; `Interrupted` is nothing; any other error (or a write of zero bytes) ends
    /// the connection. Returns false when the socket would block (`WouldBlock`, or
    /// `TimedOut` from a blocking socket's timeout): wait for it, or for
    /// [`poll_timeout`](Served::poll_timeout).
    pub fn on_write(&mut self, now: Now, result: io::Result<usize>) -> bool {
        match result {
            Ok(0) => self.abort(),
            Ok(n) => self.advance(now, n),
            Err(e) => return self.on_error(&e),
        }
        true
    }

    /// What a read into `buf` returned at `now`: the bytes read are handed in, zero is the
    /// end of stream; otherwise as [`on_write`](Served::on_write).
    pub fn on_read(&mut self, now: Now, result: io::Result<usize>, buf: &[u8]) -> bool {
        match result {
            Ok(0) => self.receive_eof(now),
            Ok(n) => self.receive(now, &buf[..n.min(buf.len())]),
            Err(e) => return self.on_error(&e),
        }
        true
    }

    /// A socket error: false if it only means the socket would block.
    fn on_error(&mut self, e: &io::Error) -> bool {
        match e.kind() {
            io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => false,
            io::ErrorKind::Interrupted => true,
            _ => {
                self.abort();
                true
            }
        }
    }

    /// What the job handed out by the last [`Next::Run`] gave: its result, or `None` if it
    /// was lost (its worker panicked), which closes the connection.
    pub fn on_job(&mut self, now: Now, done: Option<C::Done>) {
        match done {
            Some(done) => self.complete(now, done),
            None => self.job_lost(),
        }
    }

    /// The result of the job handed out by the last [`Next::Run`].
    pub fn complete(&mut self, now: Now, done: C::Done) {
        if !std::mem::replace(&mut self.job_out, false) {
            return;
        }
        if self.state != State::Open {
            return;
        }
        self.last_active = now.instant;
        self.set_phase(Phase::Busy);
        self.conn.complete(now, done);
        self.refresh(now);
    }

    /// The job handed out by the last [`Next::Run`] was lost (its worker panicked): the
    /// connection cannot be answered honestly, so it is closed.
    pub fn job_lost(&mut self) {
        self.job_out = false;
        self.close(CloseReason::Aborted);
    }

    /// The driver gives up on the connection (a socket error, say); [`next`](Served::next)
    /// says [`Next::Close`] from now on.
    pub fn abort(&mut self) {
        self.close(CloseReason::Aborted);
    }

    /// Starts a graceful shutdown at `now`: a connection with nothing in flight closes at
    /// once; one with a message in flight finishes it (its response is written) and then
    /// closes; whatever is left when [`ServerConfig::shutdown_grace`] has passed is closed.
    /// A connection with a [`Ticket`] notices its server's shutdown by itself.
    pub fn begin_shutdown(&mut self, now: Now) {
        if self.drain_until.is_none() {
            self.drain_until = Some(now.instant + self.timers.grace);
        }
    }

    /// When the driver must call [`handle_timeout`](Served::handle_timeout) at the latest,
    /// if nothing else happens first. `None`: no deadline (a job is out, say).
    pub fn poll_timeout(&self) -> Option<Instant> {
        match self.state {
            State::Closed(_) => return None,
            State::ShutWrite => return Some(self.last_active),
            State::Lingering { until, .. } => return Some(until),
            State::Open => {}
        }
        let mut deadline = self.drain_until;
        // Output must be taken in time even while a job is out (a pipelined request's).
        if let Some(w) = self.window {
            deadline = earliest(deadline, Some(w.start + self.timers.write));
        }
        if self.job_out {
            return deadline;
        }
        if !self.has_output() {
            deadline = earliest(deadline, Some(self.last_active + self.timers.idle));
            let message = if self.fresh {
                Some(self.accepted)
            } else {
                self.message_start
            };
            deadline = earliest(deadline, message.map(|start| start + self.timers.request));
        }
        deadline
    }

    /// The time is `now`: closes the connection if one of its deadlines has passed.
    pub fn handle_timeout(&mut self, now: Now) {
        let now = now.instant;
        match self.state {
            State::Closed(_) | State::ShutWrite => return,
            State::Lingering { until, .. } => {
                if now >= until {
                    self.close(CloseReason::Finished);
                }
                return;
            }
            State::Open => {}
        }
        if self.drain_until.is_some_and(|d| now >= d) {
            self.close(CloseReason::ShutdownGrace);
            return;
        }
        if self
            .window
            .is_some_and(|w| now >= w.start + self.timers.write)
        {
            self.close(CloseReason::WriteTimeout);
            return;
        }
        if self.job_out || self.has_output() {
            return;
        }
        let message = if self.fresh {
            Some(self.accepted)
        } else {
            self.message_start
        };
        if message.is_some_and(|start| now >= start + self.timers.request) {
            self.close(CloseReason::RequestTimeout);
        } else if now >= self.last_active + self.timers.idle {
            self.close(CloseReason::IdleTimeout);
        }
    }

    /// Re-reads the connection's state after the caller changed it through
    /// [`conn_mut`](Served::conn_mut).
    pub fn refresh(&mut self, now: Now) {
        if self.state != State::Open {
            return;
        }
        if self.conn.mid_message() {
            if self.message_start.is_none() {
                self.message_start = Some(if self.first {
                    self.accepted
                } else {
                    now.instant
                });
            }
        } else {
            self.message_start = None;
            if !self.fresh {
                // Its first message is over: later ones are timed from their first byte.
                self.first = false;
            }
        }
        let output = self.has_output();
        if !output {
            self.window = None;
        } else if self.window.is_none() {
            self.window = Some(self.new_window(now.instant));
        }
        let phase = if self.job_out || output || self.conn.mid_message() {
            Phase::Busy
        } else if self.fresh {
            Phase::Fresh
        } else {
            Phase::Idle
        };
        self.set_phase(phase);
    }

    fn new_window(&self, now: Instant) -> Window {
        Window {
            start: now,
            left: self.timers.window,
        }
    }

    fn set_phase(&mut self, phase: Phase) {
        if phase != self.phase {
            self.phase = phase;
            if let Some(t) = &self.ticket {
                t.set_phase(phase, self.last_active);
            }
        }
    }

    /// Evicted, or told of its server's shutdown, through its ticket.
    fn check_ticket(&mut self, now: Now) {
        let Some(ticket) = &mut self.ticket else {
            return;
        };
        if matches!(self.state, State::Closed(_)) {
            return;
        }
        // Kicks from here on wake a driver that waits on `kicked()`.
        ticket.observe();
        let ticket = &*ticket;
        if ticket.is_evicted() {
            self.close(CloseReason::Evicted);
        } else if ticket.is_aborted() {
            self.close(CloseReason::ShutdownGrace);
        } else if self.drain_until.is_none() && ticket.is_shutting_down() {
            self.begin_shutdown(now);
        }
    }

    fn close(&mut self, why: CloseReason) -> Next<C::Done> {
        if !matches!(self.state, State::Closed(_)) {
            self.state = State::Closed(why);
            self.set_phase(Phase::Closed);
        }
        Next::Close
    }
}
