//! Certificates for the TLS tests, made once per test process with rcgen: a CA, servers it
//! signed (valid, expired, for another host), a self-signed one, and an unrelated CA.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};

/// PEM files on disk, by role.
#[derive(Debug)]
pub struct Pki {
    pub dir: PathBuf,
    /// The CA every "good" server certificate chains to.
    pub ca: PathBuf,
    /// A CA that signed nothing here.
    pub other_ca: PathBuf,
    /// localhost, 127.0.0.1 and ::1, signed by `ca`.
    pub server: Pair,
    /// Signed by `ca`, expired in 2020.
    pub expired: Pair,
    /// Signed by `ca`, for other.example only.
    pub wrong_host: Pair,
    /// localhost and 127.0.0.1, its own issuer.
    pub self_signed: Pair,
}

/// A certificate and its key.
#[derive(Debug)]
pub struct Pair {
    pub cert: PathBuf,
    pub key: PathBuf,
}

fn ca(name: &str) -> CertifiedIssuer<'static, KeyPair> {
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(DnType::CommonName, name);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap()
}

fn leaf(names: &[&str]) -> CertificateParams {
    let mut params =
        CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>()).unwrap();
    params.distinguished_name.push(DnType::CommonName, names[0]);
    params
}

fn write(dir: &Path, name: &str, cert: &str, key: &KeyPair) -> Pair {
    let pair = Pair {
        cert: dir.join(format!("{name}.pem")),
        key: dir.join(format!("{name}.key")),
    };
    std::fs::write(&pair.cert, cert).unwrap();
    std::fs::write(&pair.key, key.serialize_pem()).unwrap();
    pair
}

fn signed(dir: &Path, name: &str, params: CertificateParams, issuer: &Issuer<'_, KeyPair>) -> Pair {
    let key = KeyPair::generate().unwrap();
    let cert = params.signed_by(&key, issuer).unwrap();
    write(dir, name, &cert.pem(), &key)
}

/// The test PKI (made on first use).
pub fn pki() -> &'static Pki {
    static PKI: OnceLock<Pki> = OnceLock::new();
    PKI.get_or_init(|| {
        let dir = super::temp_dir("pki");
        let ca_issuer = ca("netloom test CA");
        let other = ca("unrelated test CA");
        let ca = dir.join("ca.pem");
        std::fs::write(&ca, ca_issuer.pem()).unwrap();
        let other_ca = dir.join("other_ca.pem");
        std::fs::write(&other_ca, other.pem()).unwrap();

        let server = signed(
            &dir,
            "server",
            leaf(&["localhost", "127.0.0.1", "::1"]),
            &ca_issuer,
        );
        let mut old = leaf(&["localhost", "127.0.0.1"]);
        old.not_before = rcgen::date_time_ymd(2019, 1, 1);
        old.not_after = rcgen::date_time_ymd(2020, 1, 1);
        let expired = signed(&dir, "expired", old, &ca_issuer);
        let wrong_host = signed(&dir, "wrong_host", leaf(&["other.example"]), &ca_issuer);
        let key = KeyPair::generate().unwrap();
        let cert = leaf(&["localhost", "127.0.0.1"]).self_signed(&key).unwrap();
        let self_signed = write(&dir, "self_signed", &cert.pem(), &key);
        Pki {
            dir,
            ca,
            other_ca,
            server,
            expired,
            wrong_host,
            self_signed,
        }
    })
}
