//! Ctrl-C and `kill`: a download removes its temporary file before dying, a server drains.
//!
//! Signals are received on a thread of their own (signal-hook's iterator), so nothing here
//! runs inside a signal handler and no unsafe code is needed.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
use signal_hook::iterator::Signals;

use super::error::CliError;

/// The temporary file of the download in progress, removed if a signal ends the process.
static PART_FILE: Mutex<Option<PathBuf>> = Mutex::new(None);

fn part_file() -> std::sync::MutexGuard<'static, Option<PathBuf>> {
    PART_FILE.lock().unwrap_or_else(|p| p.into_inner())
}

/// Dies as `signal` would have killed us, after the signal-hook handler is gone.
fn die_of(signal: i32) -> ! {
    let _ = signal_hook::low_level::emulate_default_handler(signal);
    std::process::exit(128 + signal)
}

/// From now on, SIGINT, SIGTERM and SIGHUP remove the registered temporary file (see
/// [`track_part`]) and then end the process as the signal would have.
pub fn guard_downloads() -> Result<(), CliError> {
    let mut signals = Signals::new([SIGINT, SIGTERM, SIGHUP])
        .map_err(|e| CliError::msg(format!("cannot watch for signals: {e}")))?;
    std::thread::Builder::new()
        .name("netloom-signals".into())
        .spawn(move || {
            if let Some(signal) = signals.forever().next() {
                if let Some(path) = part_file().take() {
                    let _ = std::fs::remove_file(path);
                }
                die_of(signal);
            }
        })
        .map_err(|e| CliError::msg(format!("cannot watch for signals: {e}")))?;
    Ok(())
}

/// Registers `path` as the temporary file to remove on a signal.
pub fn track_part(path: &Path) {
    *part_file() = Some(path.to_owned());
}

/// Runs `finish` (the rename into place, or the removal) with the signal thread held off,
/// then forgets the temporary file: a signal never races a rename.
pub fn untrack_part<T>(finish: impl FnOnce() -> T) -> T {
    let mut guard = part_file();
    let out = finish();
    *guard = None;
    out
}

/// SIGINT, SIGTERM and SIGHUP, caught from [`Stop::watch`] on, so a server that has said it
/// is ready can always be stopped gracefully.
pub struct Stop(Signals);

impl Stop {
    /// Starts catching the signals (call before announcing the server).
    pub fn watch() -> Result<Self, CliError> {
        Signals::new([SIGINT, SIGTERM, SIGHUP])
            .map(Stop)
            .map_err(|e| CliError::msg(format!("cannot watch for signals: {e}")))
    }

    /// Blocks until one of the signals arrives and returns its name; a second one
    /// afterwards ends the process at once (the impatient Ctrl-C).
    pub fn wait(self) -> Result<&'static str, CliError> {
        let mut signals = self.0;
        let first = signals.forever().next().unwrap_or(SIGTERM);
        std::thread::Builder::new()
            .name("netloom-signals".into())
            .spawn(move || {
                if let Some(signal) = signals.forever().next() {
                    eprintln!("netloom: second {}, stopping now", name(signal));
                    die_of(signal);
                }
            })
            .map_err(|e| CliError::msg(format!("cannot watch for signals: {e}")))?;
        Ok(name(first))
    }
}

fn name(signal: i32) -> &'static str {
    match signal {
        SIGINT => "Ctrl-C",
        SIGTERM => "SIGTERM",
        SIGHUP => "SIGHUP",
        _ => "signal",
    }
}
