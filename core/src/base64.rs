//! Standard base64 (RFC 4648 alphabet, padded): in the shape CPython's `base64.encodebytes`
//! writes for XML-RPC (lines of 76 characters, each ending in `\n`), and on one line for
//! HTTP Basic credentials.

// XML-RPC uses all of it, the client only the one-line encoder.
#![cfg_attr(not(all(feature = "xmlrpc", feature = "client")), allow(dead_code))]

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const LINE_INPUT: usize = 57; // 57 input bytes make one 76-character line

const INVALID: u8 = 0xff;
const SKIP: u8 = 0xfe;
const PAD: u8 = 0xfd;

const DECODE: [u8; 256] = {
    let mut t = [INVALID; 256];
    let mut i = 0;
    while i < 64 {
        t[ALPHABET[i] as usize] = i as u8;
        i += 1;
    }
    t[b' ' as usize] = SKIP;
    t[b'\t' as usize] = SKIP;
    t[b'\n' as usize] = SKIP;
    t[b'\r' as usize] = SKIP;
    t[b'=' as usize] = PAD;
    t
};

/// Appends the `encodebytes` form of `data` to `out`.
pub(crate) fn encode_lines(data: &[u8], out: &mut Vec<u8>) {
    let lines = data.len().div_ceil(LINE_INPUT);
    out.reserve(data.len().div_ceil(3) * 4 + lines);
    for line in data.chunks(LINE_INPUT) {
        encode_into(line, out);
        out.push(b'\n');
    }
}

/// `data` in base64 on one line.
pub(crate) fn encode(data: &[u8]) -> String {
    let mut out = Vec::with_capacity(data.len().div_ceil(3) * 4);
    encode_into(data, &mut out);
    // Only alphabet characters were written.
    String::from_utf8(out).unwrap_or_default()
}

fn encode_into(data: &[u8], out: &mut Vec<u8>) {
    let mut chunks = data.chunks_exact(3);
    for c in &mut chunks {
        let n = (u32::from(c[0]) << 16) | (u32::from(c[1]) << 8) | u32::from(c[2]);
        out.extend_from_slice(&[
            ALPHABET[(n >> 18) as usize & 63],
            ALPHABET[(n >> 12) as usize & 63],
            ALPHABET[(n >> 6) as usize & 63],
            ALPHABET[n as usize & 63],
        ]);
    }
    match *chunks.remainder() {
        [a] => {
            let n = u32::from(a) << 16;
            out.extend_from_slice(&[
                ALPHABET[(n >> 18) as usize & 63],
                ALPHABET[(n >> 12) as usize & 63],
                b'=',
                b'=',
            ]);
        }
        [a, b] => {
            let n = (u32::from(a) << 16) | (u32::from(b) << 8);
            out.extend_from_slice(&[
                ALPHABET[(n >> 18) as usize & 63],
                ALPHABET[(n >> 12) as usize & 63],
                ALPHABET[(n >> 6) as usize & 63],
                b'=',
            ]);
        }
        _ => {}
    }
}

/// Why base64 text was refused.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum DecodeError {
    Invalid,
    TooLarge,
}

/// Decodes padded base64, ignoring ASCII whitespace anywhere. Refuses characters outside
/// the alphabet, missing or misplaced padding, and output beyond `limit` bytes (checked
/// before allocating).
pub(crate) fn decode(text: &[u8], limit: usize) -> Result<Vec<u8>, DecodeError> {
    // Upper bound of the output; whitespace only makes the real size smaller.
    let bound = text.len() / 4 * 3 + 3;
    let mut out = Vec::with_capacity(bound.min(limit.saturating_add(3)));
    let mut quad = [0u8; 4];
    let mut n = 0usize;
    let mut pads = 0usize;
    let mut i = 0usize;
    // Fast path: four alphabet characters in a row.
    while i < text.len() {
        if pads == 0 && n == 0 && i + 4 <= text.len() {
            let a = DECODE[text[i] as usize];
            let b = DECODE[text[i + 1] as usize];
            let c = DECODE[text[i + 2] as usize];
            let d = DECODE[text[i + 3] as usize];
            if (a | b | c | d) < 64 {
                let v = (u32::from(a) << 18)
                    | (u32::from(b) << 12)
                    | (u32::from(c) << 6)
                    | u32::from(d);
                out.extend_from_slice(&[(v >> 16) as u8, (v >> 8) as u8, v as u8]);
                if out.len() > limit {
                    return Err(DecodeError::TooLarge);
                }
                i += 4;
                continue;
            }
        }
        let x = DECODE[text[i] as usize];
        i += 1;
        match x {
            SKIP => continue,
            INVALID => return Err(DecodeError::Invalid),
            PAD => {
                // '=' may only fill the third and fourth positions of the last quad.
                if n < 2 {
                    return Err(DecodeError::Invalid);
                }
                pads += 1;
                quad[n] = 0;
                n += 1;
            }
            v => {
                if pads > 0 {
                    return Err(DecodeError::Invalid);
                }
                quad[n] = v;
                n += 1;
            }
        }
        if n == 4 {
            let v = (u32::from(quad[0]) << 18)
                | (u32::from(quad[1]) << 12)
                | (u32::from(quad[2]) << 6)
                | u32::from(quad[3]);
            let bytes = [(v >> 16) as u8, (v >> 8) as u8, v as u8];
            out.extend_from_slice(&bytes[..3 - pads]);
            if out.len() > limit {
                return Err(DecodeError::TooLarge);
            }
            n = 0;
            if pads > 0 {
                // Only whitespace may follow the padding.
                if text[i..].iter().any(|&c| DECODE[c as usize] != SKIP) {
                    return Err(DecodeError::Invalid);
                }
                return Ok(out);
            }
        }
    }
    if n != 0 {
        return Err(DecodeError::Invalid);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_like_encodebytes() {
        let mut out = Vec::new();
        encode_lines(b"", &mut out);
        assert_eq!(out, b"");
        encode_lines(b"a", &mut out);
        assert_eq!(out, b"YQ==\n");
        out.clear();
        encode_lines(&[0u8; 58], &mut out);
        let expected = format!("{}\nAA==\n", "A".repeat(76));
        assert_eq!(out, expected.as_bytes());
    }

    #[test]
    fn decodes_and_refuses() {
        assert_eq!(decode(b" YW\nJj ", 100), Ok(b"abc".to_vec()));
        assert_eq!(decode(b"YQ==\n", 100), Ok(b"a".to_vec()));
        assert_eq!(decode(b"YWI=", 100), Ok(b"ab".to_vec()));
        assert_eq!(decode(b"", 100), Ok(vec![]));
        assert_eq!(decode(b"YQ", 100), Err(DecodeError::Invalid));
        assert_eq!(decode(b"Y===", 100), Err(DecodeError::Invalid));
        assert_eq!(decode(b"YQ==YQ==", 100), Err(DecodeError::Invalid));
        assert_eq!(decode(b"YQ!=", 100), Err(DecodeError::Invalid));
        assert_eq!(decode(b"YWJjYWJj", 5), Err(DecodeError::TooLarge));
        for len in 0..200 {
            let data: Vec<u8> = (0..len).map(|i| (i * 37 % 256) as u8).collect();
            let mut enc = Vec::new();
            encode_lines(&data, &mut enc);
            assert_eq!(decode(&enc, usize::MAX), Ok(data));
        }
    }
}
