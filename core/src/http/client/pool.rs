//! Idle keep-alive connections, by origin, with a bound and an idle timeout.

use std::time::{Duration, Instant};

use super::{ClientConfig, Origin};
use crate::Now;

/// Idle keep-alive connections of any stream type `S`, kept by [`Origin`] for reuse.
///
/// At most [`ClientConfig::max_idle_per_host`] are kept per origin (the newest), and one idle
/// for longer than [`ClientConfig::pool_idle_timeout`] is not handed out again (servers close
/// idle connections; a stale one costs a retry). The most recently returned connection is
/// handed out first: it is the likeliest to be still open. A driver shares one pool between
/// its fetches (behind a lock, if they run on several threads).
///
/// ```
/// use std::time::{Duration, Instant, SystemTime};
/// use netloom_core::http::client::{ClientConfig, Pool, Target};
/// use netloom_core::Now;
///
/// let now = Now::new(Instant::now(), SystemTime::now());
/// let mut pool: Pool<&str> = Pool::new(&ClientConfig::default());
/// let origin = Target::parse("http://example.com/").unwrap().origin().clone();
/// pool.put(origin.clone(), "connection", now);
/// assert_eq!(pool.take(&origin, now), Some("connection"));
/// assert_eq!(pool.take(&origin, now), None);
/// ```
#[derive(Debug)]
pub struct Pool<S> {
    /// By origin; a client talks to few origins, so a list beats hashing on every request.
    idle: Vec<(Origin, Vec<(S, Instant)>)>,
    max_per_origin: usize,
    idle_timeout: Duration,
}

impl<S> Pool<S> {
    /// An empty pool under `config`'s limits.
    pub fn new(config: &ClientConfig) -> Self {
        Pool {
            idle: Vec::new(),
            max_per_origin: config.max_idle_per_host,
            idle_timeout: config.pool_idle_timeout,
        }
    }

    /// An idle connection to `origin` that is still fresh at `now`, if there is one.
    /// Expired ones met on the way are dropped (closed).
    pub fn take(&mut self, origin: &Origin, now: Now) -> Option<S> {
        let at = self.idle.iter().position(|(o, _)| o == origin)?;
        let list = &mut self.idle[at].1;
        let mut found = None;
        while let Some((conn, since)) = list.pop() {
            if now.instant.saturating_duration_since(since) < self.idle_timeout {
                found = Some(conn);
                break;
            }
        }
        if list.is_empty() {
            self.idle.swap_remove(at);
        }
        found
    }

    /// Keeps `conn`, idle since `now`, for reuse with `origin` (or drops it: reuse is off, or
    /// the origin already has as many as allowed, in which case the oldest goes).
    pub fn put(&mut self, origin: Origin, conn: S, now: Now) {
        if self.max_per_origin == 0 {
            return;
        }
        let at = match self.idle.iter().position(|(o, _)| *o == origin) {
            Some(at) => at,
            None => {
                self.idle.push((origin, Vec::new()));
                self.idle.len() - 1
            }
        };
        let list = &mut self.idle[at].1;
        if list.len() >= self.max_per_origin {
            list.remove(0);
        }
        list.push((conn, now.instant));
    }

    /// Drops (closes) every connection idle too long at `now`.
    pub fn expire(&mut self, now: Now) {
        let timeout = self.idle_timeout;
        self.idle.retain_mut(|(_, list)| {
            list.retain(|(_, since)| now.instant.saturating_duration_since(*since) < timeout);
            !list.is_empty()
        });
    }

    /// When the next idle connection expires (for a driver that closes them on time).
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.idle
            .iter()
            .flat_map(|(_, list)| list)
            .map(|(_, since)| *since + self.idle_timeout)
            .min()
    }

    /// Idle connections held, all origins.
    pub fn len(&self) -> usize {
        self.idle.iter().map(|(_, list)| list.len()).sum()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.idle.is_empty()
    }
}
