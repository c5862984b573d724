//! Unit tests of the client's pure pieces.

use super::exchange::DECODED_CHUNK;
use super::*;
use crate::http::content_coding::{self, Coding, ContentError};
use crate::http::{Error, Limits, Response};
use std::io;

fn t(url: &str) -> Target {
    Target::parse(url).expect(url)
}

#[test]
fn target_parts() {
    let x = t("http://example.com/a/b?x=1&y#frag");
    assert_eq!(x.host(), "example.com");
    assert_eq!(x.port(), 80);
    assert_eq!(x.host_header(), "example.com");
    assert_eq!(x.request_target(), "/a/b?x=1&y");

    let x = t("http://Example.COM:8080");
    assert_eq!(x.host(), "example.com");
    assert_eq!(x.port(), 8080);
    assert_eq!(x.host_header(), "example.com:8080");
    assert_eq!(x.request_target(), "/");

    let x = t("http://example.com:80/");
    assert_eq!(x.host_header(), "example.com");

    let x = t("http://[::1]:9000/p");
    assert_eq!(x.host(), "::1");
    assert_eq!(x.port(), 9000);
    assert_eq!(x.host_header(), "[::1]:9000");

    let x = t("http://127.0.0.1/a b");
    assert_eq!(x.host(), "127.0.0.1");
    assert_eq!(x.request_target(), "/a%20b");

    let x = t("http://user:pw@h/");
    assert_eq!(x.host_header(), "h");
}

#[test]
fn target_errors() {
    #[cfg(not(feature = "tls"))]
    {
        assert!(matches!(
            Target::parse("https://example.com/"),
            Err(ClientError::UnsupportedScheme(s)) if s == "https"
        ));
        let e = Target::parse("https://example.com/")
            .unwrap_err()
            .to_string();
        assert!(e.contains("`tls` feature"), "{e}");
    }
    #[cfg(feature = "tls")]
    {
        let t = Target::parse("https://example.com/").unwrap();
        assert_eq!(t.origin().scheme, Scheme::Https);
        assert_eq!(t.origin().port, 443);
        assert_eq!(t.host_header(), "example.com");
    }
    assert!(matches!(
        Target::parse("ftp://example.com/"),
        Err(ClientError::UnsupportedScheme(s)) if s == "ftp"
    ));
    assert!(matches!(
        Target::parse("file:///etc/passwd"),
        Err(ClientError::UnsupportedScheme(_))
    ));
    for bad in [
        "example.com/x",
        "",
        "http://",
        "http://exa mple.com/",
        "http://:80/",
    ] {
        assert!(
            matches!(Target::parse(bad), Err(ClientError::InvalidUrl(_))),
            "{bad}"
        );
    }
    let e = Target::parse("example.com").unwrap_err().to_string();
    assert!(e.contains("try http://example.com"), "{e}");
}

#[test]
fn request_head() {
    let config = ClientConfig::default();
    let mut out = Vec::new();
    let mut ex = Exchange::new(Limits::default());
    ex.start(
        build_request(&config, "GET", &t("http://h:81/x?y#z"), None),
        &[],
        &mut out,
    )
    .unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(
        text.starts_with("GET /x?y HTTP/1.1\r\nHost: h:81\r\n"),
        "{text}"
    );
    assert!(text.contains("\r\nUser-Agent: netloom/"), "{text}");
    assert!(
        text.contains("\r\nAccept-Encoding: gzip, deflate\r\n"),
        "{text}"
    );
    assert!(text.contains("\r\nConnection: keep-alive\r\n"), "{text}");
    assert!(text.ends_with("\r\n\r\n"));

    let config = ClientConfig {
        headers: vec![("accept-encoding".into(), "gzip".into())],
        ..ClientConfig::default()
    };
    let req = build_request(&config, "POST", &t("http://h/"), Some(3));
    assert_eq!(req.headers().get_str("Accept-Encoding"), Some("gzip"));
    assert_eq!(req.headers().get_all("Accept-Encoding").count(), 1);
    assert_eq!(req.headers().get_str("Content-Length"), Some("3"));
    assert_eq!(body_length("GET", 0), None);
    assert_eq!(body_length("POST", 0), Some(0));
    assert_eq!(body_length("GET", 2), Some(2));
}

fn hop(status: u16, method: &str, loc: &str) -> Option<Redirect> {
    let cur = Url::parse("http://a.example/dir/page?q#f").unwrap();
    redirect(&cur, method, status, Some(loc)).unwrap()
}

#[test]
fn redirect_methods() {
    for s in [301, 302] {
        let r = hop(s, "POST", "/x").unwrap();
        assert_eq!((r.method.as_str(), r.keep_body), ("GET", false));
        let r = hop(s, "GET", "/x").unwrap();
        assert_eq!(r.method, "GET");
        let r = hop(s, "PUT", "/x").unwrap();
        assert_eq!(r.method, "PUT");
    }
    let r = hop(303, "PUT", "/x").unwrap();
    assert_eq!((r.method.as_str(), r.keep_body), ("GET", false));
    assert_eq!(hop(303, "HEAD", "/x").unwrap().method, "HEAD");
    for s in [307, 308] {
        let r = hop(s, "POST", "/x").unwrap();
        assert_eq!((r.method.as_str(), r.keep_body), ("POST", true));
    }
    for s in [200, 300, 304, 305, 404] {
        assert_eq!(hop(s, "GET", "/x"), None);
    }
}

#[test]
fn redirect_locations() {
    assert_eq!(
        hop(301, "GET", "other").unwrap().url.as_str(),
        "http://a.example/dir/other#f"
    );
    assert_eq!(
        hop(301, "GET", "../up?z").unwrap().url.as_str(),
        "http://a.example/up?z#f"
    );
    assert_eq!(
        hop(301, "GET", "//b.example/p#g").unwrap().url.as_str(),
        "http://b.example/p#g"
    );
    assert_eq!(
        hop(301, "GET", "http://c.example:8/").unwrap().url.as_str(),
        "http://c.example:8/#f"
    );
    let cur = Url::parse("http://a.example/").unwrap();
    assert_eq!(redirect(&cur, "GET", 302, None).unwrap(), None);
    assert_eq!(redirect(&cur, "GET", 302, Some("  ")).unwrap(), None);
    assert!(matches!(
        redirect(&cur, "GET", 302, Some("http://[bad")),
        Err(ClientError::InvalidUrl(_))
    ));
    // The scheme is checked when the next target is made.
    let r = redirect(&cur, "GET", 302, Some("ftp://a.example/")).unwrap();
    assert!(matches!(
        Target::from_url(r.unwrap().url),
        Err(ClientError::UnsupportedScheme(_))
    ));
}

#[test]
fn redirect_limit() {
    let cur = Url::parse("http://a.example/").unwrap();
    let resp = Response::new(302).header("Location", "/loop");
    let mut r = Redirects::new(10);
    for _ in 0..10 {
        assert!(r.follow(&cur, "GET", &resp).unwrap().is_some());
    }
    assert!(matches!(
        r.follow(&cur, "GET", &resp),
        Err(ClientError::TooManyRedirects { max: 10 })
    ));
    let mut r = Redirects::new(0);
    assert!(r
        .follow(&cur, "GET", &Response::new(200))
        .unwrap()
        .is_none());
    assert!(r.follow(&cur, "GET", &resp).is_err());
}

fn started(method: &str) -> Exchange {
    let mut ex = Exchange::new(Limits::default());
    let mut out = Vec::new();
    let config = ClientConfig::default();
    ex.start(
        build_request(&config, method, &t("http://h/"), None),
        &[],
        &mut out,
    )
    .unwrap();
    ex
}

#[test]
fn exchange_chunked_and_reuse() {
    let mut ex = started("GET");
    assert_eq!(ex.step().unwrap(), Step::NeedInput);
    ex.receive(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n");
    assert!(matches!(ex.step().unwrap(), Step::Head(r) if r.status() == 200));
    assert_eq!(ex.step().unwrap(), Step::Data(b"abc".to_vec()));
    assert_eq!(ex.step().unwrap(), Step::End { reusable: true });
    assert_eq!(ex.step().unwrap(), Step::End { reusable: true });
}

#[test]
fn exchange_not_reusable() {
    let mut ex = started("GET");
    ex.receive(b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
    assert!(matches!(ex.step().unwrap(), Step::Head(_)));
    assert_eq!(ex.step().unwrap(), Step::End { reusable: false });

    let mut ex = started("GET");
    ex.receive(b"HTTP/1.0 200 OK\r\n\r\nbody");
    assert!(matches!(ex.step().unwrap(), Step::Head(_)));
    assert_eq!(ex.step().unwrap(), Step::Data(b"body".to_vec()));
    assert_eq!(ex.step().unwrap(), Step::NeedInput);
    ex.receive_eof();
    assert_eq!(ex.step().unwrap(), Step::End { reusable: false });

    // Junk after the response: not reusable.
    let mut ex = started("GET");
    ex.receive(b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nxJUNK");
    assert!(matches!(ex.step().unwrap(), Step::Head(_)));
    assert_eq!(ex.step().unwrap(), Step::Data(b"x".to_vec()));
    assert_eq!(ex.step().unwrap(), Step::End { reusable: false });
}

#[test]
fn exchange_head_request_ignores_length() {
    let mut ex = started("HEAD");
    ex.receive(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n");
    assert!(matches!(ex.step().unwrap(), Step::Head(_)));
    assert_eq!(ex.expected(), None);
    assert_eq!(ex.step().unwrap(), Step::End { reusable: true });
}

#[test]
fn exchange_eof_cases() {
    let mut ex = started("GET");
    ex.receive_eof();
    let e = ex.step().unwrap_err();
    assert!(matches!(e, ClientError::NoResponse));
    assert!(ex.is_stale(&e));

    let mut ex = started("GET");
    ex.receive(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n0123456789");
    assert!(matches!(ex.step().unwrap(), Step::Head(_)));
    assert_eq!(ex.step().unwrap(), Step::Data(b"0123456789".to_vec()));
    ex.receive_eof();
    let e = ex.step().unwrap_err();
    assert!(matches!(
        e,
        ClientError::BodyIncomplete {
            expected: Some(1000),
            received: 10
        }
    ));
    assert!(!ex.is_stale(&e));
    assert_eq!(
        e.to_string(),
        "the server closed the connection after 10 of 1000 body bytes"
    );
    let io: io::Error = e.into();
    assert_eq!(io.kind(), io::ErrorKind::UnexpectedEof);
    assert!(matches!(
        ClientError::from_io(io, Waiting::Read),
        ClientError::BodyIncomplete { .. }
    ));

    let mut ex = started("GET");
    ex.receive(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab");
    assert!(matches!(ex.step().unwrap(), Step::Head(_)));
    assert_eq!(ex.step().unwrap(), Step::Data(b"ab".to_vec()));
    ex.receive_eof();
    assert!(matches!(
        ex.step().unwrap_err(),
        ClientError::BodyIncomplete {
            expected: None,
            received: 2
        }
    ));

    let mut ex = started("GET");
    ex.receive(b"HTTP/1.1 200 O");
    ex.receive_eof();
    let e = ex.step().unwrap_err();
    assert!(matches!(e, ClientError::Protocol(Error::UnexpectedEof)));
    assert!(!ex.is_stale(&e));
}

/// Runs `ex` over `wire` fed in pieces of `piece` bytes: the head and all body data.
fn collect(
    ex: &mut Exchange,
    wire: &[u8],
    piece: usize,
) -> Result<(Response, Vec<u8>), ClientError> {
    let mut head = None;
    let mut body = Vec::new();
    let mut chunks = wire.chunks(piece);
    loop {
        match ex.step()? {
            Step::NeedInput => match chunks.next() {
                Some(c) => ex.receive(c),
                None => ex.receive_eof(),
            },
            Step::Head(h) => head = Some(h),
            Step::Data(d) => {
                assert!(d.len() <= DECODED_CHUNK);
                body.extend_from_slice(&d);
            }
            Step::End { .. } => return Ok((head.expect("a head"), body)),
        }
    }
}

fn coded_response(coding: &str, body: &[u8]) -> Vec<u8> {
    let mut wire = format!(
        "HTTP/1.1 200 OK\r\nContent-Encoding: {coding}\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    wire.extend_from_slice(body);
    wire
}

#[test]
fn exchange_decodes_the_codings_it_asked_for() {
    let data: Vec<u8> = (0..300_000u32).map(|i| (i % 97) as u8).collect();
    for (name, coded) in [
        ("gzip", content_coding::gzip(&data)),
        ("deflate", content_coding::deflate(&data)),
        ("x-gzip", content_coding::gzip(&data)),
    ] {
        for piece in [1, 7, 1000, usize::MAX] {
            let wire = coded_response(name, &coded);
            let mut ex = started("GET");
            let (head, body) = collect(&mut ex, &wire, piece.min(wire.len())).unwrap();
            assert_eq!(body, data, "{name} in pieces of {piece}");
            assert!(!head.headers().contains("Content-Encoding"));
            assert!(!head.headers().contains("Content-Length"));
            assert_eq!(ex.expected(), None);
            assert_eq!(ex.received(), coded.len() as u64);
        }
    }
    // Chunked too.
    let z = content_coding::gzip(b"chunked and gzipped");
    let mut wire =
        b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
    for c in z.chunks(5) {
        wire.extend_from_slice(format!("{:x}\r\n", c.len()).as_bytes());
        wire.extend_from_slice(c);
        wire.extend_from_slice(b"\r\n");
    }
    wire.extend_from_slice(b"0\r\n\r\n");
    let mut ex = started("GET");
    assert_eq!(
        collect(&mut ex, &wire, 3).unwrap().1,
        b"chunked and gzipped"
    );
    assert_eq!(ex.step().unwrap(), Step::End { reusable: true });
}

#[test]
fn exchange_passes_through_what_it_did_not_ask_for() {
    let z = content_coding::gzip(b"raw");
    // The request said identity: the gzip body is handed over as it is.
    let config = ClientConfig {
        headers: vec![("Accept-Encoding".into(), "identity".into())],
        ..ClientConfig::default()
    };
    let mut ex = Exchange::for_config(&config);
    let mut out = Vec::new();
    ex.start(
        build_request(&config, "GET", &t("http://h/"), None),
        &[],
        &mut out,
    )
    .unwrap();
    let (head, body) = collect(&mut ex, &coded_response("gzip", &z), 100).unwrap();
    assert_eq!(body, z);
    assert_eq!(head.headers().get_str("Content-Encoding"), Some("gzip"));
    // A coding we do not read is passed through too.
    let mut ex = started("GET");
    let (head, body) = collect(&mut ex, &coded_response("br", b"xyz"), 100).unwrap();
    assert_eq!(
        (head.headers().get_str("Content-Encoding"), &body[..]),
        (Some("br"), &b"xyz"[..])
    );
    // No body to decode: HEAD, 304.
    let mut ex = started("HEAD");
    let (head, body) = collect(
        &mut ex,
        b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 20\r\n\r\n",
        100,
    )
    .unwrap();
    assert!(body.is_empty() && head.headers().contains("Content-Encoding"));
    let mut ex = started("GET");
    let (_, body) = collect(
        &mut ex,
        b"HTTP/1.1 304 Not Modified\r\nContent-Encoding: gzip\r\n\r\n",
        100,
    )
    .unwrap();
    assert!(body.is_empty());
}

#[test]
fn exchange_refuses_bad_and_oversized_coded_bodies() {
    let data = vec![b'a'; 200_000];
    let z = content_coding::gzip(&data);
    let mut ex = started("GET");
    let e = collect(&mut ex, &coded_response("gzip", &z[..z.len() - 3]), 50).unwrap_err();
    assert!(
        matches!(
            e,
            ClientError::Decoding(ContentError::Corrupt(Coding::Gzip))
        ),
        "{e}"
    );
    let mut ex = started("GET");
    let e = collect(&mut ex, &coded_response("deflate", b"\xFFnot deflate"), 50).unwrap_err();
    assert!(matches!(e, ClientError::Decoding(_)), "{e}");
    assert_eq!(io::Error::from(e).kind(), io::ErrorKind::InvalidData);
    let mut ex = Exchange::with_decoded_limit(Limits::default(), 100_000);
    let mut out = Vec::new();
    ex.start(
        build_request(&ClientConfig::default(), "GET", &t("http://h/"), None),
        &[],
        &mut out,
    )
    .unwrap();
    let e = collect(&mut ex, &coded_response("gzip", &z), 1000).unwrap_err();
    assert!(matches!(
        e,
        ClientError::Decoding(ContentError::TooLarge { limit: 100_000 })
    ));
    assert_eq!(
        e.to_string(),
        "bad response body: decoded body larger than 100000 bytes"
    );
}

#[test]
fn exchange_protocol_error() {
    let mut ex = started("GET");
    ex.receive(b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n");
    assert!(matches!(ex.step(), Err(ClientError::Protocol(_))));
}

#[test]
fn io_error_round_trip() {
    let e: io::Error = ClientError::Io(io::ErrorKind::ConnectionReset.into()).into();
    assert_eq!(e.kind(), io::ErrorKind::ConnectionReset);
    assert!(matches!(
        ClientError::from_io(io::ErrorKind::WouldBlock.into(), Waiting::Read),
        ClientError::Timeout(Waiting::Read)
    ));
    assert!(matches!(
        ClientError::from_connect(io::ErrorKind::TimedOut.into()),
        ClientError::Timeout(Waiting::Connect)
    ));
    assert!(matches!(
        ClientError::from_connect(io::ErrorKind::ConnectionRefused.into()),
        ClientError::Connect(_)
    ));
    assert_eq!(
        ClientError::from_connect(io::ErrorKind::ConnectionRefused.into()).to_string(),
        "cannot connect: connection refused"
    );
    assert_eq!(
        ClientError::Status {
            code: 404,
            reason: "Not Found".into()
        }
        .to_string(),
        "404 Not Found"
    );
}
