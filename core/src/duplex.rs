//! The one interface every connection state machine offers its driver: bytes in, bytes out,
//! with the time passed in. [`serve::Served`](crate::serve::Served) wraps any `Duplex` with
//! the server's timers and close policy, and is what drivers actually run.

use crate::{FileSlice, Now};

/// A server-side connection state machine, seen as bytes in and bytes out.
///
/// Implementations never block, never read a clock and never fail on partial input: the
/// driver hands in what the socket gave ([`receive`](Duplex::receive),
/// [`receive_eof`](Duplex::receive_eof)), writes what [`transmit`](Duplex::transmit) holds and
/// reports it ([`advance`](Duplex::advance)), and runs the [`Job`]s it hands out elsewhere.
/// Timeouts, lingering close and shutdown are not the connection's business: they are
/// decided for every `Duplex` alike by [`Served`](crate::serve::Served).
pub trait Duplex {
    /// What this connection's [`Job`]s produce (`()` for a connection that makes none).
    type Done: Send + 'static;

    /// Feeds bytes read from the socket at `now`.
    fn receive(&mut self, now: Now, data: &[u8]);
    /// The peer closed its sending side.
    fn receive_eof(&mut self, now: Now);
    /// Bytes waiting to be written.
    fn transmit(&self) -> &[u8];
    /// Part of an open file waiting to be written, once [`transmit`](Duplex::transmit) is
    /// empty (a response body the driver sends straight from the file, with `sendfile`).
    /// Only a connection whose driver called
    /// [`enable_transmit_file`](Duplex::enable_transmit_file) ever has one; any other reads
    /// its files into `transmit`. Default: never.
    fn transmit_file(&self) -> Option<FileSlice<'_>> {
        None
    }
    /// Whether more output follows what [`transmit`](Duplex::transmit) holds right away (a
    /// file body after its head): the driver may have the kernel hold those bytes back
    /// until the rest is written (`MSG_MORE`), so that head and body leave in full packets
    /// rather than a small one first. Default: never.
    fn transmit_more(&self) -> bool {
        false
    }
    /// The driver can write [`transmit_file`](Duplex::transmit_file) slices itself: from now
    /// on the connection may leave file bodies to it rather than copy them through
    /// [`transmit`](Duplex::transmit). Default: nothing (files, if any, go through
    /// `transmit`).
    fn enable_transmit_file(&mut self) {}
    /// The connection runs behind TLS and its handshake is done: what it established (the
    /// server name asked for, ALPN, the client's certificates), before any plaintext
    /// arrives. Called once, by [`TlsServer`](crate::tls::TlsServer). Default: ignored.
    fn secured(&mut self, info: std::sync::Arc<crate::tls::TlsInfo>) {
        let _ = info;
    }
    /// `n` bytes were written at `now`: of [`transmit`](Duplex::transmit), or of
    /// [`transmit_file`](Duplex::transmit_file) when `transmit` was empty.
    fn advance(&mut self, now: Now, n: usize);
    /// Whether reading more input is useful now. A driver stops reading (and so pushes back
    /// on the peer) while this is false.
    fn wants_read(&self) -> bool;
    /// Whether the connection is over and its output fully written: close it (gracefully).
    fn is_finished(&self) -> bool;
    /// Whether the peer is part-way through a message, or a message it sent is still being
    /// handled (see [`take_job`](Duplex::take_job)). A message part-way in is held to the
    /// request deadline, and a draining server waits for it. Default: never.
    fn mid_message(&self) -> bool {
        false
    }
    /// Work the connection wants run away from the I/O thread: a request handler, which may
    /// block. The driver runs it on any thread and hands the result to
    /// [`complete`](Duplex::complete); until then the connection is busy (it neither reads
    /// nor times out). Connections built to call their handlers inline never have one.
    fn take_job(&mut self) -> Option<Job<Self::Done>> {
        None
    }
    /// The result of the job last taken with [`take_job`](Duplex::take_job).
    fn complete(&mut self, now: Now, done: Self::Done) {
        let _ = (now, done);
    }
}

/// A piece of work a [`Duplex`] hands to its driver: run it once, on any thread, and give
/// what it returns back to the connection that made it ([`Duplex::complete`]).
pub struct Job<T>(Box<dyn FnOnce() -> T + Send>);

impl<T> Job<T> {
    /// Wraps `work`.
    pub fn new(work: impl FnOnce() -> T + Send + 'static) -> Job<T> {
        Job(Box::new(work))
    }

    /// Does the work.
    pub fn run(self) -> T {
        (self.0)()
    }
}

impl<T> std::fmt::Debug for Job<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Job")
    }
}
