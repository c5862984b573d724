//! The client policy every runtime's client shares, decided once in the core's `Fetch`,
//! proven over real sockets on std, mio and smol: credentials that never leave their origin,
//! Basic auth from the URL against CPython, the total deadline against a dripping server,
//! the 1xx cap, XML-RPC redirects, and Unix domain sockets both ways (against curl and a
//! CPython AF_UNIX server).

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use netloom::http::client::{ClientConfig, ClientError, ClientRequest, Waiting};
use netloom::http::server::{IncomingRequest, OutgoingResponse};
use netloom::http::Limits;
use netloom::xmlrpc::proxy::{CallError, ProxyOptions};
use netloom::{Listener, ServerConfig};

use common::{each_runtime, loopback, temp_dir};

fn quick() -> ClientConfig {
    ClientConfig {
        connect_timeout: Duration::from_secs(5),
        read_timeout: Duration::from_secs(10),
        ..ClientConfig::default()
    }
}

/// What a server saw of each request: target and the credential fields.
type Seen = Arc<Mutex<Vec<(String, Option<String>, Option<String>)>>>;

fn recorder(
    seen: Seen,
    redirect_to: Option<String>,
) -> impl Fn(IncomingRequest) -> OutgoingResponse {
    move |req: IncomingRequest| {
        let field = |n: &str| req.head.headers().get_str(n).map(str::to_owned);
        seen.lock().unwrap().push((
            req.head.target().to_owned(),
            field("Authorization"),
            field("Cookie"),
        ));
        match (&redirect_to, req.head.target()) {
            (Some(to), "/start") => {
                OutgoingResponse::new(302).header("Location", format!("{to}/landed"))
            }
            (_, "/same") => OutgoingResponse::new(307).header("Location", "/start"),
            _ => OutgoingResponse::text(200, "landed"),
        }
    }
}

#[test]
fn credentials_are_kept_for_their_origin_and_dropped_at_another() {
    each_runtime(|rt| {
        let second_seen: Seen = Arc::default();
        let second = rt
            .spawn_http(
                loopback(),
                recorder(Arc::clone(&second_seen), None),
                ServerConfig::default(),
                Limits::default(),
            )
            .unwrap();
        let first_seen: Seen = Arc::default();
        let first = rt
            .spawn_http(
                loopback(),
                recorder(
                    Arc::clone(&first_seen),
                    Some(format!("http://{}", second.local_addr())),
                ),
                ServerConfig::default(),
                Limits::default(),
            )
            .unwrap();
        let config = ClientConfig {
            headers: vec![("Cookie".into(), "session=abc".into())],
            ..quick()
        };
        let client = rt.http_client(config);
        let url = format!("http://alice:s%40fe@{}/same", first.local_addr());
        let request = ClientRequest::new("GET", &url)
            .unwrap()
            .header("Proxy-Authorization", "Basic c2VjcmV0");
        let mut resp = client.send(request, None).unwrap();
        let mut body = String::new();
        resp.read_to_string(&mut body).unwrap();
        assert_eq!(body, "landed");
        // The first origin saw the credentials on both of its requests (a same-origin 307,
        // then the start), Basic from the URL's user information (percent-decoded).
        let first_seen = first_seen.lock().unwrap().clone();
        assert_eq!(first_seen.len(), 2, "{first_seen:?}");
        for (target, auth, cookie) in &first_seen {
            assert_eq!(auth.as_deref(), Some("Basic YWxpY2U6c0BmZQ=="), "{target}");
            assert_eq!(cookie.as_deref(), Some("session=abc"), "{target}");
        }
        // The other origin saw none of them.
        let second_seen = second_seen.lock().unwrap().clone();
        assert_eq!(
            second_seen,
            vec![("/landed".to_owned(), None, None)],
            "{rt}: credentials leaked across origins"
        );
    });
}

/// A CPython HTTP server that answers with the `Authorization` it got.
const PY_AUTH_SERVER: &str = r#"
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer
class H(BaseHTTPRequestHandler):
    def do_GET(self):
        body = (self.headers.get('Authorization') or 'none').encode()
        self.send_response(200)
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a): pass
s = HTTPServer(('127.0.0.1', int(sys.argv[1])), H)
print(s.server_address[1], flush=True)
s.serve_forever()
"#;

struct Kill(Child);

impl Drop for Kill {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn user_information_becomes_basic_auth_as_urllib_sends_it() {
    let (child, port) = common::python_server(PY_AUTH_SERVER);
    let _guard = Kill(child);
    // What urllib itself would send for the same URL, as the reference.
    let urllib = Command::new("python3")
        .arg("-c")
        .arg(
            "import base64, urllib.parse, sys\n\
             u = urllib.parse.urlsplit(sys.argv[1])\n\
             raw = urllib.parse.unquote(u.username) + ':' + urllib.parse.unquote(u.password)\n\
             print('Basic ' + base64.b64encode(raw.encode()).decode(), end='')",
        )
        .arg(format!("http://d%C3%A9j%C3%A0:p%3Aw%40d@127.0.0.1:{port}/"))
        .output()
        .unwrap();
    let expected = String::from_utf8(urllib.stdout).unwrap();
    assert!(expected.starts_with("Basic "), "{expected}");
    each_runtime(|rt| {
        let url = format!("http://d%C3%A9j%C3%A0:p%3Aw%40d@127.0.0.1:{port}/");
        let mut resp = rt.get(&url, quick()).unwrap();
        let mut body = String::new();
        resp.read_to_string(&mut body).unwrap();
        assert_eq!(body, expected);
    });
}

/// A raw server that sends `head` (at once, or a byte every `drip` with `drip_head`), then
/// `body` a byte every `drip`, for each connection.
fn dripping_server(
    head: &'static [u8],
    body: &'static [u8],
    drip: Duration,
    drip_head: bool,
) -> SocketAddr {
    let l = TcpListener::bind(loopback()).unwrap();
    let addr = l.local_addr().unwrap();
    thread::spawn(move || {
        for conn in l.incoming().take(16) {
            let Ok(mut s) = conn else { return };
            thread::spawn(move || {
                let mut buf = [0u8; 1024];
                let _ = s.read(&mut buf);
                if !drip_head && s.write_all(head).is_err() {
                    return;
                }
                let head = if drip_head { head } else { &[] };
                for b in head.iter().chain(body) {
                    if s.write_all(&[*b]).is_err() {
                        return;
                    }
                    thread::sleep(drip);
                }
            });
        }
    });
    addr
}

#[test]
fn the_total_deadline_holds_against_a_server_dripping_its_head_or_its_body() {
    // A byte every 50 ms: every read is in time, the whole is not.
    let slow_head = dripping_server(
        b"HTTP/1.1 200 OK\r\nX-Filler: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\nContent-Length: 2\r\n\r\n",
        b"ok",
        Duration::from_millis(50),
        true,
    );
    let slow_body = dripping_server(
        b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n",
        &[b'x'; 100],
        Duration::from_millis(50),
        false,
    );
    each_runtime(|rt| {
        let config = ClientConfig {
            total_timeout: Some(Duration::from_millis(800)),
            ..quick()
        };
        let started = Instant::now();
        let err = rt
            .get(&format!("http://{slow_head}/"), config.clone())
            .unwrap_err();
        assert!(
            matches!(err, ClientError::Timeout(Waiting::Total)),
            "{err:?}"
        );
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "{:?}",
            started.elapsed()
        );

        let started = Instant::now();
        let mut resp = rt.get(&format!("http://{slow_body}/"), config).unwrap();
        let mut body = Vec::new();
        let err = resp.read_to_end(&mut body).unwrap_err();
        let err = ClientError::from_io(err, Waiting::Read);
        assert!(
            matches!(err, ClientError::Timeout(Waiting::Total)),
            "{err:?}"
        );
        assert!(body.len() < 100);
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "{:?}",
            started.elapsed()
        );

        // Without a total limit, the head deadline alone cuts a dripping head.
        let config = ClientConfig {
            head_timeout: Duration::from_millis(600),
            ..quick()
        };
        let err = rt.get(&format!("http://{slow_head}/"), config).unwrap_err();
        assert!(
            matches!(err, ClientError::Timeout(Waiting::Head)),
            "{err:?}"
        );
    });
}

#[test]
fn a_flood_of_1xx_responses_is_refused() {
    let l = TcpListener::bind(loopback()).unwrap();
    let addr = l.local_addr().unwrap();
    thread::spawn(move || {
        for conn in l.incoming().take(3) {
            let Ok(mut s) = conn else { return };
            let mut buf = [0u8; 1024];
            let _ = s.read(&mut buf);
            for _ in 0..1000 {
                if s.write_all(b"HTTP/1.1 100 Continue\r\n\r\n").is_err() {
                    break;
                }
            }
        }
    });
    each_runtime(|rt| {
        let err = rt.get(&format!("http://{addr}/"), quick()).unwrap_err();
        assert!(
            matches!(err, ClientError::TooManyInformational { max: 16 }),
            "{err:?}"
        );
    });
}

/// A raw server answering every request with `status` and `Location: to`.
fn redirector(status: u16, to: String) -> SocketAddr {
    let l = TcpListener::bind(loopback()).unwrap();
    let addr = l.local_addr().unwrap();
    thread::spawn(move || {
        for conn in l.incoming().take(16) {
            let Ok(mut s) = conn else { return };
            let to = to.clone();
            thread::spawn(move || {
                let mut buf = vec![0u8; 64 * 1024];
                let mut got = Vec::new();
                // Read the head and the body it declares.
                loop {
                    let Ok(n) = s.read(&mut buf) else { return };
                    if n == 0 {
                        return;
                    }
                    got.extend_from_slice(&buf[..n]);
                    let text = String::from_utf8_lossy(&got);
                    if let Some(end) = text.find("\r\n\r\n") {
                        let len: usize = text
                            .lines()
                            .find_map(|l| l.strip_prefix("Content-Length: "))
                            .and_then(|v| v.trim().parse().ok())
                            .unwrap_or(0);
                        if got.len() >= end + 4 + len {
                            break;
                        }
                    }
                }
                let _ = s.write_all(
                    format!("HTTP/1.1 {status} Moved\r\nLocation: {to}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                        .as_bytes(),
                );
            });
        }
    });
    addr
}

const PY_CALC: &str = r#"
import sys
from xmlrpc.server import SimpleXMLRPCServer
s = SimpleXMLRPCServer(('127.0.0.1', int(sys.argv[1])), logRequests=False)
s.register_function(lambda a, b: a + b, 'add')
print(s.server_address[1], flush=True)
s.serve_forever()
"#;

#[test]
fn an_xmlrpc_call_follows_307_and_refuses_redirects_that_would_drop_it() {
    let (child, port) = common::python_server(PY_CALC);
    let _guard = Kill(child);
    let target = format!("http://127.0.0.1:{port}/RPC2");
    let moved_302 = redirector(302, target.clone());
    let moved_307 = redirector(307, target.clone());
    each_runtime(|rt| {
        let proxy = rt
            .xmlrpc_proxy(
                &format!("http://{moved_307}/RPC2"),
                quick(),
                ProxyOptions::default(),
            )
            .unwrap();
        let sum: i32 = proxy.call("add", (7, 3)).unwrap();
        assert_eq!(sum, 10);
        let proxy = rt
            .xmlrpc_proxy(
                &format!("http://{moved_302}/RPC2"),
                quick(),
                ProxyOptions::default(),
            )
            .unwrap();
        let err = proxy.call::<_, i32>("add", (7, 3)).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("302") && text.contains(&target),
            "{rt}: the error names the status and the Location: {text}"
        );
        assert!(
            matches!(
                err,
                CallError::Transport(ClientError::RedirectRefused { status: 302, .. })
            ),
            "{err:?}"
        );
    });
}

fn curl_unix(path: &std::path::Path, url: &str) -> String {
    let out = Command::new("curl")
        .args(["-s", "--max-time", "10", "--unix-socket"])
        .arg(path)
        .arg(url)
        .output()
        .expect("curl is required for the interop tests");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn servers_listen_on_unix_sockets_for_curl() {
    let dir = temp_dir("unix-servers");
    each_runtime(|rt| {
        let path = dir.join(format!("{rt}.sock"));
        let handler = |req: IncomingRequest| {
            OutgoingResponse::text(200, format!("{} from {}", req.head.target(), req.conn.peer))
        };
        let server = rt
            .spawn_http_on(
                Listener::bind_unix(&path).unwrap(),
                handler,
                ServerConfig::default(),
                Limits::default(),
            )
            .unwrap();
        assert_eq!(curl_unix(&path, "http://localhost/hi"), "/hi from unix");
        // A live socket is never replaced.
        let err = Listener::bind_unix(&path).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::AddrInUse);
        // The XML-RPC calculator too, called by our own client through the socket.
        let calc = rt
            .spawn_http_on(
                Listener::bind_unix(&dir.join(format!("{rt}-calc.sock"))).unwrap(),
                netloom::xmlrpc::http::XmlRpcHandler::new(Arc::new(netloom::seed::calculator())),
                ServerConfig::default(),
                Limits::default(),
            )
            .unwrap();
        let config = ClientConfig {
            unix_socket: Some(dir.join(format!("{rt}-calc.sock"))),
            ..quick()
        };
        let proxy = rt
            .xmlrpc_proxy("http://localhost/RPC2", config, ProxyOptions::default())
            .unwrap();
        assert_eq!(proxy.call::<_, i32>("add", (40, 2)).unwrap(), 42);
        drop(calc);
        server.shutdown();
        assert!(!path.exists(), "{rt}: the socket file outlived its server");
    });
}

/// CPython's http.server on an AF_UNIX socket at argv[1]; prints `ready`.
const PY_UNIX_SERVER: &str = r#"
import os, socketserver, sys
from http.server import BaseHTTPRequestHandler
class H(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    def do_GET(self):
        body = ('python says ' + self.path + ' host=' + self.headers['Host']).encode()
        self.send_response(200)
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def address_string(self): return 'unix'
    def log_message(self, *a): pass
class S(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True
s = S(sys.argv[1], H)
print('ready', flush=True)
s.serve_forever()
"#;

#[test]
fn clients_reach_a_python_server_on_a_unix_socket() {
    let dir = temp_dir("unix-clients");
    let path = dir.join("py.sock");
    let mut child = Command::new("python3")
        .arg("-c")
        .arg(PY_UNIX_SERVER)
        .arg(&path)
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3 is required");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert_eq!(line.trim(), "ready");
    let _guard = Kill(child);
    each_runtime(|rt| {
        let config = ClientConfig {
            unix_socket: Some(path.clone()),
            ..quick()
        };
        let client = rt.http_client(config);
        for i in 0..3 {
            let mut resp = client.get(&format!("http://svc.local/x{i}")).unwrap();
            let mut body = String::new();
            resp.read_to_string(&mut body).unwrap();
            assert_eq!(body, format!("python says /x{i} host=svc.local"));
        }
    });
}

#[test]
fn a_request_body_streams_from_a_reader_chunked() {
    each_runtime(|rt| {
        let server = rt
            .spawn_http(
                loopback(),
                |req: IncomingRequest| {
                    let te = req
                        .head
                        .headers()
                        .get_str("Transfer-Encoding")
                        .unwrap_or("-")
                        .to_owned();
                    OutgoingResponse::text(200, format!("{te} {}", req.body.len()))
                },
                ServerConfig::default(),
                Limits::default(),
            )
            .unwrap();
        let client = rt.http_client(quick());
        let data = vec![b'z'; 300_000];
        let request = ClientRequest::new("PUT", &format!("http://{}/up", server.local_addr()))
            .unwrap()
            .streamed_body(None);
        let mut resp = client
            .send(request, Some(Box::new(std::io::Cursor::new(data))))
            .unwrap();
        let mut body = String::new();
        resp.read_to_string(&mut body).unwrap();
        assert_eq!(body, "chunked 300000");
        let _ = TcpStream::connect(server.local_addr());
    });
}
