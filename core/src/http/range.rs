//! Byte ranges (RFC 9110 §14): what a `Range` field asks of a representation of a known
//! length, and the `Content-Range` that answers it. One range is served; several may be
//! answered with the whole representation, which the RFC allows and which is what this
//! returns (no `multipart/byteranges`).
//!
//! ```
//! use netloom_core::http::range::{byte_range, content_range, Ranges};
//!
//! assert_eq!(byte_range(b"bytes=0-99", 1000), Ranges::One { start: 0, end: 99 });
//! assert_eq!(byte_range(b"bytes=-100", 1000), Ranges::One { start: 900, end: 999 });
//! assert_eq!(byte_range(b"bytes=2000-", 1000), Ranges::Unsatisfiable);
//! assert_eq!(byte_range(b"bytes=0-1,5-9", 1000), Ranges::Whole);
//! assert_eq!(content_range(900, 999, 1000), "bytes 900-999/1000");
//! ```

/// What a `Range` field asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ranges {
    /// The whole representation (`200`): no usable `Range` (another unit, bad syntax), or
    /// several ranges.
    Whole,
    /// One range, `start..=end` within the length (`206`).
    One {
        /// First byte.
        start: u64,
        /// Last byte (inclusive).
        end: u64,
    },
    /// No range overlaps the representation (`416`, with `Content-Range: bytes */LEN`).
    Unsatisfiable,
}

/// Most range specs a field is read for; more make it [`Ranges::Whole`] (a flood of tiny
/// ranges is only ever an attack on servers that honour them).
const MAX_SPECS: usize = 64;

/// Reads a `Range` field value for a representation of `len` bytes.
pub fn byte_range(value: &[u8], len: u64) -> Ranges {
    let value = value.trim_ascii();
    let Some((unit, specs)) = value.split_first_chunk::<6>() else {
        return Ranges::Whole;
    };
    if !unit.eq_ignore_ascii_case(b"bytes=") {
        return Ranges::Whole;
    }
    let mut one = None;
    let mut count = 0;
    let mut satisfiable = 0;
    for spec in specs.split(|&b| b == b',') {
        let spec = spec.trim_ascii();
        if spec.is_empty() {
            continue;
        }
        count += 1;
        if count > MAX_SPECS {
            return Ranges::Whole;
        }
        let Some(range) = parse_spec(spec) else {
            // Invalid syntax: the field is ignored (RFC 9110 §14.2).
            return Ranges::Whole;
        };
        if let Some(r) = resolve(range, len) {
            satisfiable += 1;
            one = Some(r);
        }
    }
    match (count, satisfiable, one) {
        (0, _, _) => Ranges::Whole,
        (_, 0, _) => Ranges::Unsatisfiable,
        (1, 1, Some((start, end))) => Ranges::One { start, end },
        _ => Ranges::Whole,
    }
}

/// `bytes START-END/LEN` for a `206`.
pub fn content_range(start: u64, end: u64, len: u64) -> String {
    format!("bytes {start}-{end}/{len}")
}

/// `bytes */LEN` for a `416`.
pub fn unsatisfied_range(len: u64) -> String {
    format!("bytes */{len}")
}

/// One range spec: `first-last`, `first-` or `-suffix`.
#[derive(Debug, Clone, Copy)]
enum Spec {
    From(u64, Option<u64>),
    Suffix(u64),
}

fn parse_spec(spec: &[u8]) -> Option<Spec> {
    let dash = spec.iter().position(|&b| b == b'-')?;
    let (first, last) = (&spec[..dash], &spec[dash + 1..]);
    match (digits(first), digits(last)) {
        (None, Some(n)) if first.is_empty() => Some(Spec::Suffix(n)),
        (Some(a), None) if last.is_empty() => Some(Spec::From(a, None)),
        (Some(a), Some(b)) if a <= b => Some(Spec::From(a, Some(b))),
        _ => None,
    }
}

/// `1*DIGIT`, within u64.
fn digits(d: &[u8]) -> Option<u64> {
    if d.is_empty() {
        return None;
    }
    d.iter().try_fold(0u64, |acc, &c| {
        if c.is_ascii_digit() {
            acc.checked_mul(10)?.checked_add(u64::from(c - b'0'))
        } else {
            None
        }
    })
}

/// The bytes a spec selects of `len`, if any.
fn resolve(spec: Spec, len: u64) -> Option<(u64, u64)> {
    match spec {
        Spec::From(first, _) if first >= len => None,
        Spec::From(first, last) => Some((first, last.map_or(len - 1, |l| l.min(len - 1)))),
        Spec::Suffix(0) => None,
        Spec::Suffix(_) if len == 0 => None,
        Spec::Suffix(n) => Some((len - n.min(len), len - 1)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        let one = |start, end| Ranges::One { start, end };
        for (value, len, expected) in [
            (&b"bytes=0-0"[..], 10, one(0, 0)),
            (b"bytes=0-", 10, one(0, 9)),
            (b"bytes=3-5", 10, one(3, 5)),
            (b"bytes=3-500", 10, one(3, 9)),
            (b"bytes=9-9", 10, one(9, 9)),
            (b"bytes=-3", 10, one(7, 9)),
            (b"bytes=-30", 10, one(0, 9)),
            (b"Bytes = 1-2", 10, Ranges::Whole),
            (b"BYTES=1-2", 10, one(1, 2)),
            (b" bytes=1-2 , ", 10, one(1, 2)),
            (b"bytes=10-", 10, Ranges::Unsatisfiable),
            (b"bytes=10-20", 10, Ranges::Unsatisfiable),
            (b"bytes=-0", 10, Ranges::Unsatisfiable),
            (b"bytes=0-", 0, Ranges::Unsatisfiable),
            (b"bytes=-5", 0, Ranges::Unsatisfiable),
            (b"bytes=10-,20-", 10, Ranges::Unsatisfiable),
            (b"bytes=0-1,3-4", 10, Ranges::Whole),
            (b"bytes=0-1,30-40", 10, Ranges::Whole),
            (b"bytes=5-3", 10, Ranges::Whole),
            (b"bytes=", 10, Ranges::Whole),
            (b"bytes=a-b", 10, Ranges::Whole),
            (b"bytes=1-2-3", 10, Ranges::Whole),
            (b"bytes=--1", 10, Ranges::Whole),
            (b"bytes=+1-2", 10, Ranges::Whole),
            (b"bytes=99999999999999999999-", 10, Ranges::Whole),
            (b"items=0-1", 10, Ranges::Whole),
            (b"", 10, Ranges::Whole),
        ] {
            assert_eq!(
                byte_range(value, len),
                expected,
                "{}",
                String::from_utf8_lossy(value)
            );
        }
        let flood = format!("bytes={}", "0-0,".repeat(1000));
        assert_eq!(byte_range(flood.as_bytes(), 10), Ranges::Whole);
        assert_eq!(unsatisfied_range(10), "bytes */10");
    }
}
