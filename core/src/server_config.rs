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
    /// A write that makes no progress for this long closes the connection (a peer that never
    /// reads). Default: 60 s.
    pub write_timeout: Duration,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            max_connections: 1024,
            idle_timeout: Duration::from_secs(60),
            write_timeout: Duration::from_secs(60),
        }
    }
}
