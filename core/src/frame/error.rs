use std::fmt;

/// Why a framed stream cannot go on.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum FrameError {
    /// The peer closed in the middle of a frame.
    ShortRead {
        /// Bytes the frame needed.
        expected: usize,
        /// Bytes that arrived before the peer closed.
        received: usize,
    },
    /// A length prefix announced more than [`Limits::max_frame_len`](super::Limits).
    TooLarge {
        /// The announced length.
        len: u64,
        /// The configured maximum.
        max: usize,
    },
}

impl fmt::Display for FrameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // Same words as the Python original's recvall, so the CLI reads the same.
            FrameError::ShortRead { expected, received } => write!(
                f,
                "was expecting {expected} bytes but only received {received} bytes before the socket closed"
            ),
            FrameError::TooLarge { len, max } => {
                write!(f, "frame of {len} bytes exceeds the limit of {max} bytes")
            }
        }
    }
}

impl std::error::Error for FrameError {}

/// Lets blocking and async readers report framing failures through `std::io::Error`, the way
/// `read_exact` does: a short read is `UnexpectedEof`, an oversize frame `InvalidData`. The
/// original `FrameError` stays reachable with `get_ref()` and `downcast_ref`.
impl From<FrameError> for std::io::Error {
    fn from(err: FrameError) -> Self {
        let kind = match err {
            FrameError::ShortRead { .. } => std::io::ErrorKind::UnexpectedEof,
            FrameError::TooLarge { .. } => std::io::ErrorKind::InvalidData,
        };
        std::io::Error::new(kind, err)
    }
}
