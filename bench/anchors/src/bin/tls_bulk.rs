//! rustls' own cost for bulk data, with no sockets: a client and a server connection in one
//! thread (*ring*, the same protocol versions and cipher suites as netloom and the anchors),
//! the handshake done in memory, then the server encrypts SIZE bytes in `--chunk`-byte
//! writes and the client decrypts them. Prints the time of each side, so a loopback download
//! can be compared with the ceiling TLS itself sets.
//!
//! ```text
//! tls-bulk --cert server.pem --key server.key --cacert ca.pem [--size 1073741824] [--chunk 65536]
//! ```

use std::io::{Read, Write};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rustls::pki_types::ServerName;
use rustls::{ClientConfig, ClientConnection, Connection, RootCertStore, ServerConnection};

fn arg(name: &str) -> Option<String> {
    let argv: Vec<String> = std::env::args().collect();
    argv.iter()
        .position(|a| a == name)
        .and_then(|i| argv.get(i + 1).cloned())
}

/// Moves what `from` has to send into `to`.
fn pump(from: &mut Connection, to: &mut Connection, wire: &mut Vec<u8>) {
    wire.clear();
    while from.wants_write() {
        from.write_tls(wire).expect("write_tls to memory");
    }
    let mut rest = &wire[..];
    while !rest.is_empty() {
        to.read_tls(&mut rest).expect("read_tls from memory");
        to.process_new_packets().expect("process_new_packets");
    }
}

fn main() {
    let need = |n: &str| {
        arg(n).unwrap_or_else(|| {
            eprintln!("usage: tls-bulk --cert C --key K --cacert CA [--size N] [--chunk N]");
            std::process::exit(2)
        })
    };
    let (cert, key, ca) = (need("--cert"), need("--key"), need("--cacert"));
    let size: u64 = arg("--size").map_or(1 << 30, |s| s.parse().expect("--size N"));
    let chunk: usize = arg("--chunk").map_or(1 << 16, |s| s.parse().expect("--chunk N"));
    let server_config = netloom_bench_anchors::tls_server_config(&cert, &key);
    let mut roots = RootCertStore::empty();
    for c in netloom_bench_anchors::read_certs(&ca) {
        roots.add(c).expect("a root");
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut client_config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("protocol versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    client_config.alpn_protocols = vec![b"http/1.1".to_vec()];
    let name = ServerName::try_from("127.0.0.1").expect("a server name");
    let mut client =
        Connection::from(ClientConnection::new(Arc::new(client_config), name).expect("client"));
    let mut server = Connection::from(ServerConnection::new(server_config).expect("server"));
    // Writes larger than rustls' default 64 KiB of buffered plaintext.
    server.set_buffer_limit(None);
    let mut wire = Vec::with_capacity(1 << 20);
    while client.is_handshaking() || server.is_handshaking() {
        pump(&mut client, &mut server, &mut wire);
        pump(&mut server, &mut client, &mut wire);
    }
    pump(&mut server, &mut client, &mut wire); // session tickets
    let suite = server
        .negotiated_cipher_suite()
        .map_or("?".into(), |s| format!("{:?}", s.suite()));
    let data = vec![0u8; chunk];
    let mut sink = vec![0u8; chunk.max(1 << 16)];
    let (mut enc, mut dec) = (Duration::ZERO, Duration::ZERO);
    let mut sent = 0u64;
    let mut got = 0u64;
    let mut on_wire = 0usize;
    while sent < size {
        let n = (size - sent).min(chunk as u64) as usize;
        let t = Instant::now();
        server.writer().write_all(&data[..n]).expect("write");
        wire.clear();
        while server.wants_write() {
            server.write_tls(&mut wire).expect("write_tls");
        }
        enc += t.elapsed();
        sent += n as u64;
        on_wire += wire.len();
        let t = Instant::now();
        let mut rest = &wire[..];
        while !rest.is_empty() {
            client.read_tls(&mut rest).expect("read_tls");
            client.process_new_packets().expect("process_new_packets");
            loop {
                match client.reader().read(&mut sink) {
                    Ok(0) => break,
                    Ok(k) => got += k as u64,
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                    Err(e) => panic!("read: {e}"),
                }
            }
        }
        dec += t.elapsed();
    }
    assert_eq!(got, size, "the client decrypted what the server sent");
    let mbs = |d: Duration| size as f64 / d.as_secs_f64() / 1e6;
    println!(
        "tls-bulk: {size} bytes, {suite}, {chunk}-byte writes ({on_wire} bytes on the wire): \
         server encrypts in {:.2} s = {:.0} MB/s, client decrypts in {:.2} s = {:.0} MB/s (one core each, in memory)",
        enc.as_secs_f64(),
        mbs(enc),
        dec.as_secs_f64(),
        mbs(dec)
    );
}
