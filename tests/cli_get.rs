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
fn refused_and_bad_urls_are_one_line() {
    let port = free_port();
    for rt in ["std", "mio", "smol"] {
        let out = netloom_get(&[&format!("http://127.0.0.1:{port}/"), "--runtime", rt]);
        assert_one_line_error(&out, "connection refused");
    }
    assert_one_line_error(
        &netloom_get(&[&format!("https://127.0.0.1:{port}/")]),
        "connection refused",
    );
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
        assert_eq!(
            reader.join().unwrap(),
            body(),
            "{rt}: the reader got the body"
        );
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
        assert_eq!(
            std::fs::read_dir(&dir).unwrap().count(),
            1,
            "{rt}: no part file"
        );
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
        assert!(std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(std::fs::read(&target).unwrap(), body(), "{rt}");

        // A dangling link: its target is created.
        let dangling = dir.join(format!("dangling-{rt}"));
        std::os::unix::fs::symlink(format!("new-{rt}"), &dangling).unwrap();
        let out = get_to(&url, &dangling, rt);
        assert!(out.status.success(), "{rt}: {}", text(&out.stderr));
        assert!(std::fs::symlink_metadata(&dangling)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(
            std::fs::read(dir.join(format!("new-{rt}"))).unwrap(),
            body()
        );
    }
    assert_eq!(
        std::fs::read_dir(&dir).unwrap().count(),
        12,
        "no part files"
    );
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
    assert_eq!(
        std::fs::read_dir(&dir).unwrap().count(),
        0,
        "no file named '-'"
    );
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
    assert_ne!(
        std::os::unix::fs::MetadataExt::ino(&meta),
        before,
        "renamed into place"
    );
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
        .spawn_http(
            loopback(),
            handler,
            ServerConfig::default(),
            Limits::default(),
        )
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
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "{rt}: no part file"
            );
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

// ---------------------------------------------------------------------------------------
// curl's flags: -i, -I, -X, -d, --data-binary, -H, -u, -O.

/// Answers with what it received: method, target, some header fields, and the body.
fn echo_server() -> RunningServer {
    let handler = |req: IncomingRequest| {
        let h = |name: &str| req.head.headers().get_str(name).unwrap_or("-").to_string();
        if req.head.target() == "/redirect" {
            return OutgoingResponse::new(302).header("Location", "/elsewhere");
        }
        let text = format!(
            "{} {}\nauthorization={}\ncontent-type={}\nx-one={}\nx-two={}\nuser-agent={}\nbody={}\n",
            req.head.method(),
            req.head.target(),
            h("Authorization"),
            h("Content-Type"),
            h("X-One"),
            h("X-Two"),
            h("User-Agent"),
            String::from_utf8_lossy(&req.body)
        );
        OutgoingResponse::text(200, text).header("X-Served-By", "echo")
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

#[test]
fn method_data_headers_and_credentials_reach_the_server() {
    let server = echo_server();
    let base = format!("http://{}", server.local_addr());
    let dir = temp_dir("cli-get-flags");
    let file = dir.join("data");
    std::fs::write(&file, b"line1\nline2\n\x00bin").unwrap();
    for rt in RUNTIMES {
        let out = netloom_get(&[&format!("{base}/plain"), "--runtime", rt]);
        let got = text(&out.stdout);
        assert!(got.starts_with("GET /plain\n"), "{rt}: {got}");
        assert!(got.contains("authorization=-\n"), "{got}");

        let out = netloom_get(&[
            &format!("{base}/form"),
            "-d",
            "a=1",
            "-d",
            "b=2",
            "-H",
            "X-One: 1",
            "-H",
            "X-Two:  two words ",
            "-H",
            "User-Agent: tester/1",
            "-u",
            "ada:s3cret",
            "--runtime",
            rt,
        ]);
        assert!(out.status.success(), "{rt}: {}", text(&out.stderr));
        let got = text(&out.stdout);
        assert!(got.starts_with("POST /form\n"), "{rt}: {got}");
        assert!(got.contains("body=a=1&b=2\n"), "{got}");
        assert!(
            got.contains("content-type=application/x-www-form-urlencoded\n"),
            "{got}"
        );
        assert!(got.contains("x-one=1\nx-two=two words\n"), "{got}");
        assert!(got.contains("user-agent=tester/1\n"), "{got}");
        // base64("ada:s3cret")
        assert!(
            got.contains("authorization=Basic YWRhOnMzY3JldA==\n"),
            "{got}"
        );

        let at = format!("@{}", file.display());
        let out = netloom_get(&[
            &format!("{base}/up"),
            "-X",
            "PUT",
            "--data-binary",
            &at,
            "-H",
            "Content-Type: application/octet-stream",
            "--runtime",
            rt,
        ]);
        let got = text(&out.stdout);
        assert!(got.starts_with("PUT /up\n"), "{rt}: {got}");
        assert!(got.contains("body=line1\nline2\n\u{0}bin\n"), "{got:?}");
        assert!(
            got.contains("content-type=application/octet-stream\n"),
            "{got}"
        );
        // -d @FILE drops the newlines, as curl does.
        let out = netloom_get(&[&format!("{base}/up"), "-d", &at, "--runtime", rt]);
        assert!(text(&out.stdout).contains("body=line1line2\u{0}bin\n"));

        // Credentials in the URL are Basic auth too.
        let authority = base.trim_start_matches("http://");
        let out = netloom_get(&[&format!("http://ada:p%40ss@{authority}/u"), "--runtime", rt]);
        assert!(
            text(&out.stdout).contains("authorization=Basic YWRhOnBAc3M=\n"),
            "{}",
            text(&out.stdout)
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn credentials_are_never_sent_on_to_a_redirect() {
    // Two origins: the echo server, and a redirector on another port that sends the
    // client on to it (`/away`), or back to itself (`/home`).
    let echo = echo_server();
    let echo_base = format!("http://{}", echo.local_addr());
    let handler = move |req: IncomingRequest| match req.head.target() {
        "/away" => OutgoingResponse::new(302).header("Location", format!("{echo_base}/landed")),
        "/home" => OutgoingResponse::new(302).header("Location", "/seen"),
        _ => OutgoingResponse::text(
            200,
            format!(
                "authorization={}\n",
                req.head.headers().get_str("Authorization").unwrap_or("-")
            ),
        ),
    };
    let redirector = Runtime::Std
        .spawn_http(
            loopback(),
            handler,
            ServerConfig::default(),
            Limits::default(),
        )
        .unwrap();
    let base = format!("http://{}", redirector.local_addr());
    for rt in RUNTIMES {
        // Another origin: followed, without the credentials of any kind.
        for creds in [&["-u", "ada:pw"][..], &["-H", "Authorization: Bearer t"]] {
            let mut args = vec![format!("{base}/away")];
            args.extend(creds.iter().map(|s| s.to_string()));
            args.extend(["--runtime".to_string(), rt.to_string()]);
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let out = netloom_get(&args);
            assert!(out.status.success(), "{rt}: {}", text(&out.stderr));
            let got = text(&out.stdout);
            assert!(got.starts_with("GET /landed\n"), "{rt}: {got}");
            assert!(got.contains("authorization=-\n"), "{rt}: leaked: {got}");
        }
        // The same origin: followed, credentials kept.
        let out = netloom_get(&[&format!("{base}/home"), "-u", "ada:pw", "--runtime", rt]);
        assert_eq!(text(&out.stdout), "authorization=Basic YWRhOnB3\n", "{rt}");
    }
}

#[test]
fn bad_header_and_flag_combinations_are_refused() {
    let (l, url) = untouched_listener();
    assert_one_line_error(
        &netloom_get(&[&url, "-H", "X: a\r\nEvil: 1"]),
        "control characters",
    );
    assert_one_line_error(
        &netloom_get(&[&url, "-H", "no colon"]),
        "expected 'Name: value'",
    );
    assert_one_line_error(&netloom_get(&[&url, "-u", "nopassword"]), "USER:PASSWORD");
    assert_one_line_error(&netloom_get(&[&url, "-I", "-d", "x"]), "takes no -d");
    assert_one_line_error(&netloom_get(&[&url, "-C", "-"]), "needs a file to resume");
    assert_one_line_error(&netloom_get(&[&url, "-C", "100", "-o", "x"]), "only '-C -'");
    assert_no_connection(&l);
}

#[test]
fn include_and_head_print_the_status_line_and_fields() {
    let server = server();
    let base = format!("http://{}", server.local_addr());
    for rt in RUNTIMES {
        let out = netloom_get(&["-i", &format!("{base}/hello"), "--runtime", rt]);
        assert!(out.status.success(), "{rt}: {}", text(&out.stderr));
        let got = text(&out.stdout);
        assert!(got.starts_with("HTTP/1.1 200 OK\r\n"), "{rt}: {got:?}");
        assert!(
            got.contains("\r\ncontent-length: 19\r\n")
                || got.contains("\r\nContent-Length: 19\r\n"),
            "{got:?}"
        );
        assert!(got.ends_with("\r\n\r\nhello from netloom\n"), "{got:?}");

        let out = netloom_get(&["-I", &format!("{base}/big"), "--runtime", rt]);
        assert!(out.status.success(), "{rt}: {}", text(&out.stderr));
        let got = text(&out.stdout);
        assert!(
            got.starts_with("HTTP/1.1 200 OK\r\n") && got.ends_with("\r\n\r\n"),
            "{got:?}"
        );
        assert!(got.contains("Content-Length: 70000\r\n"), "{got:?}");

        // An error status: with -i its page is printed, and the exit status still says so.
        let out = netloom_get(&["-i", &format!("{base}/missing"), "--runtime", rt]);
        assert!(!out.status.success());
        let got = text(&out.stdout);
        assert!(got.starts_with("HTTP/1.1 404 Not Found\r\n"), "{got:?}");
        assert!(got.ends_with("\r\n\r\nno such page\n"), "{got:?}");
        assert_one_line_error(&out, "404 Not Found");
    }
}

#[test]
fn hostile_heads_are_escaped_under_include() {
    // A field value carrying C1 controls (UTF-8 encoded and raw): a terminal would run
    // them as escape sequences. (httparse already empties a reason phrase with such bytes.)
    let addr = common::raw_server(
        b"HTTP/1.1 200 OK\r\nX-Evil: a\xc2\x9b31mb\x9b\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok",
        3,
    );
    for rt in RUNTIMES {
        let out = netloom_get(&["-i", &format!("http://{addr}/"), "--runtime", rt]);
        assert!(out.status.success(), "{rt}: {}", text(&out.stderr));
        assert!(!out.stdout.contains(&0x9b), "{rt}: raw C1 byte printed");
        let got = text(&out.stdout);
        assert!(got.starts_with("HTTP/1.1 200 OK\r\n"), "{got:?}");
        assert!(got.contains("X-Evil: a\\x9b31mb\\x9b\r\n"), "{got:?}");
    }
}

#[test]
fn remote_name_saves_under_the_urls_file_name() {
    let server = server();
    let dir = temp_dir("cli-get-remote");
    for rt in RUNTIMES {
        let out = Command::new(env!("CARGO_BIN_EXE_netloom"))
            .args([
                "get",
                "-O",
                &format!("http://{}/big", server.local_addr()),
                "--runtime",
                rt,
            ])
            .current_dir(&dir)
            .output()
            .unwrap();
        assert!(out.status.success(), "{rt}: {}", text(&out.stderr));
        assert_eq!(std::fs::read(dir.join("big")).unwrap(), body());
        assert!(
            text(&out.stderr).contains("to big in"),
            "{}",
            text(&out.stderr)
        );
        // -s: not a word.
        let out = Command::new(env!("CARGO_BIN_EXE_netloom"))
            .args([
                "get",
                "-s",
                "-O",
                &format!("http://{}/big", server.local_addr()),
                "--runtime",
                rt,
            ])
            .current_dir(&dir)
            .output()
            .unwrap();
        assert!(out.status.success() && out.stderr.is_empty() && out.stdout.is_empty());
    }
    let out = netloom_get(&["-O", &format!("http://{}/", server.local_addr())]);
    assert_one_line_error(&out, "names no file");
    let _ = std::fs::remove_dir_all(&dir);
}

// ---------------------------------------------------------------------------------------
// -C - (resume).

/// A CPython server that honours `Range: bytes=N-` (206, or 416 past the end), except on
/// `/norange`, where it always sends the whole body (200).
const RANGE_SERVER: &str = r#"
import re, sys
from http.server import BaseHTTPRequestHandler, HTTPServer
DATA = bytes((i * 7) % 251 for i in range(200000))
class H(BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass
    def do_GET(self):
        r = self.headers.get('Range')
        if self.path == '/norange' or not r:
            self.send_response(200)
            self.send_header('Content-Length', str(len(DATA)))
            self.end_headers()
            self.wfile.write(DATA)
            return
        start = int(re.fullmatch(r'bytes=(\d+)-', r).group(1))
        if start >= len(DATA):
            self.send_response(416)
            self.send_header('Content-Range', 'bytes */%d' % len(DATA))
            self.send_header('Content-Length', '0')
            self.end_headers()
            return
        self.send_response(206)
        self.send_header('Content-Range', 'bytes %d-%d/%d' % (start, len(DATA) - 1, len(DATA)))
        self.send_header('Content-Length', str(len(DATA) - start))
        self.end_headers()
        self.wfile.write(DATA[start:])
s = HTTPServer(('127.0.0.1', int(sys.argv[1])), H)
print(s.server_address[1], flush=True)
s.serve_forever()
"#;

fn range_data() -> Vec<u8> {
    (0..200_000u32).map(|i| ((i * 7) % 251) as u8).collect()
}

struct Kill(std::process::Child);

impl Drop for Kill {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn resume_continues_with_range_and_falls_back_when_it_is_ignored() {
    let (child, port) = common::python_server(RANGE_SERVER);
    let _guard = Kill(child);
    let data = range_data();
    let dir = temp_dir("cli-get-resume");
    for rt in RUNTIMES {
        let file = dir.join(format!("part-{rt}"));
        std::fs::write(&file, &data[..50_000]).unwrap();
        let url = format!("http://127.0.0.1:{port}/data");
        let out = netloom_get(&[
            &url,
            "-C",
            "-",
            "-o",
            file.to_str().unwrap(),
            "--runtime",
            rt,
        ]);
        assert!(out.status.success(), "{rt}: {}", text(&out.stderr));
        assert!(
            std::fs::read(&file).unwrap() == data,
            "{rt}: resumed file differs"
        );
        let err = text(&out.stderr);
        assert!(
            err.contains("at byte 50000: saved 150000 bytes"),
            "{rt}: {err}"
        );

        // Complete already: the server says 416 for the range, nothing changes.
        let out = netloom_get(&[
            &url,
            "-C",
            "-",
            "-o",
            file.to_str().unwrap(),
            "--runtime",
            rt,
        ]);
        assert!(out.status.success(), "{rt}: {}", text(&out.stderr));
        assert!(text(&out.stderr).contains("already complete (200000 bytes)"));
        assert!(std::fs::read(&file).unwrap() == data);

        // A server that ignores Range answers 200: the file is written again from the start.
        std::fs::write(&file, b"stale prefix that is not the data").unwrap();
        let url = format!("http://127.0.0.1:{port}/norange");
        let out = netloom_get(&[
            &url,
            "-C",
            "-",
            "-o",
            file.to_str().unwrap(),
            "--runtime",
            rt,
        ]);
        assert!(out.status.success(), "{rt}: {}", text(&out.stderr));
        assert!(
            std::fs::read(&file).unwrap() == data,
            "{rt}: fallback file differs"
        );
        assert!(text(&out.stderr).contains("ignored the range request"));

        // No file yet: a plain download.
        let fresh = dir.join(format!("fresh-{rt}"));
        let url = format!("http://127.0.0.1:{port}/data");
        let out = netloom_get(&[
            &url,
            "-C",
            "-",
            "-o",
            fresh.to_str().unwrap(),
            "--runtime",
            rt,
        ]);
        assert!(out.status.success(), "{rt}: {}", text(&out.stderr));
        assert!(std::fs::read(&fresh).unwrap() == data);
    }
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 6, "no part files");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn resume_against_our_server_without_range_rewrites_the_file() {
    // This handler ignores Range (as a server without range support does).
    let server = server();
    let url = format!("http://{}/big", server.local_addr());
    let dir = temp_dir("cli-get-resume-ours");
    for rt in RUNTIMES {
        let file = dir.join(format!("f-{rt}"));
        std::fs::write(&file, b"0123").unwrap();
        let out = netloom_get(&[
            &url,
            "-C",
            "-",
            "-o",
            file.to_str().unwrap(),
            "--runtime",
            rt,
        ]);
        assert!(out.status.success(), "{rt}: {}", text(&out.stderr));
        assert_eq!(std::fs::read(&file).unwrap(), body(), "{rt}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

// ---------------------------------------------------------------------------------------
// Terminals: a progress bar on stderr, no binary dumped onto stdout.

/// Runs the command after `--` with stderr (and, in mode "both", stdout) on a pseudo-terminal;
/// writes what the terminal showed to argv[2] and (mode "stderr") stdout to argv[3].
const PTY: &str = r#"
import os, subprocess, sys
mode, tty_file, out_file = sys.argv[1:4]
cmd = sys.argv[5:]
m, s = os.openpty()
out = open(out_file, 'wb')
p = subprocess.Popen(cmd, stdout=(s if mode == 'both' else out), stderr=s, stdin=subprocess.DEVNULL,
                     env=dict(os.environ, TERM='xterm'))
os.close(s)
seen = b''
while True:
    try:
        d = os.read(m, 65536)
    except OSError:
        break
    if not d:
        break
    seen += d
open(tty_file, 'wb').write(seen)
sys.exit(p.wait())
"#;

fn on_a_terminal(mode: &str, args: &[&str], dir: &std::path::Path) -> (bool, Vec<u8>, Vec<u8>) {
    let tty = dir.join("tty");
    let out = dir.join("out");
    let status = Command::new("python3")
        .args([
            "-c",
            PTY,
            mode,
            tty.to_str().unwrap(),
            out.to_str().unwrap(),
            "--",
        ])
        .arg(env!("CARGO_BIN_EXE_netloom"))
        .args(args)
        .status()
        .expect("python3 runs");
    (
        status.success(),
        std::fs::read(tty).unwrap_or_default(),
        std::fs::read(out).unwrap_or_default(),
    )
}

#[test]
fn progress_shows_on_a_terminal_also_when_the_body_goes_to_stdout() {
    let server = slow_server(40); // 2.5 MiB over about a second
    let url = format!("http://{}/slow", server.local_addr());
    let dir = temp_dir("cli-get-tty");
    for rt in RUNTIMES {
        let (ok, tty, out) = on_a_terminal("stderr", &["get", &url, "--runtime", rt], &dir);
        assert!(ok, "{rt}: {}", text(&tty));
        assert_eq!(out.len(), 40 * 64 * 1024, "{rt}: the body went to stdout");
        let shown = text(&tty);
        assert!(
            shown.contains("iB"),
            "{rt}: no progress on the terminal: {shown:?}"
        );
        // -s: nothing at all.
        let (ok, tty, _) = on_a_terminal("stderr", &["get", "-s", &url, "--runtime", rt], &dir);
        assert!(ok && tty.is_empty(), "{rt}: {}", text(&tty));
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn binary_output_to_a_terminal_asks_for_o() {
    let handler = |req: IncomingRequest| match req.head.target() {
        "/escape" => OutgoingResponse::text(200, "title\u{1b}]0;pwned\u{7}\n"),
        _ => OutgoingResponse::bytes(200, "application/octet-stream", vec![0u8, 1, 2, 255]),
    };
    let server = Runtime::Std
        .spawn_http(
            loopback(),
            handler,
            ServerConfig::default(),
            Limits::default(),
        )
        .unwrap();
    let dir = temp_dir("cli-get-binary");
    for path in ["/bin", "/escape"] {
        let url = format!("http://{}{path}", server.local_addr());
        let (ok, tty, _) = on_a_terminal("both", &["get", &url], &dir);
        assert!(!ok, "{path}: refused");
        let shown = text(&tty);
        assert!(shown.contains("use -o FILE"), "{shown:?}");
        assert!(
            !tty.contains(&0) && !tty.contains(&0x1b),
            "{path}: {shown:?}"
        );
        // -o - prints it anyway, as asked.
        let (ok, tty, _) = on_a_terminal("both", &["get", &url, "-o", "-"], &dir);
        assert!(ok, "{}", text(&tty));
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn max_time_ends_a_transfer_that_keeps_dripping() {
    // A body of 100 bytes, one every 50 ms: each read is in time, the whole takes 5 s.
    let l = TcpListener::bind(loopback()).unwrap();
    let addr = l.local_addr().unwrap();
    thread::spawn(move || {
        for conn in l.incoming().take(3) {
            let Ok(mut s) = conn else { return };
            thread::spawn(move || {
                let mut buf = [0u8; 1024];
                let _ = s.read(&mut buf);
                let _ = s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n");
                for _ in 0..100 {
                    if s.write_all(b"x").is_err() {
                        return;
                    }
                    thread::sleep(Duration::from_millis(50));
                }
            });
        }
    });
    for rt in ["std", "mio", "smol"] {
        let started = std::time::Instant::now();
        let out = netloom_get(&[
            &format!("http://{addr}/"),
            "--max-time",
            "0.6",
            "--runtime",
            rt,
        ]);
        assert_one_line_error(&out, "time limit");
        assert!(
            started.elapsed() < Duration::from_secs(4),
            "{rt}: {:?}",
            started.elapsed()
        );
    }
}

#[test]
fn unix_socket_reaches_a_server_listening_on_one() {
    let dir = temp_dir("cli-get-unix");
    let path = dir.join("s.sock");
    let handler = |req: IncomingRequest| {
        OutgoingResponse::text(
            200,
            format!(
                "{} for {}\n",
                req.head.target(),
                req.head.headers().get_str("Host").unwrap_or("-")
            ),
        )
    };
    let _server = Runtime::Std
        .spawn_http_on(
            netloom::Listener::bind_unix(&path).unwrap(),
            handler,
            ServerConfig::default(),
            Limits::default(),
        )
        .unwrap();
    for rt in ["std", "mio", "smol"] {
        let out = netloom_get(&[
            "--unix-socket",
            path.to_str().unwrap(),
            "http://svc.local/ping",
            "--runtime",
            rt,
        ]);
        assert!(out.status.success(), "{rt}: {}", text(&out.stderr));
        assert_eq!(text(&out.stdout), "/ping for svc.local\n", "{rt}");
    }
}
