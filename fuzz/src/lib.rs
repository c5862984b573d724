//! Bodies of the fuzz targets, as plain functions over `&[u8]`.
//!
//! Each `fuzz_targets/<name>.rs` is a one-line `fuzz_target!` calling the function of the same
//! name here. The functions use nothing but `netloom_core` and `std`, so the main workspace
//! also compiles this file into `core/tests/fuzz_corpus_replay.rs` and replays the checked-in
//! corpus on the stable toolchain with plain `cargo test`.
//!
//! A body panics only when an invariant of the library breaks; malformed input is expected
//! and must produce a typed error, never a panic.
//!
//! # Input layout
//!
//! The HTTP and framing targets start with a control byte, so the fuzzer explores how input is
//! split and which limits apply along with the bytes themselves:
//!
//! - bits 0..=2: `n`, the number of chunk-size bytes that follow (0 = feed the rest in one
//!   piece). The rest of the input is fed in pieces of `size_byte + 1` bytes, cycling through
//!   the size bytes.
//! - bit 3: use small limits (see [`tight_http_limits`]), so limit checks are reached by small
//!   inputs.
//! - bits 4..=7: target-specific flags (HEAD vs GET per request for `http_response`, the fixed
//!   frame size for `frame_prefixed`, EOF at the end for `http_server_conn`).
//!
//! `chunked_body` and the XML-RPC targets take their input as is. `tls_server_conn` takes
//! the HTTP layout; its sizes split the *ciphertext* (see the `tls` module).

use std::sync::OnceLock;

use netloom_core::frame::{self, Decoder, FixedDecoder, FrameError, PrefixedDecoder, PREFIX_LEN};
use netloom_core::http::{self, Connection, Event, Headers, Request, Response, Role, State};
use netloom_core::xmlrpc::{
    self, encode_call, encode_fault, encode_response, parse_call, parse_multicall_response,
    parse_response, DateTime, Dispatcher, Fault, MethodCall, Value,
};

/// A target body.
pub type Body = fn(&[u8]);

/// Every target, by name: what the corpus replay test iterates.
pub const TARGETS: &[(&str, Body)] = &[
    ("http_request", http_request),
    ("http_response", http_response),
    ("http_server_conn", http_server_conn),
    ("chunked_body", chunked_body),
    ("xmlrpc_call", xmlrpc_call),
    ("xmlrpc_response", xmlrpc_response),
    ("xmlrpc_roundtrip", xmlrpc_roundtrip),
    ("frame_prefixed", frame_prefixed),
    #[cfg(feature = "tls")]
    ("tls_server_conn", tls::tls_server_conn),
];

#[cfg(feature = "tls")]
#[allow(unused_imports)] // Used by the fuzz target's binary, not by the corpus replay.
pub use tls::tls_server_conn;

// ---------------------------------------------------------------------------------------------
// Input control
// ---------------------------------------------------------------------------------------------

/// The decoded control byte and the payload after it.
struct Control<'a> {
    tight: bool,
    flags: u8,
    sizes: &'a [u8],
    data: &'a [u8],
}

fn control(input: &[u8]) -> Control<'_> {
    let Some((&c, rest)) = input.split_first() else {
        return Control {
            tight: false,
            flags: 0,
            sizes: &[],
            data: &[],
        };
    };
    let n = usize::from(c & 7).min(rest.len());
    Control {
        tight: c & 8 != 0,
        flags: c >> 4,
        sizes: &rest[..n],
        data: &rest[n..],
    }
}

/// `data` cut into pieces of `s + 1` bytes for `s` cycling through `sizes` (one piece if
/// `sizes` is empty).
fn pieces<'a>(data: &'a [u8], sizes: &[u8]) -> Vec<&'a [u8]> {
    if sizes.is_empty() {
        return vec![data];
    }
    let mut out = Vec::new();
    let mut rest = data;
    let mut i = 0;
    while !rest.is_empty() {
        let n = (usize::from(sizes[i % sizes.len()]) + 1).min(rest.len());
        let (a, b) = rest.split_at(n);
        out.push(a);
        rest = b;
        i += 1;
    }
    out
}

/// Small HTTP limits: every limit is reachable with inputs of a few hundred bytes.
pub fn tight_http_limits() -> http::Limits {
    http::Limits {
        max_head_bytes: 256,
        max_headers: 6,
        max_uri_bytes: 48,
        max_request_body_bytes: 100,
        max_response_body_bytes: 100,
        max_chunk_ext_bytes: 10,
        max_trailer_bytes: 40,
    }
}

fn http_limits(tight: bool) -> http::Limits {
    if tight {
        tight_http_limits()
    } else {
        http::Limits::default()
    }
}

// ---------------------------------------------------------------------------------------------
// HTTP
// ---------------------------------------------------------------------------------------------

/// What a connection made of some input: its events (adjacent `Data` merged, since their
/// boundaries follow the input split) and the error that ended it, if any.
#[derive(Debug, PartialEq)]
struct Outcome {
    events: Vec<Event>,
    error: Option<http::Error>,
}

fn merge_data(events: Vec<Event>) -> Vec<Event> {
    let mut merged: Vec<Event> = Vec::new();
    for ev in events {
        match (merged.last_mut(), ev) {
            (_, Event::Data(d)) if d.is_empty() => {}
            (Some(Event::Data(prev)), Event::Data(d)) => prev.extend_from_slice(&d),
            (_, ev) => merged.push(ev),
        }
    }
    merged
}

/// Checks what must hold once `next_event` failed with `e`, and returns `e`.
fn after_error(conn: &mut Connection, e: http::Error) -> http::Error {
    assert_eq!(conn.their_state(), State::Error, "state after {e:?}");
    assert!(!conn.keep_alive(), "keep-alive after {e:?}");
    assert!(!conn.wants_read(), "wants_read after {e:?}");
    assert_eq!(conn.next_event(), Err(e.clone()), "errors must be sticky");
    let status = e.status_code();
    assert!(
        (400..600).contains(&status),
        "{e:?} maps to status {status}"
    );
    let mut out = Vec::new();
    if conn.send_error_response(&e, &mut out) {
        assert!(out.starts_with(b"HTTP/1.1 "), "error response {out:?}");
        assert_eq!(conn.our_state(), State::MustClose);
    } else {
        assert!(out.is_empty(), "a refused error response wrote {out:?}");
    }
    e
}

/// The next event: owned from `next_event`, or borrowed from `next_event_ref` and then
/// copied (the two must be interchangeable).
fn next(conn: &mut Connection, borrowed: bool) -> Result<Option<Event>, http::Error> {
    if borrowed {
        conn.next_event_ref().map(|e| e.map(|e| e.to_event()))
    } else {
        conn.next_event()
    }
}

/// The number of events a connection may produce for `len` input bytes before we call it a
/// livelock (a head or chunk consumes at least one byte; a message has at most three events
/// without body bytes).
fn event_budget(len: usize) -> usize {
    3 * len + 8
}

/// Server role: pulls events until more input is needed, answering each complete request
/// with an empty 204 so that pipelined requests proceed, and sending `100 Continue` when the
/// client waits for it.
fn pull_server(
    conn: &mut Connection,
    events: &mut Vec<Event>,
    budget: usize,
    borrowed: bool,
) -> Result<(), http::Error> {
    let mut out = Vec::new();
    loop {
        match next(conn, borrowed) {
            Ok(Some(ev)) => {
                let end = matches!(ev, Event::EndOfMessage(_));
                events.push(ev);
                assert!(events.len() <= budget, "no progress: {events:?}");
                if end {
                    assert_eq!(conn.our_state(), State::SendResponse);
                    if let Err(e) = conn.send(Event::Response(Response::new(204)), &mut out) {
                        panic!("a 204 after a complete request was refused: {e:?}");
                    }
                    if let Err(e) = conn.send(Event::EndOfMessage(Headers::new()), &mut out) {
                        panic!("ending a 204 was refused: {e:?}");
                    }
                    assert!(matches!(
                        conn.our_state(),
                        State::Idle | State::MustClose | State::Done
                    ));
                }
            }
            Ok(None) => {
                if conn.expects_continue() {
                    let cont = Event::InformationalResponse(Response::new(100));
                    if let Err(e) = conn.send(cont, &mut out) {
                        panic!("100 Continue refused while expected: {e:?}");
                    }
                    assert!(!conn.expects_continue());
                }
                return Ok(());
            }
            Err(e) => return Err(after_error(conn, e)),
        }
    }
}

fn run_server(pieces: &[&[u8]], limits: &http::Limits, borrowed: bool) -> Outcome {
    let budget = event_budget(pieces.iter().map(|p| p.len()).sum());
    let mut conn = Connection::new(Role::Server, limits.clone());
    let mut events = Vec::new();
    let mut result = Ok(());
    for p in pieces {
        conn.receive(p);
        result = pull_server(&mut conn, &mut events, budget, borrowed);
        if result.is_err() {
            break;
        }
    }
    if result.is_ok() {
        conn.receive_eof();
        result = pull_server(&mut conn, &mut events, budget, borrowed);
    }
    if let Ok(()) = result {
        // After EOF and once idle, the connection is closed for good.
        assert!(!conn.wants_read());
        assert_eq!(conn.next_event(), Ok(None));
    }
    Outcome {
        events: merge_data(events),
        error: result.err(),
    }
}

/// Client role: sends a GET or HEAD (request `i` is HEAD when bit `i % 4` of `head_bits` is
/// set) whenever both sides are idle, at most `MAX_REQUESTS` times, and pulls events until
/// more input is needed.
fn pull_client(
    conn: &mut Connection,
    events: &mut Vec<Event>,
    sent: &mut usize,
    head_bits: u8,
    budget: usize,
    borrowed: bool,
) -> Result<(), http::Error> {
    const MAX_REQUESTS: usize = 64;
    let mut out = Vec::new();
    loop {
        if conn.our_state() == State::Idle
            && conn.their_state() == State::Idle
            && *sent < MAX_REQUESTS
        {
            let method = if head_bits >> (*sent % 4) & 1 == 1 {
                "HEAD"
            } else {
                "GET"
            };
            let req = Request::new(method, "/").header("Host", "fuzz.test");
            if let Err(e) = conn.send(Event::Request(req), &mut out) {
                panic!("an idle client refused a {method}: {e:?}");
            }
            if let Err(e) = conn.send(Event::EndOfMessage(Headers::new()), &mut out) {
                panic!("an idle client refused to end a {method}: {e:?}");
            }
            *sent += 1;
        }
        match next(conn, borrowed) {
            Ok(Some(ev)) => {
                events.push(ev);
                assert!(events.len() <= budget, "no progress: {events:?}");
            }
            Ok(None) => return Ok(()),
            Err(e) => return Err(after_error(conn, e)),
        }
    }
}

fn run_client(pieces: &[&[u8]], limits: &http::Limits, head_bits: u8, borrowed: bool) -> Outcome {
    let budget = event_budget(pieces.iter().map(|p| p.len()).sum());
    let mut conn = Connection::new(Role::Client, limits.clone());
    let mut events = Vec::new();
    let mut sent = 0;
    let mut pull = |conn: &mut Connection| {
        pull_client(conn, &mut events, &mut sent, head_bits, budget, borrowed)
    };
    let mut result = Ok(());
    for p in pieces {
        conn.receive(p);
        result = pull(&mut conn);
        if result.is_err() {
            break;
        }
    }
    if result.is_ok() {
        conn.receive_eof();
        result = pull(&mut conn);
    }
    if let Ok(()) = result {
        assert!(!conn.wants_read());
        assert_eq!(conn.next_event(), Ok(None));
    }
    Outcome {
        events: merge_data(events),
        error: result.err(),
    }
}

/// Split and unsplit input must give the same events, and both must fail or neither.
///
/// An error inside a body (after a `Request`/`Response` or `Data` event) must be the same
/// error: body readers are byte-at-a-time state machines. An error in a malformed *head*
/// may legitimately be another kind: a partial head is re-parsed only once its end (or EOF,
/// or a limit) arrives, so a split can surface a limit or `UnexpectedEof` before httparse
/// sees the malformed byte that the unsplit parse reports (both are 4xx and end the
/// connection).
fn assert_same_outcome(split: &Outcome, whole: &Outcome) {
    assert_eq!(split.events, whole.events, "split input gave other events");
    assert_eq!(
        split.error.is_some(),
        whole.error.is_some(),
        "split input failed differently:\nsplit: {split:?}\nwhole: {whole:?}"
    );
    let in_body = matches!(
        whole.events.last(),
        Some(Event::Request(_) | Event::Response(_) | Event::Data(_))
    );
    if in_body {
        assert_eq!(
            split.error, whole.error,
            "split input gave another body error"
        );
    }
}

/// Runs `run` (a role's driver: pieces, borrowed events or not) over the control byte's
/// pieces and over the whole input: split and unsplit input must give the same events, and
/// borrowed events must equal owned ones either way.
fn check_http(input: &[u8], run: impl Fn(&[&[u8]], &http::Limits, u8, bool) -> Outcome) {
    let c = control(input);
    let limits = http_limits(c.tight);
    let whole = run(&[c.data], &limits, c.flags, false);
    let whole_ref = run(&[c.data], &limits, c.flags, true);
    assert_eq!(whole_ref, whole, "borrowed events differ");
    if !c.sizes.is_empty() {
        let split = run(&pieces(c.data, c.sizes), &limits, c.flags, false);
        assert_same_outcome(&split, &whole);
        let split_ref = run(&pieces(c.data, c.sizes), &limits, c.flags, true);
        assert_eq!(split_ref, split, "borrowed events differ on split input");
    }
}

/// HTTP request parsing, server role. The input (after the control byte) is fed in the
/// pieces the control byte chooses; the events and the final error must equal those of the
/// unsplit input.
pub fn http_request(input: &[u8]) {
    check_http(input, |pieces, limits, _, borrowed| {
        run_server(pieces, limits, borrowed)
    });
}

/// HTTP response parsing, client role, for GET and HEAD requests (chosen by the control
/// byte's flags), with EOF at the end so close-delimited bodies complete. Split and unsplit
/// input must give the same events.
pub fn http_response(input: &[u8]) {
    check_http(input, run_client);
}

/// The head every `chunked_body` input follows.
pub const CHUNKED_HEAD: &[u8] =
    b"POST /upload HTTP/1.1\r\nHost: fuzz.test\r\nTransfer-Encoding: chunked\r\n\r\n";

/// The body of a chunked request in the simplest form of the grammar (sizes of 1 to 16 hex
/// digits, no extensions, no trailers, CRLF everywhere), or `None` if `input` does not start
/// with one. Any conforming decoder accepts it and agrees on the body.
fn simple_chunked(input: &[u8]) -> Option<Vec<u8>> {
    let mut body = Vec::new();
    let mut rest = input;
    loop {
        let digits = rest.iter().take_while(|b| b.is_ascii_hexdigit()).count();
        if digits == 0 || digits > 16 {
            return None;
        }
        let text = std::str::from_utf8(&rest[..digits]).ok()?;
        let size = usize::try_from(u64::from_str_radix(text, 16).ok()?).ok()?;
        rest = rest[digits..].strip_prefix(b"\r\n")?;
        if size == 0 {
            rest.strip_prefix(b"\r\n")?;
            return Some(body);
        }
        if rest.len() < size {
            return None;
        }
        body.extend_from_slice(&rest[..size]);
        rest = rest[size..].strip_prefix(b"\r\n")?;
    }
}

/// Chunked body decoding: a fixed request head with `Transfer-Encoding: chunked`, then the
/// input as the body (and whatever follows it as pipelined requests). Fed whole, byte by
/// byte and in pieces sized by the input's own bytes, under default and small limits; all
/// must agree. When the input starts with a body in the simplest chunked form, the decoded
/// body must be exactly that.
pub fn chunked_body(input: &[u8]) {
    let mut wire = CHUNKED_HEAD.to_vec();
    wire.extend_from_slice(input);
    let expected = simple_chunked(input);
    for limits in [http::Limits::default(), tight_http_limits()] {
        let whole = run_server(&[&wire], &limits, false);
        let bytewise: Vec<&[u8]> = wire.chunks(1).collect();
        assert_same_outcome(&run_server(&bytewise, &limits, true), &whole);
        let sizes: Vec<u8> = input.iter().map(|b| b % 32).take(16).collect();
        assert_same_outcome(&run_server(&pieces(&wire, &sizes), &limits, false), &whole);
        if let Some(body) = &expected {
            if body.len() as u64 > limits.max_request_body_bytes {
                continue;
            }
            assert!(
                matches!(whole.events.first(), Some(Event::Request(_))),
                "{whole:?}"
            );
            let mut got = Vec::new();
            let mut end = None;
            for ev in &whole.events[1..] {
                match ev {
                    Event::Data(d) => got.extend_from_slice(d),
                    Event::EndOfMessage(t) => {
                        end = Some(t);
                        break;
                    }
                    other => panic!("unexpected {other:?} inside a chunked body"),
                }
            }
            assert_eq!(
                end,
                Some(&Headers::new()),
                "simple chunked body not ended: {whole:?}"
            );
            assert_eq!(&got, body, "simple chunked body decoded differently");
        }
    }
}

/// The handler `http_server_conn` serves: `/stream` streams a body of unknown length,
/// anything else answers its method, target and body length. (No panicking route: the
/// fuzzer's panic hook aborts even on panics the connection catches; the runtime tests cover
/// handler panics.)
fn fuzz_handler(req: http::server::IncomingRequest) -> http::server::OutgoingResponse {
    use http::server::{Body, OutgoingResponse};
    match req.head.target() {
        "/stream" => OutgoingResponse {
            head: Response::new(200),
            body: Body::Stream(Box::new(std::io::Cursor::new(vec![b's'; 1000]))),
        },
        target => OutgoingResponse::text(
            200,
            format!("{} {target} {}", req.head.method(), req.body.len()),
        ),
    }
}

/// Everything a [`http::server::ServerConn`] writes for `pieces` (then EOF if `eof`), its
/// output drained after every step; `deferred` runs its jobs (handler calls, body reads) as a
/// runtime with workers would, one at a time.
#[cfg(feature = "tls")]
#[path = "tls/mod.rs"]
mod tls;

fn serve(pieces: &[&[u8]], limits: &http::Limits, eof: bool, deferred: bool) -> Vec<u8> {
    use netloom_core::Duplex;
    let handler: std::sync::Arc<fn(_) -> _> = std::sync::Arc::new(fuzz_handler);
    let info = frame::ConnInfo {
        local: std::net::SocketAddr::from(([127, 0, 0, 1], 80)).into(),
        peer: std::net::SocketAddr::from(([127, 0, 0, 1], 9)).into(),
    };
    let mut conn = if deferred {
        http::server::ServerConn::deferred(handler, info, limits.clone())
    } else {
        http::server::ServerConn::new(handler, info, limits.clone())
    };
    let now = fixed_now();
    let mut out = Vec::new();
    let mut settle = |conn: &mut http::server::ServerConn<_>| {
        // Bounded: each round writes or runs a job, and the input is finite.
        for _ in 0..100_000 {
            let n = conn.transmit().len();
            if n > 0 {
                out.extend_from_slice(conn.transmit());
                conn.advance(now, n);
            } else if let Some(job) = conn.take_job() {
                assert!(deferred, "an inline connection made a job");
                conn.complete(now, job.run());
            } else {
                return;
            }
        }
        panic!("the connection never settled");
    };
    for p in pieces {
        if !conn.wants_read() {
            break;
        }
        conn.receive(now, p);
        settle(&mut conn);
    }
    if eof && !conn.is_finished() {
        conn.receive_eof(now);
        settle(&mut conn);
    }
    out
}

/// The server connection around a handler: for any input, split any way, with or without EOF,
/// the bytes it writes are the same whether it calls its handler inline or hands calls and
/// body reads out as jobs, and (up to any error response) the same as for the unsplit input.
pub fn http_server_conn(input: &[u8]) {
    let c = control(input);
    let limits = http_limits(c.tight);
    let eof = c.flags & 1 != 0;
    let whole = serve(&[c.data], &limits, eof, false);
    assert_eq!(
        serve(&[c.data], &limits, eof, true),
        whole,
        "deferred and inline connections wrote different bytes"
    );
    if !c.sizes.is_empty() {
        // Up to the first error response the connection writes, a split changes nothing.
        // (A malformed head can be refused sooner when whole: a partial head is parsed
        // again only once its end arrives, so when split it waits for more, or for EOF and
        // another 400. Both refuse it; the http_request target covers that part.)
        let answered = whole
            .windows(10)
            .position(|w| w.starts_with(b"HTTP/1.1 4") || w.starts_with(b"HTTP/1.1 5"))
            .unwrap_or(whole.len());
        let parts = pieces(c.data, c.sizes);
        for deferred in [false, true] {
            let split = serve(&parts, &limits, eof, deferred);
            if answered == whole.len() {
                assert_eq!(
                    split, whole,
                    "a split changed the output (deferred: {deferred})"
                );
            } else {
                assert_eq!(
                    split.get(..answered),
                    Some(&whole[..answered]),
                    "a split changed the answers before the error (deferred: {deferred})"
                );
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// XML-RPC
// ---------------------------------------------------------------------------------------------

/// Small XML-RPC limits.
pub fn tight_xml_limits() -> xmlrpc::Limits {
    xmlrpc::Limits {
        max_body_bytes: 4096,
        max_depth: 3,
        max_string_bytes: 32,
        max_base64_bytes: 16,
        max_values: 20,
        max_result_bytes: 4096,
    }
}

/// Value equality where a NaN double equals any NaN double (the wire has one `nan`).
pub fn same_value(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Double(x), Value::Double(y)) => {
            (x.is_nan() && y.is_nan()) || x.to_bits() == y.to_bits()
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same_value(a, b))
        }
        (Value::Struct(x), Value::Struct(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y)
                    .all(|((ka, va), (kb, vb))| ka == kb && same_value(va, vb))
        }
        _ => a == b,
    }
}

fn same_params(a: &[Value], b: &[Value]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(a, b)| same_value(a, b))
}

fn same_call(a: &MethodCall, b: &MethodCall) -> bool {
    a.method == b.method && same_params(&a.params, &b.params)
}

fn same_response(a: &xmlrpc::Response, b: &xmlrpc::Response) -> bool {
    match (a, b) {
        (xmlrpc::Response::Success(x), xmlrpc::Response::Success(y)) => same_value(x, y),
        (xmlrpc::Response::Fault(x), xmlrpc::Response::Fault(y)) => x == y,
        _ => false,
    }
}

fn encode_any_response(r: &xmlrpc::Response, out: &mut Vec<u8>) {
    match r {
        xmlrpc::Response::Success(v) => encode_response(v, out),
        xmlrpc::Response::Fault(f) => encode_fault(f, out),
    }
}

/// Decoded call → encoded → decoded again: same call, and the second encoding is
/// byte-identical to the first.
fn check_call_roundtrip(call: &MethodCall) {
    let mut first = Vec::new();
    encode_call(&call.method, &call.params, &mut first);
    let again = match parse_call(&first, &xmlrpc::Limits::default()) {
        Ok(c) => c,
        Err(e) => panic!(
            "our encoding of {call:?} does not decode: {e:?}\n{}",
            String::from_utf8_lossy(&first)
        ),
    };
    assert!(same_call(call, &again), "{call:?} came back as {again:?}");
    let mut second = Vec::new();
    encode_call(&again.method, &again.params, &mut second);
    assert_eq!(first, second, "re-encoding is not stable");
}

fn check_response_roundtrip(resp: &xmlrpc::Response) {
    let mut first = Vec::new();
    encode_any_response(resp, &mut first);
    let again = match parse_response(&first, &xmlrpc::Limits::default()) {
        Ok(r) => r,
        Err(e) => panic!(
            "our encoding of {resp:?} does not decode: {e:?}\n{}",
            String::from_utf8_lossy(&first)
        ),
    };
    assert!(
        same_response(resp, &again),
        "{resp:?} came back as {again:?}"
    );
    let mut second = Vec::new();
    encode_any_response(&again, &mut second);
    assert_eq!(first, second, "re-encoding is not stable");
}

/// A dispatcher with typed, raw, multicall and introspection methods. No handler can panic.
fn dispatcher() -> &'static Dispatcher {
    static D: OnceLock<Dispatcher> = OnceLock::new();
    D.get_or_init(|| {
        let mut d = Dispatcher::new();
        d.register("add", |a: i32, b: i32| a.wrapping_add(b));
        d.register("concat", |a: String, b: String| a + &b);
        d.register("sum", |xs: Vec<f64>| xs.iter().sum::<f64>());
        d.register("when", |t: DateTime| t);
        d.register("nothing", || ());
        d.register_raw("echo", |params: &[Value]| Ok(Value::Array(params.to_vec())));
        d.register_raw("fail", |params: &[Value]| {
            Err(Fault::new(params.len() as i32, format!("{params:?}")))
        });
        d.enable_multicall();
        d.enable_introspection();
        d
    })
}

/// XML-RPC call decoding. Must not panic; what decodes under small limits decodes the same
/// under the defaults; what decodes re-encodes and decodes back to the same call; and the
/// dispatcher's answer to any body is a well-formed response.
pub fn xmlrpc_call(input: &[u8]) {
    let default = parse_call(input, &xmlrpc::Limits::default());
    if let Ok(small) = parse_call(input, &tight_xml_limits()) {
        match &default {
            Ok(d) => assert!(same_call(&small, d), "limits changed the result"),
            Err(e) => panic!("accepted under small limits, refused under defaults: {e:?}"),
        }
    }
    if let Ok(call) = &default {
        check_call_roundtrip(call);
    }
    let answer = dispatcher().handle_body(input);
    if let Err(e) = parse_response(&answer, &xmlrpc::Limits::default()) {
        panic!(
            "the dispatcher answered a malformed response: {e:?}\n{}",
            String::from_utf8_lossy(&answer)
        );
    }
}

/// XML-RPC response decoding: as [`xmlrpc_call`], plus the multicall view of the same
/// document must agree with the plain one on whether it is well-formed.
pub fn xmlrpc_response(input: &[u8]) {
    let default = parse_response(input, &xmlrpc::Limits::default());
    if let Ok(small) = parse_response(input, &tight_xml_limits()) {
        match &default {
            Ok(d) => assert!(same_response(&small, d), "limits changed the result"),
            Err(e) => panic!("accepted under small limits, refused under defaults: {e:?}"),
        }
    }
    let multi = parse_multicall_response(input, &xmlrpc::Limits::default());
    match (&default, &multi) {
        (Err(a), Err(b)) => assert_eq!(a, b, "the multicall view saw another error"),
        (Ok(xmlrpc::Response::Fault(f)), m) => assert_eq!(m, &Ok(Err(f.clone()))),
        (Ok(xmlrpc::Response::Success(_)), _) => {}
        (Err(e), Ok(m)) => panic!("refused ({e:?}) but the multicall view got {m:?}"),
    }
    if let Ok(resp) = &default {
        check_response_roundtrip(resp);
    }
}

/// Builds XML-RPC values from raw bytes: each value starts with a tag byte.
struct ValueGen<'a> {
    data: &'a [u8],
    pos: usize,
    budget: usize,
}

impl ValueGen<'_> {
    fn byte(&mut self) -> u8 {
        let b = self.data.get(self.pos).copied().unwrap_or(0);
        self.pos += 1;
        b
    }

    fn bytes<const N: usize>(&mut self) -> [u8; N] {
        let mut out = [0u8; N];
        for b in &mut out {
            *b = self.byte();
        }
        out
    }

    fn done(&self) -> bool {
        self.pos >= self.data.len()
    }

    /// A string of characters XML 1.0 can carry (others cannot be sent at all).
    fn string(&mut self) -> String {
        let len = usize::from(self.byte() % 24);
        let mut s = String::new();
        for _ in 0..len {
            if self.done() {
                break;
            }
            let b = self.byte();
            let c = if b < 0x80 {
                char::from(b)
            } else {
                let [x, y] = self.bytes::<2>();
                let code =
                    ((u32::from(b & 0x7f) << 16) | (u32::from(x) << 8) | u32::from(y)) % 0x11_0000;
                char::from_u32(code).unwrap_or('\u{fffd}')
            };
            let xml_char = matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}' | '\u{10000}'..);
            if xml_char {
                s.push(c);
            }
        }
        s
    }

    fn value(&mut self, depth: usize) -> Value {
        self.budget = self.budget.saturating_sub(1);
        let containers_ok = depth < 6 && self.budget > 0;
        let tag = self.byte() % if containers_ok { 11 } else { 9 };
        match tag {
            0 => Value::Int(i32::from_le_bytes(self.bytes())),
            1 => Value::I8(i64::from_le_bytes(self.bytes())),
            2 => Value::Bool(self.byte() & 1 == 1),
            3 => Value::String(self.string()),
            4 => Value::Double(f64::from_le_bytes(self.bytes())),
            5 => {
                let [y0, y1, mo, d, h, mi, s] = self.bytes::<7>();
                let t = DateTime::new(
                    u16::from_le_bytes([y0, y1]) % 10_000,
                    mo % 12 + 1,
                    d % 31 + 1,
                    h % 24,
                    mi % 60,
                    s % 62,
                );
                t.map_or(Value::Nil, Value::DateTime)
            }
            6 => {
                let len = usize::from(self.byte() % 40);
                Value::Base64((0..len).map(|_| self.byte()).collect())
            }
            7 => Value::Nil,
            8 => Value::String(String::new()),
            9 => {
                let n = usize::from(self.byte() % 5);
                Value::Array((0..n).map(|_| self.value(depth + 1)).collect())
            }
            _ => {
                let n = usize::from(self.byte() % 5);
                Value::Struct(
                    (0..n)
                        .map(|_| (self.string(), self.value(depth + 1)))
                        .collect(),
                )
            }
        }
    }
}

/// Round trips both ways:
/// - the input as a document: decode (call and response) → encode → decode must agree, and
///   the two encodings must be byte-identical (which also covers NaN doubles);
/// - the input as a recipe for values: encode as a call, a response and a fault → decode
///   must give back the same values.
pub fn xmlrpc_roundtrip(input: &[u8]) {
    if let Ok(call) = parse_call(input, &xmlrpc::Limits::default()) {
        check_call_roundtrip(&call);
    }
    if let Ok(resp) = parse_response(input, &xmlrpc::Limits::default()) {
        check_response_roundtrip(&resp);
    }

    let mut gen = ValueGen {
        data: input,
        pos: 0,
        budget: 64,
    };
    let method = gen.string();
    let mut params = Vec::new();
    while !gen.done() && params.len() < 8 {
        params.push(gen.value(0));
    }
    let call = MethodCall { method, params };
    check_call_roundtrip(&call);
    for p in &call.params {
        check_response_roundtrip(&xmlrpc::Response::Success(p.clone()));
    }
    let code = i32::from_le_bytes(gen.bytes());
    check_response_roundtrip(&xmlrpc::Response::Fault(Fault::new(
        code,
        call.method.clone(),
    )));
}

// ---------------------------------------------------------------------------------------------
// Framing
// ---------------------------------------------------------------------------------------------

/// The frames a decoder produced and the error that ended the stream, if any.
#[derive(Debug, PartialEq)]
struct Frames {
    frames: Vec<Vec<u8>>,
    error: Option<FrameError>,
}

fn pull_frames<D: Decoder>(dec: &mut D, out: &mut Frames, max_frames: usize) -> bool {
    loop {
        match dec.next_frame() {
            Ok(Some(f)) => {
                out.frames.push(f);
                assert!(out.frames.len() <= max_frames, "no progress");
            }
            Ok(None) => {
                assert!(dec.wanted() >= 1, "wanted() is 0 without an error");
                return true;
            }
            Err(e) => {
                // A short read is reported at EOF, when no more input can come; an oversize
                // prefix is fatal and the decoder wants nothing more.
                if matches!(e, FrameError::TooLarge { .. }) {
                    assert_eq!(dec.wanted(), 0, "wanted() after {e:?}");
                }
                assert_eq!(dec.next_frame(), Err(e.clone()), "errors must be sticky");
                out.error = Some(e);
                return false;
            }
        }
    }
}

fn run_decoder<D: Decoder>(mut dec: D, pieces: &[&[u8]], max_frames: usize) -> Frames {
    let mut out = Frames {
        frames: Vec::new(),
        error: None,
    };
    for p in pieces {
        dec.receive(p);
        if !pull_frames(&mut dec, &mut out, max_frames) {
            return out;
        }
    }
    dec.receive_eof();
    if pull_frames(&mut dec, &mut out, max_frames) {
        assert!(dec.is_finished(), "clean end without is_finished()");
    }
    out
}

/// What a length-prefixed stream holds, decoded independently of the library.
fn reference_prefixed(mut data: &[u8], max: usize) -> Frames {
    let mut out = Frames {
        frames: Vec::new(),
        error: None,
    };
    while !data.is_empty() {
        let Some((prefix, rest)) = data.split_first_chunk::<PREFIX_LEN>() else {
            out.error = Some(FrameError::ShortRead {
                expected: PREFIX_LEN,
                received: data.len(),
            });
            break;
        };
        let len = u32::from_be_bytes(*prefix);
        if u64::from(len) > max as u64 {
            out.error = Some(FrameError::TooLarge {
                len: len.into(),
                max,
            });
            break;
        }
        let len = len as usize;
        if rest.len() < len {
            out.error = Some(FrameError::ShortRead {
                expected: len,
                received: rest.len(),
            });
            break;
        }
        out.frames.push(rest[..len].to_vec());
        data = &rest[len..];
    }
    out
}

/// The length-prefixed decoder (and, on the same bytes, the fixed-length one): split and
/// unsplit input give exactly the frames and error an independent reference decoder finds,
/// and the frames re-encode to the input.
pub fn frame_prefixed(input: &[u8]) {
    let c = control(input);
    let limits = frame::Limits {
        max_frame_len: if c.tight { 64 } else { 8 << 20 },
    };
    let expected = reference_prefixed(c.data, limits.max_frame_len);
    let max_frames = c.data.len() + 1;
    let split = pieces(c.data, c.sizes);
    for p in [vec![c.data], split.clone()] {
        let got = run_decoder(PrefixedDecoder::new(limits), &p, max_frames);
        assert_eq!(
            got, expected,
            "prefixed decoder disagrees with the reference"
        );
    }
    let mut encoded = Vec::new();
    for f in &expected.frames {
        if let Err(e) = frame::encode_prefixed(f, &limits, &mut encoded) {
            panic!("a frame the decoder accepted cannot be encoded: {e:?}");
        }
    }
    assert!(c.data.starts_with(&encoded), "re-encoded frames differ");

    let size = usize::from(c.flags) + 1;
    let mut fixed = Frames {
        frames: c.data.chunks(size).map(<[u8]>::to_vec).collect(),
        error: None,
    };
    if fixed.frames.last().is_some_and(|f| f.len() < size) {
        let received = fixed.frames.pop().map_or(0, |f| f.len());
        fixed.error = Some(FrameError::ShortRead {
            expected: size,
            received,
        });
    }
    let got = run_decoder(FixedDecoder::new(size), &split, max_frames);
    assert_eq!(got, fixed, "fixed decoder disagrees with the reference");
}

/// One fixed wall-clock time for every call: what a connection writes (its `Date`) must not
/// depend on when the input runs.
fn fixed_now() -> netloom_core::Now {
    netloom_core::Now::new(
        std::time::Instant::now(),
        std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_700_000_000),
    )
}
