//! Settings every runtime's servers share, so a deployment can swap runtimes without retuning.

use core::time::Duration;

/// Connection-level limits and timeouts for a server, whatever its runtime.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerConfig {
    /// Most connections served at once. When reached, new clients wait in the listen backlog
    /// until a slot frees. Default: 1024.
    pub max_connections: usize,
    /// A connection that sends nothing for this long (between requests, or in the middle of
    /// one) is closed. Default: 60 s.
    pub idle_timeout: Duration,
    /// The peer must take each [`write_window`](Self::write_window) of output (or all that is
    /// queued, if less) within this long, or the connection is closed. A peer that never
    /// reads, or reads slower than `write_window / write_timeout` (about 4 KiB/s by default)
    /// however steadily it trickles, is cut off; a large body sent to a reader above that
    /// rate is never cut off, however long it takes. Default: 60 s.
    pub write_timeout: Duration,
    /// How much output one [`write_timeout`](Self::write_timeout) covers. Default: 256 KiB.
    pub write_window: usize,
    /// A message (an HTTP request's head and body, say) must arrive in full within this long
    /// of its first byte, however steadily bytes trickle in (slowloris). Default: 30 s.
    pub request_timeout: Duration,
    /// How long a graceful shutdown may take. Shutdown stops accepting at once, closes idle
    /// keep-alive connections, and lets requests already in flight finish and their responses
    /// be written; connections still busy when this much time has passed are closed anyway.
    /// Default: 10 s.
    pub shutdown_grace: Duration,
    /// Event-loop threads sharing the listener, for runtimes built on event loops (mio); each
    /// serves its share of `max_connections`. The std runtime uses a thread per connection
    /// and the smol runtime runs on its caller's executor, so they ignore it. Default: 1.
    pub event_loops: usize,
    /// Worker threads for request handlers, for runtimes whose connections share a thread
    /// (mio, smol): a handler runs on one of up to this many workers, so a handler that blocks
    /// (sleeps, reads files, queries a database, computes) delays only its own connection, as
    /// on std, whose thread per connection ignores this. `0` runs handlers on the I/O thread
    /// itself: the fastest path, for handlers that never block. Workers start as needed.
    /// Default: 64.
    pub handler_threads: usize,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            max_connections: 1024,
            idle_timeout: Duration::from_secs(60),
            write_timeout: Duration::from_secs(60),
            write_window: 256 * 1024,
            request_timeout: Duration::from_secs(30),
            shutdown_grace: Duration::from_secs(10),
            event_loops: 1,
            handler_threads: 64,
        }
    }
}

impl ServerConfig {
    /// The part of `pending` output a runtime writes under one write deadline (see
    /// [`write_timeout`](Self::write_timeout)): at most [`write_window`](Self::write_window)
    /// bytes, and never none of a non-empty buffer.
    ///
    /// ```
    /// use netloom_core::ServerConfig;
    /// let config = ServerConfig { write_window: 4, ..ServerConfig::default() };
    /// assert_eq!(config.write_slice(b"abcdefgh"), b"abcd");
    /// assert_eq!(config.write_slice(b"ab"), b"ab");
    /// ```
    pub fn write_slice<'a>(&self, pending: &'a [u8]) -> &'a [u8] {
        &pending[..pending.len().min(self.write_window.max(1))]
    }

    /// How long a runtime's next read may wait: the idle timeout between messages, and no
    /// more than what is left of [`request_timeout`](Self::request_timeout) once a message
    /// has begun (`message_elapsed` is the time since its first byte; the caller owns the
    /// clock). `None` when that deadline has passed: close the connection.
    pub fn read_budget(&self, message_elapsed: Option<Duration>) -> Option<Duration> {
        match message_elapsed {
            None => Some(self.idle_timeout),
            Some(elapsed) => {
                let left = self.request_timeout.checked_sub(elapsed)?;
                if left.is_zero() {
                    None
                } else {
                    Some(left.min(self.idle_timeout))
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_budget_caps_a_message_at_the_request_timeout() {
        let c = ServerConfig {
            idle_timeout: Duration::from_secs(60),
            request_timeout: Duration::from_secs(30),
            ..ServerConfig::default()
        };
        assert_eq!(c.read_budget(None), Some(Duration::from_secs(60)));
        assert_eq!(
            c.read_budget(Some(Duration::from_secs(10))),
            Some(Duration::from_secs(20))
        );
        assert_eq!(c.read_budget(Some(Duration::from_secs(30))), None);
        assert_eq!(c.read_budget(Some(Duration::from_secs(99))), None);
    }
}
