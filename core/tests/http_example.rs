//! The module-doc example (`core::http`, `core/examples/embed_http_server.rs`), run for real
//! over a loopback `TcpStream`: serving pipelined requests, a `100-continue` upload and a close.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};

// The example itself (also the module doc example), so this test exercises what users read.
#[allow(dead_code)]
#[path = "../examples/embed_http_server.rs"]
mod example;

use example::serve;

fn exchange(request: &[u8]) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let mut client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    client.write_all(request).unwrap();
    let (stream, _) = listener.accept().unwrap();
    serve(stream).unwrap();
    let mut reply = String::new();
    client.read_to_string(&mut reply).unwrap();
    reply
}

#[test]
fn doc_example_serves_pipelined_requests_over_tcp() {
    let reply = exchange(
        b"GET /a HTTP/1.1\r\nHost: x\r\n\r\n\
          POST /b HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\nabc\
          GET /c HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    let a = reply.find("you asked for /a").unwrap();
    let b = reply.find("you asked for /b").unwrap();
    let c = reply.find("you asked for /c").unwrap();
    assert!(a < b && b < c, "{reply}");
    assert!(reply.contains("Connection: close"));
    assert_eq!(reply.matches("HTTP/1.1 200 OK").count(), 3);
}

#[test]
fn doc_example_answers_garbage_with_an_error_status() {
    let reply = exchange(b"GET / HTTP/2.0\r\n\r\n");
    assert!(reply.starts_with("HTTP/1.1 505 "), "{reply}");
}
