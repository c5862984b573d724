//! A request target's parts (RFC 9112 §3.2): the path and the query, raw and decoded.
//!
//! Decoding follows what servers do with them: the path is percent-decoded (`+` stays `+`),
//! and a decoded path that is not UTF-8, has a bad escape or a NUL is refused (a file server
//! answers 400 or 404 to it); the query is read as a form (`application/x-www-form-urlencoded`,
//! as Python's `parse_qsl` and the `url` crate read it: pairs split on `&`, `+` is a space, bad escapes are kept
//! as they are, bytes that are not UTF-8 become U+FFFD).
//!
//! ```
//! use netloom_core::http::Request;
//!
//! let req = Request::new("GET", "/caf%C3%A9/menu?dish=cr%C3%AApe+sucr%C3%A9e&n=2&n=3");
//! assert_eq!(req.path(), "/caf%C3%A9/menu");
//! assert_eq!(req.decoded_path().as_deref(), Some("/café/menu"));
//! assert_eq!(req.query(), Some("dish=cr%C3%AApe+sucr%C3%A9e&n=2&n=3"));
//! assert_eq!(req.query_param("dish").as_deref(), Some("crêpe sucrée"));
//! let n: Vec<_> = req.query_pairs().filter(|(k, _)| k == "n").map(|(_, v)| v).collect();
//! assert_eq!(n, ["2", "3"]);
//! ```

use std::borrow::Cow;

/// The path and query of a request target: `/p?q` (origin form), `http://h/p?q` (absolute
/// form: the path after the authority, `/` when it has none), `*` or `host:port` (their own
/// path, no query).
pub(crate) fn split(target: &str) -> (&str, Option<&str>) {
    let rest = match target.find("://") {
        Some(i) if !target[..i].contains(['/', '?']) => {
            let after = &target[i + 3..];
            match after.find(['/', '?']) {
                Some(j) => &after[j..],
                None => "",
            }
        }
        _ => target,
    };
    let (path, query) = match rest.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (rest, None),
    };
    let path = path.split_once('#').map_or(path, |(p, _)| p);
    let query = query.map(|q| q.split_once('#').map_or(q, |(q, _)| q));
    (if path.is_empty() { "/" } else { path }, query)
}

/// The bytes `s` stands for, with `%XX` escapes decoded; `None` for a bad escape or a NUL
/// (which no path or file name holds).
pub fn percent_decode(s: &str) -> Option<Cow<'_, [u8]>> {
    let bytes = s.as_bytes();
    if !bytes.contains(&b'%') {
        return (!bytes.contains(&0)).then_some(Cow::Borrowed(bytes));
    }
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hi = bytes.get(i + 1).and_then(|&b| hex(b))?;
            let lo = bytes.get(i + 2).and_then(|&b| hex(b))?;
            out.push(hi << 4 | lo);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    (!out.contains(&0)).then_some(Cow::Owned(out))
}

/// The percent-decoded path as text; `None` when it does not decode to UTF-8 without NULs.
pub(crate) fn decode_path(path: &str) -> Option<Cow<'_, str>> {
    match percent_decode(path)? {
        Cow::Borrowed(_) => Some(Cow::Borrowed(path)),
        Cow::Owned(bytes) => String::from_utf8(bytes).ok().map(Cow::Owned),
    }
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// The `name=value` pairs of a query, decoded as a form (see the [module](self) docs), in
/// order; made by [`Request::query_pairs`](super::Request::query_pairs).
#[derive(Debug, Clone)]
pub struct QueryPairs<'a> {
    rest: Option<&'a str>,
}

impl<'a> QueryPairs<'a> {
    pub(crate) fn new(query: Option<&'a str>) -> Self {
        QueryPairs { rest: query }
    }
}

impl<'a> Iterator for QueryPairs<'a> {
    type Item = (Cow<'a, str>, Cow<'a, str>);

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let rest = self.rest?;
            let (pair, more) = match rest.find('&') {
                Some(i) => (&rest[..i], Some(&rest[i + 1..])),
                None => (rest, None),
            };
            self.rest = more;
            if pair.is_empty() {
                continue;
            }
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            return Some((form_decode(name), form_decode(value)));
        }
    }
}

/// One form-encoded component: `+` is a space, `%XX` a byte, bad escapes stay as written,
/// and bytes that are not UTF-8 become U+FFFD.
fn form_decode(s: &str) -> Cow<'_, str> {
    if !s.contains(['%', '+']) {
        return Cow::Borrowed(s);
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => match (
                bytes.get(i + 1).and_then(|&b| hex(b)),
                bytes.get(i + 2).and_then(|&b| hex(b)),
            ) {
                (Some(hi), Some(lo)) => {
                    out.push(hi << 4 | lo);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    Cow::Owned(String::from_utf8_lossy(&out).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_split_into_path_and_query() {
        assert_eq!(split("/a/b?x=1"), ("/a/b", Some("x=1")));
        assert_eq!(split("/a/b"), ("/a/b", None));
        assert_eq!(split("/?"), ("/", Some("")));
        assert_eq!(split("http://h:80/p?q=1"), ("/p", Some("q=1")));
        assert_eq!(split("http://h:80"), ("/", None));
        assert_eq!(split("http://h?q"), ("/", Some("q")));
        assert_eq!(split("*"), ("*", None));
        assert_eq!(split("/a?b=c://d"), ("/a", Some("b=c://d")));
        assert_eq!(split("/p#frag"), ("/p", None));
    }

    #[test]
    fn paths_decode_strictly() {
        assert_eq!(decode_path("/a%20b").as_deref(), Some("/a b"));
        assert_eq!(decode_path("/a+b").as_deref(), Some("/a+b"));
        assert!(matches!(
            decode_path("/plain"),
            Some(Cow::Borrowed("/plain"))
        ));
        assert_eq!(decode_path("/%FF"), None);
        assert_eq!(decode_path("/a%2"), None);
        assert_eq!(decode_path("/a%zz"), None);
        assert_eq!(decode_path("/a%00b"), None);
        assert_eq!(percent_decode("/%FF").as_deref(), Some(&b"/\xFF"[..]));
    }

    #[test]
    fn queries_decode_as_forms() {
        let pairs: Vec<_> = QueryPairs::new(Some("a=1&b=x+y&&c&d=%41%zz&e=%FF&f=2=3;g"))
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        let want = [
            ("a", "1"),
            ("b", "x y"),
            ("c", ""),
            ("d", "A%zz"),
            ("e", "\u{FFFD}"),
            ("f", "2=3;g"),
        ];
        assert_eq!(pairs.len(), want.len());
        for ((k, v), (wk, wv)) in pairs.iter().zip(want) {
            assert_eq!((k.as_str(), v.as_str()), (wk, wv));
        }
        assert_eq!(QueryPairs::new(None).count(), 0);
    }
}
