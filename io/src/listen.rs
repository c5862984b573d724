//! Where a server listens: TCP, or a Unix domain socket bound safely (a live socket is never
//! replaced, a stale one is, and the server's own socket file goes when it stops).

use std::fs;
use std::io;
use std::net::{SocketAddr, TcpListener};
use std::os::unix::net::UnixListener;
use std::path::{Path, PathBuf};

use netloom_core::frame::Addr;

/// A listening socket: TCP, or a Unix domain socket (with the socket file it made, removed
/// when the listener is dropped). Every runtime's servers take one.
#[derive(Debug)]
pub enum Listener {
    /// A TCP listener.
    Tcp(TcpListener),
    /// A Unix domain socket listener, and its socket file when this listener made it.
    Unix(UnixListener, Option<SocketFile>),
}

impl Listener {
    /// Binds a Unix domain socket at `path` (see [`bind_unix`]).
    pub fn bind_unix(path: &Path) -> io::Result<Listener> {
        let (listener, file) = bind_unix(path)?;
        Ok(Listener::Unix(listener, Some(file)))
    }

    /// Its TCP address; an error for a Unix domain socket.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        match self {
            Listener::Tcp(l) => l.local_addr(),
            Listener::Unix(..) => Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "a Unix-socket server has no IP address",
            )),
        }
    }

    /// Where it listens: a TCP address, or [`Addr::Unix`].
    pub fn addr(&self) -> io::Result<Addr> {
        match self {
            Listener::Tcp(l) => l.local_addr().map(Addr::Inet),
            Listener::Unix(..) => Ok(Addr::Unix),
        }
    }

    /// Its path, for a Unix domain socket.
    pub fn path(&self) -> Option<PathBuf> {
        match self {
            Listener::Tcp(_) => None,
            Listener::Unix(l, _) => l
                .local_addr()
                .ok()
                .and_then(|a| a.as_pathname().map(Path::to_path_buf)),
        }
    }

    /// Sets non-blocking mode (for event loops).
    pub fn set_nonblocking(&self, on: bool) -> io::Result<()> {
        match self {
            Listener::Tcp(l) => l.set_nonblocking(on),
            Listener::Unix(l, _) => l.set_nonblocking(on),
        }
    }

    /// Another handle to the same socket (the socket file stays with this one).
    pub fn try_clone(&self) -> io::Result<Listener> {
        match self {
            Listener::Tcp(l) => l.try_clone().map(Listener::Tcp),
            Listener::Unix(l, _) => l.try_clone().map(|l| Listener::Unix(l, None)),
        }
    }
}

impl From<TcpListener> for Listener {
    fn from(l: TcpListener) -> Listener {
        Listener::Tcp(l)
    }
}

impl From<UnixListener> for Listener {
    fn from(l: UnixListener) -> Listener {
        Listener::Unix(l, None)
    }
}

/// A Unix domain socket a server listens on, and the file it made: removed again when this
/// is dropped (the server shut down), if it is still the same file.
#[derive(Debug)]
pub struct SocketFile {
    path: PathBuf,
    id: (u64, u64),
}

impl SocketFile {
    /// The socket's path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for SocketFile {
    fn drop(&mut self) {
        // Another server may have replaced a file we lost track of: leave theirs alone.
        if file_id(&self.path).is_some_and(|id| id == self.id) {
            let _ = fs::remove_file(&self.path);
        }
    }
}

fn file_id(path: &Path) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    fs::symlink_metadata(path).ok().map(|m| (m.dev(), m.ino()))
}

/// Binds a Unix domain socket at `path` as a server should: a socket that something is
/// listening on is never replaced (the bind fails with `AddrInUse`), a stale one (nothing
/// answers) is removed first, and anything there that is not a socket is left alone (the
/// bind fails). The returned [`SocketFile`] removes the socket file when dropped.
pub fn bind_unix(path: &Path) -> io::Result<(UnixListener, SocketFile)> {
    use std::os::unix::fs::FileTypeExt;
    use std::os::unix::net::UnixStream;
    if let Ok(meta) = fs::symlink_metadata(path) {
        if !meta.file_type().is_socket() {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                format!("{} exists and is not a socket", path.display()),
            ));
        }
        match UnixStream::connect(path) {
            Ok(_) => {
                return Err(io::Error::new(
                    io::ErrorKind::AddrInUse,
                    format!("a server is listening on {} already", path.display()),
                ))
            }
            // Nothing listens there: a socket file left behind.
            Err(e) if e.kind() == io::ErrorKind::ConnectionRefused => {
                fs::remove_file(path).map_err(|e| described("cannot remove", path, e))?;
            }
            Err(e) => return Err(described("cannot check", path, e)),
        }
    }
    let listener = UnixListener::bind(path).map_err(|e| described("cannot bind", path, e))?;
    let id = file_id(path).unwrap_or((0, 0));
    Ok((
        listener,
        SocketFile {
            path: path.to_path_buf(),
            id,
        },
    ))
}

fn described(what: &str, path: &Path, e: io::Error) -> io::Error {
    io::Error::new(e.kind(), format!("{what} {}: {e}", path.display()))
}

#[cfg(test)]
mod socket_tests {
    use super::*;

    #[test]
    fn a_live_socket_is_kept_a_stale_one_replaced_and_ours_removed() {
        let dir = std::env::temp_dir().join(format!("netloom-sock-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let path = dir.join("s.sock");
        let (live, guard) = bind_unix(&path).unwrap();
        assert_eq!(
            bind_unix(&path).unwrap_err().kind(),
            io::ErrorKind::AddrInUse
        );
        // Closed but its file left behind (as a killed server leaves it).
        drop(live);
        std::mem::forget(guard);
        let (_again, guard) = bind_unix(&path).expect("a stale socket is replaced");
        drop(guard);
        assert!(!path.exists(), "removed at shutdown");
        fs::write(&path, "not a socket").unwrap();
        assert!(bind_unix(&path).is_err());
        assert!(path.exists(), "a regular file is left alone");
        fs::remove_dir_all(&dir).unwrap();
    }
}
