//! Time as an input. `core` never reads a clock: every call that needs the time takes a
//! [`Now`] that the driver read, so timers behave the same on every runtime and in every
//! embedder's loop (quinn-proto's model: `handle_timeout(now)`, `poll_timeout()`).

use std::time::{Duration, Instant, SystemTime};

/// The time as the driver read it: a monotonic instant for deadlines, and the wall clock for
/// what is written on the wire (an HTTP `Date`) or checked against a calendar (a certificate's
/// validity).
///
/// A driver reads both clocks once per turn of its loop (or per system call, for a blocking
/// driver) and passes the same `Now` to every call of that turn.
///
/// ```
/// use std::time::{Instant, SystemTime};
/// use netloom_core::Now;
///
/// let now = Now::new(Instant::now(), SystemTime::now());
/// let later = now.after(std::time::Duration::from_secs(2));
/// assert!(later.instant > now.instant);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Now {
    /// Monotonic time: every deadline is an [`Instant`].
    pub instant: Instant,
    /// Wall-clock time, for `Date` headers and certificate checks.
    pub wall: SystemTime,
}

impl Now {
    /// The two clocks as read by the driver.
    pub fn new(instant: Instant, wall: SystemTime) -> Now {
        Now { instant, wall }
    }

    /// The same clocks `d` later (for tests and simulations that step time by hand).
    pub fn after(self, d: Duration) -> Now {
        Now {
            instant: self.instant + d,
            wall: self.wall + d,
        }
    }
}

/// The earlier of two optional deadlines.
pub(crate) fn earliest(a: Option<Instant>, b: Option<Instant>) -> Option<Instant> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, None) => a,
        (None, b) => b,
    }
}
