//! netloom against XML-RPC and HTTP implementations in other languages, on every runtime,
//! over loopback: Perl (RPC::XML client and server, XMLRPC::Lite's server), Node.js (the
//! `xmlrpc` package's client and server, Node's own http client) and PHP (the xmlrpc
//! extension's client and server, which declare ISO-8859-1 on everything). The peers' own
//! programs are in `tests/peers/`.
//!
//! `.ci/run` installs every peer (Debian's librpc-xml-perl, libxmlrpc-lite-perl, php-cli,
//! php-xmlrpc, nodejs and npm; `npm ci` in `tests/peers`). A missing peer fails its test
//! with a message saying what to install: nothing is skipped.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use netloom::http::client::ClientConfig;
use netloom::static_files::StaticFiles;
use netloom::xmlrpc::proxy::{CallError, ProxyOptions};
use netloom::xmlrpc::{DateTime, Dispatcher, Fault, Value};
use netloom::{seed, RunningServer, Runtime, ServerConfig, XmlRpcProxy};

use common::{each_runtime, free_port, loopback, serve_http, temp_dir};

fn peers_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/peers")
}

fn script(name: &str) -> String {
    peers_dir().join(name).to_string_lossy().into_owned()
}

/// Fails (never skips) when `probe` does not run successfully, saying what to install.
fn require(what: &str, probe: &mut Command, install: &str) {
    let ok = probe
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        ok,
        "{what} is needed for this test: {install} (.ci/run does this)"
    );
}

fn require_perl() {
    require(
        "Perl with RPC::XML and XMLRPC::Lite",
        Command::new("perl").args([
            "-MRPC::XML::Client",
            "-MRPC::XML::Server",
            "-MXMLRPC::Lite",
            "-e1",
        ]),
        "apt-get install librpc-xml-perl libxmlrpc-lite-perl",
    );
}

fn require_node() {
    require(
        "Node.js",
        Command::new("node").arg("--version"),
        "apt-get install nodejs npm",
    );
    assert!(
        peers_dir().join("node_modules/xmlrpc/package.json").is_file(),
        "the Node peers' packages are needed for this test: run `npm ci` in tests/peers (.ci/run does this)"
    );
}

fn require_php() {
    require(
        "PHP with the xmlrpc extension",
        Command::new("php").args([
            "-r",
            "exit(function_exists('xmlrpc_encode_request') ? 0 : 1);",
        ]),
        "apt-get install php-cli php-xmlrpc",
    );
}

/// Runs a peer program to completion; its standard output, which must be a success.
fn run(cmd: &mut Command) -> String {
    let out = cmd.output().expect("the peer program starts");
    assert!(
        out.status.success(),
        "peer failed ({}):\n{}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A peer server, killed when dropped.
struct PeerServer {
    child: Child,
    port: u16,
}

impl PeerServer {
    /// Starts `cmd`, which prints the port it listens on as its first line.
    fn printing_port(cmd: &mut Command) -> PeerServer {
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("the peer server starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("the peer server prints its port");
        let port = line
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("the peer server printed {line:?}, not its port"));
        PeerServer { child, port }
    }

    /// Starts `cmd` listening on `port`, and waits until it accepts connections.
    fn on_port(cmd: &mut Command, port: u16) -> PeerServer {
        let child = cmd
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("the peer server starts");
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "the peer server never listened on {port}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        PeerServer { child, port }
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }
}

impl Drop for PeerServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The dispatcher our server runs for the peers' clients.
fn dispatcher() -> Dispatcher {
    let mut d = seed::calculator();
    d.register_raw("echo", |params: &[Value]| {
        Ok(params.first().cloned().unwrap_or(Value::Nil))
    });
    d.register("fail", || -> Result<i32, Fault> {
        Err(Fault::new(42, "failure on purpose"))
    });
    d
}

fn our_server(rt: Runtime) -> RunningServer {
    rt.spawn_xmlrpc(loopback(), dispatcher(), ServerConfig::default())
        .expect("server starts")
}

fn proxy(rt: Runtime, url: &str) -> XmlRpcProxy {
    rt.xmlrpc_proxy(url, ClientConfig::default(), ProxyOptions::default())
        .expect("proxy")
}

fn fault_of(result: Result<Value, CallError<netloom::http::client::ClientError>>) -> Fault {
    match result {
        Err(CallError::Fault(f)) => f,
        other => panic!("expected a fault, got {other:?}"),
    }
}

fn datetime_text(v: &Value) -> String {
    match v {
        Value::DateTime(t) => t.to_string(),
        other => panic!("expected a dateTime, got {other:?}"),
    }
}

/// The answer head to a raw POST of `body` with `extra` header lines.
fn raw_post_head(port: u16, path: &str, extra: &str, body: &[u8]) -> String {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/xml\r\nContent-Length: {}\r\nConnection: close\r\n{extra}\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).unwrap();
    s.write_all(body).unwrap();
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    let end = out
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or(out.len());
    String::from_utf8_lossy(&out[..end]).into_owned()
}

// ----- Perl -----

/// RPC::XML's client: zoned dateTimes (`Z`, `+02:00`, a fraction), deflated requests,
/// every type, faults.
#[test]
fn perl_rpc_xml_client_calls_our_server() {
    require_perl();
    each_runtime(|rt| {
        let server = our_server(rt);
        let url = format!("http://{}/RPC2", server.local_addr());
        let out = run(Command::new("perl")
            .arg(script("rpc_xml_client.pl"))
            .arg(&url));
        let expected = [
            "add 42",
            "datetime dateTime.iso8601 20250102T03:04:05Z",
            // RPC::XML writes the basic date form whatever it is given.
            "datetime dateTime.iso8601 20250102T03:04:05.250+02:00",
            "datetime dateTime.iso8601 19980717T14:08:55",
            "string same",
            "boolean boolean 1",
            "double 2.5",
            "base64 00ff62696e",
            "struct a=1,b=2|three",
            "deflated request 50000",
            "fault 42 failure on purpose",
            "missing 1 <class 'Exception'>:method \"nope\" is not supported",
        ];
        assert_eq!(out.lines().collect::<Vec<_>>(), expected);
    });
}

/// RPC::XML's server: its zoned dateTimes, its deflate-compressed answers, its faults.
#[test]
fn our_proxy_calls_a_perl_rpc_xml_server() {
    require_perl();
    let peer = PeerServer::printing_port(Command::new("perl").arg(script("rpc_xml_server.pl")));
    let url = peer.url("/RPC2");
    // The peer compresses when asked, so the proxy's answers below come deflated.
    let call = b"<?xml version=\"1.0\"?><methodCall><methodName>big</methodName></methodCall>";
    let head = raw_post_head(
        peer.port,
        "/RPC2",
        "Accept-Encoding: gzip, deflate\r\n",
        call,
    );
    assert!(head.contains("Content-Encoding: deflate"), "{head}");
    each_runtime(|rt| {
        let p = proxy(rt, &url);
        let when = p.call_values("when", &[]).unwrap();
        assert_eq!(datetime_text(&when), "19941106T08:49:37Z");
        let Value::DateTime(t) = p.call_values("offset", &[]).unwrap() else {
            panic!("not a dateTime")
        };
        assert_eq!((t.nanosecond, t.offset_minutes), (250_000_000, Some(120)));
        assert_eq!(t.to_string(), "20250102T03:04:05.250+02:00");
        let big = p.call_values("big", &[]).unwrap();
        assert_eq!(big.as_str().map(str::len), Some(100_000));
        assert_eq!(p.call_values("truth", &[]).unwrap(), Value::Bool(true));
        let sent = Value::DateTime(
            DateTime::new(2025, 1, 2, 3, 4, 5)
                .and_then(|t| t.with_nanosecond(1_000))
                .and_then(|t| t.with_offset_minutes(-90))
                .unwrap(),
        );
        assert_eq!(
            p.call_values("echo", std::slice::from_ref(&sent)).unwrap(),
            sent
        );
        let text = Value::from("caf\u{e9} \u{2603} <&>");
        assert_eq!(
            p.call_values("echo", std::slice::from_ref(&text)).unwrap(),
            text
        );
        let f = fault_of(p.call_values("fail", &[]));
        assert_eq!((f.code, f.string.as_str()), (7, "failure on purpose"));
    });
}

/// XMLRPC::Lite answers faults with a string faultCode: kept, with the message.
#[test]
fn our_proxy_keeps_xmlrpc_lite_string_fault_codes() {
    require_perl();
    let peer = PeerServer::printing_port(Command::new("perl").arg(script("xmlrpc_lite_server.pl")));
    let url = peer.url("/");
    each_runtime(|rt| {
        let p = proxy(rt, &url);
        assert_eq!(
            p.call_values("Demo.hi", &[Value::from("you")]).unwrap(),
            Value::from("hello you")
        );
        let f = fault_of(p.call_values("nope", &[]));
        assert_eq!(f.code_text.as_deref(), Some("Client"), "{f:?}");
        assert!(f.string.contains("Denied access to method (nope)"), "{f:?}");
        assert!(f.to_string().starts_with("fault Client: "), "{f}");
        let f = fault_of(p.call_values("Demo.boom", &[]));
        assert_eq!(f.code_text.as_deref(), Some("Server"), "{f:?}");
        assert!(f.string.contains("boom on purpose"), "{f:?}");
    });
}

// ----- Node.js -----

/// The `xmlrpc` package's client, dates as JavaScript writes them.
#[test]
fn node_xmlrpc_client_calls_our_server() {
    require_node();
    each_runtime(|rt| {
        let server = our_server(rt);
        let url = format!("http://{}/RPC2", server.local_addr());
        let out = run(Command::new("node")
            .arg(script("xmlrpc_client.js"))
            .arg(&url));
        let expected = [
            "add 42",
            "date true 2025-01-02T03:04:05.250Z",
            "string same",
            "boolean true",
            "double 2.5",
            "base64 00ff62",
            "struct {\"a\":1,\"b\":[2,\"three\"]}",
            "big 100000",
            "fault 42 failure on purpose",
        ];
        assert_eq!(out.lines().collect::<Vec<_>>(), expected);
    });
}

/// The `xmlrpc` package's server: JavaScript dates in, out and back, string fault codes.
#[test]
fn our_proxy_calls_a_node_xmlrpc_server() {
    require_node();
    let peer = PeerServer::printing_port(Command::new("node").arg(script("xmlrpc_server.js")));
    let url = peer.url("/");
    each_runtime(|rt| {
        let p = proxy(rt, &url);
        assert_eq!(
            p.call_values("add", &[Value::Int(40), Value::Int(2)])
                .unwrap(),
            Value::Int(42)
        );
        let when = p.call_values("when", &[]).unwrap();
        assert_eq!(datetime_text(&when), "2025-01-02T03:04:05.250Z");
        // Ours, with a fraction and a zone, read by JavaScript as the same instant.
        let sent = DateTime::parse("20250102T03:04:05.250+01:00").unwrap();
        let types = p
            .call_values("types", &[Value::DateTime(sent), Value::Bool(false)])
            .unwrap();
        assert_eq!(
            types,
            Value::Array(vec![
                Value::from("object:date:2025-01-02T02:04:05.250Z"),
                Value::from("boolean"),
            ])
        );
        let f = fault_of(p.call_values("fail", &[]));
        assert_eq!(f.code_text.as_deref(), Some("Server.Oops"));
        assert_eq!(f.string, "failure on purpose");
    });
}

/// Node's http client against the static server: validators, 304s, one range, 416.
#[test]
fn node_http_client_caches_and_ranges_static_files() {
    require_node();
    let dir = temp_dir("peers-static");
    let data: Vec<u8> = (0..200_000u32).map(|i| (i * 13 % 251) as u8).collect();
    std::fs::write(dir.join("data.bin"), &data).unwrap();
    let out_dir = temp_dir("peers-static-out");
    each_runtime(|rt| {
        let server = serve_http(rt, StaticFiles::new(&dir).unwrap(), ServerConfig::default());
        let url = format!("http://{}/data.bin", server.local_addr());
        let body_file = out_dir.join(format!("body-{rt}"));
        // Status and headers as JSON, and the body.
        let fetch = |headers: &[&str]| -> (serde_json::Value, Vec<u8>) {
            let out = run(Command::new("node")
                .arg(script("http_client.js"))
                .arg(&url)
                .arg(&body_file)
                .args(headers));
            let head = serde_json::from_str(out.trim()).unwrap_or_else(|e| panic!("{e}: {out}"));
            (head, std::fs::read(&body_file).unwrap())
        };
        let (r, body) = fetch(&[]);
        assert_eq!(r["status"], 200);
        assert!(body == data, "whole file");
        assert_eq!(r["headers"]["accept-ranges"], "bytes");
        let etag = r["headers"]["etag"].as_str().expect("an ETag").to_owned();
        let modified = r["headers"]["last-modified"]
            .as_str()
            .expect("Last-Modified")
            .to_owned();
        let (r, body) = fetch(&[&format!("If-None-Match: {etag}")]);
        assert_eq!((r["status"].as_u64(), body.len()), (Some(304), 0));
        let (r, _) = fetch(&[&format!("If-Modified-Since: {modified}")]);
        assert_eq!(r["status"], 304);
        let (r, body) = fetch(&["Range: bytes=1000-1999"]);
        assert_eq!(r["status"], 206);
        assert_eq!(r["headers"]["content-range"], "bytes 1000-1999/200000");
        assert!(body == data[1000..2000], "the range");
        let (r, _) = fetch(&["Range: bytes=1000-1999", &format!("If-Range: {etag}")]);
        assert_eq!(r["status"], 206);
        let (r, body) = fetch(&["Range: bytes=1000-1999", "If-Range: \"old\""]);
        assert_eq!((r["status"].as_u64(), body.len()), (Some(200), 200_000));
        let (r, _) = fetch(&["Range: bytes=300000-"]);
        assert_eq!(r["status"], 416);
        assert_eq!(r["headers"]["content-range"], "bytes */200000");
    });
}

// ----- PHP -----

/// PHP's xmlrpc extension declares `encoding="iso-8859-1"` on every request, and sends
/// raw Latin-1 bytes when asked to escape only markup.
#[test]
fn php_xmlrpc_client_calls_our_server() {
    require_php();
    each_runtime(|rt| {
        let server = our_server(rt);
        let url = format!("http://{}/RPC2", server.local_addr());
        let out = run(Command::new("php").arg(script("php_client.php")).arg(&url));
        let expected = [
            "declared iso-8859-1",
            "add 42",
            // "café £" back in Latin-1, as the PHP side asked for.
            "raw latin-1 sent 636166e920a3",
            "boolean true",
            "fault 42 failure on purpose",
        ];
        assert_eq!(out.lines().collect::<Vec<_>>(), expected);
    });
}

/// PHP's xmlrpc extension as a server answers in ISO-8859-1, raw bytes and all.
#[test]
fn our_proxy_calls_a_php_xmlrpc_server() {
    require_php();
    let port = free_port();
    let peer = PeerServer::on_port(
        Command::new("php")
            .arg("-S")
            .arg(format!("127.0.0.1:{port}"))
            .arg(script("php_server.php")),
        port,
    );
    let call = b"<?xml version=\"1.0\"?><methodCall><methodName>latin</methodName></methodCall>";
    let head = raw_post_head(peer.port, "/", "", call);
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    let url = peer.url("/");
    each_runtime(|rt| {
        let p = proxy(rt, &url);
        assert_eq!(
            p.call_values("latin", &[]).unwrap(),
            Value::from("caf\u{e9} \u{a3}")
        );
        assert_eq!(
            p.call_values("echo", &[Value::from("plain")]).unwrap(),
            Value::from("plain")
        );
        let f = fault_of(p.call_values("fail", &[]));
        assert_eq!((f.code, f.string.as_str()), (9, "d\u{e9}j\u{e0} vu"));
    });
}
