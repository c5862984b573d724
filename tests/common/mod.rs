//! Helpers shared by the cross-runtime tests: collecting server logs, hostile peers.
#![allow(dead_code)]

pub mod pki;

use std::net::{SocketAddr, TcpListener};
use std::sync::{Arc, Mutex};
use std::thread;

use netloom::http::server::Handler;
use netloom::http::Limits;
use netloom::seed::Logger;
use netloom::{RunningServer, Runtime, ServerConfig};

/// An HTTP server on `rt` at a free loopback port, running `handler` under `config` with the
/// default HTTP limits.
pub fn serve_http<H>(rt: Runtime, handler: H, config: ServerConfig) -> RunningServer
where
    H: Handler + Send + Sync + 'static,
{
    rt.spawn_http(loopback(), handler, config, Limits::default())
        .expect("server starts")
}

/// A logger that keeps lines for assertions.
pub fn collector() -> (Logger, Arc<Mutex<Vec<String>>>) {
    let lines = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&lines);
    (
        Arc::new(move |l: String| sink.lock().unwrap().push(l)),
        lines,
    )
}

pub fn loopback() -> SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

/// A server that answers every connection with `reply` and closes, for `count` connections.
pub fn raw_server(reply: &'static [u8], count: usize) -> SocketAddr {
    use std::io::{Read, Write};
    let l = TcpListener::bind(loopback()).unwrap();
    let addr = l.local_addr().unwrap();
    thread::spawn(move || {
        for _ in 0..count {
            let Ok((mut s, _)) = l.accept() else { return };
            let mut buf = [0u8; 16];
            let _ = s.read(&mut buf);
            let _ = s.write_all(reply);
        }
    });
    addr
}

/// A port that was free a moment ago.
pub fn free_port() -> u16 {
    TcpListener::bind(loopback())
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Runs `scenario` once per runtime, naming the runtime in any failure.
pub fn each_runtime(scenario: impl Fn(Runtime)) {
    for rt in Runtime::ALL {
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| scenario(rt)));
        if let Err(e) = result {
            let msg = e
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            panic!("runtime {rt}: {msg}");
        }
    }
}

/// A fresh empty directory under the system temp dir.
pub fn temp_dir(tag: &str) -> std::path::PathBuf {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "netloom-test-{tag}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs a CPython server `script` with `0` as its port argument; the script prints the port
/// it bound first thing. Returns the process and that port (no port race with other tests).
pub fn python_server(script: &str) -> (std::process::Child, u16) {
    use std::io::BufRead;
    let mut child = std::process::Command::new("python3")
        .args(["-c", script, "0"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("python3 is required for the interop tests");
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let port = line
        .trim()
        .parse()
        .unwrap_or_else(|_| panic!("the Python server printed {line:?}, not its port"));
    (child, port)
}
