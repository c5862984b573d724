//! The connection bound, shared by a server's accept loop and all its connections: who may
//! come in, who gives way at the bound, and telling every connection that the server is
//! shutting down.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use crate::Now;

/// A connection that has sent nothing gives way at the bound only once it is this old: its
/// first bytes may be in flight, or waiting unread (a client from the backlog sends its
/// request before we accept it), and evicting it then would drop a request.
pub const SILENT_GRACE: Duration = Duration::from_millis(200);

/// What a connection is doing, as the bound sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum Phase {
    /// Something is in flight: never evicted.
    Busy = 0,
    /// Accepted, no byte received yet.
    Fresh = 1,
    /// Between messages (keep-alive), or lingering after its last one.
    Idle = 2,
    /// Closed; its ticket is about to go.
    Closed = 3,
}

impl Phase {
    fn from_u8(v: u8) -> Phase {
        match v {
            1 => Phase::Fresh,
            2 => Phase::Idle,
            3 => Phase::Closed,
            _ => Phase::Busy,
        }
    }
}

/// One connection's entry, shared by its [`Ticket`] and the [`Admission`].
#[derive(Debug)]
struct Slot {
    id: u64,
    phase: AtomicU8,
    /// When it entered its phase, in nanoseconds since the admission's origin.
    since: AtomicU64,
    evicted: AtomicBool,
    /// Bumped each time the connection's driver is told to look again (eviction, shutdown).
    kicks: AtomicU64,
    /// What wakes the connection's driver: a task's waker, or a blocking driver's way to
    /// interrupt its read.
    waker: Mutex<Option<Waker>>,
}

impl Slot {
    fn phase(&self) -> Phase {
        Phase::from_u8(self.phase.load(Ordering::Acquire))
    }

    fn kick(&self) {
        self.kicks.fetch_add(1, Ordering::AcqRel);
        if let Some(w) = lock(&self.waker).as_ref() {
            w.wake_by_ref();
        }
    }
}

#[derive(Debug, Default)]
struct Slots {
    live: HashMap<u64, Arc<Slot>>,
    next_id: u64,
    /// Live slots already evicted (they no longer count against the bound).
    evicted: usize,
    room: Option<Waker>,
    empty: Option<Waker>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // Nothing panics while holding these locks; a poisoned one is still consistent.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// A server's connection bound ([`ServerConfig::max_connections`](super::ServerConfig)),
/// shared (behind an `Arc`) by its accept loop and every connection's [`Ticket`].
///
/// At the bound, a connection that has sent nothing for [`SILENT_GRACE`] since it was
/// accepted, or one idle between requests (or lingering after its last), gives way to the
/// newcomer: the silent ones first, the one silent longest first. A flood of connections that
/// never send a byte therefore cannot lock other clients out. When every connection is busy, [`admit`](Admission::admit) says
/// [`Admit::Full`] and the accept loop waits ([`room`](Admission::room)) with new clients
/// left in the listen backlog.
///
/// ```
/// use std::time::{Instant, SystemTime};
/// use netloom_core::serve::{Admission, Admit};
/// use netloom_core::Now;
///
/// let now = Now::new(Instant::now(), SystemTime::now());
/// let bound = Admission::new(1, now);
/// let Admit::Admitted { ticket: first, .. } = bound.admit(now) else { panic!() };
/// // A second client arriving at once waits: the first may not have been read yet.
/// assert!(matches!(bound.admit(now), Admit::Full));
/// // Silent for longer than the grace, the first gives way.
/// let later = now.after(netloom_core::serve::SILENT_GRACE);
/// let Admit::Admitted { victim, .. } = bound.admit(later) else { panic!() };
/// assert_eq!(victim, Some(first.id()));
/// assert!(first.is_evicted());
/// ```
#[derive(Debug)]
pub struct Admission {
    max: usize,
    origin: Instant,
    slots: Mutex<Slots>,
    shutting_down: AtomicBool,
    aborted: AtomicBool,
    /// An accept loop waits for room: phase changes to an evictable one wake it.
    waiting: AtomicBool,
}

/// The answer of [`Admission::admit`].
#[derive(Debug)]
pub enum Admit {
    /// Serve the new connection under `ticket`. `victim` is the connection that gave way to
    /// it; its driver has been kicked ([`Ticket::set_waker`]), and a driver that keeps its
    /// connections itself (an event loop) closes it by this id.
    Admitted {
        /// The new connection's place.
        ticket: Ticket,
        /// The id of the connection evicted to make room, if any.
        victim: Option<u64>,
    },
    /// Every connection is busy: leave new clients in the backlog until
    /// [`room`](Admission::room) resolves.
    Full,
    /// The server is shutting down: accept no more.
    ShuttingDown,
}

impl Admission {
    /// A bound of `max` connections (at least 1), created at `now`.
    pub fn new(max: usize, now: Now) -> Arc<Admission> {
        Arc::new(Admission {
            max: max.max(1),
            origin: now.instant,
            slots: Mutex::new(Slots::default()),
            shutting_down: AtomicBool::new(false),
            aborted: AtomicBool::new(false),
            waiting: AtomicBool::new(false),
        })
    }

    /// The bound.
    pub fn max(&self) -> usize {
        self.max
    }

    /// Connections holding a ticket now (evicted ones included until their driver drops
    /// them).
    pub fn live(&self) -> usize {
        lock(&self.slots).live.len()
    }

    /// Takes a place for a connection accepted at `now`, evicting a silent or idle one at the
    /// bound.
    pub fn admit(self: &Arc<Self>, now: Now) -> Admit {
        if self.shutting_down.load(Ordering::Acquire) {
            return Admit::ShuttingDown;
        }
        let mut slots = lock(&self.slots);
        let mut victim = None;
        if slots.live.len() - slots.evicted >= self.max {
            let Some(slot) = self.pick_victim(&slots, now.instant) else {
                return Admit::Full;
            };
            slot.evicted.store(true, Ordering::Release);
            slots.evicted += 1;
            slot.kick();
            victim = Some(slot.id);
        }
        let id = slots.next_id;
        slots.next_id += 1;
        let slot = Arc::new(Slot {
            id,
            phase: AtomicU8::new(Phase::Fresh as u8),
            since: AtomicU64::new(self.nanos(now.instant)),
            evicted: AtomicBool::new(false),
            kicks: AtomicU64::new(0),
            waker: Mutex::new(None),
        });
        slots.live.insert(id, Arc::clone(&slot));
        drop(slots);
        Admit::Admitted {
            ticket: Ticket {
                admission: Arc::clone(self),
                slot,
                seen: 0,
            },
            victim,
        }
    }

    /// Evicts the connection that has been silent or idle longest, whether or not the bound
    /// is reached: what an accept loop does when the process runs out of file descriptors, so
    /// that the next accept can succeed. Returns its id.
    pub fn reclaim(&self, now: Now) -> Option<u64> {
        let mut slots = lock(&self.slots);
        let slot = self.pick_victim(&slots, now.instant)?;
        slot.evicted.store(true, Ordering::Release);
        slots.evicted += 1;
        slot.kick();
        Some(slot.id)
    }

    /// The connection to give way at `now`: one that has sent nothing for [`SILENT_GRACE`]
    /// (the oldest first), else the one idle longest.
    fn pick_victim(&self, slots: &Slots, now: Instant) -> Option<Arc<Slot>> {
        let silent_before = self.nanos(now).checked_sub(SILENT_GRACE.as_nanos() as u64);
        slots
            .live
            .values()
            .filter(|s| !s.evicted.load(Ordering::Acquire))
            .filter_map(|s| {
                let since = s.since.load(Ordering::Acquire);
                let rank = match s.phase() {
                    Phase::Fresh if silent_before.is_some_and(|b| since <= b) => 0u8,
                    Phase::Idle => 1,
                    Phase::Fresh | Phase::Busy | Phase::Closed => return None,
                };
                Some((rank, since, s))
            })
            .min_by_key(|(rank, since, _)| (*rank, *since))
            .map(|(_, _, s)| Arc::clone(s))
    }

    fn room_now(&self, slots: &Slots, now: Instant) -> bool {
        slots.live.len() - slots.evicted < self.max || self.pick_victim(slots, now).is_some()
    }

    /// Whether [`admit`](Admission::admit) would take a connection at `now`.
    pub fn has_room(&self, now: Now) -> bool {
        self.room_now(&lock(&self.slots), now.instant)
    }

    /// `Ok` when [`admit`](Admission::admit) would take a connection at `now` (or the server
    /// is shutting down). Otherwise `waker` is registered, to be woken when a connection ends
    /// or goes idle, and `Err(Some(t))` says there will be room at `t` anyway (a silent
    /// connection's grace ends then): wait no longer than that. `Err(None)`: only a wake
    /// brings room.
    pub fn check_room(&self, now: Now, waker: &Waker) -> Result<(), Option<Instant>> {
        if self.shutting_down.load(Ordering::Acquire) {
            return Ok(());
        }
        let mut slots = lock(&self.slots);
        if self.room_now(&slots, now.instant) {
            self.waiting.store(false, Ordering::Release);
            return Ok(());
        }
        slots.room = Some(waker.clone());
        self.waiting.store(true, Ordering::Release);
        Err(self.next_silent_expiry(&slots))
    }

    /// When the silent connection nearest its grace's end becomes evictable.
    fn next_silent_expiry(&self, slots: &Slots) -> Option<Instant> {
        slots
            .live
            .values()
            .filter(|s| !s.evicted.load(Ordering::Acquire) && s.phase() == Phase::Fresh)
            .map(|s| s.since.load(Ordering::Acquire))
            .min()
            .map(|since| self.origin + Duration::from_nanos(since) + SILENT_GRACE)
    }

    /// A future for async accept loops: ready at once if there is room at `now`, otherwise
    /// when a connection ends or goes idle. Race it against a timer at
    /// [`Room::deadline`] (a silent connection's grace ending), then check again.
    pub fn room(&self, now: Now) -> Room<'_> {
        let deadline = match self.check_room(now, Waker::noop()) {
            Ok(()) => {
                return Room {
                    admission: self,
                    now,
                    deadline: None,
                    ready: true,
                }
            }
            Err(d) => d,
        };
        Room {
            admission: self,
            now,
            deadline,
            ready: false,
        }
    }

    /// Starts a graceful shutdown: no more admissions, and every connection with nothing in
    /// flight is kicked so that it closes; busy ones close after their current message.
    pub fn begin_shutdown(&self) {
        self.shutting_down.store(true, Ordering::Release);
        let slots = lock(&self.slots);
        for slot in slots.live.values() {
            if matches!(slot.phase(), Phase::Fresh | Phase::Idle) {
                slot.kick();
            }
        }
        if let Some(w) = &slots.room {
            w.wake_by_ref();
        }
    }

    /// Whether [`begin_shutdown`](Admission::begin_shutdown) was called.
    pub fn is_shutting_down(&self) -> bool {
        self.shutting_down.load(Ordering::Acquire)
    }

    /// The shutdown grace is over: every connection still open is kicked and closes.
    pub fn abort_all(&self) {
        self.shutting_down.store(true, Ordering::Release);
        self.aborted.store(true, Ordering::Release);
        for slot in lock(&self.slots).live.values() {
            slot.kick();
        }
    }

    /// Ready once no connection is left; otherwise registers `waker` for when the last goes.
    pub fn poll_empty(&self, waker: &Waker) -> Poll<()> {
        let mut slots = lock(&self.slots);
        if slots.live.is_empty() {
            return Poll::Ready(());
        }
        slots.empty = Some(waker.clone());
        Poll::Pending
    }

    /// A future for [`poll_empty`](Admission::poll_empty).
    pub fn empty(&self) -> Empty<'_> {
        Empty { admission: self }
    }

    fn nanos(&self, t: Instant) -> u64 {
        u64::try_from(t.saturating_duration_since(self.origin).as_nanos()).unwrap_or(u64::MAX)
    }

    fn release(&self, slot: &Slot) {
        let mut slots = lock(&self.slots);
        if slots.live.remove(&slot.id).is_some() && slot.evicted.load(Ordering::Acquire) {
            slots.evicted -= 1;
        }
        if let Some(w) = &slots.room {
            w.wake_by_ref();
        }
        if slots.live.is_empty() {
            if let Some(w) = slots.empty.take() {
                w.wake();
            }
        }
    }
}

/// Resolves when an [`Admission`] may have room again (see [`Admission::room`]).
#[derive(Debug)]
pub struct Room<'a> {
    admission: &'a Admission,
    now: Now,
    deadline: Option<Instant>,
    ready: bool,
}

impl Room<'_> {
    /// The time by which there will be room even without a wake (a silent connection becomes
    /// evictable); `None` if only a wake brings room.
    pub fn deadline(&self) -> Option<Instant> {
        self.deadline
    }
}

impl Future for Room<'_> {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.ready {
            return Poll::Ready(());
        }
        // Registered with this task's waker; the next poll is a wake (or the caller's timer):
        // something may have changed, so the caller checks again.
        self.ready = true;
        match self.admission.check_room(self.now, cx.waker()) {
            Ok(()) => Poll::Ready(()),
            Err(_) => Poll::Pending,
        }
    }
}

/// Resolves when an [`Admission`] has no connection left (see [`Admission::poll_empty`]).
#[derive(Debug)]
pub struct Empty<'a> {
    admission: &'a Admission,
}

impl Future for Empty<'_> {
    type Output = ();
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.admission.poll_empty(cx.waker())
    }
}

/// One connection's place under an [`Admission`]. It is given to the connection's
/// [`Served`](super::Served), which keeps the bound informed of what the connection is doing;
/// dropping it (with the connection) frees the place.
#[derive(Debug)]
pub struct Ticket {
    admission: Arc<Admission>,
    slot: Arc<Slot>,
    /// The kick count the connection has acted on.
    seen: u64,
}

impl Ticket {
    /// The connection's id, as [`Admit::Admitted::victim`] names evicted connections.
    pub fn id(&self) -> u64 {
        self.slot.id
    }

    /// Sets what wakes this connection's driver when it must look again (it was evicted, or
    /// the server is shutting down): an async task's waker, or, for a blocking driver, a
    /// waker that interrupts its blocked read (shutting the socket down, say).
    pub fn set_waker(&self, waker: &Waker) {
        let mut slot = lock(&self.slot.waker);
        if !slot.as_ref().is_some_and(|w| w.will_wake(waker)) {
            *slot = Some(waker.clone());
        }
    }

    /// A future that resolves when this connection is kicked after the driver last asked
    /// [`Served::next`](super::Served::next): race it against the socket while waiting.
    pub fn kicked(&self) -> Kicked {
        Kicked {
            slot: Arc::clone(&self.slot),
            seen: self.seen,
        }
    }

    /// Whether this connection was evicted to make room for another.
    pub fn is_evicted(&self) -> bool {
        self.slot.evicted.load(Ordering::Acquire)
    }

    /// Whether its server is shutting down.
    pub fn is_shutting_down(&self) -> bool {
        self.admission.is_shutting_down()
    }

    /// Whether its server's shutdown grace is over.
    pub(crate) fn is_aborted(&self) -> bool {
        self.admission.aborted.load(Ordering::Acquire)
    }

    /// Records the kicks seen so far (the connection is about to act on its state).
    pub(crate) fn observe(&mut self) {
        self.seen = self.slot.kicks.load(Ordering::Acquire);
    }

    pub(crate) fn set_phase(&self, phase: Phase, since: Instant) {
        self.slot
            .since
            .store(self.admission.nanos(since), Ordering::Release);
        self.slot.phase.store(phase as u8, Ordering::Release);
        if matches!(phase, Phase::Fresh | Phase::Idle)
            && self.admission.waiting.load(Ordering::Acquire)
        {
            if let Some(w) = &lock(&self.admission.slots).room {
                w.wake_by_ref();
            }
        }
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        self.admission.release(&self.slot);
    }
}

/// Resolves when its connection has been kicked (see [`Ticket::kicked`]).
#[derive(Debug)]
pub struct Kicked {
    slot: Arc<Slot>,
    seen: u64,
}

impl Future for Kicked {
    type Output = ();
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.slot.kicks.load(Ordering::Acquire) != self.seen {
            return Poll::Ready(());
        }
        *lock(&self.slot.waker) = Some(cx.waker().clone());
        // A kick between the check and the registration would be missed: look again.
        if self.slot.kicks.load(Ordering::Acquire) != self.seen {
            return Poll::Ready(());
        }
        Poll::Pending
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, SystemTime};

    fn now() -> Now {
        Now::new(Instant::now(), SystemTime::now())
    }

    fn admitted(a: &Arc<Admission>, now: Now) -> (Ticket, Option<u64>) {
        match a.admit(now) {
            Admit::Admitted { ticket, victim } => (ticket, victim),
            other => panic!("not admitted: {other:?}"),
        }
    }

    #[test]
    fn busy_connections_are_never_evicted() {
        let t0 = now();
        let a = Admission::new(2, t0);
        let (x, _) = admitted(&a, t0);
        let (y, _) = admitted(&a, t0);
        x.set_phase(Phase::Busy, t0.instant);
        y.set_phase(Phase::Busy, t0.instant);
        assert!(matches!(a.admit(t0), Admit::Full));
        assert!(!a.has_room(t0));
        y.set_phase(Phase::Idle, t0.instant);
        assert!(a.has_room(t0));
        let (_z, victim) = admitted(&a, t0);
        assert_eq!(victim, Some(y.id()));
        assert!(y.is_evicted() && !x.is_evicted());
    }

    #[test]
    fn silent_ones_go_before_idle_ones_and_the_oldest_first() {
        let t0 = now();
        let a = Admission::new(3, t0);
        let (idle, _) = admitted(&a, t0);
        idle.set_phase(Phase::Idle, t0.instant);
        let (old_fresh, _) = admitted(&a, t0.after(Duration::from_secs(1)));
        assert!(!idle.is_evicted());
        let (_new_fresh, _) = admitted(&a, t0.after(Duration::from_secs(2)));
        let (_, victim) = admitted(&a, t0.after(Duration::from_secs(3)));
        assert_eq!(victim, Some(old_fresh.id()));
    }

    #[test]
    fn a_silent_connection_is_spared_for_its_grace_then_gives_way() {
        let t0 = now();
        let a = Admission::new(1, t0);
        let (first, _) = admitted(&a, t0);
        // Its request may be waiting unread: not yet.
        assert!(matches!(a.admit(t0.after(SILENT_GRACE / 2)), Admit::Full));
        assert_eq!(
            a.check_room(t0, Waker::noop()),
            Err(Some(t0.instant + SILENT_GRACE))
        );
        let (_, victim) = admitted(&a, t0.after(SILENT_GRACE));
        assert_eq!(victim, Some(first.id()));
    }

    #[test]
    fn dropping_tickets_frees_places_and_empties() {
        let t0 = now();
        let a = Admission::new(1, t0);
        let (x, _) = admitted(&a, t0);
        x.set_phase(Phase::Busy, t0.instant);
        assert!(matches!(a.admit(t0), Admit::Full));
        drop(x);
        assert_eq!(a.live(), 0);
        let (_y, victim) = admitted(&a, t0);
        assert_eq!(victim, None);
        a.begin_shutdown();
        assert!(matches!(a.admit(t0), Admit::ShuttingDown));
    }
}
