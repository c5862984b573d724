//! The two transports a std server listens on, TCP and Unix domain sockets, behind one
//! small interface, so the driver is written once for both.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::PathBuf;
use std::time::Duration;

use netloom_core::frame::{Addr, ConnInfo};
pub use netloom_io::Listener;

/// How a std server reaches its own listener (where it listens is `Listener::addr`).
pub(crate) trait ListenerExt {
    fn waker(&self) -> Wake;
}

impl ListenerExt for Listener {
    /// Connects to it once, to wake a thread blocked in `accept` (shutdown).
    fn waker(&self) -> Wake {
        match self {
            Listener::Tcp(l) => Wake::Tcp(l.local_addr().ok()),
            Listener::Unix(..) => Wake::Unix(self.path()),
        }
    }
}

/// How to reach a listener to wake its accept.
#[derive(Debug, Clone)]
pub(crate) enum Wake {
    Tcp(Option<SocketAddr>),
    Unix(Option<PathBuf>),
}

impl Wake {
    pub(crate) fn wake(&self) {
        match self {
            Wake::Tcp(Some(addr)) => {
                let _ = TcpStream::connect_timeout(addr, Duration::from_secs(1));
            }
            Wake::Unix(Some(path)) => {
                let _ = UnixStream::connect(path);
            }
            _ => {}
        }
    }
}

/// A connected socket of either transport, as the driver uses it.
pub(crate) trait Socket: Read + Write + std::os::fd::AsFd + Send + Sized + 'static {
    fn try_clone(&self) -> io::Result<Self>;
    fn shutdown(&self, how: Shutdown) -> io::Result<()>;
    fn set_read_timeout(&self, d: Option<Duration>) -> io::Result<()>;
    fn set_write_timeout(&self, d: Option<Duration>) -> io::Result<()>;
    /// `TCP_NODELAY`, where it means something.
    fn set_nodelay(&self) -> io::Result<()>;
}

macro_rules! socket {
    ($t:ty, $nodelay:expr) => {
        impl Socket for $t {
            fn try_clone(&self) -> io::Result<Self> {
                <$t>::try_clone(self)
            }
            fn shutdown(&self, how: Shutdown) -> io::Result<()> {
                <$t>::shutdown(self, how)
            }
            fn set_read_timeout(&self, d: Option<Duration>) -> io::Result<()> {
                <$t>::set_read_timeout(self, d)
            }
            fn set_write_timeout(&self, d: Option<Duration>) -> io::Result<()> {
                <$t>::set_write_timeout(self, d)
            }
            fn set_nodelay(&self) -> io::Result<()> {
                $nodelay(self)
            }
        }
    };
}

socket!(TcpStream, |s: &TcpStream| s.set_nodelay(true));
socket!(UnixStream, |_: &UnixStream| Ok(()));

/// What accepts connections of one transport.
pub(crate) trait Accept: Send + 'static {
    type Socket: Socket;
    fn accept_conn(&self) -> io::Result<(Self::Socket, ConnInfo)>;
}

impl Accept for TcpListener {
    type Socket = TcpStream;
    fn accept_conn(&self) -> io::Result<(TcpStream, ConnInfo)> {
        let (s, peer) = self.accept()?;
        let local = s.local_addr()?;
        Ok((
            s,
            ConnInfo {
                local: Addr::Inet(local),
                peer: Addr::Inet(peer),
            },
        ))
    }
}

impl Accept for UnixListener {
    type Socket = UnixStream;
    fn accept_conn(&self) -> io::Result<(UnixStream, ConnInfo)> {
        let (s, _) = self.accept()?;
        Ok((
            s,
            ConnInfo {
                local: Addr::Unix,
                peer: Addr::Unix,
            },
        ))
    }
}
