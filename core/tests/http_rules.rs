//! One test per RFC 9112 rule the HTTP/1.1 state machine implements, named after the rule.

#[path = "http_common/mod.rs"]
mod common;

use common::*;
use netloom_core::http::{
    Connection, Error, Event, EventRef, Headers, HeadersRef, Limits, Request, Response, Role,
    State, Version,
};

const GET: &[u8] = b"GET /x HTTP/1.1\r\nHost: a\r\n\r\n";

fn request_head(events: &[Event]) -> &Request {
    match &events[0] {
        Event::Request(r) => r,
        other => panic!("expected a request, got {other:?}"),
    }
}

// ----- heads -----

#[test]
fn simple_get_yields_request_then_end_of_message() {
    let evs = server_events(GET).unwrap();
    assert_eq!(evs.len(), 2);
    let r = request_head(&evs);
    assert_eq!(
        (r.method(), r.target(), r.version()),
        ("GET", "/x", Version::Http11)
    );
    assert_eq!(r.headers().get_str("HOST"), Some("a"));
    assert_eq!(evs[1], Event::EndOfMessage(Headers::new()));
}

#[test]
fn leading_empty_lines_before_request_line_are_ignored() {
    let evs = server_events(b"\r\n\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n").unwrap();
    assert_eq!(request_head(&evs).target(), "/");
}

#[test]
fn bare_lf_is_accepted_in_heads() {
    let evs = server_events(b"GET / HTTP/1.1\nHost: a\nX: y\n\n").unwrap();
    assert_eq!(request_head(&evs).headers().get_str("x"), Some("y"));
}

#[test]
fn bare_cr_in_head_is_rejected() {
    assert_eq!(
        server_error(b"GET / HTTP/1.1\rHost: a\r\n\r\n"),
        Error::InvalidLineEnding
    );
    assert_eq!(
        server_error(b"GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n"),
        Error::InvalidHeaderValue
    );
}

#[test]
fn obs_fold_in_request_is_rejected_with_400() {
    let e = server_error(b"GET / HTTP/1.1\r\nHost: a\r\nX: 1\r\n  2\r\n\r\n");
    assert_eq!(e, Error::ObsFold);
    assert_eq!(e.status_code(), 400);
}

#[test]
fn whitespace_before_first_header_is_rejected() {
    assert_eq!(
        server_error(b"GET / HTTP/1.1\r\n Host: a\r\n\r\n"),
        Error::ObsFold
    );
}

#[test]
fn obs_fold_in_response_is_replaced_by_spaces() {
    let after_get = || {
        let mut c = client();
        let mut out = Vec::new();
        c.send(
            Event::Request(Request::new("GET", "/").header("Host", "a")),
            &mut out,
        )
        .unwrap();
        c.send(Event::EndOfMessage(Headers::new()), &mut out)
            .unwrap();
        c
    };
    let (mut c, mut twin) = (after_get(), after_get());
    let wire = b"HTTP/1.1 200 OK\r\nX: a\r\n b\r\nContent-Length: 0\r\n\r\n";
    c.receive(wire);
    let evs = drain(&mut c).unwrap();
    let Event::Response(r) = &evs[0] else {
        panic!()
    };
    let v = r.headers().get("x").unwrap();
    assert!(!v.contains(&b'\r') && !v.contains(&b'\n'));
    assert_eq!(
        String::from_utf8_lossy(v)
            .split_whitespace()
            .collect::<Vec<_>>(),
        ["a", "b"]
    );
    // The borrowed view sees the same unfolded value, in the connection's own buffer.
    twin.receive(wire);
    let Some(EventRef::Response(r)) = twin.next_event_ref().unwrap() else {
        panic!()
    };
    assert_eq!(r.headers().get("x"), Some(v));
}

#[test]
fn whitespace_between_field_name_and_colon_is_rejected() {
    assert_eq!(
        server_error(b"GET / HTTP/1.1\r\nHost : a\r\n\r\n"),
        Error::InvalidHeaderName
    );
}

#[test]
fn http_version_other_than_1x_is_505() {
    let e = server_error(b"GET / HTTP/2.0\r\nHost: a\r\n\r\n");
    assert_eq!(e, Error::UnsupportedVersion);
    assert_eq!(e.status_code(), 505);
    assert_eq!(
        server_error(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"),
        Error::UnsupportedVersion
    );
    assert_eq!(
        server_error(b"GET / HTTP/0.9\r\nHost: a\r\n\r\n"),
        Error::UnsupportedVersion
    );
}

/// RFC 9110 §2.5: a higher minor version of HTTP/1 is processed as 1.1, and answered in
/// 1.1, by either role.
#[test]
fn http_1_minor_versions_above_1_are_read_as_1_1() {
    for minor in 2..=9 {
        let req = format!("GET /v HTTP/1.{minor}\r\nHost: a\r\n\r\n");
        for step in [req.len(), 1, 5, 13] {
            let mut c = Connection::new(Role::Server, Limits::default());
            let mut got = None;
            for piece in req.as_bytes().chunks(step) {
                c.receive(piece);
                while let Some(ev) = c.next_event().unwrap() {
                    if let Event::Request(r) = ev {
                        got = Some((r.version(), r.target().to_owned()));
                    }
                }
            }
            assert_eq!(
                got,
                Some((Version::Http11, "/v".to_owned())),
                "1.{minor} step {step}"
            );
            let mut out = Vec::new();
            c.send(Event::Response(Response::new(204)), &mut out)
                .unwrap();
            assert!(out.starts_with(b"HTTP/1.1 204 "));
            assert!(c.keep_alive(), "1.{minor} keeps the connection as 1.1 does");
        }
        // A missing Host is still refused: it is HTTP/1.1 now.
        assert_eq!(
            server_error(format!("GET / HTTP/1.{minor}\r\n\r\n").as_bytes()),
            Error::MissingHost
        );
        let mut c = Connection::new(Role::Client, Limits::default());
        let mut out = Vec::new();
        c.send(
            Event::Request(Request::new("GET", "/").header("Host", "a")),
            &mut out,
        )
        .unwrap();
        c.send(Event::EndOfMessage(Headers::new()), &mut out)
            .unwrap();
        c.receive(format!("HTTP/1.{minor} 200 OK\r\nContent-Length: 2\r\n\r\nok").as_bytes());
        match c.next_event().unwrap() {
            Some(Event::Response(r)) => assert_eq!(r.version(), Version::Http11),
            other => panic!("{other:?}"),
        }
    }
}

/// RFC 9112 §3.2: `Host = uri-host [ ":" port ]`; these are all fine.
#[test]
fn valid_host_values_are_accepted() {
    for host in [
        "a",
        "example.com",
        "example.com:8080",
        "a:",
        "127.0.0.1:1",
        "[::1]",
        "[::1]:8080",
        "[fe80::1%25eth0]",
        "xn--bcher-kva.example",
        "a-b_c~d.e",
        "caf%C3%A9.example",
        "",
    ] {
        let req = format!("GET / HTTP/1.1\r\nHost: {host}\r\n\r\n");
        let mut c = Connection::new(Role::Server, Limits::default());
        c.receive(req.as_bytes());
        assert!(
            matches!(c.next_event(), Ok(Some(Event::Request(_)))),
            "Host: {host:?} refused"
        );
    }
}

#[test]
fn malformed_http_version_is_400() {
    let e = server_error(b"GET / FTP/1.1\r\n\r\n");
    assert_eq!(e, Error::InvalidVersion);
    assert_eq!(e.status_code(), 400);
}

#[test]
fn malformed_request_line_is_400() {
    assert_eq!(
        server_error(b"GET  HTTP/1.1\r\n\r\n"),
        Error::InvalidRequestLine
    );
    assert_eq!(
        server_error(b"G(T / HTTP/1.1\r\n\r\n"),
        Error::InvalidRequestLine
    );
}

#[test]
fn over_long_uri_is_414() {
    let limits = Limits {
        max_uri_bytes: 100,
        ..Limits::default()
    };
    let long = format!("GET /{} HTTP/1.1\r\nHost: a\r\n\r\n", "a".repeat(200));
    let e = server_events_with(long.as_bytes(), limits.clone()).unwrap_err();
    assert_eq!(e, Error::UriTooLong { limit: 100 });
    assert_eq!(e.status_code(), 414);
    // Also detected before the request line is complete.
    let partial = format!("GET /{}", "a".repeat(400));
    let e = server_events_with(partial.as_bytes(), limits).unwrap_err();
    assert_eq!(e, Error::UriTooLong { limit: 100 });
}

#[test]
fn head_over_limit_is_431() {
    let limits = Limits {
        max_head_bytes: 256,
        ..Limits::default()
    };
    let big = format!(
        "GET / HTTP/1.1\r\nHost: a\r\nX: {}\r\n\r\n",
        "v".repeat(300)
    );
    let e = server_events_with(big.as_bytes(), limits.clone()).unwrap_err();
    assert_eq!(e, Error::HeadTooLarge { limit: 256 });
    assert_eq!(e.status_code(), 431);
    // Unterminated heads are cut off at the limit too.
    let endless = format!("GET / HTTP/1.1\r\nX: {}", "v".repeat(300));
    let mut c = Connection::new(Role::Server, limits);
    for b in endless.as_bytes().chunks(7) {
        c.receive(b);
        if let Err(e) = c.next_event() {
            assert_eq!(e, Error::HeadTooLarge { limit: 256 });
            return;
        }
    }
    panic!("no error");
}

#[test]
fn header_count_over_limit_is_431() {
    let limits = Limits {
        max_headers: 5,
        ..Limits::default()
    };
    let mut req = String::from("GET / HTTP/1.1\r\nHost: a\r\n");
    for i in 0..5 {
        req.push_str(&format!("X{i}: v\r\n"));
    }
    req.push_str("\r\n");
    let e = server_events_with(req.as_bytes(), limits).unwrap_err();
    assert_eq!(e, Error::TooManyHeaders { limit: 5 });
    assert_eq!(e.status_code(), 431);
}

#[test]
fn every_field_count_up_to_the_limit_reads_back_in_order_owned_and_borrowed() {
    // Around the connection's inline field slots and well past them, on one connection, so
    // a short head after a long one reuses the table.
    let mut c = Connection::new(Role::Server, Limits::default());
    let mut out = Vec::new();
    for n in [0usize, 1, 15, 16, 17, 40, 3, 99, 16] {
        let mut req = String::from("GET / HTTP/1.1\r\nHost: a\r\n");
        for i in 0..n {
            req.push_str(&format!("X-{i}: v{i}\r\n"));
        }
        req.push_str("\r\n");
        let expected: Vec<(String, Vec<u8>)> = std::iter::once(("Host".to_string(), b"a".to_vec()))
            .chain((0..n).map(|i| (format!("X-{i}"), format!("v{i}").into_bytes())))
            .collect();
        for borrowed in [false, true] {
            c.receive(req.as_bytes());
            let fields = |h: HeadersRef<'_>| -> Vec<(String, Vec<u8>)> {
                h.iter().map(|(k, v)| (k.to_string(), v.to_vec())).collect()
            };
            let got = if borrowed {
                match c.next_event_ref().unwrap() {
                    Some(EventRef::Request(r)) => fields(r.headers()),
                    other => panic!("{n} fields: {other:?}"),
                }
            } else {
                match c.next_event().unwrap() {
                    Some(Event::Request(r)) => fields(r.headers().view()),
                    other => panic!("{n} fields: {other:?}"),
                }
            };
            assert_eq!(got, expected, "{n} fields, borrowed: {borrowed}");
            assert!(matches!(c.next_event(), Ok(Some(Event::EndOfMessage(_)))));
            c.send(Event::Response(Response::new(204)), &mut out)
                .unwrap();
            c.send(Event::EndOfMessage(Headers::new()), &mut out)
                .unwrap();
        }
    }
}

#[test]
fn many_headers_beyond_stack_slots_are_fine_when_allowed() {
    let limits = Limits {
        max_headers: 300,
        max_head_bytes: 64 * 1024,
        ..Limits::default()
    };
    let mut req = String::from("GET / HTTP/1.1\r\nHost: a\r\n");
    for i in 0..250 {
        req.push_str(&format!("X{i}: v\r\n"));
    }
    req.push_str("\r\n");
    let evs = server_events_with(req.as_bytes(), limits).unwrap();
    assert_eq!(request_head(&evs).headers().len(), 251);
}

#[test]
fn http11_request_without_host_is_400() {
    assert_eq!(server_error(b"GET / HTTP/1.1\r\n\r\n"), Error::MissingHost);
    // HTTP/1.0 does not need one.
    assert!(server_events(b"GET / HTTP/1.0\r\n\r\n").is_ok());
}

#[test]
fn request_with_two_host_fields_is_400() {
    assert_eq!(
        server_error(b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"),
        Error::DuplicateHost
    );
}

// ----- framing -----

#[test]
fn content_length_with_transfer_encoding_is_rejected() {
    let e = server_error(
        b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
    );
    assert_eq!(e, Error::ContentLengthWithTransferEncoding);
    assert_eq!(e.status_code(), 400);
}

#[test]
fn differing_content_lengths_are_rejected() {
    assert_eq!(
        server_error(
            b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n"
        ),
        Error::DifferingContentLength
    );
    assert_eq!(
        server_error(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3, 4\r\n\r\n"),
        Error::DifferingContentLength
    );
}

#[test]
fn identical_repeated_content_lengths_are_accepted() {
    let evs = server_events(
        b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 3, 3\r\n\r\nabc",
    )
    .unwrap();
    assert_eq!(body_of(&evs), b"abc");
}

#[test]
fn invalid_content_length_is_rejected() {
    for v in [
        "",
        "+3",
        "-1",
        "0x10",
        "3 4",
        "1.0",
        "99999999999999999999",
        "abc",
    ] {
        let req = format!("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: {v}\r\n\r\n");
        assert_eq!(
            server_error(req.as_bytes()),
            Error::InvalidContentLength,
            "value {v:?}"
        );
    }
}

#[test]
fn content_length_body_is_delivered_exactly() {
    let evs =
        server_events(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello").unwrap();
    assert_eq!(
        merge_data(evs[1..].to_vec()),
        vec![
            Event::Data(b"hello".to_vec()),
            Event::EndOfMessage(Headers::new())
        ]
    );
}

#[test]
fn request_without_framing_headers_has_no_body() {
    let mut c = server();
    c.receive(b"POST / HTTP/1.1\r\nHost: a\r\n\r\nGET");
    let evs = drain(&mut c).unwrap();
    assert_eq!(evs.len(), 2);
    assert!(c.is_paused());
}

#[test]
fn chunked_body_is_decoded_and_extensions_skipped() {
    let evs = server_events(
        b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n\
          5;name=\"v\"\r\nhello\r\n6 ;x\r\n world\r\n0\r\n\r\n",
    )
    .unwrap();
    assert_eq!(body_of(&evs), b"hello world");
    assert_eq!(evs.last(), Some(&Event::EndOfMessage(Headers::new())));
}

#[test]
fn chunked_trailers_are_surfaced() {
    let evs = server_events(
        b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n\
          3\r\nabc\r\n0\r\nChecksum: 42\r\nX-Other: y\r\n\r\n",
    )
    .unwrap();
    let Some(Event::EndOfMessage(t)) = evs.last() else {
        panic!()
    };
    assert_eq!(t.get_str("checksum"), Some("42"));
    assert_eq!(t.len(), 2);
}

#[test]
fn chunk_size_that_is_not_hex_is_rejected() {
    for bad in ["g\r\n", "\r\n", " 5\r\n", "-5\r\n", "5 x\r\n", "0x5\r\n"] {
        let req = format!(
            "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n{bad}hello\r\n0\r\n\r\n"
        );
        assert_eq!(
            server_error(req.as_bytes()),
            Error::InvalidChunkSize,
            "{bad:?}"
        );
    }
}

#[test]
fn chunk_size_that_overflows_is_rejected() {
    let e = server_error(
        b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n10000000000000000\r\n",
    );
    assert_eq!(e, Error::ChunkSizeOverflow);
    assert_eq!(e.status_code(), 400);
}

#[test]
fn bare_lf_in_chunk_lines_is_rejected() {
    for body in [
        "5\nhello\r\n0\r\n\r\n",
        "5\r\nhello\n0\r\n\r\n",
        "5\r\nhello\r\n0\n\r\n",
        "0\r\n\n",
        "0\r\nX: y\n\r\n",
    ] {
        let req = format!("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n{body}");
        assert_eq!(
            server_error(req.as_bytes()),
            Error::InvalidChunkFraming,
            "{body:?}"
        );
    }
}

#[test]
fn chunk_data_longer_than_its_size_is_rejected() {
    assert_eq!(
        server_error(b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcd\r\n0\r\n\r\n"),
        Error::InvalidChunkFraming
    );
}

#[test]
fn chunk_extension_over_limit_is_rejected() {
    let req = format!(
        "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;{}\r\n",
        "x".repeat(2000)
    );
    assert_eq!(
        server_error(req.as_bytes()),
        Error::ChunkExtensionTooLong { limit: 1024 }
    );
}

#[test]
fn trailers_over_limit_are_431() {
    let req = format!(
        "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX: {}\r\n",
        "x".repeat(9000)
    );
    let e = server_error(req.as_bytes());
    assert_eq!(e, Error::TrailersTooLarge { limit: 8192 });
    assert_eq!(e.status_code(), 431);
}

#[test]
fn unsupported_transfer_coding_is_501() {
    let e = server_error(b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n");
    assert_eq!(e, Error::UnsupportedTransferCoding);
    assert_eq!(e.status_code(), 501);
}

#[test]
fn transfer_encoding_not_ending_in_chunked_is_400() {
    for te in ["chunked, gzip", "gzip", "identity", "chunked, chunked", ""] {
        let req = format!("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: {te}\r\n\r\n");
        let e = server_error(req.as_bytes());
        assert_eq!(e, Error::TransferEncodingNotChunked, "{te:?}");
        assert_eq!(e.status_code(), 400);
    }
    // Split over two fields: the last coding counts.
    assert_eq!(
        server_error(b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n\r\n"),
        Error::TransferEncodingNotChunked
    );
}

#[test]
fn transfer_encoding_is_case_insensitive() {
    let evs = server_events(
        b"POST / HTTP/1.1\r\nHost: a\r\ntransfer-encoding: ChUnKeD\r\n\r\n1\r\nz\r\n0\r\n\r\n",
    )
    .unwrap();
    assert_eq!(body_of(&evs), b"z");
}

#[test]
fn transfer_encoding_in_http10_is_rejected() {
    assert_eq!(
        server_error(b"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n"),
        Error::TransferEncodingInHttp10
    );
}

#[test]
fn body_over_limit_is_413() {
    let limits = Limits {
        max_request_body_bytes: 10,
        ..Limits::default()
    };
    let e = server_events_with(
        b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\n",
        limits.clone(),
    )
    .unwrap_err();
    assert_eq!(e, Error::BodyTooLarge { limit: 10 });
    assert_eq!(e.status_code(), 413);
    let e = server_events_with(
        b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n",
        limits,
    )
    .unwrap_err();
    assert_eq!(e, Error::BodyTooLarge { limit: 10 });
}

// ----- connection management -----

#[test]
fn pipelined_request_waits_until_response_is_finished() {
    let mut c = server();
    let mut out = Vec::new();
    c.receive(b"GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\n");
    let evs = drain(&mut c).unwrap();
    assert_eq!(evs.len(), 2);
    assert_eq!(request_head(&evs).target(), "/1");
    assert!(c.is_paused());
    assert!(!c.wants_read());
    assert_eq!(c.next_event().unwrap(), None);
    respond_empty(&mut c, &mut out);
    assert_eq!((c.our_state(), c.their_state()), (State::Idle, State::Idle));
    let evs = drain(&mut c).unwrap();
    assert_eq!(request_head(&evs).target(), "/2");
}

#[test]
fn connection_close_request_ends_connection_after_response() {
    let mut c = server();
    let mut out = Vec::new();
    c.receive(b"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
    drain(&mut c).unwrap();
    assert!(!c.keep_alive());
    c.send(
        Event::Response(Response::new(200).header("Content-Length", "0")),
        &mut out,
    )
    .unwrap();
    c.send(Event::EndOfMessage(Headers::new()), &mut out)
        .unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(text.contains("\r\nConnection: close\r\n"), "{text}");
    assert_eq!(c.our_state(), State::MustClose);
    assert_eq!(c.their_state(), State::MustClose);
}

#[test]
fn connection_close_response_ends_connection() {
    let mut c = server();
    let mut out = Vec::new();
    c.receive(GET);
    drain(&mut c).unwrap();
    c.send(
        Event::Response(
            Response::new(200)
                .header("Content-Length", "0")
                .header("Connection", "close"),
        ),
        &mut out,
    )
    .unwrap();
    c.send(Event::EndOfMessage(Headers::new()), &mut out)
        .unwrap();
    assert_eq!(c.our_state(), State::MustClose);
    assert_eq!(
        String::from_utf8(out)
            .unwrap()
            .matches("Connection")
            .count(),
        1
    );
}

#[test]
fn http10_request_is_not_kept_alive_by_default() {
    let mut c = server();
    let mut out = Vec::new();
    c.receive(b"GET / HTTP/1.0\r\n\r\n");
    drain(&mut c).unwrap();
    respond_empty(&mut c, &mut out);
    assert!(String::from_utf8_lossy(&out).contains("Connection: close"));
    assert_eq!(c.our_state(), State::MustClose);
}

#[test]
fn http10_keep_alive_is_honoured_with_content_length() {
    let mut c = server();
    let mut out = Vec::new();
    c.receive(b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    drain(&mut c).unwrap();
    respond_empty(&mut c, &mut out);
    assert!(String::from_utf8_lossy(&out).contains("Connection: keep-alive"));
    assert_eq!(c.our_state(), State::Idle);
}

#[test]
fn a_head_without_fields_is_framed_as_the_same_head_with_an_unrelated_field() {
    // Heads without fields take a shorter path when sent; it must frame exactly as the
    // general one does, for every kind of request and status.
    let requests: [&[u8]; 4] = [
        b"GET / HTTP/1.1\r\nHost: a\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
        b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
        b"HEAD / HTTP/1.0\r\n\r\n",
    ];
    let head_of = |request: &[u8], resp: Response| -> (String, State) {
        let mut c = server();
        c.receive(request);
        drain(&mut c).unwrap();
        let mut out = Vec::new();
        c.send(Event::Response(resp), &mut out).unwrap();
        c.send(Event::EndOfMessage(Headers::new()), &mut out)
            .unwrap();
        (String::from_utf8(out).unwrap(), c.our_state())
    };
    for request in requests {
        for status in [200, 204, 304, 404, 599] {
            for custom_reason in [false, true] {
                let bare = || {
                    if custom_reason {
                        Response::with_reason(status, "Custom")
                    } else {
                        Response::new(status)
                    }
                };
                let (fast, fast_state) = head_of(request, bare());
                let (general, general_state) = head_of(request, bare().header("X-A", "1"));
                let what = format!("{status} to {:?}", String::from_utf8_lossy(request));
                assert_eq!(fast, general.replacen("X-A: 1\r\n", "", 1), "{what}");
                assert_eq!(fast_state, general_state, "{what}");
            }
        }
    }
    assert_eq!(
        head_of(requests[0], Response::new(204)).0,
        "HTTP/1.1 204 No Content\r\n\r\n"
    );
    assert_eq!(
        head_of(requests[2], Response::new(204)).0,
        "HTTP/1.1 204 No Content\r\nConnection: keep-alive\r\n\r\n"
    );
}

#[test]
fn response_to_http10_without_length_is_close_delimited() {
    let mut c = server();
    let mut out = Vec::new();
    c.receive(b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    drain(&mut c).unwrap();
    c.send(Event::Response(Response::new(200)), &mut out)
        .unwrap();
    c.send_data(b"raw body", &mut out).unwrap();
    c.send(Event::EndOfMessage(Headers::new()), &mut out)
        .unwrap();
    let text = String::from_utf8(out).unwrap();
    assert_eq!(text, "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nraw body");
    assert_eq!(c.our_state(), State::MustClose);
}

#[test]
fn response_to_http11_without_length_is_chunked() {
    let mut c = server();
    let mut out = Vec::new();
    c.receive(GET);
    drain(&mut c).unwrap();
    c.send(Event::Response(Response::new(200)), &mut out)
        .unwrap();
    c.send_data(b"hello", &mut out).unwrap();
    let mut trailers = Headers::new();
    trailers.push("X-Sum", "1");
    c.send(Event::EndOfMessage(trailers), &mut out).unwrap();
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nX-Sum: 1\r\n\r\n"
    );
    assert_eq!(c.our_state(), State::Idle);
}

#[test]
fn response_to_head_has_no_body_even_with_content_length() {
    let mut c = server();
    let mut out = Vec::new();
    c.receive(b"HEAD / HTTP/1.1\r\nHost: a\r\n\r\n");
    drain(&mut c).unwrap();
    c.send(
        Event::Response(Response::new(200).header("Content-Length", "5")),
        &mut out,
    )
    .unwrap();
    c.send_data(b"hello", &mut out).unwrap();
    c.send(Event::EndOfMessage(Headers::new()), &mut out)
        .unwrap();
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n"
    );
    assert_eq!(c.our_state(), State::Idle);
}

#[test]
fn client_reads_no_body_for_head_response() {
    let mut c = client();
    let mut out = Vec::new();
    c.send(
        Event::Request(Request::new("HEAD", "/").header("Host", "a")),
        &mut out,
    )
    .unwrap();
    c.send(Event::EndOfMessage(Headers::new()), &mut out)
        .unwrap();
    c.receive(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n");
    let evs = drain(&mut c).unwrap();
    assert_eq!(evs.len(), 2);
    assert_eq!(evs[1], Event::EndOfMessage(Headers::new()));
    assert_eq!(c.our_state(), State::Idle);
}

#[test]
fn no_body_for_1xx_204_and_304_responses() {
    for status in [204u16, 304] {
        let mut c = client();
        let mut out = Vec::new();
        c.send(
            Event::Request(Request::new("GET", "/").header("Host", "a")),
            &mut out,
        )
        .unwrap();
        c.send(Event::EndOfMessage(Headers::new()), &mut out)
            .unwrap();
        c.receive(format!("HTTP/1.1 {status} X\r\nContent-Length: 5\r\n\r\n").as_bytes());
        let evs = drain(&mut c).unwrap();
        assert_eq!(evs.len(), 2, "{status}");
        assert_eq!(c.their_state(), State::Idle);
    }
    let mut c = client();
    let mut out = Vec::new();
    c.send(
        Event::Request(Request::new("GET", "/").header("Host", "a")),
        &mut out,
    )
    .unwrap();
    c.receive(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: x\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    let evs = drain(&mut c).unwrap();
    assert!(matches!(&evs[0], Event::InformationalResponse(r) if r.status() == 100));
    assert!(matches!(&evs[1], Event::InformationalResponse(r) if r.status() == 103));
    assert!(matches!(&evs[2], Event::Response(r) if r.status() == 200));
    assert_eq!(body_of(&evs), b"ok");
}

#[test]
fn server_refuses_body_on_204_and_304() {
    let mut c = server();
    let mut out = Vec::new();
    c.receive(GET);
    drain(&mut c).unwrap();
    c.send(Event::Response(Response::new(204)), &mut out)
        .unwrap();
    assert_eq!(c.send_data(b"x", &mut out), Err(Error::BodyNotAllowed));
    c.send(Event::EndOfMessage(Headers::new()), &mut out)
        .unwrap();
    assert_eq!(out, b"HTTP/1.1 204 No Content\r\n\r\n");
}

#[test]
fn switching_protocols_is_not_supported() {
    let mut c = client();
    let mut out = Vec::new();
    c.send(
        Event::Request(Request::new("GET", "/").header("Host", "a")),
        &mut out,
    )
    .unwrap();
    c.receive(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n\r\n");
    assert_eq!(c.next_event(), Err(Error::UnexpectedSwitchingProtocols));
    let mut s = server();
    s.receive(GET);
    drain(&mut s).unwrap();
    assert_eq!(
        s.send(Event::InformationalResponse(Response::new(101)), &mut out),
        Err(Error::InvalidStatusCode(101))
    );
}

#[test]
fn expect_100_continue_is_answered_by_informational_response() {
    let mut c = server();
    let mut out = Vec::new();
    c.receive(b"POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n");
    let evs = drain(&mut c).unwrap();
    assert_eq!(evs.len(), 1);
    assert!(c.expects_continue());
    c.send(Event::InformationalResponse(Response::new(100)), &mut out)
        .unwrap();
    assert_eq!(out, b"HTTP/1.1 100 Continue\r\n\r\n");
    assert!(!c.expects_continue());
    c.receive(b"ok");
    let evs = drain(&mut c).unwrap();
    assert_eq!(body_of(&evs), b"ok");
    out.clear();
    respond_empty(&mut c, &mut out);
    assert!(c.keep_alive());
    assert_eq!(c.our_state(), State::Idle);
}

#[test]
fn expect_100_continue_refused_with_final_status_closes_connection() {
    let mut c = server();
    let mut out = Vec::new();
    c.receive(b"PUT / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 99\r\n\r\n");
    drain(&mut c).unwrap();
    c.send(
        Event::Response(Response::new(417).header("Content-Length", "0")),
        &mut out,
    )
    .unwrap();
    c.send(Event::EndOfMessage(Headers::new()), &mut out)
        .unwrap();
    assert!(String::from_utf8_lossy(&out).contains("Connection: close"));
    assert!(!c.keep_alive());
    assert_eq!(c.our_state(), State::MustClose);
}

#[test]
fn expect_100_continue_is_ignored_for_http10_and_bodiless_requests() {
    let mut c = server();
    c.receive(b"GET / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\n\r\n");
    drain(&mut c).unwrap();
    assert!(!c.expects_continue());
    let mut c = server();
    c.receive(b"POST / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\n");
    drain(&mut c).unwrap();
    assert!(!c.expects_continue());
}

#[test]
fn early_response_then_rest_of_body_is_drained_before_next_request() {
    let mut c = server();
    let mut out = Vec::new();
    c.receive(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n\r\nab");
    drain(&mut c).unwrap();
    respond_empty(&mut c, &mut out);
    assert_eq!(c.our_state(), State::Done);
    c.receive(b"cdGET /next HTTP/1.1\r\nHost: a\r\n\r\n");
    let evs = drain(&mut c).unwrap();
    assert_eq!(evs[0], Event::Data(b"cd".to_vec()));
    assert_eq!(evs[1], Event::EndOfMessage(Headers::new()));
    assert!(matches!(&evs[2], Event::Request(r) if r.target() == "/next"));
}

#[test]
fn close_delimited_response_ends_at_eof() {
    let mut c = client();
    let mut out = Vec::new();
    c.send(
        Event::Request(Request::new("GET", "/").header("Host", "a")),
        &mut out,
    )
    .unwrap();
    c.send(Event::EndOfMessage(Headers::new()), &mut out)
        .unwrap();
    c.receive(b"HTTP/1.0 200 OK\r\n\r\nall of ");
    let mut evs = drain(&mut c).unwrap();
    c.receive(b"this");
    evs.extend(drain(&mut c).unwrap());
    assert!(!c.keep_alive());
    c.receive_eof();
    evs.extend(drain(&mut c).unwrap());
    assert_eq!(body_of(&evs), b"all of this");
    assert_eq!(
        &evs[evs.len() - 2..],
        &[Event::EndOfMessage(Headers::new()), Event::ConnectionClosed]
    );
    assert_eq!(c.their_state(), State::Closed);
}

#[test]
fn response_with_content_length_and_chunked_uses_chunked_and_closes() {
    let mut c = client();
    let mut out = Vec::new();
    c.send(
        Event::Request(Request::new("GET", "/").header("Host", "a")),
        &mut out,
    )
    .unwrap();
    c.send(Event::EndOfMessage(Headers::new()), &mut out)
        .unwrap();
    c.receive(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n");
    let evs = drain(&mut c).unwrap();
    assert_eq!(body_of(&evs), b"ok");
    assert!(!c.keep_alive());
    assert_eq!(c.our_state(), State::MustClose);
}

#[test]
fn eof_in_the_middle_of_a_message_is_an_error() {
    let mut c = server();
    c.receive(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nabc");
    drain(&mut c).unwrap();
    c.receive_eof();
    assert_eq!(c.next_event(), Err(Error::UnexpectedEof));
    assert_eq!(c.their_state(), State::Error);
    // ...and stays an error.
    assert_eq!(c.next_event(), Err(Error::UnexpectedEof));

    let mut c = server();
    c.receive(b"GET / HT");
    c.receive_eof();
    assert_eq!(c.next_event(), Err(Error::UnexpectedEof));
}

#[test]
fn eof_between_messages_is_connection_closed() {
    let mut c = server();
    let mut out = Vec::new();
    c.receive(GET);
    c.receive_eof();
    let evs = drain(&mut c).unwrap();
    assert_eq!(evs.len(), 3);
    assert_eq!(evs[2], Event::ConnectionClosed);
    // We can still answer the request (the client half-closed).
    respond_empty(&mut c, &mut out);
    assert_eq!(c.our_state(), State::MustClose);
}

#[test]
fn client_sees_connection_closed_when_server_closes_before_responding() {
    let mut c = client();
    let mut out = Vec::new();
    c.send(
        Event::Request(Request::new("GET", "/").header("Host", "a")),
        &mut out,
    )
    .unwrap();
    c.send(Event::EndOfMessage(Headers::new()), &mut out)
        .unwrap();
    c.receive_eof();
    assert_eq!(c.next_event(), Ok(Some(Event::ConnectionClosed)));
}

#[test]
fn error_response_helper_writes_minimal_close_response() {
    let mut c = server();
    c.receive(b"GET / HTTP/9.9\r\n\r\n");
    let e = c.next_event().unwrap_err();
    let mut out = Vec::new();
    assert!(c.send_error_response(&e, &mut out));
    let text = String::from_utf8(out).unwrap();
    assert!(
        text.starts_with("HTTP/1.1 505 HTTP Version Not Supported\r\n"),
        "{text}"
    );
    assert!(text.contains("\r\nConnection: close\r\n"));
    assert_eq!(c.our_state(), State::MustClose);
    // Too late once a response head is out.
    let mut c = server();
    let mut out = Vec::new();
    c.receive(GET);
    drain(&mut c).unwrap();
    c.send(Event::Response(Response::new(200)), &mut out)
        .unwrap();
    assert!(!c.send_error_response(&Error::InvalidRequestLine, &mut out));
}

// ----- sending -----

#[test]
fn header_injection_is_refused_on_send() {
    let mut c = server();
    let mut out = Vec::new();
    c.receive(GET);
    drain(&mut c).unwrap();
    for resp in [
        Response::new(200).header("X", "a\r\nSet-Cookie: evil"),
        Response::new(200).header("Bad Name", "v"),
        Response::new(200).header("X", "nul\0"),
        Response::with_reason(200, "OK\r\nX: y"),
    ] {
        assert_eq!(
            c.send(Event::Response(resp), &mut out),
            Err(Error::InvalidOutgoingField)
        );
    }
    assert!(out.is_empty());
    assert_eq!(c.our_state(), State::SendResponse);
}

#[test]
fn sent_body_must_match_content_length() {
    let mut c = server();
    let mut out = Vec::new();
    c.receive(GET);
    drain(&mut c).unwrap();
    c.send(
        Event::Response(Response::new(200).header("Content-Length", "3")),
        &mut out,
    )
    .unwrap();
    assert_eq!(
        c.send_data(b"abcd", &mut out),
        Err(Error::BodyLengthMismatch {
            declared: 3,
            sent: 4
        })
    );
    c.send_data(b"ab", &mut out).unwrap();
    assert_eq!(
        c.send(Event::EndOfMessage(Headers::new()), &mut out),
        Err(Error::BodyLengthMismatch {
            declared: 3,
            sent: 2
        })
    );
    c.send_data(b"c", &mut out).unwrap();
    c.send(Event::EndOfMessage(Headers::new()), &mut out)
        .unwrap();
}

#[test]
fn sending_in_the_wrong_state_is_refused() {
    let mut c = server();
    let mut out = Vec::new();
    assert!(matches!(
        c.send(Event::Response(Response::new(200)), &mut out),
        Err(Error::WrongState {
            state: State::Idle,
            ..
        })
    ));
    assert!(matches!(
        c.send(Event::Request(Request::new("GET", "/")), &mut out),
        Err(Error::WrongState { .. })
    ));
    assert!(matches!(
        c.send_data(b"x", &mut out),
        Err(Error::WrongState { .. })
    ));
    let mut cl = client();
    assert!(matches!(
        cl.send(Event::Response(Response::new(200)), &mut out),
        Err(Error::WrongState { .. })
    ));
}

#[test]
fn outgoing_framing_conflicts_are_refused() {
    let mut c = client();
    let mut out = Vec::new();
    let req = Request::new("POST", "/")
        .header("Host", "a")
        .header("Content-Length", "1")
        .header("Transfer-Encoding", "chunked");
    assert!(matches!(
        c.send(Event::Request(req), &mut out),
        Err(Error::InvalidOutgoingFraming(_))
    ));
    let req = Request::new("POST", "/")
        .header("Host", "a")
        .header("Transfer-Encoding", "gzip");
    assert!(matches!(
        c.send(Event::Request(req), &mut out),
        Err(Error::InvalidOutgoingFraming(_))
    ));
}

#[test]
fn client_request_framing_is_chosen_by_method() {
    let mut c = client();
    let mut out = Vec::new();
    c.send(
        Event::Request(Request::new("POST", "/RPC2").header("Host", "a")),
        &mut out,
    )
    .unwrap();
    c.send_data(b"<x/>", &mut out).unwrap();
    c.send(Event::EndOfMessage(Headers::new()), &mut out)
        .unwrap();
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "POST /RPC2 HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n<x/>\r\n0\r\n\r\n"
    );
    let mut c = client();
    let mut out = Vec::new();
    c.send(
        Event::Request(Request::new("GET", "/").header("Host", "a")),
        &mut out,
    )
    .unwrap();
    assert_eq!(c.send_data(b"x", &mut out), Err(Error::BodyNotAllowed));
}

#[test]
fn client_keep_alive_cycle_resets_after_response() {
    let mut c = client();
    let mut out = Vec::new();
    for _ in 0..3 {
        c.send(
            Event::Request(Request::new("GET", "/").header("Host", "a")),
            &mut out,
        )
        .unwrap();
        c.send(Event::EndOfMessage(Headers::new()), &mut out)
            .unwrap();
        assert_eq!(c.their_state(), State::SendResponse);
        c.receive(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
        let evs = drain(&mut c).unwrap();
        assert_eq!(body_of(&evs), b"ok");
        assert_eq!((c.our_state(), c.their_state()), (State::Idle, State::Idle));
    }
}

#[test]
fn client_holds_bytes_until_a_request_is_sent() {
    let mut c = client();
    c.receive(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    assert_eq!(c.next_event(), Ok(None));
    assert!(!c.wants_read());
}

#[test]
fn status_line_without_reason_is_accepted() {
    let mut c = client();
    let mut out = Vec::new();
    c.send(
        Event::Request(Request::new("GET", "/").header("Host", "a")),
        &mut out,
    )
    .unwrap();
    c.receive(b"HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n");
    let evs = drain(&mut c).unwrap();
    assert!(matches!(&evs[0], Event::Response(r) if r.status() == 200 && r.reason().is_empty()));
}

#[test]
fn response_status_below_100_is_rejected() {
    let mut c = client();
    let mut out = Vec::new();
    c.send(
        Event::Request(Request::new("GET", "/").header("Host", "a")),
        &mut out,
    )
    .unwrap();
    c.receive(b"HTTP/1.1 099 Low\r\n\r\n");
    assert_eq!(c.next_event(), Err(Error::InvalidStatusLine));
}

#[test]
fn client_response_body_limit_is_413() {
    let limits = Limits {
        max_response_body_bytes: 4,
        ..Limits::default()
    };
    let mut c = Connection::new(Role::Client, limits);
    let mut out = Vec::new();
    c.send(
        Event::Request(Request::new("GET", "/").header("Host", "a")),
        &mut out,
    )
    .unwrap();
    c.receive(b"HTTP/1.1 200 OK\r\n\r\nabcdef");
    c.next_event().unwrap();
    // The bytes up to the limit come first, as they would if the input were split there.
    assert_eq!(c.next_event(), Ok(Some(Event::Data(b"abcd".to_vec()))));
    assert_eq!(c.next_event(), Err(Error::BodyTooLarge { limit: 4 }));
}
