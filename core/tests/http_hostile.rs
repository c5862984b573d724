//! Hostile inputs: request smuggling variants, absurd sizes, invalid bytes in names and
//! values, truncated chunks. Each is rejected with the right typed error (and status code),
//! whatever the input split; random and mutated inputs never panic.

#[path = "http_common/mod.rs"]
mod common;

use common::*;
use netloom_core::http::{Connection, Error, Event, Headers, Limits, Request, Role};
use proptest::prelude::*;

const H: &str = "Host: a\r\n";

/// `(name, request bytes, expected error)`; `eof` cases are only wrong once the peer closes.
///
/// # Mutation check
///
/// Each smuggling-relevant rule is pinned here by hostile inputs fed at every split (and,
/// where named, by `tests/http_corpus/`). Breaking the rule on purpose makes
/// `every_corpus_input_is_rejected_with_the_right_error_at_any_split` fail on these cases
/// (each mutation below was applied and the suite run; none survived):
///
/// | rule (where) | mutation | cases that fail |
/// |---|---|---|
/// | `chunked` has no parameters (`framing.rs` `observe_te` uses `list_items`) | strip parameters (`list_elements`) | `te-chunked-param`, `400-te-chunked-with-parameter.http` |
/// | CL with TE is 400 (`framing.rs` `request_body`) | drop the check | `cl-te`, `te-cl`, `400-cl-te-smuggling.http` |
/// | differing CLs are 400 (`observe_length`) | drop the check | `cl-cl`, `cl-list` |
/// | TE must end in one `chunked` (`request_body`) | accept any TE holding a `chunked` | `te-chunked-identity`, `te-double-chunked` |
/// | no TE in HTTP/1.0 (`request_body`) | drop the check | `te-http10` |
/// | one Host (`request_body`) | allow two | `double-host` |
/// | Host is `uri-host [:port]` (`valid_host`) | drop the check; or allow `,` | `host-*`, `400-host-userinfo.http`; `host-list-no-space` |
/// | ASCII request targets (`head_read.rs` `request_with`) | drop the check | `utf8-in-target`, `400-utf8-target.http` |
/// | 414 at any split (`conn.rs` `read_head` uses the first LF) | ignore a late LF | `long-method-lf-past-limit`, and the fuzz regression `long-method-lf-past-limit-split` in `fuzz_corpus_replay` |
/// | obs-fold in requests is 400 (`request_error`) | treat as a bad name | `te-obs-fold` |
/// | only major version 1 (`judge_version`) | accept any major | `http2-preface`, `version-0-9`, `505-http-2-0.http` |
fn corpus() -> Vec<(&'static str, Vec<u8>, Error, bool)> {
    let r = |s: String| s.into_bytes();
    vec![
        // --- request smuggling ---
        ("cl-te", r(format!("POST / HTTP/1.1\r\n{H}Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n")), Error::ContentLengthWithTransferEncoding, false),
        ("te-cl", r(format!("POST / HTTP/1.1\r\n{H}Transfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n0\r\n\r\n")), Error::ContentLengthWithTransferEncoding, false),
        ("cl-cl", r(format!("POST / HTTP/1.1\r\n{H}Content-Length: 4\r\nContent-Length: 5\r\n\r\n")), Error::DifferingContentLength, false),
        ("cl-list", r(format!("POST / HTTP/1.1\r\n{H}Content-Length: 4, 40\r\n\r\n")), Error::DifferingContentLength, false),
        ("cl-plus", r(format!("POST / HTTP/1.1\r\n{H}Content-Length: +4\r\n\r\n")), Error::InvalidContentLength, false),
        ("cl-hex", r(format!("POST / HTTP/1.1\r\n{H}Content-Length: 0x4\r\n\r\n")), Error::InvalidContentLength, false),
        ("cl-huge", r(format!("POST / HTTP/1.1\r\n{H}Content-Length: 18446744073709551616\r\n\r\n")), Error::InvalidContentLength, false),
        ("cl-space-inside", r(format!("POST / HTTP/1.1\r\n{H}Content-Length: 1 2\r\n\r\n")), Error::InvalidContentLength, false),
        ("te-space-before-colon", r(format!("POST / HTTP/1.1\r\n{H}Transfer-Encoding : chunked\r\n\r\n")), Error::InvalidHeaderName, false),
        ("te-obs-fold", r(format!("POST / HTTP/1.1\r\n{H}Transfer-Encoding:\r\n chunked\r\n\r\n")), Error::ObsFold, false),
        ("te-xchunked", r(format!("POST / HTTP/1.1\r\n{H}Transfer-Encoding: xchunked\r\n\r\n")), Error::TransferEncodingNotChunked, false),
        ("te-chunked-identity", r(format!("POST / HTTP/1.1\r\n{H}Transfer-Encoding: chunked, identity\r\n\r\n")), Error::TransferEncodingNotChunked, false),
        ("te-double-chunked", r(format!("POST / HTTP/1.1\r\n{H}Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n")), Error::TransferEncodingNotChunked, false),
        ("te-gzip-chunked", r(format!("POST / HTTP/1.1\r\n{H}Transfer-Encoding: gzip, chunked\r\n\r\n")), Error::UnsupportedTransferCoding, false),
        // `chunked` has no parameters: with one it is another coding, never chunked.
        ("te-chunked-param", r(format!("POST / HTTP/1.1\r\n{H}Transfer-Encoding: chunked;x=y\r\n\r\n0\r\n\r\n")), Error::TransferEncodingNotChunked, false),
        ("te-chunked-space-param", r(format!("POST / HTTP/1.1\r\n{H}Transfer-Encoding: chunked ;x\r\n\r\n0\r\n\r\n")), Error::TransferEncodingNotChunked, false),
        ("te-chunked-bare-semicolon", r(format!("POST / HTTP/1.1\r\n{H}Transfer-Encoding: chunked;\r\n\r\n0\r\n\r\n")), Error::TransferEncodingNotChunked, false),
        ("te-gzip-chunked-param", r(format!("POST / HTTP/1.1\r\n{H}Transfer-Encoding: gzip, chunked;q=1\r\n\r\n0\r\n\r\n")), Error::TransferEncodingNotChunked, false),
        ("te-chunked-param-then-chunked", r(format!("POST / HTTP/1.1\r\n{H}Transfer-Encoding: chunked;x, chunked\r\n\r\n0\r\n\r\n")), Error::UnsupportedTransferCoding, false),
        ("te-http10", r("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n".into()), Error::TransferEncodingInHttp10, false),
        ("te-vertical-tab", r(format!("POST / HTTP/1.1\r\n{H}Transfer-Encoding: \x0bchunked\r\n\r\n")), Error::InvalidHeaderValue, false),
        ("chunk-size-lf-only", r(format!("POST / HTTP/1.1\r\n{H}Transfer-Encoding: chunked\r\n\r\n3\nabc\r\n0\r\n\r\n")), Error::InvalidChunkFraming, false),
        ("chunk-data-lf-only", r(format!("POST / HTTP/1.1\r\n{H}Transfer-Encoding: chunked\r\n\r\n3\r\nabc\n0\r\n\r\n")), Error::InvalidChunkFraming, false),
        ("chunk-ext-bare-cr", r(format!("POST / HTTP/1.1\r\n{H}Transfer-Encoding: chunked\r\n\r\n3;a\rb\r\nabc\r\n0\r\n\r\n")), Error::InvalidChunkFraming, false),
        ("chunk-ext-lf", r(format!("POST / HTTP/1.1\r\n{H}Transfer-Encoding: chunked\r\n\r\n3;a\nabc\r\n0\r\n\r\n")), Error::InvalidChunkFraming, false),
        ("chunk-size-negative", r(format!("POST / HTTP/1.1\r\n{H}Transfer-Encoding: chunked\r\n\r\n-3\r\nabc\r\n0\r\n\r\n")), Error::InvalidChunkSize, false),
        ("chunk-size-0x", r(format!("POST / HTTP/1.1\r\n{H}Transfer-Encoding: chunked\r\n\r\n0x3\r\nabc\r\n0\r\n\r\n")), Error::InvalidChunkSize, false),
        ("chunk-size-overflow", r(format!("POST / HTTP/1.1\r\n{H}Transfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFFF\r\n")), Error::ChunkSizeOverflow, false),
        ("chunk-size-leading-zeros", r(format!("POST / HTTP/1.1\r\n{H}Transfer-Encoding: chunked\r\n\r\n{}1\r\n", "0".repeat(100))), Error::InvalidChunkSize, false),
        ("chunk-too-long", r(format!("POST / HTTP/1.1\r\n{H}Transfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n0\r\n\r\n")), Error::InvalidChunkFraming, false),
        ("chunk-ext-flood", r(format!("POST / HTTP/1.1\r\n{H}Transfer-Encoding: chunked\r\n\r\n1;{}", "a=b;".repeat(1000))), Error::ChunkExtensionTooLong { limit: 1024 }, false),
        ("trailer-bare-lf-end", r(format!("POST / HTTP/1.1\r\n{H}Transfer-Encoding: chunked\r\n\r\n0\r\n\n")), Error::InvalidChunkFraming, false),
        ("trailer-invalid-name", r(format!("POST / HTTP/1.1\r\n{H}Transfer-Encoding: chunked\r\n\r\n0\r\nBad Name: x\r\n\r\n")), Error::InvalidTrailers, false),
        ("trailer-flood", r(format!("POST / HTTP/1.1\r\n{H}Transfer-Encoding: chunked\r\n\r\n0\r\n{}", "X: y\r\n".repeat(3000))), Error::TrailersTooLarge { limit: 8192 }, false),
        ("truncated-chunk", r(format!("POST / HTTP/1.1\r\n{H}Transfer-Encoding: chunked\r\n\r\n10\r\nabc")), Error::UnexpectedEof, true),
        ("truncated-chunk-size", r(format!("POST / HTTP/1.1\r\n{H}Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n")), Error::UnexpectedEof, true),
        ("truncated-trailers", r(format!("POST / HTTP/1.1\r\n{H}Transfer-Encoding: chunked\r\n\r\n0\r\nX: y\r\n")), Error::UnexpectedEof, true),
        ("truncated-length-body", r(format!("POST / HTTP/1.1\r\n{H}Content-Length: 10\r\n\r\nabc")), Error::UnexpectedEof, true),
        ("truncated-head", r("GET / HTTP/1.1\r\nHost: a\r\n".into()), Error::UnexpectedEof, true),
        // --- invalid bytes ---
        ("nul-in-value", r(format!("GET / HTTP/1.1\r\n{H}X: a\0b\r\n\r\n")), Error::InvalidHeaderValue, false),
        ("del-in-name", r(format!("GET / HTTP/1.1\r\n{H}X\x7f: a\r\n\r\n")), Error::InvalidHeaderName, false),
        ("utf8-in-name", r(format!("GET / HTTP/1.1\r\n{H}Ünï: a\r\n\r\n")), Error::InvalidHeaderName, false),
        ("empty-name", r(format!("GET / HTTP/1.1\r\n{H}: a\r\n\r\n")), Error::InvalidHeaderName, false),
        ("bare-cr-in-value", r(format!("GET / HTTP/1.1\r\n{H}X: a\rb\r\n\r\n")), Error::InvalidHeaderValue, false),
        ("bare-cr-line-end", r("GET / HTTP/1.1\r".to_string() + "Host: a\r\n\r\n"), Error::InvalidLineEnding, false),
        ("space-in-target", r(format!("GET /a b HTTP/1.1\r\n{H}\r\n")), Error::InvalidRequestLine, false),
        ("ctl-in-target", r(format!("GET /a\x01b HTTP/1.1\r\n{H}\r\n")), Error::InvalidRequestLine, false),
        ("bad-method", r(format!("G@T / HTTP/1.1\r\n{H}\r\n")), Error::InvalidRequestLine, false),
        ("tab-delimiter", r(format!("GET\t/ HTTP/1.1\r\n{H}\r\n")), Error::InvalidRequestLine, false),
        ("http09", r("GET /\r\n\r\n".into()), Error::InvalidRequestLine, false),
        ("http2-preface", r("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".into()), Error::UnsupportedVersion, false),
        ("http3", r("GET / HTTP/3\r\n\r\n".into()), Error::InvalidVersion, false),
        ("version-1-10", r(format!("GET / HTTP/1.10\r\n{H}\r\n")), Error::InvalidVersion, false),
        ("version-1", r(format!("GET / HTTP/1\r\n{H}\r\n")), Error::InvalidVersion, false),
        ("version-1-1-1", r(format!("GET / HTTP/1.1.1\r\n{H}\r\n")), Error::InvalidVersion, false),
        ("version-01-1", r(format!("GET / HTTP/01.1\r\n{H}\r\n")), Error::InvalidVersion, false),
        ("version-0-9", r(format!("GET / HTTP/0.9\r\n{H}\r\n")), Error::UnsupportedVersion, false),
        ("lowercase-version", r("GET / http/1.1\r\n\r\n".into()), Error::InvalidVersion, false),
        ("tls-client-hello", vec![0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03, b'\r', b'\n', b'\r', b'\n'], Error::InvalidRequestLine, false),
        ("missing-host", r("GET / HTTP/1.1\r\n\r\n".into()), Error::MissingHost, false),
        ("double-host", r(format!("GET / HTTP/1.1\r\n{H}{H}\r\n")), Error::DuplicateHost, false),
        ("host-userinfo", r("GET / HTTP/1.1\r\nHost: user@a\r\n\r\n".into()), Error::InvalidHost, false),
        ("host-userinfo-port", r("GET / HTTP/1.1\r\nHost: a:b@c:80\r\n\r\n".into()), Error::InvalidHost, false),
        ("host-space", r("GET / HTTP/1.1\r\nHost: a b\r\n\r\n".into()), Error::InvalidHost, false),
        ("host-tab", r("GET / HTTP/1.1\r\nHost: a\tb\r\n\r\n".into()), Error::InvalidHost, false),
        ("host-slash", r("GET / HTTP/1.1\r\nHost: a/b\r\n\r\n".into()), Error::InvalidHost, false),
        ("host-list", r("GET / HTTP/1.1\r\nHost: a, b\r\n\r\n".into()), Error::InvalidHost, false),
        ("host-list-no-space", r("GET / HTTP/1.1\r\nHost: a,b\r\n\r\n".into()), Error::InvalidHost, false),
        ("host-bad-port", r("GET / HTTP/1.1\r\nHost: a:8o\r\n\r\n".into()), Error::InvalidHost, false),
        ("host-two-ports", r("GET / HTTP/1.1\r\nHost: a:80:81\r\n\r\n".into()), Error::InvalidHost, false),
        ("host-unclosed-ipv6", r("GET / HTTP/1.1\r\nHost: [::1\r\n\r\n".into()), Error::InvalidHost, false),
        ("host-bad-escape", r("GET / HTTP/1.1\r\nHost: a%zz\r\n\r\n".into()), Error::InvalidHost, false),
        ("host-http10", r("GET / HTTP/1.0\r\nHost: x@y\r\n\r\n".into()), Error::InvalidHost, false),
        // --- request targets: ASCII only (RFC 9112 §3.2) ---
        ("utf8-in-target", r(format!("GET /café HTTP/1.1\r\n{H}\r\n")), Error::InvalidRequestLine, false),
        ("utf8-in-query", r(format!("GET /?q=☃ HTTP/1.1\r\n{H}\r\n")), Error::InvalidRequestLine, false),
        // --- absurd sizes ---
        ("uri-flood", r(format!("GET /{} HTTP/1.1\r\n{H}\r\n", "a".repeat(9000))), Error::UriTooLong { limit: 8192 }, false),
        ("uri-flood-unterminated", r(format!("GET /{}", "a".repeat(20000))), Error::UriTooLong { limit: 8192 }, false),
        // The fuzz finding: a method so long that the request line's LF comes past the
        // room for a target (8 KiB + 64), with the head incomplete and complete.
        ("long-method-lf-past-limit", r(format!("{}ST / HTTP/1.1\r\nHo: ", "P".repeat(8300))), Error::UriTooLong { limit: 8192 }, false),
        ("long-method-lf-past-limit-whole", r(format!("{}ST / HTTP/1.1\r\n{H}\r\n", "P".repeat(8300))), Error::UriTooLong { limit: 8192 }, false),
        ("header-flood", r(format!("GET / HTTP/1.1\r\n{H}{}\r\n", "X: y\r\n".repeat(150))), Error::TooManyHeaders { limit: 100 }, false),
        ("huge-header", r(format!("GET / HTTP/1.1\r\n{H}X: {}\r\n\r\n", "v".repeat(20000))), Error::HeadTooLarge { limit: 16384 }, false),
        ("endless-head", r(format!("GET / HTTP/1.1\r\n{H}X: {}", "v".repeat(20000))), Error::HeadTooLarge { limit: 16384 }, false),
        ("body-over-limit", r(format!("POST / HTTP/1.1\r\n{H}Content-Length: 16777217\r\n\r\n")), Error::BodyTooLarge { limit: 16 << 20 }, false),
        ("chunked-over-limit", r(format!("POST / HTTP/1.1\r\n{H}Transfer-Encoding: chunked\r\n\r\n1000001\r\n")), Error::BodyTooLarge { limit: 16 << 20 }, false),
    ]
}

fn expected_status(e: &Error) -> u16 {
    match e {
        Error::UnsupportedVersion => 505,
        Error::UriTooLong { .. } => 414,
        Error::TooManyHeaders { .. }
        | Error::HeadTooLarge { .. }
        | Error::TrailersTooLarge { .. } => 431,
        Error::BodyTooLarge { .. } => 413,
        Error::UnsupportedTransferCoding => 501,
        _ => 400,
    }
}

/// Feeds `bytes` in `step`-sized pieces; returns the first error. `borrowed` pulls events
/// with `next_event_ref` instead of `next_event`.
fn first_error(bytes: &[u8], step: usize, eof: bool, borrowed: bool) -> Option<Error> {
    let mut c = Connection::new(Role::Server, Limits::default());
    let pull = |c: &mut Connection| -> Result<bool, Error> {
        if borrowed {
            c.next_event_ref().map(|e| e.is_some())
        } else {
            c.next_event().map(|e| e.is_some())
        }
    };
    for piece in bytes.chunks(step.max(1)) {
        c.receive(piece);
        loop {
            match pull(&mut c) {
                Ok(true) => {}
                Ok(false) => break,
                Err(e) => return Some(e),
            }
        }
    }
    if eof {
        c.receive_eof();
        loop {
            match pull(&mut c) {
                Ok(true) => {}
                Ok(false) => break,
                Err(e) => return Some(e),
            }
        }
    }
    None
}

#[test]
fn every_corpus_input_is_rejected_with_the_right_error_at_any_split() {
    for (name, bytes, expected, eof) in corpus() {
        for step in [bytes.len(), 1, 2, 3, 7, 64, 1000] {
            for borrowed in [false, true] {
                let got = first_error(&bytes, step, eof, borrowed);
                assert_eq!(
                    got.as_ref(),
                    Some(&expected),
                    "{name} (pieces of {step}, borrowed events: {borrowed})"
                );
            }
        }
        if !eof {
            // The error arrives before any EOF: the connection did not wait for more.
            assert_eq!(expected.status_code(), expected_status(&expected), "{name}");
        }
        // A server can always answer it.
        let mut c = Connection::new(Role::Server, Limits::default());
        c.receive(&bytes);
        if eof {
            c.receive_eof();
        }
        let e = loop {
            match c.next_event() {
                Ok(Some(_)) => {}
                Ok(None) => panic!("{name}: no error"),
                Err(e) => break e,
            }
        };
        let mut out = Vec::new();
        if c.send_error_response(&e, &mut out) {
            let head = format!("HTTP/1.1 {} ", expected_status(&e));
            assert!(out.starts_with(head.as_bytes()), "{name}");
        }
    }
}

#[test]
fn corpus_files_are_rejected_with_the_error_their_name_says() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/http_corpus");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).expect("corpus dir") {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        // <status>-<description>.http : the status the server must answer with.
        let Some((status, _)) = name.split_once('-') else {
            continue;
        };
        let status: u16 = status.parse().expect("status prefix");
        let bytes = std::fs::read(&path).unwrap();
        let err = first_error(&bytes, bytes.len(), true, false)
            .unwrap_or_else(|| panic!("{name}: accepted"));
        assert_eq!(err.status_code(), status, "{name}: {err}");
        seen += 1;
    }
    assert!(seen >= 5);
}

fn client_after_request() -> Connection {
    let mut c = Connection::new(Role::Client, Limits::default());
    let mut out = Vec::new();
    c.send(
        Event::Request(Request::new("GET", "/").header("Host", "h")),
        &mut out,
    )
    .unwrap();
    c.send(Event::EndOfMessage(Headers::new()), &mut out)
        .unwrap();
    c
}

#[test]
fn hostile_responses_are_rejected() {
    let cases: Vec<(&[u8], Error)> = vec![
        (
            b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
            Error::DifferingContentLength,
        ),
        (
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n",
            Error::UnsupportedTransferCoding,
        ),
        (
            b"HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
            Error::TransferEncodingInHttp10,
        ),
        (b"HTTP/2.0 200 OK\r\n\r\n", Error::UnsupportedVersion),
        (b"HTTP/1.1 2000 OK\r\n\r\n", Error::InvalidStatusLine),
        (b"HTTP/1.1 OK\r\n\r\n", Error::InvalidStatusLine),
        (
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
            Error::InvalidChunkSize,
        ),
        (
            b"HTTP/1.1 101 Switching Protocols\r\n\r\n",
            Error::UnexpectedSwitchingProtocols,
        ),
    ];
    for (bytes, expected) in cases {
        let mut c = client_after_request();
        c.receive(bytes);
        let got = loop {
            match c.next_event() {
                Ok(Some(_)) => {}
                Ok(None) => panic!("no error for {:?}", String::from_utf8_lossy(bytes)),
                Err(e) => break e,
            }
        };
        assert_eq!(got, expected, "{:?}", String::from_utf8_lossy(bytes));
    }
}

/// Runs arbitrary input through both roles: nothing panics, errors stick, and borrowed
/// events (`next_event_ref`) are exactly the owned ones (`next_event`) of a twin connection
/// fed the same bytes.
fn churn(bytes: &[u8], cuts: &[usize], role: Role) {
    let new = || match role {
        Role::Server => Connection::new(Role::Server, Limits::default()),
        Role::Client => client_after_request(),
    };
    let (mut c, mut twin) = (new(), new());
    let mut out = Vec::new();
    let mut prev = 0;
    let mut points: Vec<usize> = cuts.iter().map(|c| c % (bytes.len() + 1)).collect();
    points.sort_unstable();
    points.push(bytes.len());
    for p in points {
        c.receive(&bytes[prev..p]);
        twin.receive(&bytes[prev..p]);
        prev = p;
        loop {
            let ev = c.next_event();
            let borrowed = twin.next_event_ref().map(|e| e.map(|e| e.to_event()));
            assert_eq!(borrowed, ev, "borrowed events equal owned ones");
            match ev {
                Ok(Some(Event::EndOfMessage(_))) => {
                    for conn in [&mut c, &mut twin] {
                        answer(conn, role, &mut out);
                    }
                }
                Ok(Some(_)) => {}
                Ok(None) => break,
                Err(e) => {
                    assert_eq!(c.next_event(), Err(e.clone()), "errors stick");
                    let _ = c.send_error_response(&e, &mut out);
                    return;
                }
            }
        }
    }
    c.receive_eof();
    twin.receive_eof();
    loop {
        let ev = c.next_event();
        let borrowed = twin.next_event_ref().map(|e| e.map(|e| e.to_event()));
        assert_eq!(borrowed, ev, "borrowed events equal owned ones");
        if !matches!(ev, Ok(Some(_))) {
            break;
        }
    }
}

/// The next message of the exchange: a 200 from a server, another GET from a client.
fn answer(c: &mut Connection, role: Role, out: &mut Vec<u8>) {
    let head = match role {
        Role::Server => Event::Response(netloom_core::http::Response::new(200)),
        Role::Client => Event::Request(Request::new("GET", "/").header("Host", "h")),
    };
    let _ = c.send(head, out);
    let _ = c.send(Event::EndOfMessage(Headers::new()), out);
}

fn http_ish() -> impl Strategy<Value = Vec<u8>> {
    let token = prop::sample::select(vec![
        &b"GET "[..],
        b"POST ",
        b"/ ",
        b"HTTP/1.1",
        b"HTTP/1.0",
        b"HTTP/1.1 200 OK",
        b"\r\n",
        b"\n",
        b"\r",
        b" ",
        b"\t",
        b":",
        b",",
        b";",
        b"Host: a",
        b"Content-Length: ",
        b"Transfer-Encoding: ",
        b"chunked",
        b"gzip",
        b"0",
        b"5",
        b"ff",
        b"FFFFFFFFFFFFFFFFFFFF",
        b"hello",
        b"\0",
        b"\x7f",
        b"\xff",
        b"Connection: close",
        b"Expect: 100-continue",
        b"HTTP/1.1 100 Continue",
    ]);
    prop::collection::vec(token, 0..60).prop_map(|ts| ts.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn random_bytes_never_panic(
        bytes in prop::collection::vec(any::<u8>(), 0..600),
        cuts in prop::collection::vec(any::<usize>(), 0..8),
    ) {
        churn(&bytes, &cuts, Role::Server);
        churn(&bytes, &cuts, Role::Client);
    }

    #[test]
    fn http_shaped_garbage_never_panics(
        bytes in http_ish(),
        cuts in prop::collection::vec(any::<usize>(), 0..8),
    ) {
        churn(&bytes, &cuts, Role::Server);
        churn(&bytes, &cuts, Role::Client);
    }

    #[test]
    fn mutated_valid_requests_never_panic(
        pos in any::<usize>(),
        byte in any::<u8>(),
        insert in any::<bool>(),
        cuts in prop::collection::vec(any::<usize>(), 0..8),
    ) {
        let mut bytes = format!(
            "POST /x HTTP/1.1\r\n{H}Transfer-Encoding: chunked\r\n\r\n5;e=1\r\nhello\r\n0\r\nT: v\r\n\r\n\
             GET /y HTTP/1.1\r\n{H}Content-Length: 3\r\n\r\nabc"
        ).into_bytes();
        let at = pos % bytes.len();
        if insert { bytes.insert(at, byte) } else { bytes[at] = byte }
        churn(&bytes, &cuts, Role::Server);
    }
}

#[test]
fn server_body_data_is_never_more_than_declared() {
    // Smuggling check: whatever follows a Content-Length body is parsed as the next request.
    let evs = server_events(
        format!(
            "POST / HTTP/1.1\r\n{H}Content-Length: 5\r\n\r\nhelloGET /smuggled HTTP/1.1\r\n{H}\r\n"
        )
        .as_bytes(),
    )
    .unwrap();
    assert_eq!(body_of(&evs), b"hello");
}
