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
    let o = netloom(&["xmlrpc", "call", "https://127.0.0.1/", "add"]);
    assert!(stderr(&o).contains("not supported yet"), "{}", stderr(&o));
    assert!(!stderr(&o).contains("panicked"));
}
