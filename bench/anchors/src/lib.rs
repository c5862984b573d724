//! Shared command-line handling for the anchor servers.

use std::sync::Arc;

/// Parsed `--port P [--threads N] [--tls-cert CERT.pem --tls-key KEY.pem]` options.
pub struct Opts {
    pub port: u16,
    /// 0 selects tokio's current_thread runtime; N > 0 a multi-thread runtime with N workers.
    pub threads: usize,
    /// PEM certificate chain and private key, for the servers that can serve TLS.
    pub tls_cert: Option<String>,
    pub tls_key: Option<String>,
}

/// Parses `--port P` (required), `--threads N` (default `default_threads`) and the optional
/// `--tls-cert CERT.pem --tls-key KEY.pem` (both or neither).
pub fn parse_args(default_threads: usize) -> Opts {
    let mut port = None;
    let mut threads = default_threads;
    let (mut tls_cert, mut tls_key) = (None, None);
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let value = args.next();
        match (arg.as_str(), value) {
            ("--port", Some(v)) => port = Some(v.parse().expect("--port takes a number")),
            ("--threads", Some(v)) => threads = v.parse().expect("--threads takes a number"),
            ("--tls-cert", Some(v)) => tls_cert = Some(v),
            ("--tls-key", Some(v)) => tls_key = Some(v),
            (other, _) => {
                eprintln!("usage: {} --port P [--threads N]  (unknown or incomplete: {other})",
                    std::env::args().next().unwrap_or_default());
                std::process::exit(2);
            }
        }
    }
    let Some(port) = port else {
        eprintln!("--port P is required");
        std::process::exit(2);
    };
    if tls_cert.is_some() != tls_key.is_some() {
        eprintln!("--tls-cert and --tls-key go together");
        std::process::exit(2);
    }
    Opts { port, threads, tls_cert, tls_key }
}

/// The certificates in the PEM file `path`.
pub fn read_certs(path: &str) -> Vec<rustls::pki_types::CertificateDer<'static>> {
    use rustls::pki_types::pem::PemObject;
    let pem = std::fs::read(path).unwrap_or_else(|e| panic!("reading {path}: {e}"));
    let certs: Vec<_> = rustls::pki_types::CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<_, _>>()
        .unwrap_or_else(|e| panic!("reading {path}: {e}"));
    assert!(!certs.is_empty(), "no certificate in {path}");
    certs
}

/// A rustls server configuration as netloom's `TlsServerConfig::from_pem` makes one: *ring*,
/// rustls' safe default protocol versions (TLS 1.3 and 1.2) and cipher suites, one
/// certificate chain, no client authentication, ALPN `http/1.1`.
pub fn tls_server_config(cert: &str, key: &str) -> Arc<rustls::ServerConfig> {
    use rustls::pki_types::pem::PemObject;
    let key_pem = std::fs::read(key).unwrap_or_else(|e| panic!("reading {key}: {e}"));
    let key = rustls::pki_types::PrivateKeyDer::from_pem_slice(&key_pem)
        .unwrap_or_else(|e| panic!("reading {key}: {e}"));
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("protocol versions")
        .with_no_client_auth()
        .with_single_cert(read_certs(cert), key)
        .expect("certificate and key");
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Arc::new(config)
}

/// Builds the tokio runtime selected by `threads`.
pub fn runtime(threads: usize) -> tokio::runtime::Runtime {
    let mut builder = if threads == 0 {
        tokio::runtime::Builder::new_current_thread()
    } else {
        let mut b = tokio::runtime::Builder::new_multi_thread();
        b.worker_threads(threads);
        b
    };
    builder.enable_io().build().expect("tokio runtime")
}
