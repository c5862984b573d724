//! Flags shared by several subcommands: a server's limits and timeouts, HTTP size limits,
//! and how a client connects. Every default shown in `--help` is the library's own default.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use clap::Args;
use netloom::http::client::ClientConfig;
use netloom::http::Limits;
use netloom::ServerConfig;

use super::error::CliError;

/// A duration typed as seconds (`5`, `2.5`) or with a unit (`500ms`, `10s`, `2m`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seconds(pub Duration);

impl fmt::Display for Seconds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = self.0.as_millis();
        if ms.is_multiple_of(1000) {
            write!(f, "{}s", ms / 1000)
        } else {
            write!(f, "{ms}ms")
        }
    }
}

impl FromStr for Seconds {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let t = s.trim();
        let (num, scale) = if let Some(n) = t.strip_suffix("ms") {
            (n, 0.001)
        } else if let Some(n) = t.strip_suffix('s') {
            (n, 1.0)
        } else if let Some(n) = t.strip_suffix('m') {
            (n, 60.0)
        } else if let Some(n) = t.strip_suffix('h') {
            (n, 3600.0)
        } else {
            (t, 1.0)
        };
        let value: f64 = num
            .trim()
            .parse()
            .map_err(|_| format!("'{s}' is not a duration (try 5, 2.5, 500ms, 2m)"))?;
        Duration::try_from_secs_f64(value * scale)
            .map(Seconds)
            .map_err(|_| format!("'{s}' is not a duration that fits (0 or more)"))
    }
}

impl From<Duration> for Seconds {
    fn from(d: Duration) -> Self {
        Seconds(d)
    }
}

/// A size in bytes: `1048576`, `64K`, `16M`, `1G` (powers of 1024; `KiB`, `MB`... too).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bytes(pub u64);

impl fmt::Display for Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const UNITS: [(u64, &str); 3] = [(1 << 30, "G"), (1 << 20, "M"), (1 << 10, "K")];
        for (size, unit) in UNITS {
            if self.0 >= size && self.0.is_multiple_of(size) {
                return write!(f, "{}{unit}", self.0 / size);
            }
        }
        write!(f, "{}", self.0)
    }
}

impl FromStr for Bytes {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let t = s.trim();
        let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
        let (num, unit) = t.split_at(split);
        let scale: u64 = match unit.trim().to_ascii_uppercase().as_str() {
            "" | "B" => 1,
            "K" | "KB" | "KIB" => 1 << 10,
            "M" | "MB" | "MIB" => 1 << 20,
            "G" | "GB" | "GIB" => 1 << 30,
            _ => return Err(format!("'{s}' is not a size (try 4096, 64K, 16M, 1G)")),
        };
        let n: u64 = num
            .parse()
            .map_err(|_| format!("'{s}' is not a size (try 4096, 64K, 16M, 1G)"))?;
        n.checked_mul(scale)
            .map(Bytes)
            .ok_or_else(|| format!("'{s}' is too large"))
    }
}

impl Bytes {
    /// As a `usize`, saturating on 32-bit targets.
    pub fn usize(self) -> usize {
        usize::try_from(self.0).unwrap_or(usize::MAX)
    }
}

fn server_default() -> ServerConfig {
    ServerConfig::default()
}

fn http_default() -> Limits {
    Limits::default()
}

/// Connection limits and timeouts every server subcommand takes (`ServerConfig`).
#[derive(Args, Debug, Clone)]
#[command(next_help_heading = "Server limits and timeouts")]
pub struct ServerFlags {
    /// Most connections served at once; more wait in the listen backlog.
    #[arg(long, value_name = "N", default_value_t = server_default().max_connections)]
    pub max_connections: usize,
    /// Close a connection that sends nothing for this long.
    #[arg(long, value_name = "SECS", default_value_t = Seconds(server_default().idle_timeout))]
    pub idle_timeout: Seconds,
    /// A request (head and body) must arrive in full within this long of its first byte.
    #[arg(long, value_name = "SECS", default_value_t = Seconds(server_default().request_timeout))]
    pub request_timeout: Seconds,
    /// The peer must take each write window of output within this long.
    #[arg(long, value_name = "SECS", default_value_t = Seconds(server_default().write_timeout))]
    pub write_timeout: Seconds,
    /// How much output one write timeout covers.
    #[arg(long, value_name = "BYTES", default_value_t = Bytes(server_default().write_window as u64))]
    pub write_window: Bytes,
    /// On Ctrl-C, how long requests in flight may take to finish.
    #[arg(long, value_name = "SECS", default_value_t = Seconds(server_default().shutdown_grace))]
    pub shutdown_grace: Seconds,
    /// Event-loop threads (mio; the other runtimes ignore it).
    #[arg(long, value_name = "N", default_value_t = server_default().event_loops)]
    pub event_loops: usize,
    /// Listen on a Unix domain socket at this path instead of TCP (a live socket there is
    /// never replaced; a stale one is; it is removed when the server stops).
    #[arg(long, value_name = "PATH")]
    pub unix: Option<std::path::PathBuf>,
    /// Serve TLS (https://) with this PEM certificate chain (the server's certificate
    /// first); needs --tls-key.
    #[arg(
        long,
        value_name = "CERT.pem",
        requires = "tls_key",
        help_heading = "TLS"
    )]
    pub tls_cert: Option<std::path::PathBuf>,
    /// The PEM private key of --tls-cert (PKCS#8, PKCS#1 or SEC1).
    #[arg(
        long,
        value_name = "KEY.pem",
        requires = "tls_cert",
        help_heading = "TLS"
    )]
    pub tls_key: Option<std::path::PathBuf>,
    /// A request body larger than this (a compressed one counts 256 times its size) is
    /// handled on a worker thread even when handlers run on the I/O thread, so one heavy
    /// call cannot hold up the others.
    #[arg(long, value_name = "BYTES", default_value_t = Bytes(server_default().offload_body_bytes as u64))]
    pub offload_body_bytes: Bytes,
}

impl ServerFlags {
    /// Whether the server speaks TLS.
    pub fn is_tls(&self) -> bool {
        self.tls_cert.is_some()
    }

    /// The URL scheme the server answers (`http` or `https`).
    pub fn scheme(&self) -> &'static str {
        if self.is_tls() {
            "https"
        } else {
            "http"
        }
    }

    /// The `ServerConfig` these flags describe, with `handler_threads` given by the command;
    /// reads the TLS certificate and key, if given.
    // `ServerConfig` gains fields over time: the update gives new ones their defaults.
    #[allow(clippy::needless_update)]
    pub fn config(&self, handler_threads: usize) -> Result<ServerConfig, CliError> {
        let tls = match (&self.tls_cert, &self.tls_key) {
            (Some(cert), Some(key)) => Some(
                netloom_io::tls::server_from_files(cert, key)
                    .map_err(|e| CliError::msg(format!("--tls-cert/--tls-key: {e}")))?,
            ),
            _ => None,
        };
        Ok(ServerConfig {
            max_connections: self.max_connections,
            idle_timeout: self.idle_timeout.0,
            request_timeout: self.request_timeout.0,
            write_timeout: self.write_timeout.0,
            write_window: self.write_window.usize(),
            shutdown_grace: self.shutdown_grace.0,
            event_loops: self.event_loops,
            handler_threads,
            tls,
            offload_body_bytes: self.offload_body_bytes.usize(),
            ..ServerConfig::default()
        })
    }
}

/// HTTP size limits of the HTTP and XML-RPC servers (`http::Limits`).
#[derive(Args, Debug, Clone)]
#[command(next_help_heading = "HTTP limits")]
pub struct HttpLimitFlags {
    /// Largest request head (start line and header fields); more is 431.
    #[arg(long, value_name = "BYTES", default_value_t = Bytes(http_default().max_head_bytes as u64))]
    pub max_head_bytes: Bytes,
    /// Most header fields in a request; more is 431.
    #[arg(long, value_name = "N", default_value_t = http_default().max_headers)]
    pub max_headers: usize,
    /// Longest request target; more is 414.
    #[arg(long, value_name = "BYTES", default_value_t = Bytes(http_default().max_uri_bytes as u64))]
    pub max_uri_bytes: Bytes,
    /// Largest request body; more is 413 [default: 16M for `http serve`, 32M (XML-RPC's
    /// document limit) for `xmlrpc serve`].
    #[arg(long, value_name = "BYTES")]
    pub max_body_bytes: Option<Bytes>,
}

impl HttpLimitFlags {
    /// The `Limits` these flags describe, over the server's own defaults `base`.
    pub fn limits(&self, base: Limits) -> Limits {
        Limits {
            max_head_bytes: self.max_head_bytes.usize(),
            max_headers: self.max_headers,
            max_uri_bytes: self.max_uri_bytes.usize(),
            max_request_body_bytes: self
                .max_body_bytes
                .map_or(base.max_request_body_bytes, |b| b.0),
            ..base
        }
    }
}

fn client_default() -> ClientConfig {
    ClientConfig::default()
}

/// How a client reaches the server: what `get` and the `xmlrpc` clients share.
#[derive(Args, Debug, Clone)]
#[command(next_help_heading = "Connection")]
pub struct ConnectFlags {
    /// Give up on a TCP connection that takes longer than this (0: the system's limit).
    #[arg(long, value_name = "SECS", default_value_t = Seconds(client_default().connect_timeout))]
    pub connect_timeout: Seconds,
    /// Give up when the server sends nothing for this long (0: wait forever).
    #[arg(long, value_name = "SECS", default_value_t = Seconds(client_default().read_timeout))]
    pub read_timeout: Seconds,
    /// Give up on the whole transfer (redirects and body included) after this long, as
    /// curl's --max-time [default: no limit; the response head must come within 60s].
    #[arg(short = 'm', long, value_name = "SECS")]
    pub max_time: Option<Seconds>,
    /// Connect through this Unix domain socket instead of TCP (the URL still gives the Host
    /// and the path), as curl's --unix-socket.
    #[arg(long, value_name = "PATH")]
    pub unix_socket: Option<std::path::PathBuf>,
    /// Also trust the CA certificates in this PEM file for https:// (repeatable), on top of
    /// the system's trust store.
    #[arg(long, value_name = "FILE")]
    pub cacert: Vec<std::path::PathBuf>,
    /// Do not check the server's certificate at all (https:// to a test server); says so
    /// on stderr, as anyone in the path can pose as the server.
    #[arg(short = 'k', long)]
    pub insecure: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_sizes_parse_and_print() {
        assert_eq!("5".parse(), Ok(Seconds(Duration::from_secs(5))));
        assert_eq!("2.5".parse(), Ok(Seconds(Duration::from_millis(2500))));
        assert_eq!("500ms".parse(), Ok(Seconds(Duration::from_millis(500))));
        assert_eq!("2m".parse(), Ok(Seconds(Duration::from_secs(120))));
        assert!("-1".parse::<Seconds>().is_err());
        assert!("soon".parse::<Seconds>().is_err());
        assert_eq!(Seconds(Duration::from_secs(60)).to_string(), "60s");
        assert_eq!(Seconds(Duration::from_millis(1500)).to_string(), "1500ms");
        assert_eq!("16M".parse(), Ok(Bytes(16 << 20)));
        assert_eq!("64KiB".parse(), Ok(Bytes(64 << 10)));
        assert_eq!("100".parse(), Ok(Bytes(100)));
        assert!("1Q".parse::<Bytes>().is_err());
        assert_eq!(Bytes(16 << 20).to_string(), "16M");
        assert_eq!(Bytes(1000).to_string(), "1000");
    }
}
