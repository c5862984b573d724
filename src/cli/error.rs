//! Errors a person can read: one line, no backtrace.

use std::fmt;
use std::io;
use std::net::{SocketAddr, ToSocketAddrs};

use netloom::frame::FrameError;

/// A failed command, already phrased for the terminal.
#[derive(Debug)]
pub struct CliError(String);

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl CliError {
    /// A message already phrased for the terminal.
    pub fn msg(text: impl Into<String>) -> Self {
        CliError(text.into())
    }

    /// Describes an I/O failure of `what` (an action and its address).
    pub fn io(what: &str, e: &io::Error) -> Self {
        if let Some(frame) = e
            .get_ref()
            .and_then(|inner| inner.downcast_ref::<FrameError>())
        {
            return CliError(format!("{what}: short read: {frame}"));
        }
        let text = match e.kind() {
            io::ErrorKind::ConnectionRefused => "connection refused".to_string(),
            io::ErrorKind::AddrInUse => "address already in use".to_string(),
            io::ErrorKind::AddrNotAvailable => "address not available on this machine".to_string(),
            io::ErrorKind::PermissionDenied => "permission denied".to_string(),
            io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => "timed out".to_string(),
            io::ErrorKind::ConnectionReset => "connection reset by peer".to_string(),
            io::ErrorKind::UnexpectedEof => "the peer closed the connection early".to_string(),
            _ => e.to_string(),
        };
        CliError(format!("{what}: {text}"))
    }
}

/// Resolves `host:port`, turning a lookup failure into "unknown host".
pub fn resolve(host: &str, port: u16) -> Result<Vec<SocketAddr>, CliError> {
    match (host, port).to_socket_addrs() {
        Ok(addrs) => {
            let addrs: Vec<SocketAddr> = addrs.collect();
            if addrs.is_empty() {
                Err(CliError(format!("unknown host '{host}'")))
            } else {
                Ok(addrs)
            }
        }
        Err(_) => Err(CliError(format!("unknown host '{host}'"))),
    }
}
