//! The calculator XML-RPC server on the chosen runtime, for load benchmarks (`bench/run.sh`).
//! `cargo run --release --example bench_xmlrpc -- --runtime mio --port 8000`
use std::sync::Arc;

use netloom::xmlrpc::http::XmlRpcHandler;
use netloom::{seed, Runtime, ServerConfig};

fn main() -> std::io::Result<()> {
    let argv: Vec<String> = std::env::args().collect();
    let value = |flag: &str| {
        argv.iter()
            .position(|a| a == flag)
            .and_then(|i| argv.get(i + 1))
    };
    let runtime: Runtime = value("--runtime")
        .and_then(|r| r.parse().ok())
        .unwrap_or(Runtime::Std);
    let port: u16 = value("--port").and_then(|p| p.parse().ok()).unwrap_or(8000);
    let listener = std::net::TcpListener::bind(("127.0.0.1", port))?;
    let handler = XmlRpcHandler::new(Arc::new(seed::calculator()));
    runtime.serve_http(listener, handler, bench_config(), Default::default())
}

/// One event loop per core for mio (as the hyper anchor runs a worker per core); the other
/// runtimes ignore it. The handler never blocks, so it runs on the I/O thread
/// (`handler_threads: 0`) instead of a worker, as hyper's service runs on its worker.
fn bench_config() -> ServerConfig {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    ServerConfig {
        event_loops: cores,
        handler_threads: 0,
        ..ServerConfig::default()
    }
}
