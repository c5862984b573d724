//! A static file [`Handler`], like `python3 -m http.server` and then some: files with their
//! length and type, `HEAD`, directory listings, `404`, no way out of the served directory,
//! and what caches and download managers need: `Last-Modified` and a strong `ETag` with
//! `If-Modified-Since` / `If-None-Match` (`304`), `If-Match` / `If-Unmodified-Since`
//! (`412`), and one byte range (`206`, `416`, `If-Range`) streamed from the file.
//!
//! Paths are read as CPython's server reads them: percent-decoded to bytes (so a file name
//! that is not UTF-8 is served from the percent-encoded link the listing gives it), `.` and
//! `..` resolved (a `..` that stays inside the root is fine, one that would leave it is
//! `403`), and a file asked for with a trailing `/` is `404`.
//!
//! Fast as nginx: file bodies go out as [`Body::File`] ranges, which the runtimes send with
//! `sendfile`; and a file already served is answered from a cache of open files on the
//! runtime's I/O thread ([`Handler::try_handle`]), with one `stat` to make sure it is still
//! the same file, so it needs no worker thread. A file that changed or disappeared since is
//! served fresh, never from the cache (the `cache` module decides).

mod cache;

use std::ffi::OsString;
use std::fs::{self, File, Metadata};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use netloom_core::http::conditional::{self, Outcome, Validators};
use netloom_core::http::range::{self, Ranges};
use netloom_core::http::server::{Attempt, Body, Handler, IncomingRequest, OutgoingResponse};
use netloom_core::http::target::percent_decode;
use netloom_core::http::{date, Headers};
use netloom_core::FileRange;

use cache::{FileCache, Identity, Source, SMALL_FILE};

/// Serves the files under one directory. Clones share one cache.
#[derive(Debug, Clone)]
pub struct StaticFiles {
    root: PathBuf,
    cache: Arc<FileCache<Described>>,
}

impl StaticFiles {
    /// Serves `root`. Fails if it is not a readable directory.
    pub fn new(root: impl AsRef<Path>) -> std::io::Result<Self> {
        let root = fs::canonicalize(root)?;
        if !root.is_dir() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!("{} is not a directory", root.display()),
            ));
        }
        Ok(StaticFiles {
            root,
            cache: Arc::default(),
        })
    }

    /// The directory served.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// How many requests were answered from the cache of open files so far (on the I/O
    /// thread, without a worker).
    pub fn cache_hits(&self) -> u64 {
        self.cache.hits()
    }

    /// Maps a request path to a file under the root, or `None` when it would leave it (or
    /// does not decode).
    fn resolve(&self, url_path: &str) -> Option<PathBuf> {
        let decoded = percent_decode(url_path)?;
        // `.` and `..` resolved lexically, as CPython's `posixpath.normpath`, but a `..`
        // above the root is refused rather than clamped.
        let mut parts: Vec<&[u8]> = Vec::new();
        for part in decoded.split(|&b| b == b'/') {
            match part {
                b"" | b"." => {}
                b".." => {
                    parts.pop()?;
                }
                _ => parts.push(part),
            }
        }
        let mut path = self.root.clone();
        for part in parts {
            path.push(os_name(part)?);
        }
        // Symlinks may still point outside: judge the real path.
        match fs::canonicalize(&path) {
            Ok(real) if real.starts_with(&self.root) => Some(real),
            Ok(_) => None,
            Err(_) => Some(path), // does not exist: a 404 later
        }
    }
}

/// A path component from its bytes: any bytes on Unix, UTF-8 elsewhere. A separator or a
/// drive prefix inside one component could name another place: refused.
fn os_name(part: &[u8]) -> Option<OsString> {
    if part.contains(&b'\\') && cfg!(windows) {
        return None;
    }
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStringExt;
        Some(OsString::from_vec(part.to_vec()))
    }
    #[cfg(not(unix))]
    {
        let s = std::str::from_utf8(part).ok()?;
        if s.contains(':') {
            return None;
        }
        Some(OsString::from(s))
    }
}

/// A file name's bytes (lossy away from Unix, where names are Unicode anyway).
fn name_bytes(name: &std::ffi::OsStr) -> Vec<u8> {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        name.as_bytes().to_vec()
    }
    #[cfg(not(unix))]
    {
        name.to_string_lossy().into_owned().into_bytes()
    }
}

impl Handler for StaticFiles {
    /// A `GET` or `HEAD` of a file in the cache, still the same at its path: answered at
    /// once, with one `stat`. Anything else goes to [`handle`](Handler::handle).
    fn try_handle(&self, req: IncomingRequest) -> Attempt {
        let method = req.head.method();
        if method != "GET" && method != "HEAD" {
            return Attempt::Declined(req);
        }
        let target = origin_form(req.head.target());
        let path_part = target.split(['?', '#']).next().unwrap_or("/");
        match self.cache.get(path_part) {
            Some(entry) => Attempt::Answered(respond(
                &entry.value,
                &entry.source,
                method,
                req.head.headers(),
            )),
            None => Attempt::Declined(req),
        }
    }

    fn handle(&self, req: IncomingRequest) -> OutgoingResponse {
        // Where handlers run inline, the cache answers here.
        let req = match self.try_handle(req) {
            Attempt::Answered(response) => return response,
            Attempt::Declined(req) => req,
        };
        let method = req.head.method();
        if method != "GET" && method != "HEAD" {
            return OutgoingResponse::text(501, format!("Unsupported method ({method})\n"))
                .header("Allow", "GET, HEAD");
        }
        let target = origin_form(req.head.target());
        let path_part = target.split(['?', '#']).next().unwrap_or("/");
        if !path_part.starts_with('/') {
            return OutgoingResponse::text(400, "Bad request target\n");
        }
        let Some(path) = self.resolve(path_part) else {
            return OutgoingResponse::text(403, "Forbidden: path outside the served directory\n");
        };
        let Ok(meta) = fs::metadata(&path) else {
            return OutgoingResponse::text(404, "File not found\n");
        };
        if meta.is_dir() {
            if !path_part.ends_with('/') {
                // Relative links in the listing need the trailing slash.
                let query = &target[path_part.len()..];
                return OutgoingResponse::new(301)
                    .header("Location", format!("{path_part}/{query}"))
                    .header("Content-Length", "0");
            }
            let index = path.join("index.html");
            if index.is_file() {
                return self.serve_file(&index, None, method, req.head.headers());
            }
            return listing(&path, path_part);
        }
        if path_part.ends_with('/') {
            // A file is not a directory (CPython answers the same).
            return OutgoingResponse::text(404, "File not found\n");
        }
        self.serve_file(&path, Some(path_part), method, req.head.headers())
    }
}

impl StaticFiles {
    /// Serves the file at `path` (under the root), and caches it for requests to `key`.
    fn serve_file(
        &self,
        path: &Path,
        key: Option<&str>,
        method: &str,
        headers: &Headers,
    ) -> OutgoingResponse {
        let read_at = SystemTime::now();
        let (mut file, meta) = match File::open(path).and_then(|f| f.metadata().map(|m| (f, m))) {
            Ok(opened) => opened,
            Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
                return OutgoingResponse::text(403, "Forbidden\n")
            }
            Err(_) => return OutgoingResponse::text(404, "File not found\n"),
        };
        let described = Described {
            validators: FileValidators::of(&meta),
            len: meta.len(),
            kind: content_type(path),
        };
        let source = match Identity::of(&meta) {
            // Small enough to keep: its bytes (all of them, or it changed while read).
            Some(_) if meta.len() <= SMALL_FILE => {
                let mut bytes = Vec::with_capacity(meta.len() as usize);
                match (&mut file).take(meta.len() + 1).read_to_end(&mut bytes) {
                    Ok(n) if n as u64 == meta.len() => Source::Bytes(bytes.into()),
                    _ => Source::File(Arc::new(file)),
                }
            }
            _ => Source::File(Arc::new(file)),
        };
        let response = respond(&described, &source, method, headers);
        if let (Some(key), Some(id)) = (key, Identity::of(&meta)) {
            let cached = matches!(source, Source::Bytes(_)) || meta.len() > SMALL_FILE;
            if cached {
                self.cache
                    .insert(key, path.to_owned(), id, read_at, described, source);
            }
        }
        response
    }
}

/// The path-and-query part of a request target: servers must accept the absolute form
/// (`http://host/path`, RFC 9112 §3.2.2) as well as the usual origin form.
fn origin_form(target: &str) -> &str {
    let lower = target.get(..8).map(|p| p.to_ascii_lowercase());
    let rest = match lower.as_deref() {
        Some(p) if p.starts_with("http://") => &target[7..],
        Some("https://") => &target[8..],
        _ => return target,
    };
    match rest.find(['/', '?']) {
        Some(i) if rest.as_bytes()[i] == b'/' => &rest[i..],
        Some(_) | None => "/",
    }
}

/// A file's validators: its modification time to the second, and a strong entity tag made
/// of its modification time (to the nanosecond) and size, so any change to it that the file
/// system records changes the tag.
#[derive(Debug)]
struct FileValidators {
    etag: String,
    modified: Option<SystemTime>,
    /// `modified` as an HTTP date.
    last_modified: Option<String>,
}

impl FileValidators {
    fn of(meta: &Metadata) -> FileValidators {
        let modified = meta.modified().ok();
        let since = modified
            .and_then(|m| m.duration_since(UNIX_EPOCH).ok())
            .unwrap_or_default();
        FileValidators {
            etag: format!(
                "\"{:x}-{:x}-{:x}\"",
                since.as_secs(),
                since.subsec_nanos(),
                meta.len()
            ),
            modified,
            last_modified: modified.map(date::format),
        }
    }

    fn as_validators(&self) -> Validators<'_> {
        Validators {
            etag: Some(&self.etag),
            last_modified: self.modified,
        }
    }

    /// `ETag`, `Last-Modified` and `Accept-Ranges` on `resp`.
    fn describe(&self, mut resp: OutgoingResponse) -> OutgoingResponse {
        resp = resp.header("ETag", &self.etag);
        if let Some(m) = &self.last_modified {
            resp = resp.header("Last-Modified", m);
        }
        resp.header("Accept-Ranges", "bytes")
    }
}

/// What answering for one version of a file needs beside its body.
#[derive(Debug)]
struct Described {
    validators: FileValidators,
    len: u64,
    kind: &'static str,
}

/// The response to `method` with `headers` for a file described by `d`, its body from
/// `source`.
fn respond(d: &Described, source: &Source, method: &str, headers: &Headers) -> OutgoingResponse {
    let v = &d.validators;
    match conditional::evaluate(method, headers, &v.as_validators()) {
        Outcome::Proceed => {}
        Outcome::NotModified => return v.describe(OutgoingResponse::new(304)),
        Outcome::PreconditionFailed => return OutgoingResponse::text(412, "Precondition Failed\n"),
    }
    let ranges = match headers.get("Range") {
        Some(value) if conditional::if_range_holds(headers, &v.as_validators()) => {
            range::byte_range(value, d.len)
        }
        _ => Ranges::Whole,
    };
    let body = |start: u64, len: u64| match source {
        // Within the bytes: they are the file's whole length.
        Source::Bytes(bytes) => Body::Full(bytes[start as usize..(start + len) as usize].to_vec()),
        Source::File(file) => Body::File(FileRange::new(Arc::clone(file), start, len)),
    };
    let response = |status: u16, body: Body| OutgoingResponse {
        body,
        ..OutgoingResponse::new(status).header("Content-Type", d.kind)
    };
    match ranges {
        Ranges::Whole => v.describe(response(200, body(0, d.len))),
        Ranges::One { start, end } => v
            .describe(response(206, body(start, end - start + 1)))
            .header("Content-Range", range::content_range(start, end, d.len)),
        Ranges::Unsatisfiable => v
            .describe(OutgoingResponse::text(416, "Range Not Satisfiable\n"))
            .header("Content-Range", range::unsatisfied_range(d.len)),
    }
}

fn listing(dir: &Path, url_path: &str) -> OutgoingResponse {
    let Ok(entries) = fs::read_dir(dir) else {
        return OutgoingResponse::text(403, "No permission to list directory\n");
    };
    let mut names: Vec<(Vec<u8>, bool)> = entries
        .filter_map(|e| e.ok())
        .map(|e| {
            let is_dir = e.file_type().map(|t| t.is_dir()).unwrap_or(false);
            (name_bytes(&e.file_name()), is_dir)
        })
        .collect();
    names.sort_by_key(|(n, _)| String::from_utf8_lossy(n).to_lowercase());
    let shown_path =
        String::from_utf8_lossy(&percent_decode(url_path).unwrap_or_default()).into_owned();
    let title = format!("Directory listing for {}", html_escape(&shown_path));
    let mut html = format!(
        "<!DOCTYPE HTML>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{title}</title>\n</head>\n<body>\n<h1>{title}</h1>\n<hr>\n<ul>\n"
    );
    for (mut name, is_dir) in names {
        if is_dir {
            name.push(b'/');
        }
        // The link carries the name's exact bytes; the text shows it readably.
        html.push_str(&format!(
            "<li><a href=\"{}\">{}</a></li>\n",
            percent_encode(&name),
            html_escape(&String::from_utf8_lossy(&name))
        ));
    }
    html.push_str("</ul>\n<hr>\n</body>\n</html>\n");
    OutgoingResponse::bytes(200, "text/html; charset=utf-8", html.into_bytes())
}

/// The content type for a file name, by extension (as `mimetypes` would guess).
pub fn content_type(path: &Path) -> &'static str {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(|e| e.to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "html" | "htm" => "text/html",
        "xhtml" => "application/xhtml+xml",
        "txt" | "text" | "log" | "rs" | "toml" | "ini" | "conf" | "srt" => "text/plain",
        "md" | "markdown" => "text/markdown",
        "py" => "text/x-python",
        "sh" => "text/x-sh",
        "c" => "text/x-csrc",
        "h" => "text/x-chdr",
        "css" => "text/css",
        "csv" => "text/csv",
        "tsv" => "text/tab-separated-values",
        "ics" => "text/calendar",
        "vtt" => "text/vtt",
        "js" | "mjs" => "text/javascript",
        "json" | "map" => "application/json",
        "jsonld" => "application/ld+json",
        "webmanifest" => "application/manifest+json",
        "xml" => "application/xml",
        "atom" => "application/atom+xml",
        "rss" => "application/rss+xml",
        "yaml" | "yml" => "application/yaml",
        "pdf" => "application/pdf",
        "rtf" => "application/rtf",
        "epub" => "application/epub+zip",
        "zip" => "application/zip",
        "gz" | "tgz" => "application/gzip",
        "bz2" => "application/x-bzip2",
        "xz" => "application/x-xz",
        "zst" => "application/zstd",
        "7z" => "application/x-7z-compressed",
        "tar" => "application/x-tar",
        "iso" => "application/x-iso9660-image",
        "deb" => "application/vnd.debian.binary-package",
        "jar" => "application/java-archive",
        "wasm" => "application/wasm",
        "doc" => "application/msword",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xls" => "application/vnd.ms-excel",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "ppt" => "application/vnd.ms-powerpoint",
        "pptx" => "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "odt" => "application/vnd.oasis.opendocument.text",
        "ods" => "application/vnd.oasis.opendocument.spreadsheet",
        "odp" => "application/vnd.oasis.opendocument.presentation",
        "png" => "image/png",
        "apng" => "image/apng",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "svg" => "image/svg+xml",
        "ico" => "image/vnd.microsoft.icon",
        "webp" => "image/webp",
        "avif" => "image/avif",
        "bmp" => "image/bmp",
        "tif" | "tiff" => "image/tiff",
        "heic" => "image/heic",
        "jxl" => "image/jxl",
        "mp3" => "audio/mpeg",
        "m4a" => "audio/mp4",
        "ogg" | "oga" | "opus" => "audio/ogg",
        "wav" => "audio/wav",
        "flac" => "audio/flac",
        "mp4" | "m4v" => "video/mp4",
        "webm" => "video/webm",
        "ogv" => "video/ogg",
        "mov" => "video/quicktime",
        "mkv" => "video/x-matroska",
        "avi" => "video/x-msvideo",
        "woff" => "font/woff",
        "woff2" => "font/woff2",
        "ttf" => "font/ttf",
        "otf" => "font/otf",
        _ => "application/octet-stream",
    }
}

fn percent_encode(name: &[u8]) -> String {
    let mut out = String::with_capacity(name.len());
    for &b in name {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decoding_refuses_bad_escapes_and_nul() {
        assert_eq!(percent_decode("/a%20b").as_deref(), Some(&b"/a b"[..]));
        assert_eq!(percent_decode("/%FF").as_deref(), Some(&b"/\xFF"[..]));
        assert_eq!(percent_decode("/a%2"), None);
        assert_eq!(percent_decode("/a%zz"), None);
        assert_eq!(percent_decode("/a%00"), None);
        assert_eq!(percent_encode(b"a b/\xFF\xC3\xA9"), "a%20b/%FF%C3%A9");
    }

    #[test]
    fn absolute_form_targets_map_to_their_path() {
        assert_eq!(origin_form("/a?b"), "/a?b");
        assert_eq!(origin_form("http://host:8/x/y?z"), "/x/y?z");
        assert_eq!(origin_form("HTTP://host"), "/");
        assert_eq!(origin_form("http://host?q"), "/");
        assert_eq!(origin_form("*"), "*");
    }

    #[test]
    fn parent_components_above_the_root_are_refused() {
        let files = StaticFiles::new(std::env::temp_dir()).unwrap();
        assert!(files.resolve("/../etc/passwd").is_none());
        assert!(files.resolve("/a/%2e%2e/%2e%2e/etc").is_none());
        assert!(files.resolve("/a/b/../../../x").is_none());
        assert!(files.resolve("/ok/file.txt").is_some());
        // Inside the root, `..` and `.` are resolved.
        assert_eq!(
            files.resolve("/a/%2e%2e/./b/../c.txt"),
            Some(files.root().join("c.txt"))
        );
    }
}
