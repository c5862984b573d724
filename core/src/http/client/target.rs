//! Where a URL points: the origin to connect to and what goes in the request.

use std::fmt;

use super::{ClientError, Url};

/// A URL scheme the client speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scheme {
    /// `http://`
    Http,
    /// `https://`
    Https,
}

impl Scheme {
    /// `"http"` or `"https"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Http => "http",
            Scheme::Https => "https",
        }
    }

    /// The port a URL of this scheme means when it names none.
    pub fn default_port(self) -> u16 {
        match self {
            Scheme::Http => 80,
            Scheme::Https => 443,
        }
    }
}

/// Scheme, host and port: what a connection is made to (RFC 6454's origin). Connections are
/// pooled by origin, and credentials never leave theirs.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Origin {
    /// The scheme.
    pub scheme: Scheme,
    /// The host: a name (lowercase), or an IP address (IPv6 without brackets).
    pub host: String,
    /// The port.
    pub port: u16,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.host.contains(':') {
            write!(
                f,
                "{}://[{}]:{}",
                self.scheme.as_str(),
                self.host,
                self.port
            )
        } else {
            write!(f, "{}://{}:{}", self.scheme.as_str(), self.host, self.port)
        }
    }
}

/// Where an `http://` or `https://` URL points: the address to connect to and what to put in the request.
///
/// User information in the URL (`http://user:pw@host/`) is taken out, percent-decoded, into
/// [`userinfo`](Target::userinfo) (the client sends it as Basic credentials to this origin
/// only), so the URL kept, shown and sent never carries a password.
#[derive(Clone, PartialEq, Eq)]
pub struct Target {
    url: Url,
    origin: Origin,
    host_header: String,
    request_target: String,
    userinfo: Option<(String, String)>,
}

impl fmt::Debug for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never a password, not even in a debug dump.
        f.debug_struct("Target")
            .field("url", &self.url.as_str())
            .field("userinfo", &self.userinfo.as_ref().map(|(u, _)| u))
            .finish_non_exhaustive()
    }
}

impl Target {
    /// Parses `url`: `http://`, or `https://` with the `tls` feature; any other scheme is
    /// [`ClientError::UnsupportedScheme`], and a URL that does not parse or has no host is
    /// [`ClientError::InvalidUrl`].
    pub fn parse(url: &str) -> Result<Target, ClientError> {
        let parsed = Url::parse(url.trim()).map_err(|e| match e {
            url::ParseError::RelativeUrlWithoutBase => {
                ClientError::InvalidUrl(format!("'{url}' has no scheme (try http://{url})"))
            }
            other => ClientError::InvalidUrl(format!("'{url}': {other}")),
        })?;
        Target::from_url(parsed)
    }

    /// Checks an already parsed URL (say, a redirect's) the same way as [`Target::parse`].
    pub fn from_url(mut url: Url) -> Result<Target, ClientError> {
        let scheme = match url.scheme() {
            "http" => Scheme::Http,
            #[cfg(feature = "tls")]
            "https" => Scheme::Https,
            other => return Err(ClientError::UnsupportedScheme(other.to_owned())),
        };
        let host = match url.host() {
            Some(url::Host::Domain(d)) if !d.is_empty() => d.to_owned(),
            Some(url::Host::Ipv4(a)) => a.to_string(),
            Some(url::Host::Ipv6(a)) => a.to_string(),
            _ => return Err(ClientError::InvalidUrl(format!("'{url}' has no host"))),
        };
        let port = url.port().unwrap_or(scheme.default_port());
        let host_str = url.host_str().unwrap_or(&host);
        let host_header = match url.port() {
            Some(p) => format!("{host_str}:{p}"),
            None => host_str.to_owned(),
        };
        let mut request_target = url.path().to_owned();
        if request_target.is_empty() {
            request_target.push('/');
        }
        if let Some(q) = url.query() {
            request_target.push('?');
            request_target.push_str(q);
        }
        let userinfo = (!url.username().is_empty() || url.password().is_some()).then(|| {
            (
                percent_decode(url.username()),
                percent_decode(url.password().unwrap_or("")),
            )
        });
        if userinfo.is_some() {
            // Taken out: the URL shown in messages and logs carries no password.
            let _ = url.set_username("");
            let _ = url.set_password(None);
        }
        Ok(Target {
            url,
            origin: Origin { scheme, host, port },
            host_header,
            request_target,
            userinfo,
        })
    }

    /// The origin to connect to.
    pub fn origin(&self) -> &Origin {
        &self.origin
    }

    /// The user name and password the URL carried, percent-decoded.
    pub fn userinfo(&self) -> Option<(&str, &str)> {
        self.userinfo
            .as_ref()
            .map(|(u, p)| (u.as_str(), p.as_str()))
    }

    /// The URL itself (with its fragment, which is never sent).
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// The host to connect to: a name, or an IP address (IPv6 without brackets).
    pub fn host(&self) -> &str {
        &self.origin.host
    }

    /// The port to connect to (80 unless the URL says otherwise).
    pub fn port(&self) -> u16 {
        self.origin.port
    }

    /// The `Host` header value: the host as written in the URL, with `:port` unless it is 80.
    pub fn host_header(&self) -> &str {
        &self.host_header
    }

    /// The origin-form request target: path and query, no fragment (RFC 9112 §3.2.1).
    pub fn request_target(&self) -> &str {
        &self.request_target
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.url.as_str())
    }
}

/// Undoes `%XX` escapes (invalid ones are kept as they are); the result is read as UTF-8,
/// lossily.
fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        match (
            b[i],
            b.get(i + 1).copied().and_then(hex),
            b.get(i + 2).copied().and_then(hex),
        ) {
            (b'%', Some(h), Some(l)) => {
                out.push((h * 16 + l) as u8);
                i += 3;
            }
            (c, _, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}
