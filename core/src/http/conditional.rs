//! Conditional requests (RFC 9110 §13): entity tags, the preconditions `If-Match`,
//! `If-Unmodified-Since`, `If-None-Match` and `If-Modified-Since` evaluated in the RFC's
//! order, and `If-Range`, for a representation whose validators the caller knows.
//!
//! ```
//! use std::time::{Duration, UNIX_EPOCH};
//! use netloom_core::http::conditional::{evaluate, Outcome, Validators};
//! use netloom_core::http::Headers;
//!
//! let v = Validators {
//!     etag: Some("\"v1\""),
//!     last_modified: Some(UNIX_EPOCH + Duration::from_secs(784_111_777)),
//! };
//! let h = Headers::new().with("If-None-Match", "\"v0\", \"v1\"");
//! assert_eq!(evaluate("GET", &h, &v), Outcome::NotModified);
//! let h = Headers::new().with("If-Modified-Since", "Sun, 06 Nov 1994 08:49:37 GMT");
//! assert_eq!(evaluate("HEAD", &h, &v), Outcome::NotModified);
//! let h = Headers::new().with("If-Match", "\"v2\"");
//! assert_eq!(evaluate("GET", &h, &v), Outcome::PreconditionFailed);
//! ```

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::{date, Headers};

/// What the caller knows of the selected representation.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Validators<'a> {
    /// Its strong entity tag, quotes included (`"abc"`), if it has one.
    pub etag: Option<&'a str>,
    /// When it last changed (compared to the second, as HTTP dates are).
    pub last_modified: Option<SystemTime>,
}

/// What the preconditions say to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Go on with the request.
    Proceed,
    /// `304 Not Modified` (GET and HEAD only).
    NotModified,
    /// `412 Precondition Failed`.
    PreconditionFailed,
}

/// Evaluates a request's preconditions in the order of RFC 9110 §13.2.2. A field whose
/// value cannot be read (a date that is not an HTTP date) is ignored, as the RFC says.
pub fn evaluate(method: &str, headers: &Headers, v: &Validators<'_>) -> Outcome {
    let safe = method == "GET" || method == "HEAD";
    if let Some(list) = joined(headers, "If-Match") {
        if !matches_any(&list, v.etag, true) {
            return Outcome::PreconditionFailed;
        }
    } else if let (Some(since), Some(modified)) = (
        headers.get("If-Unmodified-Since").and_then(date::parse),
        v.last_modified,
    ) {
        if seconds(modified) > seconds(since) {
            return Outcome::PreconditionFailed;
        }
    }
    if let Some(list) = joined(headers, "If-None-Match") {
        if matches_any(&list, v.etag, false) {
            return if safe {
                Outcome::NotModified
            } else {
                Outcome::PreconditionFailed
            };
        }
    } else if let (true, Some(since), Some(modified)) = (
        safe,
        headers.get("If-Modified-Since").and_then(date::parse),
        v.last_modified,
    ) {
        if seconds(modified) <= seconds(since) {
            return Outcome::NotModified;
        }
    }
    Outcome::Proceed
}

/// Whether a `Range` may be honoured under the request's `If-Range` (RFC 9110 §13.1.5):
/// true without the field; with an entity tag, when it strongly matches ours; with a date,
/// when it is exactly our `Last-Modified`. Otherwise the whole representation is sent.
pub fn if_range_holds(headers: &Headers, v: &Validators<'_>) -> bool {
    let Some(value) = headers.get("If-Range") else {
        return true;
    };
    let value = value.trim_ascii();
    if value.starts_with(b"\"") || value.starts_with(b"W/") {
        return matches!(tag(value), Some((false, t, _)) if v.etag.is_some_and(|ours| strong(ours) == Some(t)));
    }
    match (date::parse(value), v.last_modified) {
        (Some(d), Some(m)) => seconds(d) == seconds(m),
        _ => false,
    }
}

/// All fields of `name` joined as one list, or `None` without any.
fn joined(headers: &Headers, name: &str) -> Option<Vec<u8>> {
    let mut out: Option<Vec<u8>> = None;
    for v in headers.get_all(name) {
        let list = out.get_or_insert_with(Vec::new);
        if !list.is_empty() {
            list.push(b',');
        }
        list.extend_from_slice(v);
    }
    out
}

/// Whether an `If-Match` / `If-None-Match` list (`*` or entity tags) matches `ours`:
/// `*` matches any current representation; otherwise strong or weak comparison.
fn matches_any(list: &[u8], ours: Option<&str>, strong_cmp: bool) -> bool {
    let Some(ours) = ours else {
        return false;
    };
    let Some(our_tag) = strong(ours) else {
        return false;
    };
    let mut rest = list.trim_ascii();
    if rest == b"*" {
        return true;
    }
    while !rest.is_empty() {
        let Some((weak, t, after)) = tag(rest) else {
            // Not a list of entity tags: nothing matches.
            return false;
        };
        if t == our_tag && !(strong_cmp && weak) {
            return true;
        }
        rest = after.trim_ascii_start();
        match rest.split_first() {
            Some((b',', after)) => rest = after.trim_ascii_start(),
            Some(_) => return false,
            None => {}
        }
        // Empty list elements.
        while let Some((b',', after)) = rest.split_first() {
            rest = after.trim_ascii_start();
        }
    }
    false
}

/// One entity tag at the start of `s`: whether it is weak, its opaque tag (quotes
/// included) and what follows.
fn tag(s: &[u8]) -> Option<(bool, &[u8], &[u8])> {
    let (weak, s) = match s.strip_prefix(b"W/") {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    if s.first() != Some(&b'"') {
        return None;
    }
    let close = s[1..].iter().position(|&b| b == b'"')? + 1;
    let opaque = &s[..=close];
    // etagc: %x21 / %x23-7E / obs-text.
    if opaque[1..close]
        .iter()
        .any(|&b| b < 0x21 || b == 0x7F || b == b'"')
    {
        return None;
    }
    Some((weak, opaque, &s[close + 1..]))
}

/// Our tag's opaque part, if it is a well-formed strong tag.
fn strong(ours: &str) -> Option<&[u8]> {
    match tag(ours.as_bytes()) {
        Some((false, t, [])) => Some(t),
        _ => None,
    }
}

fn seconds(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_secs()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v() -> Validators<'static> {
        Validators {
            etag: Some("\"abc\""),
            last_modified: Some(UNIX_EPOCH + Duration::from_millis(784_111_777_500)),
        }
    }

    const DATE: &str = "Sun, 06 Nov 1994 08:49:37 GMT";
    const EARLIER: &str = "Sun, 06 Nov 1994 08:49:36 GMT";

    fn eval(method: &str, fields: &[(&str, &str)]) -> Outcome {
        let mut h = Headers::new();
        for (n, val) in fields {
            h.push(n, val);
        }
        evaluate(method, &h, &v())
    }

    #[test]
    fn preconditions_in_rfc_order() {
        use Outcome::*;
        assert_eq!(eval("GET", &[]), Proceed);
        assert_eq!(eval("GET", &[("If-None-Match", "\"abc\"")]), NotModified);
        assert_eq!(eval("GET", &[("If-None-Match", "W/\"abc\"")]), NotModified);
        assert_eq!(
            eval("GET", &[("If-None-Match", "\"x\", \"abc\"")]),
            NotModified
        );
        assert_eq!(
            eval(
                "GET",
                &[("If-None-Match", "\"x\""), ("If-None-Match", "\"abc\"")]
            ),
            NotModified
        );
        assert_eq!(eval("GET", &[("If-None-Match", "*")]), NotModified);
        assert_eq!(eval("GET", &[("If-None-Match", "\"abcd\"")]), Proceed);
        assert_eq!(eval("GET", &[("If-None-Match", "abc")]), Proceed);
        assert_eq!(
            eval("POST", &[("If-None-Match", "\"abc\"")]),
            PreconditionFailed
        );
        // If-None-Match wins over If-Modified-Since.
        assert_eq!(
            eval(
                "GET",
                &[("If-None-Match", "\"x\""), ("If-Modified-Since", DATE)]
            ),
            Proceed
        );
        assert_eq!(eval("GET", &[("If-Modified-Since", DATE)]), NotModified);
        assert_eq!(eval("HEAD", &[("If-Modified-Since", DATE)]), NotModified);
        assert_eq!(eval("GET", &[("If-Modified-Since", EARLIER)]), Proceed);
        assert_eq!(eval("GET", &[("If-Modified-Since", "garbage")]), Proceed);
        assert_eq!(eval("POST", &[("If-Modified-Since", DATE)]), Proceed);
        // If-Match uses strong comparison.
        assert_eq!(eval("GET", &[("If-Match", "\"abc\"")]), Proceed);
        assert_eq!(eval("GET", &[("If-Match", "*")]), Proceed);
        assert_eq!(
            eval("GET", &[("If-Match", "W/\"abc\"")]),
            PreconditionFailed
        );
        assert_eq!(eval("GET", &[("If-Match", "\"x\"")]), PreconditionFailed);
        assert_eq!(
            eval("GET", &[("If-Unmodified-Since", EARLIER)]),
            PreconditionFailed
        );
        assert_eq!(eval("GET", &[("If-Unmodified-Since", DATE)]), Proceed);
        // If-Match present: If-Unmodified-Since is not looked at.
        assert_eq!(
            eval(
                "GET",
                &[("If-Match", "\"abc\""), ("If-Unmodified-Since", EARLIER)]
            ),
            Proceed
        );
        let none = Validators::default();
        assert_eq!(
            evaluate("GET", &Headers::new().with("If-None-Match", "*"), &none),
            Proceed
        );
        assert_eq!(
            evaluate("GET", &Headers::new().with("If-Match", "*"), &none),
            PreconditionFailed
        );
    }

    #[test]
    fn if_range() {
        let h = |val: &str| Headers::new().with("If-Range", val);
        assert!(if_range_holds(&Headers::new(), &v()));
        assert!(if_range_holds(&h("\"abc\""), &v()));
        assert!(!if_range_holds(&h("W/\"abc\""), &v()));
        assert!(!if_range_holds(&h("\"abd\""), &v()));
        assert!(if_range_holds(&h(DATE), &v()));
        assert!(!if_range_holds(&h(EARLIER), &v()));
        assert!(!if_range_holds(&h("not a date"), &v()));
    }
}
