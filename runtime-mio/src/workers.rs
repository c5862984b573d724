//! Worker threads for handler jobs ([`netloom_core::Job`]), shared by a server's event loops,
//! so that a handler that blocks stalls only its own connection, never a loop.

use std::collections::VecDeque;
use std::sync::mpsc::Sender;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread;

use mio::{Token, Waker};
use netloom_core::{Completion, Job};

/// Where a finished job goes: its loop's completion queue, and the waker that tells the loop.
#[derive(Clone)]
pub(crate) struct ReplyTo {
    pub(crate) done: Sender<(Token, Completion)>,
    pub(crate) waker: Arc<Waker>,
}

struct Task {
    job: Job,
    token: Token,
    reply: ReplyTo,
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

/// A pool of up to `max` threads, started as jobs need them. Dropping the last clone stops
/// the idle workers; a worker still running a job finishes it first.
#[derive(Clone)]
pub(crate) struct Workers {
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

impl Workers {
    pub(crate) fn new(max: usize) -> Workers {
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

    /// Queues `job`; its completion reaches `reply` tagged with `token`.
    pub(crate) fn submit(&self, job: Job, token: Token, reply: &ReplyTo) {
        let task = Task {
            job,
            token,
            reply: reply.clone(),
        };
        let mut q = lock(&self.shared.queue);
        q.tasks.push_back(task);
        if q.idle > 0 || q.threads >= self.shared.max {
            drop(q);
            self.shared.ready.notify_one();
            return;
        }
        q.threads += 1;
        drop(q);
        let shared = Arc::clone(&self.shared);
        let started = thread::Builder::new()
            .name("netloom-mio-worker".into())
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
    let done = task.job.run();
    // The loop may be gone (shut down): then nobody wants the result.
    if task.reply.done.send((task.token, done)).is_ok() {
        let _ = task.reply.waker.wake();
    }
}
