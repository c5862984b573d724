//! Framing: turning a byte stream into discrete messages.
//!
//! Two framings are provided, both as sans-IO decoders that share the [`Decoder`] contract:
//!
//! - [`FixedDecoder`]: every frame is exactly `N` bytes (the classic 16-octet exchange). At EOF a
//!   partial frame is a [`FrameError::ShortRead`] that says how many bytes were expected and how
//!   many arrived, like the `recvall` of the Python original.
//! - [`PrefixedDecoder`]: each frame is a big-endian `u32` length followed by that many bytes. An
//!   oversize length is refused as soon as its 4 bytes arrive, before any body is buffered.
//!   [`encode_prefixed`] writes the same format.
//!
//! [`Session`] ties a decoder to a [`Service`] (greeting, per-frame reply, when to close) so that a
//! runtime only moves bytes: it feeds [`Session::receive`], writes what [`Session::transmit`]
//! hands out (then [`Session::advance`]), and closes when [`Session::is_finished`] says so.
//!
//! ```
//! use netloom_core::frame::{Decoder, FixedDecoder, FrameError};
//!
//! let mut dec = FixedDecoder::new(16);
//! dec.receive(b"Hi there, ");
//! assert_eq!(dec.next_frame().unwrap(), None); // need more data
//! dec.receive(b"server and more");
//! assert_eq!(dec.next_frame().unwrap().as_deref(), Some(&b"Hi there, server"[..]));
//! dec.receive_eof();
//! // " and more" is 9 bytes of a 16-byte frame that will never complete.
//! assert_eq!(dec.next_frame(), Err(FrameError::ShortRead { expected: 16, received: 9 }));
//! ```

mod buffer;
mod error;
mod fixed;
mod prefixed;
mod session;

pub use error::FrameError;
pub use fixed::FixedDecoder;
pub use prefixed::{encode_prefixed, PrefixedDecoder, PREFIX_LEN};
pub use session::{Addr, Bound, ConnInfo, Reply, Service, Session};

/// Limits for the framing decoders.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest payload a [`PrefixedDecoder`] accepts, in bytes. Default: 8 MiB.
    pub max_frame_len: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_frame_len: 8 * 1024 * 1024,
        }
    }
}

/// The contract shared by every frame decoder.
///
/// Feed bytes with [`receive`](Decoder::receive) as they arrive (any split is fine), pull
/// complete frames with [`next_frame`](Decoder::next_frame), and call
/// [`receive_eof`](Decoder::receive_eof) when the peer closes. The frames produced never depend
/// on how the input was split.
pub trait Decoder {
    /// Buffers `data`. Never fails and never blocks; errors surface from `next_frame`.
    fn receive(&mut self, data: &[u8]);
    /// Records that the peer closed its side. A partial frame then becomes an error.
    fn receive_eof(&mut self);
    /// Returns the next complete frame, `Ok(None)` when more input is needed (or the stream
    /// ended cleanly on a frame boundary), or the error that ends the stream.
    fn next_frame(&mut self) -> Result<Option<Vec<u8>>, FrameError>;
    /// Whether the stream ended cleanly: EOF received and no partial frame buffered.
    fn is_finished(&self) -> bool;
    /// How many more bytes the decoder needs before it can produce the next frame (at least
    /// one); a runtime may use it as a read-size hint. Zero after an oversize prefix, which
    /// ends the stream.
    fn wanted(&self) -> usize;

    /// Bytes received and not yet returned as a frame: a frame part-way in, when non-zero
    /// (its connection is then busy, not idle). Default: 0.
    fn buffered(&self) -> usize {
        0
    }

    /// Like [`next_frame`](Decoder::next_frame) for a caller that insists on one more frame: a
    /// clean EOF on a frame boundary is a [`FrameError::ShortRead`] with `received: 0` too, as in
    /// the Python original's `recvall`.
    fn expect_frame(&mut self) -> Result<Option<Vec<u8>>, FrameError> {
        match self.next_frame()? {
            Some(frame) => Ok(Some(frame)),
            None if self.is_finished() => Err(FrameError::ShortRead {
                expected: self.wanted(),
                received: 0,
            }),
            None => Ok(None),
        }
    }
}
