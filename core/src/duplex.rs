//! The one interface every runtime drives: a sans-IO connection seen as bytes in, bytes out.

/// A server-side connection state machine, as a runtime sees it.
///
/// A runtime's whole job is this loop: write what [`transmit`](Duplex::transmit) holds and
/// report it with [`advance`](Duplex::advance); while [`wants_read`](Duplex::wants_read), read
/// and hand the bytes to [`receive`](Duplex::receive) (or call
/// [`receive_eof`](Duplex::receive_eof) when the peer closes); close the socket once
/// [`is_finished`](Duplex::is_finished). Implementations never block and never fail on
/// partial input.
pub trait Duplex {
    /// Feeds bytes read from the socket.
    fn receive(&mut self, data: &[u8]);
    /// The peer closed its side.
    fn receive_eof(&mut self);
    /// Bytes waiting to be written.
    fn transmit(&self) -> &[u8];
    /// `n` bytes of [`transmit`](Duplex::transmit) were written.
    fn advance(&mut self, n: usize);
    /// Whether reading more input is useful now. A runtime stops reading (and so pushes back
    /// on the peer) while this is false.
    fn wants_read(&self) -> bool;
    /// Whether the connection is over and its output fully written: close the socket.
    fn is_finished(&self) -> bool;
    /// Whether the peer is part-way through a message, or a message it sent is still being
    /// handled (see [`take_job`](Duplex::take_job)). A runtime bounds how long the peer's part
    /// may last ([`ServerConfig::request_timeout`](crate::ServerConfig::request_timeout)), so a
    /// peer trickling bytes cannot hold a connection forever, and a draining server waits for
    /// such a connection instead of closing it. Default: never.
    fn mid_message(&self) -> bool {
        false
    }
    /// Work the connection wants run away from the I/O thread: a request handler, which may
    /// block. A runtime whose connections share a thread runs the job on a worker thread and
    /// hands the result to [`complete`](Duplex::complete); until then the connection is busy
    /// (it neither reads nor counts as idle). Connections built to call their handlers inline
    /// never have one. Default: none.
    fn take_job(&mut self) -> Option<Job> {
        None
    }
    /// The result of the job last taken with [`take_job`](Duplex::take_job). Default: ignored.
    fn complete(&mut self, done: Completion) {
        let _ = done;
    }
}

/// A piece of work a [`Duplex`] hands to its runtime (see [`Duplex::take_job`]). Run it on any
/// thread, once.
pub struct Job(Box<dyn FnOnce() -> Completion + Send>);

impl Job {
    /// Wraps `work`, whose result goes back to the connection that made the job.
    pub fn new<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Job {
        Job(Box::new(move || Completion(Box::new(work()))))
    }

    /// Does the work. Call [`Duplex::complete`] with the result.
    pub fn run(self) -> Completion {
        (self.0)()
    }
}

impl std::fmt::Debug for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Job")
    }
}

/// What a [`Job`] produced, on its way back to its connection.
pub struct Completion(Box<dyn std::any::Any + Send>);

impl Completion {
    /// The result as the type the job's maker expects; `None` for a completion of some other
    /// job (a runtime mixing up connections).
    pub fn downcast<T: 'static>(self) -> Option<T> {
        self.0.downcast().ok().map(|b| *b)
    }
}

impl std::fmt::Debug for Completion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Completion")
    }
}
