//! A static file [`Handler`], like `python3 -m http.server`: files with their length and
//! type, `HEAD`, directory listings, `404`, and no way out of the served directory.

use std::fs::{self, File};
use std::path::{Component, Path, PathBuf};

use netloom_core::http::server::{Handler, IncomingRequest, OutgoingResponse};

/// Serves the files under one directory.
#[derive(Debug, Clone)]
pub struct StaticFiles {
    root: PathBuf,
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
        Ok(StaticFiles { root })
    }

    /// The directory served.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Maps a request path to a file under the root, or `None` when it would leave it.
    fn resolve(&self, url_path: &str) -> Option<PathBuf> {
        let decoded = percent_decode(url_path)?;
        let mut path = self.root.clone();
        for comp in Path::new(&decoded).components() {
            match comp {
                Component::Normal(part) => path.push(part),
                Component::RootDir | Component::CurDir => {}
                // `..` and drive prefixes are refused outright rather than clamped.
                Component::ParentDir | Component::Prefix(_) => return None,
            }
        }
        // Symlinks may still point outside: judge the real path.
        match fs::canonicalize(&path) {
            Ok(real) if real.starts_with(&self.root) => Some(real),
            Ok(_) => None,
            Err(_) => Some(path), // does not exist: a 404 later
        }
    }
}

impl Handler for StaticFiles {
    fn handle(&self, req: IncomingRequest) -> OutgoingResponse {
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
                return serve_file(&index);
            }
            return listing(&path, path_part);
        }
        serve_file(&path)
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

fn serve_file(path: &Path) -> OutgoingResponse {
    match File::open(path).and_then(|f| f.metadata().map(|m| (f, m.len()))) {
        Ok((file, len)) => {
            OutgoingResponse::stream(200, content_type(path), Some(len), Box::new(file))
        }
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
            OutgoingResponse::text(403, "Forbidden\n")
        }
        Err(_) => OutgoingResponse::text(404, "File not found\n"),
    }
}

fn listing(dir: &Path, url_path: &str) -> OutgoingResponse {
    let Ok(entries) = fs::read_dir(dir) else {
        return OutgoingResponse::text(403, "No permission to list directory\n");
    };
    let mut names: Vec<(String, bool)> = entries
        .filter_map(|e| e.ok())
        .map(|e| {
            let is_dir = e.file_type().map(|t| t.is_dir()).unwrap_or(false);
            (e.file_name().to_string_lossy().into_owned(), is_dir)
        })
        .collect();
    names.sort_by_key(|(n, _)| n.to_lowercase());
    let title = format!("Directory listing for {}", html_escape(url_path));
    let mut html = format!(
        "<!DOCTYPE HTML>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{title}</title>\n</head>\n<body>\n<h1>{title}</h1>\n<hr>\n<ul>\n"
    );
    for (name, is_dir) in names {
        let shown = if is_dir { format!("{name}/") } else { name };
        html.push_str(&format!(
            "<li><a href=\"{}\">{}</a></li>\n",
            percent_encode(&shown),
            html_escape(&shown)
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
        "txt" | "text" | "log" | "md" | "rs" | "py" | "toml" => "text/plain",
        "css" => "text/css",
        "csv" => "text/csv",
        "js" | "mjs" => "text/javascript",
        "json" => "application/json",
        "xml" => "application/xml",
        "pdf" => "application/pdf",
        "zip" => "application/zip",
        "gz" => "application/gzip",
        "tar" => "application/x-tar",
        "wasm" => "application/wasm",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "svg" => "image/svg+xml",
        "ico" => "image/vnd.microsoft.icon",
        "webp" => "image/webp",
        "mp3" => "audio/mpeg",
        "mp4" => "video/mp4",
        _ => "application/octet-stream",
    }
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes.get(i + 1..i + 3)?;
            let hex = std::str::from_utf8(hex).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    // A NUL can't name a file; refuse it like a bad escape.
    if out.contains(&0) {
        return None;
    }
    String::from_utf8(out).ok()
}

fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
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
        assert_eq!(percent_decode("/a%20b").as_deref(), Some("/a b"));
        assert_eq!(percent_decode("/a%2"), None);
        assert_eq!(percent_decode("/a%zz"), None);
        assert_eq!(percent_decode("/a%00"), None);
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
    fn parent_components_are_refused() {
        let files = StaticFiles::new(std::env::temp_dir()).unwrap();
        assert!(files.resolve("/../etc/passwd").is_none());
        assert!(files.resolve("/a/%2e%2e/%2e%2e/etc").is_none());
        assert!(files.resolve("/ok/file.txt").is_some());
    }
}
