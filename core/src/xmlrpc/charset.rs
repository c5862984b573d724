//! The text of a document: which character encoding it is in (XML 1.0 §4.3.3 and
//! Appendix F: a byte order mark, else the XML declaration), its conversion to UTF-8, and
//! XML's `Char` production, which every character of it must match.
//!
//! Encodings read: UTF-8 (and US-ASCII), UTF-16 in either byte order, ISO-8859-1 (PHP's
//! xmlrpc extension declares it on every document) and windows-1252, under their common
//! labels. A UTF-8 document is borrowed as it is; the others are converted once.

use std::borrow::Cow;

use super::Error;

/// An encoding a document can be read in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Encoding {
    /// UTF-8, or its subset US-ASCII.
    Utf8,
    /// UTF-16, little-endian.
    Utf16Le,
    /// UTF-16, big-endian.
    Utf16Be,
    /// ISO-8859-1: each byte is the code point of the same value.
    Latin1,
    /// windows-1252: ISO-8859-1 with printable characters in `0x80..=0x9F`.
    Windows1252,
}

impl Encoding {
    /// The encoding an `encoding="..."` label names (ASCII case-insensitive), if we read it.
    pub(crate) fn from_label(label: &[u8]) -> Option<Encoding> {
        const LABELS: &[(&str, Encoding)] = &[
            ("utf-8", Encoding::Utf8),
            ("utf8", Encoding::Utf8),
            ("us-ascii", Encoding::Utf8),
            ("ascii", Encoding::Utf8),
            ("utf-16", Encoding::Utf16Le),
            ("utf16", Encoding::Utf16Le),
            ("utf-16le", Encoding::Utf16Le),
            ("utf-16be", Encoding::Utf16Be),
            ("iso-8859-1", Encoding::Latin1),
            ("iso8859-1", Encoding::Latin1),
            ("iso_8859-1", Encoding::Latin1),
            ("iso_8859-1:1987", Encoding::Latin1),
            ("latin1", Encoding::Latin1),
            ("latin-1", Encoding::Latin1),
            ("l1", Encoding::Latin1),
            ("iso-ir-100", Encoding::Latin1),
            ("cp819", Encoding::Latin1),
            ("ibm819", Encoding::Latin1),
            ("csisolatin1", Encoding::Latin1),
            ("windows-1252", Encoding::Windows1252),
            ("cp1252", Encoding::Windows1252),
            ("x-cp1252", Encoding::Windows1252),
        ];
        LABELS
            .iter()
            .find(|(name, _)| name.as_bytes().eq_ignore_ascii_case(label))
            .map(|&(_, e)| e)
    }

    /// Whether a declaration naming `declared` fits a document read as `self` (a UTF-16
    /// label fits either byte order: the byte order mark decides).
    pub(crate) fn admits(self, declared: Encoding) -> bool {
        let utf16 = |e| matches!(e, Encoding::Utf16Le | Encoding::Utf16Be);
        self == declared || (utf16(self) && utf16(declared))
    }

    /// The encoding's name, for messages.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Encoding::Utf8 => "UTF-8",
            Encoding::Utf16Le => "UTF-16LE",
            Encoding::Utf16Be => "UTF-16BE",
            Encoding::Latin1 => "ISO-8859-1",
            Encoding::Windows1252 => "windows-1252",
        }
    }
}

/// The document's text as UTF-8, and the encoding it was read in. Refuses an encoding we do
/// not read, text invalid in its encoding, and characters outside XML's `Char` production.
pub(crate) fn document_text(body: &[u8]) -> Result<(Cow<'_, str>, Encoding), Error> {
    let (encoding, bytes) = sniff(body)?;
    let text = match encoding {
        Encoding::Utf8 => {
            Cow::Borrowed(std::str::from_utf8(bytes).map_err(|e| Error::InvalidUtf8 {
                offset: e.valid_up_to() + (body.len() - bytes.len()),
            })?)
        }
        Encoding::Utf16Le => Cow::Owned(utf16(bytes, u16::from_le_bytes)?),
        Encoding::Utf16Be => Cow::Owned(utf16(bytes, u16::from_be_bytes)?),
        Encoding::Latin1 => Cow::Owned(bytes.iter().map(|&b| char::from(b)).collect()),
        Encoding::Windows1252 => Cow::Owned(bytes.iter().map(|&b| cp1252(b)).collect()),
    };
    check_chars(&text)?;
    Ok((text, encoding))
}

/// The encoding of `body` and its bytes after any byte order mark.
fn sniff(body: &[u8]) -> Result<(Encoding, &[u8]), Error> {
    Ok(match body {
        [0xEF, 0xBB, 0xBF, rest @ ..] => (Encoding::Utf8, rest),
        [0xFF, 0xFE, rest @ ..] => (Encoding::Utf16Le, rest),
        [0xFE, 0xFF, rest @ ..] => (Encoding::Utf16Be, rest),
        // `<?` without a byte order mark (XML 1.0 Appendix F).
        [b'<', 0, b'?', 0, ..] => (Encoding::Utf16Le, body),
        [0, b'<', 0, b'?', ..] => (Encoding::Utf16Be, body),
        _ => match declared_label(body) {
            None => (Encoding::Utf8, body),
            Some(label) => match Encoding::from_label(label) {
                // A declaration we could read in ASCII: the document is not UTF-16.
                Some(Encoding::Utf16Le | Encoding::Utf16Be) => {
                    return Err(Error::WrongEncoding {
                        declared: label.escape_ascii().to_string(),
                        found: "an ASCII-compatible encoding",
                    })
                }
                Some(e) => (e, body),
                None => {
                    // Escaped: the text has not been checked yet, and the message may be sent
                    // back in a fault.
                    return Err(Error::UnsupportedEncoding(label.escape_ascii().to_string()));
                }
            },
        },
    })
}

/// The value of the `encoding` pseudo-attribute of an XML declaration at the very start of
/// `body`, read as ASCII. `None` when there is no declaration, it names no encoding, or it
/// does not read as one (the XML reader then reports what is wrong with it).
fn declared_label(body: &[u8]) -> Option<&[u8]> {
    let rest = body.strip_prefix(b"<?xml")?;
    let end = rest.windows(2).take(512).position(|w| w == b"?>")?;
    let mut decl = &rest[..end];
    loop {
        let start = decl.iter().position(|b| !b.is_ascii_whitespace())?;
        if start == 0 {
            // Pseudo-attributes are separated by whitespace.
            return None;
        }
        decl = &decl[start..];
        let name_len = decl.iter().position(|b| !b.is_ascii_alphabetic())?;
        let (name, after) = decl.split_at(name_len);
        let after = trim_start(after).strip_prefix(b"=")?;
        let after = trim_start(after);
        let (&quote, after) = after.split_first()?;
        if quote != b'"' && quote != b'\'' {
            return None;
        }
        let close = after.iter().position(|&b| b == quote)?;
        if name == b"encoding" {
            return Some(&after[..close]);
        }
        decl = &after[close + 1..];
    }
}

fn trim_start(mut s: &[u8]) -> &[u8] {
    while let [b, rest @ ..] = s {
        if !b.is_ascii_whitespace() {
            break;
        }
        s = rest;
    }
    s
}

/// UTF-16 code units (read with `unit`) as a string; an odd length or an unpaired surrogate
/// is [`Error::InvalidUtf16`].
fn utf16(bytes: &[u8], unit: fn([u8; 2]) -> u16) -> Result<String, Error> {
    if !bytes.len().is_multiple_of(2) {
        return Err(Error::InvalidUtf16 {
            offset: bytes.len() - 1,
        });
    }
    let units = bytes.chunks_exact(2).map(|c| unit([c[0], c[1]]));
    let mut out = String::with_capacity(bytes.len() / 2 * 3 / 2);
    for (i, c) in char::decode_utf16(units).enumerate() {
        match c {
            Ok(c) => out.push(c),
            // `i` counts decoded items; a pair counts once, so the offset is approximate
            // only after astral characters, which is fine for a message.
            Err(_) => return Err(Error::InvalidUtf16 { offset: 2 * i }),
        }
    }
    Ok(out)
}

/// A windows-1252 byte as a character. The five bytes windows-1252 leaves undefined map to
/// the C1 controls of the same value, as the WHATWG Encoding Standard reads them.
fn cp1252(b: u8) -> char {
    const HIGH: [char; 32] = [
        '\u{20AC}', '\u{0081}', '\u{201A}', '\u{0192}', '\u{201E}', '\u{2026}', '\u{2020}',
        '\u{2021}', '\u{02C6}', '\u{2030}', '\u{0160}', '\u{2039}', '\u{0152}', '\u{008D}',
        '\u{017D}', '\u{008F}', '\u{0090}', '\u{2018}', '\u{2019}', '\u{201C}', '\u{201D}',
        '\u{2022}', '\u{2013}', '\u{2014}', '\u{02DC}', '\u{2122}', '\u{0161}', '\u{203A}',
        '\u{0153}', '\u{009D}', '\u{017E}', '\u{0178}',
    ];
    match b {
        0x80..=0x9F => HIGH[usize::from(b - 0x80)],
        _ => char::from(b),
    }
}

/// Refuses any character outside XML 1.0's `Char` production: C0 controls other than tab,
/// line feed and carriage return, and U+FFFE / U+FFFF (a `&str` holds no surrogates).
/// Eight bytes at a time; only a word holding a byte below 0x20 or a 0xEF (the lead byte of
/// U+FFFE and U+FFFF) is looked at closely.
pub(crate) fn check_chars(text: &str) -> Result<(), Error> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let bytes = text.as_bytes();
    let mut chunks = bytes.chunks_exact(8);
    let mut base = 0;
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let w = u64::from_le_bytes(word);
        // High bit set in each byte below 0x20 (plus false positives only next to one).
        let low = w.wrapping_sub(ONES * 0x20) & !w & HIGHS;
        let x = w ^ (ONES * 0xEF);
        let ef = x.wrapping_sub(ONES) & !x & HIGHS;
        if low | ef != 0 {
            check_bytes(bytes, base, base + 8)?;
        }
        base += 8;
    }
    check_bytes(bytes, base, bytes.len())
}

/// [`check_chars`] for the bytes at `start..end` of `bytes` (which may look past `end` for
/// the rest of a U+FFFE / U+FFFF).
#[cold]
fn check_bytes(bytes: &[u8], start: usize, end: usize) -> Result<(), Error> {
    for i in start..end {
        let b = bytes[i];
        let bad = match b {
            b'\t' | b'\n' | b'\r' => None,
            0..=0x1F => Some(u32::from(b)),
            0xEF => match bytes.get(i + 1..i + 3) {
                Some([0xBF, 0xBE]) => Some(0xFFFE),
                Some([0xBF, 0xBF]) => Some(0xFFFF),
                _ => None,
            },
            _ => None,
        };
        if let Some(code) = bad {
            return Err(Error::InvalidChar { offset: i, code });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(body: &[u8]) -> Result<(String, Encoding), Error> {
        document_text(body).map(|(t, e)| (t.into_owned(), e))
    }

    #[test]
    fn encodings_by_bom_and_declaration() {
        let doc = "<?xml version=\"1.0\"?><a>é€</a>";
        assert_eq!(text(doc.as_bytes()), Ok((doc.into(), Encoding::Utf8)));
        let mut bom = b"\xEF\xBB\xBF".to_vec();
        bom.extend_from_slice(doc.as_bytes());
        assert_eq!(text(&bom), Ok((doc.into(), Encoding::Utf8)));

        let le: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain(doc.encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        assert_eq!(text(&le), Ok((doc.into(), Encoding::Utf16Le)));
        let be: Vec<u8> = [0xFE, 0xFF]
            .into_iter()
            .chain(doc.encode_utf16().flat_map(u16::to_be_bytes))
            .collect();
        assert_eq!(text(&be), Ok((doc.into(), Encoding::Utf16Be)));
        let bare: Vec<u8> = doc.encode_utf16().flat_map(u16::to_le_bytes).collect();
        assert_eq!(text(&bare), Ok((doc.into(), Encoding::Utf16Le)));

        let latin = b"<?xml version=\"1.0\" encoding=\"iso-8859-1\"?><a>\xE9\x80</a>";
        assert_eq!(
            text(latin),
            Ok((
                "<?xml version=\"1.0\" encoding=\"iso-8859-1\"?><a>é\u{80}</a>".into(),
                Encoding::Latin1
            ))
        );
        let win = b"<?xml version='1.0' encoding = 'Windows-1252' ?><a>\xE9\x80\x81</a>";
        assert_eq!(
            text(win).map(|(t, _)| t.ends_with("<a>é€\u{81}</a>")),
            Ok(true)
        );
        assert_eq!(
            text(b"<?xml version='1.0' encoding='LATIN1'?><a/>").map(|(_, e)| e),
            Ok(Encoding::Latin1)
        );
    }

    #[test]
    fn refusals() {
        assert_eq!(
            text(b"<?xml version='1.0' encoding='koi8-r'?><a/>"),
            Err(Error::UnsupportedEncoding("koi8-r".into()))
        );
        assert!(matches!(
            text(b"<?xml version='1.0' encoding='utf-16'?><a/>"),
            Err(Error::WrongEncoding { .. })
        ));
        assert_eq!(text(b"<a>\xE9</a>"), Err(Error::InvalidUtf8 { offset: 3 }));
        assert_eq!(
            text(b"\xEF\xBB\xBF<a>\xE9</a>"),
            Err(Error::InvalidUtf8 { offset: 6 })
        );
        assert!(matches!(
            text(&[0xFF, 0xFE, b'<', 0, b'a']),
            Err(Error::InvalidUtf16 { .. })
        ));
        // An unpaired surrogate.
        assert!(matches!(
            text(&[0xFF, 0xFE, b'<', 0, 0x00, 0xD8, b'>', 0]),
            Err(Error::InvalidUtf16 { .. })
        ));
    }

    #[test]
    fn only_xml_chars_pass() {
        for ok in [
            "",
            "plain",
            "tab\tlf\ncr\r",
            "\u{7F}\u{80}\u{9F}é€😀\u{FFFD}\u{EFFF}",
        ] {
            assert_eq!(check_chars(ok), Ok(()), "{ok:?}");
        }
        // Every position within and across the eight-byte words.
        for len in 0..20 {
            for at in 0..=len {
                for (bad, code) in [
                    ("\u{1B}", 0x1B),
                    ("\0", 0),
                    ("\u{FFFE}", 0xFFFE),
                    ("\u{FFFF}", 0xFFFF),
                ] {
                    let s = format!("{}{bad}{}", "a".repeat(at), "b".repeat(len - at));
                    assert_eq!(
                        check_chars(&s),
                        Err(Error::InvalidChar { offset: at, code }),
                        "{s:?}"
                    );
                }
            }
        }
        // Latin-1 text goes through the same check after conversion.
        assert!(matches!(
            text(b"<?xml version='1.0' encoding='latin1'?><a>\x1B</a>"),
            Err(Error::InvalidChar { code: 0x1B, .. })
        ));
    }
}
