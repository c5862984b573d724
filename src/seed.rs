//! The seed's programs as runtime-independent [`Service`]s: the 16-octet exchange and the
//! banner server. Each takes a logger so the CLI can print what the Python originals print
//! and tests can collect it.

use std::sync::Arc;

use netloom_core::frame::{ConnInfo, FixedDecoder, FrameError, Reply, Service};

/// What the client of the 16-octet exchange sends.
pub const CLIENT_MESSAGE: &[u8; 16] = b"Hi there, server";
/// What the server of the 16-octet exchange answers.
pub const SERVER_REPLY: &[u8; 16] = b"Farewell, client";
/// What the banner server says before it closes.
pub const BANNER: &[u8] = b"Thank you for connecting";
/// The 16-octet exchange's default port.
pub const SIXTEEN_PORT: u16 = 1060;
/// The banner pair's default port.
pub const BANNER_PORT: u16 = 1234;

/// Where a service's lines go.
pub type Logger = Arc<dyn Fn(String) + Send + Sync>;

/// A logger that prints each line to standard output (a closed stdout loses the line; it
/// never takes the server down).
pub fn stdout_logger() -> Logger {
    Arc::new(|line| {
        use std::io::Write;
        let _ = writeln!(std::io::stdout().lock(), "{line}");
    })
}

/// Renders bytes the way Python's `repr(bytes)` does (`b'Hi there, server'`), so the output
/// reads like the original programs'.
pub fn py_repr(bytes: &[u8]) -> String {
    let quote = if bytes.contains(&b'\'') && !bytes.contains(&b'"') {
        '"'
    } else {
        '\''
    };
    let mut s = String::with_capacity(bytes.len() + 3);
    s.push('b');
    s.push(quote);
    for &b in bytes {
        match b {
            b'\\' => s.push_str("\\\\"),
            b'\t' => s.push_str("\\t"),
            b'\n' => s.push_str("\\n"),
            b'\r' => s.push_str("\\r"),
            b if b as char == quote => {
                s.push('\\');
                s.push(quote);
            }
            0x20..=0x7e => s.push(b as char),
            _ => s.push_str(&format!("\\x{b:02x}")),
        }
    }
    s.push(quote);
    s
}

/// The server side of the 16-octet exchange: read 16 octets, answer
/// `Farewell, client`, close.
pub struct SixteenServer {
    log: Logger,
}

impl SixteenServer {
    /// A server that reports each connection to `log`.
    pub fn new(log: Logger) -> Self {
        SixteenServer { log }
    }
}

impl Service for SixteenServer {
    type Decoder = FixedDecoder;

    fn decoder(&self) -> FixedDecoder {
        FixedDecoder::new(16)
    }

    fn on_connect(&self, conn: &ConnInfo) -> Reply {
        (self.log)(format!("We have accepted a connection from {}", conn.peer));
        (self.log)(format!("  Socket name: {}", conn.local));
        (self.log)(format!("  Socket peer: {}", conn.peer));
        Reply::Nothing
    }

    fn on_frame(&self, _conn: &ConnInfo, frame: Vec<u8>) -> Reply {
        (self.log)(format!(
            "  Incoming sixteen-octet message: {}",
            py_repr(&frame)
        ));
        (self.log)("  Reply sent, socket closed".to_string());
        Reply::SendAndClose(SERVER_REPLY.to_vec())
    }

    fn on_error(&self, conn: &ConnInfo, err: &FrameError) {
        (self.log)(format!("  Client {} failed: {err}", conn.peer));
    }
}

/// The banner server: greet, close.
pub struct BannerServer {
    log: Logger,
}

impl BannerServer {
    /// A server that reports each connection to `log`.
    pub fn new(log: Logger) -> Self {
        BannerServer { log }
    }
}

impl Service for BannerServer {
    type Decoder = FixedDecoder;

    fn decoder(&self) -> FixedDecoder {
        // The banner server never reads; any decoder will do.
        FixedDecoder::new(1)
    }

    fn on_connect(&self, conn: &ConnInfo) -> Reply {
        (self.log)(format!("Got connection from {}", conn.peer));
        Reply::SendAndClose(BANNER.to_vec())
    }

    fn on_frame(&self, _conn: &ConnInfo, _frame: Vec<u8>) -> Reply {
        Reply::Close
    }
}

/// The XML-RPC calculator's default port.
pub const XMLRPC_PORT: u16 = 8000;

/// The seed's XML-RPC calculator: `add`, `subtract`, `multiply` and `divide` computed as
/// CPython computes `x + y`, `x - y`, `x * y` and `x // y` for the functions of its
/// `MultiCall` example, with multicall and introspection enabled: ints and floats mix, `str`
/// and `list` concatenate and repeat, other operands are Python's `TypeError`, and int
/// results that do not fit XML-RPC's 32-bit `int` are faults, as in CPython.
pub fn calculator() -> netloom_core::xmlrpc::Dispatcher {
    use crate::py_arith;
    use netloom_core::xmlrpc::{Dispatcher, Value};
    let mut d = Dispatcher::new();
    let sig: &[&[&str]] = &[&["int", "int", "int"], &["double", "double", "double"]];
    d.register("add", |a: Value, b: Value| py_arith::add(&a, &b))
        .with_help("Return a + b.")
        .with_signature(sig);
    d.register("subtract", |a: Value, b: Value| py_arith::subtract(&a, &b))
        .with_help("Return a - b.")
        .with_signature(sig);
    d.register("multiply", |a: Value, b: Value| py_arith::multiply(&a, &b))
        .with_help("Return a * b.")
        .with_signature(sig);
    d.register("divide", |a: Value, b: Value| {
        py_arith::floor_divide(&a, &b)
    })
    .with_help("Return a // b (floor division); dividing by zero is a fault.")
    .with_signature(sig);
    d.enable_multicall().enable_introspection();
    d
}

#[cfg(test)]
mod tests {
    use super::py_repr;

    #[test]
    fn repr_matches_python() {
        assert_eq!(py_repr(b"Hi there, server"), "b'Hi there, server'");
        assert_eq!(py_repr(b"it's"), "b\"it's\"");
        assert_eq!(py_repr(b"a\x00\n\\"), "b'a\\x00\\n\\\\'");
        assert_eq!(py_repr(b"'\""), "b'\\'\"'");
    }
}
