//! A hello-world HTTP server on the chosen runtime, for load benchmarks (`bench/run.sh`).
//! `cargo run --release --example hello_http -- --runtime mio --port 8080`
//! (`--tls-cert CERT.pem --tls-key KEY.pem` serves https://).
use netloom::http::server::{IncomingRequest, OutgoingResponse};

#[path = "support/bench.rs"]
mod bench;

fn main() -> std::io::Result<()> {
    let (runtime, port, config) = bench::args(8080)?;
    let listener = std::net::TcpListener::bind(("127.0.0.1", port))?;
    let hello = |_req: IncomingRequest| OutgoingResponse::text(200, "Hello, world!");
    runtime.serve_http(listener, hello, config, Default::default())
}
