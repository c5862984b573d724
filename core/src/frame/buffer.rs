/// A read buffer with a consumed-prefix offset, so taking a frame does not shift the rest.
#[derive(Debug, Default)]
pub(crate) struct ReadBuf {
    data: Vec<u8>,
    start: usize,
}

impl ReadBuf {
    pub(crate) fn len(&self) -> usize {
        self.data.len() - self.start
    }

    pub(crate) fn as_slice(&self) -> &[u8] {
        &self.data[self.start..]
    }

    pub(crate) fn extend(&mut self, bytes: &[u8]) {
        // Reclaim the consumed prefix before growing, so the buffer stays bounded by one frame
        // plus one read.
        if self.start > 0 && (self.start == self.data.len() || self.start >= self.data.len() / 2) {
            self.data.drain(..self.start);
            self.start = 0;
        }
        self.data.extend_from_slice(bytes);
    }

    /// Removes and returns the first `n` bytes. Callers check `len() >= n` first.
    pub(crate) fn take(&mut self, n: usize) -> Vec<u8> {
        let out = self.data[self.start..self.start + n].to_vec();
        self.consume(n);
        out
    }

    pub(crate) fn consume(&mut self, n: usize) {
        self.start += n;
        if self.start == self.data.len() {
            self.data.clear();
            self.start = 0;
        }
    }
}
