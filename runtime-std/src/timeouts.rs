//! Socket timeouts from core deadlines, for blocking sockets.

use std::io;
use std::time::{Duration, Instant};

/// A socket timeout as last set, so that it is changed only when the deadline moved by more
/// than a little (each change is a system call).
#[derive(Default)]
pub(crate) struct Armed(Option<Duration>);

impl Armed {
    /// Sets the timeout for an operation that must end by `deadline` (at `now`); returns
    /// false when the deadline has already passed.
    pub(crate) fn arm(
        &mut self,
        deadline: Option<Instant>,
        now: Instant,
        set: impl FnOnce(Option<Duration>) -> io::Result<()>,
    ) -> bool {
        let want = match deadline {
            None => None,
            Some(d) => match d.checked_duration_since(now) {
                Some(left) if !left.is_zero() => Some(left),
                _ => return false,
            },
        };
        let close_enough = match (self.0, want) {
            (None, None) => true,
            // Waking up to 1/64 late (at least 10 ms) saves a system call per read.
            (Some(cur), Some(want)) => {
                cur >= want && cur - want <= (want / 64).max(Duration::from_millis(10))
            }
            _ => false,
        };
        if !close_enough && set(want).is_ok() {
            self.0 = want;
        }
        true
    }
}
