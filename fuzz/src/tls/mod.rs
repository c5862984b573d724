//! The HTTP server connection behind the core's TLS layer: the same plaintext in gives the
//! same plaintext out as without TLS, however the ciphertext is split (what this covers is
//! netloom's pump between rustls and the connection, not rustls itself).

use std::io::{Read, Write};
use std::sync::{Arc, OnceLock};

use netloom_core::tls::{TlsAcceptor, TlsServerConfig};
use netloom_core::{frame, http, Duplex, Now};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};

/// A fixed test certificate (not secret: it exists only for this target).
const CERT: &[u8] = include_bytes!("cert.pem");
const KEY: &[u8] = include_bytes!("key.pem");

fn server_config() -> &'static TlsServerConfig {
    static CONFIG: OnceLock<TlsServerConfig> = OnceLock::new();
    CONFIG.get_or_init(|| TlsServerConfig::from_pem(CERT, KEY).expect("the fixed test key"))
}

/// The client trusts the fixed certificate by not checking it (signatures still are).
#[derive(Debug)]
struct TrustAll(Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for TrustAll {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }
    fn verify_tls12_signature(
        &self,
        m: &[u8],
        c: &CertificateDer<'_>,
        d: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(m, c, d, &self.0.signature_verification_algorithms)
    }
    fn verify_tls13_signature(
        &self,
        m: &[u8],
        c: &CertificateDer<'_>,
        d: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(m, c, d, &self.0.signature_verification_algorithms)
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

fn client_config() -> Arc<rustls::ClientConfig> {
    static CONFIG: OnceLock<Arc<rustls::ClientConfig>> = OnceLock::new();
    Arc::clone(CONFIG.get_or_init(|| {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ClientConfig::builder_with_provider(Arc::clone(&provider))
            .with_safe_default_protocol_versions()
            .expect("ring's protocol versions")
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(TrustAll(provider)))
            .with_no_client_auth();
        Arc::new(config)
    }))
}

/// Moves the server's ciphertext to the client and the client's plaintext into `out`, and
/// runs any job, until the server has nothing more to say.
fn settle<C: Duplex>(
    server: &mut C,
    client: &mut rustls::ClientConnection,
    now: Now,
    out: &mut Vec<u8>,
) {
    for _ in 0..100_000 {
        let pending = server.transmit();
        if !pending.is_empty() {
            let mut slice = pending;
            let n = client
                .read_tls(&mut slice)
                .expect("the client takes the server's bytes");
            assert!(n > 0 || client.wants_write(), "the client stopped reading");
            let _ = client.process_new_packets();
            let _ = client.reader().read_to_end(out);
            server.advance(now, n);
        } else if let Some(job) = server.take_job() {
            server.complete(now, job.run());
        } else {
            return;
        }
    }
    panic!("the connection never settled");
}

/// The server connection, behind TLS, fed `data` encrypted and split by `sizes`: the
/// plaintext it answers.
fn serve_tls(data: &[u8], sizes: &[u8], limits: &http::Limits) -> Vec<u8> {
    let handler: Arc<fn(_) -> _> = Arc::new(super::fuzz_handler);
    let info = frame::ConnInfo {
        local: std::net::SocketAddr::from(([127, 0, 0, 1], 443)).into(),
        peer: std::net::SocketAddr::from(([127, 0, 0, 1], 9)).into(),
    };
    let conn = http::server::ServerConn::new(handler, info, limits.clone());
    let mut server = TlsAcceptor::tls(server_config().clone()).wrap(conn);
    let name = ServerName::try_from("localhost").expect("a name");
    let mut client = rustls::ClientConnection::new(client_config(), name).expect("a client");
    // The plaintext run's time, so that both answers carry the same `Date`.
    let now = super::fixed_now();
    let mut out = Vec::new();
    // The handshake, in the pieces the input says too.
    let mut rounds = 0;
    while client.is_handshaking() {
        rounds += 1;
        assert!(rounds < 20, "the handshake did not finish");
        let mut hello = Vec::new();
        while client.wants_write() {
            client.write_tls(&mut hello).expect("into a Vec");
        }
        for piece in super::pieces(&hello, sizes) {
            server.receive(now, piece);
        }
        settle(&mut server, &mut client, now, &mut out);
    }
    assert!(out.is_empty(), "plaintext before any request");
    client.writer().write_all(data).expect("buffered");
    let mut cipher = Vec::new();
    while client.wants_write() {
        client.write_tls(&mut cipher).expect("into a Vec");
    }
    for piece in super::pieces(&cipher, sizes) {
        if !server.wants_read() {
            break;
        }
        server.receive(now, piece);
        settle(&mut server, &mut client, now, &mut out);
        // Output stays bounded however much was asked for in one go.
        assert!(server.transmit().len() <= 256 * 1024, "unbounded output");
    }
    out
}

/// Same answers with TLS as without, up to the first error response (after which a split of
/// the ciphertext may cut the request differently, as for plaintext).
pub fn tls_server_conn(input: &[u8]) {
    let c = super::control(input);
    let limits = super::http_limits(c.tight);
    let plain = super::serve(&[c.data], &limits, false, false);
    let got = serve_tls(c.data, c.sizes, &limits);
    let answered = plain
        .windows(10)
        .position(|w| w.starts_with(b"HTTP/1.1 4") || w.starts_with(b"HTTP/1.1 5"))
        .unwrap_or(plain.len());
    assert_eq!(
        got.get(..answered),
        Some(&plain[..answered]),
        "TLS changed the answers"
    );
}
