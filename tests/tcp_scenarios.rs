//! The seed's TCP programs: one list of scenarios, run against every runtime over real
//! loopback sockets.

mod common;

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::thread;
use std::time::Duration;

use netloom::frame::FrameError;
use netloom::seed::{self, BannerServer, SixteenServer};
use netloom::{Runtime, ServerConfig};

use common::{collector, each_runtime, loopback, raw_server};

fn sixteen(
    rt: Runtime,
) -> (
    netloom::RunningServer,
    std::sync::Arc<std::sync::Mutex<Vec<String>>>,
) {
    let (log, lines) = collector();
    let server = rt
        .spawn_tcp(loopback(), SixteenServer::new(log), ServerConfig::default())
        .unwrap();
    (server, lines)
}

#[test]
fn exchange_succeeds() {
    each_runtime(|rt| {
        let (server, lines) = sixteen(rt);
        let (local, reply) = rt
            .exchange(&[server.local_addr()], seed::CLIENT_MESSAGE, 16)
            .unwrap();
        assert_eq!(&reply, seed::SERVER_REPLY);
        let lines = lines.lock().unwrap().clone();
        assert_eq!(
            lines[0],
            format!("We have accepted a connection from {local}")
        );
        assert!(lines.contains(&"  Incoming sixteen-octet message: b'Hi there, server'".into()));
    });
}

#[test]
fn client_reports_short_read_when_server_closes_after_5_bytes() {
    each_runtime(|rt| {
        let addr = raw_server(b"Farew", 1);
        let err = rt
            .exchange(&[addr], seed::CLIENT_MESSAGE, 16)
            .expect_err("a 5-byte reply must not pass as 16");
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
        let frame = err
            .get_ref()
            .and_then(|e| e.downcast_ref::<FrameError>())
            .expect("the error carries the framing detail");
        assert_eq!(
            *frame,
            FrameError::ShortRead {
                expected: 16,
                received: 5
            }
        );
    });
}

#[test]
fn fifty_concurrent_clients_all_complete() {
    each_runtime(|rt| {
        let (server, _lines) = sixteen(rt);
        let addr = server.local_addr();
        // Every client holds a half-sent frame open at the same time, so the server must
        // be serving all fifty at once to let any of them finish.
        let barrier = std::sync::Arc::new(std::sync::Barrier::new(50));
        let clients: Vec<_> = (0..50)
            .map(|_| {
                let barrier = std::sync::Arc::clone(&barrier);
                thread::spawn(move || {
                    let mut s = TcpStream::connect(addr).unwrap();
                    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
                    s.write_all(&seed::CLIENT_MESSAGE[..8]).unwrap();
                    barrier.wait();
                    s.write_all(&seed::CLIENT_MESSAGE[8..]).unwrap();
                    let mut reply = Vec::new();
                    s.read_to_end(&mut reply).unwrap();
                    reply
                })
            })
            .collect();
        for c in clients {
            assert_eq!(c.join().unwrap(), seed::SERVER_REPLY);
        }
    });
}

#[test]
fn fifty_concurrent_runtime_clients_all_complete() {
    each_runtime(|rt| {
        let (server, lines) = sixteen(rt);
        let addr: SocketAddr = server.local_addr();
        let clients: Vec<_> = (0..50)
            .map(|_| thread::spawn(move || rt.exchange(&[addr], seed::CLIENT_MESSAGE, 16)))
            .collect();
        for c in clients {
            assert_eq!(c.join().unwrap().unwrap().1, seed::SERVER_REPLY);
        }
        let served = lines
            .lock()
            .unwrap()
            .iter()
            .filter(|l| l.contains("Incoming sixteen-octet message"))
            .count();
        assert_eq!(served, 50);
    });
}

#[test]
fn server_survives_silent_and_vanishing_clients() {
    each_runtime(|rt| {
        let (server, lines) = sixteen(rt);
        let addr = server.local_addr();
        // One connects and says nothing (and stays connected throughout).
        let _silent = TcpStream::connect(addr).unwrap();
        // One disconnects mid-frame.
        {
            let mut s = TcpStream::connect(addr).unwrap();
            s.write_all(b"Hi th").unwrap();
        }
        // Others are still served, repeatedly.
        for _ in 0..3 {
            let (_, reply) = rt.exchange(&[addr], seed::CLIENT_MESSAGE, 16).unwrap();
            assert_eq!(&reply, seed::SERVER_REPLY);
        }
        // The vanished client was reported as a short read, not silently dropped.
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        loop {
            let found = lines
                .lock()
                .unwrap()
                .iter()
                .any(|l| l.contains("was expecting 16 bytes but only received 5 bytes"));
            if found {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "short read not reported"
            );
            thread::sleep(Duration::from_millis(20));
        }
    });
}

#[test]
fn banner_is_sent_and_connection_closed() {
    each_runtime(|rt| {
        let (log, lines) = collector();
        let server = rt
            .spawn_tcp(loopback(), BannerServer::new(log), ServerConfig::default())
            .unwrap();
        for _ in 0..3 {
            let got = rt.read_once(&[server.local_addr()], 1024).unwrap();
            assert_eq!(got, seed::BANNER);
        }
        // And a plain socket sees the close right after the banner.
        let mut s = TcpStream::connect(server.local_addr()).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let mut all = Vec::new();
        s.read_to_end(&mut all).unwrap();
        assert_eq!(all, seed::BANNER);
        assert_eq!(lines.lock().unwrap().len(), 4);
    });
}

#[test]
fn connection_refused_is_an_error_not_a_hang() {
    each_runtime(|rt| {
        let port = common::free_port();
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
        let err = rt.exchange(&[addr], seed::CLIENT_MESSAGE, 16).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::ConnectionRefused, "{err}");
    });
}

#[test]
fn connection_bound_makes_extra_clients_wait_not_fail() {
    each_runtime(|rt| {
        let (log, _lines) = collector();
        let config = ServerConfig {
            max_connections: 1,
            idle_timeout: Duration::from_millis(300),
            ..ServerConfig::default()
        };
        let server = rt
            .spawn_tcp(loopback(), SixteenServer::new(log), config)
            .unwrap();
        let addr = server.local_addr();
        // Takes the only slot part-way through its frame, then stalls: busy, it keeps its
        // place until the idle timeout ends it.
        let mut hog = TcpStream::connect(addr).unwrap();
        hog.write_all(b"Hi there").unwrap();
        thread::sleep(Duration::from_millis(50));
        let start = std::time::Instant::now();
        let (_, reply) = rt.exchange(&[addr], seed::CLIENT_MESSAGE, 16).unwrap();
        assert_eq!(&reply, seed::SERVER_REPLY);
        // Served only once the hog was dropped: the bound held.
        assert!(
            start.elapsed() >= Duration::from_millis(200),
            "bound not enforced: served after {:?}",
            start.elapsed()
        );
    });
}

#[test]
fn at_the_bound_a_silent_connection_gives_way_to_a_client() {
    each_runtime(|rt| {
        let (log, _lines) = collector();
        let config = ServerConfig {
            max_connections: 1,
            ..ServerConfig::default()
        };
        let server = rt
            .spawn_tcp(loopback(), SixteenServer::new(log), config)
            .unwrap();
        let addr = server.local_addr();
        // Says nothing at all: after a short grace it gives its place up, long before its
        // idle timeout (60 s).
        let _silent = TcpStream::connect(addr).unwrap();
        thread::sleep(Duration::from_millis(50));
        let start = std::time::Instant::now();
        let (_, reply) = rt.exchange(&[addr], seed::CLIENT_MESSAGE, 16).unwrap();
        assert_eq!(&reply, seed::SERVER_REPLY);
        assert!(
            start.elapsed() < Duration::from_secs(2),
            "{:?}",
            start.elapsed()
        );
    });
}

/// Echoes 4-octet frames, and panics on the frame `boom`.
struct Touchy;

impl netloom::frame::Service for Touchy {
    type Decoder = netloom::frame::FixedDecoder;

    fn decoder(&self) -> Self::Decoder {
        netloom::frame::FixedDecoder::new(4)
    }

    fn on_frame(&self, _: &netloom::frame::ConnInfo, frame: Vec<u8>) -> netloom::frame::Reply {
        if frame == b"boom" {
            panic!("service failure on purpose");
        }
        netloom::frame::Reply::Send(frame)
    }
}

#[test]
fn a_service_that_panics_closes_only_its_own_connection() {
    each_runtime(|rt| {
        let server = rt
            .spawn_tcp(loopback(), Touchy, ServerConfig::default())
            .unwrap();
        let addr = server.local_addr();
        let mut calm = TcpStream::connect(addr).unwrap();
        calm.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let mut touchy = TcpStream::connect(addr).unwrap();
        touchy
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        touchy.write_all(b"pingboom").unwrap();
        let mut got = Vec::new();
        let _ = touchy.read_to_end(&mut got);
        assert_eq!(
            got, b"ping",
            "{rt}: the panicking connection is closed after its reply"
        );
        // The other connection, open all along, is still served.
        calm.write_all(b"calm").unwrap();
        let mut echo = [0u8; 4];
        calm.read_exact(&mut echo).unwrap();
        assert_eq!(&echo, b"calm", "{rt}");
    });
}
