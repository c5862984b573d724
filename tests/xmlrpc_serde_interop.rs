//! serde types over real sockets with CPython, both ways, on every runtime: our server's
//! `Serde` methods called by `xmlrpc.client`, our client's `Serde` calls answered by
//! `SimpleXMLRPCServer`, with nil and absent members, nested structs, dates and bytes; and
//! the `xmlrpc_serde` example binary driven by CPython.

mod common;

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use netloom::http::client::ClientConfig;
use netloom::xmlrpc::proxy::{CallError, ProxyOptions};
use netloom::xmlrpc::{
    typed_results, Base64, CallContext, DateTime, Dispatcher, Fault, Multicall, Serde,
};
use netloom::{Runtime, ServerConfig, XmlRpcProxy};
use serde::{Deserialize, Serialize};

use common::{each_runtime, loopback};

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
enum Role {
    Admin,
    Guest,
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
struct Address {
    city: String,
    zip: Option<i32>,
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
struct Profile {
    name: String,
    nickname: Option<String>,
    born: DateTime,
    avatar: Base64,
    #[serde(with = "serde_bytes")]
    key: Vec<u8>,
    address: Address,
    tags: Vec<String>,
    role: Role,
}

fn grace() -> Profile {
    Profile {
        name: "Grace ☃ <&>".into(),
        nickname: None,
        born: DateTime::parse("19061209T12:30:05").unwrap(),
        avatar: Base64(vec![0, 1, 2, 254, 255]),
        key: b"\x00key".to_vec(),
        address: Address {
            city: "Arlington".into(),
            zip: None,
        },
        tags: vec!["navy".into(), "cobol".into()],
        role: Role::Admin,
    }
}

fn python(script: &str, port: u16) -> String {
    let out = Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(port.to_string())
        .output()
        .expect("python3 is required for the interop tests");
    assert!(
        out.status.success(),
        "python failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Our server's typed methods.
fn dispatcher() -> Dispatcher {
    let mut d = Dispatcher::new();
    d.register("profile.echo", |Serde(p): Serde<Profile>| Serde(p));
    d.register("profile.make", |name: String, nickname: Option<String>| {
        Serde(Profile {
            name,
            nickname,
            ..grace()
        })
    });
    d.register("profile.city", |Serde(a): Serde<Address>| a.city);
    d.register_with_context("whoami", |ctx: &CallContext| {
        let Some((user, _)) = ctx.basic_auth() else {
            return Err(Fault::new(401, "who are you?"));
        };
        let peer = ctx.peer().map(|p| p.to_string()).unwrap_or_default();
        Ok(format!("{user}@{peer}"))
    });
    d.enable_multicall();
    d
}

const CLIENT_PRELUDE: &str = r#"
import sys, datetime, socket, xmlrpc.client as x
port = sys.argv[1]
p = x.ServerProxy('http://127.0.0.1:%s/RPC2' % port, allow_none=True, use_builtin_types=True)
def fault_of(f, *a):
    try:
        f(*a)
    except x.Fault as e:
        return (e.faultCode, e.faultString)
    raise AssertionError('no fault')
"#;

#[test]
fn cpython_client_calls_serde_methods_on_our_server() {
    let script = format!(
        "{CLIENT_PRELUDE}{}",
        r#"
grace = {'name': 'Grace ☃ <&>', 'nickname': None, 'born': datetime.datetime(1906, 12, 9, 12, 30, 5),
         'avatar': b'\x00\x01\x02\xfe\xff', 'key': b'\x00key',
         'address': {'city': 'Arlington', 'zip': None}, 'tags': ['navy', 'cobol'], 'role': 'Admin'}
# Python's dict through our typed method and back, unchanged: nil, nested, date, bytes.
assert p.profile.echo(grace) == grace, p.profile.echo(grace)
# Absent optional members read as None and come back as nil.
slim = dict(grace); del slim['nickname']; slim['address'] = {'city': 'X'}
back = p.profile.echo(slim)
assert back['nickname'] is None and back['address'] == {'city': 'X', 'zip': None}, back
# A struct our side built: the trailing Option argument may be left out.
made = p.profile.make('ada')
assert made == dict(grace, name='ada'), made
assert p.profile.make('ada', 'countess')['nickname'] == 'countess'
assert isinstance(made['born'], datetime.datetime) and isinstance(made['avatar'], bytes)
# Missing and wrong members are faults that name them.
no_born = dict(grace); del no_born['born']
assert fault_of(p.profile.echo, no_born) == (1, "<class 'TypeError'>:profile.echo() argument 1: missing member born")
bad_zip = dict(grace, address={'city': 'X', 'zip': 'nope'})
assert fault_of(p.profile.echo, bad_zip) == (1, "<class 'TypeError'>:profile.echo() argument 1: address.zip: expected int, got string")
bad_tag = dict(grace, tags=['a', 'b', 3])
assert fault_of(p.profile.echo, bad_tag) == (1, "<class 'TypeError'>:profile.echo() argument 1: tags[2]: expected string, got int")
code, text = fault_of(p.profile.echo, dict(grace, role='Root'))
assert code == 1 and 'role: unknown variant "Root"' in text, text
assert fault_of(p.profile.city, 5) == (1, "<class 'TypeError'>:profile.city() argument 1: expected struct, got int")
# Typed methods in a multicall.
m = x.MultiCall(p)
m.profile.city({'city': 'Oslo'}); m.profile.city({}); m.profile.make('bob')
r = m()
assert r[0] == 'Oslo' and r[2]['name'] == 'bob'
assert fault_of(lambda: r[1]) == (1, "<class 'TypeError'>:profile.city() argument 1: missing member city")
# The request context: the Authorization header and the peer address the server saw.
assert fault_of(p.whoami) == (401, 'who are you?')
t = x.Transport()
q = x.ServerProxy('http://ada:secret@127.0.0.1:%s/' % port, transport=t)
who = q.whoami()
local = t._connection[1].sock.getsockname()
assert who == 'ada@%s:%d' % local, (who, local)
print('ok')
"#
    );
    each_runtime(|rt| {
        let server = rt
            .spawn_xmlrpc(loopback(), dispatcher(), ServerConfig::default())
            .unwrap();
        assert_eq!(python(&script, server.local_addr().port()).trim(), "ok");
    });
}

/// CPython's server: echoes, makes a struct of its own, and describes what it received
/// (with Python's types) so our side sees what CPython made of our values.
const CPYTHON_SERVER: &str = r#"
import sys, datetime
from xmlrpc.server import SimpleXMLRPCServer
s = SimpleXMLRPCServer(('127.0.0.1', int(sys.argv[1])), logRequests=False, allow_none=True,
                       use_builtin_types=True)
s.register_multicall_functions()
s.register_function(lambda v: v, 'echo')
def make(name):
    # No 'nickname' member at all, and a nil zip.
    return {'name': name, 'born': datetime.datetime(1815, 12, 10, 1, 2, 3), 'avatar': b'\xff\x00',
            'key': b'', 'address': {'city': 'London', 'zip': None}, 'tags': [], 'role': 'Guest'}
s.register_function(make, 'make')
def describe(v):
    if isinstance(v, dict):
        return '{' + ','.join('%s:%s' % (k, describe(x)) for k, x in v.items()) + '}'
    if isinstance(v, list):
        return '[' + ','.join(describe(x) for x in v) + ']'
    return '%s(%r)' % (type(v).__name__, v)
s.register_function(describe, 'describe')
print(s.server_address[1], flush=True)
s.serve_forever()
"#;

struct Python(Child);

impl Drop for Python {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn proxy(rt: Runtime, addr: SocketAddr) -> XmlRpcProxy {
    rt.xmlrpc_proxy(
        &format!("http://{addr}/"),
        ClientConfig::default(),
        ProxyOptions::default(),
    )
    .unwrap()
}

#[test]
fn our_client_sends_and_reads_serde_structs_with_cpython_server() {
    let (child, port) = common::python_server(CPYTHON_SERVER);
    let _python = Python(child);
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    each_runtime(|rt| {
        let p = proxy(rt, addr);
        let g = grace();
        // Our struct through CPython and back.
        let Serde(back): Serde<Profile> = p.call("echo", (Serde(&g),)).unwrap();
        assert_eq!(back, g);
        // What CPython made of it: None, datetime, bytes, nested dict, the unit variant.
        let seen: String = p.call("describe", (Serde(&g),)).unwrap();
        assert_eq!(
            seen,
            "{name:str('Grace ☃ <&>'),nickname:NoneType(None),\
             born:datetime(datetime.datetime(1906, 12, 9, 12, 30, 5)),\
             avatar:bytes(b'\\x00\\x01\\x02\\xfe\\xff'),key:bytes(b'\\x00key'),\
             address:{city:str('Arlington'),zip:NoneType(None)},\
             tags:[str('navy'),str('cobol')],role:str('Admin')}"
        );
        // A struct CPython built, without the optional member.
        let Serde(made): Serde<Profile> = p.call("make", ("ada",)).unwrap();
        assert_eq!(
            made,
            Profile {
                name: "ada".into(),
                nickname: None,
                born: DateTime::parse("18151210T01:02:03").unwrap(),
                avatar: Base64(vec![255, 0]),
                key: vec![],
                address: Address {
                    city: "London".into(),
                    zip: None
                },
                tags: vec![],
                role: Role::Guest,
            }
        );
        // A result of the wrong shape is a conversion error that names the member.
        match p.call::<_, Serde<Address>>("echo", (Serde(&g),)) {
            Err(CallError::Convert(e)) => assert_eq!(e.to_string(), "missing member city"),
            other => panic!("expected a conversion error, got {other:?}"),
        }
        match p.call::<_, Serde<Profile>>("echo", (Serde(&g.address),)) {
            Err(CallError::Convert(e)) => assert_eq!(e.to_string(), "missing member name"),
            other => panic!("expected a conversion error, got {other:?}"),
        }
        // Typed multicall results.
        let mut batch = Multicall::new();
        batch
            .call_with("make", ("bob",))
            .unwrap()
            .call_with("echo", (Serde(&g.address),))
            .unwrap()
            .call_with("nope", ())
            .unwrap();
        let (Serde(bob), Serde(address), nope): (
            Serde<Profile>,
            Serde<Address>,
            Result<String, Fault>,
        ) = typed_results(p.multicall(&batch).unwrap()).unwrap();
        assert_eq!(bob.name, "bob");
        assert_eq!(address, g.address);
        assert!(nope.unwrap_err().string.contains("nope"));
    });
}

/// The example, built as `cargo build` builds it, next to this test binary.
fn example_binary() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    // target/<profile>/deps/<this test> → target/<profile>
    let profile_dir = exe.parent().and_then(|d| d.parent()).unwrap().to_path_buf();
    let target_dir = profile_dir.parent().unwrap();
    let mut build = Command::new(env!("CARGO"));
    build
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "build",
            "--quiet",
            "--example",
            "xmlrpc_serde",
            "--target-dir",
        ])
        .arg(target_dir);
    if profile_dir.file_name().is_some_and(|n| n == "release") {
        build.arg("--release");
    }
    let status = build.status().expect("run cargo");
    assert!(status.success(), "building the example failed");
    profile_dir
        .join("examples")
        .join(format!("xmlrpc_serde{}", std::env::consts::EXE_SUFFIX))
}

#[test]
fn the_xmlrpc_serde_example_serves_cpython() {
    let mut child = Command::new(example_binary())
        .args(["--port", "0"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("start the example");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let server = Python(child);
    let port: u16 = line
        .trim()
        .strip_prefix("Listening at 127.0.0.1:")
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("the example printed {line:?}"));
    let script = format!(
        "{CLIENT_PRELUDE}{}",
        r#"
root = x.ServerProxy('http://127.0.0.1:%s/' % port, allow_none=True, use_builtin_types=True)
born = datetime.datetime(1815, 12, 10, 6, 0, 0)
ada = p.user.create({'name': 'ada', 'tags': ['math', 'poetry'], 'born': born})
assert ada == {'name': 'ada', 'tags': ['math', 'poetry'], 'born': born, 'nickname': None, 'id': 1}, ada
bob = root.user.create({'name': 'bob', 'tags': [], 'born': born, 'nickname': 'b'})
assert bob['id'] == 2 and bob['nickname'] == 'b', bob
nil = p.user.create({'name': 'cy', 'tags': [], 'born': born, 'nickname': None})
assert nil['nickname'] is None and nil['id'] == 3, nil
assert root.user.get(1) == ada and p.user.get(2) == bob
assert fault_of(p.user.get, 99) == (404, 'no user with id 99')
assert fault_of(p.user.create, {'name': 'x', 'tags': []}) == (1, "<class 'TypeError'>:user.create() argument 1: missing member born")
assert fault_of(p.user.create, {'tags': [], 'born': born}) == (1, "<class 'TypeError'>:user.create() argument 1: missing member name")
assert fault_of(p.user.create, {'name': 'x', 'tags': 'math', 'born': born})[1].endswith('tags: expected array, got string')
assert [u['name'] for u in p.user.list('math')] == ['ada']
assert len(p.user.list()) == 3
assert 'user.create' in p.system.listMethods()
print('ok')
"#
    );
    assert_eq!(python(&script, port).trim(), "ok");
    drop(server);
}
