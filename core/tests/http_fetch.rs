//! `http::client::Fetch` driven by hand, with scripted server bytes and time stepped by hand:
//! redirects and credentials, the stale-connection retry, the 1xx cap and every deadline.
//! (The runtimes' client suites prove the same over real sockets.)

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use netloom_core::http::client::{
    ClientConfig, ClientError, ClientRequest, Fetch, FetchStep, Link, RedirectPolicy, Waiting,
};
use netloom_core::Now;

fn start() -> Now {
    Now::new(Instant::now(), SystemTime::now())
}

fn config() -> Arc<ClientConfig> {
    Arc::new(ClientConfig::default())
}

/// What the fetch wrote for one request, head and body, as text.
fn written(fetch: &mut Fetch, now: Now) -> String {
    let mut out = Vec::new();
    loop {
        match fetch.next(now).unwrap() {
            FetchStep::Write => {
                let n = fetch.transmit().len();
                out.extend_from_slice(fetch.transmit());
                fetch.advance(now, n);
            }
            FetchStep::Read => break,
            other => panic!("expected the request to go out, got {other:?}"),
        }
    }
    String::from_utf8(out).unwrap()
}

/// Feeds `response` and collects the body up to the end; the release and the body.
fn answer(fetch: &mut Fetch, now: Now, response: &[u8]) -> (Option<bool>, Vec<u8>) {
    fetch.receive(now, response);
    let mut body = Vec::new();
    loop {
        match fetch.next(now).unwrap() {
            FetchStep::Head => {}
            FetchStep::Body => {
                body.extend_from_slice(fetch.body());
                let n = fetch.body().len();
                fetch.consume(n);
            }
            FetchStep::Release { reusable } => return (Some(reusable), body),
            FetchStep::Read => return (None, body),
            other => panic!("unexpected {other:?}"),
        }
    }
}

fn connect(fetch: &mut Fetch, now: Now) -> FetchStep {
    let step = fetch.next(now).unwrap();
    assert!(matches!(step, FetchStep::Connect { .. }), "{step:?}");
    fetch.connected(now).unwrap();
    step
}

#[test]
fn a_get_goes_out_comes_back_and_its_connection_is_reusable() {
    let t = start();
    let req = ClientRequest::new("GET", "http://example.com:8080/a?b#frag").unwrap();
    let mut f = Fetch::new(req, config(), t);
    assert_eq!(f.origin().host, "example.com");
    connect(&mut f, t);
    let head = written(&mut f, t);
    assert!(
        head.starts_with("GET /a?b HTTP/1.1\r\nHost: example.com:8080\r\n"),
        "{head}"
    );
    assert!(
        head.contains("\r\nAccept-Encoding: gzip, deflate\r\n"),
        "{head}"
    );
    let (release, body) = answer(
        &mut f,
        t,
        b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
    );
    assert_eq!((release, &body[..]), (Some(true), &b"hello"[..]));
    assert_eq!(f.next(t).unwrap(), FetchStep::Done);
    assert_eq!(f.response().unwrap().status(), 200);
}

#[test]
fn credentials_go_to_their_origin_and_are_dropped_on_a_redirect_elsewhere() {
    let t = start();
    let config = Arc::new(ClientConfig {
        headers: vec![("Cookie".into(), "session=1".into())],
        ..ClientConfig::default()
    });
    let req = ClientRequest::new("GET", "http://al%69ce:p%40ss@one.example/start")
        .unwrap()
        .header("Authorization", "Bearer secret")
        .header("X-Other", "kept");
    let mut f = Fetch::new(req, config, t);
    connect(&mut f, t);
    let first = written(&mut f, t);
    // User information becomes Basic credentials (percent-decoded: alice:p@ss), replacing
    // a field set by hand; it never shows in the Host or the target.
    assert!(
        first.contains("\r\nAuthorization: Basic YWxpY2U6cEBzcw==\r\n"),
        "{first}"
    );
    assert!(first.contains("\r\nCookie: session=1\r\n"), "{first}");
    assert!(
        first.starts_with("GET /start HTTP/1.1\r\nHost: one.example\r\n"),
        "{first}"
    );
    assert!(!f.url().as_str().contains("p%40ss"), "{}", f.url());
    // Same origin: everything stays.
    let (release, _) = answer(
        &mut f,
        t,
        b"HTTP/1.1 302 Found\r\nLocation: /next\r\nContent-Length: 3\r\n\r\nabc",
    );
    assert_eq!(
        release,
        Some(true),
        "a short redirect body is drained for reuse"
    );
    connect(&mut f, t);
    let second = written(&mut f, t);
    assert!(second.starts_with("GET /next HTTP/1.1\r\n"), "{second}");
    assert!(second.contains("\r\nAuthorization: Basic "), "{second}");
    assert!(second.contains("\r\nCookie: session=1\r\n"), "{second}");
    // Another origin: no credentials of any kind, other fields kept.
    let (release, _) = answer(
        &mut f,
        t,
        b"HTTP/1.1 301 Moved\r\nLocation: http://two.example/there\r\nContent-Length: 0\r\n\r\n",
    );
    // The connection released is the first origin's (the pool keeps it under that name).
    assert_eq!(release, Some(true));
    assert_eq!(f.origin().host, "one.example");
    let step = connect(&mut f, t);
    assert_eq!(step, FetchStep::Connect { fresh: false });
    assert_eq!(f.origin().host, "two.example");
    let third = written(&mut f, t);
    assert!(
        third.starts_with("GET /there HTTP/1.1\r\nHost: two.example\r\n"),
        "{third}"
    );
    for field in ["Authorization", "Cookie"] {
        assert!(!third.contains(field), "{field} leaked: {third}");
    }
    assert!(third.contains("\r\nX-Other: kept\r\n"), "{third}");
    // Coming back to the first origin does not bring them back.
    answer(
        &mut f,
        t,
        b"HTTP/1.1 302 Found\r\nLocation: http://one.example/back\r\nContent-Length: 0\r\n\r\n",
    );
    connect(&mut f, t);
    let fourth = written(&mut f, t);
    assert!(
        !fourth.contains("Authorization") && !fourth.contains("Cookie"),
        "{fourth}"
    );
}

#[test]
fn a_port_or_scheme_change_is_another_origin() {
    let t = start();
    let req = ClientRequest::new("GET", "http://h.example/")
        .unwrap()
        .basic_auth("u", "p");
    let mut f = Fetch::new(req, config(), t);
    connect(&mut f, t);
    assert!(written(&mut f, t).contains("Authorization: Basic dTpw"));
    answer(
        &mut f,
        t,
        b"HTTP/1.1 307 Temporary\r\nLocation: http://h.example:8081/\r\nContent-Length: 0\r\n\r\n",
    );
    connect(&mut f, t);
    assert!(!written(&mut f, t).contains("Authorization"));
}

#[test]
fn redirects_rewrite_methods_as_rfc_9110_says() {
    let t = start();
    let req = ClientRequest::new("POST", "http://h.example/form")
        .unwrap()
        .content_type("text/plain")
        .body(b"data".to_vec());
    let mut f = Fetch::new(req, config(), t);
    connect(&mut f, t);
    let first = written(&mut f, t);
    assert!(first.ends_with("\r\n\r\ndata"), "{first}");
    assert!(first.contains("Content-Length: 4\r\n"), "{first}");
    // 307 keeps the method and the body.
    answer(
        &mut f,
        t,
        b"HTTP/1.1 307 T\r\nLocation: /again\r\nContent-Length: 0\r\n\r\n",
    );
    connect(&mut f, t);
    let second = written(&mut f, t);
    assert!(second.starts_with("POST /again HTTP/1.1\r\n"), "{second}");
    assert!(second.ends_with("\r\n\r\ndata"), "{second}");
    // 303 turns it into a GET without body or content type.
    answer(
        &mut f,
        t,
        b"HTTP/1.1 303 See Other\r\nLocation: /done\r\nContent-Length: 0\r\n\r\n",
    );
    connect(&mut f, t);
    let third = written(&mut f, t);
    assert!(third.starts_with("GET /done HTTP/1.1\r\n"), "{third}");
    assert!(
        !third.contains("Content-Type") && !third.contains("data"),
        "{third}"
    );
}

#[test]
fn a_call_that_must_keep_its_method_refuses_other_redirects() {
    let t = start();
    let mk = || {
        ClientRequest::new("POST", "http://h.example/RPC2")
            .unwrap()
            .redirects(RedirectPolicy::KeepMethod)
            .body(b"<methodCall/>".to_vec())
    };
    for status in [301, 302, 303] {
        let mut f = Fetch::new(mk(), config(), t);
        connect(&mut f, t);
        written(&mut f, t);
        f.receive(
            t,
            format!("HTTP/1.1 {status} X\r\nLocation: http://evil.example/\r\nContent-Length: 0\r\n\r\n")
                .as_bytes(),
        );
        match f.next(t) {
            Err(ClientError::RedirectRefused {
                status: s,
                location,
            }) => {
                assert_eq!((s, location.as_str()), (status, "http://evil.example/"));
            }
            other => panic!("{status}: {other:?}"),
        }
    }
    let mut f = Fetch::new(mk(), config(), t);
    connect(&mut f, t);
    written(&mut f, t);
    answer(
        &mut f,
        t,
        b"HTTP/1.1 308 P\r\nLocation: /RPC3\r\nContent-Length: 0\r\n\r\n",
    );
    connect(&mut f, t);
    let again = written(&mut f, t);
    assert!(
        again.starts_with("POST /RPC3 ") && again.ends_with("<methodCall/>"),
        "{again}"
    );
    let refuse = ClientRequest::new("GET", "http://h.example/")
        .unwrap()
        .redirects(RedirectPolicy::Refuse);
    let mut f = Fetch::new(refuse, config(), t);
    connect(&mut f, t);
    written(&mut f, t);
    f.receive(
        t,
        b"HTTP/1.1 307 T\r\nLocation: /x\r\nContent-Length: 0\r\n\r\n",
    );
    assert!(matches!(
        f.next(t),
        Err(ClientError::RedirectRefused { status: 307, .. })
    ));
}

#[test]
fn redirects_are_counted() {
    let t = start();
    let config = Arc::new(ClientConfig {
        max_redirects: 2,
        ..ClientConfig::default()
    });
    let mut f = Fetch::new(
        ClientRequest::new("GET", "http://h.example/").unwrap(),
        config,
        t,
    );
    for _ in 0..2 {
        connect(&mut f, t);
        written(&mut f, t);
        answer(
            &mut f,
            t,
            b"HTTP/1.1 302 F\r\nLocation: /loop\r\nContent-Length: 0\r\n\r\n",
        );
    }
    connect(&mut f, t);
    written(&mut f, t);
    f.receive(
        t,
        b"HTTP/1.1 302 F\r\nLocation: /loop\r\nContent-Length: 0\r\n\r\n",
    );
    assert!(matches!(
        f.next(t),
        Err(ClientError::TooManyRedirects { max: 2 })
    ));
}

#[test]
fn a_stale_pooled_connection_is_retried_once_on_a_fresh_one_for_idempotent_requests() {
    let t = start();
    let mut f = Fetch::new(
        ClientRequest::new("GET", "http://h.example/").unwrap(),
        config(),
        t,
    );
    assert_eq!(f.next(t).unwrap(), FetchStep::Connect { fresh: false });
    f.reused(t, Link::plain()).unwrap();
    written(&mut f, t);
    // The server had closed it: nothing comes back.
    f.receive_eof(t);
    assert_eq!(f.next(t).unwrap(), FetchStep::Release { reusable: false });
    assert_eq!(f.next(t).unwrap(), FetchStep::Connect { fresh: true });
    f.connected(t).unwrap();
    written(&mut f, t);
    let (release, body) = answer(&mut f, t, b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    assert_eq!((release, &body[..]), (Some(true), &b"ok"[..]));

    // A reset while writing on a pooled connection is stale too.
    let mut f = Fetch::new(
        ClientRequest::new("GET", "http://h.example/").unwrap(),
        config(),
        t,
    );
    f.next(t).unwrap();
    f.reused(t, Link::plain()).unwrap();
    assert_eq!(f.next(t).unwrap(), FetchStep::Write);
    f.io_failed(std::io::ErrorKind::BrokenPipe.into());
    assert_eq!(f.next(t).unwrap(), FetchStep::Release { reusable: false });
    assert_eq!(f.next(t).unwrap(), FetchStep::Connect { fresh: true });

    // A POST is not sent twice (unless the request asks for it)...
    let post = || {
        ClientRequest::new("POST", "http://h.example/")
            .unwrap()
            .body(b"x".to_vec())
    };
    let mut f = Fetch::new(post(), config(), t);
    f.next(t).unwrap();
    f.reused(t, Link::plain()).unwrap();
    written(&mut f, t);
    f.receive_eof(t);
    assert!(matches!(f.next(t), Err(ClientError::NoResponse)));
    let mut f = Fetch::new(post().retry_on_stale(true), config(), t);
    f.next(t).unwrap();
    f.reused(t, Link::plain()).unwrap();
    written(&mut f, t);
    f.receive_eof(t);
    assert_eq!(f.next(t).unwrap(), FetchStep::Release { reusable: false });

    // ...a fresh connection that fails is not stale, and the retry happens once.
    let mut f = Fetch::new(
        ClientRequest::new("GET", "http://h.example/").unwrap(),
        config(),
        t,
    );
    connect(&mut f, t);
    written(&mut f, t);
    f.receive_eof(t);
    assert!(matches!(f.next(t), Err(ClientError::NoResponse)));
}

#[test]
fn an_endless_run_of_1xx_responses_is_refused() {
    let t = start();
    let mut f = Fetch::new(
        ClientRequest::new("GET", "http://h.example/").unwrap(),
        config(),
        t,
    );
    connect(&mut f, t);
    written(&mut f, t);
    f.receive(t, &b"HTTP/1.1 100 Continue\r\n\r\n".repeat(16));
    assert_eq!(f.next(t).unwrap(), FetchStep::Read, "16 are allowed");
    f.receive(t, b"HTTP/1.1 100 Continue\r\n\r\n");
    assert!(matches!(
        f.next(t),
        Err(ClientError::TooManyInformational { max: 16 })
    ));
}

#[test]
fn a_dripping_head_is_cut_at_the_head_deadline_however_steady() {
    let t = start();
    let mut f = Fetch::new(
        ClientRequest::new("GET", "http://h.example/").unwrap(),
        config(),
        t,
    );
    connect(&mut f, t);
    written(&mut f, t);
    // A byte a second: each read is in time, the head as a whole is not.
    let head = b"HTTP/1.1 200 OK\r\nX-Drip: ".repeat(4);
    for (i, b) in head.iter().enumerate().take(70) {
        let now = t.after(Duration::from_secs(i as u64));
        f.handle_timeout(now);
        if i < 60 {
            f.receive(now, &[*b]);
            assert_eq!(f.next(now).unwrap(), FetchStep::Read, "{i}");
        } else {
            assert!(
                matches!(f.next(now), Err(ClientError::Timeout(Waiting::Head))),
                "{i}"
            );
            return;
        }
    }
    panic!("never cut off");
}

#[test]
fn a_silent_server_and_a_slow_whole_request_are_cut_off() {
    let t = start();
    // The read deadline: nothing for 30 s.
    let mut f = Fetch::new(
        ClientRequest::new("GET", "http://h.example/").unwrap(),
        config(),
        t,
    );
    connect(&mut f, t);
    written(&mut f, t);
    assert_eq!(f.poll_timeout(), Some(t.instant + Duration::from_secs(30)));
    f.handle_timeout(t.after(Duration::from_secs(30)));
    assert!(matches!(
        f.next(t),
        Err(ClientError::Timeout(Waiting::Read))
    ));
    // The total deadline: a body that keeps coming, too slowly for the time limit.
    let req = ClientRequest::new("GET", "http://h.example/")
        .unwrap()
        .timeout(Duration::from_secs(5));
    let mut f = Fetch::new(req, config(), t);
    connect(&mut f, t);
    written(&mut f, t);
    f.receive(t, b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n");
    assert_eq!(f.next(t).unwrap(), FetchStep::Head);
    for s in 1..5 {
        let now = t.after(Duration::from_secs(s));
        f.receive(now, b"x");
        assert_eq!(f.next(now).unwrap(), FetchStep::Body);
        f.consume(1);
    }
    f.handle_timeout(t.after(Duration::from_secs(5)));
    assert!(matches!(
        f.next(t),
        Err(ClientError::Timeout(Waiting::Total))
    ));
    // The connect deadline.
    let mut f = Fetch::new(
        ClientRequest::new("GET", "http://h.example/").unwrap(),
        config(),
        t,
    );
    assert!(matches!(f.next(t).unwrap(), FetchStep::Connect { .. }));
    assert_eq!(f.poll_timeout(), Some(t.instant + Duration::from_secs(10)));
    f.handle_timeout(t.after(Duration::from_secs(10)));
    assert!(matches!(
        f.next(t),
        Err(ClientError::Timeout(Waiting::Connect))
    ));
}

#[test]
fn a_streamed_body_goes_out_chunked_and_is_never_sent_twice() {
    let t = start();
    let req = ClientRequest::new("PUT", "http://h.example/up")
        .unwrap()
        .streamed_body(None);
    let mut f = Fetch::new(req, config(), t);
    connect(&mut f, t);
    let mut out = Vec::new();
    let mut pieces = vec![&b"hello "[..], &b"world"[..]].into_iter();
    loop {
        match f.next(t).unwrap() {
            FetchStep::Write => {
                out.extend_from_slice(f.transmit());
                let n = f.transmit().len();
                f.advance(t, n);
            }
            FetchStep::SendBody => match pieces.next() {
                Some(p) => f.send_body(t, p).unwrap(),
                None => f.finish_body(t).unwrap(),
            },
            FetchStep::Read => break,
            other => panic!("{other:?}"),
        }
    }
    let text = String::from_utf8(out).unwrap();
    assert!(text.contains("Transfer-Encoding: chunked\r\n"), "{text}");
    assert!(
        text.ends_with("\r\n\r\n6\r\nhello \r\n5\r\nworld\r\n0\r\n\r\n"),
        "{text}"
    );
    // A 307 would resend it: the redirect is the answer instead.
    f.receive(
        t,
        b"HTTP/1.1 307 T\r\nLocation: /else\r\nContent-Length: 0\r\n\r\n",
    );
    assert_eq!(f.next(t).unwrap(), FetchStep::Head);
    assert_eq!(f.response().unwrap().status(), 307);
}

#[test]
fn a_bad_header_is_an_invalid_request_not_a_bad_response() {
    let t = start();
    let req = ClientRequest::new("GET", "http://h.example/")
        .unwrap()
        .header("X-Bad", "a\r\nInjected: yes");
    let mut f = Fetch::new(req, config(), t);
    assert!(matches!(f.next(t).unwrap(), FetchStep::Connect { .. }));
    assert!(matches!(
        f.connected(t),
        Err(ClientError::InvalidRequest(_))
    ));
}
