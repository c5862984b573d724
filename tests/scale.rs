//! Scale: 10,000 concurrent idle keep-alive HTTP connections held by the mio and smol servers,
//! then one request answered on each, with the server's memory per connection measured.
//!
//! Both ends of 10,000 connections take 20,000 descriptors, more than a typical hard limit
//! leaves for one process, so the server runs in a child process (this test binary again, in
//! the ignored `scale_server_process` test) and this process holds the client sockets. That
//! also makes the memory figures the server's alone: they are read from the child's
//! `/proc/<pid>/status`.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use netloom::http::server::{IncomingRequest, OutgoingResponse};
use netloom::http::Limits;
use netloom::{Runtime, ServerConfig};

const CONNECTIONS: usize = 10_000;
/// Connections opened before waiting for the server to accept them: below the listen backlog,
/// so no handshake is dropped and retried.
const BATCH: usize = 100;
const RUNTIME_VAR: &str = "NETLOOM_SCALE_RUNTIME";

/// Raises the soft open-file limit to the hard one; returns the new soft limit.
fn raise_fd_limit() -> u64 {
    // SAFETY: getrlimit and setrlimit only read and write the struct passed to them.
    unsafe {
        let mut lim = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) != 0 {
            return 0;
        }
        if lim.rlim_cur < lim.rlim_max {
            let raised = libc::rlimit {
                rlim_cur: lim.rlim_max,
                rlim_max: lim.rlim_max,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) == 0 {
                lim = raised;
            }
        }
        #[allow(clippy::unnecessary_cast)] // rlim_t is not u64 on every target
        let soft = lim.rlim_cur as u64;
        soft
    }
}

/// A field of `/proc/<pid>/status` in bytes (`VmRSS`, `VmHWM`).
fn proc_status_bytes(pid: u32, field: &str) -> usize {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<usize>().ok())
        .map_or(0, |kb| kb * 1024)
}

/// How many descriptors process `pid` has open: the server's accepted connections show here
/// the moment `accept` returns.
fn open_fds(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd")).map_or(0, |d| d.count())
}

/// The child's side: serve until stdin closes.
#[test]
#[ignore = "the server half of `ten_thousand_idle_keep_alive_connections`, run by it"]
fn scale_server_process() {
    let Ok(name) = std::env::var(RUNTIME_VAR) else {
        println!("not a scale test child; nothing to do");
        return;
    };
    raise_fd_limit();
    let rt: Runtime = name.parse().unwrap();
    let config = ServerConfig {
        max_connections: CONNECTIONS * 2,
        idle_timeout: Duration::from_secs(600),
        ..ServerConfig::default()
    };
    let handler = |req: IncomingRequest| OutgoingResponse::text(200, req.head.target().to_string());
    let server = rt
        .spawn_http(
            "127.0.0.1:0".parse().unwrap(),
            handler,
            config,
            Limits::default(),
        )
        .unwrap();
    println!("SCALE-ADDR {}", server.local_addr());
    io::stdout().flush().unwrap();
    let mut sink = Vec::new();
    let _ = io::stdin().read_to_end(&mut sink);
    server.shutdown();
}

/// Kills the child if the test fails part-way.
struct ServerProcess(Child);

impl Drop for ServerProcess {
    fn drop(&mut self) {
        drop(self.0.stdin.take());
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.0.try_wait() {
                return;
            }
            thread::sleep(Duration::from_millis(20));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_server(rt: Runtime) -> (ServerProcess, SocketAddr) {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "scale_server_process",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(RUNTIME_VAR, rt.name())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let addr = loop {
        let line = lines
            .next()
            .expect("the server process exited before listening")
            .unwrap();
        // The harness may print its "test ... " prefix on the same line.
        if let Some(at) = line.find("SCALE-ADDR ") {
            break line[at + "SCALE-ADDR ".len()..].trim().parse().unwrap();
        }
    };
    // Keep draining its stdout so it never blocks on a full pipe.
    thread::spawn(move || lines.for_each(drop));
    (ServerProcess(child), addr)
}

/// Reads one small Content-Length response from a blocking socket.
fn read_reply(s: &mut TcpStream) -> io::Result<(u16, Vec<u8>)> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 1024];
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).into_owned();
            let status = head.split(' ').nth(1).and_then(|s| s.parse().ok());
            let len = head.lines().find_map(|l| {
                let (n, v) = l.split_once(':')?;
                n.eq_ignore_ascii_case("content-length")
                    .then(|| v.trim().parse::<usize>().ok())?
            });
            if let (Some(status), Some(len)) = (status, len) {
                if buf.len() >= end + 4 + len {
                    return Ok((status, buf[end + 4..end + 4 + len].to_vec()));
                }
            }
        }
        match s.read(&mut chunk)? {
            0 => return Err(io::ErrorKind::UnexpectedEof.into()),
            n => buf.extend_from_slice(&chunk[..n]),
        }
    }
}

#[test]
fn ten_thousand_idle_keep_alive_connections() {
    let limit = raise_fd_limit();
    // Our half, plus the test harness, plus a margin.
    let needed = CONNECTIONS as u64 + 100;
    if limit < needed {
        println!(
            "SKIPPED ten_thousand_idle_keep_alive_connections: the open-file hard limit is \
             {limit}, {needed} are needed (raise it with `ulimit -Hn`)"
        );
        return;
    }
    for rt in [Runtime::Mio, Runtime::Smol] {
        scale_one(rt);
    }
}

fn scale_one(rt: Runtime) {
    let began = Instant::now();
    let (server, addr) = start_server(rt);
    let pid = server.0.id();
    // Let the server settle before the baseline.
    thread::sleep(Duration::from_millis(200));
    let before = proc_status_bytes(pid, "VmRSS");
    let base_fds = open_fds(pid);

    let mut conns = Vec::with_capacity(CONNECTIONS);
    while conns.len() < CONNECTIONS {
        for _ in 0..BATCH.min(CONNECTIONS - conns.len()) {
            let s = TcpStream::connect_timeout(&addr, Duration::from_secs(10))
                .unwrap_or_else(|e| panic!("{rt}: connection {} failed: {e}", conns.len()));
            conns.push(s);
        }
        // Every connection so far is accepted before the next batch.
        let wait = Instant::now();
        while open_fds(pid) < base_fds + conns.len() {
            assert!(
                wait.elapsed() < Duration::from_secs(10),
                "{rt}: the server stopped accepting at {}",
                conns.len()
            );
            thread::sleep(Duration::from_millis(2));
        }
    }
    let connected = began.elapsed();
    // Accepted; let the server finish registering the last ones.
    thread::sleep(Duration::from_millis(300));
    let held = proc_status_bytes(pid, "VmRSS");
    let per_conn = held.saturating_sub(before) as f64 / CONNECTIONS as f64;

    // One request on each, all sent before any answer is read.
    for (i, s) in conns.iter_mut().enumerate() {
        s.write_all(format!("GET /c{i} HTTP/1.1\r\nHost: x\r\n\r\n").as_bytes())
            .unwrap_or_else(|e| panic!("{rt}: connection {i} was closed: {e}"));
    }
    for (i, s) in conns.iter_mut().enumerate() {
        s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        let (status, body) =
            read_reply(s).unwrap_or_else(|e| panic!("{rt}: connection {i} got no answer: {e}"));
        assert_eq!(status, 200, "{rt}: connection {i}");
        assert_eq!(body, format!("/c{i}").as_bytes(), "{rt}: connection {i}");
    }
    let peak = proc_status_bytes(pid, "VmHWM");
    println!(
        "{rt}: {CONNECTIONS} idle keep-alive connections held and each answered; server RSS \
         {:.1} MiB before, {:.1} MiB holding them ({:.1} KiB per connection), peak {:.1} MiB \
         ({:.1} KiB per connection); connecting took {connected:.1?}, all in {:.1?}",
        before as f64 / 1048576.0,
        held as f64 / 1048576.0,
        per_conn / 1024.0,
        peak as f64 / 1048576.0,
        peak.saturating_sub(before) as f64 / CONNECTIONS as f64 / 1024.0,
        began.elapsed(),
    );
    // A generous bound: a runtime that kept a full read buffer per idle connection, say,
    // would cross it.
    assert!(
        per_conn < 32.0 * 1024.0,
        "{rt}: {per_conn:.0} bytes per idle connection"
    );
    drop(conns);
    drop(server);
}
