//! The per-side connection states (h11's state machine, one value per peer).

use std::fmt;

/// The state of one side of a connection: ours (what we may send next) or theirs (what we
/// expect to receive next). Query them with
/// [`Connection::our_state`](super::Connection::our_state) and
/// [`Connection::their_state`](super::Connection::their_state).
///
/// One request/response exchange is a *cycle*:
///
/// | side            | path through the states                                        |
/// |-----------------|-----------------------------------------------------------------|
/// | client (sender of the request)   | `Idle` → `SendBody` → `Done` / `MustClose`     |
/// | server (sender of the response)  | `Idle` → `SendResponse` → `SendBody` → `Done` / `MustClose` |
///
/// The server side moves from `Idle` to `SendResponse` when the request head arrives (or, seen
/// from the client, when the client sends it). Informational (1xx) responses keep the server
/// in `SendResponse`. When both sides reach `Done` the connection starts the next cycle by
/// itself: both go back to `Idle`. When the connection cannot be reused, a finished side goes
/// to `MustClose` instead of `Done`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum State {
    /// No message of this cycle has started on this side.
    Idle,
    /// Server side only: the request head is known, the final response head is not sent yet.
    SendResponse,
    /// The head is out; body data and then the end of the message follow.
    SendBody,
    /// The message is complete; waiting for the other side to finish the cycle.
    Done,
    /// The message is complete and the connection will not carry another one: close it once
    /// the bytes you have are written.
    MustClose,
    /// This side has closed (EOF received from the peer, or
    /// [`Event::ConnectionClosed`](super::Event::ConnectionClosed) sent by us).
    Closed,
    /// A protocol error happened on this side; the connection must be closed.
    Error,
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            State::Idle => "idle",
            State::SendResponse => "send-response",
            State::SendBody => "send-body",
            State::Done => "done",
            State::MustClose => "must-close",
            State::Closed => "closed",
            State::Error => "error",
        })
    }
}

/// Which end of the connection this state machine plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// We send requests and receive responses.
    Client,
    /// We receive requests and send responses.
    Server,
}
