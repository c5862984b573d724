//! `netloom get URL`: the seed's `urlopen` and `urlretrieve`, with curl's flags.

use std::io::{self, IsTerminal, Read};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use clap::Args;
use indicatif::{HumanBytes, ProgressBar, ProgressStyle};
use netloom::http::client::ClientError;
use netloom::Runtime;

use super::args::ConnectFlags;
use super::error::CliError;
use super::escape::escape;
use super::output::{resume_point, Output, Wrote};
use super::signals;
use super::transfer::{self, body_error, describe, Credentials, Options, Request};

/// `netloom get` flags, named as curl names them.
#[derive(Args, Debug)]
#[command(after_help = "\
Examples:
  netloom get http://127.0.0.1:8000/                   the body to stdout
  netloom get http://127.0.0.1:8000/big.iso -O         saved as ./big.iso
  netloom get http://127.0.0.1:8000/big.iso -C - -O    resume a cut download
  netloom get -i http://127.0.0.1:8000/missing         status, headers and the error page
  netloom get -d 'a=1' -H 'X-Trace: 7' http://127.0.0.1:8000/form
  netloom get --cacert ca.pem https://127.0.0.1:8443/  https, trusting a CA of your own too")]
pub struct GetArgs {
    /// The URL (http:// or https://); user:password@ in it is sent as Basic auth.
    pub url: String,
    /// Write the body to FILE instead of stdout (`-` is stdout). A regular file is
    /// replaced atomically when complete; a symlink's target is written; a device or FIFO
    /// is written in place.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Write the body to a file named after the URL's last path segment.
    #[arg(short = 'O', long = "remote-name", conflicts_with = "output")]
    pub remote_name: bool,
    /// Print the status line and header fields before the body (also for error statuses).
    #[arg(short = 'i', long = "include")]
    pub include: bool,
    /// Send HEAD and print the status line and header fields only.
    #[arg(short = 'I', long = "head")]
    pub head: bool,
    /// The request method (default GET, or POST with -d).
    #[arg(short = 'X', long = "request", value_name = "METHOD")]
    pub method: Option<String>,
    /// Send DATA as a form body (POST, application/x-www-form-urlencoded); @FILE reads a
    /// file (newlines removed), @- stdin. Repeated: joined with '&'.
    #[arg(short = 'd', long = "data", value_name = "DATA")]
    pub data: Vec<String>,
    /// Like -d, but @FILE is sent byte for byte.
    #[arg(long = "data-binary", value_name = "DATA")]
    pub data_binary: Vec<String>,
    /// Add a header field, 'Name: value' (repeatable); it replaces a default one.
    #[arg(short = 'H', long = "header", value_name = "HEADER")]
    pub headers: Vec<String>,
    /// Basic authentication, USER:PASSWORD (not sent on redirects).
    #[arg(short = 'u', long = "user", value_name = "USER:PASSWORD")]
    pub user: Option<String>,
    /// Resume: `-C -` continues the output file from its size with a Range request (when
    /// the server ignores Range, the file is downloaded again from the start). Only `-` is
    /// supported as OFFSET.
    #[arg(
        short = 'C',
        long = "continue-at",
        value_name = "-",
        allow_hyphen_values = true
    )]
    pub resume: Option<String>,
    /// Quiet: no progress bar and no summary line (errors are still printed).
    #[arg(short = 's', long = "silent")]
    pub silent: bool,
    #[command(flatten)]
    pub connect: ConnectFlags,
}

/// Where the body goes, as decided from the flags.
enum Dest {
    /// Stdout; `forced` when asked for with `-o -` (binary allowed on a terminal).
    Stdout {
        forced: bool,
    },
    File(PathBuf),
}

/// Runs `netloom get`.
pub fn run(runtime: Runtime, args: GetArgs) -> Result<(), CliError> {
    let (url, url_creds) = transfer::split_credentials(&args.url);
    let credentials = match &args.user {
        Some(u) => Some(Credentials::parse(u)?),
        None => url_creds,
    };
    let body = request_body(&args)?;
    let method = match (&args.method, args.head) {
        (Some(m), _) => m.to_ascii_uppercase(),
        (None, true) => "HEAD".to_owned(),
        (None, false) if body.is_some() => "POST".to_owned(),
        (None, false) => "GET".to_owned(),
    };
    if args.head && body.is_some() {
        return Err(CliError::msg("-I sends HEAD, which takes no -d data"));
    }
    let mut headers = parse_headers(&args.headers)?;
    if body.is_some()
        && !headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case("Content-Type"))
    {
        headers.push((
            "Content-Type".to_owned(),
            "application/x-www-form-urlencoded".to_owned(),
        ));
    }
    let dest = match (&args.output, args.remote_name) {
        (Some(p), _) if p.as_os_str() == "-" => Dest::Stdout { forced: true },
        (Some(p), _) => Dest::File(p.clone()),
        (None, true) => Dest::File(remote_name(&url)?),
        (None, false) => Dest::Stdout { forced: false },
    };
    let resume = match args.resume.as_deref() {
        None => None,
        Some("-") => match &dest {
            Dest::File(path) if !(args.include || args.head) => Some(path.clone()),
            Dest::File(_) => return Err(CliError::msg("-C cannot be combined with -i or -I")),
            Dest::Stdout { .. } => {
                return Err(CliError::msg(
                    "-C - needs a file to resume: add -o FILE or -O",
                ))
            }
        },
        Some(other) => {
            return Err(CliError::msg(format!(
                "-C {other}: only '-C -' (resume from the file's size) is supported"
            )))
        }
    };
    let mut options = Options::new(runtime, &args.connect)?;
    options.credentials = credentials;
    let job = Job {
        url: &url,
        what: format!("{method} {url}"),
        method: &method,
        headers,
        body: body.unwrap_or_default(),
        options,
        include: args.include || args.head,
        silent: args.silent,
    };
    match (dest, resume) {
        (_, Some(path)) => job.resume(&path),
        (Dest::File(path), None) => {
            // Opened (and so checked) before any byte is fetched.
            signals::guard_downloads()?;
            let out = Output::open(&path)?;
            job.fetch(out, false, 0)
        }
        (Dest::Stdout { forced }, None) => job.fetch(Output::stdout(), forced, 0),
    }
}

/// One request and what to do with its answer.
struct Job<'a> {
    url: &'a str,
    what: String,
    method: &'a str,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    options: Options,
    include: bool,
    silent: bool,
}

impl Job<'_> {
    fn send(&self, extra: Option<(String, String)>) -> Result<transfer::Response, CliError> {
        let mut headers = self.headers.clone();
        headers.extend(extra);
        let req = Request {
            method: self.method,
            url: self.url,
            headers,
            body: &self.body,
        };
        transfer::send(&req, &self.options).map_err(|e| describe(&e, &self.what, self.url))
    }

    fn status_error(&self, resp: &transfer::Response) -> CliError {
        let status = ClientError::Status {
            code: resp.status,
            reason: resp.reason.clone(),
        };
        CliError::msg(format!("{}: {status}", self.what))
    }

    /// Fetches into `out`; `offset` bytes of the file are already there (for progress).
    fn fetch(&self, mut out: Output, forced: bool, offset: u64) -> Result<(), CliError> {
        let resp = self.send(None)?;
        self.deliver(resp, &mut out, forced, offset)?;
        out.finish()
    }

    /// Writes the head (with -i) and the body of `resp` to `out`.
    fn deliver(
        &self,
        mut resp: transfer::Response,
        out: &mut Output,
        forced: bool,
        offset: u64,
    ) -> Result<(), CliError> {
        let ok = (200..300).contains(&resp.status);
        if self.include {
            let head = head_text(&resp);
            if out.write(head.as_bytes())? == Wrote::ReaderGone {
                return Ok(());
            }
        }
        if !ok && !self.include {
            return Err(self.status_error(&resp));
        }
        let guard_terminal = out.is_stdout() && !forced && io::stdout().is_terminal();
        let show_progress = !self.silent
            && io::stderr().is_terminal()
            && !(out.is_stdout() && io::stdout().is_terminal());
        let total = resp.content_length.map(|n| n + offset);
        let bar = show_progress.then(|| new_bar(total, offset));
        let start = Instant::now();
        let mut done = 0u64;
        let mut buf = vec![0u8; 64 * 1024];
        let result = loop {
            let n = match resp.body.read(&mut buf) {
                Ok(0) => break Ok(()),
                Ok(n) => n,
                Err(e) => break Err(describe(&body_error(e), &self.what, self.url)),
            };
            let chunk = &buf[..n];
            if guard_terminal && looks_binary(chunk) {
                break Err(CliError::msg(
                    "binary output can mess up your terminal: use -o FILE to save it, or -o - to print it anyway",
                ));
            }
            match out.write(chunk) {
                Ok(Wrote::All) => {}
                Ok(Wrote::ReaderGone) => break Ok(()),
                Err(e) => break Err(e),
            }
            done += n as u64;
            if let Some(bar) = &bar {
                bar.set_position(offset + done);
            }
        };
        if let Some(bar) = bar {
            bar.finish_and_clear();
        }
        result?;
        if !ok {
            return Err(self.status_error(&resp));
        }
        if !self.silent && !out.is_stdout() {
            let secs = start.elapsed().as_secs_f64();
            let rate = if secs > 0.0 {
                format!(", {}/s", HumanBytes((done as f64 / secs) as u64))
            } else {
                String::new()
            };
            let what = if offset > 0 {
                format!("resumed {} at byte {offset}: saved", out.label())
            } else {
                "saved".to_owned()
            };
            eprintln!(
                "{what} {done} bytes ({}) to {} in {secs:.2} s{rate}",
                HumanBytes(done),
                escape(out.label().as_bytes())
            );
        }
        Ok(())
    }

    /// `-C -`: asks for the rest of `path` with a Range request.
    fn resume(&self, path: &Path) -> Result<(), CliError> {
        signals::guard_downloads()?;
        let Some(point) = resume_point(path)? else {
            let out = Output::open(path)?;
            return self.fetch(out, false, 0);
        };
        // Checked before the request: the file must be ours to append to.
        let mut out = Output::append(&point.real, path)?;
        let resp = self.send(Some((
            "Range".to_owned(),
            format!("bytes={}-", point.offset),
        )))?;
        match resp.status {
            206 => {
                let range = resp.headers.get_str("Content-Range").map(str::to_owned);
                match range.as_deref().and_then(parse_content_range) {
                    Some((start, _)) if start == point.offset => {}
                    _ => {
                        return Err(CliError::msg(format!(
                            "{}: the server answered the range with Content-Range {:?}, not from byte {}",
                            self.what,
                            range.unwrap_or_default(),
                            point.offset
                        )))
                    }
                }
                self.deliver(resp, &mut out, false, point.offset)?;
                out.finish()
            }
            416 => {
                let complete = resp
                    .headers
                    .get_str("Content-Range")
                    .and_then(|r| r.trim().strip_prefix("bytes */"))
                    .and_then(|n| n.trim().parse::<u64>().ok())
                    == Some(point.offset);
                if !complete {
                    return Err(self.status_error(&resp));
                }
                if !self.silent {
                    eprintln!(
                        "{} is already complete ({} bytes)",
                        escape(path.display().to_string().as_bytes()),
                        point.offset
                    );
                }
                Ok(())
            }
            200 => {
                drop(out);
                if !self.silent {
                    eprintln!(
                        "netloom: the server ignored the range request; downloading {} again from the start",
                        escape(path.display().to_string().as_bytes())
                    );
                }
                let mut fresh = Output::open(path)?;
                self.deliver(resp, &mut fresh, false, 0)?;
                fresh.finish()
            }
            _ => Err(self.status_error(&resp)),
        }
    }
}

/// `bytes START-END/TOTAL` → (START, TOTAL if known).
fn parse_content_range(value: &str) -> Option<(u64, Option<u64>)> {
    let rest = value.trim().strip_prefix("bytes ")?;
    let (range, total) = rest.split_once('/')?;
    let (start, _end) = range.split_once('-')?;
    Some((start.trim().parse().ok()?, total.trim().parse().ok()))
}

/// The status line and header fields, as curl -i prints them, escaped for the terminal.
fn head_text(resp: &transfer::Response) -> String {
    let mut text = format!(
        "{} {} {}\r\n",
        resp.version.as_str(),
        resp.status,
        escape(resp.reason.as_bytes())
    );
    for (name, value) in resp.headers.iter() {
        text.push_str(&escape(name.as_bytes()));
        text.push_str(": ");
        text.push_str(&escape(value));
        text.push_str("\r\n");
    }
    text.push_str("\r\n");
    text
}

/// A chunk a terminal should not be given: C0 controls other than tab, newline and
/// carriage return (escape sequences included), DEL, or a UTF-8 C1 control.
fn looks_binary(chunk: &[u8]) -> bool {
    chunk
        .iter()
        .any(|&b| (b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0c)) || b == 0x7f)
        || chunk
            .windows(2)
            .any(|w| w[0] == 0xc2 && (0x80..=0x9f).contains(&w[1]))
}

/// The body of `-d` and `--data-binary`, joined with `&`; `None` without either.
fn request_body(args: &GetArgs) -> Result<Option<Vec<u8>>, CliError> {
    if args.data.is_empty() && args.data_binary.is_empty() {
        return Ok(None);
    }
    let mut parts = Vec::new();
    for d in &args.data {
        let mut bytes = read_data(d)?;
        if d.starts_with('@') {
            // curl -d strips newlines from files.
            bytes.retain(|&b| b != b'\n' && b != b'\r');
        }
        parts.push(bytes);
    }
    for d in &args.data_binary {
        parts.push(read_data(d)?);
    }
    Ok(Some(parts.join(&b'&')))
}

fn read_data(arg: &str) -> Result<Vec<u8>, CliError> {
    match arg.strip_prefix('@') {
        Some("-") => {
            let mut buf = Vec::new();
            io::stdin()
                .read_to_end(&mut buf)
                .map_err(|e| CliError::io("reading the data from stdin", &e))?;
            Ok(buf)
        }
        Some(file) => std::fs::read(file).map_err(|e| CliError::io(&format!("reading {file}"), &e)),
        None => Ok(arg.as_bytes().to_vec()),
    }
}

/// `-H 'Name: value'` fields, checked so nothing can be smuggled into the request.
fn parse_headers(raw: &[String]) -> Result<Vec<(String, String)>, CliError> {
    raw.iter()
        .map(|h| {
            let bad = || CliError::msg(format!("-H {h:?}: expected 'Name: value'"));
            let (name, value) = h.split_once(':').ok_or_else(bad)?;
            let name = name.trim();
            let token = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c);
            if name.is_empty() || !name.chars().all(token) {
                return Err(bad());
            }
            let value = value.trim();
            if value.chars().any(|c| c.is_control() && c != '\t') {
                return Err(CliError::msg(format!(
                    "-H {name}: control characters (newlines...) are not allowed in a header value"
                )));
            }
            Ok((name.to_owned(), value.to_owned()))
        })
        .collect()
}

/// The file name `-O` takes from a URL: its last path segment, as it is written there.
fn remote_name(url: &str) -> Result<PathBuf, CliError> {
    let parsed = netloom::http::client::Url::parse(url.trim())
        .map_err(|e| CliError::msg(format!("invalid URL: '{url}': {e}")))?;
    let name = parsed
        .path_segments()
        .and_then(|mut s| s.next_back())
        .unwrap_or("");
    if name.is_empty() || name == "." || name == ".." {
        return Err(CliError::msg(format!(
            "-O: {url} names no file (use -o FILE)"
        )));
    }
    Ok(PathBuf::from(name))
}

fn new_bar(total: Option<u64>, start: u64) -> ProgressBar {
    let (bar, template) = match total {
        Some(len) => (
            ProgressBar::new(len),
            "{bar:40.cyan/blue} {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
        ),
        None => (
            ProgressBar::new_spinner(),
            "{spinner} {bytes} {bytes_per_sec} {elapsed}",
        ),
    };
    if let Ok(style) = ProgressStyle::with_template(template) {
        bar.set_style(style);
    }
    bar.set_position(start);
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

#[cfg(test)]
mod tests {
    use super::*;
    use netloom::http::Headers;

    #[test]
    fn content_range_and_binary_detection() {
        assert_eq!(
            parse_content_range("bytes 100-199/200"),
            Some((100, Some(200)))
        );
        assert_eq!(parse_content_range("bytes 5-9/*"), Some((5, None)));
        assert_eq!(parse_content_range("items 1-2/3"), None);
        assert!(looks_binary(b"\x00abc"));
        assert!(looks_binary(b"\x1b[2J"));
        assert!(looks_binary("\u{9b}2J".as_bytes()));
        assert!(!looks_binary("plain text\twith é\r\n".as_bytes()));
    }

    #[test]
    fn headers_are_checked() {
        let ok = parse_headers(&["X-A: 1".into(), "Accept:  */* ".into()]).unwrap();
        assert_eq!(ok[1], ("Accept".into(), "*/*".into()));
        assert!(parse_headers(&["no colon".into()]).is_err());
        assert!(parse_headers(&["Bad Name: x".into()]).is_err());
        assert!(parse_headers(&["X: a\r\nEvil: 1".into()]).is_err());
    }

    #[test]
    fn remote_names() {
        assert_eq!(
            remote_name("http://h/a/b.iso?x=1").unwrap(),
            PathBuf::from("b.iso")
        );
        assert!(remote_name("http://h/").is_err());
        assert!(remote_name("http://h/a/..").is_err());
    }

    #[test]
    fn head_text_escapes() {
        let resp = transfer::Response {
            status: 200,
            reason: "OK\u{1b}[2J".into(),
            version: netloom::http::Version::Http11,
            headers: Headers::new().with("X", b"a\x9bb".as_slice()),
            content_length: None,
            body: Box::new(io::empty()),
        };
        assert_eq!(
            head_text(&resp),
            "HTTP/1.1 200 OK\\x1b[2J\r\nX: a\\x9bb\r\n\r\n"
        );
    }
}
