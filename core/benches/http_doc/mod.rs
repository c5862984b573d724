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

/// One request through a fresh server connection; the number of events.
pub fn state_machine_one(buf: &[u8]) -> usize {
    let mut conn = Connection::new(Role::Server, Limits::default());
    conn.receive(buf);
    let mut n = 0;
    while let Some(ev) = conn.next_event().expect("valid") {
        black_box(&ev);
        n += 1;
    }
    n
}

/// A pipelined batch through one server connection, answering each request with a minimal
/// `204` (the next request is held until the current response is done); the request count.
pub fn state_machine_batch(batch: &[u8], out: &mut Vec<u8>) -> usize {
    let mut conn = Connection::new(Role::Server, Limits::default());
    conn.receive(batch);
    let mut requests = 0;
    loop {
        match conn.next_event().expect("valid") {
            Some(Event::Request(r)) => {
                black_box(&r);
                requests += 1;
            }
            Some(Event::EndOfMessage(_)) => {
                out.clear();
                conn.send(Event::Response(Response::new(204)), out)
                    .expect("response");
                conn.send(Event::EndOfMessage(Headers::new()), out)
                    .expect("end");
            }
            Some(_) => {}
            None => break,
        }
    }
    requests
}

/// [`state_machine_one`] through the borrowed events of `next_event_ref`.
pub fn borrowed_one(buf: &[u8]) -> usize {
    let mut conn = Connection::new(Role::Server, Limits::default());
    conn.receive(buf);
    let mut n = 0;
    while let Some(ev) = conn.next_event_ref().expect("valid") {
        black_box(&ev);
        n += 1;
    }
    n
}

/// [`state_machine_batch`] through the borrowed events of `next_event_ref`.
pub fn borrowed_batch(batch: &[u8], out: &mut Vec<u8>) -> usize {
    let mut conn = Connection::new(Role::Server, Limits::default());
    conn.receive(batch);
    let mut requests = 0;
    loop {
        match conn.next_event_ref().expect("valid") {
            Some(EventRef::Request(r)) => {
                black_box(&r);
                requests += 1;
            }
            Some(EventRef::EndOfMessage(_)) => {
                out.clear();
                conn.send(Event::Response(Response::new(204)), out)
                    .expect("response");
                conn.send(Event::EndOfMessage(Headers::new()), out)
                    .expect("end");
            }
            Some(_) => {}
            None => break,
        }
    }
    requests
}
