//! What an accept loop does when `accept` fails: retry, pause, or give up.

use std::io;
use std::time::{Duration, Instant};

use crate::Now;

/// The first pause after running out of descriptors or memory; it doubles up to [`MAX_PAUSE`].
const FIRST_PAUSE: Duration = Duration::from_millis(10);
/// The longest pause between accept attempts while resources are exhausted.
const MAX_PAUSE: Duration = Duration::from_secs(1);

/// What to do after a failed `accept`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AcceptAction {
    /// The failure concerned one would-be connection (it reset before we took it, say):
    /// accept again at once.
    Retry,
    /// The process or system is out of descriptors or memory: stop accepting until this
    /// instant (keep serving the connections already open; clients wait in the backlog),
    /// and reclaim an idle connection ([`Admission::reclaim`](super::Admission::reclaim)) so
    /// that a descriptor frees. Never spin.
    PauseUntil(Instant),
    /// The listener itself is broken: stop the server with this error.
    Fatal,
}

/// Accept-error policy for one listener: which errors are transient, and a pause that
/// doubles while resources stay exhausted and resets on the next success.
///
/// ```
/// use std::io;
/// use std::time::{Instant, SystemTime};
/// use netloom_core::serve::{AcceptAction, AcceptBackoff};
/// use netloom_core::Now;
///
/// let now = Now::new(Instant::now(), SystemTime::now());
/// let mut backoff = AcceptBackoff::default();
/// let emfile = io::Error::from_raw_os_error(24);
/// assert!(matches!(backoff.on_error(&emfile, now), AcceptAction::PauseUntil(_)));
/// let reset = io::Error::from(io::ErrorKind::ConnectionAborted);
/// assert_eq!(backoff.on_error(&reset, now), AcceptAction::Retry);
/// ```
#[derive(Debug, Clone, Default)]
pub struct AcceptBackoff {
    pause: Option<Duration>,
}

impl AcceptBackoff {
    /// Classifies `err` from `accept` at `now`.
    pub fn on_error(&mut self, err: &io::Error, now: Now) -> AcceptAction {
        if is_exhaustion(err) {
            let pause = self.pause.map_or(FIRST_PAUSE, |p| (p * 2).min(MAX_PAUSE));
            self.pause = Some(pause);
            return AcceptAction::PauseUntil(now.instant + pause);
        }
        if is_per_connection(err) {
            return AcceptAction::Retry;
        }
        AcceptAction::Fatal
    }

    /// An accept succeeded: the next exhaustion starts again with a short pause.
    pub fn on_success(&mut self) {
        self.pause = None;
    }
}

/// Out of descriptors (EMFILE, ENFILE), buffers (ENOBUFS) or memory (ENOMEM).
fn is_exhaustion(err: &io::Error) -> bool {
    matches!(err.raw_os_error(), Some(24 | 23 | 105 | 12))
        || err.kind() == io::ErrorKind::OutOfMemory
}

/// An error about the connection being accepted, not the listener (accept(2): Linux passes
/// pending network errors of the new socket on to `accept`).
fn is_per_connection(err: &io::Error) -> bool {
    matches!(
        err.kind(),
        io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::Interrupted
            | io::ErrorKind::WouldBlock
            | io::ErrorKind::TimedOut
            | io::ErrorKind::PermissionDenied
    ) || matches!(
        // EPROTO, ENOPROTOOPT, EHOSTDOWN, ENONET, EHOSTUNREACH, EOPNOTSUPP, ENETUNREACH,
        // ENETDOWN
        err.raw_os_error(),
        Some(71 | 92 | 112 | 64 | 113 | 95 | 101 | 100)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::SystemTime;

    #[test]
    fn pauses_double_to_a_ceiling_and_reset_on_success() {
        let now = Now::new(Instant::now(), SystemTime::now());
        let mut b = AcceptBackoff::default();
        let emfile = io::Error::from_raw_os_error(24);
        let mut last = Duration::ZERO;
        for _ in 0..12 {
            let AcceptAction::PauseUntil(t) = b.on_error(&emfile, now) else {
                panic!()
            };
            let pause = t - now.instant;
            assert!(pause >= last && pause <= MAX_PAUSE);
            last = pause;
        }
        assert_eq!(last, MAX_PAUSE);
        b.on_success();
        let AcceptAction::PauseUntil(t) = b.on_error(&emfile, now) else {
            panic!()
        };
        assert_eq!(t - now.instant, FIRST_PAUSE);
        assert_eq!(
            b.on_error(&io::Error::from_raw_os_error(9), now),
            AcceptAction::Fatal
        );
    }
}
