//! The calculator XML-RPC server on the chosen runtime, for load benchmarks (`bench/run.sh`).
//! `cargo run --release --example bench_xmlrpc -- --runtime mio --port 8000`
//! (`--tls-cert CERT.pem --tls-key KEY.pem` serves https://).
use std::sync::Arc;

use netloom::seed;
use netloom::xmlrpc::http::XmlRpcHandler;

#[path = "support/bench.rs"]
mod bench;

fn main() -> std::io::Result<()> {
    let (runtime, port, config) = bench::args(8000)?;
    let listener = std::net::TcpListener::bind(("127.0.0.1", port))?;
    let handler = XmlRpcHandler::new(Arc::new(seed::calculator()));
    runtime.serve_http(listener, handler, config, Default::default())
}
