//! What a client connection carries besides its socket: its TLS session, when the origin is
//! `https://`. It goes into the pool with the socket and comes back with it.

/// The protocol state of one client connection beyond the socket: on an `https://` origin,
/// its TLS session. A driver keeps it with the socket in its [`Pool`](super::Pool): take it
/// from the fetch when the connection is released ([`Fetch::take_link`](super::Fetch::take_link))
/// and give it back when the connection is reused ([`Fetch::reused`](super::Fetch::reused)).
/// For `http://`, it is empty.
#[derive(Debug, Default)]
pub struct Link {
    #[cfg(feature = "tls")]
    pub(super) tls: Option<Box<crate::tls::session::Session>>,
}

impl Link {
    /// A plaintext connection's link (nothing to keep).
    pub fn plain() -> Link {
        Link::default()
    }

    /// Whether the connection speaks TLS.
    pub fn is_tls(&self) -> bool {
        #[cfg(feature = "tls")]
        {
            self.tls.is_some()
        }
        #[cfg(not(feature = "tls"))]
        {
            false
        }
    }
}
