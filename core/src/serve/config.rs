//! Settings every runtime's servers share, so a deployment can swap runtimes without retuning.

use core::time::Duration;

/// Connection-level limits, timeouts and policy for a server, whatever its runtime. Every
/// field is enforced by `core` ([`Served`](super::Served), [`Admission`](super::Admission),
/// [`BodyBudget`](super::BodyBudget)), so every runtime and every embedder behaves alike.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerConfig {
    /// Most connections served at once. At the bound, a connection that has not sent its
    /// first byte, or an idle keep-alive one, gives way to a new client (the longest silent
    /// first, as nginx reclaims keep-alive connections); when every connection is busy, new
    /// clients wait in the listen backlog until one ends. Default: 1024.
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
    /// of its first byte, however steadily bytes trickle in (slowloris). A new connection's
    /// first message is timed from the moment it was accepted, so a client that connects and
    /// stalls (or stalls in a TLS handshake) is closed within this long too. Default: 30 s.
    pub request_timeout: Duration,
    /// How long a graceful shutdown may take. Shutdown stops accepting at once, closes idle
    /// keep-alive connections, and lets requests already in flight finish and their responses
    /// be written; connections still busy when this much time has passed are closed anyway.
    /// Default: 10 s.
    pub shutdown_grace: Duration,
    /// After a connection's last response, how long its input is still read and thrown away
    /// while it closes (lingering close): closing a socket with unread input makes the kernel
    /// send a reset, which can destroy a reply the peer has not read yet. Default: 1 s.
    pub linger: Duration,
    /// At most this many bytes are read and thrown away while lingering. Default: 256 KiB.
    pub linger_bytes: usize,
    /// Request bodies held in memory at once, all connections together. A request whose body
    /// would pass it is answered `503 Service Unavailable` (and its connection closed) before
    /// its body is read, so a burst of large uploads cannot exhaust memory. Default: 64 MiB.
    pub body_budget: usize,
    /// Whether accepted sockets get `TCP_NODELAY`, so a response written in pieces is not
    /// delayed by Nagle's algorithm. Default: true.
    pub nodelay: bool,
    /// Event-loop threads sharing the listener, for runtimes built on event loops (mio); each
    /// serves its share of `max_connections`. The std runtime uses a thread per connection
    /// and the smol runtime runs on its caller's executor, so they ignore it. Default: 1.
    pub event_loops: usize,
    /// Worker threads for request handlers, for runtimes whose connections share a thread
    /// (mio, smol): a handler runs on one of up to this many workers, so a handler that blocks
    /// (sleeps, reads files, queries a database, computes) delays only its own connection, as
    /// on std, whose thread per connection ignores this. `0` runs handlers on the I/O thread
    /// itself: the fastest path, for handlers that never block; even then, a request heavier
    /// than [`offload_body_bytes`](Self::offload_body_bytes) goes to a worker (up to one per
    /// core). Workers start as needed. Default: 64.
    pub handler_threads: usize,
    /// Serve TLS with this certificate and key, on every connection (the handshake is held
    /// to [`request_timeout`](Self::request_timeout) like a first request; plaintext HTTP
    /// gets a `400` saying to use `https://`). Default: none, plaintext.
    #[cfg(feature = "tls")]
    pub tls: Option<crate::tls::TlsServerConfig>,
    /// A request whose body is larger than this has its handler run on a worker thread even
    /// where handlers run inline (`handler_threads: 0`), so that one heavy call (a huge
    /// XML-RPC multicall, say) cannot hold an I/O thread, and every connection on it, for
    /// long. A compressed body (any `Content-Encoding` but `identity`) counts
    /// [`COMPRESSED_BODY_WEIGHT`](crate::http::server::COMPRESSED_BODY_WEIGHT) times its
    /// size, as a handler inflates it. The hand-off costs a few microseconds, nothing beside
    /// the work of such a request. `usize::MAX` keeps every call inline. Default: 256 KiB.
    pub offload_body_bytes: usize,
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
            linger: Duration::from_secs(1),
            linger_bytes: 256 * 1024,
            body_budget: 64 * 1024 * 1024,
            nodelay: true,
            event_loops: 1,
            handler_threads: 64,
            #[cfg(feature = "tls")]
            tls: None,
            offload_body_bytes: 256 * 1024,
        }
    }
}

impl ServerConfig {
    /// What makes each accepted connection plain or TLS under this configuration: a driver
    /// wraps every connection it makes with [`TlsAcceptor::wrap`](crate::tls::TlsAcceptor::wrap).
    pub fn tls_acceptor(&self) -> crate::tls::TlsAcceptor {
        #[cfg(feature = "tls")]
        if let Some(tls) = &self.tls {
            return crate::tls::TlsAcceptor::tls(tls.clone());
        }
        crate::tls::TlsAcceptor::plain()
    }
}
