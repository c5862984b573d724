//! The HTTP client on mio: netloom-std's [`Client`](netloom_std::http_client::Client) driving
//! a [`ClientConn`], one non-blocking socket waited on by its own `mio::Poll` with a deadline
//! per operation.
//!
//! A client connection carries one request at a time and the caller waits for its answer,
//! so the mio idiom here is a small poll per connection rather than the server's shared event
//! loop. Redirects, keep-alive reuse, `retrieve`'s temporary file and every HTTP rule are the
//! std client's and the core's; this module only supplies the connection ([`MioConnector`]).
//!
//! ```no_run
//! use std::io::Read;
//!
//! # fn main() -> Result<(), netloom_mio::http_client::ClientError> {
//! let mut resp = netloom_mio::http_client::get("http://127.0.0.1:8000/")?;
//! let mut body = Vec::new();
//! resp.read_to_end(&mut body)?;
//! netloom_mio::http_client::retrieve("http://127.0.0.1:8000/f", "f", |_, _| {})?;
//! # Ok(()) }
//! ```

use std::path::Path;
use std::time::Duration;

use netloom_std::http_client::resolve;

pub use crate::client::ClientConn;
pub use netloom_std::http_client::{ClientConfig, ClientError, Connector, Url, Waiting};

/// A blocking HTTP client over mio connections.
pub type Client = netloom_std::http_client::Client<MioConnector>;

/// A response whose body streams from a mio connection.
pub type Response = netloom_std::http_client::Response<ClientConn>;

/// A wait standing in for "no timeout" (a zero duration in [`ClientConfig`]).
const FOREVER: Duration = Duration::from_secs(365 * 24 * 3600);

fn or_forever(d: Duration) -> Duration {
    if d.is_zero() {
        FOREVER
    } else {
        d
    }
}

/// Opens [`ClientConn`]s: each address tried within the connect timeout, then every read and
/// write bounded by the read timeout.
#[derive(Debug, Clone, Copy, Default)]
pub struct MioConnector;

impl Connector for MioConnector {
    type Stream = ClientConn;

    fn connect(
        &self,
        host: &str,
        port: u16,
        config: &ClientConfig,
    ) -> Result<ClientConn, ClientError> {
        let addrs = resolve(host, port)?;
        let mut conn = ClientConn::connect(&addrs[..], or_forever(config.connect_timeout))
            .map_err(ClientError::from_connect)?;
        conn.set_timeout(or_forever(config.read_timeout));
        Ok(conn)
    }
}

/// A client over mio connections with `config`.
pub fn client(config: ClientConfig) -> Client {
    Client::with_connector(MioConnector, config)
}

/// `GET url` with a default client (Python's `urlopen`); see
/// [`Client::get`](netloom_std::http_client::Client::get).
pub fn get(url: &str) -> Result<Response, ClientError> {
    client(ClientConfig::default()).get(url)
}

/// Saves `url` to `path` with a default client (Python's `urlretrieve`); see
/// [`Client::retrieve`](netloom_std::http_client::Client::retrieve).
pub fn retrieve(
    url: &str,
    path: impl AsRef<Path>,
    progress: impl FnMut(u64, Option<u64>),
) -> Result<u64, ClientError> {
    client(ClientConfig::default()).retrieve(url, path, progress)
}
