//! `netloom xmlrpc serve|call|list|multicall` as a person runs them.

mod common;

use std::process::{Child, Command, Output, Stdio};

fn netloom(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_netloom"))
        .args(args)
        .output()
        .expect("run netloom")
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn serve(runtime: &str) -> (Server, String) {
    // Port 0 and the URL the server prints: no other test can take the port meanwhile.
    let mut child = Command::new(env!("CARGO_BIN_EXE_netloom"))
        .args(["xmlrpc", "serve", "-p", "0", "--runtime", runtime])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(child.stdout.take().unwrap()),
        &mut line,
    )
    .unwrap();
    let url = line
        .split_once(" on ")
        .and_then(|(_, rest)| rest.split_once(' '))
        .map(|(url, _)| url.to_string())
        .unwrap_or_else(|| panic!("no URL in {line:?}"));
    (Server(child), url)
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn calculator_calls_on_every_runtime() {
    for rt in ["std", "mio", "smol"] {
        let (_server, url) = serve(rt);
        let o = netloom(&["xmlrpc", "call", &url, "add", "7", "3", "--runtime", rt]);
        assert!(o.status.success(), "{}", stderr(&o));
        assert_eq!(stdout(&o), "10\n");
        let o = netloom(&["xmlrpc", "call", &url, "divide", "-7", "2", "--runtime", rt]);
        assert_eq!(stdout(&o), "-4\n", "{}", stderr(&o));
        let o = netloom(&["xmlrpc", "list", &url, "--runtime", rt]);
        assert_eq!(
            stdout(&o),
            "add\ndivide\nmultiply\nsubtract\nsystem.listMethods\nsystem.methodHelp\nsystem.methodSignature\nsystem.multicall\n"
        );
        let o = netloom(&[
            "xmlrpc",
            "multicall",
            &url,
            "add 7 3",
            "subtract 7 3",
            "multiply 7 3",
            "divide 7 3",
            "--runtime",
            rt,
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
        assert_eq!(stdout(&o), "10\n4\n21\n2\n");
    }
}

#[test]
fn faults_print_code_and_string_and_exit_non_zero() {
    let (_server, url) = serve("std");
    let o = netloom(&["xmlrpc", "call", &url, "divide", "1", "0"]);
    assert!(!o.status.success());
    assert_eq!(
        stderr(&o).trim(),
        "netloom: fault 1: <class 'ZeroDivisionError'>:integer division or modulo by zero"
    );
    let o = netloom(&["xmlrpc", "multicall", &url, "add 1 1", "nope"]);
    assert!(!o.status.success());
    assert_eq!(
        stdout(&o),
        "2\nfault 1: <class 'Exception'>:method \"nope\" is not supported\n"
    );
}

#[test]
fn arguments_are_typed_from_their_text() {
    // CPython's echo returns exactly what it received, so the printed JSON shows the types.
    let script = "import sys\nfrom xmlrpc.server import SimpleXMLRPCServer\n\
        s = SimpleXMLRPCServer(('127.0.0.1', int(sys.argv[1])), logRequests=False, allow_none=True)\n\
        s.register_function(lambda *a: [type(x).__name__ for x in a], 'types')\n\
        print(s.server_address[1], flush=True)\ns.serve_forever()";
    let (child, port) = common::python_server(script);
    let _guard = Server(child);
    let url = format!("http://127.0.0.1:{port}/");
    let o = netloom(&[
        "xmlrpc",
        "call",
        &url,
        "types",
        "1",
        "2.5",
        "true",
        "hi",
        "[1,2]",
        "{\"a\":null}",
        "\"7\"",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        "[\"int\",\"float\",\"bool\",\"str\",\"list\",\"dict\",\"str\"]\n"
    );
}

#[test]
fn transport_and_protocol_errors_are_one_line() {
    let port = common::free_port();
    let o = netloom(&[
        "xmlrpc",
        "call",
        &format!("http://127.0.0.1:{port}/"),
        "add",
        "1",
        "2",
    ]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("connection refused"), "{}", stderr(&o));
    assert_eq!(stderr(&o).trim().lines().count(), 1);
    let (_server, url) = serve("mio");
    let o = netloom(&["xmlrpc", "call", &format!("{url}nope"), "add", "1", "2"]);
    assert!(stderr(&o).contains("404"), "{}", stderr(&o));
    let o = netloom(&["xmlrpc", "call", "ftp://127.0.0.1/", "add"]);
    assert!(
        stderr(&o).contains("unsupported URL scheme"),
        "{}",
        stderr(&o)
    );
    assert!(!stderr(&o).contains("panicked"));
}

const RUNTIMES: [&str; 3] = ["std", "mio", "smol"];

/// A CPython SimpleXMLRPCServer: `types` says what Python received, `typed` returns the
/// types JSON lacks, `echo` returns its arguments, `hostile` faults with a terminal attack.
const PY_SERVER: &str = r#"
import sys, xmlrpc.client
from xmlrpc.server import SimpleXMLRPCServer
s = SimpleXMLRPCServer(('127.0.0.1', int(sys.argv[1])), logRequests=False, allow_none=True)
def show(x):
    return repr(x) if isinstance(x, (list, dict)) else str(x)
s.register_function(lambda *a: [[type(x).__name__, show(x)] for x in a], 'types')
s.register_function(lambda: {'when': xmlrpc.client.DateTime('20240102T03:04:05'),
                             'data': xmlrpc.client.Binary(b'hi'), 'none': None, 'x': 2.0,
                             'list': [1, 'a']}, 'typed')
s.register_function(lambda *a: a[0] if len(a) == 1 else list(a), 'echo')
def hostile():
    # What XML 1.0 lets through: a C1 control (CSI, which some terminals obey), a bidi
    # override, a newline, and far too much of it.
    raise Exception('\x9b2J\u202e\nnetloom: forged line ' + 'A' * (8 << 20))
def raw_escape():
    # CPython writes C0 controls raw, which XML forbids: the answer is not XML.
    raise Exception('\x1b]0;pwned\x07\x1b[2J')
s.register_function(hostile, 'hostile')
s.register_function(raw_escape, 'raw_escape')
s.register_multicall_functions()
print(s.server_address[1], flush=True)
s.serve_forever()
"#;

fn py_server() -> (Server, String) {
    let (child, port) = common::python_server(PY_SERVER);
    (Server(child), format!("http://127.0.0.1:{port}/"))
}

#[test]
fn each_argument_type_arrives_at_cpython_as_the_right_type() {
    let (_server, url) = py_server();
    for rt in RUNTIMES {
        let o = netloom(&[
            "xmlrpc",
            "call",
            &url,
            "types",
            "null",
            "true",
            "42",
            "-7",
            "4294967296",
            "2.5",
            "\"42\"",
            "word",
            "two words",
            "[1,\"a\"]",
            "{\"k\":1}",
            "dateTime:20240102T03:04:05",
            "base64:aGk=",
            "\"dateTime:20240102T03:04:05\"",
            "--runtime",
            rt,
        ]);
        assert!(o.status.success(), "{rt}: {}", stderr(&o));
        assert_eq!(
            stdout(&o),
            concat!(
                r#"[["NoneType","None"],["bool","True"],["int","42"],["int","-7"],"#,
                r#"["int","4294967296"],["float","2.5"],["str","42"],["str","word"],"#,
                r#"["str","two words"],["list","[1, 'a']"],["dict","{'k': 1}"],"#,
                r#"["DateTime","20240102T03:04:05"],["Binary","hi"],"#,
                r#"["str","dateTime:20240102T03:04:05"]]"#,
                "\n"
            ),
            "{rt}"
        );
    }
}

#[test]
fn integers_beyond_64_bits_and_bad_json_are_refused_before_sending() {
    let port = common::free_port();
    let url = format!("http://127.0.0.1:{port}/");
    for (arg, needle) in [
        ("99999999999999999999", "does not fit in 64 bits"),
        ("[1, 99999999999999999999]", "does not fit in 64 bits"),
        ("[1,", "not valid JSON"),
        ("dateTime:tomorrow", "not a dateTime"),
        ("base64:***", "not base64"),
    ] {
        let o = netloom(&["xmlrpc", "call", &url, "echo", arg]);
        assert!(!o.status.success(), "{arg}");
        assert!(stderr(&o).contains(needle), "{arg}: {}", stderr(&o));
        assert!(
            !stderr(&o).contains("connecting"),
            "{arg}: refused before connecting"
        );
    }
}

#[test]
fn results_print_as_json_with_the_types_json_lacks_tagged() {
    let (_server, url) = py_server();
    for rt in RUNTIMES {
        let o = netloom(&["xmlrpc", "call", &url, "typed", "--runtime", rt]);
        assert!(o.status.success(), "{rt}: {}", stderr(&o));
        assert_eq!(
            stdout(&o),
            "{\"when\":\"dateTime:20240102T03:04:05\",\"data\":\"base64:aGk=\",\"none\":null,\"x\":2.0,\"list\":[1,\"a\"]}\n"
        );
        let o = netloom(&["xmlrpc", "call", &url, "echo", "hi there", "--runtime", rt]);
        assert_eq!(stdout(&o), "\"hi there\"\n");
        let o = netloom(&[
            "xmlrpc",
            "call",
            "-r",
            &url,
            "echo",
            "hi there",
            "--runtime",
            rt,
        ]);
        assert_eq!(stdout(&o), "hi there\n");
        let o = netloom(&[
            "xmlrpc",
            "call",
            "-r",
            &url,
            "echo",
            "base64:aGk=",
            "--runtime",
            rt,
        ]);
        assert_eq!(stdout(&o), "base64:aGk=\n");
    }
}

#[test]
fn a_hostile_fault_string_is_printed_safely() {
    let (_server, url) = py_server();
    for rt in RUNTIMES {
        let o = netloom(&["xmlrpc", "call", &url, "raw_escape", "--runtime", rt]);
        assert!(!o.status.success());
        let err = stderr(&o);
        assert!(
            !o.stderr.contains(&0x1b) && !o.stderr.contains(&0x07),
            "{rt}: raw control bytes"
        );
        assert!(
            err.contains("bad response") && err.lines().count() == 1,
            "{rt}: {err}"
        );

        let o = netloom(&["xmlrpc", "call", &url, "hostile", "--runtime", rt]);
        assert!(!o.status.success());
        let err = stderr(&o);
        assert!(
            !err.contains('\u{9b}') && !err.contains('\u{202e}'),
            "{rt}: raw control characters"
        );
        assert_eq!(
            err.lines().count(),
            1,
            "{rt}: one line, no forged second one"
        );
        assert!(
            err.starts_with(
                r"netloom: fault 1: <class 'Exception'>:\x9b2J\u{202e}\x0anetloom: forged line AAA"
            ),
            "{rt}: {:?}",
            &err[..err.len().min(200)]
        );
        assert!(
            err.trim_end().ends_with(" bytes]"),
            "{rt}: clipped with its size"
        );
        assert!(err.len() < 2048, "{rt}: {} bytes printed", err.len());

        let o = netloom(&[
            "xmlrpc",
            "multicall",
            &url,
            "hostile",
            "echo 1",
            "--runtime",
            rt,
        ]);
        let out = stdout(&o);
        assert!(!out.contains('\u{9b}'), "{rt}");
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 2, "{rt}: {:?}", &out[..out.len().min(200)]);
        assert!(lines[0].starts_with(r"fault 1: <class 'Exception'>:\x9b2J\u{202e}"));
        assert!(lines[0].len() < 2048 && lines[0].ends_with(" bytes]"));
        assert_eq!(lines[1], "1");
    }
}

#[test]
fn multicall_calls_take_shell_quoting() {
    let (_server, url) = py_server();
    for rt in RUNTIMES {
        let o = netloom(&[
            "xmlrpc",
            "multicall",
            &url,
            "echo \"a b\" 2",
            "echo '{\"k\": [1, null]}'",
            "types 'it''s' \"\\\"7\\\"\"",
            "--runtime",
            rt,
        ]);
        assert!(o.status.success(), "{rt}: {}", stderr(&o));
        assert_eq!(
            stdout(&o),
            "[\"a b\",2]\n{\"k\":[1,null]}\n[[\"str\",\"its\"],[\"str\",\"7\"]]\n",
            "{rt}"
        );
        let o = netloom(&[
            "xmlrpc",
            "multicall",
            &url,
            "echo 'unbalanced",
            "--runtime",
            rt,
        ]);
        assert!(stderr(&o).contains("unbalanced quotes"), "{}", stderr(&o));
    }
}

#[test]
fn verbose_shows_the_request_and_response_xml() {
    let (_server, url) = py_server();
    for rt in RUNTIMES {
        let o = netloom(&["xmlrpc", "call", "-v", &url, "echo", "42", "--runtime", rt]);
        assert!(o.status.success(), "{rt}: {}", stderr(&o));
        assert_eq!(stdout(&o), "42\n");
        let err = stderr(&o);
        assert!(err.contains(&format!("> POST {url}")), "{err}");
        assert!(err.contains("<methodName>echo</methodName>"), "{err}");
        assert!(err.contains("< HTTP/1.0 200 OK"), "{err}");
        assert!(err.contains("<methodResponse>"), "{err}");
        assert!(err.contains("<int>42</int>"), "{err}");
    }
}

#[test]
fn the_server_logs_each_call_as_log_requests_does() {
    for rt in RUNTIMES {
        let mut child = Command::new(env!("CARGO_BIN_EXE_netloom"))
            .args(["xmlrpc", "serve", "-p", "0", "--runtime", rt])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        std::io::BufRead::read_line(
            &mut std::io::BufReader::new(child.stdout.take().unwrap()),
            &mut line,
        )
        .unwrap();
        let url = line
            .split_once(" on ")
            .and_then(|(_, rest)| rest.split_once(' '))
            .map(|(url, _)| url.to_string())
            .unwrap();
        let mut err = std::io::BufReader::new(child.stderr.take().unwrap());
        let _server = Server(child);
        let o = netloom(&["xmlrpc", "call", &url, "add", "1", "2", "--runtime", rt]);
        assert_eq!(stdout(&o), "3\n");
        let mut log = String::new();
        std::io::BufRead::read_line(&mut err, &mut log).unwrap();
        // 127.0.0.1 - - [02/Jan/2024 03:04:05] "POST / HTTP/1.1" 200 -
        let (head, rest) = log.split_once(" [").unwrap();
        assert_eq!(head, "127.0.0.1 - -", "{rt}: {log:?}");
        let (when, rest) = rest.split_once("] ").unwrap();
        assert_eq!(when.len(), "02/Jan/2024 03:04:05".len(), "{log:?}");
        assert_eq!(&when[2..3], "/");
        assert_eq!(rest, "\"POST / HTTP/1.1\" 200 -\n", "{rt}");
    }
}
