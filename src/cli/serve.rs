//! What every server subcommand shares: binding, `http.server`'s HTML error pages, and the
//! graceful stop on Ctrl-C (the access log is in [`access_log`](super::access_log)).

use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use netloom::http::server::{Attempt, Body, Handler, IncomingRequest, OutgoingResponse, Rejection};
use netloom::{Listener, RunningServer};

pub use super::access_log::AccessLog;
use super::args::Seconds;
use super::error::{host_port, io_text, resolve_listen, CliError};
use super::signals::Stop;

/// Where a server ended up listening.
pub enum Bound {
    /// On TCP, at this address.
    Tcp(std::net::SocketAddr),
    /// On a Unix domain socket at this path.
    Unix(std::path::PathBuf),
}

impl std::fmt::Display for Bound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Bound::Tcp(a) => a.fmt(f),
            Bound::Unix(p) => write!(f, "unix:{}", p.display()),
        }
    }
}

/// Binds `host:port` (port 0 picks a free one), or the Unix socket `unix` when given, with a
/// one-line error.
pub fn listen(
    host: &str,
    port: u16,
    unix: Option<&std::path::Path>,
) -> Result<(Listener, Bound), CliError> {
    if let Some(path) = unix {
        let listener = Listener::bind_unix(path).map_err(|e| {
            CliError::msg(format!(
                "cannot listen on {}: {}",
                path.display(),
                io_text(&e)
            ))
        })?;
        return Ok((listener, Bound::Unix(path.to_path_buf())));
    }
    let addrs = resolve_listen(host, port)?;
    let listener = TcpListener::bind(&addrs[..]).map_err(|e| {
        CliError::msg(format!(
            "cannot listen on {}: {}",
            host_port(host, port),
            io_text(&e)
        ))
    })?;
    let addr = listener
        .local_addr()
        .map_err(|e| CliError::io("listen", &e))?;
    Ok((Listener::Tcp(listener), Bound::Tcp(addr)))
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
    fn try_handle(&self, req: IncomingRequest) -> Attempt {
        match self.0.try_handle(req) {
            Attempt::Answered(resp) => Attempt::Answered(self.html(resp)),
            declined => declined,
        }
    }

    fn check_head(
        &self,
        head: &netloom::http::Request,
        conn: &netloom::frame::ConnInfo,
    ) -> Option<OutgoingResponse> {
        self.0.check_head(head, conn).map(|resp| self.html(resp))
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
    super::access_log::flush();
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
