//! What every server subcommand shares: binding, `http.server`'s access log, its HTML
//! error pages, and the graceful stop on Ctrl-C.

use std::cell::RefCell;
use std::io::{Read, Write};
use std::net::{IpAddr, TcpListener};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use netloom::http::server::{Body, Handler, IncomingRequest, OutgoingResponse, Rejection};
use netloom::RunningServer;

use super::args::Seconds;
use super::error::{host_port, io_text, resolve_listen, CliError};
use super::escape::push_escaped;
use super::signals::Stop;

/// Binds `host:port` (port 0 picks a free one), with a one-line error.
pub fn listen(host: &str, port: u16) -> Result<TcpListener, CliError> {
    let addrs = resolve_listen(host, port)?;
    TcpListener::bind(&addrs[..]).map_err(|e| {
        CliError::msg(format!(
            "cannot listen on {}: {}",
            host_port(host, port),
            io_text(&e)
        ))
    })
}

/// Logs each request to stderr as Python's `http.server` (and `SimpleXMLRPCServer` with
/// `logRequests`) does: `127.0.0.1 - - [02/Jan/2024 03:04:05] "GET / HTTP/1.1" 200 -`,
/// in local time, with control characters in the request line escaped. Also counts the
/// responses still being sent, for the shutdown message.
///
/// Cheap enough for every request at full speed: each line is formatted in memory (the
/// time formatted once a second per thread) and written with one `write` to stderr.
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
    peer: IpAddr,
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
fn log_line(peer: IpAddr, start: &[u8], status: u16, escaped: bool) {
    use std::fmt::Write as _;
    let mut line = String::with_capacity(start.len() + 64);
    let _ = write!(line, "{peer} - - [");
    push_local_time(&mut line);
    line.push_str("] \"");
    if escaped {
        line.push_str(std::str::from_utf8(start).unwrap_or_default());
    } else {
        push_escaped(&mut line, start);
    }
    let _ = writeln!(line, "\" {status} -");
    let _ = std::io::stderr().lock().write_all(line.as_bytes());
}

thread_local! {
    /// The second last formatted on this thread, and its text.
    static LOG_TIME: RefCell<(u64, String)> = const { RefCell::new((u64::MAX, String::new())) };
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
    fn try_handle(&self, req: IncomingRequest) -> Result<OutgoingResponse, IncomingRequest> {
        let (line, guard) = (RequestLine::of(&req), InFlight::new(&self.in_flight));
        let resp = self.inner.try_handle(req)?;
        Ok(self.finish(line, guard, resp))
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

/// Turns the plain-text error responses of a handler into the HTML page Python's
/// `http.server` sends (`send_error`): same status and fields, the text as the message.
pub struct HtmlErrors<H>(pub H);

impl<H> HtmlErrors<H> {
    /// `resp`, or the error page in its place.
    fn html(&self, resp: OutgoingResponse) -> OutgoingResponse {
        let status = resp.head.status();
        let plain = resp
            .head
            .headers()
            .get_str("Content-Type")
            .is_none_or(|t| t.starts_with("text/plain"));
        if status < 400 || !plain {
            return resp;
        }
        let message = match &resp.body {
            Body::Full(text) if !text.is_empty() && text.len() <= 1024 => {
                String::from_utf8_lossy(text)
                    .trim()
                    .trim_end_matches('.')
                    .to_owned()
            }
            Body::Stream(_) | Body::File(_) => return resp,
            _ => resp.head.reason().to_owned(),
        };
        let mut head = resp.head;
        head.remove_header("Content-Type");
        head.remove_header("Content-Length");
        head.push_header("Content-Type", "text/html;charset=utf-8");
        OutgoingResponse {
            head,
            body: Body::Full(error_page(status, &message).into_bytes()),
        }
    }
}

impl<H: Handler> Handler for HtmlErrors<H> {
    fn handle(&self, req: IncomingRequest) -> OutgoingResponse {
        self.html(self.0.handle(req))
    }

    /// The inner handler's fast path, its errors turned into pages the same way.
    fn try_handle(&self, req: IncomingRequest) -> Result<OutgoingResponse, IncomingRequest> {
        let resp = self.0.try_handle(req)?;
        Ok(self.html(resp))
    }

    fn rejected(&self, rejection: &Rejection<'_>) {
        self.0.rejected(rejection);
    }
}

/// Python's `DEFAULT_ERROR_MESSAGE`, filled in.
fn error_page(status: u16, message: &str) -> String {
    format!(
        "<!DOCTYPE HTML>\n<html lang=\"en\">\n    <head>\n        <meta charset=\"utf-8\">\n        \
         <title>Error response</title>\n    </head>\n    <body>\n        <h1>Error response</h1>\n        \
         <p>Error code: {status}</p>\n        <p>Message: {}.</p>\n        \
         <p>Error code explanation: {status} - {}.</p>\n    </body>\n</html>\n",
        html_escape(message),
        explanation(status)
    )
}

/// The explanations Python's `http.HTTPStatus` gives.
fn explanation(status: u16) -> &'static str {
    match status {
        400 => "Bad request syntax or unsupported method",
        401 => "No permission -- see authorization schemes",
        403 => "Request forbidden -- authorization will not help",
        404 => "Nothing matches the given URI",
        405 => "Specified method is invalid for this resource",
        408 => "Request timed out; try again later",
        411 => "Client must specify Content-Length",
        412 => "Precondition in headers is false",
        413 => "Entity is too large",
        414 => "URI is too long",
        416 => "Cannot satisfy request range",
        431 => {
            "The server is unwilling to process the request because its header fields are too large"
        }
        500 => "Server got itself in trouble",
        501 => "Server does not support this operation",
        503 => "The server cannot process the request due to a high load",
        505 => "Cannot fulfill request",
        _ => "See the status code",
    }
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Runs until SIGINT/SIGTERM, then stops `server` gracefully: it stops accepting, lets
/// requests in flight finish within `grace`, and says so. A second Ctrl-C stops at once.
pub fn until_stopped(
    stop: Stop,
    server: RunningServer,
    grace: Duration,
    in_flight: Option<Arc<AtomicUsize>>,
) -> Result<(), CliError> {
    let signal = stop.wait()?;
    let grace = Seconds(grace);
    match &in_flight {
        Some(count) => println!(
            "{signal} received: no new connections; {} request(s) in flight get up to {grace} to finish (Ctrl-C again to stop now)",
            count.load(Ordering::SeqCst)
        ),
        None => println!(
            "{signal} received: no new connections; connections in flight get up to {grace} to finish (Ctrl-C again to stop now)"
        ),
    }
    server.shutdown();
    let cut = in_flight.map_or(0, |c| c.load(Ordering::SeqCst));
    if cut > 0 {
        println!("Stopped ({cut} response(s) were cut off at the end of the grace period).");
    } else {
        println!("Stopped.");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_page_is_pythons() {
        let page = error_page(404, "File not found");
        assert!(page.contains("<p>Message: File not found.</p>"));
        assert!(
            page.contains("<p>Error code explanation: 404 - Nothing matches the given URI.</p>")
        );
        assert!(error_page(400, "<script>").contains("&lt;script&gt;"));
    }
}
