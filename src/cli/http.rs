//! `netloom http serve`: a static file server like `python3 -m http.server`.

use std::path::PathBuf;

use clap::Args;
use netloom::static_files::StaticFiles;
use netloom::{Runtime, ServerConfig};

use super::args::{HttpLimitFlags, ServerFlags};
use super::error::CliError;
use super::serve::{self, AccessLog, HtmlErrors};
use super::signals::Stop;

/// The port `python3 -m http.server` picks.
const DEFAULT_PORT: u16 = 8000;

/// `netloom http serve` flags: `python3 -m http.server`'s, plus the older `DIR -p PORT`.
#[derive(Args, Debug)]
#[command(after_help = "\
Examples:
  netloom http serve                      ./ on http://127.0.0.1:8000/
  netloom http serve 9000 -d public       public/ on port 9000
  netloom http serve public -p 9000       the same, in the older form
  netloom http serve -b 0.0.0.0 --max-connections 12000 --idle-timeout 5
  netloom http serve 8443 --tls-cert cert.pem --tls-key key.pem   https://127.0.0.1:8443/")]
pub struct ServeArgs {
    /// The port to listen on (as `python3 -m http.server PORT`); a value that is not a
    /// number is taken as the directory to serve (the older `DIR -p PORT` form).
    #[arg(value_name = "PORT")]
    target: Option<String>,
    /// Directory to serve.
    #[arg(short = 'd', long = "directory", value_name = "DIR")]
    directory: Option<PathBuf>,
    /// TCP port (same as the PORT argument). [default: 8000]
    #[arg(short = 'p', long, value_name = "PORT")]
    port: Option<u16>,
    /// Address to listen on.
    #[arg(short = 'b', long, value_name = "ADDR", default_value = "127.0.0.1")]
    bind: String,
    /// Worker threads for file reads (mio and smol; std uses a thread per connection).
    #[arg(long, value_name = "N", default_value_t = ServerConfig::default().handler_threads)]
    handler_threads: usize,
    #[command(flatten)]
    server: ServerFlags,
    #[command(flatten)]
    limits: HttpLimitFlags,
}

impl ServeArgs {
    /// The directory and port, from whichever form was used.
    fn dir_and_port(&self) -> Result<(PathBuf, u16), CliError> {
        let mut dir = self.directory.clone();
        let mut port = self.port;
        if let Some(t) = &self.target {
            if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) {
                let p = t
                    .parse()
                    .map_err(|_| CliError::msg(format!("port {t} is out of range (0-65535)")))?;
                if port.replace(p).is_some_and(|q| q != p) {
                    return Err(CliError::msg(format!(
                        "two ports given: {t} and -p {}",
                        self.port.unwrap_or(0)
                    )));
                }
            } else if dir.replace(PathBuf::from(t)).is_some() {
                return Err(CliError::msg(format!(
                    "two directories given: {t} and -d (to serve a directory named like a port, write ./{t})"
                )));
            }
        }
        Ok((
            dir.unwrap_or_else(|| PathBuf::from(".")),
            port.unwrap_or(DEFAULT_PORT),
        ))
    }
}

/// Runs `netloom http serve` until Ctrl-C.
pub fn serve(runtime: Runtime, args: ServeArgs) -> Result<(), CliError> {
    let (dir, port) = args.dir_and_port()?;
    let files = StaticFiles::new(&dir)
        .map_err(|e| CliError::io(&format!("cannot serve {}", dir.display()), &e))?;
    let (listener, addr) = serve::listen(&args.bind, port, args.server.unix.as_deref())?;
    let root = files.root().display().to_string();
    let handler = AccessLog::new(HtmlErrors(files));
    let in_flight = handler.in_flight();
    let config = args.server.config(args.handler_threads)?;
    let scheme = args.server.scheme();
    let grace = config.shutdown_grace;
    let server = runtime
        .spawn_http_on(
            listener,
            handler,
            config,
            args.limits.limits(netloom::http::Limits::default()),
        )
        .map_err(|e| CliError::io(&format!("serving on {addr}"), &e))?;
    let stop = Stop::watch()?;
    match &addr {
        serve::Bound::Tcp(addr) => println!(
            "Serving HTTP on {} port {} ({scheme}://{addr}/) from {root} [{runtime}] ...",
            addr.ip(),
            addr.port(),
        ),
        serve::Bound::Unix(path) => println!(
            "Serving HTTP on unix socket {} from {root} [{runtime}] ...",
            path.display()
        ),
    }
    serve::until_stopped(stop, server, grace, Some(in_flight))
}
