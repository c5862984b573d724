//! rustls' clock, set by the connection from the driver's time: rustls never reads the
//! system clock through a configuration built here.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use rustls::pki_types::UnixTime;
use rustls::time_provider::TimeProvider;

/// The wall-clock second last passed in by a driver (0: not yet).
#[derive(Debug, Default)]
pub(crate) struct FedClock {
    secs: AtomicU64,
}

impl FedClock {
    /// The driver's wall clock says `wall`.
    pub(crate) fn feed(&self, wall: SystemTime) {
        if let Ok(d) = wall.duration_since(SystemTime::UNIX_EPOCH) {
            // Connections of one configuration may feed from several threads; the time they
            // give is the same to the second or two, and any of them will do.
            self.secs.store(d.as_secs().max(1), Ordering::Relaxed);
        }
    }
}

impl TimeProvider for FedClock {
    fn current_time(&self) -> Option<UnixTime> {
        match self.secs.load(Ordering::Relaxed) {
            0 => None,
            s => Some(UnixTime::since_unix_epoch(Duration::from_secs(s))),
        }
    }
}
