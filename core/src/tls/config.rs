//! TLS configurations for the two roles, built from certificates as bytes (the runtimes and
//! `netloom-io` read files and the system store), with the driver-fed clock and *ring*.

use std::fmt;
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, RootCertStore, SignatureScheme};

use super::clock::FedClock;
use super::error::{SelfSignedMark, TlsError};
use super::ALPN_HTTP11;

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// How a client verifies servers and speaks TLS: what
/// [`ClientConfig::tls`](crate::http::client::ClientConfig::tls) holds.
///
/// Build one with [`TlsClientConfig::builder`] (trusted roots as DER or PEM, ALPN
/// `http/1.1`, the clock fed by the driver), bring a rustls configuration of your own with
/// [`from_rustls`](Self::from_rustls), or let a runtime fill in the system's trust store
/// (`netloom-io`'s `tls::system_client`). Cloning is cheap.
///
/// ```
/// use netloom_core::tls::TlsClientConfig;
/// // No roots: every server fails verification, except with `insecure`.
/// let err = TlsClientConfig::builder().build().unwrap_err();
/// assert_eq!(err.to_string(), "no trusted root certificates to verify the server");
/// let anything_goes = TlsClientConfig::builder().insecure().build().unwrap();
/// # let _ = anything_goes;
/// ```
#[derive(Clone)]
pub struct TlsClientConfig(Client);

#[derive(Clone)]
#[cfg_attr(not(feature = "client"), allow(dead_code))]
enum Client {
    Ready {
        rustls: Arc<rustls::ClientConfig>,
        clock: Option<Arc<FedClock>>,
        insecure: bool,
    },
    /// Built on first use (reading the system's trust store costs milliseconds that a
    /// client making only `http://` requests should not pay).
    Lazy(fn() -> Result<TlsClientConfig, TlsError>),
}

impl fmt::Debug for TlsClientConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Client::Ready { insecure, .. } => f
                .debug_struct("TlsClientConfig")
                .field("insecure", insecure)
                .finish_non_exhaustive(),
            Client::Lazy(_) => f.write_str("TlsClientConfig(lazy)"),
        }
    }
}

impl PartialEq for TlsClientConfig {
    fn eq(&self, other: &Self) -> bool {
        match (&self.0, &other.0) {
            (Client::Ready { rustls: a, .. }, Client::Ready { rustls: b, .. }) => Arc::ptr_eq(a, b),
            (Client::Lazy(a), Client::Lazy(b)) => std::ptr::fn_addr_eq(*a, *b),
            _ => false,
        }
    }
}

impl Eq for TlsClientConfig {}

impl TlsClientConfig {
    /// A builder: add trusted roots, then [`build`](TlsClientBuilder::build).
    pub fn builder() -> TlsClientBuilder {
        TlsClientBuilder {
            roots: RootCertStore::empty(),
            pinned: Vec::new(),
            insecure: false,
            alpn: vec![ALPN_HTTP11.to_vec()],
        }
    }

    /// A rustls configuration of your own, used as it is (its clock, its verifier, its
    /// ALPN list).
    pub fn from_rustls(config: Arc<rustls::ClientConfig>) -> Self {
        TlsClientConfig(Client::Ready {
            rustls: config,
            clock: None,
            insecure: false,
        })
    }

    /// A configuration made by `build` the first time a TLS connection needs it (and each
    /// time after, so `build` should cache what it makes).
    pub fn lazy(build: fn() -> Result<TlsClientConfig, TlsError>) -> Self {
        TlsClientConfig(Client::Lazy(build))
    }

    /// Whether certificate checks are off ([`TlsClientBuilder::insecure`]).
    pub fn is_insecure(&self) -> bool {
        matches!(self.0, Client::Ready { insecure: true, .. })
    }

    /// The rustls configuration, and the clock to feed before rustls runs.
    #[cfg_attr(not(feature = "client"), allow(dead_code))]
    pub(crate) fn resolve(
        &self,
    ) -> Result<(Arc<rustls::ClientConfig>, Option<Arc<FedClock>>), TlsError> {
        match &self.0 {
            Client::Ready { rustls, clock, .. } => Ok((Arc::clone(rustls), clock.clone())),
            Client::Lazy(build) => match build()?.0 {
                Client::Ready { rustls, clock, .. } => Ok((rustls, clock)),
                Client::Lazy(_) => Err(TlsError::NotConfigured),
            },
        }
    }
}

/// Builds a [`TlsClientConfig`]: trusted roots, or none checked at all.
#[derive(Debug)]
pub struct TlsClientBuilder {
    roots: RootCertStore,
    /// Certificates given one by one: a server presenting exactly one of them is trusted
    /// even where the web PKI would refuse it as a server's (a self-signed certificate made
    /// with `openssl req -x509` is marked as a CA), as curl and CPython trust it.
    pinned: Vec<CertificateDer<'static>>,
    insecure: bool,
    alpn: Vec<Vec<u8>>,
}

impl TlsClientBuilder {
    /// Trusts the root certificate `der` (DER bytes).
    pub fn root_der(mut self, der: &[u8]) -> Result<Self, TlsError> {
        let cert = CertificateDer::from(der.to_vec());
        self.roots
            .add(cert.clone())
            .map_err(|e| TlsError::Config(format!("a root certificate: {e}")))?;
        self.pinned.push(cert);
        Ok(self)
    }

    /// Trusts every certificate in the PEM text `pem` (a CA bundle, or one certificate).
    /// PEM with no certificate in it is an error.
    pub fn roots_pem(mut self, pem: &[u8]) -> Result<Self, TlsError> {
        let mut found = 0;
        for cert in CertificateDer::pem_slice_iter(pem) {
            let cert = cert.map_err(|e| TlsError::Config(format!("reading PEM: {e}")))?;
            self.roots
                .add(cert.clone())
                .map_err(|e| TlsError::Config(format!("a root certificate: {e}")))?;
            self.pinned.push(cert);
            found += 1;
        }
        if found == 0 {
            return Err(TlsError::Config("no certificate in the PEM data".into()));
        }
        Ok(self)
    }

    /// Trusts each of `roots` (DER), skipping ones rustls cannot use (a system store holds a
    /// few); returns how many were added.
    pub fn roots_der_lenient<'a>(&mut self, roots: impl IntoIterator<Item = &'a [u8]>) -> usize {
        let (added, _) = self
            .roots
            .add_parsable_certificates(roots.into_iter().map(|d| CertificateDer::from(d.to_vec())));
        added
    }

    /// Turns certificate checking off: any certificate, for any name, is accepted
    /// (curl's `--insecure`). The handshake's signatures are still checked, but anyone in
    /// the path can pose as the server. For testing only.
    pub fn insecure(mut self) -> Self {
        self.insecure = true;
        self
    }

    /// The ALPN protocols to offer (default `http/1.1`; empty offers none).
    pub fn alpn(mut self, protocols: Vec<Vec<u8>>) -> Self {
        self.alpn = protocols;
        self
    }

    /// The configuration. With no root and not [`insecure`](Self::insecure):
    /// [`TlsError::NoRoots`].
    pub fn build(self) -> Result<TlsClientConfig, TlsError> {
        let provider = provider();
        let clock = Arc::new(FedClock::default());
        let verifier: Arc<dyn ServerCertVerifier> = if self.insecure {
            Arc::new(Insecure(Arc::clone(&provider)))
        } else {
            if self.roots.is_empty() {
                return Err(TlsError::NoRoots);
            }
            let webpki = WebPkiServerVerifier::builder_with_provider(
                Arc::new(self.roots),
                Arc::clone(&provider),
            )
            .build()
            .map_err(|e| TlsError::Config(e.to_string()))?;
            Arc::new(Classifying {
                webpki,
                pinned: self.pinned,
            })
        };
        let mut config = rustls::ClientConfig::builder_with_details(provider, clock.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| TlsError::Config(e.to_string()))?
            .dangerous()
            .with_custom_certificate_verifier(verifier)
            .with_no_client_auth();
        config.alpn_protocols = self.alpn;
        Ok(TlsClientConfig(Client::Ready {
            rustls: Arc::new(config),
            clock: Some(clock),
            insecure: self.insecure,
        }))
    }
}

/// The web PKI verifier, with "unknown issuer" refined into "self-signed" when the
/// certificate is its own issuer (the one case where the user's fix differs), and trust in
/// a certificate given explicitly that the server presents as it is.
#[derive(Debug)]
struct Classifying {
    webpki: Arc<WebPkiServerVerifier>,
    pinned: Vec<CertificateDer<'static>>,
}

fn is_self_signed(cert: &CertificateDer<'_>) -> bool {
    webpki::EndEntityCert::try_from(cert).is_ok_and(|c| c.issuer() == c.subject())
}

/// Whether rustls' error says the web PKI took the certificate for a CA's.
fn is_ca_as_end_entity(e: &CertificateError) -> bool {
    matches!(e, CertificateError::Other(o)
        if matches!(o.0.downcast_ref::<webpki::Error>(), Some(webpki::Error::CaUsedAsEndEntity)))
}

/// A pinned certificate still has to name the server and be within its dates.
fn verify_pinned(
    cert: &CertificateDer<'_>,
    server_name: &ServerName<'_>,
    now: UnixTime,
) -> Result<ServerCertVerified, rustls::Error> {
    let bad = |e: CertificateError| rustls::Error::InvalidCertificate(e);
    let parsed =
        webpki::EndEntityCert::try_from(cert).map_err(|_| bad(CertificateError::BadEncoding))?;
    parsed
        .verify_is_valid_for_subject_name(server_name)
        .map_err(|_| bad(CertificateError::NotValidForName))?;
    let (not_before, not_after) =
        super::der::validity(cert.as_ref()).ok_or(bad(CertificateError::BadEncoding))?;
    let t = now.as_secs() as i64;
    if t < not_before {
        return Err(bad(CertificateError::NotValidYet));
    }
    if t > not_after {
        return Err(bad(CertificateError::ExpiredContext {
            time: now,
            not_after: UnixTime::since_unix_epoch(std::time::Duration::from_secs(
                not_after.max(0) as u64
            )),
        }));
    }
    Ok(ServerCertVerified::assertion())
}

impl ServerCertVerifier for Classifying {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let refused = match self.webpki.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        ) {
            Ok(ok) => return Ok(ok),
            Err(e) => e,
        };
        let alone = intermediates.is_empty();
        if alone
            && self
                .pinned
                .iter()
                .any(|p| p.as_ref() == end_entity.as_ref())
        {
            return verify_pinned(end_entity, server_name, now);
        }
        Err(match refused {
            rustls::Error::InvalidCertificate(e)
                if alone
                    && (e == CertificateError::UnknownIssuer || is_ca_as_end_entity(&e))
                    && is_self_signed(end_entity) =>
            {
                rustls::Error::InvalidCertificate(CertificateError::Other(rustls::OtherError(
                    Arc::new(SelfSignedMark),
                )))
            }
            other => other,
        })
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.webpki.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.webpki.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.webpki.supported_verify_schemes()
    }
}

/// Accepts any certificate for any name; still checks the handshake signatures (so the
/// session is at least with whoever holds the certificate's key).
#[derive(Debug)]
struct Insecure(Arc<CryptoProvider>);

impl ServerCertVerifier for Insecure {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// A server's certificate, key and TLS settings: what a runtime's `Server::tls` and a
/// [`TlsAcceptor`](super::TlsAcceptor) take. Cloning is cheap.
///
/// [`from_pem`](Self::from_pem) takes the certificate chain and private key as PEM bytes
/// (`netloom-io`'s `tls::server_from_files` reads them from files), offers ALPN
/// `http/1.1`, and runs on the driver-fed clock.
#[derive(Clone)]
pub struct TlsServerConfig {
    pub(crate) rustls: Arc<rustls::ServerConfig>,
    pub(crate) clock: Option<Arc<FedClock>>,
}

impl fmt::Debug for TlsServerConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsServerConfig").finish_non_exhaustive()
    }
}

impl PartialEq for TlsServerConfig {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.rustls, &other.rustls)
    }
}

impl Eq for TlsServerConfig {}

impl TlsServerConfig {
    /// A configuration from the PEM certificate chain `cert_pem` (the server's certificate
    /// first) and the PEM private key `key_pem` (PKCS#8, PKCS#1 or SEC1). A key that does not
    /// match the certificate is an error here, not at the first handshake.
    pub fn from_pem(cert_pem: &[u8], key_pem: &[u8]) -> Result<TlsServerConfig, TlsError> {
        let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(cert_pem)
            .collect::<Result<_, _>>()
            .map_err(|e| TlsError::Config(format!("reading the certificate PEM: {e}")))?;
        if chain.is_empty() {
            return Err(TlsError::Config(
                "no certificate in the certificate PEM".into(),
            ));
        }
        let key = PrivateKeyDer::from_pem_slice(key_pem)
            .map_err(|e| TlsError::Config(format!("reading the private key PEM: {e}")))?;
        Self::from_der(chain, key)
    }

    /// A configuration from a DER certificate chain and private key.
    pub fn from_der(
        chain: Vec<CertificateDer<'static>>,
        key: PrivateKeyDer<'static>,
    ) -> Result<TlsServerConfig, TlsError> {
        let clock = Arc::new(FedClock::default());
        let mut config = rustls::ServerConfig::builder_with_details(provider(), clock.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| TlsError::Config(e.to_string()))?
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .map_err(|e| TlsError::Config(format!("the certificate and key: {e}")))?;
        config.alpn_protocols = vec![ALPN_HTTP11.to_vec()];
        Ok(TlsServerConfig {
            rustls: Arc::new(config),
            clock: Some(clock),
        })
    }

    /// A rustls configuration of your own, used as it is.
    pub fn from_rustls(config: Arc<rustls::ServerConfig>) -> TlsServerConfig {
        TlsServerConfig {
            rustls: config,
            clock: None,
        }
    }

    /// The rustls configuration.
    pub fn rustls(&self) -> &Arc<rustls::ServerConfig> {
        &self.rustls
    }
}
