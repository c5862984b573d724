//! Where a redirect sends the client (RFC 9110 §15.4).

use super::{ClientError, Url};
use crate::http::Response;

/// Which redirects a client follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum RedirectPolicy {
    /// Follow 301, 302, 303, 307 and 308 as browsers, urllib and curl `-L` do (RFC 9110
    /// §15.4: a `POST` turns into a `GET` on 301, 302 and 303; 307 and 308 keep the method
    /// and body), up to [`ClientConfig::max_redirects`](super::ClientConfig::max_redirects).
    #[default]
    Follow,
    /// Follow only 307 and 308, which keep the method and the body; any other redirect is
    /// [`ClientError::RedirectRefused`]. For calls that must not turn into something else,
    /// as an XML-RPC `POST` would become a `GET` without its call on a 301, 302 or 303.
    KeepMethod,
    /// Follow nothing: any redirect is [`ClientError::RedirectRefused`] (CPython's
    /// `ServerProxy`).
    Refuse,
    /// Follow nothing: a redirect is the response, for the caller to look at.
    Return,
}

/// Where a redirect sends the client next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redirect {
    /// The next URL (a relative `Location` resolved against the current URL).
    pub url: Url,
    /// The method of the next request.
    pub method: String,
    /// Whether the next request carries the same body (307 and 308 only).
    pub keep_body: bool,
}

/// True for the statuses the client follows: 301, 302, 303, 307 and 308.
pub fn is_redirect(status: u16) -> bool {
    matches!(status, 301 | 302 | 303 | 307 | 308)
}

/// The redirect rule, as a pure function of the current URL and method, the response status
/// and its `Location` (RFC 9110 §15.4, as urllib and browsers apply it):
///
/// - not 301/302/303/307/308, or no `Location`: `Ok(None)`, the response is final;
/// - 301, 302: a `POST` becomes a `GET` without body; other methods are kept;
/// - 303: `GET` without body (a `HEAD` stays `HEAD`);
/// - 307, 308: same method, same body.
///
/// A relative `Location` is resolved against `current`; a `Location` without a fragment
/// inherits `current`'s (RFC 9110 §10.2.2). A `Location` that cannot be resolved is
/// [`ClientError::InvalidUrl`]. The scheme of the result is not checked here.
pub fn redirect(
    current: &Url,
    method: &str,
    status: u16,
    location: Option<&str>,
) -> Result<Option<Redirect>, ClientError> {
    if !is_redirect(status) {
        return Ok(None);
    }
    let Some(location) = location.map(str::trim).filter(|l| !l.is_empty()) else {
        return Ok(None);
    };
    let mut url = current.join(location).map_err(|e| {
        ClientError::InvalidUrl(format!("redirect to '{location}' (from {current}): {e}"))
    })?;
    if url.fragment().is_none() {
        url.set_fragment(current.fragment());
    }
    let (method, keep_body) = match status {
        303 if method == "HEAD" => ("HEAD".to_owned(), false),
        303 => ("GET".to_owned(), false),
        301 | 302 if method == "POST" => ("GET".to_owned(), false),
        301 | 302 => (method.to_owned(), false),
        _ => (method.to_owned(), true),
    };
    Ok(Some(Redirect {
        url,
        method,
        keep_body,
    }))
}

/// Counts the redirects of one request against a maximum.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redirects {
    max: usize,
    followed: usize,
}

impl Redirects {
    /// Allows at most `max` redirects.
    pub fn new(max: usize) -> Self {
        Redirects { max, followed: 0 }
    }

    /// Applies [`redirect`] to a response and counts the hop: `Ok(None)` when the response
    /// is final, [`ClientError::TooManyRedirects`] when one more hop would exceed the
    /// maximum.
    pub fn follow(
        &mut self,
        current: &Url,
        method: &str,
        response: &Response,
    ) -> Result<Option<Redirect>, ClientError> {
        let location = response
            .headers()
            .get("Location")
            .map(|l| String::from_utf8_lossy(l).into_owned());
        let next = redirect(current, method, response.status(), location.as_deref())?;
        if next.is_some() {
            if self.followed >= self.max {
                return Err(ClientError::TooManyRedirects { max: self.max });
            }
            self.followed += 1;
        }
        Ok(next)
    }
}
