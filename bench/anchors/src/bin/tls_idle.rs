//! Memory per idle connection: opens N connections to 127.0.0.1:PORT (TLS by default: each
//! handshake completed, and with `--request` one GET answered), holds them all idle, and
//! reports how much the server's resident memory grew per connection.
//!
//! ```text
//! tls-idle --port P --pid SERVER_PID [--conns 10000] [--cacert CA.pem | --plain]
//!          [--request PATH] [--settle 2] [--deadline 300]
//! ```
//!
//! The server's `VmRSS` (from `/proc/PID/status`) is read before the first connection and
//! again `--settle` seconds after the last one is open; then every connection is checked to
//! be still open (so the server held them all while it was measured) and dropped. One line
//! of results on stdout, starting `idle:`; a failure exits non-zero with a message.

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rustls::pki_types::ServerName;
use rustls::{ClientConfig, ClientConnection, RootCertStore};

struct Opts {
    port: u16,
    pid: u32,
    conns: usize,
    cacert: Option<String>,
    request: Option<String>,
    settle: f64,
    deadline: f64,
}

fn usage(why: &str) -> ! {
    eprintln!(
        "tls-idle: {why}\nusage: tls-idle --port P --pid SERVER_PID [--conns N] \
         [--cacert CA.pem | --plain] [--request PATH] [--settle SECS] [--deadline SECS]"
    );
    std::process::exit(2);
}

fn parse() -> Opts {
    let mut o = Opts {
        port: 0,
        pid: 0,
        conns: 10_000,
        cacert: None,
        request: None,
        settle: 2.0,
        deadline: 300.0,
    };
    let mut plain = false;
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        if flag == "--plain" {
            plain = true;
            continue;
        }
        let Some(v) = args.next() else {
            usage(&format!("{flag} needs a value"))
        };
        let num = |v: &str| -> f64 { v.parse().unwrap_or_else(|_| usage(&format!("{flag} {v}"))) };
        match flag.as_str() {
            "--port" => o.port = num(&v) as u16,
            "--pid" => o.pid = num(&v) as u32,
            "--conns" => o.conns = num(&v) as usize,
            "--cacert" => o.cacert = Some(v),
            "--request" => o.request = Some(v),
            "--settle" => o.settle = num(&v),
            "--deadline" => o.deadline = num(&v),
            _ => usage(&format!("unknown flag {flag}")),
        }
    }
    if o.port == 0 || o.pid == 0 {
        usage("--port and --pid are required");
    }
    if plain == o.cacert.is_some() {
        usage("give exactly one of --cacert CA.pem (TLS) and --plain");
    }
    o
}

/// `VmRSS` of `pid` in KiB.
fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_else(|e| fail(&format!("reading the server's /proc/{pid}/status: {e}")));
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or_else(|| fail("no VmRSS in the server's status"))
}

fn fail(why: &str) -> ! {
    eprintln!("tls-idle: {why}");
    std::process::exit(1);
}

enum Conn {
    Plain(TcpStream),
    Tls(Box<rustls::StreamOwned<ClientConnection, TcpStream>>),
}

impl Conn {
    fn stream(&mut self) -> &mut dyn ReadWrite {
        match self {
            Conn::Plain(s) => s,
            Conn::Tls(s) => s.as_mut(),
        }
    }

    fn tcp(&self) -> &TcpStream {
        match self {
            Conn::Plain(s) => s,
            Conn::Tls(s) => &s.sock,
        }
    }

    /// Whether the server still holds the connection: reads (without blocking) whatever is
    /// waiting, TLS 1.3 session tickets included, and looks for the end of the stream.
    fn is_open(&mut self) -> bool {
        if self.tcp().set_nonblocking(true).is_err() {
            return false;
        }
        match self {
            Conn::Plain(s) => {
                let mut buf = [0u8; 4096];
                loop {
                    match s.read(&mut buf) {
                        Ok(0) => return false,
                        Ok(_) => continue,
                        Err(e) if e.kind() == ErrorKind::WouldBlock => return true,
                        Err(_) => return false,
                    }
                }
            }
            Conn::Tls(s) => loop {
                match s.conn.read_tls(&mut s.sock) {
                    Ok(0) => return false,
                    Ok(_) => {
                        if s.conn.process_new_packets().is_err() {
                            return false;
                        }
                        // An alert (close_notify) from the server also ends it.
                        let mut buf = [0u8; 4096];
                        match s.conn.reader().read(&mut buf) {
                            Ok(0) => return false,
                            Ok(_) => continue,
                            Err(e) if e.kind() == ErrorKind::WouldBlock => continue,
                            Err(_) => return false,
                        }
                    }
                    Err(e) if e.kind() == ErrorKind::WouldBlock => return true,
                    Err(_) => return false,
                }
            },
        }
    }
}

trait ReadWrite: Read + Write {}
impl<T: Read + Write> ReadWrite for T {}

/// Sends `GET path` and reads its whole answer (its head and `Content-Length` bytes).
fn one_request(io: &mut dyn ReadWrite, path: &str) -> Result<(), String> {
    let req = format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    io.write_all(req.as_bytes())
        .and_then(|_| io.flush())
        .map_err(|e| format!("sending the request: {e}"))?;
    let mut got = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        let n = io
            .read(&mut buf)
            .map_err(|e| format!("reading the answer: {e}"))?;
        if n == 0 {
            return Err("the server closed before answering".into());
        }
        got.extend_from_slice(&buf[..n]);
        let Some(end) = got.windows(4).position(|w| w == b"\r\n\r\n") else {
            continue;
        };
        let head = String::from_utf8_lossy(&got[..end]).to_ascii_lowercase();
        if !head.starts_with("http/1.1 200") {
            return Err(format!("answer: {}", head.lines().next().unwrap_or("")));
        }
        let len: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .and_then(|v| v.trim().parse().ok())
            .ok_or("the answer has no Content-Length")?;
        if got.len() >= end + 4 + len {
            return Ok(());
        }
    }
}

fn main() {
    let o = parse();
    let tls = o.cacert.as_deref().map(|ca| {
        let mut roots = RootCertStore::empty();
        for cert in netloom_bench_anchors::read_certs(ca) {
            roots
                .add(cert)
                .unwrap_or_else(|e| fail(&format!("{ca}: {e}")));
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("protocol versions")
            .with_root_certificates(roots)
            .with_no_client_auth();
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Arc::new(config)
    });
    let name = ServerName::try_from("127.0.0.1").expect("an IP address is a server name");
    let deadline = Instant::now() + Duration::from_secs_f64(o.deadline);
    let before = rss_kib(o.pid);
    let started = Instant::now();
    let mut conns = Vec::with_capacity(o.conns);
    for i in 0..o.conns {
        if Instant::now() > deadline {
            fail(&format!("deadline passed after {i} connections"));
        }
        let what = |e: &dyn std::fmt::Display| format!("connection {}: {e}", i + 1);
        let tcp = TcpStream::connect(("127.0.0.1", o.port)).unwrap_or_else(|e| fail(&what(&e)));
        let _ = tcp.set_nodelay(true);
        tcp.set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap_or_else(|e| fail(&what(&e)));
        let mut conn = match &tls {
            None => Conn::Plain(tcp),
            Some(config) => {
                let client = ClientConnection::new(config.clone(), name.clone())
                    .unwrap_or_else(|e| fail(&what(&e)));
                let mut s = rustls::StreamOwned::new(client, tcp);
                while s.conn.is_handshaking() {
                    s.conn
                        .complete_io(&mut s.sock)
                        .unwrap_or_else(|e| fail(&what(&format!("handshake: {e}"))));
                }
                Conn::Tls(Box::new(s))
            }
        };
        if let Some(path) = &o.request {
            one_request(conn.stream(), path).unwrap_or_else(|e| fail(&what(&e)));
        }
        conns.push(conn);
    }
    let opened = started.elapsed().as_secs_f64();
    std::thread::sleep(Duration::from_secs_f64(o.settle));
    let after = rss_kib(o.pid);
    let alive = conns
        .iter_mut()
        .map(Conn::is_open)
        .filter(|&open| open)
        .count();
    let n = o.conns.max(1) as f64;
    println!(
        "idle: {} {} connections{}: server VmRSS {before} KiB before, {after} KiB after: \
         {:.1} KiB per connection; {alive}/{} still open after; opened in {opened:.1} s",
        o.conns,
        if tls.is_some() { "TLS" } else { "plaintext" },
        match &o.request {
            Some(p) => format!(" (each after one GET {p})"),
            None if tls.is_some() => " (each after its handshake)".to_string(),
            None => String::new(),
        },
        (after as f64 - before as f64) / n,
        o.conns,
    );
    if alive != o.conns {
        fail(&format!(
            "the server closed {} connections during the measurement",
            o.conns - alive
        ));
    }
}
