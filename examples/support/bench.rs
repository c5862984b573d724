//! What the benchmark servers (`hello_http`, `bench_xmlrpc`) share: their flags and their
//! server configuration.

use netloom::{Runtime, ServerConfig};

/// `--runtime NAME --port N [--tls-cert CERT.pem --tls-key KEY.pem]`, defaulting to std and
/// `default_port`; the configuration they make (see [`bench_config`]).
pub fn args(default_port: u16) -> std::io::Result<(Runtime, u16, ServerConfig)> {
    let argv: Vec<String> = std::env::args().collect();
    let value = |flag: &str| {
        argv.iter()
            .position(|a| a == flag)
            .and_then(|i| argv.get(i + 1))
    };
    let runtime = value("--runtime")
        .and_then(|r| r.parse().ok())
        .unwrap_or(Runtime::Std);
    let port = value("--port")
        .and_then(|p| p.parse().ok())
        .unwrap_or(default_port);
    let mut config = bench_config();
    if let (Some(cert), Some(key)) = (value("--tls-cert"), value("--tls-key")) {
        let tls =
            netloom::tls::TlsServerConfig::from_pem(&std::fs::read(cert)?, &std::fs::read(key)?)
                .map_err(std::io::Error::other)?;
        config.tls = Some(tls);
    }
    Ok((runtime, port, config))
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
