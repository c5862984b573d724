//! Reading a response body chunk by chunk.

use std::io;

use super::{ClientError, Step};
use crate::http::Error;

/// The reading side of a response body, shared by the blocking and the async clients: it
/// holds the chunk being read, turns exchange [`Step`]s into chunks, and remembers a failure
/// so every later read repeats it (a body cut short never looks complete).
#[derive(Debug, Default)]
pub struct BodyCursor {
    chunk: Vec<u8>,
    pos: usize,
    done: bool,
    failed: Option<(io::ErrorKind, String)>,
}

impl BodyCursor {
    /// What the next chunk is without touching the socket: the unread rest of the current
    /// chunk, the end, or the remembered failure. `None`: take a step.
    pub fn pending(&mut self) -> Option<Result<Option<Vec<u8>>, ClientError>> {
        if self.pos < self.chunk.len() {
            let mut rest = std::mem::take(&mut self.chunk);
            rest.drain(..self.pos);
            self.pos = 0;
            return Some(Ok(Some(rest)));
        }
        if self.done {
            return Some(Ok(None));
        }
        self.failed
            .as_ref()
            .map(|(kind, msg)| Err(ClientError::Io(io::Error::new(*kind, msg.clone()))))
    }

    /// Interprets one exchange step: a chunk, the end, or an error (remembered). `None` for an
    /// empty data step: take another.
    pub fn on_step(
        &mut self,
        step: Result<Step, ClientError>,
    ) -> Option<Result<Option<Vec<u8>>, ClientError>> {
        match step {
            Ok(Step::Data(d)) if d.is_empty() => None,
            Ok(Step::Data(d)) => Some(Ok(Some(d))),
            Ok(Step::End { .. }) => {
                self.done = true;
                Some(Ok(None))
            }
            Ok(_) => Some(Err(
                self.fail(ClientError::Protocol(Error::InvalidStatusLine))
            )),
            Err(e) => Some(Err(self.fail(e))),
        }
    }

    fn fail(&mut self, e: ClientError) -> ClientError {
        self.failed = Some((e.io_kind(), e.to_string()));
        e
    }

    /// Whether the current chunk is used up, so a `read` needs the next one.
    pub fn is_drained(&self) -> bool {
        self.pos >= self.chunk.len()
    }

    /// Makes `chunk` the one `copy_to` reads from.
    pub fn set_chunk(&mut self, chunk: Vec<u8>) {
        self.chunk = chunk;
        self.pos = 0;
    }

    /// Copies as much of the current chunk as fits into `buf`.
    pub fn copy_to(&mut self, buf: &mut [u8]) -> usize {
        let n = buf.len().min(self.chunk.len() - self.pos);
        buf[..n].copy_from_slice(&self.chunk[self.pos..self.pos + n]);
        self.pos += n;
        n
    }
}
