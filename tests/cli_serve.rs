//! The server subcommands run as a person runs them: `http serve` in both its forms, the
//! access log, HTML error pages, Ctrl-C draining, and the limit flags of every server.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, ChildStdout, Command, Output, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use common::temp_dir;

const RUNTIMES: [&str; 3] = ["std", "mio", "smol"];

fn netloom() -> Command {
    Command::new(env!("CARGO_BIN_EXE_netloom"))
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A server process, killed on drop (unless it already exited).
struct Server {
    child: Child,
    out: BufReader<ChildStdout>,
    /// Its stderr lines, read on a thread so that a missing line times out.
    err: std::sync::mpsc::Receiver<String>,
    port: u16,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// Starts `netloom ARGS` (asking for port 0) and reads the port from its first line.
    fn start(args: &[&str]) -> Server {
        let mut child = netloom()
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn server");
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let (tx, err) = std::sync::mpsc::channel();
        let mut stderr = BufReader::new(child.stderr.take().unwrap());
        std::thread::spawn(move || loop {
            let mut line = String::new();
            match stderr.read_line(&mut line) {
                Ok(0) | Err(_) => return,
                Ok(_) => {
                    if tx.send(line).is_err() {
                        return;
                    }
                }
            }
        });
        let mut line = String::new();
        out.read_line(&mut line).unwrap();
        let port = port_in(&line).unwrap_or_else(|| panic!("no port in {line:?}"));
        Server {
            child,
            out,
            err,
            port,
        }
    }

    fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    fn line(&mut self) -> String {
        let mut line = String::new();
        self.out.read_line(&mut line).unwrap();
        line
    }

    fn log_line(&mut self) -> String {
        self.err
            .recv_timeout(Duration::from_secs(10))
            .expect("a line on stderr within 10 s")
    }

    fn signal(&self, name: &str) {
        let ok = Command::new("kill")
            .args([&format!("-{name}"), &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(ok.success());
    }

    /// Waits (bounded) for the process to exit.
    fn wait(&mut self, within: Duration) -> std::process::ExitStatus {
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(start.elapsed() < within, "the server did not stop");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// The port in a server's first line: "... port N (...", "Listening at H:N", "http://H:N/".
fn port_in(line: &str) -> Option<u16> {
    if let Some(rest) = line.split(" port ").nth(1) {
        return rest.split(' ').next()?.parse().ok();
    }
    if let Some(rest) = line.strip_prefix("Listening at ") {
        return rest.trim().rsplit(':').next()?.parse().ok();
    }
    let rest = line
        .split("http://")
        .nth(1)
        .or_else(|| line.split("https://").nth(1))?;
    rest.split('/').next()?.rsplit(':').next()?.parse().ok()
}

/// Sends `request` and reads the answer until the server closes (bounded by a timeout).
fn exchange(addr: &str, request: &[u8]) -> Vec<u8> {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(request).unwrap();
    let mut got = Vec::new();
    let _ = s.read_to_end(&mut got);
    got
}

fn get(addr: &str, target: &str) -> String {
    text(&exchange(
        addr,
        format!("GET {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes(),
    ))
}

#[test]
fn http_serve_takes_pythons_form_and_the_older_one() {
    let dir = temp_dir("cli-serve-forms");
    std::fs::write(dir.join("hello.txt"), "hi there\n").unwrap();
    let d = dir.to_str().unwrap();
    for rt in RUNTIMES {
        for args in [
            vec!["http", "serve", "0", "-d", d, "--runtime", rt],
            vec!["--runtime", rt, "http", "serve", d, "-p", "0"],
            vec![
                "http",
                "serve",
                "--directory",
                d,
                "--port",
                "0",
                "--bind",
                "127.0.0.1",
            ],
        ] {
            let mut server = Server::start(&args);
            let got = get(&server.addr(), "/hello.txt");
            assert!(
                got.starts_with("HTTP/1.1 200 OK\r\n"),
                "{rt} {args:?}: {got}"
            );
            assert!(got.ends_with("\r\n\r\nhi there\n"), "{got}");
            // 127.0.0.1 - - [02/Jan/2024 03:04:05] "GET /hello.txt HTTP/1.1" 200 -
            let log = server.log_line();
            assert!(log.starts_with("127.0.0.1 - - ["), "{log:?}");
            assert!(
                log.ends_with("] \"GET /hello.txt HTTP/1.1\" 200 -\n"),
                "{log:?}"
            );
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn errors_are_pythons_html_pages_and_the_log_escapes_the_request_line() {
    let dir = temp_dir("cli-serve-errors");
    for rt in RUNTIMES {
        let mut server = Server::start(&[
            "http",
            "serve",
            "0",
            "-d",
            dir.to_str().unwrap(),
            "--runtime",
            rt,
        ]);
        let got = get(&server.addr(), "/missing");
        assert!(got.starts_with("HTTP/1.1 404 Not Found\r\n"), "{rt}: {got}");
        assert!(
            got.contains("Content-Type: text/html;charset=utf-8\r\n"),
            "{got}"
        );
        assert!(got.contains("<title>Error response</title>"), "{got}");
        assert!(got.contains("<p>Error code: 404</p>"), "{got}");
        assert!(got.contains("<p>Message: File not found.</p>"), "{got}");
        assert!(got.contains("<p>Error code explanation: 404 - Nothing matches the given URI.</p>"));
        let _ = server.log_line();
        let got = text(&exchange(
            &server.addr(),
            b"DELETE /x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        ));
        assert!(got.starts_with("HTTP/1.1 501 "), "{got}");
        assert!(got.contains("<p>Error code: 501</p>"), "{got}");
        assert!(
            got.contains("Allow: GET, HEAD\r\n"),
            "fields are kept: {got}"
        );
        let _ = server.log_line();
        // A request target with bytes a terminal would act on: refused (400) by the
        // connection itself, and logged escaped all the same.
        let got = text(&exchange(
            &server.addr(),
            b"GET /\xc2\x9b2J HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        ));
        assert!(got.starts_with("HTTP/1.1 400 "), "{rt}: {got}");
        let log = server.log_line();
        assert!(
            log.contains("\"GET /\\x9b2J HTTP/1.1\" 400 -"),
            "{rt}: {log:?}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn ctrl_c_drains_requests_in_flight_and_says_so() {
    let dir = temp_dir("cli-serve-drain");
    let size = 32usize << 20;
    std::fs::write(dir.join("big.bin"), vec![b'x'; size]).unwrap();
    for rt in RUNTIMES {
        let mut server = Server::start(&[
            "http",
            "serve",
            "0",
            "-d",
            dir.to_str().unwrap(),
            "--shutdown-grace",
            "5",
            "--runtime",
            rt,
        ]);
        let mut s = TcpStream::connect(server.addr()).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        s.write_all(b"GET /big.bin HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .unwrap();
        let mut first = vec![0u8; 64 * 1024];
        s.read_exact(&mut first).unwrap();
        server.signal("INT");
        let said = server.line();
        assert!(
            said.contains("Ctrl-C received: no new connections; 1 request(s) in flight get up to 5s to finish"),
            "{rt}: {said:?}"
        );
        // The response in flight completes.
        let mut rest = Vec::new();
        s.read_to_end(&mut rest).unwrap();
        let whole = [first, rest].concat();
        let head_end = whole.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
        assert_eq!(whole.len() - head_end, size, "{rt}: the whole body arrived");
        let status = server.wait(Duration::from_secs(10));
        assert!(status.success(), "{rt}: {status:?}");
        assert_eq!(server.line(), "Stopped.\n", "{rt}");
        assert!(
            TcpStream::connect(server.addr()).is_err(),
            "{rt}: no longer listening"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn every_server_stops_on_sigterm() {
    for args in [
        &["tcp", "server", "127.0.0.1", "-p", "0"][..],
        &["banner", "server", "127.0.0.1", "-p", "0"],
        &["xmlrpc", "serve", "-p", "0"],
    ] {
        for rt in RUNTIMES {
            let mut server = Server::start(&[args, &["--runtime", rt]].concat());
            server.signal("TERM");
            assert!(server
                .line()
                .starts_with("SIGTERM received: no new connections"));
            assert!(
                server.wait(Duration::from_secs(10)).success(),
                "{args:?} {rt}"
            );
        }
    }
}

#[test]
fn http_limit_flags_take_effect() {
    let dir = temp_dir("cli-serve-limits");
    std::fs::write(dir.join("f"), "f\n").unwrap();
    let d = dir.to_str().unwrap();
    for rt in RUNTIMES {
        let server = Server::start(&[
            "http",
            "serve",
            "0",
            "-d",
            d,
            "--max-head-bytes",
            "1K",
            "--max-uri-bytes",
            "100",
            "--max-headers",
            "5",
            "--runtime",
            rt,
        ]);
        let big = format!(
            "GET /f HTTP/1.1\r\nHost: x\r\nX: {}\r\n\r\n",
            "a".repeat(2000)
        );
        let got = text(&exchange(&server.addr(), big.as_bytes()));
        assert!(got.starts_with("HTTP/1.1 431 "), "{rt}: {got}");
        let long = format!("GET /{} HTTP/1.1\r\nHost: x\r\n\r\n", "a".repeat(200));
        let got = text(&exchange(&server.addr(), long.as_bytes()));
        assert!(got.starts_with("HTTP/1.1 414 "), "{rt}: {got}");
        let many = format!("GET /f HTTP/1.1\r\nHost: x\r\n{}\r\n", "A: 1\r\n".repeat(6));
        let got = text(&exchange(&server.addr(), many.as_bytes()));
        assert!(got.starts_with("HTTP/1.1 431 "), "{rt}: {got}");
        assert!(
            get(&server.addr(), "/f").starts_with("HTTP/1.1 200 OK"),
            "{rt}: still serving"
        );
    }
    for rt in RUNTIMES {
        let server = Server::start(&[
            "xmlrpc",
            "serve",
            "-p",
            "0",
            "--max-body-bytes",
            "100",
            "--runtime",
            rt,
        ]);
        let body = format!(
            "<?xml version='1.0'?><methodCall><methodName>add</methodName><params>{}</params></methodCall>",
            "<param><value><int>1</int></value></param>".repeat(5)
        );
        let req = format!(
            "POST /RPC2 HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        let got = text(&exchange(&server.addr(), req.as_bytes()));
        assert!(got.starts_with("HTTP/1.1 413 "), "{rt}: {got}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// How long until the server closes a connection that sent `bytes` and then nothing.
fn closed_after(addr: &str, bytes: &[u8]) -> Duration {
    let start = Instant::now();
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(bytes).unwrap();
    let mut sink = Vec::new();
    let _ = s.read_to_end(&mut sink);
    start.elapsed()
}

#[test]
fn timeout_flags_take_effect_on_every_server() {
    let dir = temp_dir("cli-serve-timeouts");
    let d = dir.to_str().unwrap();
    for rt in RUNTIMES {
        let server = Server::start(&[
            "http",
            "serve",
            "0",
            "-d",
            d,
            "--idle-timeout",
            "300ms",
            "--request-timeout",
            "600ms",
            "--runtime",
            rt,
        ]);
        let idle = closed_after(&server.addr(), b"");
        assert!(
            idle < Duration::from_secs(5),
            "{rt}: idle connection kept {idle:?}"
        );
        // A head trickling in never completes: the request timeout ends it.
        let slow = closed_after(&server.addr(), b"GET / HTTP/1.1\r\nHost:");
        assert!(
            slow < Duration::from_secs(5),
            "{rt}: partial head kept {slow:?}"
        );

        let tcp = Server::start(&[
            "tcp",
            "server",
            "127.0.0.1",
            "-p",
            "0",
            "--idle-timeout",
            "300ms",
            "--runtime",
            rt,
        ]);
        let idle = closed_after(&tcp.addr(), b"Hi");
        assert!(
            idle < Duration::from_secs(5),
            "{rt}: tcp idle connection kept {idle:?}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn max_connections_makes_the_next_client_wait() {
    let dir = temp_dir("cli-serve-maxconn");
    std::fs::write(dir.join("f"), "f\n").unwrap();
    for rt in RUNTIMES {
        let server = Server::start(&[
            "http",
            "serve",
            "0",
            "-d",
            dir.to_str().unwrap(),
            "--max-connections",
            "1",
            "--runtime",
            rt,
        ]);
        // The first connection is part-way through a request: busy, it keeps its place.
        let mut first = TcpStream::connect(server.addr()).unwrap();
        first.write_all(b"GET /f HTTP/1.1\r\nHost: x\r\n").unwrap();
        let mut buf = [0u8; 256];
        first
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        thread::sleep(Duration::from_millis(100));
        let mut second = TcpStream::connect(server.addr()).unwrap();
        second
            .write_all(b"GET /f HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .unwrap();
        second
            .set_read_timeout(Some(Duration::from_millis(400)))
            .unwrap();
        assert!(
            second.read(&mut buf).is_err(),
            "{rt}: served past --max-connections 1"
        );
        // Answered, the first is idle and gives way to the second.
        first.write_all(b"\r\n").unwrap();
        assert!(first.read(&mut buf).unwrap() > 0, "{rt}: first answered");
        second
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let mut got = Vec::new();
        let _ = second.read_to_end(&mut got);
        assert!(got.starts_with(b"HTTP/1.1 200 OK"), "{rt}: {}", text(&got));
    }
    let _ = std::fs::remove_dir_all(&dir);
}

fn run(args: &[&str]) -> Output {
    netloom().args(args).output().unwrap()
}

#[test]
fn help_shows_the_library_defaults_and_does_nothing_else() {
    for args in [
        &["tcp", "--help"][..],
        &["banner", "--help"],
        &["http", "serve", "--help"],
        &["xmlrpc", "serve", "--help"],
    ] {
        let o = run(args);
        assert!(o.status.success(), "{args:?}");
        let help = text(&o.stdout);
        for want in [
            "--max-connections <N>",
            "[default: 1024]",
            "--idle-timeout <SECS>",
            "[default: 60s]",
            "--request-timeout <SECS>",
            "[default: 30s]",
            "--write-timeout <SECS>",
            "--write-window <BYTES>",
            "[default: 256K]",
            "--shutdown-grace <SECS>",
            "[default: 10s]",
            "--event-loops <N>",
            "Examples:",
        ] {
            assert!(help.contains(want), "{args:?} lacks {want:?}:\n{help}");
        }
        if args[0] == "http" || args[0] == "xmlrpc" {
            for want in [
                "--max-head-bytes",
                "[default: 16K]",
                "--max-body-bytes",
                "[default: 16M for `http serve`, 32M",
                "--max-headers",
                "[default: 100]",
                "--max-uri-bytes",
                "[default: 8K]",
            ] {
                assert!(help.contains(want), "{args:?} lacks {want:?}:\n{help}");
            }
        }
    }
    for args in [
        &["--help"][..],
        &["get", "--help"],
        &["xmlrpc", "call", "--help"],
        &["xmlrpc", "multicall", "--help"],
        &["demo", "--help"],
    ] {
        let o = run(args);
        assert!(o.status.success(), "{args:?}");
        let help = text(&o.stdout);
        assert!(help.contains("Usage: netloom"), "{args:?}: {help}");
        assert!(!help.contains("=== runtime"), "{args:?} ran the demo");
    }
    let help = text(&run(&["get", "--help"]).stdout);
    for flag in [
        "-o, --output",
        "-O, --remote-name",
        "-i, --include",
        "-I, --head",
        "-X, --request",
        "-d, --data",
        "--data-binary",
        "-H, --header",
        "-u, --user",
        "-C, --continue-at",
        "-s, --silent",
        "--connect-timeout",
        "--read-timeout",
        "--runtime",
    ] {
        assert!(help.contains(flag), "get --help lacks {flag}:\n{help}");
    }
}

#[test]
fn runtime_goes_before_or_after_the_subcommand() {
    let dir = temp_dir("cli-serve-runtime");
    std::fs::write(dir.join("f"), "f\n").unwrap();
    let server = Server::start(&[
        "--runtime",
        "smol",
        "http",
        "serve",
        "0",
        "-d",
        dir.to_str().unwrap(),
    ]);
    let url = format!("http://{}/f", server.addr());
    for args in [
        vec!["--runtime", "mio", "get", &url],
        vec!["get", &url, "--runtime", "smol"],
        vec!["get", "--runtime", "std", &url],
    ] {
        let o = run(&args);
        assert!(o.status.success(), "{args:?}: {}", text(&o.stderr));
        assert_eq!(text(&o.stdout), "f\n");
    }
    let o = run(&["--runtime", "tokio", "get", &url]);
    assert!(!o.status.success());
    assert!(
        text(&o.stderr).contains("possible values: std, mio, smol"),
        "{}",
        text(&o.stderr)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn every_client_words_a_refused_connection_the_same() {
    let port = common::free_port();
    let p = port.to_string();
    let url = format!("http://127.0.0.1:{port}/");
    let want = format!("netloom: connecting to 127.0.0.1:{port}: connection refused\n");
    for rt in RUNTIMES {
        for args in [
            vec!["tcp", "client", "127.0.0.1", "-p", &p],
            vec!["banner", "client", "127.0.0.1", "-p", &p],
            vec!["get", &url],
            vec!["get", &url, "-o", "/tmp/never-written"],
            vec!["xmlrpc", "call", &url, "add", "1", "2"],
            vec!["xmlrpc", "list", &url],
            vec!["xmlrpc", "multicall", &url, "add 1 2"],
        ] {
            let o = run(&[&args[..], &["--runtime", rt]].concat());
            assert!(!o.status.success());
            assert_eq!(text(&o.stderr), want, "{rt} {args:?}");
        }
    }
    assert!(!std::path::Path::new("/tmp/never-written").exists());
}

/// Starts `netloom ARGS` and waits for its first line (it names the Unix socket).
fn start_unix(args: &[&str]) -> (Child, String) {
    let mut child = netloom()
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn server");
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    // Keep reading what it prints, so that its log lines never meet a closed pipe.
    thread::spawn(move || {
        let mut sink = Vec::new();
        let _ = out.read_to_end(&mut sink);
    });
    (child, line)
}

fn sigint_and_wait(child: &mut Child) {
    let ok = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(ok.success());
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        assert!(start.elapsed() < Duration::from_secs(10), "did not stop");
        thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn every_server_listens_on_a_unix_socket_and_removes_it_when_it_stops() {
    let dir = temp_dir("cli-serve-unix");
    std::fs::write(dir.join("f.txt"), "via unix\n").unwrap();
    for rt in RUNTIMES {
        // http serve, fetched by curl.
        let sock = dir.join(format!("http-{rt}.sock"));
        let (mut child, line) = start_unix(&[
            "http",
            "serve",
            "-d",
            dir.to_str().unwrap(),
            "--unix",
            sock.to_str().unwrap(),
            "--runtime",
            rt,
        ]);
        assert!(line.contains("unix socket"), "{rt}: {line}");
        let out = Command::new("curl")
            .args(["-s", "--max-time", "10", "--unix-socket"])
            .arg(&sock)
            .arg("http://localhost/f.txt")
            .output()
            .unwrap();
        assert_eq!(text(&out.stdout), "via unix\n", "{rt}");
        // A second server on the same live socket is refused, and the first keeps it.
        let second = run(&["http", "serve", "--unix", sock.to_str().unwrap()]);
        assert!(!second.status.success());
        assert!(
            text(&second.stderr).contains("already"),
            "{}",
            text(&second.stderr)
        );
        sigint_and_wait(&mut child);
        assert!(!sock.exists(), "{rt}: socket file left behind");

        // xmlrpc serve, called by our client through the socket.
        let sock = dir.join(format!("rpc-{rt}.sock"));
        let (mut child, _) = start_unix(&[
            "xmlrpc",
            "serve",
            "--unix",
            sock.to_str().unwrap(),
            "--runtime",
            rt,
        ]);
        let out = run(&[
            "xmlrpc",
            "call",
            "--unix-socket",
            sock.to_str().unwrap(),
            "http://localhost/RPC2",
            "add",
            "40",
            "2",
            "--runtime",
            rt,
        ]);
        assert_eq!(
            text(&out.stdout).trim(),
            "42",
            "{rt}: {}",
            text(&out.stderr)
        );
        sigint_and_wait(&mut child);

        // The 16-octet exchange over a Unix socket.
        let sock = dir.join(format!("tcp-{rt}.sock"));
        let (mut child, _) = start_unix(&[
            "tcp",
            "server",
            "127.0.0.1",
            "--unix",
            sock.to_str().unwrap(),
            "--runtime",
            rt,
        ]);
        let mut s = std::os::unix::net::UnixStream::connect(&sock).unwrap();
        s.write_all(b"Hi there, server").unwrap();
        let mut reply = [0u8; 16];
        s.read_exact(&mut reply).unwrap();
        assert_eq!(&reply, b"Farewell, client");
        sigint_and_wait(&mut child);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// CPython's ssl client reading a framed server's greeting.
const PY_TLS_BANNER: &str = r#"
import socket, ssl, sys
ctx = ssl.create_default_context(cafile=sys.argv[1])
with socket.create_connection(("127.0.0.1", int(sys.argv[2]))) as raw:
    with ctx.wrap_socket(raw, server_hostname="localhost") as s:
        data = b""
        while True:
            chunk = s.recv(1024)
            if not chunk:
                break
            data += chunk
print(data.decode())
"#;

#[test]
fn tls_flags_serve_https_on_every_server() {
    let pki = common::pki::pki();
    let (cert, key) = (
        pki.server.cert.to_str().unwrap(),
        pki.server.key.to_str().unwrap(),
    );
    let ca = pki.ca.to_str().unwrap();
    let dir = temp_dir("cli-tls");
    std::fs::write(dir.join("hello.txt"), b"hello over TLS\n").unwrap();
    for rt in ["std", "mio", "smol"] {
        let web = Server::start(&[
            "--runtime",
            rt,
            "http",
            "serve",
            "0",
            "--bind",
            "127.0.0.1",
            "--directory",
            dir.to_str().unwrap(),
            "--tls-cert",
            cert,
            "--tls-key",
            key,
        ]);
        let out = Command::new("curl")
            .args(["-sS", "--cacert", ca])
            .arg(format!("https://localhost:{}/hello.txt", web.port))
            .output()
            .unwrap();
        assert_eq!(
            text(&out.stdout),
            "hello over TLS\n",
            "{}",
            text(&out.stderr)
        );
        // Plain http:// to it: told what to do.
        let plain = get(&web.addr(), "/hello.txt");
        assert!(plain.contains("use https://"), "{plain}");

        let rpc = Server::start(&[
            "--runtime",
            rt,
            "xmlrpc",
            "serve",
            "-p",
            "0",
            "--tls-cert",
            cert,
            "--tls-key",
            key,
        ]);
        let out = netloom()
            .args(["xmlrpc", "call", "--cacert", ca])
            .arg(format!("https://localhost:{}/RPC2", rpc.port))
            .args(["add", "40", "2"])
            .output()
            .unwrap();
        assert_eq!(text(&out.stdout).trim(), "42", "{}", text(&out.stderr));

        let banner = Server::start(&[
            "--runtime",
            rt,
            "banner",
            "server",
            "127.0.0.1",
            "-p",
            "0",
            "--tls-cert",
            cert,
            "--tls-key",
            key,
        ]);
        let out = Command::new("python3")
            .args(["-c", PY_TLS_BANNER, ca, &banner.port.to_string()])
            .output()
            .unwrap();
        assert!(
            !text(&out.stdout).trim().is_empty(),
            "{}",
            text(&out.stderr)
        );
    }
    // Half the pair, or a file that is not there: refused before listening, one line.
    let o = run(&["http", "serve", "0", "--tls-cert", cert]);
    assert!(!o.status.success());
    assert!(text(&o.stderr).contains("--tls-key"), "{}", text(&o.stderr));
    let missing = dir.join("missing.key");
    let o = run(&[
        "http",
        "serve",
        "0",
        "--tls-cert",
        cert,
        "--tls-key",
        missing.to_str().unwrap(),
    ]);
    assert!(!o.status.success());
    let err = text(&o.stderr);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("cannot read the private key file"), "{err}");
    // A key that is not the certificate's.
    let o = run(&[
        "http",
        "serve",
        "0",
        "--tls-cert",
        cert,
        "--tls-key",
        pki.expired.key.to_str().unwrap(),
    ]);
    assert!(!o.status.success());
    assert!(
        text(&o.stderr).contains("the certificate and key"),
        "{}",
        text(&o.stderr)
    );
}
