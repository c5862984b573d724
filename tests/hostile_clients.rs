//! Hostile clients against the HTTP server on every runtime: peers that never read, floods of
//! half-open connections, oversized messages, pipelining bursts, the connection bound, many
//! concurrent keep-alive clients, and graceful shutdown. Loopback only; every scenario is
//! bounded in connections and time. (Slowloris, silent clients and malformed requests are
//! covered in `http_server.rs`.)

mod common;

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use netloom::http::server::{IncomingRequest, OutgoingResponse};
use netloom::http::Limits;
use netloom::{RunningServer, Runtime, ServerConfig};

use common::{each_runtime, loopback};

/// Size of the `/big` response.
const BIG: usize = 64 * 1024;

/// The handler: `/big` is 64 KiB, `/slow` takes 300 ms, `/n/<i>` echoes its index, anything
/// else names its target.
fn app(req: IncomingRequest) -> OutgoingResponse {
    let target = req.head.target();
    match target {
        "/big" => OutgoingResponse::bytes(200, "application/octet-stream", vec![b'x'; BIG]),
        "/slow" => {
            thread::sleep(Duration::from_millis(300));
            OutgoingResponse::text(200, "slow done")
        }
        _ => OutgoingResponse::text(200, target.to_string()),
    }
}

fn start(rt: Runtime, config: ServerConfig) -> RunningServer {
    rt.spawn_http(loopback(), app, config, Limits::default())
        .unwrap()
}

/// A client socket with its own read buffer, reading Content-Length framed responses.
struct Client {
    stream: TcpStream,
    buf: Vec<u8>,
}

/// One parsed response.
#[derive(Debug)]
struct Reply {
    status: u16,
    body: Vec<u8>,
}

impl Client {
    fn connect(addr: SocketAddr) -> Client {
        let stream = TcpStream::connect(addr).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        stream
            .set_write_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        Client {
            stream,
            buf: Vec::new(),
        }
    }

    fn send(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).unwrap();
    }

    fn get(&mut self, target: &str) -> Reply {
        self.send(format!("GET {target} HTTP/1.1\r\nHost: x\r\n\r\n").as_bytes());
        self.reply().unwrap()
    }

    fn fill(&mut self) -> io::Result<()> {
        let mut chunk = [0u8; 16 * 1024];
        match self.stream.read(&mut chunk)? {
            0 => Err(io::ErrorKind::UnexpectedEof.into()),
            n => {
                self.buf.extend_from_slice(&chunk[..n]);
                Ok(())
            }
        }
    }

    /// Reads one response (head, then a Content-Length body).
    fn reply(&mut self) -> io::Result<Reply> {
        let head_end = loop {
            if let Some(i) = self.buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
            self.fill()?;
        };
        let head = String::from_utf8_lossy(&self.buf[..head_end]).into_owned();
        let status: u16 = head
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("bad status line in {head:?}"));
        let len: usize = head
            .lines()
            .find_map(|l| {
                let (name, value) = l.split_once(':')?;
                name.eq_ignore_ascii_case("content-length")
                    .then(|| value.trim().parse().ok())?
            })
            .unwrap_or(0);
        while self.buf.len() < head_end + len {
            self.fill()?;
        }
        let body = self.buf[head_end..head_end + len].to_vec();
        self.buf.drain(..head_end + len);
        Ok(Reply { status, body })
    }

    /// True once the server has closed the connection (end of stream or a reset).
    fn closed_by_server(&mut self) -> bool {
        let mut b = [0u8; 1];
        match self.stream.read(&mut b) {
            Ok(0) => true,
            Ok(_) => false,
            Err(e) => !matches!(
                e.kind(),
                io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
            ),
        }
    }
}

/// This process's resident set size, in bytes.
fn rss() -> usize {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<usize>().ok())
        .map_or(0, |kb| kb * 1024)
}

/// A well-behaved client gets its answer promptly.
fn assert_prompt(addr: SocketAddr, target: &str, limit: Duration) {
    let started = Instant::now();
    let mut c = Client::connect(addr);
    let r = c.get(target);
    assert_eq!(r.status, 200);
    assert_eq!(r.body, target.as_bytes());
    assert!(
        started.elapsed() < limit,
        "a good client waited {:?}",
        started.elapsed()
    );
}

#[test]
fn graceful_shutdown_finishes_requests_in_flight_and_closes_idle_connections() {
    each_runtime(|rt| {
        let started_flag = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&started_flag);
        let handler = move |req: IncomingRequest| {
            if req.head.target() == "/slow" {
                flag.store(true, Ordering::SeqCst);
            }
            app(req)
        };
        let config = ServerConfig {
            shutdown_grace: Duration::from_secs(5),
            ..ServerConfig::default()
        };
        let server = rt
            .spawn_http(loopback(), handler, config, Limits::default())
            .unwrap();
        let addr = server.local_addr();
        // An idle keep-alive connection that has been served once.
        let mut idle = Client::connect(addr);
        assert_eq!(idle.get("/first").status, 200);
        // A request in flight when shutdown begins.
        let slow = thread::spawn(move || {
            let mut c = Client::connect(addr);
            c.get("/slow")
        });
        let wait = Instant::now();
        while !started_flag.load(Ordering::SeqCst) {
            assert!(
                wait.elapsed() < Duration::from_secs(5),
                "request never arrived"
            );
            thread::sleep(Duration::from_millis(5));
        }
        let began = Instant::now();
        server.shutdown();
        let took = began.elapsed();
        let reply = slow.join().unwrap();
        assert_eq!(reply.status, 200);
        assert_eq!(reply.body, b"slow done");
        assert!(took < Duration::from_secs(4), "shutdown took {took:?}");
        assert!(idle.closed_by_server(), "idle connection left open");
        match TcpStream::connect_timeout(&addr, Duration::from_secs(2)) {
            Err(e) => assert_eq!(e.kind(), io::ErrorKind::ConnectionRefused),
            Ok(_) => panic!("a connection after shutdown was accepted"),
        }
    });
}

#[test]
fn graceful_shutdown_is_bounded_by_the_grace_period() {
    each_runtime(|rt| {
        let config = ServerConfig {
            shutdown_grace: Duration::from_millis(500),
            ..ServerConfig::default()
        };
        let server = start(rt, config);
        let addr = server.local_addr();
        // Part-way through a request head: in flight, so shutdown waits for it, but only for
        // the grace period.
        let mut partial = Client::connect(addr);
        partial.send(b"GET /never-finished HTTP/1.1\r\nHost:");
        let mut idle = Client::connect(addr);
        assert_eq!(idle.get("/x").status, 200);
        thread::sleep(Duration::from_millis(50));
        let began = Instant::now();
        server.shutdown();
        let took = began.elapsed();
        assert!(took < Duration::from_secs(3), "shutdown took {took:?}");
        assert!(idle.closed_by_server());
        assert!(partial.closed_by_server());
    });
}
