use super::buffer::ReadBuf;
use super::{Decoder, FrameError};

/// Decodes frames of exactly `len` bytes each.
#[derive(Debug)]
pub struct FixedDecoder {
    len: usize,
    buf: ReadBuf,
    eof: bool,
}

impl FixedDecoder {
    /// A decoder for frames of `len` bytes. A `len` of zero is treated as one.
    pub fn new(len: usize) -> Self {
        FixedDecoder {
            len: len.max(1),
            buf: ReadBuf::default(),
            eof: false,
        }
    }

    /// The frame length.
    pub fn frame_len(&self) -> usize {
        self.len
    }
}

impl Decoder for FixedDecoder {
    fn buffered(&self) -> usize {
        self.buf.len()
    }

    fn receive(&mut self, data: &[u8]) {
        if !self.eof {
            self.buf.extend(data);
        }
    }

    fn receive_eof(&mut self) {
        self.eof = true;
    }

    fn next_frame(&mut self) -> Result<Option<Vec<u8>>, FrameError> {
        if self.buf.len() >= self.len {
            return Ok(Some(self.buf.take(self.len)));
        }
        if self.eof && self.buf.len() > 0 {
            return Err(FrameError::ShortRead {
                expected: self.len,
                received: self.buf.len(),
            });
        }
        Ok(None)
    }

    fn is_finished(&self) -> bool {
        self.eof && self.buf.len() == 0
    }

    fn wanted(&self) -> usize {
        self.len - self.buf.len() % self.len
    }
}
