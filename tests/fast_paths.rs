//! The fast paths on every runtime, over real loopback sockets: files answered from the
//! cache of open files on the I/O thread (no worker needed), file bodies sent with sendfile
//! (whole and in ranges, under a small write window), files that change or disappear
//! between requests (served fresh, never stale), and a heavy request taken off a server
//! whose handlers run inline, so a normal call is answered while it is in progress.
//!
//! Nothing here is timed: each claim is proved by what is answered, and in what order.

mod common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use netloom::http::content_coding;
use netloom::http::server::{Attempt, Handler, IncomingRequest, OutgoingResponse};
use netloom::static_files::StaticFiles;
use netloom::xmlrpc::http::XmlRpcHandler;
use netloom::xmlrpc::Dispatcher;
use netloom::{Runtime, ServerConfig};

use common::{each_runtime, serve_http, temp_dir};

fn connect(addr: SocketAddr) -> TcpStream {
    let s = TcpStream::connect(addr).unwrap();
    // Only so that a server that never answers fails the test instead of hanging it.
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    s
}

/// One response: status, head (lower-cased names), body.
struct Reply {
    status: u16,
    head: String,
    body: Vec<u8>,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().find_map(|l| {
            let (n, v) = l.split_once(':')?;
            n.eq_ignore_ascii_case(name).then(|| v.trim())
        })
    }
}

/// Reads one response to a request of `method` from `s`; `pending` carries bytes read past
/// it (pipelined answers) from one call to the next.
fn read_reply(s: &mut TcpStream, method: &str, pending: &mut Vec<u8>) -> Reply {
    let mut buf = [0u8; 64 * 1024];
    let end = loop {
        if let Some(i) = pending.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let n = s.read(&mut buf).expect("a response");
        assert!(n > 0, "closed before a response head");
        pending.extend_from_slice(&buf[..n]);
    };
    let head = String::from_utf8_lossy(&pending[..end]).into_owned();
    let status = head[9..12].parse().unwrap();
    let mut reply = Reply {
        status,
        head,
        body: Vec::new(),
    };
    let len: usize = if method == "HEAD" || status == 304 {
        0
    } else {
        reply.header("Content-Length").unwrap().parse().unwrap()
    };
    pending.drain(..end);
    while pending.len() < len {
        let n = s.read(&mut buf).expect("the body");
        assert!(n > 0, "closed inside a body");
        pending.extend_from_slice(&buf[..n]);
    }
    reply.body = pending.drain(..len).collect();
    reply
}

/// `GET` (or another method) of `path` with `extra` header lines, on a connection of its own.
fn request(addr: SocketAddr, method: &str, path: &str, extra: &str) -> Reply {
    let mut s = connect(addr);
    write!(s, "{method} {path} HTTP/1.1\r\nHost: t\r\n{extra}\r\n").unwrap();
    read_reply(&mut s, method, &mut Vec::new())
}

fn patterned(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i % 251) as u8 ^ seed)
        .collect::<Vec<u8>>()
}

/// Waits until files just written have settled (the cache takes only files whose last
/// change is more than 2 s older than the moment they are read).
fn let_settle() {
    std::thread::sleep(Duration::from_millis(2100));
}

fn file_server(
    rt: Runtime,
    dir: &Path,
    config: ServerConfig,
) -> (netloom::RunningServer, StaticFiles) {
    let files = StaticFiles::new(dir).unwrap();
    (serve_http(rt, files.clone(), config), files)
}

/// The static files, except that `/hold` holds the worker it runs on until the test lets it
/// go (and says when it has started).
struct Holding {
    files: StaticFiles,
    entered: Mutex<mpsc::Sender<()>>,
    gate: Mutex<mpsc::Receiver<()>>,
}

impl Handler for Holding {
    fn try_handle(&self, req: IncomingRequest) -> Attempt {
        self.files.try_handle(req)
    }

    fn handle(&self, req: IncomingRequest) -> OutgoingResponse {
        if req.head.target() == "/hold" {
            let _ = self.entered.lock().unwrap().send(());
            let _ = self
                .gate
                .lock()
                .unwrap()
                .recv_timeout(Duration::from_secs(30));
            return OutgoingResponse::text(200, "held");
        }
        self.files.handle(req)
    }
}

#[test]
fn cached_files_are_answered_on_the_io_thread_while_every_worker_is_busy() {
    let dir = temp_dir("fast-cached");
    let small = b"Hello, world!\n";
    let big = patterned(300_000, 0);
    std::fs::write(dir.join("small.txt"), small).unwrap();
    std::fs::write(dir.join("big.bin"), &big).unwrap();
    std::fs::write(dir.join("other.txt"), b"other\n").unwrap();
    let_settle();
    each_runtime(|rt| {
        let (entered_tx, entered) = mpsc::channel();
        let (release, gate) = mpsc::channel();
        let files = StaticFiles::new(&dir).unwrap();
        let handler = Holding {
            files: files.clone(),
            entered: Mutex::new(entered_tx),
            gate: Mutex::new(gate),
        };
        // One worker: while it is held, anything that needs a worker waits.
        let config = ServerConfig {
            handler_threads: 1,
            ..ServerConfig::default()
        };
        let server = serve_http(rt, handler, config);
        let addr = server.local_addr();
        // First requests go the full way (on the worker) and fill the cache.
        assert_eq!(request(addr, "GET", "/small.txt", "").body, small);
        assert_eq!(request(addr, "GET", "/big.bin", "").body, big);
        let before = files.cache_hits();
        // Now the only worker is held.
        let mut held = connect(addr);
        write!(held, "GET /hold HTTP/1.1\r\nHost: t\r\n\r\n").unwrap();
        entered
            .recv_timeout(Duration::from_secs(20))
            .expect("the worker is held");
        // Cached files are answered all the same: no worker is needed for them.
        let r = request(addr, "GET", "/small.txt", "");
        assert_eq!((r.status, &r.body[..]), (200, &small[..]));
        assert_eq!(r.header("Content-Length"), Some("14"));
        let r = request(addr, "GET", "/big.bin", "");
        assert_eq!(r.status, 200);
        assert!(r.body == big, "the whole big file, byte for byte");
        let r = request(addr, "GET", "/big.bin", "Range: bytes=1000-1999\r\n");
        assert_eq!(r.status, 206);
        assert_eq!(r.body, &big[1000..2000]);
        let etag = r.header("ETag").unwrap().to_owned();
        let r = request(
            addr,
            "GET",
            "/big.bin",
            &format!("If-None-Match: {etag}\r\n"),
        );
        assert_eq!(r.status, 304);
        let r = request(addr, "HEAD", "/small.txt", "");
        assert_eq!((r.status, r.header("Content-Length")), (200, Some("14")));
        assert_eq!(files.cache_hits(), before + 5, "all five from the cache");
        // A file not cached yet needs the worker: answered once it is free again.
        let mut other = connect(addr);
        write!(other, "GET /other.txt HTTP/1.1\r\nHost: t\r\n\r\n").unwrap();
        release.send(()).unwrap();
        assert_eq!(read_reply(&mut held, "GET", &mut Vec::new()).body, b"held");
        assert_eq!(
            read_reply(&mut other, "GET", &mut Vec::new()).body,
            b"other\n"
        );
        server.shutdown();
    });
}

#[test]
fn files_that_change_or_disappear_are_served_fresh() {
    let dir = temp_dir("fast-fresh");
    each_runtime(|rt| {
        let (small, big) = (
            dir.join(format!("s-{rt}.txt")),
            dir.join(format!("b-{rt}.bin")),
        );
        std::fs::write(&small, b"version 1\n").unwrap();
        std::fs::write(&big, patterned(100_000, 1)).unwrap();
        let_settle();
        let (server, files) = file_server(rt, &dir, ServerConfig::default());
        let addr = server.local_addr();
        let (s, b) = (format!("/s-{rt}.txt"), format!("/b-{rt}.bin"));
        for _ in 0..2 {
            assert_eq!(request(addr, "GET", &s, "").body, b"version 1\n");
            assert!(request(addr, "GET", &b, "").body == patterned(100_000, 1));
        }
        assert!(
            files.cache_hits() >= 2,
            "the second round came from the cache"
        );

        // Rewritten in place, same size: the new bytes at once.
        std::fs::write(&small, b"version 2\n").unwrap();
        let mut f = std::fs::OpenOptions::new().write(true).open(&big).unwrap();
        f.write_all(&patterned(100_000, 2)).unwrap();
        drop(f);
        for _ in 0..2 {
            let r = request(addr, "GET", &s, "");
            assert_eq!(r.body, b"version 2\n");
            assert!(request(addr, "GET", &b, "").body == patterned(100_000, 2));
        }
        // Replaced by another file (a rename over it), of another size.
        let next = dir.join(format!("next-{rt}"));
        std::fs::write(&next, b"version three\n").unwrap();
        std::fs::rename(&next, &small).unwrap();
        let r = request(addr, "GET", &s, "");
        assert_eq!(
            (r.body.as_slice(), r.header("Content-Length")),
            (&b"version three\n"[..], Some("14"))
        );
        // Cut short: the new length, and a range past it is unsatisfiable.
        std::fs::OpenOptions::new()
            .write(true)
            .open(&big)
            .unwrap()
            .set_len(50_000)
            .unwrap();
        let r = request(addr, "GET", &b, "");
        assert!(r.body == patterned(50_000, 2));
        let r = request(addr, "GET", &b, "Range: bytes=60000-60009\r\n");
        assert_eq!(r.status, 416);
        // Gone: not found, however often it was served before.
        std::fs::remove_file(&small).unwrap();
        std::fs::remove_file(&big).unwrap();
        assert_eq!(request(addr, "GET", &s, "").status, 404);
        assert_eq!(request(addr, "GET", &b, "").status, 404);
        // And back again, with other bytes.
        std::fs::write(&small, b"version 4\n").unwrap();
        assert_eq!(request(addr, "GET", &s, "").body, b"version 4\n");
        server.shutdown();
    });
}

#[test]
fn file_bodies_go_out_whole_in_ranges_and_pipelined_under_a_small_write_window() {
    let dir = temp_dir("fast-sendfile");
    let data = patterned(1_500_000, 3);
    std::fs::write(dir.join("data.bin"), &data).unwrap();
    std::fs::write(dir.join("tiny.txt"), b"tiny\n").unwrap();
    each_runtime(|rt| {
        // Many windows per body: each file slice is capped at what is left of one.
        let config = ServerConfig {
            write_window: 16 * 1024,
            ..ServerConfig::default()
        };
        let (server, _) = file_server(rt, &dir, config);
        let addr = server.local_addr();
        let mut s = connect(addr);
        // Pipelined: whole, ranges of every form, HEAD, a small file, in one write.
        let requests = [
            ("GET", "/data.bin", ""),
            ("GET", "/data.bin", "Range: bytes=100-65635\r\n"),
            ("GET", "/data.bin", "Range: bytes=-1000\r\n"),
            ("GET", "/data.bin", "Range: bytes=1499990-\r\n"),
            ("HEAD", "/data.bin", ""),
            ("GET", "/tiny.txt", ""),
            ("GET", "/data.bin", "Range: bytes=2000000-\r\n"),
        ];
        let mut all = String::new();
        for (method, path, extra) in requests {
            all.push_str(&format!(
                "{method} {path} HTTP/1.1\r\nHost: t\r\n{extra}\r\n"
            ));
        }
        s.write_all(all.as_bytes()).unwrap();
        let mut pending = Vec::new();
        let mut next = |method| read_reply(&mut s, method, &mut pending);
        let r = next("GET");
        assert_eq!(
            (r.status, r.header("Content-Length")),
            (200, Some("1500000"))
        );
        assert!(r.body == data, "whole body intact");
        let r = next("GET");
        assert_eq!(r.status, 206);
        assert_eq!(r.header("Content-Range"), Some("bytes 100-65635/1500000"));
        assert!(r.body == data[100..65636]);
        let r = next("GET");
        assert_eq!(r.body, &data[1_499_000..]);
        let r = next("GET");
        assert_eq!(r.body, &data[1_499_990..]);
        let r = next("HEAD");
        assert_eq!(
            (r.status, r.header("Content-Length")),
            (200, Some("1500000"))
        );
        let r = next("GET");
        assert_eq!(r.body, b"tiny\n");
        let r = next("GET");
        assert_eq!(r.status, 416);
        assert_eq!(r.header("Content-Range"), Some("bytes */1500000"));
        server.shutdown();
    });
}

/// A calculator with a method that holds its caller until the test lets it go, and says
/// when it has started.
fn gated_calculator(
    entered: mpsc::Sender<()>,
    gate: mpsc::Receiver<()>,
) -> XmlRpcHandler<Arc<Dispatcher>> {
    let mut d = netloom::seed::calculator();
    let (entered, gate) = (Mutex::new(entered), Mutex::new(gate));
    d.register("hold", move |padding: String| {
        let _ = entered.lock().unwrap().send(());
        let _ = gate.lock().unwrap().recv_timeout(Duration::from_secs(30));
        Ok::<_, netloom::xmlrpc::Fault>(padding.len() as i32)
    });
    XmlRpcHandler::new(Arc::new(d))
}

fn xmlrpc_post(body: &[u8], gzipped: bool) -> Vec<u8> {
    let mut r =
        format!(
        "POST /RPC2 HTTP/1.1\r\nHost: t\r\nContent-Type: text/xml\r\nContent-Length: {}\r\n{}\r\n",
        body.len(),
        if gzipped { "Content-Encoding: gzip\r\n" } else { "" }
    )
        .into_bytes();
    r.extend_from_slice(body);
    r
}

#[test]
fn a_heavy_call_goes_off_an_inline_server_and_a_normal_call_is_answered_meanwhile() {
    each_runtime(|rt| {
        let (entered_tx, entered) = mpsc::channel();
        let (release, gate) = mpsc::channel();
        // As the CLI serves its calculator: handlers on the I/O thread.
        let config = ServerConfig {
            handler_threads: 0,
            ..ServerConfig::default()
        };
        let handler = gated_calculator(entered_tx, gate);
        let server = rt
            .spawn_http(
                common::loopback(),
                handler,
                config,
                netloom::http::Limits::default(),
            )
            .unwrap();
        let addr = server.local_addr();
        // The heavy call: gzipped, a few KiB on the wire, far under offload_body_bytes, but
        // a compressed body weighs 256 times its size (what it may inflate to).
        let mut seed = 7u32;
        let padding: String = (0..8192)
            .map(|_| {
                seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                char::from(b'a' + (seed >> 16) as u8 % 26)
            })
            .collect();
        let xml = format!(
            "<?xml version='1.0'?><methodCall><methodName>hold</methodName><params><param><value><string>{padding}</string></value></param></params></methodCall>"
        );
        let gz = content_coding::gzip(xml.as_bytes());
        let threshold = ServerConfig::default().offload_body_bytes;
        assert!(gz.len() < threshold && gz.len() * 256 > threshold);
        let mut heavy = connect(addr);
        heavy.write_all(&xmlrpc_post(&gz, true)).unwrap();
        // It is in progress (inside its handler) until we say so.
        entered
            .recv_timeout(Duration::from_secs(20))
            .expect("the heavy call started");
        // Meanwhile a normal call, on the same inline server, is answered.
        let add = b"<?xml version='1.0'?><methodCall><methodName>add</methodName><params><param><value><int>7</int></value></param><param><value><int>3</int></value></param></params></methodCall>";
        let mut normal = connect(addr);
        normal.write_all(&xmlrpc_post(add, false)).unwrap();
        let r = read_reply(&mut normal, "POST", &mut Vec::new());
        assert_eq!(r.status, 200);
        assert!(String::from_utf8_lossy(&r.body).contains("<int>10</int>"));
        // Only then does the heavy call finish.
        release.send(()).unwrap();
        let r = read_reply(&mut heavy, "POST", &mut Vec::new());
        assert!(String::from_utf8_lossy(&r.body).contains("<int>8192</int>"));
        server.shutdown();
    });
}
