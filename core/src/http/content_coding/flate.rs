//! The gzip and deflate codecs (flate2): whole-body encoders, and the streaming, capped
//! [`Decoder`].

use std::fmt;
use std::io::Write as _;

use flate2::{Compress, Compression, Crc, Decompress, FlushCompress, FlushDecompress, Status};

use super::{Coding, ContentError};

/// Decodes a whole body, refusing to produce more than `max` bytes.
pub fn decode(coding: Coding, data: &[u8], max: u64) -> Result<Vec<u8>, ContentError> {
    if coding == Coding::Identity {
        return Ok(data.to_vec());
    }
    let mut decoder = Decoder::new(coding, max);
    let mut out = Vec::new();
    let mut rest = data;
    loop {
        let before = out.len();
        let used = decoder.decode(rest, &mut out, 256 * 1024)?;
        rest = &rest[used..];
        if rest.is_empty() && out.len() == before {
            break;
        }
    }
    decoder.finish()?;
    Ok(out)
}

/// Gzips `data` at the fast level (the point is fewer bytes on the wire, cheaply).
pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut enc =
        flate2::write::GzEncoder::new(Vec::with_capacity(data.len() / 4 + 64), Compression::fast());
    // Writing to a vector cannot fail.
    let _ = enc.write_all(data);
    enc.finish().unwrap_or_default()
}

/// Deflates `data` in the zlib format (what `Content-Encoding: deflate` means), fast level.
pub fn deflate(data: &[u8]) -> Vec<u8> {
    let mut c = Compress::new(Compression::fast(), true);
    let mut out = Vec::with_capacity(data.len() / 4 + 64);
    loop {
        let consumed = c.total_in() as usize;
        if out.capacity() - out.len() < 1024 {
            out.reserve(out.capacity().max(1024));
        }
        match c.compress_vec(&data[consumed..], &mut out, FlushCompress::Finish) {
            Ok(Status::StreamEnd) | Err(_) => return out,
            Ok(_) => {}
        }
    }
}

/// Which part of the coded stream the decoder is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    /// `deflate`: the first two bytes decide between zlib and raw deflate.
    Sniff,
    /// The 10 fixed bytes of a gzip member header.
    GzFixed,
    /// The 2-byte length of the header's extra field.
    GzExtraLen,
    /// This many bytes of extra field left to skip.
    GzExtra(u16),
    /// A zero-terminated file name.
    GzName,
    /// A zero-terminated comment.
    GzComment,
    /// The header's CRC16.
    GzHcrc,
    /// Compressed data.
    Inflate,
    /// The 8-byte gzip trailer: CRC32 and size.
    GzTrailer,
    /// Between gzip members: zero padding, or the next member.
    GzBetween,
    /// The coded stream is complete; anything after it is ignored.
    Done,
}

/// A streaming decoder: feed it the body as it arrives, get decoded bytes out, at most a
/// chosen amount per call, so memory stays bounded whatever the data inflates to.
///
/// ```
/// use netloom_core::http::content_coding::{deflate, Coding, Decoder};
///
/// let coded = deflate(&[7u8; 100_000]);
/// let mut d = Decoder::new(Coding::Deflate, 1 << 20);
/// let (mut out, mut rest) = (Vec::new(), &coded[..]);
/// while !rest.is_empty() || out.len() < 100_000 {
///     let used = d.decode(rest, &mut out, 4096).unwrap();
///     rest = &rest[used..];
/// }
/// d.finish().unwrap();
/// assert_eq!(out, vec![7u8; 100_000]);
/// ```
pub struct Decoder {
    coding: Coding,
    part: Part,
    inflate: Decompress,
    crc: Crc,
    /// Bytes of the header part being read (gzip fixed header, lengths, trailer, sniff).
    held: [u8; 10],
    held_len: usize,
    flags: u8,
    produced: u64,
    max: u64,
    saw_input: bool,
    /// What one inflate call writes into, then copied out: reused, so a call costs no
    /// zeroing of the caller's buffer.
    scratch: Vec<u8>,
}

/// Size of [`Decoder`]'s scratch buffer: the most one inflate call produces.
const SCRATCH: usize = 32 * 1024;

impl fmt::Debug for Decoder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Decoder")
            .field("coding", &self.coding)
            .field("part", &self.part)
            .field("produced", &self.produced)
            .field("max", &self.max)
            .finish_non_exhaustive()
    }
}

const FHCRC: u8 = 0x02;
const FEXTRA: u8 = 0x04;
const FNAME: u8 = 0x08;
const FCOMMENT: u8 = 0x10;

impl Decoder {
    /// A decoder for `coding` whose output may total at most `max` bytes.
    /// ([`Coding::Identity`] passes data through, under the same cap.)
    pub fn new(coding: Coding, max: u64) -> Self {
        Decoder {
            coding,
            part: match coding {
                Coding::Gzip => Part::GzFixed,
                Coding::Deflate => Part::Sniff,
                Coding::Identity => Part::Inflate,
            },
            inflate: Decompress::new(false),
            crc: Crc::new(),
            held: [0; 10],
            held_len: 0,
            flags: 0,
            produced: 0,
            max,
            saw_input: false,
            scratch: Vec::new(),
        }
    }

    /// The coding decoded.
    pub fn coding(&self) -> Coding {
        self.coding
    }

    /// Decoded bytes produced so far.
    pub fn produced(&self) -> u64 {
        self.produced
    }

    /// Decodes from `input`, appending at most `room` bytes to `out`, and returns how many
    /// input bytes it used. Call again with the unused rest, and at the end of the body with
    /// no input until nothing more is appended (inflating can hold output back when `room`
    /// runs out): a call that uses nothing and appends nothing needs more input.
    pub fn decode(
        &mut self,
        input: &[u8],
        out: &mut Vec<u8>,
        room: usize,
    ) -> Result<usize, ContentError> {
        let end = out.len().saturating_add(room);
        let mut used = 0;
        if !input.is_empty() {
            self.saw_input = true;
        }
        while out.len() < end {
            let rest = &input[used..];
            if rest.is_empty() {
                // Only the inflater can produce more without input.
                if self.part != Part::Inflate || self.coding == Coding::Identity {
                    break;
                }
                let before = out.len();
                self.inflate(rest, out, end)?;
                if out.len() == before {
                    break;
                }
                continue;
            }
            used += self.step(rest, out, end)?;
        }
        Ok(used)
    }

    /// One step on the non-empty `rest`: returns how much of it was used.
    fn step(&mut self, rest: &[u8], out: &mut Vec<u8>, end: usize) -> Result<usize, ContentError> {
        let corrupt = ContentError::Corrupt(self.coding);
        Ok(match self.part {
            Part::Done => rest.len(),
            Part::Sniff => {
                let (n, done) = self.hold(rest, 2);
                if done {
                    let (cmf, flg) = (self.held[0], self.held[1]);
                    let zlib = cmf & 0x0F == 8
                        && cmf >> 4 <= 7
                        && u16::from_be_bytes([cmf, flg]) % 31 == 0;
                    self.inflate = Decompress::new(zlib);
                    self.part = Part::Inflate;
                    // The pair goes to the inflater before the rest.
                    self.held_len = 2;
                }
                n
            }
            Part::GzFixed => {
                let (n, done) = self.hold(rest, 10);
                if done {
                    let h = self.held;
                    if h[0] != 0x1F || h[1] != 0x8B || h[2] != 8 || h[3] & 0xE0 != 0 {
                        return Err(corrupt);
                    }
                    self.flags = h[3];
                    self.part = self.after(0);
                }
                n
            }
            Part::GzExtraLen => {
                let (n, done) = self.hold(rest, 2);
                if done {
                    let len = u16::from_le_bytes([self.held[0], self.held[1]]);
                    self.part = if len == 0 {
                        self.after(FEXTRA)
                    } else {
                        Part::GzExtra(len)
                    };
                }
                n
            }
            Part::GzExtra(left) => {
                let take = u16::try_from(rest.len()).unwrap_or(u16::MAX).min(left);
                self.part = if take == left {
                    self.after(FEXTRA)
                } else {
                    Part::GzExtra(left - take)
                };
                usize::from(take)
            }
            Part::GzName | Part::GzComment => {
                let flag = if self.part == Part::GzName {
                    FNAME
                } else {
                    FCOMMENT
                };
                match rest.iter().position(|&b| b == 0) {
                    Some(i) => {
                        self.part = self.after(flag);
                        i + 1
                    }
                    None => rest.len(),
                }
            }
            Part::GzHcrc => {
                let (n, done) = self.hold(rest, 2);
                if done {
                    self.part = Part::Inflate;
                }
                n
            }
            Part::Inflate => self.inflate(rest, out, end)?,
            Part::GzTrailer => {
                let (n, done) = self.hold(rest, 8);
                if done {
                    let h = self.held;
                    let crc = u32::from_le_bytes([h[0], h[1], h[2], h[3]]);
                    let size = u32::from_le_bytes([h[4], h[5], h[6], h[7]]);
                    if crc != self.crc.sum() || size != self.crc.amount() {
                        return Err(corrupt);
                    }
                    self.part = Part::GzBetween;
                }
                n
            }
            Part::GzBetween => match rest.iter().position(|&b| b != 0) {
                None => rest.len(),
                Some(i) if rest[i] == 0x1F => {
                    self.part = Part::GzFixed;
                    self.inflate.reset(false);
                    self.crc.reset();
                    i
                }
                Some(_) => return Err(corrupt),
            },
        })
    }

    /// The body is over: `Ok` if the coded stream was complete (or there was no body at all).
    pub fn finish(&self) -> Result<(), ContentError> {
        match self.part {
            Part::Done | Part::GzBetween => Ok(()),
            Part::Inflate if self.coding == Coding::Identity => Ok(()),
            _ if !self.saw_input => Ok(()),
            _ => Err(ContentError::Corrupt(self.coding)),
        }
    }

    /// Collects bytes into `held` until it holds `need`; returns how many it took from
    /// `rest` and whether `held` is complete (it is then emptied for the next part, its
    /// bytes still readable).
    fn hold(&mut self, rest: &[u8], need: usize) -> (usize, bool) {
        let take = (need - self.held_len).min(rest.len());
        self.held[self.held_len..self.held_len + take].copy_from_slice(&rest[..take]);
        self.held_len += take;
        let done = self.held_len == need;
        if done {
            self.held_len = 0;
        }
        (take, done)
    }

    /// The header part after the one for `flag` (0: after the fixed header).
    fn after(&self, flag: u8) -> Part {
        let next = [
            (FEXTRA, Part::GzExtraLen),
            (FNAME, Part::GzName),
            (FCOMMENT, Part::GzComment),
            (FHCRC, Part::GzHcrc),
        ];
        let from = next
            .iter()
            .position(|&(f, _)| f == flag)
            .map_or(0, |i| i + 1);
        next[from..]
            .iter()
            .find(|&&(f, _)| self.flags & f != 0)
            .map_or(Part::Inflate, |&(_, p)| p)
    }

    /// Inflates from `rest` (or first from the sniffed pair of a deflate stream) into `out`,
    /// up to `end` and one byte past the cap; returns how much of `rest` was used.
    fn inflate(
        &mut self,
        rest: &[u8],
        out: &mut Vec<u8>,
        end: usize,
    ) -> Result<usize, ContentError> {
        // Never produce more than one byte past the cap, so reaching it is detected exactly
        // and output stays bounded.
        let cap_room = (self.max - self.produced.min(self.max)).saturating_add(1);
        let room = (end - out.len()).min(usize::try_from(cap_room).unwrap_or(usize::MAX));
        let at = out.len();
        if self.coding == Coding::Identity {
            let n = rest.len().min(room);
            out.extend_from_slice(&rest[..n]);
            return self.count(out, at).map(|()| n);
        }
        let held = std::mem::take(&mut self.held_len);
        let pair = [self.held[0], self.held[1]];
        let input: &[u8] = if held > 0 { &pair[2 - held..] } else { rest };
        if self.scratch.is_empty() {
            self.scratch.resize(SCRATCH, 0);
        }
        let room = room.min(SCRATCH);
        let (before_in, before_out) = (self.inflate.total_in(), self.inflate.total_out());
        let status =
            self.inflate
                .decompress(input, &mut self.scratch[..room], FlushDecompress::None);
        let used = (self.inflate.total_in() - before_in) as usize;
        let made = (self.inflate.total_out() - before_out) as usize;
        out.extend_from_slice(&self.scratch[..made]);
        if held > 0 {
            // Keep what of the pair is left (its tail) for the next call.
            self.held_len = held - used;
        }
        if self.coding == Coding::Gzip {
            self.crc.update(&out[at..]);
        }
        self.count(out, at)?;
        match status {
            Ok(Status::StreamEnd) => {
                self.held_len = 0;
                self.part = if self.coding == Coding::Gzip {
                    Part::GzTrailer
                } else {
                    Part::Done
                };
            }
            // No progress with input and room to write: a stream we cannot decode (one
            // that needs a preset dictionary, say). Stopping here also keeps a caller's
            // loop from spinning.
            Ok(_) if !input.is_empty() && used == 0 && made == 0 => {
                return Err(ContentError::Corrupt(self.coding))
            }
            Ok(_) => {}
            Err(_) => return Err(ContentError::Corrupt(self.coding)),
        }
        Ok(if held > 0 { 0 } else { used })
    }

    /// Adds what was appended since `at` to the count; past the cap is an error.
    fn count(&mut self, out: &[u8], at: usize) -> Result<(), ContentError> {
        self.produced += (out.len() - at) as u64;
        if self.produced > self.max {
            return Err(ContentError::TooLarge { limit: self.max });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw_deflate(data: &[u8]) -> Vec<u8> {
        let mut c = Compress::new(Compression::default(), false);
        let mut out = Vec::with_capacity(data.len() + 64);
        c.compress_vec(data, &mut out, FlushCompress::Finish)
            .unwrap();
        out
    }

    /// Decodes `coded` fed in pieces of `piece` bytes with `room` bytes of output per call.
    fn stream(
        coding: Coding,
        coded: &[u8],
        piece: usize,
        room: usize,
        max: u64,
    ) -> Result<Vec<u8>, ContentError> {
        let mut d = Decoder::new(coding, max);
        let mut out = Vec::new();
        for chunk in coded.chunks(piece.max(1)) {
            let mut rest = chunk;
            loop {
                let before = out.len();
                let used = d.decode(rest, &mut out, room)?;
                assert!(out.len() - before <= room);
                rest = &rest[used..];
                if rest.is_empty() && out.len() == before {
                    break;
                }
            }
        }
        // Drain what is left with no more input.
        loop {
            let before = out.len();
            d.decode(&[], &mut out, room)?;
            if out.len() == before {
                break;
            }
        }
        d.finish()?;
        Ok(out)
    }

    fn data() -> Vec<u8> {
        (0..12_000u32)
            .map(|i| (i * 7 % 251) as u8)
            .chain(std::iter::repeat_n(b'z', 8_000))
            .collect()
    }

    #[test]
    fn every_coding_decodes_at_every_split() {
        let data = data();
        let cases = [
            (Coding::Gzip, gzip(&data)),
            (Coding::Deflate, deflate(&data)),
            (Coding::Deflate, raw_deflate(&data)),
            (Coding::Identity, data.clone()),
        ];
        for (coding, coded) in &cases {
            for piece in [1, 3, 10, 11, 4096, usize::MAX] {
                for room in [7, 1000, 65536] {
                    let got = stream(*coding, coded, piece.min(coded.len()), room, 1 << 20);
                    assert_eq!(
                        got.as_deref(),
                        Ok(&data[..]),
                        "{coding} piece {piece} room {room}"
                    );
                }
            }
            assert_eq!(decode(*coding, coded, 1 << 20).as_deref(), Ok(&data[..]));
        }
    }

    #[test]
    fn gzip_headers_members_and_padding() {
        // A header with every optional field: FEXTRA, FNAME, FCOMMENT, FHCRC.
        let body = raw_deflate(b"hello");
        let mut crc = Crc::new();
        crc.update(b"hello");
        let mut member = vec![
            0x1F,
            0x8B,
            8,
            FEXTRA | FNAME | FCOMMENT | FHCRC,
            0,
            0,
            0,
            0,
            0,
            3,
        ];
        member.extend_from_slice(&[3, 0, b'a', b'b', b'c']);
        member.extend_from_slice(b"name.txt\0a comment\0");
        member.extend_from_slice(&[0x12, 0x34]);
        member.extend_from_slice(&body);
        member.extend_from_slice(&crc.sum().to_le_bytes());
        member.extend_from_slice(&crc.amount().to_le_bytes());
        let mut two = member.clone();
        two.extend_from_slice(&gzip(b" world"));
        two.extend_from_slice(&[0, 0, 0]);
        for piece in [1, 3, 1000] {
            assert_eq!(
                stream(Coding::Gzip, &member, piece, 7, 100),
                Ok(b"hello".to_vec())
            );
            assert_eq!(
                stream(Coding::Gzip, &two, piece, 7, 100),
                Ok(b"hello world".to_vec())
            );
        }
    }

    #[test]
    fn corrupt_truncated_and_oversized_data_is_refused() {
        let data = data();
        let z = gzip(&data);
        let d = deflate(&data);
        for (coding, coded) in [(Coding::Gzip, &z), (Coding::Deflate, &d)] {
            for cut in [1, 5, 10, coded.len() / 2, coded.len() - 1] {
                assert_eq!(
                    stream(coding, &coded[..cut], 5, 1000, 1 << 20),
                    Err(ContentError::Corrupt(coding)),
                    "{coding} cut at {cut}"
                );
            }
            assert_eq!(
                decode(coding, coded, data.len() as u64 - 1),
                Err(ContentError::TooLarge {
                    limit: data.len() as u64 - 1
                })
            );
            assert_eq!(
                decode(coding, coded, data.len() as u64).map(|v| v.len()),
                Ok(data.len())
            );
        }
        let mut bad_crc = z.clone();
        let n = bad_crc.len();
        bad_crc[n - 6] ^= 1;
        assert_eq!(
            decode(Coding::Gzip, &bad_crc, 1 << 20),
            Err(ContentError::Corrupt(Coding::Gzip))
        );
        assert_eq!(
            decode(Coding::Gzip, b"not gzip at all", 100),
            Err(ContentError::Corrupt(Coding::Gzip))
        );
        let mut junk_after = z.clone();
        junk_after.extend_from_slice(b"junk");
        assert_eq!(
            decode(Coding::Gzip, &junk_after, 1 << 20),
            Err(ContentError::Corrupt(Coding::Gzip))
        );
        // No body at all is an empty body.
        assert_eq!(decode(Coding::Gzip, b"", 10), Ok(Vec::new()));
        // A bomb stops at the cap with bounded output per call.
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), Compression::best());
        enc.write_all(&vec![0u8; 16 << 20]).unwrap();
        let bomb = enc.finish().unwrap();
        assert!(bomb.len() < 40_000, "{}", bomb.len());
        assert_eq!(
            stream(Coding::Gzip, &bomb, 4096, 65536, 1 << 20),
            Err(ContentError::TooLarge { limit: 1 << 20 })
        );
    }
}
