//! File ranges as output: a connection that answers with part of an open file says so, and a
//! driver that can write files to sockets without a copy (`sendfile`) writes the range
//! itself ([`Duplex::transmit_file`](crate::Duplex::transmit_file)). For any other driver
//! the connection reads the range into its output like any other body, so an embedder that
//! never heard of files still serves them.
//!
//! ```
//! use std::io::Read;
//! use netloom_core::FileRange;
//!
//! let path = std::env::temp_dir().join(format!("netloom-doc-range-{}", std::process::id()));
//! std::fs::write(&path, b"0123456789")?;
//! let range = FileRange::new(std::fs::File::open(&path)?, 2, 5);
//! let mut text = String::new();
//! range.reader().read_to_string(&mut text)?;
//! assert_eq!(text, "23456");
//! # std::fs::remove_file(&path)?;
//! # Ok::<(), std::io::Error>(())
//! ```

use std::any::Any;
use std::fs::File;
use std::io;
use std::sync::Arc;

/// `len` bytes of an open file from `offset`: a response body that a driver may send
/// straight from the file (see [`Duplex::transmit_file`](crate::Duplex::transmit_file)).
///
/// The file is shared (an [`Arc`]), so one open file can serve many responses at once, as
/// from a cache of open files: every read of it is positioned, and nothing moves its file
/// offset. If the file turns out shorter than the range when it is sent, the response is
/// cut short and its connection closed, as for any body shorter than its `Content-Length`.
pub struct FileRange {
    file: Arc<File>,
    offset: u64,
    len: u64,
    /// Whatever the caller wants kept until the range has been sent (or dropped).
    guard: Option<Box<dyn Any + Send>>,
}

impl std::fmt::Debug for FileRange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileRange")
            .field("offset", &self.offset)
            .field("len", &self.len)
            .finish_non_exhaustive()
    }
}

impl FileRange {
    /// `len` bytes of `file` from `offset`.
    pub fn new(file: impl Into<Arc<File>>, offset: u64, len: u64) -> FileRange {
        FileRange {
            file: file.into(),
            offset,
            len,
            guard: None,
        }
    }

    /// Keeps `guard` alive until the range has been sent, or given up on (a count of
    /// responses in flight, say, decremented when `guard` drops).
    pub fn hold(mut self, guard: impl Any + Send) -> FileRange {
        self.guard = Some(Box::new(guard));
        self
    }

    /// The file.
    pub fn file(&self) -> &File {
        &self.file
    }

    /// Where the range starts in the file.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// Bytes in the range.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether the range is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The bytes `n` further on: the first `n` have been sent.
    pub(crate) fn consume(&mut self, n: u64) {
        let n = n.min(self.len);
        self.offset += n;
        self.len -= n;
    }

    /// What to write now: at most `max` bytes from the start of the range.
    #[cfg_attr(not(feature = "server"), allow(dead_code))]
    pub(crate) fn slice(&self, max: usize) -> FileSlice<'_> {
        FileSlice {
            file: &self.file,
            offset: self.offset,
            len: usize::try_from(self.len).unwrap_or(usize::MAX).min(max),
        }
    }

    /// Reads the range, for a driver (or a body) that wants its bytes: positioned reads, so
    /// the file's own offset is never moved.
    pub fn reader(self) -> RangeReader {
        RangeReader { range: self }
    }
}

/// The part of a file to write now, as [`Duplex::transmit_file`](crate::Duplex::transmit_file)
/// hands it to a driver: write up to `len` bytes of `file` from `offset` to the socket (with
/// `sendfile`, say) and report how many were written, as for any write.
#[derive(Debug, Clone, Copy)]
pub struct FileSlice<'a> {
    /// The open file.
    pub file: &'a File,
    /// Where to start in the file.
    pub offset: u64,
    /// Most bytes to write (never 0).
    pub len: usize,
}

/// A [`FileRange`] read piece by piece (see [`FileRange::reader`]). End of file before the
/// end of the range ends it early: the body is then shorter than promised, and its
/// connection is closed.
#[derive(Debug)]
pub struct RangeReader {
    range: FileRange,
}

impl io::Read for RangeReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let want = buf
            .len()
            .min(usize::try_from(self.range.len).unwrap_or(usize::MAX));
        if want == 0 {
            return Ok(0);
        }
        let n = read_at(&self.range.file, &mut buf[..want], self.range.offset)?;
        self.range.consume(n as u64);
        Ok(n)
    }
}

#[cfg(unix)]
fn read_at(file: &File, buf: &mut [u8], offset: u64) -> io::Result<usize> {
    std::os::unix::fs::FileExt::read_at(file, buf, offset)
}

#[cfg(windows)]
fn read_at(file: &File, buf: &mut [u8], offset: u64) -> io::Result<usize> {
    // Positioned too (it moves the handle's offset, which nothing here relies on).
    std::os::windows::fs::FileExt::seek_read(file, buf, offset)
}

#[cfg(not(any(unix, windows)))]
fn read_at(_: &File, _: &mut [u8], _: u64) -> io::Result<usize> {
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        "positioned file reads are not supported on this platform",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn ranges_read_what_they_cover_and_stop_early_at_end_of_file() {
        let path = std::env::temp_dir().join(format!("netloom-range-{}", std::process::id()));
        std::fs::write(&path, b"abcdefghij").unwrap();
        let file = Arc::new(File::open(&path).unwrap());
        let mut got = Vec::new();
        FileRange::new(Arc::clone(&file), 3, 4)
            .reader()
            .read_to_end(&mut got)
            .unwrap();
        assert_eq!(got, b"defg");
        // Two ranges over one open file do not disturb each other.
        let (mut a, mut b) = (
            FileRange::new(Arc::clone(&file), 0, 10).reader(),
            FileRange::new(Arc::clone(&file), 5, 5).reader(),
        );
        let (mut x, mut y) = ([0u8; 3], [0u8; 3]);
        a.read_exact(&mut x).unwrap();
        b.read_exact(&mut y).unwrap();
        assert_eq!((&x, &y), (b"abc", b"fgh"));
        // Past the end: what there is, then end of stream.
        got.clear();
        FileRange::new(file, 8, 10)
            .reader()
            .read_to_end(&mut got)
            .unwrap();
        assert_eq!(got, b"ij");
        let mut r = FileRange::new(File::open(&path).unwrap(), 2, 3);
        r.consume(2);
        assert_eq!(r.slice(100).offset, 4);
        assert_eq!(r.slice(100).len, 1);
        std::fs::remove_file(&path).unwrap();
    }
}
