//! The real `netloom` binary, run as a person would.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

fn netloom() -> Command {
    Command::new(env!("CARGO_BIN_EXE_netloom"))
}

fn run(args: &[&str]) -> Output {
    netloom().args(args).output().expect("run netloom")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A server process, killed on drop.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `netloom ARGS` (which should ask for port 0) and waits for its "Listening at"
/// line; returns the port it reports, so no other test can have taken it meanwhile.
fn start_server(args: &[&str]) -> (Server, BufReader<std::process::ChildStdout>, String) {
    let mut child = netloom()
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn server");
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    let port = line
        .trim()
        .strip_prefix("Listening at 127.0.0.1:")
        .unwrap_or_else(|| panic!("got {line:?}"))
        .to_string();
    (Server(child), out, port)
}

fn assert_clean_error(o: &Output, needle: &str) {
    assert!(!o.status.success());
    let err = text(&o.stderr);
    assert!(err.contains(needle), "stderr {err:?} lacks {needle:?}");
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "one line: {err:?}");
}

#[test]
fn tcp_server_and_client_on_every_runtime() {
    for rt in ["std", "mio", "smol"] {
        let (_server, mut out, port) =
            start_server(&["tcp", "server", "127.0.0.1", "-p", "0", "--runtime", rt]);
        let o = run(&["tcp", "client", "127.0.0.1", "-p", &port, "--runtime", rt]);
        assert!(o.status.success(), "{}", text(&o.stderr));
        let stdout = text(&o.stdout);
        assert!(stdout.contains("Client has been assigned socket name 127.0.0.1:"));
        assert!(
            stdout.contains("The server said b'Farewell, client'"),
            "{stdout}"
        );
        let mut seen = String::new();
        for _ in 0..5 {
            out.read_line(&mut seen).unwrap();
        }
        assert!(
            seen.contains("We have accepted a connection from 127.0.0.1:"),
            "{seen}"
        );
        assert!(
            seen.contains("Incoming sixteen-octet message: b'Hi there, server'"),
            "{seen}"
        );
    }
}

#[test]
fn banner_server_and_client_on_every_runtime() {
    for rt in ["std", "mio", "smol"] {
        let (_server, _out, port) =
            start_server(&["banner", "server", "127.0.0.1", "-p", "0", "--runtime", rt]);
        let o = run(&[
            "banner",
            "client",
            "127.0.0.1",
            "-p",
            &port,
            "--runtime",
            rt,
        ]);
        assert!(o.status.success(), "{}", text(&o.stderr));
        assert_eq!(text(&o.stdout).trim(), "b'Thank you for connecting'");
    }
}

#[test]
fn connection_refused_is_one_readable_line() {
    let port = common::free_port().to_string();
    for rt in ["std", "mio", "smol"] {
        let o = run(&["tcp", "client", "127.0.0.1", "-p", &port, "--runtime", rt]);
        assert_clean_error(&o, "connection refused");
    }
}

#[test]
fn unknown_host_is_one_readable_line() {
    let o = run(&["tcp", "client", "no-such-host.invalid"]);
    assert_clean_error(&o, "connecting to no-such-host.invalid:1060: unknown host");
}

#[test]
fn address_in_use_is_one_readable_line() {
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let o = run(&["tcp", "server", "127.0.0.1", "-p", &port]);
    assert_clean_error(&o, "address already in use");
}

#[test]
fn short_read_is_one_readable_line() {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port().to_string();
    let t = std::thread::spawn(move || {
        let (mut s, _) = l.accept().unwrap();
        let mut buf = [0u8; 16];
        let _ = s.read(&mut buf);
        s.write_all(b"Farew").unwrap();
    });
    let o = run(&["tcp", "client", "127.0.0.1", "-p", &port]);
    t.join().unwrap();
    assert_clean_error(
        &o,
        "was expecting 16 bytes but only received 5 bytes before the socket closed",
    );
}

#[test]
fn default_port_is_1060() {
    let help = text(&run(&["tcp", "--help"]).stdout);
    assert!(help.contains("[default: 1060]"), "{help}");
    let help = text(&run(&["banner", "--help"]).stdout);
    assert!(help.contains("[default: 1234]"), "{help}");
}

#[test]
fn server_keeps_serving_after_a_bad_client() {
    let (_server, _out, p) =
        start_server(&["tcp", "server", "127.0.0.1", "-p", "0", "--runtime", "mio"]);
    {
        let mut s = TcpStream::connect(format!("127.0.0.1:{p}")).unwrap();
        s.write_all(b"Hi").unwrap();
    }
    let started = Instant::now();
    let o = run(&["tcp", "client", "127.0.0.1", "-p", &p, "--runtime", "mio"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(started.elapsed() < Duration::from_secs(20));
}

#[test]
fn demo_runs_every_program_on_every_runtime() {
    let o = run(&["demo"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    for rt in ["std", "mio", "smol"] {
        assert!(out.contains(&format!("=== runtime: {rt} ===")), "{out}");
    }
    assert_eq!(
        out.matches("The server said b'Farewell, client'").count(),
        3
    );
    assert_eq!(out.matches("b'Thank you for connecting'").count(), 3);
}
