//! File bodies (`Body::File`) through `ServerConn` and `Served`, driven by hand: what a driver
//! that writes files itself (`Next::WriteFile`) is told, what one that does not gets instead
//! (the same bytes through `transmit`), the write window over file bytes, a file cut short,
//! and where handlers run (the fast path, heavy requests off an inline connection).

#![cfg(unix)]

use std::fs::File;
use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use netloom_core::frame::ConnInfo;
use netloom_core::http::server::{
    Attempt, Handler, HttpService, IncomingRequest, OutgoingResponse, ServerConn,
};
use netloom_core::http::Limits;
use netloom_core::serve::{CloseReason, Next, Served};
use netloom_core::{Duplex, FileRange, Now, ServerConfig};

/// A file of `len` patterned bytes.
fn file_of(tag: &str, len: usize) -> (PathBuf, Vec<u8>) {
    let path =
        std::env::temp_dir().join(format!("netloom-serve-files-{tag}-{}", std::process::id()));
    let data: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
    File::create(&path).unwrap().write_all(&data).unwrap();
    (path, data)
}

/// Answers `/file` with bytes 10.. of the file at `path`, anything else with text.
struct Files {
    path: PathBuf,
}

impl Handler for Files {
    fn handle(&self, req: IncomingRequest) -> OutgoingResponse {
        if req.head.target() == "/file" {
            let file = File::open(&self.path).unwrap();
            let len = file.metadata().unwrap().len();
            return OutgoingResponse::file(200, "application/octet-stream", {
                FileRange::new(file, 10, len - 10)
            });
        }
        OutgoingResponse::text(200, format!("text {}", req.head.target()))
    }
}

fn info() -> ConnInfo {
    ConnInfo {
        local: "127.0.0.1:80".parse().unwrap(),
        peer: "127.0.0.1:9".parse().unwrap(),
    }
}

fn now() -> Now {
    Now::new(Instant::now(), SystemTime::now())
}

fn config() -> ServerConfig {
    ServerConfig {
        write_window: 64 * 1024,
        write_timeout: Duration::from_secs(10),
        ..ServerConfig::default()
    }
}

fn served(path: &std::path::Path, sendfile: bool) -> Served<ServerConn<Arc<Files>>> {
    let files = Arc::new(Files {
        path: path.to_owned(),
    });
    let mut s = Served::new(
        ServerConn::new(files, info(), Limits::default()),
        &config(),
        None,
        now(),
    );
    if sendfile {
        s.enable_transmit_file();
    }
    s
}

/// Plays the driver until the connection wants to read (or closes): bytes written as
/// asked, file slices read from the file as `sendfile` would. Returns the wire bytes and
/// how many came as file slices.
fn drive<C: Duplex>(s: &mut Served<C>, t: Now) -> (Vec<u8>, usize) {
    let (mut wire, mut from_files) = (Vec::new(), 0);
    loop {
        match s.next(t) {
            Next::Write => {
                let out = s.transmit().to_vec();
                wire.extend_from_slice(&out);
                s.advance(t, out.len());
            }
            Next::WriteFile => {
                let slice = s.transmit_file().expect("a slice to write");
                assert!(slice.len > 0 && slice.len <= 64 * 1024, "within a window");
                let mut buf = vec![0u8; slice.len];
                let n = read_at(slice.file, &mut buf, slice.offset);
                wire.extend_from_slice(&buf[..n]);
                from_files += n;
                // What sendfile returns at end of file: 0, which ends the connection.
                assert!(s.on_write(t, Ok(n)));
            }
            Next::ShutdownWrite | Next::Read | Next::Close => return (wire, from_files),
            Next::Run(_) | Next::Wait => panic!("a file handler needs no job"),
        }
    }
}

fn read_at(file: &File, buf: &mut [u8], offset: u64) -> usize {
    std::os::unix::fs::FileExt::read_at(file, buf, offset).unwrap()
}

fn body_after_head(wire: &[u8]) -> (String, &[u8]) {
    let end = wire.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    (
        String::from_utf8_lossy(&wire[..end]).into_owned(),
        &wire[end..],
    )
}

#[test]
fn a_file_body_goes_to_a_sendfile_driver_as_slices_and_to_any_other_as_bytes() {
    let (path, data) = file_of("both", 300_000);
    let request = b"GET /file HTTP/1.1\r\nHost: a\r\n\r\nGET /after HTTP/1.1\r\nHost: a\r\n\r\n";
    let mut wires = Vec::new();
    for sendfile in [true, false] {
        let mut s = served(&path, sendfile);
        let t = now();
        s.receive(t, request);
        let (wire, from_files) = drive(&mut s, t);
        if sendfile {
            assert_eq!(from_files, data.len() - 10, "the body came as file slices");
        } else {
            assert_eq!(from_files, 0, "never a file slice without sendfile");
        }
        let (head, rest) = body_after_head(&wire);
        assert!(head.contains("\r\nContent-Length: 299990\r\n"), "{head}");
        assert_eq!(&rest[..data.len() - 10], &data[10..]);
        // The pipelined request is answered after the whole file, not inside it.
        assert!(String::from_utf8_lossy(&rest[data.len() - 10..]).ends_with("text /after"));
        assert!(!s.is_closed());
        wires.push(wire);
    }
    assert_eq!(wires[0], wires[1], "the same bytes on the wire either way");
    std::fs::remove_file(path).unwrap();
}

#[test]
fn file_bytes_count_against_the_write_window() {
    let (path, _) = file_of("window", 200_000);
    let mut s = served(&path, true);
    let t0 = now();
    s.receive(t0, b"GET /file HTTP/1.1\r\nHost: a\r\n\r\n");
    assert!(matches!(s.next(t0), Next::Write));
    let head = s.transmit().len();
    s.advance(t0, head);
    assert!(matches!(s.next(t0), Next::WriteFile));
    // The head took part of the first window: the slice is what is left of it.
    assert_eq!(s.transmit_file().unwrap().len, 64 * 1024 - head);
    assert_eq!(s.poll_timeout(), Some(t0.instant + Duration::from_secs(10)));
    let t1 = t0.after(Duration::from_secs(9));
    let n = s.transmit_file().unwrap().len;
    s.advance(t1, n);
    // That window was taken in time; the next starts now, and a peer that stops reading
    // is cut off at its deadline with the file half sent.
    assert!(matches!(s.next(t1), Next::WriteFile));
    assert_eq!(s.transmit_file().unwrap().len, 64 * 1024);
    assert_eq!(s.poll_timeout(), Some(t1.instant + Duration::from_secs(10)));
    s.handle_timeout(t1.after(Duration::from_secs(10)));
    assert!(matches!(s.next(t1), Next::Close));
    assert_eq!(s.close_reason(), Some(CloseReason::WriteTimeout));
    std::fs::remove_file(path).unwrap();
}

#[test]
fn a_file_cut_short_while_sent_closes_the_connection() {
    for sendfile in [true, false] {
        let (path, _) = file_of("short", 100_000);
        let mut s = served(&path, sendfile);
        let t = now();
        s.receive(t, b"GET /file HTTP/1.1\r\nHost: a\r\n\r\n");
        // The response is decided (its length promised); then the file shrinks.
        File::options()
            .write(true)
            .open(&path)
            .unwrap()
            .set_len(50_000)
            .unwrap();
        let (wire, _) = drive(&mut s, t);
        let (_, body) = body_after_head(&wire);
        assert!(body.len() < 99_990, "no more than there was");
        assert!(
            s.is_closed() || s.conn().is_finished(),
            "a body shorter than its Content-Length ends the connection (sendfile {sendfile})"
        );
        std::fs::remove_file(path).unwrap();
    }
}

#[test]
fn head_and_connection_close_with_a_file_body() {
    let (path, _) = file_of("head", 100_000);
    let mut s = served(&path, true);
    let t = now();
    s.receive(
        t,
        b"HEAD /file HTTP/1.1\r\nHost: a\r\n\r\nGET /file HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
    );
    let (wire, from_files) = drive(&mut s, t);
    assert_eq!(from_files, 99_990, "only the GET's body");
    let text = String::from_utf8_lossy(&wire);
    assert_eq!(text.matches("Content-Length: 99990\r\n").count(), 2);
    // Then the connection shuts its side and lingers, as after any last response.
    assert!(matches!(s.next(t), Next::Read), "lingering");
    s.receive_eof(t);
    assert!(matches!(s.next(t), Next::Close));
    assert_eq!(s.close_reason(), Some(CloseReason::Finished));
    std::fs::remove_file(path).unwrap();
}

/// Counts calls; `/fast` is answered by the fast path.
#[derive(Default)]
struct Counting {
    handled: AtomicUsize,
}

impl Handler for Counting {
    fn handle(&self, req: IncomingRequest) -> OutgoingResponse {
        self.handled.fetch_add(1, Ordering::SeqCst);
        OutgoingResponse::text(200, format!("{} bytes", req.body.len()))
    }

    fn try_handle(&self, req: IncomingRequest) -> Attempt {
        if req.head.target() == "/fast" {
            return Attempt::Answered(OutgoingResponse::text(200, "fast"));
        }
        Attempt::Declined(req)
    }
}

fn post(target: &str, coding: Option<&str>, body: &[u8]) -> Vec<u8> {
    let mut r = format!(
        "POST {target} HTTP/1.1\r\nHost: a\r\nContent-Length: {}\r\n",
        body.len()
    );
    if let Some(c) = coding {
        r.push_str(&format!("Content-Encoding: {c}\r\n"));
    }
    r.push_str("\r\n");
    let mut r = r.into_bytes();
    r.extend_from_slice(body);
    r
}

#[test]
fn a_deferred_connection_takes_the_fast_path_without_a_job() {
    let service = HttpService::new(
        Arc::new(Counting::default()),
        Limits::default(),
        &ServerConfig::default(),
        true,
    );
    let mut c = service.connection(info());
    c.receive(now(), &post("/fast", None, b""));
    assert!(c.take_job().is_none(), "answered on the spot");
    assert!(c.transmit().ends_with(b"fast"));
    let n = c.transmit().len();
    c.advance(now(), n);
    c.receive(now(), &post("/slow", None, b""));
    let job = c.take_job().expect("anything else goes to a worker");
    c.complete(now(), job.run());
    assert!(c.transmit().ends_with(b"0 bytes"));
}

#[test]
fn an_inline_connection_hands_heavy_requests_to_a_worker() {
    let config = ServerConfig {
        offload_body_bytes: 1000,
        ..ServerConfig::default()
    };
    let handler = Arc::new(Counting::default());
    let service = HttpService::new(Arc::clone(&handler), Limits::default(), &config, false);
    let mut c = service.connection(info());
    let answer = |c: &mut ServerConn<Arc<Counting>>| {
        let out = String::from_utf8_lossy(c.transmit()).into_owned();
        let n = out.len();
        c.advance(now(), n);
        out
    };
    // Up to the threshold: inline.
    c.receive(now(), &post("/", None, &[b'x'; 1000]));
    assert!(c.take_job().is_none());
    assert!(answer(&mut c).ends_with("1000 bytes"));
    // Over it: a job, and nothing else happens on the connection meanwhile.
    c.receive(now(), &post("/", None, &[b'x'; 1001]));
    let job = c.take_job().expect("heavy: a job");
    assert!(c.transmit().is_empty());
    c.complete(now(), job.run());
    assert!(answer(&mut c).ends_with("1001 bytes"));
    // A compressed body weighs what it may inflate to.
    c.receive(now(), &post("/", Some("gzip"), &[b'x'; 10]));
    assert!(c.take_job().is_some(), "10 compressed bytes count as 2560");
    let mut c = service.connection(info());
    c.receive(now(), &post("/", Some("identity"), &[b'x'; 10]));
    assert!(c.take_job().is_none(), "identity is no compression");
    assert_eq!(handler.handled.load(Ordering::SeqCst), 3);
}
