//! # netloom-workers
//!
//! A pool of worker threads for the [`Job`]s of connections that share a thread (an event
//! loop, an async executor), so that a handler that blocks stalls only its own connection.
//! The mio and smol runtimes both use it; a runtime with a thread per connection runs its
//! jobs inline and needs none.
//!
//! ```
//! use netloom_core::Job;
//! use netloom_workers::Workers;
//!
//! let workers = Workers::new(4);
//! let (tx, rx) = std::sync::mpsc::channel();
//! workers.run(Job::new(|| 6 * 7), move |done| {
//!     let _ = tx.send(done);
//! });
//! assert_eq!(rx.recv().unwrap(), Some(42));
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

use std::collections::VecDeque;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread;

use netloom_core::{Job, ServerConfig};

/// A queued piece of work: a job together with what to do with its result.
type Task = Box<dyn FnOnce() + Send>;

#[derive(Default)]
struct Queue {
    tasks: VecDeque<Task>,
    threads: usize,
    idle: usize,
    stopped: bool,
}

struct Shared {
    queue: Mutex<Queue>,
    ready: Condvar,
    max: usize,
}

/// A pool of up to `max` threads, started as jobs need them and kept until the pool goes.
/// Clones share the pool; dropping the last clone stops the idle workers (a worker still
/// running a job finishes it first).
#[derive(Clone)]
pub struct Workers {
    shared: Arc<Shared>,
    /// Tells the workers to stop once every clone is gone.
    _stop: Arc<StopOnDrop>,
}

struct StopOnDrop(Arc<Shared>);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        lock(&self.0.queue).stopped = true;
        self.0.ready.notify_all();
    }
}

fn lock(queue: &Mutex<Queue>) -> MutexGuard<'_, Queue> {
    // A worker never panics while holding the lock (tasks run outside it).
    queue.lock().unwrap_or_else(|e| e.into_inner())
}

impl std::fmt::Debug for Workers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Workers")
            .field("max", &self.shared.max)
            .finish_non_exhaustive()
    }
}

impl Workers {
    /// A pool of at most `max` threads (at least one); none starts before the first job.
    pub fn new(max: usize) -> Workers {
        let shared = Arc::new(Shared {
            queue: Mutex::new(Queue::default()),
            ready: Condvar::new(),
            max: max.max(1),
        });
        Workers {
            _stop: Arc::new(StopOnDrop(Arc::clone(&shared))),
            shared,
        }
    }

    /// The pool a server's event loops share under `config`: up to
    /// [`handler_threads`](ServerConfig::handler_threads) workers, or, when handlers run on
    /// the I/O threads (`handler_threads: 0`), one per core for the heavy requests that go
    /// to workers all the same ([`ServerConfig::offload_body_bytes`]). No thread starts
    /// before the first job.
    pub fn for_server(config: &ServerConfig) -> Workers {
        let max = match config.handler_threads {
            0 => thread::available_parallelism().map_or(2, |n| n.get()),
            n => n,
        };
        Workers::new(max)
    }

    /// Runs `job` on a worker and calls `on_done` there with its result, or with `None` if
    /// the job panicked (its connection then cannot be answered and should be closed).
    pub fn run<T: Send + 'static>(
        &self,
        job: Job<T>,
        on_done: impl FnOnce(Option<T>) + Send + 'static,
    ) {
        self.submit(Box::new(move || {
            let done = catch_unwind(AssertUnwindSafe(|| job.run())).ok();
            on_done(done);
        }));
    }

    fn submit(&self, task: Task) {
        let mut q = lock(&self.shared.queue);
        q.tasks.push_back(task);
        // Wake an idle worker if there is one (a woken worker counts as idle until it runs,
        // so more queued tasks than idle workers means some need a new thread). At the
        // bound, busy workers take what is queued as they finish.
        let wake = q.idle > 0;
        let spawn = q.tasks.len() > q.idle && q.threads < self.shared.max;
        if spawn {
            q.threads += 1;
        }
        drop(q);
        if wake {
            self.shared.ready.notify_one();
        }
        if !spawn {
            return;
        }
        let shared = Arc::clone(&self.shared);
        let started = thread::Builder::new()
            .name("netloom-worker".into())
            .spawn(move || work(&shared));
        if started.is_err() {
            // No thread to be had: with no worker at all, run the queue here rather than
            // leave connections waiting forever.
            let mut q = lock(&self.shared.queue);
            q.threads -= 1;
            if q.threads == 0 {
                let tasks: Vec<Task> = q.tasks.drain(..).collect();
                drop(q);
                for task in tasks {
                    task();
                }
            }
        }
    }
}

fn work(shared: &Shared) {
    loop {
        let task = {
            let mut q = lock(&shared.queue);
            loop {
                if let Some(task) = q.tasks.pop_front() {
                    break task;
                }
                if q.stopped {
                    q.threads -= 1;
                    return;
                }
                q.idle += 1;
                q = shared.ready.wait(q).unwrap_or_else(|e| e.into_inner());
                q.idle -= 1;
            }
        };
        // Panics are caught inside each task (see `run`).
        task();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;
    use std::time::Duration;

    #[test]
    fn a_panicking_job_reports_none_and_the_pool_carries_on() {
        let workers = Workers::new(1);
        let (tx, rx) = mpsc::channel();
        let tx2 = tx.clone();
        workers.run(Job::new(|| -> u8 { panic!("on purpose") }), move |d| {
            let _ = tx.send(d);
        });
        workers.run(Job::new(|| 7u8), move |d| {
            let _ = tx2.send(d);
        });
        let got: Vec<_> = (0..2)
            .map(|_| rx.recv_timeout(Duration::from_secs(5)).unwrap())
            .collect();
        assert_eq!(got, vec![None, Some(7)]);
    }

    #[test]
    fn jobs_beyond_the_bound_wait_for_a_worker() {
        let workers = Workers::new(2);
        let (tx, rx) = mpsc::channel();
        for i in 0..10u32 {
            let tx = tx.clone();
            workers.run(
                Job::new(move || {
                    thread::sleep(Duration::from_millis(5));
                    i
                }),
                move |d| {
                    let _ = tx.send(d);
                },
            );
        }
        let mut got: Vec<u32> = (0..10)
            .map(|_| rx.recv_timeout(Duration::from_secs(5)).unwrap().unwrap())
            .collect();
        got.sort_unstable();
        assert_eq!(got, (0..10).collect::<Vec<_>>());
        assert!(lock(&workers.shared.queue).threads <= 2);
    }
}

/// The README's examples, compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
