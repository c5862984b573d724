//! Our XML-RPC server on every runtime, driven by CPython's `xmlrpc.client` (ServerProxy,
//! MultiCall) and by raw HTTP for the inputs CPython would never send.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::time::Duration;

use netloom::xmlrpc::{Dispatcher, Fault, Value};
use netloom::{seed, RunningServer, Runtime, ServerConfig};

use common::{each_runtime, loopback};

fn dispatcher() -> Dispatcher {
    let mut d = seed::calculator();
    d.register_raw("echo", |params: &[Value]| {
        Ok(params.first().cloned().unwrap_or(Value::Nil))
    })
    .with_help("Return the first argument.");
    d.register("fail", || -> Result<i32, Fault> {
        Err(Fault::new(42, "failure on purpose"))
    });
    d.register("boom", || -> i32 { panic!("handler panic on purpose") });
    d.register("len", |s: String| s.len() as i32);
    d.register_raw("total_len", |params: &[Value]| {
        let n: usize = params.iter().filter_map(Value::as_str).map(str::len).sum();
        Ok(Value::Int(n as i32))
    });
    d
}

fn start(rt: Runtime) -> RunningServer {
    rt.spawn_xmlrpc(loopback(), dispatcher(), ServerConfig::default())
        .unwrap()
}

fn python(script: &str, port: u16) -> String {
    let out = Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(port.to_string())
        .output()
        .expect("python3 is required for the interop tests");
    assert!(
        out.status.success(),
        "python failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

const PRELUDE: &str = r#"
import sys, datetime, xmlrpc.client as x
url = 'http://127.0.0.1:%s/' % sys.argv[1]
p = x.ServerProxy(url, allow_none=True, use_builtin_types=True)
def fault_of(f, *a):
    try:
        f(*a)
    except x.Fault as e:
        return (e.faultCode, e.faultString)
    raise AssertionError('no fault')
"#;

#[test]
fn cpython_server_proxy_round_trips_every_type() {
    let script = format!(
        "{PRELUDE}{}",
        r#"
values = [0, 1, -1, 2**31 - 1, -2**31, True, False, 'hello', '', 'ünïcødé ☃ <&> ]]>', 'a\r\nb',
          3.5, -0.0, 1e300, None, b'\x00\xffbytes', datetime.datetime(2026, 11, 26, 5, 53, 1),
          [1, 'two', [3.0, None]], {'a': 1, 'b': {'c': [True]}, '': 'empty key'}, [], {}]
for v in values:
    got = p.echo(v)
    if isinstance(v, str):
        v = v.replace('\r\n', '\n') if got != v else v
    assert got == v, (v, got)
print('ok', len(values))
"#
    );
    each_runtime(|rt| {
        let server = start(rt);
        assert_eq!(python(&script, server.local_addr().port()).trim(), "ok 21");
    });
}

#[test]
fn cpython_sees_faults_introspection_and_multicall_like_from_cpython() {
    let script = format!(
        "{PRELUDE}{}",
        r#"
assert p.add(7, 3) == 10
assert p.divide(-7, 2) == -4
assert fault_of(p.divide, 1, 0) == (1, "<class 'ZeroDivisionError'>:integer division or modulo by zero")
assert fault_of(p.nope) == (1, '<class \'Exception\'>:method "nope" is not supported')
assert fault_of(p.fail) == (42, 'failure on purpose')
code, text = fault_of(p.boom)
assert code == 1 and 'panic' in text, text
assert p.add(1, 2) == 3  # still serving after a panic
code, text = fault_of(p.add, 1)
assert code == 1 and 'TypeError' in text, text
assert fault_of(p.multiply, 2**30, 4) == (1, "<class 'OverflowError'>:int exceeds XML-RPC limits")
methods = p.system.listMethods()
assert methods == sorted(methods) and 'add' in methods and 'system.multicall' in methods, methods
assert p.system.methodHelp('add') == 'Return a + b.'
assert p.system.methodSignature('add') == [['int', 'int', 'int'], ['double', 'double', 'double']]
assert p.system.methodSignature('echo') == 'signatures not supported'
m = x.MultiCall(p)
m.add(7, 3); m.subtract(7, 3); m.multiply(7, 3); m.divide(7, 3); m.divide(7, 0); m.nope()
r = m()
assert list(r.results[:4]) == [[10], [4], [21], [2]], r.results
assert r[0] == 10 and r[3] == 2
assert fault_of(lambda: r[4])[0] == 1
assert fault_of(lambda: r[5]) == (1, '<class \'Exception\'>:method "nope" is not supported')
# a nested system.multicall is refused with a fault in its slot
raw = p.system.multicall([{'methodName': 'system.multicall', 'params': [[]]}, {'methodName': 'add', 'params': [1, 1]}])
assert isinstance(raw[0], dict) and raw[0]['faultCode'] and raw[1] == [2], raw
print('ok')
"#
    );
    each_runtime(|rt| {
        let server = start(rt);
        assert_eq!(python(&script, server.local_addr().port()).trim(), "ok");
    });
}

#[test]
fn cpython_makes_many_calls_on_one_connection_and_gets_gzip() {
    let script = format!(
        "{PRELUDE}{}",
        r#"
socks = set()
for i in range(50):
    assert p.add(i, i) == 2 * i
    socks.add(id(p._ServerProxy__transport._connection[1].sock))
assert len(socks) == 1, socks
# Big response: gzipped on the wire because CPython's client accepts gzip; it decodes it.
big = 'x' * 100000
assert p.echo(big) == big
# Gzipped request, as CPython sends when encode_threshold is set.
t = x.Transport(); t.encode_threshold = 0
q = x.ServerProxy(url, transport=t)
assert q.echo('compressed request ' * 200) == 'compressed request ' * 200
print('ok')
"#
    );
    each_runtime(|rt| {
        let server = start(rt);
        assert_eq!(python(&script, server.local_addr().port()).trim(), "ok");
    });
}

/// Sends one raw HTTP request and returns the whole answer (the server closes after it).
fn raw_post(addr: std::net::SocketAddr, path: &str, extra: &str, body: &[u8]) -> String {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: text/xml\r\nContent-Length: {}\r\nConnection: close\r\n{extra}\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).unwrap();
    let _ = s.write_all(body);
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}

#[test]
fn bad_bodies_get_a_fault_or_status_and_the_server_goes_on() {
    let deep = format!(
        "<?xml version='1.0'?><methodCall><methodName>echo</methodName><params><param>{}{}</param></params></methodCall>",
        "<value><array><data>".repeat(10_000),
        "</data></array></value>".repeat(10_000)
    );
    let bomb = {
        // 40 MiB of zeros, gzipped: over the 20 MiB cap once inflated.
        netloom::http::content_coding::gzip(&vec![0u8; 40 * 1024 * 1024])
    };
    each_runtime(|rt| {
        let server = start(rt);
        let addr = server.local_addr();
        for body in [
            &b"this is not xml"[..],
            b"<?xml version='1.0'?><methodResponse><params/></methodResponse>",
            b"<?xml version='1.0'?><methodCall><methodName>add</methodName><params><param><value><i4>x</i4></value></param></params></methodCall>",
            b"<!DOCTYPE lolz [<!ENTITY lol \"lol\">]><methodCall><methodName>&lol;</methodName></methodCall>",
            deep.as_bytes(),
        ] {
            let got = raw_post(addr, "/RPC2", "", body);
            assert!(got.starts_with("HTTP/1.1 200 OK"), "{got}");
            assert!(got.contains("<name>faultCode</name>"), "{got}");
        }
        let got = raw_post(addr, "/", "Content-Encoding: gzip\r\n", &bomb);
        assert!(
            got.starts_with("HTTP/1.1 400 "),
            "{}",
            got.lines().next().unwrap_or("")
        );
        let got = raw_post(addr, "/", "Content-Encoding: br\r\n", b"abc");
        assert!(
            got.starts_with("HTTP/1.1 501 "),
            "{}",
            got.lines().next().unwrap_or("")
        );
        let got = raw_post(addr, "/elsewhere", "", b"<x/>");
        assert!(got.starts_with("HTTP/1.1 404 "), "{got}");
        // Past the XML-RPC document limit (32 MiB), which the server's HTTP limits let
        // through (see `the_documented_32_mib_limit_is_the_one_that_answers`).
        let too_large = vec![b'a'; 33 * 1024 * 1024];
        let got = raw_post(addr, "/", "", &too_large);
        assert!(
            got.starts_with("HTTP/1.1 413 "),
            "{}",
            got.lines().next().unwrap_or("")
        );
        // A response over 1400 bytes is gzipped for a client that accepts it, not otherwise.
        let mut call = Vec::new();
        netloom::xmlrpc::encode_call("echo", &[Value::String("y".repeat(5000))], &mut call);
        let got = raw_post(addr, "/", "Accept-Encoding: gzip\r\n", &call);
        assert!(
            got.contains("Content-Encoding: gzip\r\n"),
            "{}",
            &got[..200.min(got.len())]
        );
        let got = raw_post(addr, "/", "", &call);
        assert!(
            !got.contains("Content-Encoding"),
            "{}",
            &got[..200.min(got.len())]
        );
        // GET is not XML-RPC: 501 like CPython.
        let mut s = TcpStream::connect(addr).unwrap();
        s.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .unwrap();
        let mut out = String::new();
        let _ = s.read_to_string(&mut out);
        assert!(out.starts_with("HTTP/1.1 501 "), "{out}");
        // And a well-formed call on a new connection is still served.
        let script = format!("{PRELUDE}print(p.add(7, 3))");
        assert_eq!(python(&script, addr.port()).trim(), "10");
    });
}

/// CPython's `MultiCall` example server: the calculator's reference.
const CPYTHON_CALCULATOR: &str = r#"
import sys
from xmlrpc.server import SimpleXMLRPCServer
def add(x, y): return x + y
def subtract(x, y): return x - y
def multiply(x, y): return x * y
def divide(x, y): return x // y
s = SimpleXMLRPCServer(('127.0.0.1', int(sys.argv[1])), logRequests=False, allow_none=True)
for f in (add, subtract, multiply, divide):
    s.register_function(f)
s.register_multicall_functions()
print(s.server_address[1], flush=True)
s.serve_forever()
"#;

/// Calls the calculator at the port in argv[1] with every kind of operand and prints what
/// came back (value or fault), one line per call.
const CALCULATOR_PROBE: &str = r#"
import sys, math, xmlrpc.client as x
p = x.ServerProxy('http://127.0.0.1:%s/' % sys.argv[1], allow_none=True)
ops = ['add', 'subtract', 'multiply', 'divide']
values = [7, -7, 3, 0, 2.5, -0.5, 0.0, 1e308, True, False, 'ab', '', [1, 'a'], [],
          {'k': 1}, None, x.Binary(b'hi'), x.DateTime('20240102T03:04:05')]
def show(r):
    if isinstance(r, float) and math.isnan(r):
        r = 'nan'
    return '%s %r' % (type(r).__name__, r)
# One multicall per operation (CPython's server answers a call per connection slowly).
for op in ops:
    m = x.MultiCall(p)
    pairs = [(i, j) for i in range(len(values)) for j in range(len(values))]
    for i, j in pairs:
        getattr(m, op)(values[i], values[j])
    results = m()
    for k, (i, j) in enumerate(pairs):
        try:
            print(op, i, j, '=', show(results[k]))
        except x.Fault as e:
            print(op, i, j, 'fault', e.faultCode, e.faultString)
# And a few single calls.
big = 2**31 - 1  # not in the cross product: Python would build 'ab' * big
for op, a, b in [('add', 1, 2.5), ('multiply', 'ab', 3), ('divide', 1, 0.0), ('subtract', 'a', 1),
                 ('add', big, 1), ('subtract', -big - 1, 1), ('multiply', 2**30, 4), ('add', big, 0),
                 ('divide', -big - 1, -1), ('multiply', big, 0.5)]:
    try:
        print(op, a, b, '=', show(getattr(p, op)(a, b)))
    except x.Fault as e:
        print(op, a, b, 'fault', e.faultCode, e.faultString)
"#;

#[test]
fn the_calculator_computes_what_cpython_computes() {
    let (mut cpython, port) = common::python_server(CPYTHON_CALCULATOR);
    let expected = python(CALCULATOR_PROBE, port);
    let _ = cpython.kill();
    let _ = cpython.wait();
    assert!(expected.lines().count() > 1200, "{expected}");
    each_runtime(|rt| {
        let server = rt
            .spawn_xmlrpc(loopback(), seed::calculator(), ServerConfig::default())
            .unwrap();
        let ours = python(CALCULATOR_PROBE, server.local_addr().port());
        for (want, got) in expected.lines().zip(ours.lines()) {
            assert_eq!(got, want, "{rt}");
        }
        assert_eq!(ours.lines().count(), expected.lines().count(), "{rt}");
    });
}

/// A 20 MiB call is answered (the HTTP layer's generic 16 MiB request limit used to answer
/// 413 first), one past 32 MiB gets 413, and a gzipped or deflated call inflates up to the
/// 20 MiB cap, on every runtime.
#[test]
fn the_documented_32_mib_limit_is_the_one_that_answers() {
    let mut call = Vec::new();
    // Four strings of 5 MiB (one string may have 16 MiB at most).
    let five = Value::String("z".repeat(5 << 20));
    netloom::xmlrpc::encode_call("total_len", &vec![five; 4], &mut call);
    let deflated = netloom::http::content_coding::deflate(&call[..call.len() / 2]);
    let mut small = Vec::new();
    netloom::xmlrpc::encode_call("len", &[Value::String("d".repeat(1 << 20))], &mut small);
    let small_deflated = netloom::http::content_coding::deflate(&small);
    each_runtime(|rt| {
        let server = start(rt);
        let addr = server.local_addr();
        let got = raw_post(addr, "/RPC2", "", &call);
        assert!(
            got.starts_with("HTTP/1.1 200 OK"),
            "{}",
            &got[..got.len().min(300)]
        );
        assert!(
            got.contains(&format!("<int>{}</int>", 20 << 20)),
            "{}",
            &got[..got.len().min(300)]
        );
        let got = raw_post(
            addr,
            "/RPC2",
            "Content-Encoding: deflate\r\n",
            &small_deflated,
        );
        assert!(got.contains(&format!("<int>{}</int>", 1 << 20)), "{got}");
        // Truncated XML, but well under the cap: a fault, not a status.
        let got = raw_post(addr, "/RPC2", "Content-Encoding: deflate\r\n", &deflated);
        assert!(
            got.starts_with("HTTP/1.1 200 OK") && got.contains("faultCode"),
            "{got}"
        );
        let mut over = call.clone();
        over.resize((32 << 20) + 1, b' ');
        let got = raw_post(addr, "/RPC2", "", &over);
        assert!(
            got.starts_with("HTTP/1.1 413 "),
            "{}",
            got.lines().next().unwrap_or("")
        );
    });
}

/// What other implementations send, as raw bodies on every runtime: UTF-16 and Latin-1
/// documents, `<boolean>true</boolean>`, a JavaScript date; and a raw control character,
/// which XML refuses, gets a fault.
#[test]
fn other_implementations_bodies_over_sockets() {
    let utf16: Vec<u8> = {
        let doc = "<?xml version=\"1.0\" encoding=\"UTF-16\"?><methodCall><methodName>echo</methodName>\
                   <params><param><value><string>\u{3c0} \u{1d11e}</string></value></param></params></methodCall>";
        [0xFF, 0xFE]
            .into_iter()
            .chain(doc.encode_utf16().flat_map(u16::to_le_bytes))
            .collect()
    };
    let latin1 =
        b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><methodCall><methodName>echo</methodName>\
        <params><param><value><string>caf\xe9</string></value></param></params></methodCall>"
            .to_vec();
    let boolean = b"<?xml version=\"1.0\"?><methodCall><methodName>echo</methodName>\
        <params><param><value><boolean>true</boolean></value></param></params></methodCall>"
        .to_vec();
    let js_date = b"<?xml version=\"1.0\"?><methodCall><methodName>echo</methodName>\
        <params><param><value><dateTime.iso8601>2025-01-02T03:04:05.000Z</dateTime.iso8601></value></param></params></methodCall>"
        .to_vec();
    let control = b"<?xml version=\"1.0\"?><methodCall><methodName>echo</methodName>\
        <params><param><value><string>a\x1bb</string></value></param></params></methodCall>"
        .to_vec();
    each_runtime(|rt| {
        let server = start(rt);
        let addr = server.local_addr();
        let got = raw_post(addr, "/RPC2", "", &utf16);
        assert!(got.contains("<string>\u{3c0} \u{1d11e}</string>"), "{got}");
        let got = raw_post(addr, "/RPC2", "", &latin1);
        assert!(got.contains("<string>caf\u{e9}</string>"), "{got}");
        let got = raw_post(addr, "/RPC2", "", &boolean);
        assert!(got.contains("<boolean>1</boolean>"), "{got}");
        let got = raw_post(addr, "/RPC2", "", &js_date);
        assert!(
            got.contains("<dateTime.iso8601>2025-01-02T03:04:05.000Z</dateTime.iso8601>"),
            "{got}"
        );
        let got = raw_post(addr, "/RPC2", "", &control);
        assert!(
            got.starts_with("HTTP/1.1 200 OK") && got.contains("faultCode"),
            "{got}"
        );
        assert!(got.contains("U+001B"), "{got}");
    });
}
