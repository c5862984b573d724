//! `http.server`'s access log, cheap enough for every request at full speed: each line is
//! formatted once in memory (the time formatted once a second per thread) and queued; a
//! writer thread writes what has gathered in one `write` to stderr, at most
//! [`BATCH`] after the first line of it was queued. Lines keep their order, and a stderr
//! that nobody reads holds up at most [`MAX_QUEUED`] bytes before logging goes back to
//! waiting on every write, as an unbuffered log would.

use std::cell::RefCell;
use std::io::{Read, Write};
use std::net::IpAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, Once, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use netloom::http::server::{Attempt, Body, Handler, IncomingRequest, OutgoingResponse, Rejection};

use super::escape::push_escaped;

/// Longest a line waits before it is written.
pub const BATCH: Duration = Duration::from_millis(10);
/// Most bytes queued for the writer.
pub const MAX_QUEUED: usize = 1 << 20;

/// Logs each request to stderr as Python's `http.server` (and `SimpleXMLRPCServer` with
/// `logRequests`) does: `127.0.0.1 - - [02/Jan/2024 03:04:05] "GET / HTTP/1.1" 200 -`,
/// in local time, with control characters in the request line escaped. Also counts the
/// responses still being sent, for the shutdown message.
///
/// Cheap enough for every request at full speed (see the [module docs](self)).
pub struct AccessLog<H> {
    inner: H,
    in_flight: Arc<AtomicUsize>,
}

impl<H> AccessLog<H> {
    /// Wraps `inner`.
    pub fn new(inner: H) -> Self {
        AccessLog {
            inner,
            in_flight: Arc::new(AtomicUsize::new(0)),
        }
    }

    /// The count of requests being handled or having their response sent.
    pub fn in_flight(&self) -> Arc<AtomicUsize> {
        Arc::clone(&self.in_flight)
    }

    /// Logs the response to the request `line` describes; it stays counted in flight
    /// (`guard`) until its body has been sent.
    fn finish(
        &self,
        line: RequestLine,
        guard: InFlight,
        mut resp: OutgoingResponse,
    ) -> OutgoingResponse {
        log_line(line.peer, line.text.as_bytes(), resp.head.status(), true);
        resp.body = match std::mem::replace(&mut resp.body, Body::Empty) {
            Body::Stream(body) => Body::Stream(Box::new(Tracked {
                body,
                _guard: guard,
            })),
            Body::File(range) => Body::File(range.hold(guard)),
            other => other,
        };
        resp
    }
}

/// What the log says of a request, taken before the handler has it: its peer and its
/// request line, escaped.
struct RequestLine {
    peer: Option<IpAddr>,
    text: String,
}

impl RequestLine {
    fn of(req: &IncomingRequest) -> RequestLine {
        let (method, target) = (req.head.method(), req.head.target());
        let mut text = String::with_capacity(method.len() + target.len() + 10);
        push_escaped(&mut text, method.as_bytes());
        text.push(' ');
        push_escaped(&mut text, target.as_bytes());
        text.push(' ');
        text.push_str(req.head.version().as_str());
        RequestLine {
            peer: req.conn.peer.ip(),
            text,
        }
    }
}

/// Counts one response in flight while it lives.
struct InFlight(Arc<AtomicUsize>);

impl InFlight {
    fn new(count: &Arc<AtomicUsize>) -> InFlight {
        count.fetch_add(1, Ordering::SeqCst);
        InFlight(Arc::clone(count))
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A streamed body, counted in flight until it is done (or dropped on shutdown).
struct Tracked {
    body: Box<dyn Read + Send>,
    _guard: InFlight,
}

impl Read for Tracked {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.body.read(buf)
    }
}

/// Writes one access-log line to stderr, in one `write`. `escaped`: whether `start` is
/// escaped already.
fn log_line(peer: Option<IpAddr>, start: &[u8], status: u16, escaped: bool) {
    use std::fmt::Write as _;
    let mut line = String::with_capacity(start.len() + 80);
    push_peer(&mut line, peer);
    line.push_str(" - - [");
    push_local_time(&mut line);
    line.push_str("] \"");
    if escaped {
        line.push_str(std::str::from_utf8(start).unwrap_or_default());
    } else {
        push_escaped(&mut line, start);
    }
    line.push_str("\" ");
    if (100..1000).contains(&status) {
        // Three digits, without the formatting machinery.
        for d in [status / 100, status / 10 % 10, status % 10] {
            line.push(char::from(b'0' + d as u8));
        }
    } else {
        let _ = write!(line, "{status}");
    }
    line.push_str(" -\n");
    queue(line.as_bytes());
}

/// Lines queued for the writer thread.
#[derive(Default)]
struct Queue {
    lines: Mutex<Vec<u8>>,
    ready: Condvar,
}

fn queued() -> &'static Queue {
    static QUEUE: OnceLock<Queue> = OnceLock::new();
    QUEUE.get_or_init(Queue::default)
}

fn lock(q: &Mutex<Vec<u8>>) -> MutexGuard<'_, Vec<u8>> {
    // Appending bytes cannot leave the buffer inconsistent.
    q.lock().unwrap_or_else(|e| e.into_inner())
}

/// Queues one line for the writer thread (started with the first line).
fn queue(line: &[u8]) {
    static WRITER: Once = Once::new();
    let q = queued();
    let mut lines = lock(&q.lines);
    if lines.len() + line.len() > MAX_QUEUED {
        // The writer is stuck (a stderr nobody reads): wait on it, as an unbuffered log
        // would, rather than hold more.
        drop(lines);
        let mut err = std::io::stderr().lock();
        let mut batch = std::mem::take(&mut *lock(&q.lines));
        batch.extend_from_slice(line);
        let _ = err.write_all(&batch);
        return;
    }
    let wake = lines.is_empty();
    lines.extend_from_slice(line);
    drop(lines);
    if wake {
        q.ready.notify_one();
    }
    WRITER.call_once(|| {
        let started = std::thread::Builder::new()
            .name("netloom-log".into())
            .spawn(write_batches);
        if started.is_err() {
            // No thread to be had: nothing will write the queue but us.
            flush();
        }
    });
}

/// The writer thread: waits for a first line, lets a batch gather, writes it.
fn write_batches() {
    let q = queued();
    loop {
        let mut lines = lock(&q.lines);
        while lines.is_empty() {
            lines = q.ready.wait(lines).unwrap_or_else(|e| e.into_inner());
        }
        drop(lines);
        std::thread::sleep(BATCH);
        flush();
    }
}

/// Writes every queued line now (the server is stopping, say).
pub fn flush() {
    // Stderr's lock first, then the queue's: batches go out in the order they were taken.
    let mut err = std::io::stderr().lock();
    let batch = std::mem::take(&mut *lock(&queued().lines));
    if !batch.is_empty() {
        let _ = err.write_all(&batch);
    }
}

thread_local! {
    /// The second last formatted on this thread, and its text.
    static LOG_TIME: RefCell<(u64, String)> = const { RefCell::new((u64::MAX, String::new())) };
    /// The peer address last formatted on this thread, and its text.
    static LOG_PEER: RefCell<Option<(Option<IpAddr>, String)>> = const { RefCell::new(None) };
}

/// Appends `peer` (`unix` for a Unix socket's), formatted once for a run of lines from the
/// same address.
fn push_peer(out: &mut String, peer: Option<IpAddr>) {
    LOG_PEER.with(|cached| {
        let mut cached = cached.borrow_mut();
        match &*cached {
            Some((ip, text)) if *ip == peer => out.push_str(text),
            _ => {
                let text = peer.map_or_else(|| "unix".to_owned(), |ip| ip.to_string());
                out.push_str(&text);
                *cached = Some((peer, text));
            }
        }
    });
}

/// Appends the local time as `http.server` logs it (`02/Jan/2024 03:04:05`), formatted
/// once a second per thread.
fn push_local_time(out: &mut String) {
    let now = SystemTime::now();
    let secs = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    LOG_TIME.with(|cached| {
        let mut cached = cached.borrow_mut();
        if cached.0 != secs {
            let local: chrono::DateTime<chrono::Local> = now.into();
            cached.1 = local.format("%d/%b/%Y %H:%M:%S").to_string();
            cached.0 = secs;
        }
        out.push_str(&cached.1);
    });
}

impl<H: Handler> Handler for AccessLog<H> {
    fn handle(&self, req: IncomingRequest) -> OutgoingResponse {
        let (line, guard) = (RequestLine::of(&req), InFlight::new(&self.in_flight));
        let resp = self.inner.handle(req);
        self.finish(line, guard, resp)
    }

    /// The inner handler's fast path, logged the same way.
    fn try_handle(&self, req: IncomingRequest) -> Attempt {
        let (line, guard) = (RequestLine::of(&req), InFlight::new(&self.in_flight));
        match self.inner.try_handle(req) {
            Attempt::Answered(resp) => Attempt::Answered(self.finish(line, guard, resp)),
            declined => declined,
        }
    }

    /// Requests answered from their head alone are logged too.
    fn check_head(
        &self,
        head: &netloom::http::Request,
        conn: &netloom::frame::ConnInfo,
    ) -> Option<OutgoingResponse> {
        let resp = self.inner.check_head(head, conn)?;
        let start = format!(
            "{} {} {}",
            head.method(),
            head.target(),
            head.version().as_str()
        );
        log_line(conn.peer.ip(), start.as_bytes(), resp.head.status(), false);
        Some(resp)
    }

    /// Requests the connection refused by itself are logged too, as `http.server` logs its
    /// `send_error`s.
    fn rejected(&self, rejection: &Rejection<'_>) {
        log_line(
            rejection.conn.peer.ip(),
            rejection.start,
            rejection.status,
            false,
        );
        self.inner.rejected(rejection);
    }
}
