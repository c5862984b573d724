//! The HTTP server on every runtime, against real peers: curl, CPython's http.client and
//! urllib, and raw sockets for what those clients will not send.

mod common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::Command;
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use netloom::http::server::{Body, IncomingRequest, OutgoingResponse};
use netloom::static_files::StaticFiles;
use netloom::{RunningServer, Runtime, ServerConfig};

use common::{each_runtime, serve_http, temp_dir};

/// The handler most tests use.
fn app(req: IncomingRequest) -> OutgoingResponse {
    match req.head.target() {
        "/echo" => {
            let mut r = OutgoingResponse::bytes(200, "application/octet-stream", req.body);
            if let Some(v) = req.trailers.get_str("X-Checksum") {
                r = r.header("X-Trailer-Checksum", v);
            }
            r
        }
        "/panic" => panic!("handler failure on purpose"),
        "/stream" => {
            // 3 MiB with no length: chunked to HTTP/1.1 peers.
            let data: Vec<u8> = (0..3 * 1024 * 1024).map(|i| (i % 251) as u8).collect();
            OutgoingResponse {
                head: netloom::http::Response::new(200),
                body: Body::Stream(Box::new(std::io::Cursor::new(data))),
            }
        }
        target => OutgoingResponse::text(200, format!("{} {}", req.head.method(), target)),
    }
}

fn start(rt: Runtime, config: ServerConfig) -> RunningServer {
    serve_http(rt, app, config)
}

fn raw(addr: SocketAddr) -> TcpStream {
    let s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s
}

/// Reads until the peer closes.
fn read_all(s: &mut TcpStream) -> String {
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}

/// Reads until `needle` has been seen `count` times.
fn read_until(s: &mut TcpStream, needle: &str, count: usize) -> String {
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    let deadline = Instant::now() + Duration::from_secs(10);
    while String::from_utf8_lossy(&out).matches(needle).count() < count {
        assert!(
            Instant::now() < deadline,
            "timed out; got {:?}",
            String::from_utf8_lossy(&out)
        );
        match s.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e) => panic!("read failed: {e}; got {:?}", String::from_utf8_lossy(&out)),
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn python(script: &str, args: &[String]) -> String {
    let out = Command::new("python3")
        .arg("-c")
        .arg(script)
        .args(args)
        .output()
        .expect("python3 is required for the interop tests");
    assert!(
        out.status.success(),
        "python failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn curl(args: &[&str]) -> std::process::Output {
    Command::new("curl")
        .args(["-s", "--max-time", "10"])
        .args(args)
        .output()
        .expect("curl is required for the interop tests")
}

#[test]
fn curl_gets_files_heads_listings_and_refusals() {
    let dir = temp_dir("static");
    std::fs::write(dir.join("hello.txt"), "hello, world\n").unwrap();
    std::fs::create_dir(dir.join("sub")).unwrap();
    let big: Vec<u8> = (0..2_000_000u32).map(|i| (i % 253) as u8).collect();
    std::fs::write(dir.join("sub/big.bin"), &big).unwrap();
    each_runtime(|rt| {
        let files = StaticFiles::new(&dir).unwrap();
        let server = serve_http(rt, files, ServerConfig::default());
        let base = format!("http://{}", server.local_addr());

        let o = curl(&["-i", &format!("{base}/hello.txt")]);
        let text = String::from_utf8_lossy(&o.stdout);
        assert!(text.starts_with("HTTP/1.1 200 OK\r\n"), "{text}");
        assert!(text.contains("Content-Type: text/plain\r\n"), "{text}");
        assert!(text.contains("Content-Length: 13\r\n"), "{text}");
        assert!(text.ends_with("\r\n\r\nhello, world\n"), "{text}");

        let o = curl(&["-I", &format!("{base}/sub/big.bin")]);
        let text = String::from_utf8_lossy(&o.stdout);
        assert!(text.contains("Content-Length: 2000000\r\n"), "{text}");
        assert!(text.contains("application/octet-stream"), "{text}");

        let o = curl(&[&format!("{base}/sub/big.bin")]);
        assert!(
            o.stdout == big,
            "big file differs ({} bytes)",
            o.stdout.len()
        );

        let o = curl(&[&format!("{base}/")]);
        let text = String::from_utf8_lossy(&o.stdout);
        assert!(
            text.contains("<a href=\"hello.txt\">hello.txt</a>"),
            "{text}"
        );
        assert!(text.contains("<a href=\"sub/\">sub/</a>"), "{text}");

        let code = |path: &str| {
            let o = curl(&[
                "--path-as-is",
                "-o",
                "/dev/null",
                "-w",
                "%{http_code}",
                &format!("{base}{path}"),
            ]);
            String::from_utf8_lossy(&o.stdout).into_owned()
        };
        assert_eq!(code("/missing"), "404");
        assert_eq!(code("/../../../etc/passwd"), "403");
        assert_eq!(code("/sub/%2e%2e/%2e%2e/etc/passwd"), "403");
        assert_eq!(code("/sub"), "301");
        let o = curl(&[
            "-X",
            "DELETE",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            &format!("{base}/hello.txt"),
        ]);
        assert_eq!(String::from_utf8_lossy(&o.stdout), "501");
    });
}

#[test]
fn python_http_client_reuses_one_connection_for_many_requests() {
    let script = r#"
import http.client, sys
c = http.client.HTTPConnection('127.0.0.1', int(sys.argv[1]), timeout=10)
socks = set()
for i in range(20):
    c.request('GET', '/n%d' % i)
    r = c.getresponse()
    assert r.status == 200, r.status
    assert r.read() == b'GET /n%d' % i
    socks.add(id(c.sock))
c.request('POST', '/echo', body=b'x' * 100000)
r = c.getresponse(); assert r.read() == b'x' * 100000
c.request('POST', '/echo', body=iter([b'abc', b'def', b'']), encode_chunked=True)
r = c.getresponse(); assert r.read() == b'abcdef'
socks.add(id(c.sock))
print(len(socks))
"#;
    each_runtime(|rt| {
        let server = start(rt, ServerConfig::default());
        let out = python(script, &[server.local_addr().port().to_string()]);
        assert_eq!(out.trim(), "1", "every request on one connection");
    });
}

#[test]
fn urllib_fetches_a_streamed_chunked_body() {
    let script = r#"
import urllib.request, sys, hashlib
with urllib.request.urlopen('http://127.0.0.1:%s/stream' % sys.argv[1], timeout=10) as r:
    data = r.read()
    print(r.status, r.headers.get('Transfer-Encoding'), len(data), hashlib.sha256(data).hexdigest())
"#;
    let expected: Vec<u8> = (0..3 * 1024 * 1024).map(|i| (i % 251) as u8).collect();
    let digest = python(
        "import sys,hashlib; print(hashlib.sha256(bytes(i % 251 for i in range(3*1024*1024))).hexdigest())",
        &[],
    );
    each_runtime(|rt| {
        let server = start(rt, ServerConfig::default());
        let out = python(script, &[server.local_addr().port().to_string()]);
        assert_eq!(
            out.trim(),
            format!("200 chunked {} {}", expected.len(), digest.trim())
        );
    });
}

#[test]
fn pipelined_requests_are_answered_in_order() {
    each_runtime(|rt| {
        let server = start(rt, ServerConfig::default());
        let mut s = raw(server.local_addr());
        let mut batch = String::new();
        for i in 1..=10 {
            batch.push_str(&format!("GET /r{i} HTTP/1.1\r\nHost: x\r\n\r\n"));
        }
        batch.push_str("GET /last HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        s.write_all(batch.as_bytes()).unwrap();
        let all = read_all(&mut s);
        let mut at = 0;
        for i in 1..=10 {
            let want = format!("GET /r{i}");
            let pos = all[at..]
                .find(&want)
                .unwrap_or_else(|| panic!("{want} missing or out of order in {all}"));
            at += pos + want.len();
        }
        assert!(all[at..].contains("GET /last"));
        assert_eq!(all.matches("HTTP/1.1 200 OK").count(), 11);
    });
}

#[test]
fn chunked_request_body_with_trailers_arrives_intact() {
    each_runtime(|rt| {
        let server = start(rt, ServerConfig::default());
        let mut s = raw(server.local_addr());
        s.write_all(
            b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n\
              5\r\nhello\r\n1;ext=1\r\n,\r\n6\r\n world\r\n0\r\nX-Checksum: 42\r\n\r\n",
        )
        .unwrap();
        let all = read_all(&mut s);
        assert!(all.starts_with("HTTP/1.1 200 OK"), "{all}");
        assert!(all.contains("X-Trailer-Checksum: 42\r\n"), "{all}");
        assert!(all.ends_with("\r\n\r\nhello, world"), "{all}");
    });
}

#[test]
fn expect_100_continue_gets_a_go_ahead() {
    each_runtime(|rt| {
        let server = start(rt, ServerConfig::default());
        let mut s = raw(server.local_addr());
        s.write_all(
            b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n",
        )
        .unwrap();
        let interim = read_until(&mut s, "\r\n\r\n", 1);
        assert!(
            interim.starts_with("HTTP/1.1 100 Continue\r\n"),
            "{interim}"
        );
        s.write_all(b"hello").unwrap();
        let rest = read_until(&mut s, "hello", 1);
        assert!(rest.contains("HTTP/1.1 200 OK"), "{rest}");
    });
}

#[test]
fn handler_panic_answers_500_and_the_connection_goes_on() {
    each_runtime(|rt| {
        let server = start(rt, ServerConfig::default());
        let mut s = raw(server.local_addr());
        s.write_all(b"GET /panic HTTP/1.1\r\nHost: x\r\n\r\n")
            .unwrap();
        let first = read_until(&mut s, "Internal Server Error", 1);
        assert!(
            first.starts_with("HTTP/1.1 500 Internal Server Error"),
            "{first}"
        );
        s.write_all(b"GET /after HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .unwrap();
        let second = read_all(&mut s);
        assert!(second.contains("GET /after"), "{second}");
    });
}

#[test]
fn bad_requests_get_their_status_and_the_server_keeps_serving() {
    let long_header = format!(
        "GET / HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
        "a".repeat(64 * 1024)
    );
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (b"GARBAGE\r\n\r\n".to_vec(), "400"),
        (long_header.into_bytes(), "431"),
        (b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 999999999999\r\n\r\n".to_vec(), "413"),
        (b"GET / HTTP/2.0\r\nHost: x\r\n\r\n".to_vec(), "505"),
        (b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n".to_vec(), "400"),
        (b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n".to_vec(), "501"),
        (b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n".to_vec(), "400"),
        (format!("GET /{} HTTP/1.1\r\nHost: x\r\n\r\n", "u".repeat(9000)).into_bytes(), "414"),
    ];
    each_runtime(|rt| {
        let server = start(rt, ServerConfig::default());
        for (input, status) in &cases {
            let mut s = raw(server.local_addr());
            let _ = s.write_all(input);
            let got = read_all(&mut s);
            assert!(
                got.starts_with(&format!("HTTP/1.1 {status} ")),
                "expected {status}, got {:?}",
                got.lines().next()
            );
            assert!(got.contains("Connection: close"), "{got}");
            assert!(got.contains("\r\nDate: "), "{got}");
            assert!(got.contains("\r\nServer: netloom/"), "{got}");
        }
        let o = curl(&[&format!("http://{}/still-here", server.local_addr())]);
        assert_eq!(String::from_utf8_lossy(&o.stdout), "GET /still-here");
    });
}

/// Every response says when it was made (RFC 9110 §6.6.1) and who made it, as Python's
/// `http.server` does: read by CPython's own date parser, close to the test's clock.
#[test]
fn responses_carry_a_date_python_reads_and_the_server() {
    let script = r#"
import email.utils, http.client, socket, sys, time
host, port = sys.argv[1], int(sys.argv[2])
def check(date, server):
    t = email.utils.parsedate_to_datetime(date).timestamp()
    assert abs(t - time.time()) < 5, (date, time.time())
    assert server.startswith("netloom/"), server
c = http.client.HTTPConnection(host, port, timeout=10)
for _ in range(2):
    c.request("GET", "/x")
    r = c.getresponse()
    assert r.read() == b"GET /x"
    check(r.getheader("Date"), r.getheader("Server"))
s = socket.create_connection((host, port), timeout=10)
s.sendall(b"GARBAGE\r\n\r\n")
data = b""
while True:
    chunk = s.recv(4096)
    if not chunk:
        break
    data += chunk
head = data.split(b"\r\n\r\n")[0].decode().split("\r\n")
fields = dict(line.split(": ", 1) for line in head[1:])
assert head[0].startswith("HTTP/1.1 400 "), head
check(fields["Date"], fields["Server"])
print("ok")
"#;
    each_runtime(|rt| {
        let server = start(rt, ServerConfig::default());
        let addr = server.local_addr();
        let out = python(script, &[addr.ip().to_string(), addr.port().to_string()]);
        assert_eq!(out.trim(), "ok", "{rt:?}");
    });
}

#[test]
fn silent_clients_are_timed_out_without_stopping_others() {
    each_runtime(|rt| {
        let config = ServerConfig {
            idle_timeout: Duration::from_millis(300),
            ..ServerConfig::default()
        };
        let server = start(rt, config);
        let mut silent = raw(server.local_addr());
        let mut half = raw(server.local_addr());
        half.write_all(b"GET / HTTP/1.1\r\nHost:").unwrap();
        let started = Instant::now();
        // Others are served meanwhile.
        for i in 0..5 {
            let o = curl(&[&format!("http://{}/other{i}", server.local_addr())]);
            assert_eq!(String::from_utf8_lossy(&o.stdout), format!("GET /other{i}"));
        }
        let mut buf = [0u8; 64];
        let n = silent.read(&mut buf).unwrap_or(0);
        assert_eq!(n, 0, "silent connection closed by the server");
        let _ = half.read(&mut buf);
        assert!(started.elapsed() < Duration::from_secs(5));
        thread::sleep(Duration::from_millis(10));
    });
}

#[test]
fn slowloris_is_cut_off_by_the_request_timeout() {
    each_runtime(|rt| {
        let config = ServerConfig {
            idle_timeout: Duration::from_secs(60),
            request_timeout: Duration::from_millis(800),
            ..ServerConfig::default()
        };
        let server = start(rt, config);
        let mut slow = raw(server.local_addr());
        let started = Instant::now();
        let head = b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
        let mut cut_off = false;
        for &b in head.iter() {
            if slow.write_all(&[b]).is_err() {
                cut_off = true;
                break;
            }
            // Each byte well inside the idle timeout.
            thread::sleep(Duration::from_millis(100));
            let o = curl(&[
                "--max-time",
                "5",
                &format!("http://{}/ok", server.local_addr()),
            ]);
            assert_eq!(String::from_utf8_lossy(&o.stdout), "GET /ok");
            if started.elapsed() > Duration::from_secs(4) {
                break;
            }
        }
        if !cut_off {
            let mut buf = [0u8; 16];
            slow.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
            match slow.read(&mut buf) {
                Ok(0) => {}
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {}
                other => panic!("the trickling client is still connected: {other:?}"),
            }
        }
        assert!(started.elapsed() < Duration::from_secs(8));
    });
}

#[test]
fn several_event_loops_share_the_listener() {
    // mio runs one poll per loop; the other runtimes ignore the setting and must still work.
    each_runtime(|rt| {
        let config = ServerConfig {
            event_loops: 3,
            ..ServerConfig::default()
        };
        let server = start(rt, config);
        let addr = server.local_addr();
        let clients: Vec<_> = (0..30)
            .map(|i| {
                thread::spawn(move || {
                    let mut s = raw(addr);
                    s.write_all(
                        format!("GET /c{i} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                            .as_bytes(),
                    )
                    .unwrap();
                    read_all(&mut s)
                })
            })
            .collect();
        for (i, c) in clients.into_iter().enumerate() {
            let got = c.join().unwrap();
            assert!(got.ends_with(&format!("GET /c{i}")), "{got}");
        }
        let started = Instant::now();
        server.shutdown();
        assert!(started.elapsed() < Duration::from_secs(5));
        assert!(
            TcpStream::connect(addr).is_err(),
            "listener closed after shutdown"
        );
    });
}

#[test]
fn a_blocking_handler_delays_only_its_own_connection() {
    // Each `/meet` request blocks its handler until all MEET have arrived (or 10 s pass), so
    // they can only succeed side by side; and while they block, other requests are served.
    const MEET: usize = 4;
    each_runtime(|rt| {
        let arrived = Arc::new((Mutex::new(0usize), Condvar::new()));
        let handler = {
            let arrived = Arc::clone(&arrived);
            move |req: IncomingRequest| {
                if req.head.target() != "/meet" {
                    return app(req);
                }
                let (count, cv) = &*arrived;
                let mut n = count.lock().unwrap();
                *n += 1;
                cv.notify_all();
                let (_n, wait) = cv
                    .wait_timeout_while(n, Duration::from_secs(10), |n| *n < MEET)
                    .unwrap();
                OutgoingResponse::text(
                    200,
                    if wait.timed_out() {
                        "alone"
                    } else {
                        "together"
                    },
                )
            }
        };
        let server = serve_http(rt, handler, ServerConfig::default());
        let addr = server.local_addr();
        let meet = move || {
            let mut s = raw(addr);
            s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
            s.write_all(b"GET /meet HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                .unwrap();
            read_all(&mut s)
        };
        let waiting: Vec<_> = (1..MEET).map(|_| thread::spawn(meet)).collect();
        let started = Instant::now();
        while *arrived.0.lock().unwrap() < MEET - 1 {
            assert!(
                started.elapsed() < Duration::from_secs(5),
                "{rt}: handlers did not start side by side"
            );
            thread::sleep(Duration::from_millis(5));
        }
        // Three handlers are blocked; another client is still served.
        let mut s = raw(addr);
        s.write_all(b"GET /quick HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .unwrap();
        let quick = read_all(&mut s);
        assert!(quick.ends_with("GET /quick"), "{rt}: {quick}");
        assert_eq!(*arrived.0.lock().unwrap(), MEET - 1, "{rt}");
        let last = thread::spawn(meet);
        for t in waiting.into_iter().chain([last]) {
            let reply = t.join().unwrap();
            assert!(reply.ends_with("together"), "{rt}: {reply}");
        }
    });
}

#[test]
fn handlers_can_run_on_the_io_thread() {
    // `handler_threads: 0`: the fast path for handlers that never block.
    each_runtime(|rt| {
        let config = ServerConfig {
            handler_threads: 0,
            ..ServerConfig::default()
        };
        let server = start(rt, config);
        let mut s = raw(server.local_addr());
        s.write_all(
            b"GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /panic HTTP/1.1\r\nHost: x\r\n\r\n\
              POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi",
        )
        .unwrap();
        let all = read_all(&mut s);
        let a = all.find("GET /a").expect("first answer");
        let panic = all
            .find("500 Internal Server Error")
            .expect("500 for the panic");
        assert!(a < panic, "{all}");
        assert!(all.ends_with("\r\n\r\nhi"), "{all}");
    });
}

/// Gives 1000 bytes, then panics.
struct PanickingReader(usize);

impl std::io::Read for PanickingReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.0 >= 1000 {
            panic!("body reader failure on purpose");
        }
        let n = buf.len().min(1000 - self.0);
        buf[..n].fill(b'p');
        self.0 += n;
        Ok(n)
    }
}

#[test]
fn a_body_reader_that_panics_cuts_its_response_short_and_nothing_else() {
    for threads in [64, 0] {
        each_runtime(|rt| {
            let config = ServerConfig {
                handler_threads: threads,
                ..ServerConfig::default()
            };
            let handler = |req: IncomingRequest| {
                if req.head.target() == "/bad" {
                    let body = Box::new(PanickingReader(0));
                    return OutgoingResponse::stream(200, "text/plain", Some(5000), body);
                }
                app(req)
            };
            let server = serve_http(rt, handler, config);
            let mut s = raw(server.local_addr());
            s.write_all(b"GET /bad HTTP/1.1\r\nHost: x\r\n\r\n")
                .unwrap();
            // The head and the 1000 bytes, then the connection closes short of 5000.
            let cut = read_all(&mut s);
            assert!(cut.starts_with("HTTP/1.1 200 OK"), "{rt}/{threads}: {cut}");
            let body = cut.split("\r\n\r\n").nth(1).unwrap_or("");
            assert_eq!(body.len(), 1000, "{rt}/{threads}");
            // The server goes on.
            let mut s = raw(server.local_addr());
            s.write_all(b"GET /next HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                .unwrap();
            assert!(read_all(&mut s).ends_with("GET /next"), "{rt}/{threads}");
        });
    }
}

/// A response's status, headers (lowercase names) and body, from `curl -i` output.
fn split_response(raw: &[u8]) -> (u16, Vec<(String, String)>, Vec<u8>) {
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no head in {:?}", String::from_utf8_lossy(raw)));
    let head = String::from_utf8_lossy(&raw[..end]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    (status, headers, raw[end + 4..].to_vec())
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

/// curl against the static server: validators, 304s, ranges, resuming, If-Range, on every
/// runtime.
#[test]
fn curl_caches_and_resumes_static_files() {
    let dir = temp_dir("static-cache");
    let data: Vec<u8> = (0..1_000_000u32).map(|i| (i * 31 % 251) as u8).collect();
    std::fs::write(dir.join("data.bin"), &data).unwrap();
    each_runtime(|rt| {
        let server = serve_http(rt, StaticFiles::new(&dir).unwrap(), ServerConfig::default());
        let url = format!("http://{}/data.bin", server.local_addr());
        let get = |args: &[&str]| {
            let mut all = vec!["-i"];
            all.extend_from_slice(args);
            all.push(&url);
            split_response(&curl(&all).stdout)
        };

        let (status, h, body) = get(&[]);
        assert_eq!(status, 200);
        assert!(body == data, "whole file");
        assert_eq!(header(&h, "accept-ranges"), Some("bytes"));
        assert!(
            header(&h, "server").unwrap().starts_with("netloom/"),
            "{h:?}"
        );
        let etag = header(&h, "etag").expect("an ETag").to_owned();
        assert!(
            etag.starts_with('"') && etag.ends_with('"'),
            "strong: {etag}"
        );
        let modified = header(&h, "last-modified")
            .expect("Last-Modified")
            .to_owned();
        assert!(modified.ends_with(" GMT"), "{modified}");

        // Caching: a matching validator gets 304 and no body.
        for cond in [
            format!("If-None-Match: {etag}"),
            format!("If-None-Match: \"other\", W/{etag}"),
            format!("If-Modified-Since: {modified}"),
        ] {
            let (status, h, body) = get(&["-H", &cond]);
            assert_eq!(status, 304, "{cond}");
            assert!(body.is_empty(), "{cond}");
            assert_eq!(header(&h, "etag"), Some(etag.as_str()));
        }
        let (status, _, body) = get(&["-H", "If-None-Match: \"stale\""]);
        assert_eq!((status, body.len()), (200, data.len()));
        let (status, _, body) = get(&["-H", "If-Modified-Since: Thu, 01 Jan 1970 00:00:00 GMT"]);
        assert_eq!((status, body.len()), (200, data.len()));
        let (status, _, _) = get(&["-H", "If-Match: \"stale\""]);
        assert_eq!(status, 412);

        // One range.
        let (status, h, body) = get(&["-r", "1000-1999"]);
        assert_eq!(status, 206);
        assert_eq!(header(&h, "content-range"), Some("bytes 1000-1999/1000000"));
        assert_eq!(header(&h, "content-length"), Some("1000"));
        assert!(body == data[1000..2000]);
        let (status, h, body) = get(&["-r", "-10"]);
        assert_eq!(status, 206);
        assert_eq!(
            header(&h, "content-range"),
            Some("bytes 999990-999999/1000000")
        );
        assert!(body == data[999_990..]);
        // Beyond the end: 416 with the length.
        let (status, h, _) = get(&["-r", "2000000-"]);
        assert_eq!(status, 416);
        assert_eq!(header(&h, "content-range"), Some("bytes */1000000"));
        // Several ranges: the whole file.
        let (status, _, body) = get(&["-r", "0-9,100-109"]);
        assert_eq!((status, body.len()), (200, data.len()));
        // If-Range: the current validator lets the range through, a stale one does not.
        let (status, _, body) = get(&["-r", "10-19", "-H", &format!("If-Range: {etag}")]);
        assert_eq!((status, body.len()), (206, 10));
        let (status, _, body) = get(&["-r", "10-19", "-H", &format!("If-Range: {modified}")]);
        assert_eq!((status, body.len()), (206, 10));
        let (status, _, body) = get(&["-r", "10-19", "-H", "If-Range: \"stale\""]);
        assert_eq!((status, body.len()), (200, data.len()));

        // `curl -C -` resumes a partial download.
        let part = dir.join(format!("partial-{rt}"));
        std::fs::write(&part, &data[..300_000]).unwrap();
        let o = curl(&["-C", "-", "-o", part.to_str().unwrap(), &url]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        assert!(
            std::fs::read(&part).unwrap() == data,
            "resumed file differs"
        );
        std::fs::remove_file(&part).unwrap();
    });
}

/// Paths read as CPython's server reads them, and common types.
#[test]
fn static_paths_and_types_match_pythons_server() {
    let dir = temp_dir("static-paths");
    std::fs::write(dir.join("notes.md"), "# notes\n").unwrap();
    std::fs::write(dir.join("page.html"), "<p>hi</p>\n").unwrap();
    std::fs::write(dir.join("font.woff2"), "w").unwrap();
    std::fs::create_dir(dir.join("sub")).unwrap();
    #[cfg(unix)]
    let odd = {
        use std::os::unix::ffi::OsStrExt;
        let name = std::ffi::OsStr::from_bytes(b"caf\xe9 \xff.txt");
        std::fs::write(dir.join(name), "latin-1 name\n").unwrap();
        "caf%E9%20%FF.txt"
    };
    each_runtime(|rt| {
        let server = serve_http(rt, StaticFiles::new(&dir).unwrap(), ServerConfig::default());
        let base = format!("http://{}", server.local_addr());
        let fetch = |path: &str| {
            split_response(&curl(&["-i", "--path-as-is", &format!("{base}{path}")]).stdout)
        };
        let (status, h, body) = fetch("/notes.md");
        assert_eq!(status, 200);
        assert_eq!(header(&h, "content-type"), Some("text/markdown"));
        assert_eq!(body, b"# notes\n");
        assert_eq!(
            header(&fetch("/font.woff2").1, "content-type"),
            Some("font/woff2")
        );
        // A file is not a directory.
        assert_eq!(fetch("/notes.md/").0, 404);
        // `..` that stays inside the root is resolved, raw or encoded.
        assert_eq!(fetch("/sub/%2e%2e/notes.md").2, b"# notes\n");
        assert_eq!(fetch("/sub/../page.html").2, b"<p>hi</p>\n");
        assert_eq!(fetch("/sub/%2E%2E/%2e/notes.md").0, 200);
        assert_eq!(fetch("/sub/%2e%2e/%2e%2e/notes.md").0, 403);
        #[cfg(unix)]
        {
            let (_, _, listing) = fetch("/");
            let listing = String::from_utf8_lossy(&listing);
            assert!(
                listing.contains(&format!("<a href=\"{odd}\">")),
                "{listing}"
            );
            assert!(
                listing.contains("caf\u{FFFD} \u{FFFD}.txt</a>"),
                "{listing}"
            );
            let (status, _, body) = fetch(&format!("/{odd}"));
            assert_eq!((status, &body[..]), (200, &b"latin-1 name\n"[..]));
        }
        // The name's raw bytes in the target are refused (RFC 9112: ASCII only).
        let mut s = raw(server.local_addr());
        s.write_all(b"GET /caf\xc3\xa9 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .unwrap();
        assert!(read_all(&mut s).starts_with("HTTP/1.1 400 "));
    });
}

/// The status a raw request gets, its first pieces of `piece` bytes written apart (so the
/// server sees them apart), the rest at once. The server may answer and close before the end
/// arrives: writing then stops.
fn status_of(addr: SocketAddr, request: &[u8], piece: usize) -> String {
    let mut s = raw(addr);
    s.set_nodelay(true).unwrap();
    let split = request.len().min(piece * 4);
    let (first, rest) = request.split_at(split);
    for part in first.chunks(piece).chain([rest]) {
        if s.write_all(part).is_err() {
            break;
        }
        thread::sleep(Duration::from_millis(3));
    }
    let _ = s.shutdown(std::net::Shutdown::Write);
    let all = read_all(&mut s);
    all.lines().next().unwrap_or("").to_owned()
}

/// The request rules peers and reference parsers expect, over real sockets on every runtime,
/// written whole and in pieces.
#[test]
fn rfc_request_rules_over_sockets() {
    let long_method = format!("{}ST / HTTP/1.1\r\nHost: x\r\n\r\n", "P".repeat(8300));
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (
            b"GET /a HTTP/1.2\r\nHost: x\r\n\r\n".to_vec(),
            "HTTP/1.1 200 OK",
        ),
        (
            b"GET /a HTTP/1.9\r\nHost: x\r\n\r\n".to_vec(),
            "HTTP/1.1 200 OK",
        ),
        (
            b"GET /a HTTP/1.10\r\nHost: x\r\n\r\n".to_vec(),
            "HTTP/1.1 400 Bad Request",
        ),
        (
            b"GET /a HTTP/3\r\nHost: x\r\n\r\n".to_vec(),
            "HTTP/1.1 400 Bad Request",
        ),
        (
            b"GET /a HTTP/2.0\r\nHost: x\r\n\r\n".to_vec(),
            "HTTP/1.1 505 HTTP Version Not Supported",
        ),
        (
            b"GET /caf\xc3\xa9 HTTP/1.1\r\nHost: x\r\n\r\n".to_vec(),
            "HTTP/1.1 400 Bad Request",
        ),
        (
            b"GET / HTTP/1.1\r\nHost: u@x\r\n\r\n".to_vec(),
            "HTTP/1.1 400 Bad Request",
        ),
        (
            b"GET / HTTP/1.1\r\nHost: x y\r\n\r\n".to_vec(),
            "HTTP/1.1 400 Bad Request",
        ),
        (
            b"GET / HTTP/1.1\r\nHost: x/y\r\n\r\n".to_vec(),
            "HTTP/1.1 400 Bad Request",
        ),
        (
            b"GET / HTTP/1.1\r\nHost: x, y\r\n\r\n".to_vec(),
            "HTTP/1.1 400 Bad Request",
        ),
        (
            b"GET / HTTP/1.1\r\nHost: [::1]:80\r\n\r\n".to_vec(),
            "HTTP/1.1 200 OK",
        ),
        (
            b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked;x=y\r\n\r\n0\r\n\r\n"
                .to_vec(),
            "HTTP/1.1 400 Bad Request",
        ),
        (
            b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked ;x\r\n\r\n0\r\n\r\n"
                .to_vec(),
            "HTTP/1.1 400 Bad Request",
        ),
        (long_method.into_bytes(), "HTTP/1.1 414 URI Too Long"),
    ];
    each_runtime(|rt| {
        let server = start(rt, ServerConfig::default());
        for (request, expected) in &cases {
            for piece in [request.len(), 7, 127] {
                let got = status_of(server.local_addr(), request, piece);
                assert_eq!(
                    got,
                    *expected,
                    "{} in pieces of {piece}",
                    String::from_utf8_lossy(&request[..request.len().min(60)])
                );
            }
        }
        // Every answer names the server.
        let mut s = raw(server.local_addr());
        s.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .unwrap();
        let all = read_all(&mut s);
        let version = env!("CARGO_PKG_VERSION");
        assert!(
            all.contains(&format!("\r\nServer: netloom/{version}\r\n")),
            "{all}"
        );
    });
}

/// Handlers read the decoded path and query; CPython's `urllib.parse.quote` makes the URL.
#[test]
fn handlers_read_the_decoded_path_and_query() {
    let script = r#"
import sys, urllib.parse, urllib.request
host, port = sys.argv[1], sys.argv[2]
path = urllib.parse.quote("/café/a b")
query = urllib.parse.urlencode([("dish", "crêpe sucrée & co"), ("n", "1"), ("n", "2")])
with urllib.request.urlopen(f"http://{host}:{port}{path}?{query}", timeout=10) as r:
    print(r.read().decode())
"#;
    let handler = |req: IncomingRequest| {
        let n: Vec<String> = req
            .head
            .query_pairs()
            .filter(|(k, _)| k == "n")
            .map(|(_, v)| v.into_owned())
            .collect();
        OutgoingResponse::text(
            200,
            format!(
                "{}|{}|{}",
                req.head.decoded_path().unwrap_or_default(),
                req.head.query_param("dish").unwrap_or_default(),
                n.join(",")
            ),
        )
    };
    each_runtime(|rt| {
        let server = serve_http(rt, handler, ServerConfig::default());
        let addr = server.local_addr();
        let out = python(script, &[addr.ip().to_string(), addr.port().to_string()]);
        assert_eq!(out.trim(), "/café/a b|crêpe sucrée & co|1,2", "{rt:?}");
    });
}

/// A handler returning `Result` answers with the error's status: `?` on an io::Error, and
/// an `HttpError` of its own.
#[test]
fn result_handlers_answer_errors_with_their_status() {
    use netloom::http::server::HttpError;
    let dir = temp_dir("result-handler");
    std::fs::write(dir.join("there.txt"), "here it is\n").unwrap();
    let root = dir.clone();
    let handler = move |req: IncomingRequest| -> Result<OutgoingResponse, HttpError> {
        let name = req
            .head
            .query_param("name")
            .ok_or_else(|| HttpError::new(400, "name= is missing"))?;
        let text = std::fs::read_to_string(root.join(&*name))?;
        Ok(OutgoingResponse::text(200, text))
    };
    each_runtime(|rt| {
        let server = serve_http(rt, handler.clone(), ServerConfig::default());
        let base = format!("http://{}/", server.local_addr());
        for (query, status, body) in [
            ("?name=there.txt", "200", "here it is\n"),
            ("?name=missing.txt", "404", "Not Found\n"),
            ("", "400", "name= is missing\n"),
        ] {
            let o = curl(&["-w", "|%{http_code}", &format!("{base}{query}")]);
            assert_eq!(
                String::from_utf8_lossy(&o.stdout),
                format!("{body}|{status}"),
                "{rt:?} {query}"
            );
        }
    });
}

/// A body made from an iterator goes out chunk by chunk as the iterator yields: the test
/// holds the second chunk back until it has read the first, so a server that waited for the
/// whole body would never answer.
#[test]
fn iterator_bodies_stream_as_they_are_made() {
    use std::sync::mpsc;
    each_runtime(|rt| {
        let (go, wait) = mpsc::channel::<()>();
        let wait = Arc::new(Mutex::new(wait));
        let handler = move |_req: IncomingRequest| {
            let wait = Arc::clone(&wait);
            let chunks = (0..3).map(move |i| {
                if i > 0 {
                    // The next chunk only once the client has the previous one.
                    let _ = wait.lock().unwrap().recv_timeout(Duration::from_secs(10));
                }
                format!("chunk {i};")
            });
            OutgoingResponse::new(200).body(Body::from_chunks(chunks))
        };
        let server = serve_http(rt, handler, ServerConfig::default());
        let mut s = raw(server.local_addr());
        s.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
        let first = read_until(&mut s, "chunk 0;", 1);
        assert!(first.contains("Transfer-Encoding: chunked"), "{first}");
        assert!(!first.contains("chunk 1;"), "{first}");
        go.send(()).unwrap();
        let _ = read_until(&mut s, "chunk 1;", 1);
        go.send(()).unwrap();
        let rest = read_until(&mut s, "0\r\n\r\n", 1);
        assert!(rest.contains("chunk 2;"), "{rt:?}: {rest}");
    });
}

/// `Handler::check_head` answers from the head alone: a client waiting on
/// `Expect: 100-continue` gets the refusal instead of the go-ahead and never sends its body;
/// an accepted one gets `100 Continue` and its answer, on every runtime.
#[test]
fn uploads_are_refused_from_their_head_before_100_continue() {
    use netloom::frame::ConnInfo;
    use netloom::http::server::Handler;
    use netloom::http::Request;
    struct Uploads;
    impl Handler for Uploads {
        fn check_head(&self, head: &Request, _: &ConnInfo) -> Option<OutgoingResponse> {
            let ok = head.headers().get_str("Authorization") == Some("Bearer s3cret");
            (!ok).then(|| OutgoingResponse::text(401, "who are you?\n"))
        }
        fn handle(&self, req: IncomingRequest) -> OutgoingResponse {
            OutgoingResponse::text(200, format!("stored {} bytes\n", req.body.len()))
        }
    }
    each_runtime(|rt| {
        let server = serve_http(rt, Uploads, ServerConfig::default());
        // Refused: the 401 comes, and the connection closes, with no body sent at all.
        let mut s = raw(server.local_addr());
        s.write_all(
            b"PUT /f HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000\r\nExpect: 100-continue\r\n\r\n",
        )
        .unwrap();
        let got = read_all(&mut s);
        assert!(got.starts_with("HTTP/1.1 401 "), "{rt:?}: {got}");
        assert!(!got.contains("100 Continue"), "{got}");
        assert!(got.contains("Connection: close"), "{got}");
        assert!(got.ends_with("who are you?\n"), "{got}");

        // Accepted: the go-ahead, then the body, then the answer.
        let mut s = raw(server.local_addr());
        s.write_all(b"PUT /f HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer s3cret\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
            .unwrap();
        let go = read_until(&mut s, "100 Continue\r\n\r\n", 1);
        assert!(go.starts_with("HTTP/1.1 100 Continue"), "{go}");
        s.write_all(b"hello").unwrap();
        let answer = read_until(&mut s, "stored 5 bytes\n", 1);
        assert!(answer.contains("HTTP/1.1 200 OK"), "{answer}");

        // curl, with a real 2 MB upload: refused without auth, stored with it.
        let file = temp_dir("upload").join("big.bin");
        std::fs::write(&file, vec![7u8; 2_000_000]).unwrap();
        let url = format!("http://{}/f", server.local_addr());
        let upload = format!("@{}", file.display());
        let o = curl(&["-w", "|%{http_code}", "--data-binary", &upload, &url]);
        assert_eq!(String::from_utf8_lossy(&o.stdout), "who are you?\n|401");
        let o = curl(&[
            "-w",
            "|%{http_code}",
            "-H",
            "Authorization: Bearer s3cret",
            "--data-binary",
            &upload,
            &url,
        ]);
        assert_eq!(
            String::from_utf8_lossy(&o.stdout),
            "stored 2000000 bytes\n|200"
        );
    });
}

/// On smol, a body can come from an async source: bytes written to a socket pair reach the
/// client as they are written (the second write waits until the client has the first).
#[test]
fn smol_streams_a_body_from_an_async_source() {
    use netloom::runtime::smol::http_server::async_body;
    use std::os::unix::net::UnixStream;
    use std::sync::mpsc;
    let (go, wait) = mpsc::channel::<()>();
    let wait = Arc::new(Mutex::new(Some(wait)));
    let handler = move |_req: IncomingRequest| {
        let (mut writer, reader) = UnixStream::pair().expect("a socket pair");
        let wait = wait.lock().unwrap().take();
        thread::spawn(move || {
            let _ = writer.write_all(b"first;");
            if let Some(wait) = wait {
                let _ = wait.recv_timeout(Duration::from_secs(10));
            }
            let _ = writer.write_all(b"second;");
        });
        let source = async_io::Async::new(reader).expect("non-blocking");
        OutgoingResponse::new(200).body(async_body(source))
    };
    let server = serve_http(Runtime::Smol, handler, ServerConfig::default());
    let mut s = raw(server.local_addr());
    s.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    let first = read_until(&mut s, "first;", 1);
    assert!(!first.contains("second;"), "{first}");
    go.send(()).unwrap();
    let rest = read_until(&mut s, "0\r\n\r\n", 1);
    assert!(rest.contains("second;"), "{rest}");
}
