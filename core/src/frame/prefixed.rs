use super::buffer::ReadBuf;
use super::{Decoder, FrameError, Limits};

/// Size of the big-endian length prefix.
pub const PREFIX_LEN: usize = 4;

/// Decodes frames written as a big-endian `u32` length followed by that many bytes.
#[derive(Debug)]
pub struct PrefixedDecoder {
    limits: Limits,
    buf: ReadBuf,
    /// Payload length of the frame being read, once its prefix has arrived.
    pending: Option<usize>,
    eof: bool,
    failed: Option<FrameError>,
}

impl PrefixedDecoder {
    /// A decoder that refuses payloads over `limits.max_frame_len`.
    pub fn new(limits: Limits) -> Self {
        PrefixedDecoder {
            limits,
            buf: ReadBuf::default(),
            pending: None,
            eof: false,
            failed: None,
        }
    }
}

impl Default for PrefixedDecoder {
    fn default() -> Self {
        PrefixedDecoder::new(Limits::default())
    }
}

impl Decoder for PrefixedDecoder {
    fn buffered(&self) -> usize {
        self.buf.len()
    }

    fn receive(&mut self, data: &[u8]) {
        // After a fatal error the stream is out of sync; keeping its bytes would only grow memory.
        if !self.eof && self.failed.is_none() {
            self.buf.extend(data);
        }
    }

    fn receive_eof(&mut self) {
        self.eof = true;
    }

    fn next_frame(&mut self) -> Result<Option<Vec<u8>>, FrameError> {
        if let Some(err) = &self.failed {
            return Err(err.clone());
        }
        if self.pending.is_none() && self.buf.len() >= PREFIX_LEN {
            let b = self.buf.as_slice();
            let len = u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
            if len as u64 > self.limits.max_frame_len as u64 {
                let err = FrameError::TooLarge {
                    len: len.into(),
                    max: self.limits.max_frame_len,
                };
                self.failed = Some(err.clone());
                self.buf = ReadBuf::default();
                return Err(err);
            }
            self.buf.consume(PREFIX_LEN);
            self.pending = Some(len as usize);
        }
        match self.pending {
            Some(len) if self.buf.len() >= len => {
                self.pending = None;
                Ok(Some(self.buf.take(len)))
            }
            _ if self.eof && (self.pending.is_some() || self.buf.len() > 0) => {
                let (expected, received) = match self.pending {
                    Some(len) => (len, self.buf.len()),
                    None => (PREFIX_LEN, self.buf.len()),
                };
                Err(FrameError::ShortRead { expected, received })
            }
            _ => Ok(None),
        }
    }

    fn is_finished(&self) -> bool {
        self.eof && self.failed.is_none() && self.pending.is_none() && self.buf.len() == 0
    }

    fn wanted(&self) -> usize {
        if self.failed.is_some() {
            return 0;
        }
        match self.pending {
            Some(len) => len.saturating_sub(self.buf.len()).max(1),
            None => PREFIX_LEN.saturating_sub(self.buf.len()).max(1),
        }
    }
}

/// Appends `payload` to `out` as a length-prefixed frame.
///
/// Fails with [`FrameError::TooLarge`] when the payload exceeds `limits.max_frame_len` (or the
/// `u32` prefix), so a sender cannot emit a frame its own decoder would refuse.
pub fn encode_prefixed(
    payload: &[u8],
    limits: &Limits,
    out: &mut Vec<u8>,
) -> Result<(), FrameError> {
    let max = limits.max_frame_len.min(u32::MAX as usize);
    if payload.len() > max {
        return Err(FrameError::TooLarge {
            len: payload.len() as u64,
            max,
        });
    }
    out.reserve(PREFIX_LEN + payload.len());
    out.extend_from_slice(&(payload.len() as u32).to_be_bytes());
    out.extend_from_slice(payload);
    Ok(())
}
