//! The HTTP client of every runtime against real peers on loopback: CPython's
//! `http.server`, our own server, and raw sockets that misbehave on purpose.

mod common;

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use netloom::http::client::{ClientConfig, ClientError, Waiting};
use netloom::http::server::{IncomingRequest, OutgoingResponse};
use netloom::http::Limits;
use netloom::{RunningServer, Runtime, ServerConfig};

use common::{each_runtime, free_port, loopback, temp_dir};

/// A body big enough to take many reads.
fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 % 251) as u8).collect()
}

/// A config with short timeouts, so a hung test fails fast.
fn quick() -> ClientConfig {
    ClientConfig {
        connect_timeout: Duration::from_secs(5),
        read_timeout: Duration::from_secs(10),
        ..ClientConfig::default()
    }
}

fn read_all(resp: &mut impl Read) -> io::Result<Vec<u8>> {
    let mut v = Vec::new();
    resp.read_to_end(&mut v)?;
    Ok(v)
}

/// Files in `dir`, names only, sorted.
fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

// ----- CPython's http.server -----

/// `python3 -m http.server` serving `dir`, killed on drop.
struct PyServer {
    child: Child,
    port: u16,
}

impl PyServer {
    fn start(dir: &Path) -> PyServer {
        use std::io::BufRead;
        // Port 0, then the port it prints: no race with other tests for a "free" port.
        let mut child = Command::new("python3")
            .args(["-u", "-m", "http.server", "0", "--bind", "127.0.0.1"])
            .arg("--directory")
            .arg(dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 on PATH");
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        // "Serving HTTP on 127.0.0.1 port 41234 (http://127.0.0.1:41234/) ..."
        let port = line
            .split_once(" port ")
            .and_then(|(_, rest)| rest.split(' ').next())
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("python3 http.server said {line:?}"));
        PyServer { child, port }
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }
}

impl Drop for PyServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn against_python_http_server() {
    let dir = temp_dir("client-py");
    let served = dir.join("served");
    std::fs::create_dir_all(&served).unwrap();
    let data = pattern(300_000);
    std::fs::write(served.join("data.bin"), &data).unwrap();
    std::fs::write(served.join("hello.txt"), b"hello\n").unwrap();
    let py = PyServer::start(&served);
    let out = dir.join("out");
    std::fs::create_dir_all(&out).unwrap();

    each_runtime(|rt| {
        let mut resp = rt.get(&py.url("/hello.txt"), quick()).unwrap();
        assert_eq!(resp.status(), 200);
        assert_eq!(resp.content_length(), Some(6));
        assert_eq!(read_all(&mut resp).unwrap(), b"hello\n");

        let mut resp = rt.get(&py.url("/data.bin"), quick()).unwrap();
        assert_eq!(read_all(&mut resp).unwrap(), data);

        // retrieve: same bytes, progress up to the total.
        let path = out.join(format!("data-{rt}.bin"));
        let mut last = (0, None);
        let mut calls = 0;
        let n = rt
            .retrieve(&py.url("/data.bin"), &path, quick(), |done, total| {
                last = (done, total);
                calls += 1;
            })
            .unwrap();
        assert_eq!(n, data.len() as u64);
        assert_eq!(last, (n, Some(n)));
        assert!(
            calls >= 2,
            "progress called at the start and as data arrives"
        );
        assert_eq!(std::fs::read(&path).unwrap(), data);

        // A 404 is a response for get, an error for retrieve, and leaves no file.
        let resp = rt.get(&py.url("/missing"), quick()).unwrap();
        assert_eq!(resp.status(), 404);
        let missing = out.join(format!("missing-{rt}"));
        let err = rt
            .retrieve(&py.url("/missing"), &missing, quick(), |_, _| {})
            .unwrap_err();
        assert!(
            matches!(err, ClientError::Status { code: 404, .. }),
            "{err:?}"
        );
        assert!(!missing.exists());
    });
    assert_eq!(
        listing(&out),
        ["data-mio.bin", "data-smol.bin", "data-std.bin"],
        "no temporary files left"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

// ----- our own server -----

/// Requests seen by [`routes`]: the peer port of each.
type Peers = Arc<Mutex<Vec<u16>>>;

fn routes(peers: Peers) -> impl Fn(IncomingRequest) -> OutgoingResponse + Send + Sync + 'static {
    move |req: IncomingRequest| {
        peers
            .lock()
            .unwrap()
            .push(req.conn.peer.port().unwrap_or(0));
        let target = req.head.target().to_owned();
        let redirect = |code: u16, to: &str| OutgoingResponse::new(code).header("Location", to);
        match target.as_str() {
            "/len" => OutgoingResponse::bytes(200, "application/octet-stream", pattern(100_000)),
            "/big" => OutgoingResponse::bytes(200, "application/octet-stream", pattern(4 << 20)),
            "/chunked" => OutgoingResponse::stream(
                200,
                "application/octet-stream",
                None,
                Box::new(io::Cursor::new(pattern(150_000))),
            ),
            "/echo" => OutgoingResponse::text(
                200,
                format!(
                    "{} {}",
                    req.head.method(),
                    String::from_utf8_lossy(&req.body)
                ),
            ),
            "/rel" => redirect(302, "len"),
            "/loop" => redirect(302, "/loop"),
            "/to-ftp" => redirect(301, "ftp://127.0.0.1/"),
            "/peer" => OutgoingResponse::text(200, req.conn.peer.port().unwrap_or(0).to_string()),
            t if t.starts_with("/r/") => {
                let mut parts = t[3..].splitn(2, '/');
                let code = parts.next().and_then(|c| c.parse().ok()).unwrap_or(500);
                let to = format!("/{}", parts.next().unwrap_or("len"));
                redirect(code, &to).header("Content-Length", "0")
            }
            _ => OutgoingResponse::text(404, "not found\n"),
        }
    }
}

fn own_server(rt: Runtime) -> (RunningServer, Peers) {
    let peers: Peers = Arc::default();
    let server = rt
        .spawn_http(
            loopback(),
            routes(Arc::clone(&peers)),
            ServerConfig::default(),
            Limits::default(),
        )
        .unwrap();
    (server, peers)
}

fn url(server: &RunningServer, path: &str) -> String {
    format!("http://{}{path}", server.local_addr())
}

#[test]
fn content_length_and_chunked_bodies() {
    each_runtime(|rt| {
        let (server, _) = own_server(rt);
        let mut resp = rt.get(&url(&server, "/len"), quick()).unwrap();
        assert_eq!(resp.content_length(), Some(100_000));
        assert_eq!(read_all(&mut resp).unwrap(), pattern(100_000));

        let mut resp = rt.get(&url(&server, "/chunked"), quick()).unwrap();
        assert_eq!(resp.headers().get_str("transfer-encoding"), Some("chunked"));
        assert_eq!(resp.content_length(), None);
        assert_eq!(read_all(&mut resp).unwrap(), pattern(150_000));
    });
}

#[test]
fn redirects() {
    each_runtime(|rt| {
        let (server, _) = own_server(rt);
        let client = rt.http_client(quick());
        for code in [301, 302, 303, 307, 308] {
            let mut resp = client
                .get(&url(&server, &format!("/r/{code}/len")))
                .unwrap();
            assert_eq!(resp.status(), 200, "{code}");
            assert_eq!(resp.url().path(), "/len", "{code}");
            assert_eq!(read_all(&mut resp).unwrap(), pattern(100_000), "{code}");
        }
        // Relative Location, resolved against the current URL.
        let resp = client.get(&url(&server, "/rel")).unwrap();
        assert_eq!(resp.url().as_str(), url(&server, "/len"));

        // Methods: 301/302/303 turn POST into GET, 307/308 keep method and body.
        for (code, expect) in [
            (301, "GET "),
            (302, "GET "),
            (303, "GET "),
            (307, "POST ping"),
            (308, "POST ping"),
        ] {
            let mut resp = client
                .request("POST", &url(&server, &format!("/r/{code}/echo")), b"ping")
                .unwrap();
            let body = String::from_utf8(read_all(&mut resp).unwrap()).unwrap();
            assert_eq!(body, expect, "{code}");
        }

        let err = client.get(&url(&server, "/loop")).unwrap_err();
        assert!(
            matches!(err, ClientError::TooManyRedirects { max: 10 }),
            "{err:?}"
        );
        let err = client.get(&url(&server, "/to-ftp")).unwrap_err();
        assert!(matches!(err, ClientError::UnsupportedScheme(_)), "{err:?}");
    });
}

#[test]
fn keep_alive_reuses_one_connection() {
    each_runtime(|rt| {
        let (server, peers) = own_server(rt);
        let client = rt.http_client(quick());
        for _ in 0..3 {
            let mut resp = client.get(&url(&server, "/len")).unwrap();
            read_all(&mut resp).unwrap();
            assert_eq!(client.idle_connections(), 1);
        }
        // Redirect hops reuse it too.
        let mut resp = client.get(&url(&server, "/r/302/peer")).unwrap();
        read_all(&mut resp).unwrap();
        let seen = peers.lock().unwrap().clone();
        assert_eq!(seen.len(), 5);
        assert!(
            seen.iter().all(|p| *p == seen[0]),
            "one connection for all requests: {seen:?}"
        );

        // A response dropped before its end is not pooled (a body larger than any client
        // reads ahead of its reader: the mio client's loop reads a little ahead).
        let resp = client.get(&url(&server, "/big")).unwrap();
        drop(resp);
        std::thread::sleep(std::time::Duration::from_millis(100));
        assert_eq!(client.idle_connections(), 0);
    });
}

/// A raw server: counts connections and runs `conn` on each in its own thread.
fn raw_server(conn: impl Fn(TcpStream) + Send + Sync + 'static) -> (SocketAddr, Arc<AtomicUsize>) {
    let listener = TcpListener::bind(loopback()).unwrap();
    let addr = listener.local_addr().unwrap();
    let count = Arc::new(AtomicUsize::new(0));
    let seen = Arc::clone(&count);
    let conn = Arc::new(conn);
    thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { return };
            seen.fetch_add(1, Ordering::SeqCst);
            let conn = Arc::clone(&conn);
            thread::spawn(move || conn(stream));
        }
    });
    (addr, count)
}

/// Reads one request head (up to the empty line).
fn read_head(s: &mut TcpStream) -> bool {
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match s.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            _ => return false,
        }
    }
    true
}

#[test]
fn stale_pooled_connection_is_retried_once() {
    each_runtime(|rt| {
        // Answers one request per connection with keep-alive framing, then closes.
        let (addr, accepted) = raw_server(|mut s| {
            if read_head(&mut s) {
                let _ = s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
            }
        });
        let client = rt.http_client(quick());
        for _ in 0..3 {
            let mut resp = client.get(&format!("http://{addr}/")).unwrap();
            assert_eq!(read_all(&mut resp).unwrap(), b"ok");
            thread::sleep(Duration::from_millis(50));
        }
        assert_eq!(accepted.load(Ordering::SeqCst), 3);
    });
}

#[test]
fn server_closing_mid_body_fails_clearly_and_leaves_no_file() {
    let dir = temp_dir("client-midbody");
    each_runtime(|rt| {
        let (addr, _) = raw_server(|mut s| {
            if read_head(&mut s) {
                let _ = s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n0123456789");
            }
        });
        let u = format!("http://{addr}/file");
        let mut resp = rt.get(&u, quick()).unwrap();
        assert_eq!(resp.status(), 200);
        let err = read_all(&mut resp).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
        assert!(
            err.to_string().contains("after 10 of 1000 body bytes"),
            "{err}"
        );
        // Later reads keep failing; the body never looks complete.
        let mut buf = [0u8; 16];
        assert!(resp.read(&mut buf).is_err());

        let path = dir.join(format!("cut-{rt}.bin"));
        let err = rt.retrieve(&u, &path, quick(), |_, _| {}).unwrap_err();
        assert!(
            matches!(
                err,
                ClientError::BodyIncomplete {
                    expected: Some(1000),
                    received: 10
                }
            ),
            "{err:?}"
        );
        assert!(!path.exists());
    });
    assert!(listing(&dir).is_empty(), "left behind: {:?}", listing(&dir));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn read_timeouts() {
    each_runtime(|rt| {
        let config = ClientConfig {
            read_timeout: Duration::from_millis(300),
            ..quick()
        };
        // Accepts, reads the request, never answers.
        let (silent, _) = raw_server(|mut s| {
            read_head(&mut s);
            thread::sleep(Duration::from_secs(5));
        });
        let start = Instant::now();
        let err = rt
            .get(&format!("http://{silent}/"), config.clone())
            .unwrap_err();
        assert!(
            matches!(err, ClientError::Timeout(Waiting::Read)),
            "{err:?}"
        );
        assert!(
            start.elapsed() < Duration::from_secs(3),
            "{:?}",
            start.elapsed()
        );

        // Sends the head and part of the body, then stalls.
        let (stall, _) = raw_server(|mut s| {
            if read_head(&mut s) {
                let _ = s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nabc");
            }
            thread::sleep(Duration::from_secs(5));
        });
        let mut resp = rt.get(&format!("http://{stall}/"), config.clone()).unwrap();
        let start = Instant::now();
        let err = read_all(&mut resp).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::TimedOut, "{err}");
        assert!(start.elapsed() < Duration::from_secs(3));
    });
}

#[test]
fn url_and_connect_errors() {
    each_runtime(|rt| {
        let err = rt.get("ftp://127.0.0.1/", quick()).unwrap_err();
        assert!(matches!(err, ClientError::UnsupportedScheme(ref s) if s == "ftp"));
        assert!(
            err.to_string().contains("only http:// and https://"),
            "{err}"
        );
        for bad in ["127.0.0.1/x", "http://", "http://exa mple/"] {
            let err = rt.get(bad, quick()).unwrap_err();
            assert!(matches!(err, ClientError::InvalidUrl(_)), "{bad}: {err:?}");
        }
        let port = free_port();
        let err = rt
            .get(&format!("http://127.0.0.1:{port}/"), quick())
            .unwrap_err();
        assert!(matches!(err, ClientError::Connect(_)), "{err:?}");
        assert_eq!(err.to_string(), "cannot connect: connection refused");

        let dir = temp_dir("client-refused");
        let path = dir.join("never");
        assert!(rt
            .retrieve(
                &format!("http://127.0.0.1:{port}/"),
                &path,
                quick(),
                |_, _| {}
            )
            .is_err());
        assert!(listing(&dir).is_empty());
        let _ = std::fs::remove_dir_all(&dir);
    });
}

/// `retrieve` onto an existing file replaces it only when the download succeeded.
#[test]
fn retrieve_replaces_only_on_success() {
    each_runtime(|rt| {
        let (server, _) = own_server(rt);
        let dir = temp_dir("client-replace");
        let path: PathBuf = dir.join("f");
        std::fs::write(&path, b"old").unwrap();
        let err = rt
            .retrieve(&url(&server, "/nope"), &path, quick(), |_, _| {})
            .unwrap_err();
        assert!(matches!(err, ClientError::Status { code: 404, .. }));
        assert_eq!(std::fs::read(&path).unwrap(), b"old");
        let n = rt
            .retrieve(&url(&server, "/chunked"), &path, quick(), |_, total| {
                assert_eq!(total, None)
            })
            .unwrap();
        assert_eq!(n, 150_000);
        assert_eq!(std::fs::read(&path).unwrap(), pattern(150_000));
        assert_eq!(listing(&dir), ["f"]);
        let _ = std::fs::remove_dir_all(&dir);
    });
}

/// A CPython server that answers `/gzip` and `/deflate` (zlib) and `/raw-deflate` bodies in
/// that content coding when the request's `Accept-Encoding` names it, plain otherwise, and a
/// small bomb at `/bomb`.
const CODING_SERVER: &str = r#"
import gzip, sys, zlib
from http.server import BaseHTTPRequestHandler, HTTPServer
BODY = bytes(i * 7 % 251 for i in range(300000))
class H(BaseHTTPRequestHandler):
    def do_GET(self):
        accept = self.headers.get('Accept-Encoding', '')
        coding, data = 'identity', BODY
        if self.path == '/gzip' and 'gzip' in accept:
            coding, data = 'gzip', gzip.compress(BODY)
        elif self.path == '/deflate' and 'deflate' in accept:
            coding, data = 'deflate', zlib.compress(BODY)
        elif self.path == '/raw-deflate' and 'deflate' in accept:
            c = zlib.compressobj(wbits=-15)
            coding, data = 'deflate', c.compress(BODY) + c.flush()
        elif self.path == '/bomb':
            coding, data = 'gzip', gzip.compress(bytes(8 << 20))
        self.send_response(200)
        if coding != 'identity':
            self.send_header('Content-Encoding', coding)
        self.send_header('Content-Length', str(len(data)))
        self.send_header('X-Accept-Encoding', accept)
        self.end_headers()
        self.wfile.write(data)
    def log_message(self, *a): pass
s = HTTPServer(('127.0.0.1', int(sys.argv[1])), H)
print(s.server_address[1], flush=True)
s.serve_forever()
"#;

/// `get` asks for gzip and deflate, and hands over the decoded body, with a cap, on every
/// runtime.
#[test]
fn compressed_responses_are_decoded_with_a_cap() {
    let (mut py, port) = common::python_server(CODING_SERVER);
    let body = pattern(300_000);
    each_runtime(|rt| {
        for path in ["/gzip", "/deflate", "/raw-deflate", "/plain"] {
            let mut resp = rt
                .get(&format!("http://127.0.0.1:{port}{path}"), quick())
                .unwrap();
            assert_eq!(
                resp.headers().get_str("X-Accept-Encoding"),
                Some("gzip, deflate"),
                "{path}"
            );
            assert!(!resp.headers().contains("Content-Encoding"), "{path}");
            assert_eq!(read_all(&mut resp).unwrap(), body, "{path}");
        }
        let config = ClientConfig {
            max_decoded_body_bytes: 1 << 20,
            ..quick()
        };
        let mut resp = rt
            .get(&format!("http://127.0.0.1:{port}/bomb"), config)
            .unwrap();
        let e = read_all(&mut resp).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidData, "{e}");
        assert!(
            matches!(ClientError::from(e), ClientError::Decoding(_)),
            "a capped bomb is a decoding error"
        );
    });
    let _ = py.kill();
    let _ = py.wait();
}
