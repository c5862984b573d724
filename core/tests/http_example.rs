//! The module-doc example (`core::http`), run for real over a loopback `TcpStream`: the
//! same driving loop, serving pipelined requests, a `100-continue` upload and a close.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};

use netloom_core::http::{Connection, Event, Headers, Limits, Response, Role, State};

/// The loop from the module docs, verbatim apart from error plumbing.
fn serve(mut stream: TcpStream) -> std::io::Result<()> {
    let mut conn = Connection::new(Role::Server, Limits::default());
    let mut out = Vec::new();
    let mut buf = [0u8; 8192];
    let mut target = String::new();
    loop {
        match conn.next_event() {
            Ok(Some(Event::Request(req))) => target = req.target().to_owned(),
            Ok(Some(Event::Data(_chunk))) => {}
            Ok(Some(Event::EndOfMessage(_trailers))) => {
                let body = format!("you asked for {target}\n");
                let head = Response::new(200)
                    .header("Content-Type", "text/plain")
                    .header("Content-Length", body.len().to_string());
                conn.send(Event::Response(head), &mut out)
                    .expect("valid response");
                conn.send_data(body.as_bytes(), &mut out)
                    .expect("in SendBody");
                conn.send(Event::EndOfMessage(Headers::new()), &mut out)
                    .expect("complete");
                stream.write_all(&out)?;
                out.clear();
                if conn.our_state() == State::MustClose {
                    break;
                }
            }
            Ok(Some(Event::ConnectionClosed)) => break,
            Ok(Some(_)) => {}
            Ok(None) => {
                if conn.expects_continue() {
                    conn.send(Event::InformationalResponse(Response::new(100)), &mut out)
                        .expect("1xx allowed before the response");
                    stream.write_all(&out)?;
                    out.clear();
                }
                match stream.read(&mut buf)? {
                    0 => conn.receive_eof(),
                    n => conn.receive(&buf[..n]),
                }
            }
            Err(e) => {
                if conn.send_error_response(&e, &mut out) {
                    stream.write_all(&out)?;
                }
                break;
            }
        }
    }
    Ok(())
}

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
