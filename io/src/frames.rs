//! Reading frames from a blocking stream: what every blocking framed client does (the
//! 16-octet exchange's `recvall`).

use std::io::{self, Read};

use netloom_core::frame::{Decoder, FixedDecoder};

/// Reads from `stream` until `decoder` yields one frame. A peer that closes first is an
/// `UnexpectedEof` error carrying a [`FrameError`](netloom_core::frame::FrameError) (an
/// oversize length prefix, `InvalidData`); `get_ref()` and `downcast_ref` reach it.
///
/// ```
/// use netloom_core::frame::FixedDecoder;
///
/// let mut wire: &[u8] = b"Hi there, server";
/// let frame = netloom_io::recv_frame(&mut wire, &mut FixedDecoder::new(16))?;
/// assert_eq!(frame, b"Hi there, server");
/// let err = netloom_io::recv_frame(&mut &b"short"[..], &mut FixedDecoder::new(16)).unwrap_err();
/// assert_eq!(err.kind(), std::io::ErrorKind::UnexpectedEof);
/// assert_eq!(
///     err.to_string(),
///     "was expecting 16 bytes but only received 5 bytes before the socket closed"
/// );
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn recv_frame<D: Decoder>(stream: &mut impl Read, decoder: &mut D) -> io::Result<Vec<u8>> {
    let mut buf = [0u8; 8192];
    loop {
        if let Some(frame) = decoder.expect_frame()? {
            return Ok(frame);
        }
        let want = decoder.wanted().clamp(1, buf.len());
        match stream.read(&mut buf[..want]) {
            Ok(0) => decoder.receive_eof(),
            Ok(n) => decoder.receive(&buf[..n]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

/// Reads exactly `len` bytes, or fails with "was expecting N bytes but only received M bytes
/// before the socket closed", as the Python original's `recvall` does.
pub fn recvall(stream: &mut impl Read, len: usize) -> io::Result<Vec<u8>> {
    recv_frame(stream, &mut FixedDecoder::new(len))
}
