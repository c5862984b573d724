//! A single non-blocking client connection with its own small poll, for request/reply clients.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, ToSocketAddrs};
use std::time::{Duration, Instant};

use mio::net::TcpStream;
use mio::{Events, Interest, Poll, Token};

const SOCK: Token = Token(0);

/// One client connection driven by its own `mio::Poll`, with a deadline on every operation.
pub struct ClientConn {
    poll: Poll,
    events: Events,
    stream: TcpStream,
    timeout: Duration,
}

impl ClientConn {
    /// Connects to the first address of `addr` that answers within `timeout`.
    pub fn connect(addr: impl ToSocketAddrs, timeout: Duration) -> io::Result<Self> {
        let mut last = None;
        for a in addr.to_socket_addrs()? {
            match Self::connect_one(a, timeout) {
                Ok(c) => return Ok(c),
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(|| {
            io::Error::new(io::ErrorKind::InvalidInput, "no address to connect to")
        }))
    }

    fn connect_one(addr: SocketAddr, timeout: Duration) -> io::Result<Self> {
        let mut stream = TcpStream::connect(addr)?;
        let poll = Poll::new()?;
        poll.registry()
            .register(&mut stream, SOCK, Interest::READABLE | Interest::WRITABLE)?;
        let mut conn = ClientConn {
            poll,
            events: Events::with_capacity(8),
            stream,
            timeout,
        };
        // A non-blocking connect completes when the socket turns writable; then either an
        // error is pending or the peer address is known.
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(e) = conn.stream.take_error()? {
                return Err(e);
            }
            match conn.stream.peer_addr() {
                Ok(_) => return Ok(conn),
                Err(e) if e.kind() == io::ErrorKind::NotConnected => {}
                Err(e) => return Err(e),
            }
            conn.wait(deadline, "connect")?;
        }
    }

    /// Our socket's address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.stream.local_addr()
    }

    /// The peer's address.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.stream.peer_addr()
    }

    /// Changes the per-operation timeout.
    pub fn set_timeout(&mut self, timeout: Duration) {
        self.timeout = timeout;
    }

    fn wait(&mut self, deadline: Instant, what: &str) -> io::Result<()> {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!("{what} timed out"),
            ));
        }
        match self.poll.poll(&mut self.events, Some(left)) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Writes all of `data`, waiting for the socket as needed.
    pub fn write_all(&mut self, mut data: &[u8]) -> io::Result<()> {
        let deadline = Instant::now() + self.timeout;
        while !data.is_empty() {
            match self.stream.write(data) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => data = &data[n..],
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => self.wait(deadline, "write")?,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Reads whatever arrives first (at most `buf.len()` bytes); `Ok(0)` at EOF.
    pub fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let deadline = Instant::now() + self.timeout;
        loop {
            match self.stream.read(buf) {
                Ok(n) => return Ok(n),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => self.wait(deadline, "read")?,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// Closes our sending side; the peer reads EOF.
    pub fn shutdown_write(&mut self) -> io::Result<()> {
        self.stream.shutdown(std::net::Shutdown::Write)
    }
}

/// Lets blocking-style helpers (frame readers) run on top of the poll-driven connection.
impl Read for ClientConn {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        ClientConn::read(self, buf)
    }
}

/// Lets the HTTP client write requests; each `write` waits (within the timeout) until all of
/// `buf` is sent.
impl Write for ClientConn {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        ClientConn::write_all(self, buf)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
