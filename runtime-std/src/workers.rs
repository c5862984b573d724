//! A pool of worker threads for the handler jobs ([`netloom_core::Job`]) of runtimes whose
//! connections share a thread (the mio event loop, the smol executor), so that a handler that
//! blocks stalls only its own connection. (The std servers call handlers on each
//! connection's own thread and need none.)
//!
//! ```
//! use netloom_core::Job;
//! use netloom_std::workers::Workers;
//!
//! let workers = Workers::new(4);
//! let (tx, rx) = std::sync::mpsc::channel();
//! workers.submit(Job::new(|| 6 * 7), move |done| {
//!     let _ = tx.send(done.downcast::<i32>());
//! });
//! assert_eq!(rx.recv().unwrap(), Some(42));
//! ```

use std::collections::VecDeque;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread;

use netloom_core::{Completion, Job};

/// What to do with a job's result (hand it back to its connection's thread or task).
type OnDone = Box<dyn FnOnce(Completion) + Send>;

struct Task {
    job: Job,
    on_done: OnDone,
}

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
    /// Tells the workers to stop once every clone (every loop) is gone.
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
    // A worker never panics while holding the lock (jobs run outside it).
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

    /// Queues `job`; a worker runs it and calls `on_done` with the result, on the worker's
    /// thread.
    pub fn submit(&self, job: Job, on_done: impl FnOnce(Completion) + Send + 'static) {
        let task = Task {
            job,
            on_done: Box::new(on_done),
        };
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
                    finish(task);
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
        finish(task);
    }
}

fn finish(task: Task) {
    let Task { job, on_done } = task;
    // A handler's own panics are caught inside its job; anything else that panics (a body
    // reader, say) must not take the worker down with its connection left waiting: the
    // connection gets a completion it cannot use, which it answers as a failure.
    let done =
        catch_unwind(AssertUnwindSafe(|| job.run())).unwrap_or_else(|_| Job::new(|| ()).run());
    on_done(done);
}
