//! `netloom demo`: every program, end to end, over every runtime, on loopback.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use netloom::seed::{self, BannerServer, Logger, SixteenServer};
use netloom::{Runtime, ServerConfig};

use super::error::CliError;

/// Collects a server's lines so they print in order next to the client's.
fn collector() -> (Logger, Arc<Mutex<Vec<String>>>) {
    let lines = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&lines);
    let log: Logger = Arc::new(move |line| {
        if let Ok(mut l) = sink.lock() {
            l.push(line);
        }
    });
    (log, lines)
}

fn flush(side: &str, lines: &Mutex<Vec<String>>) {
    if let Ok(mut l) = lines.lock() {
        for line in l.drain(..) {
            println!("    {side}| {line}");
        }
    }
}

fn loopback() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

pub fn run() -> Result<(), CliError> {
    for runtime in Runtime::ALL {
        println!("=== runtime: {runtime} ===");
        sixteen(runtime)?;
        banner(runtime)?;
        println!();
    }
    println!("demo complete: every program ran over std, mio and smol");
    Ok(())
}

fn sixteen(runtime: Runtime) -> Result<(), CliError> {
    println!("  16-octet exchange");
    let (log, lines) = collector();
    let server = runtime
        .spawn_tcp(loopback(), SixteenServer::new(log), ServerConfig::default())
        .map_err(|e| CliError::io("starting the 16-octet server", &e))?;
    let addr = server.local_addr();
    println!("    server| Listening at {addr}");
    let (local, reply) = runtime
        .exchange(&[addr], seed::CLIENT_MESSAGE, 16)
        .map_err(|e| CliError::io("16-octet client", &e))?;
    flush("server", &lines);
    println!("    client| Client has been assigned socket name {local}");
    println!("    client| The server said {}", seed::py_repr(&reply));
    server.shutdown();
    Ok(())
}

fn banner(runtime: Runtime) -> Result<(), CliError> {
    println!("  banner");
    let (log, lines) = collector();
    let server = runtime
        .spawn_tcp(loopback(), BannerServer::new(log), ServerConfig::default())
        .map_err(|e| CliError::io("starting the banner server", &e))?;
    let data = runtime
        .read_once(&[server.local_addr()], 1024)
        .map_err(|e| CliError::io("banner client", &e))?;
    flush("server", &lines);
    println!("    client| {}", seed::py_repr(&data));
    server.shutdown();
    Ok(())
}
