//! Saving a download to a file the way every netloom runtime's `retrieve` does (Python's
//! `urlretrieve`, without its partial files): the body goes into a temporary file beside the
//! destination (so the final rename stays on one file system), which is renamed over the
//! destination once the body is complete and removed on any failure, so the destination is
//! either the whole body or untouched.
//!
//! ```
//! # fn main() -> std::io::Result<()> {
//! let dir = std::env::temp_dir().join(format!("netloom-io-doc-{}", std::process::id()));
//! std::fs::create_dir_all(&dir)?;
//! let dest = dir.join("out.txt");
//! let mut part = netloom_io::PartFile::create(&dest)?;
//! part.write_all(b"hello")?;
//! part.finish()?;
//! assert_eq!(std::fs::read(&dest)?, b"hello");
//! # std::fs::remove_dir_all(&dir)?;
//! # Ok(()) }
//! ```
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// The temporary file a download to `dest` is written to before it is renamed into place:
/// `.{name}.part-{pid}-{n}` in the same directory (so the rename stays on one file system).
/// `None` when `dest` has no file name (`/`, `..`). [`PartFile::create`] names its files so;
/// a program that writes its own part files (the `netloom` CLI's `-o`) uses the same names.
///
/// ```
/// use std::path::{Path, PathBuf};
/// assert_eq!(
///     netloom_io::part_path(Path::new("dir/file.bin"), 7, 3),
///     Some(PathBuf::from("dir/.file.bin.part-7-3"))
/// );
/// assert_eq!(netloom_io::part_path(Path::new("/"), 1, 0), None);
/// ```
pub fn part_path(dest: &Path, pid: u32, n: u64) -> Option<PathBuf> {
    let name = dest.file_name()?;
    let mut part = std::ffi::OsString::from(".");
    part.push(name);
    part.push(format!(".part-{pid}-{n}"));
    Some(dest.with_file_name(part))
}

/// Which download a temporary file belongs to, within this process.
static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A download on its way to `dest`: written to a temporary file, renamed over `dest` by
/// [`finish`](PartFile::finish), removed if dropped before.
#[derive(Debug)]
pub struct PartFile {
    file: Option<File>,
    path: PathBuf,
    dest: PathBuf,
    done: bool,
}

impl PartFile {
    /// Creates the temporary file for `dest` (`.{name}.part-{pid}-{n}` beside it).
    pub fn create(dest: &Path) -> io::Result<PartFile> {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let path = part_path(dest, std::process::id(), n).ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("'{}' is not a file name", dest.display()),
            )
        })?;
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(|e| described("cannot create", &path, e))?;
        Ok(PartFile {
            file: Some(file),
            path,
            dest: dest.to_path_buf(),
            done: false,
        })
    }

    /// Where the bytes go until the download is complete.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends `data`.
    pub fn write_all(&mut self, data: &[u8]) -> io::Result<()> {
        match &mut self.file {
            Some(f) => f
                .write_all(data)
                .map_err(|e| described("cannot write", &self.path, e)),
            None => Err(io::Error::other("the download file is closed")),
        }
    }

    /// The body is complete: the file takes the destination's place.
    pub fn finish(mut self) -> io::Result<()> {
        if let Some(f) = self.file.take() {
            f.sync_data()
                .map_err(|e| described("cannot write", &self.path, e))?;
        }
        fs::rename(&self.path, &self.dest)
            .map_err(|e| described("cannot rename to", &self.dest, e))?;
        self.done = true;
        Ok(())
    }
}

impl Drop for PartFile {
    fn drop(&mut self) {
        if !self.done {
            drop(self.file.take());
            let _ = fs::remove_file(&self.path);
        }
    }
}

fn described(what: &str, path: &Path, e: io::Error) -> io::Error {
    io::Error::new(e.kind(), format!("{what} {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unfinished_download_leaves_nothing_and_the_destination_untouched() {
        let dir = std::env::temp_dir().join(format!("netloom-files-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let dest = dir.join("keep.txt");
        fs::write(&dest, "old").unwrap();
        let mut part = PartFile::create(&dest).unwrap();
        part.write_all(b"new, half").unwrap();
        let tmp = part.path().to_path_buf();
        assert!(tmp.exists());
        drop(part);
        assert!(!tmp.exists());
        assert_eq!(fs::read_to_string(&dest).unwrap(), "old");
        assert!(PartFile::create(&dir.join("..")).is_err());
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn part_paths() {
        assert_eq!(
            part_path(Path::new("dir/file.bin"), 7, 3),
            Some(PathBuf::from("dir/.file.bin.part-7-3"))
        );
        assert_eq!(
            part_path(Path::new("f"), 1, 0),
            Some(PathBuf::from(".f.part-1-0"))
        );
        assert_eq!(part_path(Path::new("/"), 1, 0), None);
        assert_eq!(part_path(Path::new("a/.."), 1, 0), None);
    }
}
