//! Property tests for the HTTP/1.1 state machine:
//! - any valid message sequence, split at any byte boundaries, yields the same events as the
//!   unsplit input (after merging adjacent `Data`, whose boundaries follow the input split);
//! - what one role serializes, the other parses back to the same heads, bodies and trailers.

#[path = "http_common/mod.rs"]
mod common;

use common::*;
use netloom_core::http::{Connection, Event, Headers, Limits, Request, Response, Role};
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Framing {
    Length,
    /// Chunk sizes partition the body; trailers follow the last chunk.
    Chunked {
        cuts: Vec<usize>,
        ext: bool,
        trailers: Vec<(String, String)>,
    },
}

#[derive(Debug, Clone)]
struct Msg {
    method: &'static str,
    target: String,
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    framing: Framing,
}

fn field_name() -> impl Strategy<Value = String> {
    "X-[A-Za-z0-9-]{1,12}"
}

fn field_value() -> impl Strategy<Value = String> {
    "([!-~]([ -~]{0,30}[!-~])?)?"
}

fn fields(max: usize) -> impl Strategy<Value = Vec<(String, String)>> {
    prop::collection::vec((field_name(), field_value()), 0..max)
}

fn framing() -> impl Strategy<Value = Framing> {
    prop_oneof![
        Just(Framing::Length),
        (
            prop::collection::vec(1usize..64, 0..6),
            any::<bool>(),
            fields(3)
        )
            .prop_map(|(cuts, ext, trailers)| Framing::Chunked {
                cuts,
                ext,
                trailers
            }),
    ]
}

fn msg() -> impl Strategy<Value = Msg> {
    (
        prop::sample::select(vec!["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"]),
        "/[A-Za-z0-9._~/-]{0,24}(\\?[a-z0-9=&]{0,16})?",
        prop::sample::select(vec![200u16, 201, 202, 206, 400, 404, 418, 500, 503]),
        fields(8),
        prop::collection::vec(any::<u8>(), 0..300),
        framing(),
    )
        .prop_map(|(method, target, status, headers, body, framing)| Msg {
            method,
            target,
            status,
            headers,
            body,
            framing,
        })
}

/// Chunk boundaries for `body` from the generated sizes (the rest is one last chunk).
fn chunks<'a>(body: &'a [u8], cuts: &[usize]) -> Vec<&'a [u8]> {
    let mut out = Vec::new();
    let mut rest = body;
    for &c in cuts {
        if rest.is_empty() {
            break;
        }
        let (a, b) = rest.split_at(c.min(rest.len()));
        out.push(a);
        rest = b;
    }
    if !rest.is_empty() {
        out.push(rest);
    }
    out
}

/// Hand-written wire form (independent of the crate's writer): the start line, fields,
/// framing, body.
fn wire(m: &Msg, start_line: &str, host: bool) -> Vec<u8> {
    let mut w = format!("{start_line}\r\n").into_bytes();
    if host {
        w.extend_from_slice(b"Host: example.test\r\n");
    }
    for (n, v) in &m.headers {
        w.extend_from_slice(format!("{n}: {v}\r\n").as_bytes());
    }
    match &m.framing {
        Framing::Length => {
            w.extend_from_slice(format!("Content-Length: {}\r\n\r\n", m.body.len()).as_bytes());
            w.extend_from_slice(&m.body);
        }
        Framing::Chunked {
            cuts,
            ext,
            trailers,
        } => {
            w.extend_from_slice(b"Transfer-Encoding: chunked\r\n\r\n");
            for c in chunks(&m.body, cuts) {
                let e = if *ext { ";name=\"v\"" } else { "" };
                w.extend_from_slice(format!("{:X}{e}\r\n", c.len()).as_bytes());
                w.extend_from_slice(c);
                w.extend_from_slice(b"\r\n");
            }
            w.extend_from_slice(b"0\r\n");
            for (n, v) in trailers {
                w.extend_from_slice(format!("{n}: {v}\r\n").as_bytes());
            }
            w.extend_from_slice(b"\r\n");
        }
    }
    w
}

fn request_wire(m: &Msg) -> Vec<u8> {
    wire(m, &format!("{} {} HTTP/1.1", m.method, m.target), true)
}

fn response_wire(m: &Msg) -> Vec<u8> {
    wire(m, &format!("HTTP/1.1 {} Whatever Reason", m.status), false)
}

fn trailers_of(m: &Msg) -> Headers {
    match &m.framing {
        Framing::Chunked { trailers, .. } => trailers.iter().map(|(n, v)| (n, v)).collect(),
        Framing::Length => Headers::new(),
    }
}

/// The next event, owned (`next_event`) or through a borrowed one (`next_event_ref`).
fn next(c: &mut Connection, borrowed: bool) -> Option<Event> {
    if borrowed {
        c.next_event_ref()
            .expect("valid input")
            .map(|e| e.to_event())
    } else {
        c.next_event().expect("valid input")
    }
}

/// Drives a server over `pieces`, answering each request with an empty 204 so pipelined
/// requests proceed. Returns all events (Data merged).
fn run_server(pieces: &[&[u8]]) -> Vec<Event> {
    run_server_with(pieces, false)
}

fn run_server_with(pieces: &[&[u8]], borrowed: bool) -> Vec<Event> {
    let mut c = Connection::new(Role::Server, Limits::default());
    let mut out = Vec::new();
    let mut events = Vec::new();
    let mut pull = |c: &mut Connection, events: &mut Vec<Event>| {
        while let Some(ev) = next(c, borrowed) {
            let end = matches!(ev, Event::EndOfMessage(_));
            events.push(ev);
            if end {
                c.send(Event::Response(Response::new(204)), &mut out)
                    .unwrap();
                c.send(Event::EndOfMessage(Headers::new()), &mut out)
                    .unwrap();
            }
        }
    };
    for p in pieces {
        c.receive(p);
        pull(&mut c, &mut events);
    }
    c.receive_eof();
    pull(&mut c, &mut events);
    merge_data(events)
}

/// Drives a client that sends one GET per expected response, over `pieces`.
fn run_client(pieces: &[&[u8]], responses: usize) -> Vec<Event> {
    run_client_with(pieces, responses, false)
}

fn run_client_with(pieces: &[&[u8]], responses: usize, borrowed: bool) -> Vec<Event> {
    let mut c = Connection::new(Role::Client, Limits::default());
    let mut out = Vec::new();
    let mut events = Vec::new();
    let mut sent = 0;
    let mut pull = |c: &mut Connection, events: &mut Vec<Event>, sent: &mut usize| loop {
        if c.our_state() == netloom_core::http::State::Idle && *sent < responses {
            let req = Request::new("GET", "/").header("Host", "h");
            c.send(Event::Request(req), &mut out).unwrap();
            c.send(Event::EndOfMessage(Headers::new()), &mut out)
                .unwrap();
            *sent += 1;
        }
        match next(c, borrowed) {
            Some(ev) => events.push(ev),
            None => break,
        }
    };
    for p in pieces {
        c.receive(p);
        pull(&mut c, &mut events, &mut sent);
    }
    c.receive_eof();
    pull(&mut c, &mut events, &mut sent);
    merge_data(events)
}

fn split<'a>(bytes: &'a [u8], cuts: &[usize]) -> Vec<&'a [u8]> {
    let mut points: Vec<usize> = cuts.iter().map(|c| c % (bytes.len() + 1)).collect();
    points.sort_unstable();
    let mut out = Vec::new();
    let mut prev = 0;
    for p in points {
        out.push(&bytes[prev..p]);
        prev = p;
    }
    out.push(&bytes[prev..]);
    out
}

fn expected_server_events(msgs: &[Msg]) -> Vec<Event> {
    let mut evs = Vec::new();
    for m in msgs {
        let mut r = Request::new(m.method, &m.target).header("Host", "example.test");
        for (n, v) in &m.headers {
            r.push_header(n, v);
        }
        match &m.framing {
            Framing::Length => r.push_header("Content-Length", m.body.len().to_string()),
            Framing::Chunked { .. } => r.push_header("Transfer-Encoding", "chunked"),
        }
        evs.push(Event::Request(r));
        if !m.body.is_empty() {
            evs.push(Event::Data(m.body.clone()));
        }
        evs.push(Event::EndOfMessage(trailers_of(m)));
    }
    evs.push(Event::ConnectionClosed);
    evs
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn any_split_of_pipelined_requests_gives_the_same_events(
        msgs in prop::collection::vec(msg(), 1..4),
        cuts in prop::collection::vec(any::<usize>(), 0..12),
    ) {
        let bytes: Vec<u8> = msgs.iter().flat_map(request_wire).collect();
        let whole = run_server(&[&bytes]);
        prop_assert_eq!(&whole, &expected_server_events(&msgs));
        let pieces = split(&bytes, &cuts);
        prop_assert_eq!(run_server(&pieces), whole.clone());
        prop_assert_eq!(run_server_with(&pieces, true), whole.clone());
        let bytewise: Vec<&[u8]> = bytes.chunks(1).collect();
        prop_assert_eq!(run_server(&bytewise), whole);
    }

    #[test]
    fn any_split_of_responses_gives_the_same_events(
        msgs in prop::collection::vec(msg(), 1..4),
        close_delimited_last in any::<bool>(),
        cuts in prop::collection::vec(any::<usize>(), 0..12),
    ) {
        let mut bytes: Vec<u8> = msgs.iter().flat_map(response_wire).collect();
        if close_delimited_last {
            bytes.extend_from_slice(b"HTTP/1.1 200 OK\r\nX-Last: 1\r\n\r\nuntil the end");
        }
        let n = msgs.len() + usize::from(close_delimited_last);
        let whole = run_client(&[&bytes], n);
        let ends = whole.iter().filter(|e| matches!(e, Event::EndOfMessage(_))).count();
        prop_assert_eq!(ends, n);
        prop_assert_eq!(whole.last(), Some(&Event::ConnectionClosed));
        let pieces = split(&bytes, &cuts);
        prop_assert_eq!(run_client(&pieces, n), whole.clone());
        prop_assert_eq!(run_client_with(&pieces, n, true), whole);
    }

    #[test]
    fn client_request_round_trips_through_server(
        m in msg(),
        pieces in prop::collection::vec(0usize..100, 0..5),
        declare_length in any::<bool>(),
    ) {
        // Client side: our writer frames the body (Content-Length, or chunked by default).
        let mut client = Connection::new(Role::Client, Limits::default());
        let mut wire = Vec::new();
        let mut req = Request::new(if m.method == "GET" { "POST" } else { m.method }, &m.target)
            .header("Host", "example.test");
        for (n, v) in &m.headers {
            req.push_header(n, v);
        }
        let chunked_default = !declare_length && !matches!(req.method(), "DELETE" | "OPTIONS");
        if declare_length || !chunked_default {
            req.push_header("Content-Length", m.body.len().to_string());
        }
        client.send(Event::Request(req.clone()), &mut wire).unwrap();
        for c in chunks(&m.body, &pieces) {
            client.send_data(c, &mut wire).unwrap();
        }
        let trailers = if chunked_default { trailers_of(&m) } else { Headers::new() };
        client.send(Event::EndOfMessage(trailers.clone()), &mut wire).unwrap();

        let mut server = Connection::new(Role::Server, Limits::default());
        server.receive(&wire);
        let evs = merge_data(drain(&mut server).unwrap());
        let Event::Request(got) = &evs[0] else { panic!("{evs:?}") };
        prop_assert_eq!(got.method(), req.method());
        prop_assert_eq!(got.target(), req.target());
        let sent: Vec<_> = req.headers().iter().collect();
        let received: Vec<_> = got.headers().iter().take(sent.len()).collect();
        prop_assert_eq!(sent, received);
        prop_assert_eq!(body_of(&evs), m.body.clone());
        prop_assert_eq!(evs.last(), Some(&Event::EndOfMessage(trailers)));
    }

    #[test]
    fn server_response_round_trips_through_client(
        m in msg(),
        pieces in prop::collection::vec(0usize..100, 0..5),
        declare_length in any::<bool>(),
        http10_peer in any::<bool>(),
    ) {
        let mut server = Connection::new(Role::Server, Limits::default());
        server.receive(if http10_peer {
            &b"GET / HTTP/1.0\r\n\r\n"[..]
        } else {
            &b"GET / HTTP/1.1\r\nHost: h\r\n\r\n"[..]
        });
        drain(&mut server).unwrap();
        let mut resp = Response::new(m.status);
        for (n, v) in &m.headers {
            resp.push_header(n, v);
        }
        if declare_length {
            resp.push_header("Content-Length", m.body.len().to_string());
        }
        let mut wire = Vec::new();
        server.send(Event::Response(resp.clone()), &mut wire).unwrap();
        for c in chunks(&m.body, &pieces) {
            server.send_data(c, &mut wire).unwrap();
        }
        let chunked = !declare_length && !http10_peer;
        let trailers = if chunked { trailers_of(&m) } else { Headers::new() };
        server.send(Event::EndOfMessage(trailers.clone()), &mut wire).unwrap();

        let mut client = Connection::new(Role::Client, Limits::default());
        let mut ignored = Vec::new();
        client.send(Event::Request(Request::new("GET", "/").header("Host", "h")), &mut ignored).unwrap();
        client.send(Event::EndOfMessage(Headers::new()), &mut ignored).unwrap();
        client.receive(&wire);
        if !declare_length && http10_peer {
            client.receive_eof(); // close-delimited
        }
        let evs = merge_data(drain(&mut client).unwrap());
        let Event::Response(got) = &evs[0] else { panic!("{evs:?}") };
        prop_assert_eq!(got.status(), resp.status());
        prop_assert_eq!(got.reason(), resp.reason());
        let sent: Vec<_> = resp.headers().iter().collect();
        let received: Vec<_> = got.headers().iter().take(sent.len()).collect();
        prop_assert_eq!(sent, received);
        prop_assert_eq!(body_of(&evs), m.body.clone());
        prop_assert!(evs.contains(&Event::EndOfMessage(trailers)));
    }
}
