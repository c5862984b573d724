//! Where `get -o PATH` writes, decided (and opened) before any byte is fetched.
//!
//! - a regular file, new or existing, is written to a temporary file in the same directory
//!   and renamed over it when complete (a failure or a signal leaves the old file intact and
//!   no temporary file behind);
//! - a symlink is followed: its target is written that way, and the link stays a link;
//! - a device, FIFO or socket is written in place, never replaced;
//! - `-` is stdout;
//! - a directory, or a place we cannot write, is refused up front.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::FileTypeExt;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};

use netloom_io::part_path;

use super::error::{io_text, CliError};
use super::signals;

/// How many symlinks [`real_path`] follows before giving up (Linux's own limit).
const MAX_LINKS: usize = 40;

/// An open destination for a response body.
pub struct Output {
    sink: Sink,
    /// How the destination is named in messages.
    label: String,
}

enum Sink {
    Stdout(io::Stdout),
    /// A device or FIFO, written in place.
    InPlace(File),
    /// A Unix socket, written through a connection to it.
    Socket(UnixStream),
    /// A temporary file renamed onto `dest` by [`Output::finish`].
    Part {
        file: File,
        part: PathBuf,
        dest: PathBuf,
        done: bool,
    },
    /// An existing file being resumed: appended to in place.
    Append(File),
}

/// What a write found.
#[derive(Debug, PartialEq, Eq)]
pub enum Wrote {
    /// All of it was written.
    All,
    /// Stdout's reader went away (`netloom get URL | head`): stop, without an error.
    ReaderGone,
}

/// Follows `path` through any symlinks to the file they name (which may not exist yet).
pub fn real_path(path: &Path) -> Result<PathBuf, CliError> {
    let mut current = path.to_path_buf();
    for _ in 0..MAX_LINKS {
        match fs::symlink_metadata(&current) {
            Ok(meta) if meta.file_type().is_symlink() => {
                let target = fs::read_link(&current).map_err(|e| file_error(&current, &e))?;
                current = match current.parent() {
                    Some(dir) if target.is_relative() => dir.join(target),
                    _ => target,
                };
            }
            _ => return Ok(current),
        }
    }
    Err(CliError::msg(format!(
        "cannot write to {}: too many levels of symbolic links",
        path.display()
    )))
}

fn file_error(path: &Path, e: &io::Error) -> CliError {
    let why = match e.raw_os_error() {
        Some(20) => "a component of the path is not a directory".to_string(), // ENOTDIR
        Some(21) => "is a directory".to_string(),                             // EISDIR
        _ => match e.kind() {
            io::ErrorKind::NotFound => "no such directory".to_string(),
            _ => io_text(e),
        },
    };
    CliError::msg(format!("cannot write to {}: {why}", path.display()))
}

impl Output {
    /// Stdout.
    pub fn stdout() -> Self {
        Output {
            sink: Sink::Stdout(io::stdout()),
            label: "stdout".to_owned(),
        }
    }

    /// Opens `path` for a whole new body (see the module docs), before anything is fetched.
    pub fn open(path: &Path) -> Result<Self, CliError> {
        let label = path.display().to_string();
        let real = real_path(path)?;
        let meta = match fs::metadata(&real) {
            Ok(meta) => Some(meta),
            Err(e) if e.kind() == io::ErrorKind::NotFound => None,
            Err(e) => return Err(file_error(path, &e)),
        };
        let sink = match meta {
            Some(m) if m.is_dir() => {
                return Err(CliError::msg(format!(
                    "cannot write to {label}: it is a directory (give a file name, or -O to take it from the URL)"
                )))
            }
            Some(m) if m.file_type().is_socket() => {
                Sink::Socket(UnixStream::connect(&real).map_err(|e| file_error(path, &e))?)
            }
            Some(m) if !m.is_file() => Sink::InPlace(
                OpenOptions::new()
                    .write(true)
                    .open(&real)
                    .map_err(|e| file_error(path, &e))?,
            ),
            Some(m) => {
                // The rename would replace a file we may not write: ask the file itself.
                OpenOptions::new()
                    .write(true)
                    .open(&real)
                    .map_err(|e| file_error(path, &e))?;
                Self::part_for(&real, path, Some(m.permissions()))?
            }
            None => Self::part_for(&real, path, None)?,
        };
        Ok(Output { sink, label })
    }

    /// Opens the existing regular file `real` to append the rest of it.
    pub fn append(real: &Path, label: &Path) -> Result<Self, CliError> {
        let file = OpenOptions::new()
            .append(true)
            .open(real)
            .map_err(|e| file_error(label, &e))?;
        Ok(Output {
            sink: Sink::Append(file),
            label: label.display().to_string(),
        })
    }

    fn part_for(
        real: &Path,
        shown: &Path,
        permissions: Option<fs::Permissions>,
    ) -> Result<Sink, CliError> {
        let mut n = 0;
        let (file, part) = loop {
            let part = part_path(real, std::process::id(), n).ok_or_else(|| {
                CliError::msg(format!(
                    "cannot write to {}: not a file name",
                    shown.display()
                ))
            })?;
            match OpenOptions::new().write(true).create_new(true).open(&part) {
                Ok(file) => break (file, part),
                // Left by an earlier process that had our pid: take the next name.
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists && n < 100 => n += 1,
                Err(e) => {
                    let dir = real.parent().filter(|d| !d.as_os_str().is_empty());
                    return Err(file_error(dir.unwrap_or(Path::new(".")), &e));
                }
            }
        };
        signals::track_part(&part);
        if let Some(p) = permissions {
            // The replaced file keeps its mode.
            let _ = file.set_permissions(p);
        }
        Ok(Sink::Part {
            file,
            part,
            dest: real.to_path_buf(),
            done: false,
        })
    }

    /// How the destination is named in messages.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// True when writing to stdout.
    pub fn is_stdout(&self) -> bool {
        matches!(self.sink, Sink::Stdout(_))
    }

    /// Writes `buf`.
    pub fn write(&mut self, buf: &[u8]) -> Result<Wrote, CliError> {
        let result = match &mut self.sink {
            Sink::Stdout(out) => match out.write_all(buf) {
                Err(e) if e.kind() == io::ErrorKind::BrokenPipe => return Ok(Wrote::ReaderGone),
                other => other,
            },
            Sink::InPlace(f) | Sink::Append(f) | Sink::Part { file: f, .. } => f.write_all(buf),
            Sink::Socket(s) => s.write_all(buf),
        };
        result
            .map(|()| Wrote::All)
            .map_err(|e| CliError::msg(format!("cannot write to {}: {}", self.label, io_text(&e))))
    }

    /// Completes the output: flushes it, and renames a temporary file into place.
    pub fn finish(mut self) -> Result<(), CliError> {
        let label = self.label.clone();
        let fail =
            |e: io::Error| CliError::msg(format!("cannot write to {label}: {}", io_text(&e)));
        match &mut self.sink {
            Sink::Stdout(out) => match out.flush() {
                Err(e) if e.kind() != io::ErrorKind::BrokenPipe => Err(fail(e)),
                _ => Ok(()),
            },
            Sink::InPlace(f) | Sink::Append(f) => f.flush().map_err(fail),
            Sink::Socket(s) => s.flush().map_err(fail),
            Sink::Part {
                file,
                part,
                dest,
                done,
            } => {
                // On disk before the rename, so a crash cannot leave an empty file in place.
                file.sync_all().map_err(fail)?;
                signals::untrack_part(|| fs::rename(&*part, &*dest)).map_err(fail)?;
                *done = true;
                Ok(())
            }
        }
    }
}

impl Drop for Output {
    fn drop(&mut self) {
        if let Sink::Part {
            part, done: false, ..
        } = &self.sink
        {
            signals::untrack_part(|| fs::remove_file(part)).ok();
        }
    }
}

/// Prints one line on stdout; a reader that went away (`| head`) is not an error.
pub fn print_line(text: &str) -> Result<(), CliError> {
    let mut out = io::stdout().lock();
    match writeln!(out, "{text}").and_then(|()| out.flush()) {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => Err(CliError::msg(format!(
            "cannot write to stdout: {}",
            io_text(&e)
        ))),
        _ => Ok(()),
    }
}

/// Where a resumed download stands: the file to append to and how much of it exists.
pub struct Resume {
    /// The file (symlinks followed).
    pub real: PathBuf,
    /// Bytes already there.
    pub offset: u64,
}

/// For `-C -`: the existing regular file at `path` and its size, or `None` when there is
/// nothing to resume (no file, or an empty one), so the download starts afresh.
pub fn resume_point(path: &Path) -> Result<Option<Resume>, CliError> {
    let real = real_path(path)?;
    match fs::metadata(&real) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(file_error(path, &e)),
        Ok(m) if !m.is_file() => Err(CliError::msg(format!(
            "cannot resume {}: not a regular file",
            path.display()
        ))),
        Ok(m) if m.len() == 0 => Ok(None),
        Ok(m) => Ok(Some(Resume {
            real,
            offset: m.len(),
        })),
    }
}
