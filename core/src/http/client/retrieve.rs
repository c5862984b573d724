//! Saving a response to a file: where its bytes go until it is complete.

use std::path::{Path, PathBuf};

/// The temporary file a download to `dest` is written to before it is renamed into place:
/// `.{name}.part-{pid}-{n}` in the same directory (so the rename stays on one file system).
/// `None` when `dest` has no file name (`/`, `..`).
pub fn part_path(dest: &Path, pid: u32, n: u64) -> Option<PathBuf> {
    let name = dest.file_name()?;
    let mut part = std::ffi::OsString::from(".");
    part.push(name);
    part.push(format!(".part-{pid}-{n}"));
    Some(dest.with_file_name(part))
}

/// True for a 2xx status: what `retrieve` accepts.
pub fn is_success(status: u16) -> bool {
    (200..300).contains(&status)
}
