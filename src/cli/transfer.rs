//! The one place the CLI talks HTTP as a client: [`send`] takes a request (method, URL,
//! header fields, body) and [`Options`], and gives back a [`Response`] whose body streams
//! from the socket. `get` and the `xmlrpc` clients use nothing else, so moving them to
//! another client means changing this file only.

use std::io::Read;
use std::time::Duration;

#[cfg(test)]
use base64::Engine as _;
use netloom::http::client::{ClientConfig, ClientError, ClientRequest, Target, Url, Waiting};
use netloom::http::{Headers, Version};
use netloom::tls::{TlsClientConfig, TlsError};
use netloom::Runtime;

use super::args::ConnectFlags;
use super::error::{io_text, CliError};

/// A user name and password for HTTP Basic authentication.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// The user name.
    pub user: String,
    /// The password.
    pub password: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print a password, not even in a debug dump.
        f.debug_struct("Credentials")
            .field("user", &self.user)
            .finish_non_exhaustive()
    }
}

impl Credentials {
    /// Parses `user:password` (as `-u` takes it); the password may be empty, not missing.
    pub fn parse(text: &str) -> Result<Self, CliError> {
        match text.split_once(':') {
            Some((user, password)) => Ok(Credentials {
                user: user.to_owned(),
                password: password.to_owned(),
            }),
            None => Err(CliError::msg(
                "-u needs USER:PASSWORD (netloom does not prompt for a password)",
            )),
        }
    }

    #[cfg(test)]
    fn header_value(&self) -> String {
        let raw = format!("{}:{}", self.user, self.password);
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(raw)
        )
    }
}

/// How a request is sent: the runtime, and the connection flags.
#[derive(Debug, Clone)]
pub struct Options {
    /// The runtime whose client moves the bytes.
    pub runtime: Runtime,
    /// Connection timeouts.
    pub connect_timeout: Duration,
    /// How long a read may wait.
    pub read_timeout: Duration,
    /// How long the whole transfer may take (`--max-time`).
    pub max_time: Option<Duration>,
    /// Connect through this Unix socket instead of TCP (`--unix-socket`).
    pub unix_socket: Option<std::path::PathBuf>,
    /// Basic-auth credentials, sent to the URL's origin only.
    pub credentials: Option<Credentials>,
    /// TLS settings from `--cacert` and `--insecure` (none: the system's trust store).
    pub tls: Option<TlsClientConfig>,
}

impl Options {
    /// Options from the shared connection flags; reads the `--cacert` files, and warns on
    /// stderr about `--insecure`.
    pub fn new(runtime: Runtime, flags: &ConnectFlags) -> Result<Self, CliError> {
        let tls = if flags.insecure || !flags.cacert.is_empty() {
            if flags.insecure {
                eprintln!(
                    "netloom: warning: --insecure: server certificates are not checked; anyone in the path can pose as the server"
                );
            }
            let config = netloom_io::tls::client_config(&flags.cacert, flags.insecure)
                .map_err(|e| CliError::msg(format!("--cacert: {e}")))?;
            Some(config)
        } else {
            None
        };
        Ok(Options {
            runtime,
            connect_timeout: flags.connect_timeout.0,
            read_timeout: flags.read_timeout.0,
            max_time: flags.max_time.map(|s| s.0),
            unix_socket: flags.unix_socket.clone(),
            credentials: None,
            tls,
        })
    }
}

/// One request.
#[derive(Debug, Clone)]
pub struct Request<'a> {
    /// `GET`, `POST`, `HEAD`...
    pub method: &'a str,
    /// An `http://` URL (without user info: see [`split_credentials`]).
    pub url: &'a str,
    /// Header fields; each replaces a default field of the same name.
    pub headers: Vec<(String, String)>,
    /// The body (sent with a `Content-Length`; none for an empty `GET`).
    pub body: &'a [u8],
}

/// A response: the head, and the body as it streams in.
pub struct Response {
    /// Status code.
    pub status: u16,
    /// Reason phrase as the server sent it (raw: escape before printing).
    pub reason: String,
    /// Protocol version of the response.
    pub version: Version,
    /// Header fields as the server sent them (raw: escape before printing).
    pub headers: Headers,
    /// The declared body length, if any.
    pub content_length: Option<u64>,
    /// The body; a read error is a [`ClientError`] inside an `io::Error` (see [`body_error`]).
    pub body: Box<dyn Read + Send>,
}

/// Sends `req` and returns the response head with a streaming body. Redirects are
/// followed; credentials (`-u`, and `Authorization` or `Cookie` fields) go to the URL's
/// origin only, never on to a redirect elsewhere.
pub fn send(req: &Request<'_>, opts: &Options) -> Result<Response, ClientError> {
    let config = ClientConfig {
        connect_timeout: opts.connect_timeout,
        read_timeout: opts.read_timeout,
        total_timeout: opts.max_time,
        unix_socket: opts.unix_socket.clone(),
        tls: opts.tls.clone(),
        ..ClientConfig::default()
    };
    let mut request = ClientRequest::new(req.method, req.url)?;
    for (name, value) in &req.headers {
        request = request.header(name, value);
    }
    if let Some(c) = &opts.credentials {
        request = request.basic_auth(&c.user, &c.password);
    }
    let bodiless = matches!(req.method, "GET" | "HEAD" | "DELETE" | "OPTIONS" | "TRACE");
    if !req.body.is_empty() || !bodiless {
        request = request.body(req.body.to_vec());
    }
    let resp = opts.runtime.http_client(config).send(request, None)?;
    Ok(Response {
        status: resp.status(),
        reason: resp.reason().to_owned(),
        version: resp.head().version(),
        headers: resp.headers().clone(),
        content_length: resp.content_length(),
        body: resp.into_body(),
    })
}

/// Takes `user:password@` out of a URL: what to send, and the credentials it carried
/// (percent-decoded, as curl and CPython's `ServerProxy` read them).
pub fn split_credentials(url: &str) -> (String, Option<Credentials>) {
    let Ok(mut parsed) = Url::parse(url.trim()) else {
        return (url.to_owned(), None);
    };
    if parsed.username().is_empty() && parsed.password().is_none() {
        return (url.to_owned(), None);
    }
    let decode = |s: &str| {
        url::form_urlencoded::parse(format!("x={}", s.replace('+', "%2B")).as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default()
    };
    let creds = Credentials {
        user: decode(parsed.username()),
        password: decode(parsed.password().unwrap_or("")),
    };
    let _ = parsed.set_username("");
    let _ = parsed.set_password(None);
    (parsed.to_string(), Some(creds))
}

/// Words a client error for the terminal: a failure to connect is `connecting to
/// HOST:PORT: …` (as in every command), anything else `{what}: …`.
pub fn describe(e: &ClientError, what: &str, url: &str) -> CliError {
    let target = Target::parse(url).ok();
    let connecting = |why: String| match &target {
        Some(t) => CliError::connecting(t.host(), t.port(), &why),
        None => CliError::msg(format!("{what}: {why}")),
    };
    match e {
        ClientError::Connect(io) => connecting(io_text(io)),
        ClientError::Timeout(Waiting::Connect) => connecting("timed out".to_owned()),
        ClientError::Tls(tls) => {
            let hint = match tls {
                TlsError::UnknownIssuer => {
                    " (if you trust it, pass its CA certificate with --cacert FILE)"
                }
                TlsError::SelfSigned => {
                    " (trust it with --cacert CERT.pem, or skip all checks with --insecure)"
                }
                TlsError::NoRoots => " (pass a CA certificate with --cacert FILE)",
                _ => "",
            };
            CliError::msg(format!("{what}: {tls}{hint}"))
        }
        other => CliError::msg(format!("{what}: {other}")),
    }
}

/// The client error a body read failed with.
pub fn body_error(e: std::io::Error) -> ClientError {
    ClientError::from_io(e, Waiting::Read)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_come_out_of_the_url() {
        let (url, c) = split_credentials("http://ada:p%40ss@127.0.0.1:8/x");
        assert_eq!(url, "http://127.0.0.1:8/x");
        let c = c.unwrap();
        assert_eq!((c.user.as_str(), c.password.as_str()), ("ada", "p@ss"));
        assert_eq!(c.header_value(), "Basic YWRhOnBAc3M=");
        assert_eq!(split_credentials("http://h/").1, None);
        assert!(Credentials::parse("nopassword").is_err());
        assert_eq!(Credentials::parse("a:").unwrap().password, "");
        assert!(!format!("{c:?}").contains("p@ss"));
    }
}
