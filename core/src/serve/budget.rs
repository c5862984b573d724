//! A server-wide budget for request bodies held in memory at once.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// How many bytes of request bodies a server holds at once, all connections together
/// ([`ServerConfig::body_budget`](super::ServerConfig::body_budget)). A connection reserves a
/// body's size before reading it; a request that does not fit is refused (`503`) instead of
/// buffered, so a burst of large uploads cannot exhaust memory. The reservation is returned
/// when the handler is done with the request.
///
/// ```
/// use netloom_core::serve::BodyBudget;
///
/// let budget = BodyBudget::new(100);
/// let a = budget.try_reserve(60).expect("fits");
/// assert!(budget.try_reserve(60).is_none());
/// drop(a);
/// assert!(budget.try_reserve(60).is_some());
/// ```
#[derive(Debug)]
pub struct BodyBudget {
    limit: usize,
    used: AtomicUsize,
}

impl BodyBudget {
    /// A budget of `limit` bytes.
    pub fn new(limit: usize) -> Arc<BodyBudget> {
        Arc::new(BodyBudget {
            limit,
            used: AtomicUsize::new(0),
        })
    }

    /// The budget.
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// Bytes reserved now.
    pub fn in_use(&self) -> usize {
        self.used.load(Ordering::Acquire)
    }

    /// Reserves `bytes`, or `None` if they do not fit.
    pub fn try_reserve(self: &Arc<Self>, bytes: usize) -> Option<Reservation> {
        self.take(bytes).then(|| Reservation {
            budget: Arc::clone(self),
            bytes,
        })
    }

    fn take(&self, bytes: usize) -> bool {
        self.used
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |used| {
                used.checked_add(bytes).filter(|total| *total <= self.limit)
            })
            .is_ok()
    }
}

/// Bytes held from a [`BodyBudget`], given back when dropped.
#[derive(Debug)]
pub struct Reservation {
    budget: Arc<BodyBudget>,
    bytes: usize,
}

impl Reservation {
    /// Grows the reservation by `more` bytes (a chunked body's next chunk); false, and
    /// unchanged, if they do not fit.
    pub fn grow(&mut self, more: usize) -> bool {
        if self.budget.take(more) {
            self.bytes += more;
            true
        } else {
            false
        }
    }

    /// Bytes held.
    pub fn bytes(&self) -> usize {
        self.bytes
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        self.budget.used.fetch_sub(self.bytes, Ordering::AcqRel);
    }
}
