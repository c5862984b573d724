//! Hostile clients against the HTTP server on every runtime: peers that never read, floods of
//! half-open connections, oversized messages, pipelining bursts, the connection bound, many
//! concurrent keep-alive clients, and graceful shutdown. Loopback only; every scenario is
//! bounded in connections and time. (Slowloris, silent clients and malformed requests are
//! covered in `http_server.rs`.)

mod common;

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, RwLock, RwLockReadGuard};
use std::thread;
use std::time::{Duration, Instant};

use netloom::http::server::{IncomingRequest, OutgoingResponse};
use netloom::http::Limits;
use netloom::{RunningServer, Runtime, ServerConfig};

use common::{each_runtime, loopback, serve_http};

/// Size of the `/big` response.
const BIG: usize = 64 * 1024;

/// Size of the `/huge` response: far more than socket buffers hold.
const HUGE: usize = 8 << 20;

/// The handler: `/big` is 64 KiB, `/huge` 8 MiB, `/slow` takes 300 ms; anything else names
/// its target.
fn app(req: IncomingRequest) -> OutgoingResponse {
    let target = req.head.target();
    match target {
        "/big" => OutgoingResponse::bytes(200, "application/octet-stream", vec![b'x'; BIG]),
        "/huge" => OutgoingResponse::bytes(200, "application/octet-stream", vec![b'h'; HUGE]),
        "/slow" => {
            thread::sleep(Duration::from_millis(300));
            OutgoingResponse::text(200, "slow done")
        }
        _ => OutgoingResponse::text(200, target.to_string()),
    }
}

fn start(rt: Runtime, config: ServerConfig) -> RunningServer {
    serve_http(rt, app, config)
}

/// A client socket with its own read buffer, reading Content-Length framed responses.
struct Client {
    stream: TcpStream,
    buf: Vec<u8>,
}

/// One parsed response.
#[derive(Debug)]
struct Reply {
    status: u16,
    body: Vec<u8>,
}

impl Client {
    fn connect(addr: SocketAddr) -> Client {
        let stream = TcpStream::connect(addr).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        stream
            .set_write_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        Client {
            stream,
            buf: Vec::new(),
        }
    }

    fn send(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).unwrap();
    }

    fn get(&mut self, target: &str) -> Reply {
        self.send(format!("GET {target} HTTP/1.1\r\nHost: x\r\n\r\n").as_bytes());
        self.reply().unwrap()
    }

    fn fill(&mut self) -> io::Result<()> {
        let mut chunk = [0u8; 16 * 1024];
        match self.stream.read(&mut chunk)? {
            0 => Err(io::ErrorKind::UnexpectedEof.into()),
            n => {
                self.buf.extend_from_slice(&chunk[..n]);
                Ok(())
            }
        }
    }

    /// Reads until a whole response head is buffered; where it ends.
    fn head_end(&mut self) -> io::Result<usize> {
        loop {
            if let Some(i) = self.buf.windows(4).position(|w| w == b"\r\n\r\n") {
                return Ok(i + 4);
            }
            self.fill()?;
        }
    }

    /// Reads one response (head, then a Content-Length body).
    fn reply(&mut self) -> io::Result<Reply> {
        let head_end = self.head_end()?;
        let head = String::from_utf8_lossy(&self.buf[..head_end]).into_owned();
        let status: u16 = head
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("bad status line in {head:?}"));
        let len: usize = head
            .lines()
            .find_map(|l| {
                let (name, value) = l.split_once(':')?;
                name.eq_ignore_ascii_case("content-length")
                    .then(|| value.trim().parse().ok())?
            })
            .unwrap_or(0);
        while self.buf.len() < head_end + len {
            self.fill()?;
        }
        let body = self.buf[head_end..head_end + len].to_vec();
        self.buf.drain(..head_end + len);
        Ok(Reply { status, body })
    }

    /// True once the server has closed the connection (end of stream or a reset).
    fn closed_by_server(&mut self) -> bool {
        let mut b = [0u8; 1];
        match self.stream.read(&mut b) {
            Ok(0) => true,
            Ok(_) => false,
            Err(e) => !matches!(
                e.kind(),
                io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
            ),
        }
    }
}

/// This process's resident set size, in bytes.
fn rss() -> usize {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<usize>().ok())
        .map_or(0, |kb| kb * 1024)
}

/// A well-behaved client gets its answer promptly.
fn assert_prompt(addr: SocketAddr, target: &str, limit: Duration) {
    let started = Instant::now();
    let mut c = Client::connect(addr);
    let r = c.get(target);
    assert_eq!(r.status, 200);
    assert_eq!(r.body, target.as_bytes());
    assert!(
        started.elapsed() < limit,
        "a good client waited {:?}",
        started.elapsed()
    );
}

#[test]
fn graceful_shutdown_finishes_requests_in_flight_and_closes_idle_connections() {
    let _shared = shared();
    each_runtime(|rt| {
        let started_flag = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&started_flag);
        let handler = move |req: IncomingRequest| {
            if req.head.target() == "/slow" {
                flag.store(true, Ordering::SeqCst);
            }
            app(req)
        };
        let config = ServerConfig {
            shutdown_grace: Duration::from_secs(5),
            ..ServerConfig::default()
        };
        let server = serve_http(rt, handler, config);
        let addr = server.local_addr();
        // An idle keep-alive connection that has been served once.
        let mut idle = Client::connect(addr);
        assert_eq!(idle.get("/first").status, 200);
        let shutting_down = Arc::new(AtomicBool::new(false));
        let after_shutdown_began = {
            let flag = Arc::clone(&shutting_down);
            move || {
                while !flag.load(Ordering::SeqCst) {
                    thread::sleep(Duration::from_millis(5));
                }
                thread::sleep(Duration::from_millis(200));
            }
        };
        // In flight when shutdown begins: a response far larger than the socket buffers,
        // read only once shutdown has begun...
        let mut huge = Client::connect(addr);
        huge.send(b"GET /huge HTTP/1.1\r\nHost: x\r\n\r\n");
        let huge = thread::spawn({
            let after = after_shutdown_began.clone();
            move || {
                after();
                huge.reply().unwrap()
            }
        });
        // ...a request whose body is half sent, the rest following once shutdown has begun...
        let mut posting = Client::connect(addr);
        posting.send(b"POST /posted HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n01234");
        // (It finishes only after the latecomer below has tried, so the drain is still on.)
        let probed = Arc::new(AtomicBool::new(false));
        let posting = thread::spawn({
            let probed = Arc::clone(&probed);
            move || {
                after_shutdown_began();
                while !probed.load(Ordering::SeqCst) {
                    thread::sleep(Duration::from_millis(5));
                }
                posting.send(b"56789");
                posting.reply().unwrap()
            }
        });
        // ...and a handler still running.
        let slow_done = Arc::new(AtomicBool::new(false));
        let slow = thread::spawn({
            let slow_done = Arc::clone(&slow_done);
            move || {
                let mut c = Client::connect(addr);
                let reply = c.get("/slow");
                slow_done.store(true, Ordering::SeqCst);
                reply
            }
        });
        // A client arriving during the drain is refused at once, not left in the backlog.
        // (It waits for the slow handler: a mio handler runs on its event loop's thread, so
        // the loop sees the shutdown only once that handler returns.)
        let latecomer = thread::spawn({
            let (began, slow_done) = (Arc::clone(&shutting_down), slow_done);
            move || {
                while !began.load(Ordering::SeqCst) || !slow_done.load(Ordering::SeqCst) {
                    thread::sleep(Duration::from_millis(5));
                }
                thread::sleep(Duration::from_millis(50));
                let tried = TcpStream::connect_timeout(&addr, Duration::from_secs(2)).map(|_| ());
                probed.store(true, Ordering::SeqCst);
                tried
            }
        });
        let wait = Instant::now();
        while !started_flag.load(Ordering::SeqCst) {
            assert!(
                wait.elapsed() < Duration::from_secs(5),
                "request never arrived"
            );
            thread::sleep(Duration::from_millis(5));
        }
        let began = Instant::now();
        shutting_down.store(true, Ordering::SeqCst);
        server.shutdown();
        let took = began.elapsed();
        let reply = slow.join().unwrap();
        assert_eq!(reply.status, 200);
        assert_eq!(reply.body, b"slow done");
        let reply = huge.join().unwrap();
        assert_eq!((reply.status, reply.body.len()), (200, HUGE));
        let reply = posting.join().unwrap();
        assert_eq!((reply.status, &reply.body[..]), (200, &b"/posted"[..]));
        assert!(took < Duration::from_secs(4), "shutdown took {took:?}");
        match latecomer.join().unwrap() {
            Err(e) => assert_eq!(e.kind(), io::ErrorKind::ConnectionRefused),
            Ok(()) => panic!("{rt}: a connection made during the drain was accepted"),
        }
        assert!(idle.closed_by_server(), "idle connection left open");
        match TcpStream::connect_timeout(&addr, Duration::from_secs(2)) {
            Err(e) => assert_eq!(e.kind(), io::ErrorKind::ConnectionRefused),
            Ok(_) => panic!("a connection after shutdown was accepted"),
        }
    });
}

#[test]
fn graceful_shutdown_is_bounded_by_the_grace_period() {
    let _shared = shared();
    each_runtime(|rt| {
        let config = ServerConfig {
            shutdown_grace: Duration::from_millis(500),
            ..ServerConfig::default()
        };
        let server = start(rt, config);
        let addr = server.local_addr();
        // Part-way through a request head: in flight, so shutdown waits for it, but only for
        // the grace period.
        let mut partial = Client::connect(addr);
        partial.send(b"GET /never-finished HTTP/1.1\r\nHost:");
        let mut idle = Client::connect(addr);
        assert_eq!(idle.get("/x").status, 200);
        thread::sleep(Duration::from_millis(50));
        let began = Instant::now();
        server.shutdown();
        let took = began.elapsed();
        assert!(took < Duration::from_secs(3), "shutdown took {took:?}");
        assert!(idle.closed_by_server());
        assert!(partial.closed_by_server());
    });
}

/// The memory test measures the whole process: it runs alone, the others share.
static MEMORY: RwLock<()> = RwLock::new(());

fn shared() -> RwLockReadGuard<'static, ()> {
    raise_fd_limit();
    MEMORY.read().unwrap_or_else(|e| e.into_inner())
}

/// Raises the soft open-file limit to the hard one: the floods below hold both ends of
/// hundreds of connections in this one process.
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

#[test]
fn a_client_that_never_reads_is_held_to_bounded_memory_and_cut_off() {
    let _alone = MEMORY.write().unwrap_or_else(|e| e.into_inner());
    raise_fd_limit();
    const REQUESTS: usize = 5000;
    each_runtime(|rt| {
        let config = ServerConfig {
            write_timeout: Duration::from_secs(1),
            ..ServerConfig::default()
        };
        let server = start(rt, config);
        let addr = server.local_addr();
        let before = rss();
        // 5000 pipelined requests for 64 KiB each (over 300 MiB of responses), never read.
        let mut hog = TcpStream::connect(addr).unwrap();
        hog.set_write_timeout(Some(Duration::from_secs(5))).unwrap();
        let writer = {
            let mut hog = hog.try_clone().unwrap();
            thread::spawn(move || {
                let batch = "GET /big HTTP/1.1\r\nHost: x\r\n\r\n".repeat(100);
                for _ in 0..REQUESTS / 100 {
                    if hog.write_all(batch.as_bytes()).is_err() {
                        break; // the server stopped reading, then gave up on us
                    }
                }
            })
        };
        // A good client is served throughout, for longer than the write timeout.
        let started = Instant::now();
        while started.elapsed() < Duration::from_millis(2500) {
            assert_prompt(addr, "/good", Duration::from_secs(2));
            thread::sleep(Duration::from_millis(50));
        }
        let grown = rss().saturating_sub(before);
        println!(
            "{rt}: RSS grew by {} KiB under a client that never reads",
            grown / 1024
        );
        assert!(grown < 64 << 20, "RSS grew by {grown} bytes");
        // The write timeout ends the hog: reading now finds the end of the stream (or a
        // reset) after far less than the full 300 MiB.
        hog.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let mut got = 0usize;
        let mut chunk = vec![0u8; 64 * 1024];
        let ended = Instant::now();
        loop {
            match hog.read(&mut chunk) {
                Ok(0) => break,
                Ok(n) => got += n,
                Err(e) if e.kind() == io::ErrorKind::ConnectionReset => break,
                Err(e) => panic!("the hog is still connected after {got} bytes: {e}"),
            }
            assert!(ended.elapsed() < Duration::from_secs(10), "hog not cut off");
        }
        println!(
            "{rt}: the hog was cut off after {} KiB of responses",
            got / 1024
        );
        assert!(got < REQUESTS * BIG / 2, "the hog was served {got} bytes");
        writer.join().unwrap();
        assert_prompt(addr, "/after", Duration::from_secs(2));
    });
}

/// Requests `/huge` and reads it `piece` bytes at a time with `pause` between reads, for at
/// most `trickle`; then reads as fast as it can. Returns the body bytes received and whether
/// the server ended the connection before the whole body came.
fn download_huge(
    addr: SocketAddr,
    piece: usize,
    pause: Duration,
    trickle: Duration,
) -> (usize, bool) {
    let mut c = Client::connect(addr);
    c.send(b"GET /huge HTTP/1.1\r\nHost: x\r\n\r\n");
    let head_end = c.head_end().unwrap();
    let mut got = c.buf.len() - head_end;
    let mut chunk = vec![0u8; piece.max(64 * 1024)];
    let started = Instant::now();
    while got < HUGE {
        let n = if started.elapsed() < trickle {
            thread::sleep(pause);
            c.stream.read(&mut chunk[..piece])
        } else {
            c.stream.read(&mut chunk)
        };
        match n {
            Ok(0) => return (got, true),
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::ConnectionReset => return (got, true),
            Err(e) => panic!("read failed after {got} bytes: {e}"),
        }
        assert!(
            started.elapsed() < trickle + Duration::from_secs(20),
            "the download neither finished nor was cut off"
        );
    }
    (got, false)
}

#[test]
fn a_slow_but_steady_reader_of_a_large_body_is_served_in_full() {
    let _shared = shared();
    each_runtime(|rt| {
        // 8 MiB at about 2.6 MB/s takes three times the write timeout; every 256 KiB window
        // of it still goes out well within the timeout.
        let config = ServerConfig {
            write_timeout: Duration::from_secs(1),
            ..ServerConfig::default()
        };
        let server = start(rt, config);
        let (got, cut) = download_huge(
            server.local_addr(),
            64 * 1024,
            Duration::from_millis(25),
            Duration::from_secs(60),
        );
        assert!(!cut, "{rt}: cut off after {got} of {HUGE} bytes");
        assert_eq!(got, HUGE, "{rt}");
    });
}

#[test]
fn a_reader_that_trickles_below_the_minimum_rate_is_cut_off() {
    let _shared = shared();
    each_runtime(|rt| {
        // 64 KiB every 500 ms keeps the server's writes progressing (each write finds room
        // well within the 1 s timeout), but a 256 KiB window takes 2 s: too slow.
        let config = ServerConfig {
            write_timeout: Duration::from_secs(1),
            ..ServerConfig::default()
        };
        let server = start(rt, config);
        let addr = server.local_addr();
        let (got, cut) = download_huge(
            addr,
            64 * 1024,
            Duration::from_millis(500),
            Duration::from_secs(5),
        );
        println!(
            "{rt}: the trickling reader was cut off after {} KiB",
            got / 1024
        );
        assert!(
            cut,
            "{rt}: a reader trickling at 128 KB/s got the whole body"
        );
        assert!(got < HUGE, "{rt}");
        assert_prompt(addr, "/after", Duration::from_secs(2));
    });
}

#[test]
fn a_long_streamed_download_is_served_in_bounded_memory() {
    let _alone = MEMORY.write().unwrap_or_else(|e| e.into_inner());
    const SIZE: u64 = 256 << 20;
    each_runtime(|rt| {
        let handler = |_req: IncomingRequest| {
            let zeros = io::repeat(0).take(SIZE);
            OutgoingResponse::stream(200, "application/octet-stream", Some(SIZE), Box::new(zeros))
        };
        let server = serve_http(rt, handler, ServerConfig::default());
        let before = rss();
        let mut c = Client::connect(server.local_addr());
        c.send(b"GET /zeros HTTP/1.1\r\nHost: x\r\n\r\n");
        let head_end = c.head_end().unwrap();
        let mut got = (c.buf.len() - head_end) as u64;
        let mut chunk = vec![0u8; 256 * 1024];
        while got < SIZE {
            match c.stream.read(&mut chunk) {
                Ok(0) => panic!("{rt}: closed after {got} bytes"),
                Ok(n) => got += n as u64,
                Err(e) => panic!("{rt}: {e} after {got} bytes"),
            }
        }
        // Still connected (keep-alive): whatever the server kept for this response is live.
        let grown = rss().saturating_sub(before);
        println!(
            "{rt}: RSS grew by {} KiB over a 256 MiB download",
            grown / 1024
        );
        assert!(grown < 32 << 20, "{rt}: RSS grew by {grown} bytes");
    });
}

#[test]
fn a_flood_of_half_open_connections_does_not_starve_a_good_client() {
    let _shared = shared();
    each_runtime(|rt| {
        let server = start(rt, ServerConfig::default());
        let addr = server.local_addr();
        let mut flood = Vec::new();
        for i in 0..500 {
            let mut s = TcpStream::connect(addr).unwrap();
            match i % 3 {
                0 => {}                                             // connects, says nothing
                1 => s.write_all(b"GET / HTTP/1.1\r\nHo").unwrap(), // a partial head
                _ => s
                    .write_all(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nab")
                    .unwrap(), // a partial body
            }
            flood.push(s);
            if i % 100 == 99 {
                assert_prompt(addr, &format!("/during{i}"), Duration::from_secs(2));
            }
        }
        for i in 0..20 {
            assert_prompt(addr, &format!("/good{i}"), Duration::from_secs(2));
        }
        drop(flood);
        assert_prompt(addr, "/after", Duration::from_secs(2));
    });
}

#[test]
fn endless_heads_and_oversized_bodies_are_refused_while_others_are_served() {
    let _shared = shared();
    let limits = Limits {
        max_request_body_bytes: 1 << 20,
        ..Limits::default()
    };
    each_runtime(|rt| {
        let server = rt
            .spawn_http(loopback(), app, ServerConfig::default(), limits.clone())
            .unwrap();
        let addr = server.local_addr();
        // Each hostile client streams megabytes; the server answers as soon as a limit is
        // crossed and closes, without buffering the rest.
        let hostile: Vec<(&str, Vec<u8>, Vec<u8>)> = vec![
            (
                "431",
                b"GET / HTTP/1.1\r\nHost: x\r\n".to_vec(),
                b"X-Filler: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n".to_vec(),
            ),
            (
                "413",
                b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec(),
                format!("1000\r\n{}\r\n", "b".repeat(0x1000)).into_bytes(),
            ),
            (
                "413",
                b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4194304\r\n\r\n".to_vec(),
                vec![b'c'; 4096],
            ),
        ];
        for (status, start_bytes, repeat) in hostile {
            let mut c = Client::connect(addr);
            c.send(&start_bytes);
            let mut w = c.stream.try_clone().unwrap();
            let writer = thread::spawn(move || {
                for _ in 0..(4 << 20) / repeat.len() {
                    if w.write_all(&repeat).is_err() {
                        return;
                    }
                }
            });
            let reply = c
                .reply()
                .unwrap_or_else(|e| panic!("no {status} answer: {e}"));
            assert_eq!(reply.status.to_string(), status);
            assert!(c.closed_by_server(), "connection left open after {status}");
            assert_prompt(addr, "/good", Duration::from_secs(2));
            writer.join().unwrap();
        }
    });
}

#[test]
fn a_pipelining_burst_is_answered_completely_and_in_order() {
    let _shared = shared();
    each_runtime(|rt| {
        let server = start(rt, ServerConfig::default());
        let addr = server.local_addr();
        // Hundreds of small requests in one write, then big ones that need back-pressure.
        let mut c = Client::connect(addr);
        let burst: String = (0..500)
            .map(|i| format!("GET /n/{i} HTTP/1.1\r\nHost: x\r\n\r\n"))
            .collect();
        let mut w = c.stream.try_clone().unwrap();
        let writer = thread::spawn(move || {
            w.write_all(burst.as_bytes()).unwrap();
            let big = "GET /big HTTP/1.1\r\nHost: x\r\n\r\n".repeat(200);
            w.write_all(big.as_bytes()).unwrap();
        });
        for i in 0..500 {
            let r = c
                .reply()
                .unwrap_or_else(|e| panic!("reply {i} missing: {e}"));
            assert_eq!(r.status, 200);
            assert_eq!(r.body, format!("/n/{i}").as_bytes(), "out of order");
        }
        for i in 0..200 {
            let r = c
                .reply()
                .unwrap_or_else(|e| panic!("big reply {i} missing: {e}"));
            assert_eq!((r.status, r.body.len()), (200, BIG));
        }
        writer.join().unwrap();
        assert_eq!(c.get("/last").body, b"/last");
    });
}

#[test]
fn at_the_connection_bound_extra_clients_wait_while_every_connection_is_busy() {
    let _shared = shared();
    each_runtime(|rt| {
        let config = ServerConfig {
            max_connections: 4,
            ..ServerConfig::default()
        };
        let server = start(rt, config);
        let addr = server.local_addr();
        // Four clients take every slot, each part-way through a request: busy, so none of
        // them gives way.
        let mut holders: Vec<Client> = (0..4)
            .map(|i| {
                let mut c = Client::connect(addr);
                c.send(format!("GET /hold{i} HTTP/1.1\r\nHost: x\r\n").as_bytes());
                c
            })
            .collect();
        thread::sleep(Duration::from_millis(100));
        // More clients connect (the backlog takes them) and send their request.
        let answered = Arc::new(AtomicUsize::new(0));
        let waiting: Vec<_> = (0..6)
            .map(|i| {
                let answered = Arc::clone(&answered);
                thread::spawn(move || {
                    let mut c = Client::connect(addr);
                    let r = c.get(&format!("/wait{i}"));
                    answered.fetch_add(1, Ordering::SeqCst);
                    (r.status, r.body)
                })
            })
            .collect();
        thread::sleep(Duration::from_millis(300));
        assert_eq!(answered.load(Ordering::SeqCst), 0, "the bound did not hold");
        // The holders finish their requests and are answered; idle then, they (or the
        // waiting clients once served) give way, and every waiting client is served;
        // nothing crashed or was refused.
        for (i, holder) in holders.iter_mut().enumerate() {
            holder.send(b"\r\n");
            assert_eq!(holder.reply().unwrap().body, format!("/hold{i}").as_bytes());
        }
        for (i, t) in waiting.into_iter().enumerate() {
            let (status, body) = t.join().unwrap();
            assert_eq!(status, 200);
            assert_eq!(body, format!("/wait{i}").as_bytes());
        }
        assert_prompt(addr, "/after", Duration::from_secs(2));
    });
}

#[test]
fn at_the_connection_bound_idle_keep_alive_connections_give_way_to_new_clients() {
    let _shared = shared();
    each_runtime(|rt| {
        let config = ServerConfig {
            max_connections: 4,
            ..ServerConfig::default()
        };
        let server = start(rt, config);
        let addr = server.local_addr();
        // Four keep-alive clients, served once each and idle since, oldest first.
        let mut idle: Vec<Client> = (0..4)
            .map(|i| {
                let mut c = Client::connect(addr);
                assert_eq!(c.get(&format!("/idle{i}")).status, 200);
                thread::sleep(Duration::from_millis(20));
                c
            })
            .collect();
        // A newcomer is served at once: the connection idle longest makes room.
        assert_prompt(addr, "/newcomer", Duration::from_secs(1));
        assert!(
            idle[0].closed_by_server(),
            "{rt}: the oldest idle connection was kept"
        );
        // The others are still usable.
        assert_eq!(idle[3].get("/again").body, b"/again");
    });
}

#[test]
fn no_accepted_request_is_dropped() {
    let _shared = shared();
    const CLIENTS: usize = 16;
    const REQUESTS: usize = 150;
    each_runtime(|rt| {
        let server = start(rt, ServerConfig::default());
        let addr = server.local_addr();
        let clients: Vec<_> = (0..CLIENTS)
            .map(|c| {
                thread::spawn(move || {
                    let mut client = Client::connect(addr);
                    for r in 0..REQUESTS {
                        let target = format!("/c{c}/r{r}");
                        let reply = client.get(&target);
                        assert_eq!(reply.status, 200);
                        assert_eq!(reply.body, target.as_bytes());
                    }
                    REQUESTS
                })
            })
            .collect();
        let served: usize = clients.into_iter().map(|t| t.join().unwrap()).sum();
        assert_eq!(served, CLIENTS * REQUESTS);
    });
}
