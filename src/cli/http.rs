//! `netloom http serve`: a static file server like `python3 -m http.server`.

use std::path::Path;

use netloom::http::server::{Handler, IncomingRequest, OutgoingResponse};
use netloom::http::Limits;
use netloom::static_files::StaticFiles;
use netloom::{Runtime, ServerConfig};

use super::error::{resolve, CliError};

/// Logs one line per request to stderr, as `http.server` does.
struct Logged<H>(H);

impl<H: Handler> Handler for Logged<H> {
    fn handle(&self, req: IncomingRequest) -> OutgoingResponse {
        let line = format!(
            "{} \"{} {} {}\"",
            req.conn.peer.ip(),
            req.head.method(),
            req.head.target(),
            req.head.version().as_str()
        );
        let resp = self.0.handle(req);
        eprintln!("{line} {}", resp.head.status());
        resp
    }
}

pub fn serve(runtime: Runtime, dir: &Path, bind: &str, port: u16) -> Result<(), CliError> {
    let files = StaticFiles::new(dir)
        .map_err(|e| CliError::io(&format!("cannot serve {}", dir.display()), &e))?;
    let addrs = resolve(bind, port)?;
    let listener = std::net::TcpListener::bind(&addrs[..])
        .map_err(|e| CliError::io(&format!("cannot listen on {}", addrs[0]), &e))?;
    let addr = listener
        .local_addr()
        .map_err(|e| CliError::io("listen", &e))?;
    println!(
        "Serving HTTP on {} port {} (http://{addr}/) from {} [{runtime}] ...",
        addr.ip(),
        addr.port(),
        files.root().display()
    );
    runtime
        .serve_http(
            listener,
            Logged(files),
            ServerConfig::default(),
            Limits::default(),
        )
        .map_err(|e| CliError::io(&format!("serving on {addr}"), &e))
}
