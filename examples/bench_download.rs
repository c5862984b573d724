//! Downloads SIZE bytes over loopback with `retrieve` and reports throughput and peak memory.
//! `cargo run --release --example bench_download -- --size 1073741824 [--runtime mio]`
//!
//! The server (same runtime) streams zeros with a Content-Length; the client saves them
//! through `retrieve` into a temporary file (on /dev/shm when present, else `--dir DIR` or the
//! temp dir) that is removed afterwards.
//!
//! `--url URL [--cacert CA.pem]` downloads URL from a server of your own instead (over
//! `https://`, trusting the certificates in CA.pem, or the system's roots without it); the
//! process is then the client alone, so its peak RSS is the client's.
use std::io::Read;
use std::time::Instant;

use netloom::http::client::ClientConfig;
use netloom::http::server::{IncomingRequest, OutgoingResponse};
use netloom::{Runtime, ServerConfig};

/// `size` zero bytes, handed out without holding them.
struct Zeros(u64);

impl Read for Zeros {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = (buf.len() as u64).min(self.0) as usize;
        buf[..n].fill(0);
        self.0 -= n as u64;
        Ok(n)
    }
}

fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let argv: Vec<String> = std::env::args().collect();
    let value = |flag: &str| {
        argv.iter()
            .position(|a| a == flag)
            .and_then(|i| argv.get(i + 1))
    };
    let size: u64 = value("--size")
        .and_then(|s| s.parse().ok())
        .unwrap_or(1 << 30);
    let runtime: Runtime = value("--runtime")
        .and_then(|r| r.parse().ok())
        .unwrap_or(Runtime::Mio);
    let mut config = ClientConfig::default();
    if let Some(ca) = value("--cacert") {
        let tls = netloom::tls::TlsClientConfig::builder()
            .roots_pem(&std::fs::read(ca)?)?
            .build()?;
        config.tls = Some(tls);
    }
    let (server, url) = match value("--url") {
        Some(url) => (None, url.clone()),
        None => {
            let serve = move |_req: IncomingRequest| {
                OutgoingResponse::stream(
                    200,
                    "application/octet-stream",
                    Some(size),
                    Box::new(Zeros(size)),
                )
            };
            let server = runtime.spawn_http(
                "127.0.0.1:0".parse()?,
                serve,
                ServerConfig::default(),
                Default::default(),
            )?;
            let url = format!("http://{}/blob", server.local_addr());
            (Some(server), url)
        }
    };
    // tmpfs when there is one, so the figure is the network path's and not the disk's;
    // `--dir` picks another place.
    let dir = value("--dir")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            let shm = std::path::Path::new("/dev/shm");
            if shm.is_dir() {
                shm.to_path_buf()
            } else {
                std::env::temp_dir()
            }
        });
    let path = dir.join(format!("netloom-bench-download-{}", std::process::id()));
    let started = Instant::now();
    let got = runtime.retrieve(&url, &path, config, |_, _| {});
    let secs = started.elapsed().as_secs_f64();
    let _ = std::fs::remove_file(&path);
    let in_process = server.is_some();
    if let Some(server) = server {
        server.shutdown();
    }
    let got = got?;
    if got != size {
        return Err(format!("short download: {got} of {size} bytes").into());
    }
    println!(
        "runtime {runtime}: {got} bytes in {secs:.2} s = {:.0} MB/s; peak RSS {} KiB ({})",
        got as f64 / secs / 1e6,
        peak_rss_kib(),
        if in_process {
            "server and client in one process"
        } else {
            "the client alone"
        }
    );
    Ok(())
}
