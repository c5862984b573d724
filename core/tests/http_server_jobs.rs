//! `ServerConn::deferred`: handler calls handed to the runtime as jobs, and their answers
//! coming back, driven by hand (the runtimes' socket tests cover the same over TCP).

use std::sync::Arc;

use netloom_core::frame::ConnInfo;
use netloom_core::http::server::ServerDone;
use netloom_core::http::server::{Body, IncomingRequest, OutgoingResponse, ServerConn};
use netloom_core::http::{Connection, Event, Headers, Limits, Request, Response, Role};
use netloom_core::{Duplex, Job, Now};

type Handler = Arc<fn(IncomingRequest) -> OutgoingResponse>;

/// Size of the `/stream` body: several reads of a streamed body.
const STREAMED: usize = 200_000;

fn streamed_byte(i: usize) -> u8 {
    (i % 251) as u8
}

fn answer(req: IncomingRequest) -> OutgoingResponse {
    if req.head.target() == "/panic" {
        panic!("on purpose");
    }
    if req.head.target() == "/stream" {
        let data: Vec<u8> = (0..STREAMED).map(streamed_byte).collect();
        return OutgoingResponse {
            head: Response::new(200),
            body: Body::Stream(Box::new(std::io::Cursor::new(data))),
        };
    }
    OutgoingResponse::text(200, format!("answer {}", req.head.target()))
}

fn conn() -> ServerConn<Handler> {
    let handler: Handler = Arc::new(answer);
    let info = ConnInfo {
        local: "127.0.0.1:80".parse().unwrap(),
        peer: "127.0.0.1:9".parse().unwrap(),
    };
    ServerConn::deferred(handler, info, Limits::default())
}

/// Everything queued for the peer, consumed.
fn drain(c: &mut ServerConn<Handler>) -> String {
    let out = String::from_utf8(c.transmit().to_vec()).unwrap();
    let n = out.len();
    c.advance(now(), n);
    out
}

fn now() -> Now {
    Now::new(std::time::Instant::now(), std::time::SystemTime::now())
}

fn run_on_another_thread(job: Job<ServerDone>) -> ServerDone {
    std::thread::spawn(move || job.run()).join().unwrap()
}

#[test]
fn pipelined_requests_become_one_job_at_a_time_in_order() {
    let mut c = conn();
    c.receive(
        now(),
        b"GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\n",
    );
    let first = c.take_job().expect("a job for the first request");
    assert!(
        c.take_job().is_none(),
        "the second waits for the first answer"
    );
    assert!(c.transmit().is_empty());
    assert!(!c.wants_read(), "no reading while a job is out");
    assert!(c.mid_message(), "a request being handled is in progress");
    c.complete(now(), run_on_another_thread(first));
    assert!(drain(&mut c).ends_with("answer /1"));
    let second = c.take_job().expect("then a job for the second");
    c.complete(now(), second.run());
    assert!(drain(&mut c).ends_with("answer /2"));
    assert!(c.take_job().is_none());
    assert!(c.wants_read());
    assert!(!c.mid_message());
}

#[test]
fn the_peer_closing_while_a_job_is_out_does_not_lose_the_answer() {
    let mut c = conn();
    c.receive(now(), b"GET /x HTTP/1.1\r\nHost: a\r\n\r\n");
    c.receive_eof(now());
    assert!(!c.is_finished(), "the answer is still to come");
    let job = c.take_job().expect("job");
    c.complete(now(), job.run());
    assert!(drain(&mut c).ends_with("answer /x"));
    assert!(c.is_finished());
}

#[test]
fn a_panicking_handler_job_answers_500_and_the_connection_goes_on() {
    let mut c = conn();
    c.receive(now(), b"GET /panic HTTP/1.1\r\nHost: a\r\n\r\n");
    let job = c.take_job().expect("job");
    c.complete(now(), run_on_another_thread(job));
    assert!(drain(&mut c).starts_with("HTTP/1.1 500 Internal Server Error\r\n"));
    c.receive(now(), b"GET /next HTTP/1.1\r\nHost: a\r\n\r\n");
    let job = c.take_job().expect("job");
    c.complete(now(), job.run());
    assert!(drain(&mut c).ends_with("answer /next"));
}

#[test]
fn a_streamed_body_is_read_by_jobs_too() {
    let mut c = conn();
    c.receive(now(), b"GET /stream HTTP/1.1\r\nHost: a\r\n\r\n");
    let job = c.take_job().expect("the handler call");
    c.complete(now(), run_on_another_thread(job));
    // Each read of the body is a job of its own; the connection waits for each.
    let mut wire = Vec::new();
    let mut reads = 0;
    loop {
        wire.extend_from_slice(c.transmit());
        let n = c.transmit().len();
        c.advance(now(), n);
        let Some(job) = c.take_job() else { break };
        assert!(!c.wants_read() && c.mid_message());
        reads += 1;
        c.complete(now(), run_on_another_thread(job));
    }
    assert!(reads > STREAMED / (64 * 1024), "{reads} reads");
    // What went out is one complete response with the whole body, as a client reads it.
    let mut client = Connection::new(Role::Client, Limits::default());
    let mut sink = Vec::new();
    client
        .send(
            Event::Request(Request::new("GET", "/stream").header("Host", "a")),
            &mut sink,
        )
        .unwrap();
    client
        .send(Event::EndOfMessage(Headers::new()), &mut sink)
        .unwrap();
    client.receive(&wire);
    let mut body = Vec::new();
    let mut ended = false;
    while let Some(ev) = client.next_event().unwrap() {
        match ev {
            Event::Response(r) => assert_eq!(r.status(), 200),
            Event::Data(d) => body.extend_from_slice(&d),
            Event::EndOfMessage(_) => ended = true,
            other => panic!("{other:?}"),
        }
    }
    assert!(ended);
    assert!(body.iter().enumerate().all(|(i, &b)| b == streamed_byte(i)));
    assert_eq!(body.len(), STREAMED);
    // And the connection is ready for the next request.
    assert!(c.wants_read());
    c.receive(now(), b"GET /next HTTP/1.1\r\nHost: a\r\n\r\n");
    let job = c.take_job().expect("job");
    c.complete(now(), job.run());
    assert!(drain(&mut c).ends_with("answer /next"));
}
