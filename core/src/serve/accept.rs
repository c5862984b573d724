//! An accept loop's policy: when to call `accept`, whom to let in, and what a failed
//! `accept` means (retry, pause, or give up).

use std::io;
use std::sync::Arc;
use std::task::Waker;
use std::time::{Duration, Instant};

use super::{Admission, Admit, ServerConfig};
use crate::Now;

/// Everything an accept loop decides, for one listener: the connection bound
/// ([`Admission`]) and the accept-error policy ([`AcceptBackoff`]) together.
///
/// ```text
/// loop {
///     if let Err(until) = acceptor.poll_accept(now, &waker) { wait for waker or until; continue }
///     match listener.accept() {
///         Ok(socket) => match acceptor.accepted(now) {
///             Admit::Admitted { ticket, victim } => serve socket under ticket (close victim),
///             _ => drop socket,
///         },
///         Err(e) => if let Err(fatal) = acceptor.failed(e, now) { stop with fatal },
///     }
/// }
/// ```
#[derive(Debug)]
pub struct Acceptor {
    admission: Arc<Admission>,
    backoff: AcceptBackoff,
    paused_until: Option<Instant>,
}

impl Acceptor {
    /// The policy for a listener under `config`, created at `now`.
    pub fn new(config: &ServerConfig, now: Now) -> Acceptor {
        Acceptor::with_admission(Admission::new(config.max_connections, now))
    }

    /// The policy around an existing bound.
    pub fn with_admission(admission: Arc<Admission>) -> Acceptor {
        Acceptor {
            admission,
            backoff: AcceptBackoff::default(),
            paused_until: None,
        }
    }

    /// The connection bound (to shut down, or to count connections).
    pub fn admission(&self) -> &Arc<Admission> {
        &self.admission
    }

    /// `Ok` when `accept` may be called at `now`. Otherwise wait until `waker` is woken or
    /// until the time given (`Err(Some(t))`): accepting is paused after running out of
    /// descriptors, or every connection is busy at the bound.
    pub fn poll_accept(&mut self, now: Now, waker: &Waker) -> Result<(), Option<Instant>> {
        if let Some(until) = self.paused_until {
            if now.instant < until {
                return Err(Some(until));
            }
            self.paused_until = None;
        }
        self.admission.check_room(now, waker)
    }

    /// A future for async accept loops, for when [`poll_accept`](Acceptor::poll_accept) said
    /// to wait: it resolves when the bound has room again (a connection ended or went idle),
    /// and otherwise never; race it against a timer at the time `poll_accept` gave, then ask
    /// `poll_accept` again.
    pub fn ready(&self, now: Now) -> Ready<'_> {
        Ready {
            acceptor: self,
            now,
            polled: false,
        }
    }

    /// `accept` gave a connection at `now`: its place under the bound
    /// ([`Admission::admit`]).
    pub fn accepted(&mut self, now: Now) -> Admit {
        self.backoff.on_success();
        self.admission.admit(now)
    }

    /// `accept` failed with `err` at `now`. `Ok` to go on: with the id of a connection
    /// evicted to free a descriptor, if one was (a loop that owns its connections closes it
    /// by that id). `Err` is fatal: the listener is broken; stop serving with it.
    pub fn failed(&mut self, err: io::Error, now: Now) -> Result<Option<u64>, io::Error> {
        match self.backoff.on_error(&err, now) {
            AcceptAction::Retry => Ok(None),
            AcceptAction::PauseUntil(until) => {
                self.paused_until = Some(until);
                Ok(self.admission.reclaim(now))
            }
            AcceptAction::Fatal => Err(err),
        }
    }
}

/// Resolves when an [`Acceptor`] may accept again (see [`Acceptor::ready`]).
#[derive(Debug)]
pub struct Ready<'a> {
    acceptor: &'a Acceptor,
    now: Now,
    polled: bool,
}

impl std::future::Future for Ready<'_> {
    type Output = ();
    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<()> {
        // Polled again: woken (or the caller's timer won the race), so look again.
        if std::mem::replace(&mut self.polled, true) {
            return std::task::Poll::Ready(());
        }
        let a = self.acceptor;
        if a.paused_until.is_some_and(|until| self.now.instant < until) {
            // Only time ends a pause: the caller's timer.
            return std::task::Poll::Pending;
        }
        match a.admission.check_room(self.now, cx.waker()) {
            Ok(()) => std::task::Poll::Ready(()),
            Err(_) => std::task::Poll::Pending,
        }
    }
}

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
