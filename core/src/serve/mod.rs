//! Serving connections: every timer and every connection decision of a server, decided here
//! once, with the time passed in. A runtime (or your own event loop) is a thin driver that
//! accepts, reads, writes, sleeps until the next deadline and closes, as this module tells it.
//!
//! | type | decides |
//! |------|---------|
//! | [`Served`] | one connection's deadlines (idle, request, write window, shutdown grace, linger) and how it closes |
//! | [`Admission`] | the connection bound: who comes in, who gives way at the bound, and shutdown for all |
//! | [`AcceptBackoff`] | what a failed `accept` means: retry, pause (out of descriptors), or stop |
//! | [`BodyBudget`] | request bodies held in memory at once, server-wide |
//! | [`ServerConfig`] | the numbers for all of the above |
//!
//! # The driver contract
//!
//! Time is an input: read both clocks into a [`Now`](crate::Now) whenever you call in, and
//! never decide a timeout yourself.
//!
//! **Accepting.** Make one [`Admission`] per listener (per event loop, if several loops share
//! a listener). Before each `accept`, wait until [`Admission::check_room`] says there is room
//! (it registers a waker, and names the time by which to look again; async loops await
//! [`Admission::room`]); after it, call [`Admission::admit`]. `Admitted` gives the
//! connection's [`Ticket`] and maybe a `victim`: a connection that gave way (it has been
//! kicked; a loop that owns its connections closes it by id). `Full`: keep the socket, wait
//! for room, admit again. On an `accept` error ask [`AcceptBackoff::on_error`]: `Retry`,
//! `PauseUntil(t)` (stop accepting until `t` and call [`Admission::reclaim`]; never spin), or
//! `Fatal`. Apply [`ServerConfig::nodelay`] to each accepted socket.
//!
//! **Serving a connection.** Wrap its state machine (any [`Duplex`](crate::Duplex)) in a
//! [`Served`] with its ticket. If the connection's socket is blocked in a call you cannot
//! interrupt otherwise, give the ticket a waker ([`Ticket::set_waker`]) that interrupts it;
//! an async driver races [`Served::kicked`] against the socket instead. Then loop:
//!
//! ```text
//! loop {
//!     match served.next(now) {
//!         Next::Write         => write what the socket takes of served.transmit();
//!                                served.advance(now, n)
//!                                (would block: wait for writable, or the deadline)
//!         Next::Read          => read; served.receive(now, &buf[..n]) or served.receive_eof(now)
//!                                (would block: wait for readable, or the deadline)
//!         Next::Run(job)      => run job.run() elsewhere (or inline); later served.complete(now, done)
//!         Next::Wait          => wait for the job, or the deadline
//!         Next::ShutdownWrite => shut down the socket's writing side, carry on
//!         Next::Close         => drop the socket; done
//!     }
//!     // Whenever you wait: sleep no later than served.poll_timeout(), and when it has
//!     // passed, call served.handle_timeout(now) and ask next() again.
//! }
//! ```
//!
//! A socket error on a read or write is the end of that connection: call [`Served::abort`]
//! (or just drop it). Nothing else is the driver's to decide: which deadline applies, when a
//! connection is idle, lingering close, and what a draining server closes all come from
//! [`Served`].
//!
//! **Shutting down.** Call [`Admission::begin_shutdown`] and stop accepting; connections see
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

pub use accept::{AcceptAction, AcceptBackoff};
pub use admission::{Admission, Admit, Empty, Kicked, Room, Ticket, SILENT_GRACE};
pub use budget::{BodyBudget, Reservation};
pub use config::ServerConfig;
pub use served::{CloseReason, Next, Served};
