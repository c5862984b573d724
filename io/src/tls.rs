//! TLS material from files and the system: the trust store, extra roots, a server's
//! certificate chain and key. The TLS logic itself is `netloom-core`'s (`netloom_core::tls`).

use std::path::Path;
use std::sync::OnceLock;

use netloom_core::http::client::ClientConfig;
use netloom_core::tls::{TlsClientBuilder, TlsClientConfig, TlsError, TlsServerConfig};

/// Reads `path` for a TLS configuration, saying which file failed.
fn read(path: &Path, what: &str) -> Result<Vec<u8>, TlsError> {
    std::fs::read(path)
        .map_err(|e| TlsError::Config(format!("cannot read the {what} {}: {e}", path.display())))
}

/// A builder holding the system's trusted roots (`/etc/ssl/certs` and the like, or the
/// files `SSL_CERT_FILE` / `SSL_CERT_DIR` name), as OpenSSL and curl find them.
pub fn system_roots() -> TlsClientBuilder {
    let mut builder = TlsClientConfig::builder();
    let found = rustls_native_certs::load_native_certs();
    builder.roots_der_lenient(found.certs.iter().map(|c| c.as_ref()));
    builder
}

/// The client configuration over the system's trusted roots, made once per process.
pub fn system_client() -> Result<TlsClientConfig, TlsError> {
    static SYSTEM: OnceLock<Result<TlsClientConfig, TlsError>> = OnceLock::new();
    SYSTEM.get_or_init(|| system_roots().build()).clone()
}

/// Gives `config` the system's trust store (read on its first `https://` request) unless it
/// has a TLS configuration already: what the runtimes' clients do with the configuration
/// they are given.
pub fn fill_client_defaults(config: &mut ClientConfig) {
    if config.tls.is_none() {
        config.tls = Some(TlsClientConfig::lazy(system_client));
    }
}

/// A client configuration as a command line asks for it: the system's roots plus the PEM
/// files `extra_roots` (curl's `--cacert`; each must hold a certificate), or no checks at all
/// when `insecure` (curl's `--insecure`).
pub fn client_config(
    extra_roots: &[impl AsRef<Path>],
    insecure: bool,
) -> Result<TlsClientConfig, TlsError> {
    if insecure {
        return TlsClientConfig::builder().insecure().build();
    }
    let mut builder = system_roots();
    for path in extra_roots {
        let path = path.as_ref();
        let pem = read(path, "CA certificate file")?;
        builder = builder
            .roots_pem(&pem)
            .map_err(|e| TlsError::Config(format!("{}: {e}", path.display())))?;
    }
    builder.build()
}

/// A server configuration from a PEM certificate chain file and a PEM private key file
/// (`--tls-cert`, `--tls-key`).
pub fn server_from_files(cert: &Path, key: &Path) -> Result<TlsServerConfig, TlsError> {
    let cert_pem = read(cert, "certificate file")?;
    let key_pem = read(key, "private key file")?;
    TlsServerConfig::from_pem(&cert_pem, &key_pem)
}
