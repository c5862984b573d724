//! The fields every server response carries (RFC 9110 §6.6.1 `Date`, and `Server`), on the
//! handler's responses and on the ones the connection makes itself, with the time the
//! driver passes in (the runtimes' socket tests check the same over TCP).

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use netloom_core::frame::ConnInfo;
use netloom_core::http::server::{IncomingRequest, OutgoingResponse, ServerConn};
use netloom_core::http::{date, Limits};
use netloom_core::serve::BodyBudget;
use netloom_core::{Duplex, Now};

type Handler = Arc<fn(IncomingRequest) -> OutgoingResponse>;

fn answer(req: IncomingRequest) -> OutgoingResponse {
    match req.head.target() {
        // A handler that sets its own fields keeps them, once each.
        "/own" => OutgoingResponse::text(200, "own")
            .header("Date", "Sun, 06 Nov 1994 08:49:37 GMT")
            .header("Server", "mine/1"),
        // A head that cannot be sent: the connection answers 500 itself.
        "/bad" => OutgoingResponse::text(200, "bad").header("X-Bad", "a\r\nb"),
        _ => OutgoingResponse::text(200, "hello"),
    }
}

fn conn(limits: Limits) -> ServerConn<Handler> {
    let handler: Handler = Arc::new(answer);
    let info = ConnInfo {
        local: "127.0.0.1:80".parse().unwrap(),
        peer: "127.0.0.1:9".parse().unwrap(),
    };
    ServerConn::new(handler, info, limits)
}

/// A wall-clock time the test chooses: the connection must use it, not read a clock.
fn at(secs: u64) -> Now {
    Now::new(Instant::now(), UNIX_EPOCH + Duration::from_secs(secs))
}

fn drain(c: &mut ServerConn<Handler>, now: Now) -> String {
    let out = String::from_utf8_lossy(c.transmit()).into_owned();
    let n = c.transmit().len();
    c.advance(now, n);
    out
}

fn field<'a>(response: &'a str, name: &str) -> Vec<&'a str> {
    let head = response.split("\r\n\r\n").next().unwrap_or("");
    head.split("\r\n")
        .skip(1)
        .filter_map(|line| line.split_once(": "))
        .filter(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)
        .collect()
}

#[test]
fn handler_responses_carry_the_drivers_date_and_the_server() {
    let mut c = conn(Limits::default());
    c.receive(at(784_111_777), b"GET / HTTP/1.1\r\nHost: a\r\n\r\n");
    let first = drain(&mut c, at(784_111_777));
    assert_eq!(field(&first, "Date"), ["Sun, 06 Nov 1994 08:49:37 GMT"]);
    let server = field(&first, "Server");
    assert_eq!(server.len(), 1);
    assert!(server[0].starts_with("netloom/"), "{first}");

    // A second later on the same connection, the date moves with the time given.
    c.receive(at(784_111_778), b"GET / HTTP/1.1\r\nHost: a\r\n\r\n");
    let second = drain(&mut c, at(784_111_778));
    assert_eq!(field(&second, "Date"), ["Sun, 06 Nov 1994 08:49:38 GMT"]);
}

#[test]
fn a_handlers_own_date_and_server_are_kept() {
    let mut c = conn(Limits::default());
    c.receive(at(0), b"GET /own HTTP/1.1\r\nHost: a\r\n\r\n");
    let out = drain(&mut c, at(0));
    assert_eq!(field(&out, "Date"), ["Sun, 06 Nov 1994 08:49:37 GMT"]);
    assert_eq!(field(&out, "Server"), ["mine/1"]);
}

#[test]
fn responses_the_connection_makes_carry_them_too() {
    let now = SystemTime::now();
    let t = Now::new(Instant::now(), now);
    let expected = date::format(now);

    // A malformed request: 400 from the connection.
    let mut c = conn(Limits::default());
    c.receive(t, b"GET / HTTP/1.1\r\nHost a\r\n\r\n");
    let out = drain(&mut c, t);
    assert!(out.starts_with("HTTP/1.1 400 "), "{out}");
    assert_eq!(field(&out, "Date"), [expected.as_str()]);
    assert_eq!(field(&out, "Server").len(), 1, "{out}");

    // A head the handler built wrong: 500.
    let mut c = conn(Limits::default());
    c.receive(t, b"GET /bad HTTP/1.1\r\nHost: a\r\n\r\n");
    let out = drain(&mut c, t);
    assert!(out.starts_with("HTTP/1.1 500 "), "{out}");
    assert_eq!(field(&out, "Date"), [expected.as_str()]);

    // A body the server's budget cannot hold: 503.
    let budget = BodyBudget::new(16);
    let mut c = conn(Limits::default()).with_budget(Some(budget));
    c.receive(
        t,
        b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1000\r\n\r\n",
    );
    let out = drain(&mut c, t);
    assert!(out.starts_with("HTTP/1.1 503 "), "{out}");
    assert_eq!(field(&out, "Date"), [expected.as_str()]);
    assert_eq!(field(&out, "Server").len(), 1, "{out}");
}
