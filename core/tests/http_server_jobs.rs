//! `ServerConn::deferred`: handler calls handed to the runtime as jobs, and their answers
//! coming back, driven by hand (the runtimes' socket tests cover the same over TCP).

use std::sync::Arc;

use netloom_core::frame::ConnInfo;
use netloom_core::http::server::{IncomingRequest, OutgoingResponse, ServerConn};
use netloom_core::http::Limits;
use netloom_core::{Completion, Duplex, Job};

type Handler = Arc<fn(IncomingRequest) -> OutgoingResponse>;

fn answer(req: IncomingRequest) -> OutgoingResponse {
    if req.head.target() == "/panic" {
        panic!("on purpose");
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
    c.advance(n);
    out
}

fn run_on_another_thread(job: Job) -> Completion {
    std::thread::spawn(move || job.run()).join().unwrap()
}

#[test]
fn pipelined_requests_become_one_job_at_a_time_in_order() {
    let mut c = conn();
    c.receive(b"GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\n");
    let first = c.take_job().expect("a job for the first request");
    assert!(
        c.take_job().is_none(),
        "the second waits for the first answer"
    );
    assert!(c.transmit().is_empty());
    assert!(!c.wants_read(), "no reading while a job is out");
    assert!(c.mid_message(), "a request being handled is in progress");
    c.complete(run_on_another_thread(first));
    assert!(drain(&mut c).ends_with("answer /1"));
    let second = c.take_job().expect("then a job for the second");
    c.complete(second.run());
    assert!(drain(&mut c).ends_with("answer /2"));
    assert!(c.take_job().is_none());
    assert!(c.wants_read());
    assert!(!c.mid_message());
}

#[test]
fn the_peer_closing_while_a_job_is_out_does_not_lose_the_answer() {
    let mut c = conn();
    c.receive(b"GET /x HTTP/1.1\r\nHost: a\r\n\r\n");
    c.receive_eof();
    assert!(!c.is_finished(), "the answer is still to come");
    let job = c.take_job().expect("job");
    c.complete(job.run());
    assert!(drain(&mut c).ends_with("answer /x"));
    assert!(c.is_finished());
}

#[test]
fn a_panicking_handler_job_answers_500_and_the_connection_goes_on() {
    let mut c = conn();
    c.receive(b"GET /panic HTTP/1.1\r\nHost: a\r\n\r\n");
    let job = c.take_job().expect("job");
    c.complete(run_on_another_thread(job));
    assert!(drain(&mut c).starts_with("HTTP/1.1 500 Internal Server Error\r\n"));
    c.receive(b"GET /next HTTP/1.1\r\nHost: a\r\n\r\n");
    let job = c.take_job().expect("job");
    c.complete(job.run());
    assert!(drain(&mut c).ends_with("answer /next"));
}

#[test]
fn a_completion_from_some_other_job_answers_500() {
    let mut c = conn();
    c.receive(b"GET /x HTTP/1.1\r\nHost: a\r\n\r\n");
    let _ours = c.take_job().expect("job");
    c.complete(Job::new(|| 42u32).run());
    assert!(drain(&mut c).starts_with("HTTP/1.1 500 Internal Server Error\r\n"));
}

#[test]
fn a_completion_nobody_waits_for_is_ignored() {
    let mut c = conn();
    c.complete(Job::new(|| OutgoingResponse::text(200, "stray")).run());
    assert!(c.transmit().is_empty());
    c.receive(b"GET /x HTTP/1.1\r\nHost: a\r\n\r\n");
    let job = c.take_job().expect("job");
    c.complete(job.run());
    assert!(drain(&mut c).ends_with("answer /x"));
}
