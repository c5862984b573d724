//! Where a URL points: the origin to connect to and what goes in the request.

use std::fmt;

use super::{ClientError, Url};

/// Where an `http://` URL points: the address to connect to and what to put in the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    url: Url,
    host: String,
    port: u16,
    host_header: String,
    request_target: String,
}

impl Target {
    /// Parses `url`. Only `http://` is accepted: `https://` is
    /// [`ClientError::UnsupportedScheme`] (not supported yet), as is any other scheme; a URL
    /// that does not parse or has no host is [`ClientError::InvalidUrl`].
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
    pub fn from_url(url: Url) -> Result<Target, ClientError> {
        match url.scheme() {
            "http" => {}
            other => return Err(ClientError::UnsupportedScheme(other.to_owned())),
        }
        let host = match url.host() {
            Some(url::Host::Domain(d)) if !d.is_empty() => d.to_owned(),
            Some(url::Host::Ipv4(a)) => a.to_string(),
            Some(url::Host::Ipv6(a)) => a.to_string(),
            _ => return Err(ClientError::InvalidUrl(format!("'{url}' has no host"))),
        };
        let port = url.port_or_known_default().unwrap_or(80);
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
        Ok(Target {
            url,
            host,
            port,
            host_header,
            request_target,
        })
    }

    /// The URL itself (with its fragment, which is never sent).
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// The host to connect to: a name, or an IP address (IPv6 without brackets).
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The port to connect to (80 unless the URL says otherwise).
    pub fn port(&self) -> u16 {
        self.port
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
