//! The connection policy every server shares, decided once in `netloom_core::serve` and proven
//! on std, mio, smol and, where its two apps (hello, the calculator) fit the scenario, on the
//! tokio embedding example (`core/examples/embed_tokio.rs`): silent floods, lingering close,
//! `TCP_NODELAY`, running out of descriptors, the request-body budget, and streamed bodies.
//!
//! Servers run in child processes where the scenario measures them (memory, CPU) or starves
//! them (descriptors): this test binary again (the ignored `policy_server_process`), or the
//! tokio example. Loopback only; every scenario is bounded in connections and time.

mod common;

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use netloom::http::server::{Body, IncomingRequest, OutgoingResponse};
use netloom::http::{Limits, Response};
use netloom::{Runtime, ServerConfig};

use common::{each_runtime, serve_http};

/// A server under test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Server {
    Runtime(Runtime),
    /// `core/examples/embed_tokio.rs`: core alone, on tokio.
    Tokio,
}

impl std::fmt::Display for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Server::Runtime(rt) => write!(f, "{rt}"),
            Server::Tokio => f.write_str("tokio example"),
        }
    }
}

const EVERY_SERVER: [Server; 4] = [
    Server::Runtime(Runtime::Std),
    Server::Runtime(Runtime::Mio),
    Server::Runtime(Runtime::Smol),
    Server::Tokio,
];

/// What a child server serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum App {
    /// `hello netloom\n` for any GET.
    Hello,
    /// The XML-RPC calculator.
    Calculator,
}

const CHILD_VAR: &str = "NETLOOM_POLICY_SERVER";

/// Runs `scenario` for each server, naming it in any failure.
fn each_server(servers: &[Server], scenario: impl Fn(Server)) {
    for &server in servers {
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| scenario(server)));
        if let Err(e) = result {
            let msg = e
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            panic!("{server}: {msg}");
        }
    }
}

/// A server in a child process, stopped (stdin closed, then killed) when dropped.
struct ChildServer {
    child: Child,
    addr: SocketAddr,
}

impl ChildServer {
    fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for ChildServer {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The tokio example's binary, built if this test run did not build it.
fn tokio_example() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let debug = exe.parent().and_then(|d| d.parent()).unwrap().to_path_buf();
    let path = debug.join("examples").join("embed_tokio");
    if !path.exists() {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let status = Command::new(cargo)
            .args(["build", "-p", "netloom-core", "--features", "tls"])
            .args(["--example", "embed_tokio"])
            .status()
            .expect("cargo runs");
        assert!(status.success(), "building the tokio example failed");
    }
    path
}

fn millis(d: Duration) -> String {
    d.as_millis().to_string()
}

/// Starts `server` serving `app` under `config` in a child process; `nofile` caps its open
/// descriptors.
fn spawn_child(
    server: Server,
    app: App,
    config: &ServerConfig,
    nofile: Option<u64>,
) -> ChildServer {
    let mut cmd = match server {
        Server::Runtime(rt) => {
            let mut cmd = Command::new(std::env::current_exe().unwrap());
            cmd.args([
                "--exact",
                "policy_server_process",
                "--ignored",
                "--nocapture",
                "--test-threads=1",
            ]);
            let spec = format!(
                "{}:{}:{}:{}:{}:{}",
                rt.name(),
                if app == App::Hello { "hello" } else { "calc" },
                config.max_connections,
                millis(config.idle_timeout),
                millis(config.request_timeout),
                millis(config.write_timeout),
            );
            cmd.env(CHILD_VAR, spec);
            cmd
        }
        Server::Tokio => {
            let mut cmd = Command::new(tokio_example());
            cmd.args(["--port", "0", "--max-connections"])
                .arg(config.max_connections.to_string())
                .args(["--idle-timeout-ms", &millis(config.idle_timeout)])
                .args(["--request-timeout-ms", &millis(config.request_timeout)])
                .args(["--write-timeout-ms", &millis(config.write_timeout)]);
            if app == App::Calculator {
                cmd.arg("--xmlrpc");
            }
            cmd
        }
    };
    if let Some(limit) = nofile {
        // SAFETY: only setrlimit, which is async-signal-safe, runs between fork and exec.
        unsafe {
            cmd.pre_exec(move || {
                let lim = libc::rlimit {
                    rlim_cur: limit as libc::rlim_t,
                    rlim_max: limit as libc::rlim_t,
                };
                if libc::setrlimit(libc::RLIMIT_NOFILE, &lim) != 0 {
                    return Err(io::Error::last_os_error());
                }
                Ok(())
            });
        }
    }
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let addr = loop {
        let line = lines
            .next()
            .expect("the server process exited before listening")
            .unwrap();
        // The test harness may print its "test ... " prefix on the same line.
        let marker = ["POLICY-ADDR ", "listening on "]
            .into_iter()
            .find_map(|m| line.find(m).map(|at| at + m.len()));
        if let Some(at) = marker {
            break line[at..].trim().parse().unwrap();
        }
    };
    thread::spawn(move || lines.for_each(drop));
    ChildServer { child, addr }
}

/// The child's side: serve until stdin closes.
#[test]
#[ignore = "the server half of the scenarios below, run by them in a child process"]
fn policy_server_process() {
    let Ok(spec) = std::env::var(CHILD_VAR) else {
        println!("not a policy test child; nothing to do");
        return;
    };
    let parts: Vec<&str> = spec.split(':').collect();
    let rt: Runtime = parts[0].parse().unwrap();
    let ms = |i: usize| Duration::from_millis(parts[i].parse().unwrap());
    let config = ServerConfig {
        max_connections: parts[2].parse().unwrap(),
        idle_timeout: ms(3),
        request_timeout: ms(4),
        write_timeout: ms(5),
        ..ServerConfig::default()
    };
    let addr = "127.0.0.1:0".parse().unwrap();
    let server = if parts[1] == "hello" {
        rt.spawn_http(addr, hello, config, Limits::default())
    } else {
        rt.spawn_xmlrpc(addr, netloom::seed::calculator(), config)
    }
    .unwrap();
    println!("POLICY-ADDR {}", server.local_addr());
    io::stdout().flush().unwrap();
    let mut sink = Vec::new();
    let _ = io::stdin().read_to_end(&mut sink);
    server.shutdown();
}

fn hello(_: IncomingRequest) -> OutgoingResponse {
    OutgoingResponse::text(200, "hello netloom\n")
}

/// Reads one Content-Length response from a blocking socket: its status and body.
fn read_reply(s: &mut TcpStream) -> io::Result<(u16, Vec<u8>)> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).into_owned();
            let status = head.split(' ').nth(1).and_then(|s| s.parse().ok());
            let len = head
                .lines()
                .find_map(|l| {
                    let (n, v) = l.split_once(':')?;
                    n.eq_ignore_ascii_case("content-length")
                        .then(|| v.trim().parse::<usize>().ok())?
                })
                .unwrap_or(0);
            if let Some(status) = status {
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

fn get(addr: SocketAddr, target: &str) -> io::Result<(u16, Vec<u8>)> {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(5))?;
    s.set_read_timeout(Some(Duration::from_secs(10)))?;
    s.write_all(format!("GET {target} HTTP/1.1\r\nHost: x\r\n\r\n").as_bytes())?;
    read_reply(&mut s)
}

fn raise_fd_limit() {
    // SAFETY: getrlimit and setrlimit only read and write the struct passed to them.
    unsafe {
        let mut lim = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) == 0 && lim.rlim_cur < lim.rlim_max {
            lim.rlim_cur = lim.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &lim);
        }
    }
}

/// Scenarios that measure or starve a process run one at a time.
static ALONE: Mutex<()> = Mutex::new(());

fn alone() -> std::sync::MutexGuard<'static, ()> {
    ALONE.lock().unwrap_or_else(|e| e.into_inner())
}

#[test]
fn a_flood_of_silent_connections_twice_the_bound_does_not_lock_a_client_out() {
    let _alone = alone();
    raise_fd_limit();
    const BOUND: usize = 64;
    each_server(&EVERY_SERVER, |server| {
        let config = ServerConfig {
            max_connections: BOUND,
            ..ServerConfig::default()
        };
        let child = spawn_child(server, App::Hello, &config, None);
        // Connections that never send a byte: every place taken, and as many again waiting.
        let silent: Vec<TcpStream> = (0..2 * BOUND)
            .map(|_| TcpStream::connect(child.addr).unwrap())
            .collect();
        thread::sleep(Duration::from_millis(100));
        let started = Instant::now();
        let (status, body) = get(child.addr, "/").unwrap();
        let waited = started.elapsed();
        assert_eq!((status, &body[..]), (200, &b"hello netloom\n"[..]));
        println!(
            "{server}: a client behind {} silent connections waited {waited:?}",
            silent.len()
        );
        assert!(waited < Duration::from_secs(1), "waited {waited:?}");
        drop(silent);
    });
}

#[test]
fn an_error_answer_survives_a_client_that_is_still_sending() {
    each_server(&EVERY_SERVER, |server| {
        let child = spawn_child(server, App::Hello, &ServerConfig::default(), None);
        for _ in 0..3 {
            let mut s = TcpStream::connect(child.addr).unwrap();
            s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
            // A body over the request limit: answered 413 and closed at once, while the
            // client still sends. Without a lingering close, the unread bytes make the
            // kernel reset the connection and the answer is lost.
            s.write_all(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\n\r\n")
                .unwrap();
            let piece = vec![b'x'; 16 * 1024];
            for _ in 0..12 {
                if s.write_all(&piece).is_err() {
                    break;
                }
                thread::sleep(Duration::from_millis(5));
            }
            let mut answer = Vec::new();
            let read = s.read_to_end(&mut answer);
            let text = String::from_utf8_lossy(&answer);
            assert!(
                text.starts_with("HTTP/1.1 413 "),
                "got {text:?} (read ended with {read:?})"
            );
        }
    });
}

/// The server's side of the connection whose client end is `client` (in this process):
/// whether it has `TCP_NODELAY`.
fn server_side_nodelay(client: &TcpStream) -> Option<bool> {
    use std::os::fd::AsRawFd;
    let want_peer = client.local_addr().ok()?;
    for entry in std::fs::read_dir("/proc/self/fd").ok()? {
        let fd: i32 = entry.ok()?.file_name().to_str()?.parse().ok()?;
        if fd == client.as_raw_fd() {
            continue;
        }
        // SAFETY: getpeername and getsockopt only write into the buffers passed, sized as
        // given; a descriptor that is not a socket makes them fail.
        unsafe {
            let mut addr: libc::sockaddr_in = std::mem::zeroed();
            let mut len = std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t;
            if libc::getpeername(fd, &mut addr as *mut _ as *mut libc::sockaddr, &mut len) != 0
                || i32::from(addr.sin_family) != libc::AF_INET
            {
                continue;
            }
            let port = u16::from_be(addr.sin_port);
            if port != want_peer.port() {
                continue;
            }
            let mut flag: libc::c_int = 0;
            let mut flen = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
            if libc::getsockopt(
                fd,
                libc::IPPROTO_TCP,
                libc::TCP_NODELAY,
                &mut flag as *mut _ as *mut libc::c_void,
                &mut flen,
            ) == 0
            {
                return Some(flag != 0);
            }
        }
    }
    None
}

#[test]
fn accepted_sockets_get_tcp_nodelay_as_configured() {
    each_runtime(|rt| {
        for nodelay in [true, false] {
            let config = ServerConfig {
                nodelay,
                ..ServerConfig::default()
            };
            let server = serve_http(rt, hello, config);
            let mut client = TcpStream::connect(server.local_addr()).unwrap();
            client
                .set_read_timeout(Some(Duration::from_secs(5)))
                .unwrap();
            client
                .write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
                .unwrap();
            read_reply(&mut client).unwrap();
            assert_eq!(
                server_side_nodelay(&client),
                Some(nodelay),
                "nodelay {nodelay}"
            );
        }
    });
}

/// CPU time (user + system) process `pid` has used, in clock ticks.
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name, which is in parentheses and may hold spaces.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: u64 = fields.get(11).and_then(|v| v.parse().ok()).unwrap_or(0);
    let stime: u64 = fields.get(12).and_then(|v| v.parse().ok()).unwrap_or(0);
    utime + stime
}

#[test]
fn running_out_of_descriptors_pauses_accepting_without_spinning_and_service_resumes() {
    let _alone = alone();
    raise_fd_limit();
    each_server(&EVERY_SERVER, |server| {
        // Room for a few dozen connections, far below the bound.
        let child = spawn_child(server, App::Hello, &ServerConfig::default(), Some(64));
        assert_eq!(get(child.addr, "/").unwrap().0, 200);
        // More silent connections than the process has descriptors: accept fails.
        let silent: Vec<TcpStream> = (0..100)
            .map(|_| TcpStream::connect(child.addr).unwrap())
            .collect();
        thread::sleep(Duration::from_millis(300));
        let before = cpu_ticks(child.pid());
        thread::sleep(Duration::from_secs(1));
        let used = cpu_ticks(child.pid()) - before;
        println!("{server}: {used} ticks of CPU in 1 s while out of descriptors");
        // A loop retrying `accept` at once would use all of it (100 ticks).
        assert!(used < 30, "{used} ticks of CPU in 1 s: spinning on accept?");
        // Silent connections give their descriptors up for a client that talks.
        let started = Instant::now();
        let (status, body) = get(child.addr, "/during").unwrap();
        assert_eq!((status, &body[..]), (200, &b"hello netloom\n"[..]));
        println!(
            "{server}: served while out of descriptors after {:?}",
            started.elapsed()
        );
        drop(silent);
        thread::sleep(Duration::from_millis(200));
        for _ in 0..5 {
            assert_eq!(get(child.addr, "/after").unwrap().0, 200);
        }
    });
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

#[test]
fn a_burst_of_large_uploads_stays_within_the_body_budget() {
    let _alone = alone();
    const UPLOADS: usize = 40;
    const SIZE: usize = 15 << 20;
    // One 15 MiB XML-RPC call: `add` of a long string and 1 (a TypeError fault).
    let mut call = b"<?xml version='1.0'?>\n<methodCall><methodName>add</methodName><params><param><value><string>".to_vec();
    call.resize(call.len() + SIZE, b'x');
    call.extend_from_slice(
        b"</string></value></param><param><value><int>1</int></value></param></params></methodCall>",
    );
    let call = Arc::new(call);
    each_server(&EVERY_SERVER, |server| {
        let child = spawn_child(server, App::Calculator, &ServerConfig::default(), None);
        thread::sleep(Duration::from_millis(200));
        let idle = proc_status_bytes(child.pid(), "VmRSS");
        let addr = child.addr;
        let clients: Vec<_> = (0..UPLOADS)
            .map(|_| {
                let call = Arc::clone(&call);
                thread::spawn(move || -> io::Result<u16> {
                    let mut s = TcpStream::connect(addr)?;
                    s.set_read_timeout(Some(Duration::from_secs(60)))?;
                    let head = format!(
                        "POST /RPC2 HTTP/1.1\r\nHost: x\r\nContent-Type: text/xml\r\nContent-Length: {}\r\n\r\n",
                        call.len()
                    );
                    s.write_all(head.as_bytes())?;
                    // A refused upload is answered before its body is read; the server then
                    // closes, so the rest of the body may not go out.
                    let _ = s.write_all(&call);
                    Ok(read_reply(&mut s)?.0)
                })
            })
            .collect();
        let statuses: Vec<u16> = clients
            .into_iter()
            .map(|c| c.join().unwrap().expect("every upload is answered"))
            .collect();
        let peak = proc_status_bytes(child.pid(), "VmHWM");
        thread::sleep(Duration::from_millis(500));
        let after = proc_status_bytes(child.pid(), "VmRSS");
        let served = statuses.iter().filter(|&&s| s == 200).count();
        let refused = statuses.iter().filter(|&&s| s == 503).count();
        println!(
            "{server}: {UPLOADS} concurrent 15 MiB uploads: {served} served, {refused} refused \
             (503); RSS {:.0} MiB idle, peak {:.0} MiB, {:.0} MiB after",
            idle as f64 / 1048576.0,
            peak as f64 / 1048576.0,
            after as f64 / 1048576.0
        );
        assert_eq!(served + refused, UPLOADS, "statuses {statuses:?}");
        assert!(served > 0, "nothing was served");
        assert!(peak < 300 << 20, "peak RSS {peak} bytes");
    });
}

/// A body that produces one byte every 250 ms, ten times: 2.5 s in all.
struct Trickle(usize);

impl Read for Trickle {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.0 == 0 || buf.is_empty() {
            return Ok(0);
        }
        thread::sleep(Duration::from_millis(250));
        self.0 -= 1;
        buf[0] = b'0' + self.0 as u8;
        Ok(1)
    }
}

#[test]
fn a_streamed_body_goes_out_as_it_is_produced() {
    each_runtime(|rt| {
        for handler_threads in [0, 4] {
            let config = ServerConfig {
                handler_threads,
                ..ServerConfig::default()
            };
            let server = serve_http(
                rt,
                |_: IncomingRequest| OutgoingResponse {
                    head: Response::new(200),
                    body: Body::Stream(Box::new(Trickle(10))),
                },
                config,
            );
            let mut s = TcpStream::connect(server.local_addr()).unwrap();
            // A client that gives up after 500 ms of silence, as many do.
            s.set_read_timeout(Some(Duration::from_millis(500)))
                .unwrap();
            s.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
            let mut got = Vec::new();
            let mut chunk = [0u8; 1024];
            let started = Instant::now();
            while !got.ends_with(b"0\r\n\r\n") {
                match s.read(&mut chunk) {
                    Ok(0) => break,
                    Ok(n) => got.extend_from_slice(&chunk[..n]),
                    Err(e) => panic!(
                        "handler_threads {handler_threads}: nothing for 1.2 s after {:?} \
                         ({e}); got {:?}",
                        started.elapsed(),
                        String::from_utf8_lossy(&got)
                    ),
                }
            }
            let text = String::from_utf8_lossy(&got);
            assert!(text.starts_with("HTTP/1.1 200 OK\r\n"), "{text}");
            for digit in ["9", "8", "7", "6", "5", "4", "3", "2", "1", "0"] {
                assert!(text.contains(&format!("\r\n1\r\n{digit}\r\n")), "{text}");
            }
        }
    });
}

/// The tokio example with `flags`.
fn tokio_server(flags: &[&str]) -> ChildServer {
    let mut child = Command::new(tokio_example())
        .args(["--port", "0"])
        .args(flags)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let line = lines.next().expect("the example printed nothing").unwrap();
    let addr = line
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("{line:?}"))
        .parse()
        .unwrap();
    thread::spawn(move || lines.for_each(drop));
    ChildServer { child, addr }
}

/// Whether the peer closes `s` within `limit` (end of stream or a reset).
fn closed_within(s: &mut TcpStream, limit: Duration) -> bool {
    s.set_read_timeout(Some(limit)).unwrap();
    let mut b = [0u8; 1024];
    loop {
        match s.read(&mut b) {
            Ok(0) => return true,
            Ok(_) => {}
            Err(e) => {
                return !matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                )
            }
        }
    }
}

#[test]
fn the_tokio_example_keeps_connections_alive_and_answers_pipelined_requests_in_order() {
    let server = tokio_server(&[]);
    let mut s = TcpStream::connect(server.addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(
        b"GET /1 HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.1\r\nHost: x\r\n\r\nGET /3 HTTP/1.1\r\nHost: x\r\n\r\n",
    )
    .unwrap();
    // All three answers, in order, on the one connection.
    let mut got = Vec::new();
    let mut chunk = [0u8; 4096];
    while got.windows(14).filter(|w| w == b"hello netloom\n").count() < 3 {
        let n = s.read(&mut chunk).unwrap();
        assert!(n > 0, "closed after {:?}", String::from_utf8_lossy(&got));
        got.extend_from_slice(&chunk[..n]);
    }
    assert_eq!(
        String::from_utf8_lossy(&got)
            .matches("HTTP/1.1 200 OK")
            .count(),
        3
    );
    // Still open for more.
    s.write_all(b"GET /4 HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    assert_eq!(read_reply(&mut s).unwrap().0, 200);
}

#[test]
fn the_tokio_example_cuts_off_slowloris_and_idle_connections() {
    let server = tokio_server(&["--request-timeout-ms", "400", "--idle-timeout-ms", "600"]);
    // A head trickled a byte every 100 ms: every byte is activity, yet the request
    // deadline holds.
    let mut slow = TcpStream::connect(server.addr).unwrap();
    let started = Instant::now();
    for b in b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: yes" {
        if slow.write_all(&[*b]).is_err() {
            break;
        }
        thread::sleep(Duration::from_millis(100));
        if started.elapsed() > Duration::from_secs(2) {
            break;
        }
    }
    assert!(
        closed_within(&mut slow, Duration::from_secs(2)),
        "slowloris held"
    );
    assert!(started.elapsed() < Duration::from_secs(3));
    // A served keep-alive connection that then says nothing is closed at the idle timeout.
    let mut idle = TcpStream::connect(server.addr).unwrap();
    idle.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    idle.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    assert_eq!(read_reply(&mut idle).unwrap().0, 200);
    let started = Instant::now();
    assert!(
        closed_within(&mut idle, Duration::from_secs(3)),
        "idle held"
    );
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(500),
        "closed after only {waited:?}"
    );
    // Others are served throughout.
    assert_eq!(get(server.addr, "/").unwrap().0, 200);
}

#[test]
fn the_tokio_example_cuts_off_a_client_that_never_reads() {
    let server = tokio_server(&["--write-timeout-ms", "500"]);
    let mut hog = TcpStream::connect(server.addr).unwrap();
    // Far more answers than socket buffers hold, never read.
    let batch = "GET / HTTP/1.1\r\nHost: x\r\n\r\n".repeat(1000);
    hog.set_write_timeout(Some(Duration::from_secs(5))).unwrap();
    for _ in 0..200 {
        if hog.write_all(batch.as_bytes()).is_err() {
            break; // the server stopped reading, then gave up on us
        }
    }
    // Meanwhile a good client is served.
    assert_eq!(get(server.addr, "/").unwrap().0, 200);
    thread::sleep(Duration::from_secs(1));
    hog.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut got = 0usize;
    let mut chunk = vec![0u8; 64 * 1024];
    loop {
        match hog.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::ConnectionReset => break,
            Err(e) => panic!("the hog is still connected after {got} bytes: {e}"),
        }
    }
    assert!(got < 200 * 1000 * 80 / 2, "the hog was served {got} bytes");
}

#[test]
fn the_tokio_example_shuts_down_gracefully_on_ctrl_c() {
    let mut server = tokio_server(&[]);
    let mut idle = TcpStream::connect(server.addr).unwrap();
    idle.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    idle.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    assert_eq!(read_reply(&mut idle).unwrap().0, 200);
    // A request part-way in when the signal comes is still answered.
    let mut busy = TcpStream::connect(server.addr).unwrap();
    busy.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    busy.write_all(b"GET /late HTTP/1.1\r\nHost:").unwrap();
    thread::sleep(Duration::from_millis(100));
    // SAFETY: kill only sends a signal, to the child this test started.
    unsafe {
        libc::kill(server.pid() as i32, libc::SIGINT);
    }
    assert!(
        closed_within(&mut idle, Duration::from_secs(2)),
        "idle kept"
    );
    thread::sleep(Duration::from_millis(100));
    busy.write_all(b" x\r\n\r\n").unwrap();
    assert_eq!(read_reply(&mut busy).unwrap().0, 200);
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        if let Some(status) = server.child.try_wait().unwrap() {
            assert!(status.success(), "{status}");
            break;
        }
        assert!(Instant::now() < deadline, "the example did not exit");
        thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn the_tokio_example_serves_the_calculator_to_cpython() {
    let server = tokio_server(&["--xmlrpc"]);
    let out = Command::new("python3")
        .arg("-c")
        .arg(
            "import sys, xmlrpc.client as x\n\
             p = x.ServerProxy(sys.argv[1])\n\
             m = x.MultiCall(p)\n\
             m.add(7, 3); m.subtract(7, 3); m.multiply(7, 3); m.divide(-7, 2)\n\
             print(list(m()))\n\
             try:\n    p.divide(1, 0)\nexcept x.Fault as f:\n    print(f.faultString)\n",
        )
        .arg(format!("http://{}/RPC2", server.addr))
        .output()
        .expect("python3 runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        text,
        "[10, 4, 21, -4]\n<class 'ZeroDivisionError'>:integer division or modulo by zero\n"
    );
}

/// The tokio example, TLS from core alone: curl, CPython's ServerProxy and a plaintext
/// client against it.
#[test]
fn tokio_example_serves_tls_from_core_alone() {
    let pki = common::pki::pki();
    for xmlrpc in [false, true] {
        let mut cmd = Command::new(tokio_example());
        cmd.args(["--port", "0", "--tls-cert"])
            .arg(&pki.server.cert)
            .arg("--tls-key")
            .arg(&pki.server.key);
        if xmlrpc {
            cmd.arg("--xmlrpc");
        }
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let line = lines.next().expect("it says where it listens").unwrap();
        let addr: SocketAddr = line.trim_start_matches("listening on ").parse().unwrap();
        let server = ChildServer { child, addr };
        let url = format!("https://localhost:{}/", server.addr.port());
        if xmlrpc {
            let script = "import ssl, sys, xmlrpc.client\n\
                ctx = ssl.create_default_context(cafile=sys.argv[1])\n\
                print(xmlrpc.client.ServerProxy(sys.argv[2], context=ctx).add(40, 2))";
            let out = Command::new("python3")
                .args(["-c", script])
                .arg(&pki.ca)
                .arg(&url)
                .output()
                .unwrap();
            assert_eq!(
                String::from_utf8_lossy(&out.stdout).trim(),
                "42",
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
        } else {
            let out = Command::new("curl")
                .args(["-sS", "--cacert"])
                .arg(&pki.ca)
                .arg(&url)
                .output()
                .unwrap();
            assert_eq!(
                String::from_utf8_lossy(&out.stdout),
                "hello netloom\n",
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            let mut s = TcpStream::connect(server.addr).unwrap();
            s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
            s.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
            let mut got = String::new();
            let _ = s.read_to_string(&mut got);
            assert!(got.starts_with("HTTP/1.1 400"), "{got}");
        }
    }
}
