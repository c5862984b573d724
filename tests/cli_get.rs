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

// ---------------------------------------------------------------------------------------
// -o destinations: FIFO, symlink, device node, directory, stdout, unwritable places.

const RUNTIMES: [&str; 3] = ["std", "mio", "smol"];

fn get_to(url: &str, dest: &std::path::Path, rt: &str) -> Output {
    netloom_get(&[url, "-o", dest.to_str().unwrap(), "--runtime", rt])
}

#[test]
fn output_onto_a_fifo_is_written_in_place() {
    let server = server();
    let url = format!("http://{}/big", server.local_addr());
    let dir = temp_dir("cli-get-fifo");
    let fifo = dir.join("pipe");
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    for rt in RUNTIMES {
        let reader = {
            let fifo = fifo.clone();
            thread::spawn(move || std::fs::read(fifo).unwrap())
        };
        let out = get_to(&url, &fifo, rt);
        assert!(out.status.success(), "{rt}: {}", text(&out.stderr));
        assert_eq!(reader.join().unwrap(), body(), "{rt}: the reader got the body");
        let meta = std::fs::symlink_metadata(&fifo).unwrap();
        assert!(
            std::os::unix::fs::FileTypeExt::is_fifo(&meta.file_type()),
            "{rt}: still a FIFO"
        );
    }
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1, "no part file");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn output_onto_a_device_node_is_written_in_place() {
    // A null device of our own, so a failure cannot break the machine's /dev/null.
    let server = server();
    let url = format!("http://{}/big", server.local_addr());
    let dir = temp_dir("cli-get-dev");
    let null = dir.join("null");
    let made = Command::new("mknod")
        .arg(&null)
        .args(["c", "1", "3"])
        .status()
        .unwrap();
    assert!(made.success(), "mknod needs root");
    for rt in RUNTIMES {
        let out = get_to(&url, &null, rt);
        assert!(out.status.success(), "{rt}: {}", text(&out.stderr));
        let meta = std::fs::symlink_metadata(&null).unwrap();
        assert!(
            std::os::unix::fs::FileTypeExt::is_char_device(&meta.file_type()),
            "{rt}: still a character device"
        );
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1, "{rt}: no part file");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn output_onto_a_unix_socket_is_sent_through_it() {
    let server = server();
    let url = format!("http://{}/hello", server.local_addr());
    let dir = temp_dir("cli-get-sock");
    let path = dir.join("sock");
    let listener = std::os::unix::net::UnixListener::bind(&path).unwrap();
    let reader = thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        let mut got = Vec::new();
        s.read_to_end(&mut got).unwrap();
        got
    });
    let out = get_to(&url, &path, "mio");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(reader.join().unwrap(), b"hello from netloom\n");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn output_through_a_symlink_replaces_the_target_and_keeps_the_link() {
    let server = server();
    let url = format!("http://{}/big", server.local_addr());
    let dir = temp_dir("cli-get-link");
    for rt in RUNTIMES {
        let target = dir.join(format!("target-{rt}"));
        std::fs::write(&target, b"old contents").unwrap();
        let link = dir.join(format!("link-{rt}"));
        std::os::unix::fs::symlink(target.file_name().unwrap(), &link).unwrap();
        let out = get_to(&url, &link, rt);
        assert!(out.status.success(), "{rt}: {}", text(&out.stderr));
        assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
        assert_eq!(std::fs::read(&target).unwrap(), body(), "{rt}");

        // A dangling link: its target is created.
        let dangling = dir.join(format!("dangling-{rt}"));
        std::os::unix::fs::symlink(format!("new-{rt}"), &dangling).unwrap();
        let out = get_to(&url, &dangling, rt);
        assert!(out.status.success(), "{rt}: {}", text(&out.stderr));
        assert!(std::fs::symlink_metadata(&dangling).unwrap().file_type().is_symlink());
        assert_eq!(std::fs::read(dir.join(format!("new-{rt}"))).unwrap(), body());
    }
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 12, "no part files");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn output_dash_is_stdout() {
    let server = server();
    let url = format!("http://{}/big", server.local_addr());
    let dir = temp_dir("cli-get-dash");
    for rt in RUNTIMES {
        let out = Command::new(env!("CARGO_BIN_EXE_netloom"))
            .args(["get", &url, "-o", "-", "--runtime", rt])
            .current_dir(&dir)
            .output()
            .unwrap();
        assert!(out.status.success(), "{rt}: {}", text(&out.stderr));
        assert_eq!(out.stdout, body(), "{rt}");
        assert!(out.stderr.is_empty(), "{rt}: no summary for stdout");
    }
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0, "no file named '-'");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn regular_files_are_replaced_atomically_and_keep_their_mode() {
    use std::os::unix::fs::PermissionsExt;
    let server = server();
    let url = format!("http://{}/big", server.local_addr());
    let dir = temp_dir("cli-get-replace");
    let file = dir.join("f");
    std::fs::write(&file, b"old").unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o640)).unwrap();
    let before = std::os::unix::fs::MetadataExt::ino(&std::fs::metadata(&file).unwrap());
    let out = get_to(&url, &file, "smol");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let meta = std::fs::metadata(&file).unwrap();
    assert_eq!(std::fs::read(&file).unwrap(), body());
    assert_ne!(std::os::unix::fs::MetadataExt::ino(&meta), before, "renamed into place");
    assert_eq!(meta.permissions().mode() & 0o777, 0o640);
    // A failed download leaves the old file as it was.
    std::fs::write(&file, b"keep me").unwrap();
    let missing = format!("http://{}/missing", server.local_addr());
    assert!(!get_to(&missing, &file, "std").status.success());
    assert_eq!(std::fs::read(&file).unwrap(), b"keep me");
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
    let _ = std::fs::remove_dir_all(&dir);
}

/// A listener nobody accepts on: after a refused command, no connection may be waiting.
fn untouched_listener() -> (TcpListener, String) {
    let l = TcpListener::bind(loopback()).unwrap();
    let url = format!("http://{}/big", l.local_addr().unwrap());
    (l, url)
}

fn assert_no_connection(l: &TcpListener) {
    l.set_nonblocking(true).unwrap();
    assert!(
        matches!(l.accept(), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock),
        "the command connected before refusing its destination"
    );
}

#[test]
fn directories_and_unwritable_places_are_refused_before_any_byte_is_fetched() {
    let dir = temp_dir("cli-get-refuse");
    let file = dir.join("plain");
    std::fs::write(&file, b"x").unwrap();
    let cases = [
        (dir.clone(), "it is a directory"),
        (dir.join("no/such/dir/f"), "no such directory"),
        (file.join("f"), "not a directory"),
    ];
    for rt in RUNTIMES {
        for (dest, needle) in &cases {
            let (l, url) = untouched_listener();
            let out = get_to(&url, dest, rt);
            assert_one_line_error(&out, needle);
            assert_no_connection(&l);
        }
    }
    assert_eq!(std::fs::read(&file).unwrap(), b"x");
    let _ = std::fs::remove_dir_all(&dir);
}

// ---------------------------------------------------------------------------------------
// Signals mid-download.

/// A body of `chunks` × 64 KiB, one chunk every 20 ms: a download that takes a while.
struct Slow {
    left: usize,
}

impl Read for Slow {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.left == 0 {
            return Ok(0);
        }
        thread::sleep(Duration::from_millis(20));
        self.left -= 1;
        let n = buf.len().min(64 * 1024);
        buf[..n].fill(b'z');
        Ok(n)
    }
}

fn slow_server(chunks: usize) -> RunningServer {
    let handler = move |_req: IncomingRequest| {
        OutgoingResponse::stream(
            200,
            "application/octet-stream",
            None,
            Box::new(Slow { left: chunks }),
        )
    };
    Runtime::Std
        .spawn_http(loopback(), handler, ServerConfig::default(), Limits::default())
        .unwrap()
}

#[test]
fn sigterm_and_sigint_mid_download_leave_nothing_behind() {
    use std::os::unix::process::ExitStatusExt;
    let server = slow_server(1000);
    let url = format!("http://{}/slow", server.local_addr());
    let dir = temp_dir("cli-get-signal");
    for (rt, signal, number) in [("std", "TERM", 15), ("mio", "INT", 2), ("smol", "TERM", 15)] {
        let dest = dir.join("slow.bin");
        let mut child = Command::new(env!("CARGO_BIN_EXE_netloom"))
            .args(["get", &url, "-o", dest.to_str().unwrap(), "--runtime", rt])
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        // Wait until the part file holds some of the body.
        let started = std::time::Instant::now();
        loop {
            let growing = std::fs::read_dir(&dir)
                .unwrap()
                .filter_map(Result::ok)
                .any(|e| e.metadata().map(|m| m.len() > 0).unwrap_or(false));
            if growing {
                break;
            }
            assert!(started.elapsed() < Duration::from_secs(10), "{rt}: no part file");
            thread::sleep(Duration::from_millis(20));
        }
        let killed = Command::new("kill")
            .args([&format!("-{signal}"), &child.id().to_string()])
            .status()
            .unwrap();
        assert!(killed.success());
        let status = child.wait().unwrap();
        assert_eq!(status.signal(), Some(number), "{rt}: dies of the signal");
        let left: Vec<_> = std::fs::read_dir(&dir).unwrap().collect();
        assert!(left.is_empty(), "{rt}: {left:?} left behind");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
