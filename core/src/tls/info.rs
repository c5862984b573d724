//! What a TLS handshake established, handed to the connection behind the TLS layer.

/// What a TLS handshake established, for handlers that authorize by it. The fields are
/// filled by the TLS layer ([`TlsServer`](crate::tls::TlsServer) gives it to its connection with
/// [`Duplex::secured`](crate::Duplex::secured) once the handshake is done); a plain-TCP request
/// has no `TlsInfo` at all.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct TlsInfo {
    /// The server name the client asked for (SNI), if it sent one.
    pub server_name: Option<String>,
    /// The application protocol agreed by ALPN, if any.
    pub alpn_protocol: Option<Vec<u8>>,
    /// The client's certificate chain (DER, leaf first), empty without client
    /// authentication.
    pub peer_certificates: Vec<Vec<u8>>,
}
