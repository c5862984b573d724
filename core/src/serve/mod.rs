//! Serving connections: every timer and every connection decision of a server, decided here
//! once, with the time passed in. A runtime (or your own event loop) is a thin driver that
//! accepts, reads, writes, sleeps until the next deadline and closes, as this module tells it.
//!
//! | type | decides |
//! |------|---------|
//! | [`Served`] | one connection's deadlines (idle, request, write window, shutdown grace, linger) and how it closes |
//! | [`Admission`] | the connection bound: who comes in, who gives way at the bound, and shutdown for all |
//! | [`Acceptor`] | an accept loop's decisions: when to accept, the bound, and what a failed `accept` means (retry, pause when out of descriptors, or stop) |
//! | [`BodyBudget`] | request bodies held in memory at once, server-wide |
//! | [`ServerConfig`] | the numbers for all of the above |
//!
//! # The driver contract
//!
//! Time is an input: read both clocks into a [`Now`](crate::Now) whenever you call in, and
//! never decide a timeout yourself.
//!
//! **Accepting.** Make one [`Acceptor`] per listener (per event loop, if several loops share
//! a listener). Before each `accept`, ask [`Acceptor::poll_accept`]: `Err(until)` means wait
//! until the waker you passed is woken, or until `until` (async loops await
//! [`Acceptor::ready`] raced against a timer instead). After `accept`, [`Acceptor::accepted`] gives the
//! connection's [`Ticket`] and maybe a `victim`: a connection that gave way at the bound (it
//! has been kicked; a loop that owns its connections closes it by id). A failed `accept` goes
//! to [`Acceptor::failed`]: `Err` is fatal, anything else means carry on (it never spins:
//! when descriptors run out, `poll_accept` pauses accepting). Apply
//! [`ServerConfig::nodelay`] to each accepted socket.
//!
//! **Serving a connection.** Wrap its state machine (any [`Duplex`](crate::Duplex)) in a
//! [`Served`] with its ticket. If the connection's socket is blocked in a call you cannot
//! interrupt otherwise, give the ticket a waker ([`Ticket::set_waker`]) that interrupts it;
//! an async driver races [`Served::kicked`] against the socket instead. Then loop:
//!
//! ```text
//! loop {
//!     match served.next(now) {
//!         Next::Write         => served.on_write(now, socket.write(served.transmit()))
//!         Next::WriteFile     => served.on_write(now, sendfile(socket, served.transmit_file()))
//!         Next::Read          => served.on_read(now, socket.read(&mut buf), &buf)
//!         Next::Run(job)      => run job.run() elsewhere (or inline); later
//!                                served.on_job(now, Some(result)), or None if it panicked
//!         Next::Wait          => wait for the job
//!         Next::ShutdownWrite => shut down the socket's writing side
//!         Next::Close         => drop the socket; done
//!     }
//!     // on_write / on_read return false when the socket would block: wait until it is
//!     // ready. Whenever you wait, wait no later than served.poll_timeout(); when that has
//!     // passed, call served.handle_timeout(now). Then ask next() again.
//! }
//! ```
//!
//! `WriteFile` comes only to a driver that said it can write files itself
//! ([`Served::enable_transmit_file`]): a file range is then written straight from the file
//! (`sendfile`), counted against the write window like any output. Any other driver gets
//! the same bytes through `transmit`. Jobs come even to a driver whose handlers run inline:
//! a request heavier than [`ServerConfig::offload_body_bytes`] is one, so that it does not
//! hold the thread other connections share.
//!
//! Nothing else is the driver's to decide: which deadline applies, what an I/O error means,
//! when a connection is idle, lingering close, and what a draining server closes all come
//! from [`Served`].
//!
//! **Shutting down.** Stop accepting and call [`Admission::begin_shutdown`]; connections see
//! it through their tickets (idle ones are kicked and close, busy ones finish their message).
//! Wait for [`Admission::empty`], at most [`ServerConfig::shutdown_grace`]; then
//! [`Admission::abort_all`] closes the rest.
//!
//! `core/examples/embed_tokio.rs` is a whole driver on tokio in under 80 lines.

mod accept;
mod admission;
mod budget;
mod config;
mod served;

pub use accept::{AcceptAction, AcceptBackoff, Acceptor, Ready};
pub use admission::{Admission, Admit, Empty, Kicked, Room, Ticket, SILENT_GRACE};
pub use budget::{BodyBudget, Reservation};
pub use config::ServerConfig;
pub use served::{CloseReason, Next, Served};
