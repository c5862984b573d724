//! `serve::Served` with time stepped by hand: every deadline and close decision a driver
//! relies on, without a socket or a clock (the cross-runtime suites prove the same over TCP).

use std::time::{Duration, Instant, SystemTime};

use netloom_core::frame::ConnInfo;
use netloom_core::http::server::{IncomingRequest, OutgoingResponse, ServerConn};
use netloom_core::http::Limits;
use netloom_core::serve::{Admission, Admit, CloseReason, Next, Served, SILENT_GRACE};
use netloom_core::{Now, ServerConfig};

type Handler = fn(IncomingRequest) -> OutgoingResponse;

fn hello(req: IncomingRequest) -> OutgoingResponse {
    if req.head.target() == "/big" {
        return OutgoingResponse::bytes(200, "application/octet-stream", vec![b'x'; 1 << 20]);
    }
    OutgoingResponse::text(200, "hello\n")
}

fn config() -> ServerConfig {
    ServerConfig {
        idle_timeout: Duration::from_secs(60),
        request_timeout: Duration::from_secs(30),
        write_timeout: Duration::from_secs(10),
        write_window: 64 * 1024,
        shutdown_grace: Duration::from_secs(5),
        linger: Duration::from_secs(1),
        linger_bytes: 1000,
        ..ServerConfig::default()
    }
}

fn start() -> Now {
    Now::new(Instant::now(), SystemTime::now())
}

fn conn() -> ServerConn<&'static Handler> {
    static HANDLER: Handler = hello;
    let info = ConnInfo {
        local: "127.0.0.1:80".parse().unwrap(),
        peer: "127.0.0.1:9".parse().unwrap(),
    };
    ServerConn::new(&HANDLER, info, Limits::default())
}

fn served(t0: Now) -> Served<ServerConn<&'static Handler>> {
    Served::new(conn(), &config(), None, t0)
}

/// Writes everything the connection has to send at `now`; the bytes, and what it asked for
/// next.
fn flush_then<C: netloom_core::Duplex>(s: &mut Served<C>, now: Now) -> (usize, &'static str) {
    let mut total = 0;
    loop {
        let next = s.next(now);
        if !matches!(next, Next::Write) {
            return (total, label(&next));
        }
        let n = s.transmit().len();
        total += n;
        s.advance(now, n);
    }
}

/// Writes everything the connection has to send at `now`, expecting it to read next.
fn flush<C: netloom_core::Duplex>(s: &mut Served<C>, now: Now) -> usize {
    let (n, next) = flush_then(s, now);
    assert!(matches!(next, "read" | "close"), "then {next}");
    n
}

fn label<T>(n: &Next<T>) -> &'static str {
    match n {
        Next::Write => "write",
        Next::WriteFile => "write-file",
        Next::Read => "read",
        Next::Run(_) => "run",
        Next::Wait => "wait",
        Next::ShutdownWrite => "shutdown-write",
        Next::Close => "close",
    }
}

#[test]
fn a_silent_new_connection_is_closed_at_the_request_timeout() {
    let t0 = start();
    let mut s = served(t0);
    assert_eq!(label(&s.next(t0)), "read");
    assert_eq!(s.poll_timeout(), Some(t0.instant + Duration::from_secs(30)));
    s.handle_timeout(t0.after(Duration::from_secs(29)));
    assert!(!s.is_closed());
    s.handle_timeout(t0.after(Duration::from_secs(30)));
    assert_eq!(label(&s.next(t0)), "close");
    assert_eq!(s.close_reason(), Some(CloseReason::RequestTimeout));
}

#[test]
fn a_trickled_head_is_held_to_the_request_timeout_however_steady() {
    let t0 = start();
    let mut s = served(t0);
    let t1 = t0.after(Duration::from_secs(1));
    s.receive(t1, b"GET / HTTP/1.1\r\nHost: a\r\n");
    // Every byte is activity, but the message is timed from its start (here: the accept).
    for i in 2..30 {
        let t = t0.after(Duration::from_secs(i));
        s.receive(t, b"X-Drip: 1\r\n");
        s.handle_timeout(t);
        assert!(!s.is_closed(), "closed at {i} s");
    }
    s.handle_timeout(t0.after(Duration::from_secs(30)));
    assert_eq!(s.close_reason(), Some(CloseReason::RequestTimeout));
}

#[test]
fn a_keep_alive_connection_is_idle_between_requests_and_closed_at_the_idle_timeout() {
    let t0 = start();
    let mut s = served(t0);
    let t1 = t0.after(Duration::from_secs(1));
    s.receive(t1, b"GET / HTTP/1.1\r\nHost: a\r\n\r\n");
    assert!(flush(&mut s, t1) > 0);
    assert_eq!(label(&s.next(t1)), "read");
    // Between requests only the idle timeout applies, from the last activity.
    assert_eq!(s.poll_timeout(), Some(t1.instant + Duration::from_secs(60)));
    // A second request's head, begun later, is held to the request timeout from its start.
    let t2 = t1.after(Duration::from_secs(50));
    s.receive(t2, b"GET / HTTP/1.1\r\n");
    assert_eq!(s.poll_timeout(), Some(t2.instant + Duration::from_secs(30)));
    s.receive(t2, b"Host: a\r\n\r\n");
    flush(&mut s, t2);
    s.handle_timeout(t2.after(Duration::from_secs(59)));
    assert!(!s.is_closed());
    s.handle_timeout(t2.after(Duration::from_secs(60)));
    assert_eq!(s.close_reason(), Some(CloseReason::IdleTimeout));
}

#[test]
fn each_write_window_must_go_out_within_the_write_timeout() {
    let t0 = start();
    let mut s = served(t0);
    s.receive(t0, b"GET /big HTTP/1.1\r\nHost: a\r\n\r\n");
    assert_eq!(label(&s.next(t0)), "write");
    // At most one window at a time.
    assert_eq!(s.transmit().len(), 64 * 1024);
    assert_eq!(s.poll_timeout(), Some(t0.instant + Duration::from_secs(10)));
    // Part of a window does not buy time...
    let t1 = t0.after(Duration::from_secs(5));
    s.advance(t1, 1000);
    assert_eq!(s.poll_timeout(), Some(t0.instant + Duration::from_secs(10)));
    // ...a whole window does: the next one starts then.
    let t2 = t0.after(Duration::from_secs(9));
    let left = s.transmit().len();
    s.advance(t2, left);
    assert_eq!(s.poll_timeout(), Some(t2.instant + Duration::from_secs(10)));
    // A peer that stops taking output is cut off.
    s.handle_timeout(t2.after(Duration::from_secs(10)));
    assert_eq!(label(&s.next(t2)), "close");
    assert_eq!(s.close_reason(), Some(CloseReason::WriteTimeout));
}

#[test]
fn a_finished_connection_shuts_its_side_then_lingers_within_time_and_bytes() {
    let t0 = start();
    let mut s = served(t0);
    s.receive(
        t0,
        b"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(flush_then(&mut s, t0).1, "shutdown-write");
    // Lingering: whatever still comes is read and thrown away...
    assert_eq!(label(&s.next(t0)), "read");
    assert_eq!(s.poll_timeout(), Some(t0.instant + Duration::from_secs(1)));
    s.receive(t0, &[b'x'; 600]);
    assert!(!s.is_closed());
    // ...up to the byte cap,
    s.receive(t0, &[b'x'; 600]);
    assert_eq!(s.close_reason(), Some(CloseReason::Finished));

    // or until the peer closes,
    let mut s = served(t0);
    s.receive(
        t0,
        b"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(flush_then(&mut s, t0).1, "shutdown-write");
    s.receive_eof(t0);
    assert_eq!(label(&s.next(t0)), "close");

    // or for the linger time at most.
    let mut s = served(t0);
    s.receive(
        t0,
        b"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(flush_then(&mut s, t0).1, "shutdown-write");
    s.handle_timeout(t0.after(Duration::from_secs(1)));
    assert_eq!(label(&s.next(t0)), "close");
}

#[test]
fn a_peer_that_closed_after_its_answer_is_not_lingered_on() {
    let t0 = start();
    let mut s = served(t0);
    s.receive(t0, b"GET / HTTP/1.1\r\nHost: a\r\n\r\n");
    s.receive_eof(t0);
    let (n, next) = flush_then(&mut s, t0);
    assert!(n > 0, "the answer still goes out");
    assert_eq!(next, "close");
}

#[test]
fn shutdown_closes_idle_connections_at_once_and_busy_ones_after_their_answer() {
    let t0 = start();
    let mut idle = served(t0);
    idle.receive(t0, b"GET / HTTP/1.1\r\nHost: a\r\n\r\n");
    flush(&mut idle, t0);
    idle.begin_shutdown(t0);
    assert_eq!(label(&idle.next(t0)), "close");
    assert_eq!(idle.close_reason(), Some(CloseReason::Shutdown));

    let mut busy = served(t0);
    busy.receive(t0, b"GET / HTTP/1.1\r\nHost:");
    busy.begin_shutdown(t0);
    assert_eq!(
        label(&busy.next(t0)),
        "read",
        "its request is read to the end"
    );
    assert_eq!(
        busy.poll_timeout(),
        Some(t0.instant + Duration::from_secs(5))
    );
    busy.receive(t0, b" a\r\n\r\n");
    let (n, next) = flush_then(&mut busy, t0);
    assert!(n > 0, "answered");
    assert_eq!(next, "close", "then closed");

    let mut stuck = served(t0);
    stuck.receive(t0, b"GET / HTTP/1.1\r\nHost:");
    stuck.begin_shutdown(t0);
    stuck.handle_timeout(t0.after(Duration::from_secs(5)));
    assert_eq!(stuck.close_reason(), Some(CloseReason::ShutdownGrace));
}

#[test]
fn a_job_out_is_not_timed_but_its_pipelined_output_is() {
    let t0 = start();
    let info = ConnInfo {
        local: "127.0.0.1:80".parse().unwrap(),
        peer: "127.0.0.1:9".parse().unwrap(),
    };
    let handler: std::sync::Arc<Handler> = std::sync::Arc::new(hello);
    let mut s = Served::new(
        ServerConn::deferred(handler, info, Limits::default()),
        &config(),
        None,
        t0,
    );
    s.receive(t0, b"GET / HTTP/1.1\r\nHost: a\r\n\r\n");
    let Next::Run(job) = s.next(t0) else {
        panic!("the handler call is a job")
    };
    assert_eq!(label(&s.next(t0)), "wait");
    assert_eq!(s.poll_timeout(), None, "a job out has no deadline");
    s.handle_timeout(t0.after(Duration::from_secs(3600)));
    assert!(!s.is_closed());
    let t1 = t0.after(Duration::from_secs(3600));
    s.on_job(t1, Some(job.run()));
    assert!(flush(&mut s, t1) > 0);
    assert_eq!(label(&s.next(t1)), "read");
}

#[test]
fn the_bound_evicts_a_silent_connection_through_its_ticket() {
    let t0 = start();
    let bound = Admission::new(1, t0);
    let Admit::Admitted { ticket, .. } = bound.admit(t0) else {
        panic!()
    };
    let mut s = Served::new(conn(), &config(), Some(ticket), t0);
    assert_eq!(label(&s.next(t0)), "read");
    let kicked = s.kicked().expect("a ticket");
    let later = t0.after(SILENT_GRACE);
    let Admit::Admitted { victim, .. } = bound.admit(later) else {
        panic!("the newcomer is let in")
    };
    assert_eq!(victim, s.ticket().map(|t| t.id()));
    // The driver waiting on `kicked` wakes, and the connection closes.
    let waker = std::task::Waker::noop();
    let mut cx = std::task::Context::from_waker(waker);
    let mut kicked = std::pin::pin!(kicked);
    assert!(kicked.as_mut().poll(&mut cx).is_ready());
    assert_eq!(label(&s.next(later)), "close");
    assert_eq!(s.close_reason(), Some(CloseReason::Evicted));
}

use std::future::Future;

#[test]
fn a_busy_connection_is_not_evicted_and_shutdown_reaches_it_through_its_ticket() {
    let t0 = start();
    let bound = Admission::new(1, t0);
    let Admit::Admitted { ticket, .. } = bound.admit(t0) else {
        panic!()
    };
    let mut s = Served::new(conn(), &config(), Some(ticket), t0);
    s.receive(t0, b"GET / HTTP/1.1\r\nHost:");
    assert!(matches!(
        bound.admit(t0.after(Duration::from_secs(10))),
        Admit::Full
    ));
    bound.begin_shutdown();
    assert_eq!(label(&s.next(t0)), "read", "finishes its request first");
    s.receive(t0, b" a\r\n\r\n");
    assert_eq!(flush_then(&mut s, t0).1, "close");
    assert_eq!(s.close_reason(), Some(CloseReason::Shutdown));
    drop(s);
    assert_eq!(bound.live(), 0);
}
