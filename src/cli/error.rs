//! Errors a person can read: one line, no backtrace, the same wording everywhere.
//!
//! A [`CliError`] holds raw text (it may quote a fault string or a reason phrase from the
//! network); [`CliError::line`] escapes and clips it for the terminal at the one place it
//! is printed.

use std::fmt;
use std::io;
use std::net::{SocketAddr, ToSocketAddrs};

use netloom::frame::FrameError;

use super::escape;

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

    /// The message as printed: control characters escaped, clipped to one short line.
    pub fn line(&self) -> String {
        escape::clip(&self.0)
    }

    /// Describes an I/O failure of `what` (an action and its address).
    pub fn io(what: &str, e: &io::Error) -> Self {
        if let Some(frame) = e
            .get_ref()
            .and_then(|inner| inner.downcast_ref::<FrameError>())
        {
            return CliError(format!("{what}: short read: {frame}"));
        }
        CliError(format!("{what}: {}", io_text(e)))
    }

    /// A failure to connect to `host:port`, worded the same for every command:
    /// `connecting to HOST:PORT: connection refused`.
    pub fn connecting(host: &str, port: u16, why: &str) -> Self {
        CliError(format!("connecting to {}: {why}", host_port(host, port)))
    }
}

/// `host:port`, with brackets around an IPv6 address.
pub fn host_port(host: &str, port: u16) -> String {
    if host.contains(':') && !host.starts_with('[') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// An I/O error as a person would say it.
pub fn io_text(e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::ConnectionRefused => "connection refused".to_string(),
        io::ErrorKind::AddrInUse => "address already in use".to_string(),
        io::ErrorKind::AddrNotAvailable => "address not available on this machine".to_string(),
        io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => "timed out".to_string(),
        io::ErrorKind::ConnectionReset => "connection reset by peer".to_string(),
        io::ErrorKind::ConnectionAborted => "connection aborted".to_string(),
        io::ErrorKind::UnexpectedEof => "the peer closed the connection early".to_string(),
        io::ErrorKind::HostUnreachable => "host unreachable".to_string(),
        io::ErrorKind::NetworkUnreachable => "network unreachable".to_string(),
        io::ErrorKind::NotFound if e.to_string().contains("unknown host") => {
            "unknown host".to_string()
        }
        _ => e.to_string(),
    }
}

/// True for an error that means no connection was made (as opposed to one that broke).
pub fn is_connect_failure(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::AddrNotAvailable
            | io::ErrorKind::HostUnreachable
            | io::ErrorKind::NetworkUnreachable
            | io::ErrorKind::NotFound
    )
}

/// Resolves `host:port`; a lookup failure is `connecting to HOST:PORT: unknown host`.
pub fn resolve(host: &str, port: u16) -> Result<Vec<SocketAddr>, CliError> {
    match (host, port).to_socket_addrs() {
        Ok(addrs) => {
            let addrs: Vec<SocketAddr> = addrs.collect();
            if addrs.is_empty() {
                Err(CliError::connecting(host, port, "unknown host"))
            } else {
                Ok(addrs)
            }
        }
        Err(_) => Err(CliError::connecting(host, port, "unknown host")),
    }
}

/// Resolves the address a server is to listen on; a lookup failure says so.
pub fn resolve_listen(host: &str, port: u16) -> Result<Vec<SocketAddr>, CliError> {
    let unknown = || {
        CliError(format!(
            "cannot listen on {}: unknown host",
            host_port(host, port)
        ))
    };
    let addrs: Vec<SocketAddr> = (host, port)
        .to_socket_addrs()
        .map_err(|_| unknown())?
        .collect();
    if addrs.is_empty() {
        return Err(unknown());
    }
    Ok(addrs)
}
