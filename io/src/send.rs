//! Writes that `std::io::Write` cannot express, for the runtimes' drivers: a file range
//! straight to a socket (`sendfile`) and bytes with more to follow (`MSG_MORE`, so a head
//! waits for its body and they leave in full packets). Linux and Android have both; elsewhere
//! [`SENDFILE`] is false and drivers let file bodies go through the connection's output.

use std::io;
use std::os::fd::AsFd;

use netloom_core::FileSlice;

/// Whether this platform has [`send_file`] and [`send_more`].
pub const SENDFILE: bool = cfg!(any(target_os = "linux", target_os = "android"));

/// Writes (some of) a file slice to the socket, straight from the file; `Ok(0)` for no slice.
pub fn send_file(socket: &impl AsFd, slice: Option<FileSlice<'_>>) -> io::Result<usize> {
    let Some(slice) = slice else { return Ok(0) };
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        let mut offset = slice.offset;
        Ok(rustix::fs::sendfile(
            socket,
            slice.file,
            Some(&mut offset),
            slice.len,
        )?)
    }
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    {
        let _ = (socket, slice);
        Err(io::ErrorKind::Unsupported.into())
    }
}

/// Writes (some of) `data` to the socket with `MSG_MORE`: the kernel holds it back until
/// the next write (the file body that follows a head).
pub fn send_more(socket: &impl AsFd, data: &[u8]) -> io::Result<usize> {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        use rustix::net::{send, SendFlags};
        Ok(send(socket, data, SendFlags::MORE)?)
    }
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    {
        let _ = (socket, data);
        Err(io::ErrorKind::Unsupported.into())
    }
}
