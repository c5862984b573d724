//! A hello-world HTTP server on the chosen runtime, for load benchmarks (`bench/run.sh`).
//! `cargo run --release --example hello_http -- --runtime mio --port 8080`
use netloom::http::server::{IncomingRequest, OutgoingResponse};
use netloom::{Runtime, ServerConfig};

fn main() -> std::io::Result<()> {
    let (runtime, port) = args();
    let listener = std::net::TcpListener::bind(("127.0.0.1", port))?;
    let hello = |_req: IncomingRequest| OutgoingResponse::text(200, "Hello, world!");
    runtime.serve_http(listener, hello, bench_config(), Default::default())
}

/// `--runtime NAME --port N`, defaulting to std and 8080.
fn args() -> (Runtime, u16) {
    let argv: Vec<String> = std::env::args().collect();
    let value = |flag: &str| {
        argv.iter()
            .position(|a| a == flag)
            .and_then(|i| argv.get(i + 1))
    };
    let runtime = value("--runtime")
        .and_then(|r| r.parse().ok())
        .unwrap_or(Runtime::Std);
    let port = value("--port").and_then(|p| p.parse().ok()).unwrap_or(8080);
    (runtime, port)
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
