//! Body readers (RFC 9112 §6–7): Content-Length, chunked with trailers, and close-delimited.
//!
//! A reader looks at the unconsumed input and says how many bytes it consumed and what it
//! found: a run of body data (as a range of the input, so the connection copies it once), the
//! end of the message with its trailers, or nothing yet. Everything inside a chunked body must
//! end lines with CRLF; see the module docs of [`http`](super) for the bare-LF policy.

use super::framing::BodyKind;
use super::headers::{Field, Headers, Span};
use super::{Error, Limits};

/// What one step of a reader found.
#[derive(Debug)]
pub(crate) enum Found {
    /// Body bytes at `start..end` of the input given to `step`.
    Data(usize, usize),
    /// The message is complete; these are its trailers.
    End(Headers),
}

/// The reader for the body of the message currently being received.
#[derive(Debug)]
pub(crate) enum BodyReader {
    /// No body is being read (between messages).
    Idle,
    /// `remaining` bytes still to come.
    Length { remaining: u64 },
    /// A chunked body.
    Chunked(Chunked),
    /// Body until EOF; `total` bytes seen so far, at most `limit`.
    UntilClose { total: u64, limit: u64 },
}

impl BodyReader {
    pub(crate) fn new(kind: BodyKind, limit: u64) -> Self {
        match kind {
            BodyKind::Length(n) => BodyReader::Length { remaining: n },
            BodyKind::Chunked => BodyReader::Chunked(Chunked::new(limit)),
            BodyKind::UntilClose => BodyReader::UntilClose { total: 0, limit },
        }
    }

    /// Consumes what it can of `input`. Returns the number of bytes consumed and what was
    /// found; `None` means more input is needed (any framing bytes consumed so far are
    /// included in the count).
    pub(crate) fn step(
        &mut self,
        input: &[u8],
        limits: &Limits,
    ) -> Result<(usize, Option<Found>), Error> {
        match self {
            BodyReader::Idle => Ok((0, None)),
            BodyReader::Length { remaining } => {
                if *remaining == 0 {
                    *self = BodyReader::Idle;
                    return Ok((0, Some(Found::End(Headers::new()))));
                }
                if input.is_empty() {
                    return Ok((0, None));
                }
                let n = clamp(*remaining, input.len());
                *remaining -= n as u64;
                Ok((n, Some(Found::Data(0, n))))
            }
            BodyReader::UntilClose { total, limit } => {
                if input.is_empty() {
                    return Ok((0, None));
                }
                // Hand out the bytes up to the limit first, so the events before the error
                // are the same however the input was split.
                let room = *limit - *total;
                if room == 0 {
                    return Err(Error::BodyTooLarge { limit: *limit });
                }
                let n = clamp(room, input.len());
                *total += n as u64;
                Ok((n, Some(Found::Data(0, n))))
            }
            BodyReader::Chunked(c) => {
                let r = c.step(input, limits);
                if let Ok((_, Some(Found::End(_)))) = r {
                    *self = BodyReader::Idle;
                }
                r
            }
        }
    }

    /// True for a close-delimited body: EOF ends it cleanly.
    pub(crate) fn ends_at_eof(&self) -> bool {
        matches!(self, BodyReader::UntilClose { .. })
    }
}

fn clamp(remaining: u64, available: usize) -> usize {
    if remaining < available as u64 {
        remaining as usize
    } else {
        available
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ChunkState {
    /// Reading the hex digits of a chunk size.
    Size,
    /// After the size: whitespace, which must lead to `;`.
    SizeWs,
    /// Inside a chunk extension (skipped).
    Ext,
    /// Read the CR of the size line; the LF must follow.
    SizeLf,
    /// Inside chunk data.
    Data,
    /// After chunk data: CR expected.
    DataCr,
    /// After chunk data: LF expected.
    DataLf,
    /// After the last chunk: trailer section up to an empty line.
    Trailers,
}

/// Incremental chunked decoder. Size lines are consumed byte by byte (nothing is re-scanned);
/// the trailer section is parsed once it is complete.
#[derive(Debug)]
pub(crate) struct Chunked {
    state: ChunkState,
    size: u64,
    digits: u32,
    ext_len: usize,
    total: u64,
    limit: u64,
    trailer_scan: usize,
}

/// Hex digits accepted on one size line (leading zeros included) before giving up.
const MAX_SIZE_DIGITS: u32 = 64;

impl Chunked {
    fn new(limit: u64) -> Self {
        Chunked {
            state: ChunkState::Size,
            size: 0,
            digits: 0,
            ext_len: 0,
            total: 0,
            limit,
            trailer_scan: 0,
        }
    }

    fn step(&mut self, input: &[u8], limits: &Limits) -> Result<(usize, Option<Found>), Error> {
        let mut pos = 0;
        while pos < input.len() || self.state == ChunkState::Trailers {
            match self.state {
                ChunkState::Size => {
                    let b = input[pos];
                    if let Some(d) = hex_value(b) {
                        self.digits += 1;
                        if self.digits > MAX_SIZE_DIGITS {
                            return Err(Error::InvalidChunkSize);
                        }
                        self.size = self
                            .size
                            .checked_mul(16)
                            .and_then(|s| s.checked_add(u64::from(d)))
                            .ok_or(Error::ChunkSizeOverflow)?;
                    } else if self.digits == 0 {
                        return Err(Error::InvalidChunkSize);
                    } else {
                        match b {
                            b'\r' => self.state = ChunkState::SizeLf,
                            b';' => self.state = ChunkState::Ext,
                            b' ' | b'\t' => self.state = ChunkState::SizeWs,
                            b'\n' => return Err(Error::InvalidChunkFraming),
                            _ => return Err(Error::InvalidChunkSize),
                        }
                    }
                    pos += 1;
                }
                ChunkState::SizeWs => {
                    match input[pos] {
                        b' ' | b'\t' => {}
                        b';' => self.state = ChunkState::Ext,
                        _ => return Err(Error::InvalidChunkSize),
                    }
                    self.bump_ext(limits)?;
                    pos += 1;
                }
                ChunkState::Ext => {
                    match input[pos] {
                        b'\r' => self.state = ChunkState::SizeLf,
                        b'\n' => return Err(Error::InvalidChunkFraming),
                        b'\t' => {}
                        b if b < b' ' || b == 0x7f => return Err(Error::InvalidChunkSize),
                        _ => {}
                    }
                    self.bump_ext(limits)?;
                    pos += 1;
                }
                ChunkState::SizeLf => {
                    if input[pos] != b'\n' {
                        return Err(Error::InvalidChunkFraming);
                    }
                    pos += 1;
                    self.ext_len = 0;
                    self.digits = 0;
                    self.total = self.total.saturating_add(self.size);
                    if self.total > self.limit {
                        return Err(Error::BodyTooLarge { limit: self.limit });
                    }
                    if self.size == 0 {
                        self.state = ChunkState::Trailers;
                        self.trailer_scan = 0;
                    } else {
                        self.state = ChunkState::Data;
                    }
                }
                ChunkState::Data => {
                    let n = clamp(self.size, input.len() - pos);
                    self.size -= n as u64;
                    if self.size == 0 {
                        self.state = ChunkState::DataCr;
                    }
                    return Ok((pos + n, Some(Found::Data(pos, pos + n))));
                }
                ChunkState::DataCr => {
                    if input[pos] != b'\r' {
                        return Err(Error::InvalidChunkFraming);
                    }
                    self.state = ChunkState::DataLf;
                    pos += 1;
                }
                ChunkState::DataLf => {
                    if input[pos] != b'\n' {
                        return Err(Error::InvalidChunkFraming);
                    }
                    self.state = ChunkState::Size;
                    pos += 1;
                }
                ChunkState::Trailers => {
                    return match self.trailers(&input[pos..], limits)? {
                        Some((n, trailers)) => Ok((pos + n, Some(Found::End(trailers)))),
                        None => Ok((pos, None)),
                    };
                }
            }
        }
        Ok((pos, None))
    }

    fn bump_ext(&mut self, limits: &Limits) -> Result<(), Error> {
        self.ext_len += 1;
        if self.ext_len > limits.max_chunk_ext_bytes {
            return Err(Error::ChunkExtensionTooLong {
                limit: limits.max_chunk_ext_bytes,
            });
        }
        Ok(())
    }

    /// The trailer section: `*( field-line CRLF ) CRLF`, strictly CRLF. Returns the bytes it
    /// used and the fields once the empty line has arrived.
    fn trailers(
        &mut self,
        input: &[u8],
        limits: &Limits,
    ) -> Result<Option<(usize, Headers)>, Error> {
        match input {
            [] | [b'\r'] => return Ok(None),
            [b'\r', b'\n', ..] => return Ok(Some((2, Headers::new()))),
            [b'\r', ..] | [b'\n', ..] => return Err(Error::InvalidChunkFraming),
            _ => {}
        }
        let window = &input[..input.len().min(limits.max_trailer_bytes)];
        let from = self.trailer_scan.saturating_sub(3);
        let end = match find(&window[from..], b"\r\n\r\n") {
            Some(i) => from + i + 4,
            None => {
                // Fail fast on a bare LF or CR instead of waiting for a CRLFCRLF that a
                // lenient peer will never send.
                let scanned = &window[from.saturating_sub(1)..];
                for pair in scanned.windows(2) {
                    let bare_lf = pair[1] == b'\n' && pair[0] != b'\r';
                    let bare_cr = pair[0] == b'\r' && pair[1] != b'\n';
                    if bare_lf || bare_cr {
                        return Err(Error::InvalidChunkFraming);
                    }
                }
                if input.len() >= limits.max_trailer_bytes {
                    return Err(Error::TrailersTooLarge {
                        limit: limits.max_trailer_bytes,
                    });
                }
                self.trailer_scan = window.len();
                return Ok(None);
            }
        };
        let section = &input[..end];
        // Strict CRLF: every LF preceded by CR and every CR followed by LF.
        for (i, &b) in section.iter().enumerate() {
            let bad = match b {
                b'\n' => i == 0 || section[i - 1] != b'\r',
                b'\r' => section.get(i + 1) != Some(&b'\n'),
                _ => false,
            };
            if bad {
                return Err(Error::InvalidChunkFraming);
            }
        }
        let fields = parse_fields(section, limits.max_headers)?;
        Ok(Some((end, Headers::from_parts(section.to_vec(), fields))))
    }
}

/// Parses a field section (trailers) with httparse; ranges index into `section`.
fn parse_fields(section: &[u8], max: usize) -> Result<Vec<Field>, Error> {
    let mut raw = vec![httparse::EMPTY_HEADER; max.min(section.len() / 3 + 1)];
    match httparse::parse_headers(section, &mut raw) {
        Ok(httparse::Status::Complete((_, hs))) => {
            let base = section.as_ptr() as usize;
            Ok(hs
                .iter()
                .map(|h| Field {
                    name: Span::new(range_in(base, section.len(), h.name.as_bytes())),
                    value: Span::new(range_in(base, section.len(), h.value)),
                })
                .collect())
        }
        Ok(httparse::Status::Partial) => Err(Error::InvalidTrailers),
        Err(httparse::Error::TooManyHeaders) => {
            if max < section.len() / 3 + 1 {
                Err(Error::TooManyHeaders { limit: max })
            } else {
                Err(Error::InvalidTrailers)
            }
        }
        Err(_) => Err(Error::InvalidTrailers),
    }
}

/// The position of `s` inside the buffer starting at address `base` of length `len`.
pub(crate) fn range_in(base: usize, len: usize, s: &[u8]) -> (usize, usize) {
    let start = (s.as_ptr() as usize).wrapping_sub(base);
    if start <= len && s.len() <= len - start {
        (start, start + s.len())
    } else {
        (0, 0)
    }
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// First occurrence of `needle` in `hay`.
pub(crate) fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}
