//! What can go wrong with TLS, typed the way a person reads it: the certificate cases a user
//! can do something about each get their own variant, and one clear line.

use std::fmt;
use std::time::{Duration, SystemTime};

use rustls::{AlertDescription, CertificateError};

/// Why a TLS connection or configuration failed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TlsError {
    /// An `https://` URL, but the client has no TLS configuration
    /// ([`ClientConfig::tls`](crate::http::client::ClientConfig::tls)).
    NotConfigured,
    /// No trusted root certificate to verify servers against (an empty system store and no
    /// extra roots given).
    NoRoots,
    /// The server's certificate chain leads to no trusted root.
    UnknownIssuer,
    /// The server's certificate is self-signed (its own issuer) and not trusted.
    SelfSigned,
    /// The server's certificate has expired.
    Expired {
        /// When it stopped being valid, if rustls said.
        not_after: Option<SystemTime>,
    },
    /// The server's certificate is not valid yet.
    NotYetValid,
    /// The server's certificate does not name the host the client asked for.
    WrongHost {
        /// The host the client connected to.
        host: String,
        /// The names the certificate gives (when rustls said), escaped for printing.
        presented: Vec<String>,
    },
    /// The certificate was refused for another reason (revoked, wrong purpose, bad
    /// signature...).
    BadCertificate(String),
    /// The peer does not speak TLS: it answered with plaintext, such as an HTTP error page.
    NotTls {
        /// The start of what it sent, escaped for printing.
        answered: String,
    },
    /// The peer ended the handshake or the connection with a TLS alert.
    Alert(String),
    /// The TLS exchange broke (a malformed message, no protocol version or cipher suite in
    /// common...).
    Handshake(String),
    /// The connection ended without a TLS `close_notify` before a body delimited by the
    /// connection's close was complete: it may have been cut short, so it is not taken as
    /// complete.
    Truncated,
    /// A certificate or key given to build a configuration cannot be used.
    Config(String),
}

impl fmt::Display for TlsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TlsError::NotConfigured => f.write_str("https:// needs a TLS configuration"),
            TlsError::NoRoots => f.write_str("no trusted root certificates to verify the server"),
            TlsError::UnknownIssuer => {
                f.write_str("the server's certificate is issued by an unknown authority")
            }
            TlsError::SelfSigned => f.write_str("the server's certificate is self-signed"),
            TlsError::Expired {
                not_after: Some(t),
            } => write!(
                f,
                "the server's certificate expired on {}",
                crate::http::date::format(*t)
            ),
            TlsError::Expired { not_after: None } => {
                f.write_str("the server's certificate has expired")
            }
            TlsError::NotYetValid => f.write_str("the server's certificate is not valid yet"),
            TlsError::WrongHost { host, presented } if presented.is_empty() => {
                write!(f, "the server's certificate is not valid for '{host}'")
            }
            TlsError::WrongHost { host, presented } => write!(
                f,
                "the server's certificate is not valid for '{host}' (it is for {})",
                presented.join(", ")
            ),
            TlsError::BadCertificate(why) => write!(f, "the server's certificate: {why}"),
            TlsError::NotTls { answered } if answered.is_empty() => {
                f.write_str("the server does not speak TLS")
            }
            TlsError::NotTls { answered } => write!(
                f,
                "the server does not speak TLS (it answered '{answered}'): is it an http:// server?"
            ),
            TlsError::Alert(what) => write!(f, "the peer ended TLS with the alert '{what}'"),
            TlsError::Handshake(why) => write!(f, "TLS failed: {why}"),
            TlsError::Truncated => f.write_str(
                "the connection closed without a TLS close_notify before the body ended (it may be cut short)",
            ),
            TlsError::Config(why) => write!(f, "TLS configuration: {why}"),
        }
    }
}

impl std::error::Error for TlsError {}

/// The printable start of `bytes` (at most `max`), every other byte escaped.
pub(crate) fn printable(bytes: &[u8], max: usize) -> String {
    let cut = &bytes[..bytes.len().min(max)];
    let line = cut
        .split(|&b| b == b'\r' || b == b'\n')
        .next()
        .unwrap_or(cut);
    line.escape_ascii().to_string()
}

/// Marks a certificate that is its own issuer (the verifier's refinement of
/// "unknown issuer"; see `config.rs`).
#[derive(Debug)]
pub(crate) struct SelfSignedMark;

impl fmt::Display for SelfSignedMark {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("self-signed certificate")
    }
}

impl std::error::Error for SelfSignedMark {}

impl TlsError {
    /// Classifies rustls' error; `host` is the name the client connected to (for the
    /// wrong-host case).
    pub(crate) fn from_rustls(e: &rustls::Error, host: Option<&str>) -> TlsError {
        match e {
            rustls::Error::InvalidCertificate(c) => TlsError::from_certificate(c, host),
            rustls::Error::AlertReceived(a) => TlsError::Alert(alert_name(*a)),
            other => TlsError::Handshake(other.to_string()),
        }
    }

    fn from_certificate(c: &CertificateError, host: Option<&str>) -> TlsError {
        match c {
            CertificateError::UnknownIssuer => TlsError::UnknownIssuer,
            CertificateError::Other(other)
                if other.0.downcast_ref::<SelfSignedMark>().is_some() =>
            {
                TlsError::SelfSigned
            }
            CertificateError::Expired => TlsError::Expired { not_after: None },
            CertificateError::ExpiredContext { not_after, .. } => TlsError::Expired {
                not_after: Some(SystemTime::UNIX_EPOCH + Duration::from_secs(not_after.as_secs())),
            },
            CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
                TlsError::NotYetValid
            }
            CertificateError::NotValidForName => TlsError::WrongHost {
                host: host.unwrap_or_default().to_owned(),
                presented: Vec::new(),
            },
            CertificateError::NotValidForNameContext {
                expected,
                presented,
            } => TlsError::WrongHost {
                host: host
                    .map(str::to_owned)
                    .unwrap_or_else(|| format!("{expected:?}")),
                presented: presented
                    .iter()
                    .take(8)
                    .map(|p| printable(presented_name(p).as_bytes(), 200))
                    .collect(),
            },
            other => TlsError::BadCertificate(format!("{other:?}")),
        }
    }
}

/// The name in webpki's description of a presented name (`DnsName("a.example")` is
/// `a.example`).
fn presented_name(p: &str) -> &str {
    match (p.find("(\""), p.strip_suffix("\")")) {
        (Some(open), Some(inner)) if open + 2 <= inner.len() => &inner[open + 2..],
        _ => p,
    }
}

/// The alert's name as the RFC writes it (`handshake_failure`).
fn alert_name(a: AlertDescription) -> String {
    let debug = format!("{a:?}");
    // `HandshakeFailure` -> `handshake_failure`.
    let mut out = String::with_capacity(debug.len() + 4);
    for (i, c) in debug.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}
