//! The request and the parse loops of the `http_parse` bench, shared with the
//! `http_parse_profile` example so profilers measure exactly what the bench times.

use std::hint::black_box;

use netloom_core::http::{Connection, Event, EventRef, Headers, Limits, Response, Role};

/// Requests in the pipelined batch.
pub const BATCH: usize = 10;

/// A typical ~500-byte browser request with 10 header fields.
pub fn request() -> Vec<u8> {
    let req = concat!(
        "GET /api/v1/items/12345?include=details&lang=en HTTP/1.1\r\n",
        "Host: www.example.com\r\n",
        "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0\r\n",
        "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n",
        "Accept-Language: en-US,en;q=0.5\r\n",
        "Accept-Encoding: gzip, deflate, br\r\n",
        "Referer: https://www.example.com/api/v1/items\r\n",
        "Cookie: session=0123456789abcdef0123456789abcdef; theme=dark\r\n",
        "Cache-Control: no-cache\r\n",
        "Connection: keep-alive\r\n",
        "X-Request-Id: 7f3c2a9e-1b4d-4e8f-9a6b-2c5d8e1f0a3b\r\n",
        "\r\n"
    );
    req.as_bytes().to_vec()
}

/// Raw `httparse::Request::parse` of the head at the start of `buf`; its length.
pub fn raw_httparse(buf: &[u8]) -> usize {
    let mut headers = [httparse::EMPTY_HEADER; 16];
    let mut req = httparse::Request::new(&mut headers);
    match req.parse(buf) {
        Ok(httparse::Status::Complete(n)) => {
            black_box(&req);
            n
        }
        _ => panic!("bench input must parse"),
    }
}

/// Raw httparse over a pipelined batch.
pub fn raw_batch(buf: &[u8]) -> usize {
    let mut pos = 0;
    while pos < buf.len() {
        pos += raw_httparse(&buf[pos..]);
    }
    pos
}

/// The two ways to pull events: `next_event` (owned) and `next_event_ref` (borrowed). The
/// loops are written once, as macros, so each path is measured with no branch between them.
macro_rules! one_request {
    ($buf:expr, $next:ident) => {{
        let mut conn = Connection::new(Role::Server, Limits::default());
        conn.receive($buf);
        let mut n = 0;
        while let Some(ev) = conn.$next().expect("valid") {
            black_box(&ev);
            n += 1;
        }
        n
    }};
}

macro_rules! pipelined {
    ($batch:expr, $out:expr, $next:ident, $ev:ident) => {{
        let mut conn = Connection::new(Role::Server, Limits::default());
        conn.receive($batch);
        let mut requests = 0;
        loop {
            match conn.$next().expect("valid") {
                Some($ev::Request(r)) => {
                    black_box(&r);
                    requests += 1;
                }
                Some($ev::EndOfMessage(_)) => {
                    $out.clear();
                    conn.send(Event::Response(Response::new(204)), $out)
                        .expect("response");
                    conn.send(Event::EndOfMessage(Headers::new()), $out)
                        .expect("end");
                }
                Some(_) => {}
                None => break,
            }
        }
        requests
    }};
}

/// One request through a fresh server connection; the number of events.
pub fn state_machine_one(buf: &[u8]) -> usize {
    one_request!(buf, next_event)
}

/// A pipelined batch through one server connection, answering each request with a minimal
/// `204` (the next request is held until the current response is done); the request count.
pub fn state_machine_batch(batch: &[u8], out: &mut Vec<u8>) -> usize {
    pipelined!(batch, out, next_event, Event)
}

/// [`state_machine_one`] through the borrowed events of `next_event_ref`.
pub fn borrowed_one(buf: &[u8]) -> usize {
    one_request!(buf, next_event_ref)
}

/// [`state_machine_batch`] through the borrowed events of `next_event_ref`.
pub fn borrowed_batch(batch: &[u8], out: &mut Vec<u8>) -> usize {
    pipelined!(batch, out, next_event_ref, EventRef)
}
