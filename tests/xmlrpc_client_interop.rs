//! Our XML-RPC client on every runtime against CPython's SimpleXMLRPCServer and against our
//! own server: the same calls give the same results, and each failure layer stays distinct.

mod common;

use std::net::SocketAddr;
use std::process::Child;

use netloom::http::client::{ClientConfig, ClientError};
use netloom::xmlrpc::proxy::{CallError, ProxyOptions};
use netloom::xmlrpc::{Base64, DateTime, Multicall, Value};
use netloom::{seed, Runtime, ServerConfig, XmlRpcProxy};

use common::{each_runtime, free_port, loopback};

/// CPython's own server: the calculator, an echo, a method that raises, with multicall,
/// introspection and allow_none.
const CPYTHON_SERVER: &str = r#"
import sys
from xmlrpc.server import SimpleXMLRPCServer
s = SimpleXMLRPCServer(('127.0.0.1', int(sys.argv[1])), logRequests=False, allow_none=True)
s.register_introspection_functions()
s.register_multicall_functions()
def add(a, b):
    "Return a + b."
    return a + b
s.register_function(add, 'add')
s.register_function(lambda a, b: a - b, 'subtract')
s.register_function(lambda a, b: a * b, 'multiply')
s.register_function(lambda a, b: a // b, 'divide')
s.register_function(lambda x: x, 'echo')
print(s.server_address[1], flush=True)
s.serve_forever()
"#;

struct Python(Child);

impl Drop for Python {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn cpython_server() -> (Python, SocketAddr) {
    let (child, port) = common::python_server(CPYTHON_SERVER);
    (Python(child), SocketAddr::from(([127, 0, 0, 1], port)))
}

fn proxy(rt: Runtime, addr: SocketAddr) -> XmlRpcProxy {
    rt.xmlrpc_proxy(
        &format!("http://{addr}/"),
        ClientConfig::default(),
        ProxyOptions::default(),
    )
    .unwrap()
}

fn every_type() -> Vec<Value> {
    vec![
        Value::Int(42),
        Value::Int(i32::MIN),
        Value::Bool(true),
        Value::String("ünïcødé <&> ]]>".into()),
        Value::String(String::new()),
        Value::Double(-2.5e-7),
        Value::DateTime(DateTime::parse("20261126T05:53:01").unwrap()),
        Value::Base64(Base64(vec![0, 1, 2, 255]).0),
        Value::Array(vec![Value::Int(1), Value::String("two".into()), Value::Nil]),
        Value::Struct(vec![
            ("b".into(), Value::Array(vec![])),
            ("a".into(), Value::Struct(vec![])),
        ]),
        Value::Nil,
    ]
}

/// The scenario run against both servers.
fn same_calls_same_results(p: &XmlRpcProxy) {
    assert_eq!(p.call::<_, i32>("add", (7, 3)).unwrap(), 10);
    assert_eq!(p.call::<_, i32>("divide", (-7, 2)).unwrap(), -4);
    for v in every_type() {
        assert_eq!(p.call_values("echo", std::slice::from_ref(&v)).unwrap(), v);
    }
    // A big answer comes back gzipped (both servers gzip over 1400 bytes for us).
    let big = "z".repeat(200_000);
    assert_eq!(p.call::<_, String>("echo", (big.clone(),)).unwrap(), big);

    match p.call_values("divide", &[Value::Int(1), Value::Int(0)]) {
        Err(CallError::Fault(f)) => {
            assert_eq!(f.code, 1);
            assert!(f.string.contains("ZeroDivisionError"), "{}", f.string);
        }
        other => panic!("expected a fault, got {other:?}"),
    }
    match p.call_values("no.such.method", &[]) {
        Err(CallError::Fault(f)) => {
            assert_eq!(
                f.string,
                "<class 'Exception'>:method \"no.such.method\" is not supported"
            )
        }
        other => panic!("expected a fault, got {other:?}"),
    }
    let methods = p.list_methods().unwrap();
    for m in ["add", "divide", "system.listMethods", "system.multicall"] {
        assert!(
            methods.iter().any(|x| x == m),
            "{m} missing from {methods:?}"
        );
    }
    assert_eq!(
        p.call::<_, String>("system.methodHelp", ("add",)).unwrap(),
        "Return a + b."
    );

    let mut batch = Multicall::new();
    for method in ["add", "subtract", "multiply", "divide"] {
        batch.call(method, vec![Value::Int(7), Value::Int(3)]);
    }
    batch.call("divide", vec![Value::Int(7), Value::Int(0)]);
    let results = p.multicall(&batch).unwrap();
    let values: Vec<Value> = results[..4].iter().map(|r| r.clone().unwrap()).collect();
    assert_eq!(
        values,
        vec![Value::Int(10), Value::Int(4), Value::Int(21), Value::Int(2)]
    );
    let fault = results[4].clone().unwrap_err();
    assert!(
        fault.string.contains("ZeroDivisionError"),
        "{}",
        fault.string
    );
}

#[test]
fn our_client_against_cpython_server() {
    let (_python, addr) = cpython_server();
    each_runtime(|rt| same_calls_same_results(&proxy(rt, addr)));
}

#[test]
fn our_client_against_our_server() {
    each_runtime(|rt| {
        let mut d = seed::calculator();
        d.register_raw("echo", |params: &[Value]| {
            Ok(params.first().cloned().unwrap_or(Value::Nil))
        });
        let server = rt
            .spawn_xmlrpc(loopback(), d, ServerConfig::default())
            .unwrap();
        same_calls_same_results(&proxy(rt, server.local_addr()));
    });
}

#[test]
fn transport_protocol_and_fault_errors_stay_apart() {
    let (_python, addr) = cpython_server();
    each_runtime(|rt| {
        // HTTP error status: CPython answers 404 off its RPC paths.
        let p = rt
            .xmlrpc_proxy(
                &format!("http://{addr}/elsewhere"),
                ClientConfig::default(),
                ProxyOptions::default(),
            )
            .unwrap();
        match p.call_values("add", &[Value::Int(1), Value::Int(2)]) {
            Err(CallError::Protocol { status: 404, .. }) => {}
            other => panic!("expected a protocol error, got {other:?}"),
        }
        // Nobody listening: a transport error.
        let dead: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
        match proxy(rt, dead).call_values("add", &[]) {
            Err(CallError::Transport(e)) => {
                assert_eq!(e.io_kind(), std::io::ErrorKind::ConnectionRefused, "{e}")
            }
            other => panic!("expected a transport error, got {other:?}"),
        }
        // An argument CPython would refuse to send.
        match proxy(rt, addr).call::<_, i64>("add", (1i64 << 40, 1)) {
            Err(CallError::Convert(_)) => {}
            other => panic!("expected a conversion error, got {other:?}"),
        }
        // A scheme the client does not speak is refused up front.
        match rt.xmlrpc_proxy(
            "ftp://127.0.0.1/",
            ClientConfig::default(),
            ProxyOptions::default(),
        ) {
            Err(ClientError::UnsupportedScheme(_)) => {}
            other => panic!("expected UnsupportedScheme, got {other:?}"),
        }
    });
}

#[test]
fn many_calls_reuse_one_connection_to_our_server() {
    use std::collections::HashSet;
    use std::sync::{Arc, Mutex};
    each_runtime(|rt| {
        let peers = Arc::new(Mutex::new(HashSet::new()));
        let seen = Arc::clone(&peers);
        let dispatcher = seed::calculator();
        let handler = netloom::xmlrpc::http::XmlRpcHandler::new(Arc::new(dispatcher));
        let counting = move |req: netloom::http::server::IncomingRequest| {
            seen.lock().unwrap().insert(req.conn.peer);
            netloom::http::server::Handler::handle(&handler, req)
        };
        let server = rt
            .spawn_http(
                loopback(),
                counting,
                ServerConfig::default(),
                Default::default(),
            )
            .unwrap();
        let p = proxy(rt, server.local_addr());
        for i in 0..50 {
            assert_eq!(p.call::<_, i32>("add", (i, 1)).unwrap(), i + 1);
        }
        assert_eq!(peers.lock().unwrap().len(), 1, "one keep-alive connection");
    });
}
