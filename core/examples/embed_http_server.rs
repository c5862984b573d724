//! netloom-core's HTTP state machine driven by hand over a blocking socket from the
//! standard library: the whole contract of a runtime in one loop, with no runtime of ours.
//! `cargo run -p netloom-core --example embed_http_server`, then `curl http://127.0.0.1:8080/x`.
use netloom_core::http::{Connection, Event, Headers, Limits, Response, Role, State};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};

fn main() -> std::io::Result<()> {
    let listener = TcpListener::bind("127.0.0.1:8080")?;
    let (stream, _) = listener.accept()?;
    serve(stream)
}

/// Serves one connection until it must close.
pub fn serve(mut stream: TcpStream) -> std::io::Result<()> {
    let mut conn = Connection::new(Role::Server, Limits::default());
    let mut out = Vec::new();
    let mut buf = [0u8; 8192];
    let mut target = String::new();
    loop {
        match conn.next_event() {
            Ok(Some(Event::Request(req))) => target = req.target().to_owned(),
            Ok(Some(Event::Data(_chunk))) => { /* request body */ }
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
                    break; // Connection: close, HTTP/1.0, ...
                }
                // Otherwise the next cycle has started by itself; keep going.
            }
            Ok(Some(Event::ConnectionClosed)) => break,
            Ok(Some(_)) => {}
            Ok(None) => {
                // Need more bytes. (A client waiting for `100 Continue` gets it here.)
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
                // A protocol error: answer 400/413/414/431/501/505 if still possible, close.
                if conn.send_error_response(&e, &mut out) {
                    stream.write_all(&out)?;
                }
                break;
            }
        }
    }
    Ok(())
}
