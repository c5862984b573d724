//! Text from the network made safe for a terminal: control characters escaped, long
//! messages clipped with their size.
//!
//! A fault string, a reason phrase or a header can carry `ESC ] 0 ; … BEL` (retitles the
//! window), `ESC [ 2 J` (clears the screen) or a newline that forges a second `netloom:`
//! line. Everything the CLI prints that came from a peer goes through [`escape`] or
//! [`clip`] first.

use std::fmt::Write as _;

/// The most bytes of a message [`clip`] keeps.
pub const MESSAGE_BYTES: usize = 1024;

/// Escapes `bytes` for a terminal, the way Python's `http.server` escapes its log messages:
/// C0 controls, DEL and C1 controls become `\xNN`, a backslash becomes `\\`; bytes that are
/// not UTF-8 become `\xNN`; bidirectional overrides and line separators (which reorder or
/// break what a reader sees) become `\u{NNNN}`. Everything else is kept.
///
/// ```text
/// escape(b"\x1b]0;pwned\x07") == r"\x1b]0;pwned\x07"
/// ```
pub fn escape(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    push_escaped(&mut out, bytes);
    out
}

/// [`escape`] of at most [`MESSAGE_BYTES`] of `text`; a longer one ends with
/// `… [N bytes]`, so an 8 MiB fault string is one readable line that says how long it was.
pub fn clip(text: &str) -> String {
    clip_bytes(text.as_bytes(), MESSAGE_BYTES)
}

/// [`escape`] of at most `max` bytes of `bytes`, cut at a character boundary, then
/// `… [N bytes]` if anything was cut.
pub fn clip_bytes(bytes: &[u8], max: usize) -> String {
    if bytes.len() <= max {
        return escape(bytes);
    }
    let mut cut = max;
    // Do not split a UTF-8 sequence: back up over continuation bytes.
    while cut > 0 && (bytes[cut] & 0xC0) == 0x80 {
        cut -= 1;
    }
    let mut out = escape(&bytes[..cut]);
    let _ = write!(out, "… [{} bytes]", bytes.len());
    out
}

/// Like [`clip_bytes`], but newlines are kept as line breaks (for showing a document):
/// each line is escaped on its own.
pub fn clip_lines(bytes: &[u8], max: usize) -> String {
    let cut = &bytes[..bytes.len().min(max)];
    let mut out = cut
        .split(|&b| b == b'\n')
        .map(escape)
        .collect::<Vec<_>>()
        .join("\n");
    if bytes.len() > max {
        let _ = write!(out, "… [{} bytes]", bytes.len());
    }
    out
}

/// [`escape`] of `bytes`, appended to `out`.
pub fn push_escaped(out: &mut String, mut bytes: &[u8]) {
    if bytes
        .iter()
        .all(|&b| (b' '..=b'~').contains(&b) && b != b'\\')
    {
        // Printable ASCII (nearly every request line): nothing to escape.
        out.push_str(std::str::from_utf8(bytes).unwrap_or_default());
        return;
    }
    loop {
        match std::str::from_utf8(bytes) {
            Ok(text) => {
                push_str(out, text);
                return;
            }
            Err(e) => {
                let (good, rest) = bytes.split_at(e.valid_up_to());
                // `good` is valid by construction.
                push_str(out, std::str::from_utf8(good).unwrap_or_default());
                let bad = e.error_len().unwrap_or(rest.len());
                for b in &rest[..bad] {
                    let _ = write!(out, "\\x{b:02x}");
                }
                bytes = &rest[bad..];
            }
        }
    }
}

fn push_str(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\0'..='\x1f' | '\x7f'..='\u{9f}' => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            '\u{200e}'
            | '\u{200f}'
            | '\u{2028}'
            | '\u{2029}'
            | '\u{202a}'..='\u{202e}'
            | '\u{2066}'..='\u{2069}' => {
                let _ = write!(out, "\\u{{{:04x}}}", c as u32);
            }
            _ => out.push(c),
        }
    }
}

/// True for a character [`escape`] would rewrite: what a JSON or terminal writer must not
/// pass through raw.
pub fn is_unsafe(c: char) -> bool {
    matches!(c,
        '\\' | '\0'..='\x1f' | '\x7f'..='\u{9f}' | '\u{200e}' | '\u{200f}' | '\u{2028}'
        | '\u{2029}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_are_escaped_and_text_is_kept() {
        assert_eq!(
            escape(b"\x1b]0;pwned\x07\x1b[2J\nnetloom: x"),
            r"\x1b]0;pwned\x07\x1b[2J\x0anetloom: x"
        );
        assert_eq!(escape("héllo wörld".as_bytes()), "héllo wörld");
        assert_eq!(escape(b"a\\b"), r"a\\b");
        assert_eq!(escape("\u{9b}31m".as_bytes()), r"\x9b31m");
        assert_eq!(escape(b"\x9b31m\xff"), r"\x9b31m\xff");
        assert_eq!(escape("a\u{202e}b".as_bytes()), r"a\u{202e}b");
    }

    #[test]
    fn long_text_is_clipped_with_its_size() {
        let long = "é".repeat(600); // 1200 bytes
        let clipped = clip(&long);
        assert!(clipped.ends_with("… [1200 bytes]"), "{clipped}");
        assert!(clipped.len() < 1100);
        assert_eq!(clip("short"), "short");
        assert_eq!(clip_lines(b"<a>\n\x1b</a>", 100), "<a>\n\\x1b</a>");
        assert_eq!(clip_lines(b"abcdef", 3), "abc… [6 bytes]");
    }
}
