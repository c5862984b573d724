//! TLS over real loopback sockets on every runtime, with certificates made at test time:
//! our clients against CPython's `ssl` servers, every bad-certificate case, truncation, and
//! redirects from http:// to https://.

mod common;

use std::io::Read;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::pki::pki;
use common::{each_runtime, temp_dir};
use netloom::http::client::{ClientConfig, ClientError};
use netloom::tls::{TlsClientConfig, TlsError};
use netloom::xmlrpc::proxy::ProxyOptions;

/// CPython TLS servers. `argv`: mode, cert, key, then mode-specific arguments; the script
/// prints its port first.
const PY_TLS: &str = r#"
import http.server, socket, ssl, sys, threading, xmlrpc.server
mode, cert, key = sys.argv[1], sys.argv[2], sys.argv[3]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
if mode == "http":
    root = sys.argv[4]
    class H(http.server.SimpleHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        def __init__(self, *a, **kw):
            super().__init__(*a, directory=root, **kw)
        def log_message(self, *a):
            pass
        def do_GET(self):
            if self.path == "/headers":
                body = "".join(f"{k}: {v}\n" for k, v in self.headers.items()).encode()
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            else:
                super().do_GET()
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    print(srv.server_address[1], flush=True)
    srv.serve_forever()
elif mode == "xmlrpc":
    srv = xmlrpc.server.SimpleXMLRPCServer(("127.0.0.1", 0), logRequests=False, allow_none=True)
    srv.register_function(lambda a, b: a + b, "add")
    srv.register_introspection_functions()
    srv.register_multicall_functions()
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    print(srv.server_address[1], flush=True)
    srv.serve_forever()
elif mode in ("close_notify", "no_close_notify"):
    # A close-delimited body (HTTP/1.0, no Content-Length), ended with or without TLS's
    # close_notify.
    lsock = socket.socket()
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(8)
    print(lsock.getsockname()[1], flush=True)
    while True:
        raw, _ = lsock.accept()
        try:
            s = ctx.wrap_socket(raw, server_side=True)
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
            s.sendall(b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\n" + b"x" * 5000)
            if mode == "close_notify":
                s = s.unwrap()
            s.close()
        except Exception:
            raw.close()
elif mode == "client_cert":
    ctx.verify_mode = ssl.CERT_REQUIRED
    ctx.load_verify_locations(cert)
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler)
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    print(srv.server_address[1], flush=True)
    srv.serve_forever()
"#;

/// A CPython TLS server; killed when dropped.
struct PyServer {
    child: Child,
    port: u16,
}

impl Drop for PyServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn py_tls(mode: &str, pair: &common::pki::Pair, extra: &[&str]) -> PyServer {
    use std::io::BufRead;
    let mut child = Command::new("python3")
        .arg("-c")
        .arg(PY_TLS)
        .arg(mode)
        .arg(&pair.cert)
        .arg(&pair.key)
        .args(extra)
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3 is required for the TLS interop tests");
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let port = line
        .trim()
        .parse()
        .unwrap_or_else(|_| panic!("the Python server printed {line:?}, not its port"));
    PyServer { child, port }
}

/// A client configuration trusting the test CA (and nothing else).
fn trusting(ca: &std::path::Path) -> ClientConfig {
    let pem = std::fs::read(ca).unwrap();
    ClientConfig {
        tls: Some(
            TlsClientConfig::builder()
                .roots_pem(&pem)
                .unwrap()
                .build()
                .unwrap(),
        ),
        read_timeout: Duration::from_secs(10),
        ..ClientConfig::default()
    }
}

fn read_all(r: &mut dyn Read) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::new();
    r.read_to_end(&mut out)?;
    Ok(out)
}

/// Pseudo-random bytes (every byte value, no pattern a short read would hide).
fn noise(len: usize) -> Vec<u8> {
    let mut x: u32 = 0x9e37_79b9;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect()
}

#[test]
fn clients_fetch_from_cpython_https_server() {
    let pki = pki();
    let root = temp_dir("tls-root");
    let big = noise(20_000_000);
    std::fs::write(root.join("big.bin"), &big).unwrap();
    std::fs::write(root.join("hello.txt"), b"hello over TLS\n").unwrap();
    let server = py_tls("http", &pki.server, &[root.to_str().unwrap()]);
    each_runtime(|rt| {
        let client = rt.http_client(trusting(&pki.ca));
        for host in ["127.0.0.1", "localhost"] {
            let url = format!("https://{host}:{}/hello.txt", server.port);
            let mut resp = client.get(&url).unwrap();
            assert_eq!(resp.status(), 200);
            assert_eq!(read_all(resp.body()).unwrap(), b"hello over TLS\n");
        }
        // Each connection (and its TLS session) went back to the pool, one per origin, and
        // is used again.
        assert_eq!(client.idle_connections(), 2);
        let mut resp = client
            .get(&format!("https://127.0.0.1:{}/hello.txt", server.port))
            .unwrap();
        assert_eq!(read_all(resp.body()).unwrap(), b"hello over TLS\n");
        assert_eq!(client.idle_connections(), 2);

        let mut resp = client
            .get(&format!("https://127.0.0.1:{}/big.bin", server.port))
            .unwrap();
        assert_eq!(resp.content_length(), Some(big.len() as u64));
        let got = read_all(resp.body()).unwrap();
        assert!(got == big, "20 MB body differs ({} bytes)", got.len());
    });
}

#[test]
fn clients_call_cpython_xmlrpc_over_tls() {
    let pki = pki();
    let server = py_tls("xmlrpc", &pki.server, &[]);
    each_runtime(|rt| {
        let url = format!("https://localhost:{}/RPC2", server.port);
        let proxy = rt
            .xmlrpc_proxy(&url, trusting(&pki.ca), ProxyOptions::default())
            .unwrap();
        let sum: i64 = proxy.call("add", (2, 3)).unwrap();
        assert_eq!(sum, 5);
        let methods = proxy.list_methods().unwrap();
        assert!(methods.iter().any(|m| m == "add"), "{methods:?}");
    });
}

/// The TLS error a GET of `url` fails with.
fn tls_error(rt: netloom::Runtime, url: &str, config: ClientConfig) -> TlsError {
    match rt.get(url, config) {
        Err(ClientError::Tls(e)) => e,
        Err(other) => panic!("{url}: expected a TLS error, got {other:?} ({other})"),
        Ok(resp) => panic!("{url}: expected a TLS error, got {}", resp.status()),
    }
}

#[test]
fn bad_certificates_each_get_their_own_error() {
    let pki = pki();
    let root = temp_dir("tls-bad");
    std::fs::write(root.join("x"), b"x").unwrap();
    let dir = [root.to_str().unwrap()];
    let untrusted = py_tls("http", &pki.server, &dir);
    let expired = py_tls("http", &pki.expired, &dir);
    let wrong_host = py_tls("http", &pki.wrong_host, &dir);
    let self_signed = py_tls("http", &pki.self_signed, &dir);
    let wants_client_cert = py_tls("client_cert", &pki.server, &[]);
    let plain = common::raw_server(
        b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        3,
    );
    each_runtime(|rt| {
        let url = |port: u16| format!("https://localhost:{port}/x");
        // Signed by a CA the client does not trust.
        let e = tls_error(rt, &url(untrusted.port), trusting(&pki.other_ca));
        assert_eq!(e, TlsError::UnknownIssuer, "{e}");
        assert!(e.to_string().contains("unknown authority"), "{e}");

        let e = tls_error(rt, &url(expired.port), trusting(&pki.ca));
        assert!(matches!(e, TlsError::Expired { .. }), "{e:?}");
        assert!(e.to_string().contains("expired on Wed, 01 Jan 2020"), "{e}");

        let e = tls_error(rt, &url(wrong_host.port), trusting(&pki.ca));
        match &e {
            TlsError::WrongHost { host, presented } => {
                assert_eq!(host, "localhost");
                assert_eq!(presented, &["other.example".to_owned()], "{e}");
            }
            other => panic!("expected a wrong-host error, got {other:?}"),
        }

        let e = tls_error(rt, &url(self_signed.port), trusting(&pki.other_ca));
        assert_eq!(e, TlsError::SelfSigned, "{e}");
        // Trusting that very certificate is enough (as curl's --cacert does).
        let mut resp = rt
            .get(&url(self_signed.port), trusting(&pki.self_signed.cert))
            .unwrap();
        assert_eq!(read_all(resp.body()).unwrap(), b"x");

        // The server wants a client certificate and says so with an alert.
        let e = tls_error(rt, &url(wants_client_cert.port), trusting(&pki.ca));
        assert!(
            matches!(&e, TlsError::Alert(a) if a == "certificate_required" || a == "handshake_failure"),
            "{e:?}"
        );

        let e = tls_error(
            rt,
            &format!("https://127.0.0.1:{}/", plain.port()),
            trusting(&pki.ca),
        );
        match &e {
            TlsError::NotTls { answered } => {
                assert_eq!(answered, "HTTP/1.1 400 Bad Request", "{e}")
            }
            other => panic!("expected not-TLS, got {other:?}"),
        }
        assert!(e.to_string().contains("is it an http:// server?"), "{e}");

        // With checks off, anything goes.
        let insecure = ClientConfig {
            tls: Some(TlsClientConfig::builder().insecure().build().unwrap()),
            ..ClientConfig::default()
        };
        for port in [expired.port, wrong_host.port, self_signed.port] {
            let mut resp = rt.get(&url(port), insecure.clone()).unwrap();
            assert_eq!(read_all(resp.body()).unwrap(), b"x");
        }
    });
}

#[test]
fn a_close_delimited_body_needs_close_notify() {
    let pki = pki();
    let clean = py_tls("close_notify", &pki.server, &[]);
    let cut = py_tls("no_close_notify", &pki.server, &[]);
    each_runtime(|rt| {
        let mut resp = rt
            .get(
                &format!("https://localhost:{}/", clean.port),
                trusting(&pki.ca),
            )
            .unwrap();
        assert_eq!(read_all(resp.body()).unwrap(), vec![b'x'; 5000]);

        let mut resp = rt
            .get(
                &format!("https://localhost:{}/", cut.port),
                trusting(&pki.ca),
            )
            .unwrap();
        let err = read_all(resp.body()).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::UnexpectedEof, "{err}");
        let err = ClientError::from(err);
        assert!(
            matches!(err, ClientError::Tls(TlsError::Truncated)),
            "{err:?}"
        );
    });
}

#[test]
fn http_redirects_to_https_without_credentials() {
    let pki = pki();
    let root = temp_dir("tls-redirect");
    let server = py_tls("http", &pki.server, &[root.to_str().unwrap()]);
    let location = format!(
        "HTTP/1.1 302 Found\r\nLocation: https://localhost:{}/headers\r\nContent-Length: 0\r\n\r\n",
        server.port
    );
    let reply: &'static [u8] = Box::leak(location.into_bytes().into_boxed_slice());
    let plain = common::raw_server(reply, 3);
    each_runtime(|rt| {
        let url = format!("http://user:secret@127.0.0.1:{}/start", plain.port());
        let mut resp = rt.get(&url, trusting(&pki.ca)).unwrap();
        assert_eq!(resp.status(), 200);
        assert_eq!(resp.url().scheme(), "https");
        let headers = String::from_utf8(read_all(resp.body()).unwrap()).unwrap();
        assert!(headers.contains("Host: localhost:"), "{headers}");
        // A scheme change is another origin: the credentials stayed behind.
        assert!(!headers.contains("Authorization"), "{headers}");
    });
}

/// Runs the CLI; returns (exit success, stdout, stderr).
fn cli(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_netloom"))
        .args(args)
        .env("SSL_CERT_FILE", &pki().other_ca)
        .env_remove("SSL_CERT_DIR")
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn cli_get_and_call_over_https() {
    let pki = pki();
    let root = temp_dir("tls-cli");
    std::fs::write(root.join("hello.txt"), b"hello over TLS\n").unwrap();
    let web = py_tls("http", &pki.server, &[root.to_str().unwrap()]);
    let rpc = py_tls("xmlrpc", &pki.server, &[]);
    let self_signed = py_tls("http", &pki.self_signed, &[root.to_str().unwrap()]);
    let url = format!("https://localhost:{}/hello.txt", web.port);
    let ca = pki.ca.to_str().unwrap();
    for rt in ["std", "mio", "smol"] {
        // The (test-set) system store does not know the CA: one line, a hint, exit 1.
        let (ok, _, err) = cli(&["--runtime", rt, "get", &url]);
        assert!(!ok);
        assert_eq!(err.trim().lines().count(), 1, "{err}");
        assert!(
            err.contains("unknown authority") && err.contains("--cacert"),
            "{err}"
        );

        let (ok, out, err) = cli(&["--runtime", rt, "get", "--cacert", ca, &url]);
        assert!(ok, "{err}");
        assert_eq!(out, "hello over TLS\n");

        let ss = format!("https://127.0.0.1:{}/hello.txt", self_signed.port);
        let (ok, _, err) = cli(&["--runtime", rt, "get", &ss]);
        assert!(!ok);
        assert!(
            err.contains("self-signed") && err.contains("--insecure"),
            "{err}"
        );
        let (ok, out, err) = cli(&["--runtime", rt, "get", "-k", &ss]);
        assert!(ok, "{err}");
        assert_eq!(out, "hello over TLS\n");
        assert!(err.contains("warning: --insecure"), "{err}");

        let rpc_url = format!("https://localhost:{}/RPC2", rpc.port);
        let (ok, out, err) = cli(&[
            "--runtime",
            rt,
            "xmlrpc",
            "call",
            "--cacert",
            ca,
            &rpc_url,
            "add",
            "2",
            "3",
        ]);
        assert!(ok, "{err}");
        assert_eq!(out.trim(), "5");
    }
    // A --cacert file that is not PEM is refused before connecting.
    let junk = root.join("junk.pem");
    std::fs::write(&junk, "not a certificate").unwrap();
    let (ok, _, err) = cli(&["get", "--cacert", junk.to_str().unwrap(), &url]);
    assert!(!ok);
    assert!(err.contains("no certificate"), "{err}");
}

/// Our servers' TLS configuration: the test CA's server certificate.
fn tls_config(config: netloom::ServerConfig) -> netloom::ServerConfig {
    let pair = &pki().server;
    let tls = netloom::tls::TlsServerConfig::from_pem(
        &std::fs::read(&pair.cert).unwrap(),
        &std::fs::read(&pair.key).unwrap(),
    )
    .unwrap();
    netloom::ServerConfig {
        tls: Some(tls),
        ..config
    }
}

/// CPython's urllib with `cafile`: GETs each URL and says whether the body equals the file.
const PY_URLLIB: &str = r#"
import ssl, sys, urllib.request
ctx = ssl.create_default_context(cafile=sys.argv[1])
for url, path in zip(sys.argv[2::2], sys.argv[3::2]):
    with urllib.request.urlopen(url, context=ctx) as r:
        data = r.read()
    print(r.status, len(data), data == open(path, "rb").read())
"#;

#[test]
fn cpython_curl_and_our_clients_fetch_from_our_tls_servers() {
    let pki = pki();
    let root = temp_dir("tls-serve");
    let big = noise(20_000_000);
    std::fs::write(root.join("big.bin"), &big).unwrap();
    std::fs::write(root.join("hello.txt"), b"hello from netloom\n").unwrap();
    each_runtime(|rt| {
        let files = netloom::static_files::StaticFiles::new(&root).unwrap();
        let server = common::serve_http(rt, files, tls_config(netloom::ServerConfig::default()));
        let port = server.local_addr().port();
        let url = |path: &str| format!("https://localhost:{port}/{path}");

        let out = Command::new("python3")
            .arg("-c")
            .arg(PY_URLLIB)
            .arg(&pki.ca)
            .args([&url("hello.txt"), root.join("hello.txt").to_str().unwrap()])
            .args([&url("big.bin"), root.join("big.bin").to_str().unwrap()])
            .output()
            .unwrap();
        let said = String::from_utf8_lossy(&out.stdout);
        assert_eq!(
            said,
            "200 19 True\n200 20000000 True\n",
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );

        let saved = root.join(format!("curl-{rt}.bin"));
        let out = Command::new("curl")
            .args(["-sS", "--fail", "--cacert"])
            .arg(&pki.ca)
            .arg("-o")
            .arg(&saved)
            .arg(url("big.bin"))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(std::fs::read(&saved).unwrap() == big, "curl's copy differs");
        let _ = std::fs::remove_file(&saved);

        // Our own client, on every runtime, against this one.
        for client_rt in netloom::Runtime::ALL {
            let client = client_rt.http_client(trusting(&pki.ca));
            let mut resp = client.get(&url("big.bin")).unwrap();
            assert!(
                read_all(resp.body()).unwrap() == big,
                "{client_rt} client's copy differs"
            );
            let mut resp = client.get(&url("hello.txt")).unwrap();
            assert_eq!(read_all(resp.body()).unwrap(), b"hello from netloom\n");
            // Both requests went over one connection, kept alive under TLS.
            assert_eq!(client.idle_connections(), 1, "{client_rt}");
        }
        server.shutdown();
    });
}

/// CPython's `ServerProxy(context=...)` calling our server.
const PY_PROXY: &str = r#"
import ssl, sys, xmlrpc.client
ctx = ssl.create_default_context(cafile=sys.argv[1])
p = xmlrpc.client.ServerProxy(sys.argv[2], context=ctx)
m = xmlrpc.client.MultiCall(p)
m.add(2, 3)
m.divide(1, 0)
results = []
try:
    for r in m():
        results.append(r)
except xmlrpc.client.Fault as f:
    results.append(f.faultCode)
print(p.add(40, 2), results, "add" in p.system.listMethods())
"#;

#[test]
fn cpython_serverproxy_calls_our_tls_xmlrpc_servers() {
    let pki = pki();
    each_runtime(|rt| {
        let server = rt
            .spawn_xmlrpc(
                common::loopback(),
                netloom::seed::calculator(),
                tls_config(netloom::ServerConfig::default()),
            )
            .unwrap();
        let url = format!("https://localhost:{}/RPC2", server.local_addr().port());
        let out = Command::new("python3")
            .arg("-c")
            .arg(PY_PROXY)
            .arg(&pki.ca)
            .arg(&url)
            .output()
            .unwrap();
        let said = String::from_utf8_lossy(&out.stdout);
        assert!(
            said.starts_with("42 [5, 1] True"),
            "{said}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        server.shutdown();
    });
}

/// Connects to `addr`, writes `bytes`, and reads until the server closes (at most 10 s).
fn poke(addr: std::net::SocketAddr, bytes: &[u8]) -> (Vec<u8>, Duration) {
    use std::io::Write;
    let start = std::time::Instant::now();
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(bytes).unwrap();
    let mut got = Vec::new();
    let _ = s.read_to_end(&mut got);
    (got, start.elapsed())
}

#[test]
fn plaintext_garbage_and_stalled_handshakes_on_a_tls_port() {
    let pki = pki();
    each_runtime(|rt| {
        let config = netloom::ServerConfig {
            request_timeout: Duration::from_millis(800),
            ..netloom::ServerConfig::default()
        };
        let hello = |_: netloom::http::server::IncomingRequest| {
            netloom::http::server::OutgoingResponse::text(200, "hi\n")
        };
        let server = common::serve_http(rt, hello, tls_config(config));
        let addr = server.local_addr();

        // Plaintext HTTP: a plaintext answer that says what to do.
        let (got, _) = poke(addr, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n");
        let text = String::from_utf8_lossy(&got);
        assert!(text.starts_with("HTTP/1.1 400 Bad Request\r\n"), "{text}");
        assert!(text.ends_with("use https:// for this server.\n"), "{text}");

        // Bytes that are neither: closed at once (rustls sends no alert to a record it
        // cannot even frame), not held until the deadline.
        let (got, took) = poke(addr, b"\x00\x01\x02\x03garbage\r\n\r\n");
        assert!(got.is_empty(), "{got:?}");
        assert!(took < Duration::from_millis(500), "held for {took:?}");
        // A ClientHello-shaped record with a broken body: rustls' alert (type 21), then
        // the close.
        let (got, took) = poke(addr, b"\x16\x03\x01\x00\x04\x01\x00\x00\x00");
        assert_eq!(got.first(), Some(&21), "{got:?}");
        assert!(took < Duration::from_millis(500), "held for {took:?}");

        // A handshake that stalls after its first bytes, and a client that sends nothing:
        // both closed at the request deadline, not held.
        for stall in [&b"\x16\x03\x01\x02\x00\x01"[..], b""] {
            let (_, took) = poke(addr, stall);
            assert!(
                took >= Duration::from_millis(700) && took < Duration::from_secs(5),
                "{stall:?} held for {took:?}"
            );
        }

        // The server is as healthy as before.
        let mut resp = rt
            .get(
                &format!("https://localhost:{}/", addr.port()),
                trusting(&pki.ca),
            )
            .unwrap();
        assert_eq!(read_all(resp.body()).unwrap(), b"hi\n");
        server.shutdown();
    });
}

/// What TLS established reaches an XML-RPC method through its `CallContext`: the server name
/// CPython asked for (SNI) and the ALPN protocol it offered, on every runtime; a plaintext
/// call has no TLS at all.
#[test]
fn methods_see_what_tls_established() {
    use netloom::xmlrpc::{CallContext, Dispatcher};
    const PY_WHOAMI: &str = r#"
import ssl, sys, xmlrpc.client
ctx = ssl.create_default_context(cafile=sys.argv[1])
ctx.set_alpn_protocols(["http/1.1"])
print(xmlrpc.client.ServerProxy(sys.argv[2], context=ctx).whoami())
"#;
    fn dispatcher() -> Dispatcher {
        let mut d = Dispatcher::new();
        d.register_with_context("whoami", |ctx: &CallContext| match ctx.tls() {
            Some(tls) => format!(
                "tls name={} alpn={}",
                tls.server_name.as_deref().unwrap_or("-"),
                String::from_utf8_lossy(tls.alpn_protocol.as_deref().unwrap_or(b"-"))
            ),
            None => "plain".to_owned(),
        });
        d
    }
    let pki = pki();
    each_runtime(|rt| {
        let server = rt
            .spawn_xmlrpc(
                common::loopback(),
                dispatcher(),
                tls_config(netloom::ServerConfig::default()),
            )
            .unwrap();
        let url = format!("https://localhost:{}/RPC2", server.local_addr().port());
        let out = Command::new("python3")
            .args(["-c", PY_WHOAMI])
            .arg(&pki.ca)
            .arg(&url)
            .output()
            .unwrap();
        assert_eq!(
            String::from_utf8_lossy(&out.stdout).trim(),
            "tls name=localhost alpn=http/1.1",
            "{rt:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        server.shutdown();

        let plain = rt
            .spawn_xmlrpc(
                common::loopback(),
                dispatcher(),
                netloom::ServerConfig::default(),
            )
            .unwrap();
        let proxy = rt
            .xmlrpc_proxy(
                &format!("http://{}/RPC2", plain.local_addr()),
                ClientConfig::default(),
                Default::default(),
            )
            .unwrap();
        let said: String = proxy.call("whoami", ()).unwrap();
        assert_eq!(said, "plain");
        plain.shutdown();
    });
}
