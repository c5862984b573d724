//! `netloom get`, run as a person would, against servers in this process.

mod common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::process::{Command, Output};
use std::thread;
use std::time::Duration;

use netloom::http::server::{IncomingRequest, OutgoingResponse};
use netloom::http::Limits;
use netloom::{RunningServer, Runtime, ServerConfig};

use common::{free_port, loopback, temp_dir};

fn netloom_get(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_netloom"))
        .arg("get")
        .args(args)
        .output()
        .expect("run netloom")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn body() -> Vec<u8> {
    (0..70_000u32).map(|i| b'a' + (i % 26) as u8).collect()
}

fn server() -> RunningServer {
    let handler = |req: IncomingRequest| match req.head.target() {
        "/hello" => OutgoingResponse::text(200, "hello from netloom\n"),
        "/big" => OutgoingResponse::bytes(200, "text/plain", body()),
        "/moved" => OutgoingResponse::new(301).header("Location", "/hello"),
        _ => OutgoingResponse::text(404, "no such page\n"),
    };
    Runtime::Std
        .spawn_http(
            loopback(),
            handler,
            ServerConfig::default(),
            Limits::default(),
        )
        .unwrap()
}

/// Asserts a failed run: non-zero exit, one line on stderr containing `needle`, no panic.
fn assert_one_line_error(out: &Output, needle: &str) {
    let err = text(&out.stderr);
    assert!(!out.status.success(), "should fail: {err}");
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err:?}");
    assert!(err.starts_with("netloom: "), "{err}");
    assert!(err.contains(needle), "{needle:?} not in {err:?}");
}

#[test]
fn prints_body_and_saves_files_on_every_runtime() {
    let server = server();
    let base = format!("http://{}", server.local_addr());
    let dir = temp_dir("cli-get");
    for rt in ["std", "mio", "smol"] {
        let out = netloom_get(&[&format!("{base}/hello"), "--runtime", rt]);
        assert!(out.status.success(), "{rt}: {}", text(&out.stderr));
        assert_eq!(text(&out.stdout), "hello from netloom\n", "{rt}");

        let out = netloom_get(&[&format!("{base}/moved"), "--runtime", rt]);
        assert_eq!(
            text(&out.stdout),
            "hello from netloom\n",
            "{rt} follows redirects"
        );

        let file = dir.join(format!("big-{rt}.txt"));
        let out = netloom_get(&[
            &format!("{base}/big"),
            "-o",
            file.to_str().unwrap(),
            "--runtime",
            rt,
        ]);
        assert!(out.status.success(), "{rt}: {}", text(&out.stderr));
        assert!(out.stdout.is_empty());
        assert_eq!(std::fs::read(&file).unwrap(), body(), "{rt}");
        // Not a terminal: one plain line, no progress bar.
        let err = text(&out.stderr);
        assert_eq!(err.lines().count(), 1, "{err:?}");
        assert!(err.starts_with("saved 70000 bytes"), "{err:?}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn http_errors_are_one_line_and_leave_no_file() {
    let server = server();
    let dir = temp_dir("cli-get-errors");
    let missing = format!("http://{}/missing", server.local_addr());
    let out = netloom_get(&[&missing]);
    assert_one_line_error(&out, &format!("GET {missing}: 404 Not Found"));
    assert!(out.stdout.is_empty(), "no error page on stdout");

    let file = dir.join("page");
    let out = netloom_get(&[&missing, "-o", file.to_str().unwrap(), "--runtime", "smol"]);
    assert_one_line_error(&out, "404 Not Found");
    assert!(!file.exists());
    assert!(std::fs::read_dir(&dir).unwrap().next().is_none());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn refused_bad_urls_and_https_are_one_line() {
    let port = free_port();
    for rt in ["std", "mio", "smol"] {
        let out = netloom_get(&[&format!("http://127.0.0.1:{port}/"), "--runtime", rt]);
        assert_one_line_error(&out, "connection refused");
    }
    assert_one_line_error(&netloom_get(&["https://127.0.0.1/"]), "not supported yet");
    assert_one_line_error(&netloom_get(&["127.0.0.1/x"]), "invalid URL");
    assert_one_line_error(&netloom_get(&["gopher://x/"]), "unsupported URL scheme");
}

/// Sends a head promising 1000 bytes, then 10 bytes, then closes.
fn cut_server() -> SocketAddr {
    let listener = TcpListener::bind(loopback()).unwrap();
    let addr = listener.local_addr().unwrap();
    thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { return };
            thread::spawn(move || {
                let _ = s.set_read_timeout(Some(Duration::from_secs(10)));
                let mut buf = [0u8; 4096];
                let _ = s.read(&mut buf);
                let _ = s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n0123456789");
            });
        }
    });
    addr
}

#[test]
fn mid_body_close_is_one_line_and_leaves_no_file() {
    let addr = cut_server();
    let dir = temp_dir("cli-get-cut");
    let u = format!("http://{addr}/f");
    for rt in ["std", "mio", "smol"] {
        let out = netloom_get(&[&u, "--runtime", rt]);
        assert_one_line_error(&out, "after 10 of 1000 body bytes");

        let file = dir.join(format!("f-{rt}"));
        let out = netloom_get(&[&u, "-o", file.to_str().unwrap(), "--runtime", rt]);
        assert_one_line_error(&out, "after 10 of 1000 body bytes");
        assert!(!file.exists());
    }
    assert!(std::fs::read_dir(&dir).unwrap().next().is_none());
    let _ = std::fs::remove_dir_all(&dir);
}
