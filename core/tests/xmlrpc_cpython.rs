//! Compatibility with CPython's `xmlrpc.client` / `xmlrpc.server`, both ways, using vectors
//! generated at test time by the `python3` on the machine. These tests fail (they do not
//! skip) when `python3` is missing.

use std::io::Write;
use std::process::{Command, Stdio};

use netloom_core::xmlrpc::{
    encode_call, encode_fault, encode_response, parse_call, parse_response, Dispatcher, Fault,
    Limits, Multicall, Response, Value,
};

/// Helpers shared by every mode: `canon` renders a Python value in the same canonical text
/// as [`canon`] below renders a [`Value`].
const PY_PRELUDE: &str = r#"
import sys, struct, datetime
import xmlrpc.client as xc
from xmlrpc.client import Binary, DateTime, Fault, dumps, loads
def canon(v):
    if v is None: return "N"
    if isinstance(v, bool): return "B(%d)" % v
    if isinstance(v, int): return "I(%d)" % v
    if isinstance(v, float): return "D(%s)" % struct.pack('>d', v).hex()
    if isinstance(v, str): return "S(%s)" % v.encode('utf-8').hex()
    if isinstance(v, Binary): return "X(%s)" % v.data.hex()
    if isinstance(v, DateTime): return "T(%s)" % v.value
    if isinstance(v, datetime.datetime): return "T(%s)" % v.strftime("%Y%m%dT%H:%M:%S")
    if isinstance(v, (list, tuple)): return "A[" + ",".join(canon(x) for x in v) + "]"
    if isinstance(v, dict): return "M{" + ",".join(canon(k) + "=" + canon(x) for k, x in v.items()) + "}"
    raise TypeError(type(v))
"#;

fn python(script: &str, input: &[u8]) -> String {
    let program = format!("{PY_PRELUDE}\n{script}");
    let mut child = Command::new("python3")
        .arg("-c")
        .arg(&program)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect(
            "these tests need `python3` (CPython 3.x with xmlrpc) on PATH; it could not be started",
        );
    let mut stdin = child.stdin.take().expect("stdin");
    let input = input.to_vec();
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let out = child.wait_with_output().expect("python3 run");
    writer
        .join()
        .expect("writer thread")
        .expect("write to python3");
    assert!(
        out.status.success(),
        "python3 failed: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("python3 output is UTF-8")
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn canon(v: &Value) -> String {
    match v {
        Value::Nil => "N".into(),
        Value::Bool(b) => format!("B({})", u8::from(*b)),
        Value::Int(i) => format!("I({i})"),
        Value::I8(i) => format!("I({i})"),
        Value::Double(d) => format!("D({:016x})", d.to_bits()),
        Value::String(s) => format!("S({})", hex(s.as_bytes())),
        Value::Base64(b) => format!("X({})", hex(b)),
        Value::DateTime(t) => format!("T({t})"),
        Value::Array(items) => {
            format!(
                "A[{}]",
                items.iter().map(canon).collect::<Vec<_>>().join(",")
            )
        }
        Value::Struct(members) => {
            // A Python dict keeps the first position and the last value of a repeated key.
            let mut dict: Vec<(&str, &Value)> = Vec::new();
            for (k, v) in members {
                match dict.iter_mut().find(|(dk, _)| dk == k) {
                    Some(slot) => slot.1 = v,
                    None => dict.push((k, v)),
                }
            }
            let items: Vec<String> = dict
                .iter()
                .map(|(k, v)| format!("S({})={}", hex(k.as_bytes()), canon(v)))
                .collect();
            format!("M{{{}}}", items.join(","))
        }
    }
}

fn canon_fault(f: &Fault) -> String {
    format!("F({},{})", f.code, hex(f.string.as_bytes()))
}

const VECTORS: &str = r#"
cases = [
    0, 1, -1, 2**31 - 1, -2**31, True, False,
    0.0, -0.0, 1.5, -2.25, 0.1, 1e16, 1e15, 1e-5, 1e300, 5e-324, 123456.789, float('inf'),
    "", "hello", "a<b>&c'\"", "ünïcødé ☃ 𝄞", "line1\nline2\ttab", "  spaced  ", "]]>",
    Binary(b""), Binary(b"\x00\xff" * 100), Binary(bytes(range(256))),
    DateTime("20240102T03:04:05"), datetime.datetime(1999, 12, 31, 23, 59, 58),
    None, [], {}, [1, "two", 3.0, [4, [5, {}]]],
    {"a": 1, "b": {"c": [None, True]}, "ü<&>": "x"},
    {"faultCode": 1, "faultString": "not a fault"},
]
def emit(kind, body, c):
    print(kind, body.encode('utf-8').hex(), c, sep="\t")
for v in cases:
    emit("call", dumps((v,), "some.method", allow_none=True), "some.method|" + canon([v]))
    emit("response", dumps((v,), methodresponse=True, allow_none=True), canon(v))
emit("call", dumps(tuple(cases), "all.params", allow_none=True), "all.params|" + canon(cases))
emit("call", dumps((), "noargs"), "noargs|" + canon([]))
for f in [Fault(1, "x"), Fault(-32601, "<nasty> & 'quotes'"), Fault(2**31 - 1, "ünï"), Fault(0, "")]:
    emit("fault", dumps(f), "F(%d,%s)" % (f.faultCode, f.faultString.encode().hex()))
"#;

/// Everything CPython's `dumps` writes decodes to the same value, and re-encoding it gives
/// back CPython's exact bytes.
#[test]
fn decodes_cpython_dumps_and_reencodes_byte_for_byte() {
    let out = python(VECTORS, b"");
    let limits = Limits::default();
    let mut n = 0;
    for line in out.lines() {
        let mut parts = line.split('\t');
        let (kind, body, expected) = (
            parts.next().unwrap(),
            parts.next().unwrap(),
            parts.next().unwrap(),
        );
        let body = unhex(body);
        let mut ours = Vec::new();
        match kind {
            "call" => {
                let call = parse_call(&body, &limits)
                    .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&body)));
                let got = format!(
                    "{}|{}",
                    call.method,
                    canon(&Value::Array(call.params.clone()))
                );
                assert_eq!(got, expected, "{}", String::from_utf8_lossy(&body));
                encode_call(&call.method, &call.params, &mut ours);
            }
            "response" => match parse_response(&body, &limits).unwrap() {
                Response::Success(v) => {
                    assert_eq!(canon(&v), expected);
                    encode_response(&v, &mut ours);
                }
                Response::Fault(f) => panic!("unexpected {f}"),
            },
            "fault" => match parse_response(&body, &limits).unwrap() {
                Response::Fault(f) => {
                    assert_eq!(canon_fault(&f), expected);
                    encode_fault(&f, &mut ours);
                }
                r => panic!("unexpected {r:?}"),
            },
            _ => unreachable!(),
        }
        assert_eq!(
            String::from_utf8_lossy(&ours),
            String::from_utf8_lossy(&body),
            "re-encoding differs from CPython"
        );
        n += 1;
    }
    assert!(n > 70, "too few vectors: {n}");
}

const LOADS: &str = r#"
for line in sys.stdin:
    body = bytes.fromhex(line.strip())
    try:
        params, method = loads(body)
        print("OK", method or "", canon(list(params)), sep="\t")
    except Fault as f:
        print("FAULT", "F(%d,%s)" % (f.faultCode, f.faultString.encode().hex()), sep="\t")
    except Exception as e:
        print("ERR", repr(e).replace("\t", " "), sep="\t")
"#;

fn cpython_loads(bodies: &[Vec<u8>]) -> Vec<String> {
    let input: String = bodies.iter().map(|b| hex(b) + "\n").collect();
    python(LOADS, input.as_bytes())
        .lines()
        .map(str::to_owned)
        .collect()
}

/// A small deterministic generator, so the cross-check covers many shapes without proptest.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn string(&mut self) -> String {
        const PIECES: &[&str] = &[
            "a", "Z", " ", "<", ">", "&", "'", "\"", "\r", "\n", "\r\n", "\t", "é", "☃", "𝄞",
            "]]>", "&amp;", "\u{FFFD}",
        ];
        (0..self.below(8))
            .map(|_| PIECES[self.below(PIECES.len() as u64) as usize])
            .collect()
    }
    fn value(&mut self, depth: u32) -> Value {
        let kinds = if depth == 0 { 9 } else { 11 };
        match self.below(kinds) {
            0 => Value::Int(self.next() as i32),
            1 => Value::I8((self.next() << 20) as i64 - (1 << 40)),
            2 => Value::Bool(self.below(2) == 1),
            3 => Value::String(self.string()),
            4 => Value::Double(f64::from_bits(self.next() << 31 | self.next()) % 1e10),
            5 => Value::DateTime(
                netloom_core::xmlrpc::DateTime::new(
                    self.below(10000) as u16,
                    1 + self.below(12) as u8,
                    1 + self.below(28) as u8,
                    self.below(24) as u8,
                    self.below(60) as u8,
                    self.below(60) as u8,
                )
                .unwrap(),
            ),
            6 => Value::Base64((0..self.below(100)).map(|_| self.next() as u8).collect()),
            7 => Value::Nil,
            8 => Value::String(String::new()),
            9 => Value::Array((0..self.below(4)).map(|_| self.value(depth - 1)).collect()),
            _ => Value::Struct(
                (0..self.below(4))
                    .map(|_| (self.string(), self.value(depth - 1)))
                    .collect(),
            ),
        }
    }
}

fn sample_values() -> Vec<Value> {
    let mut values = vec![
        Value::I8(i64::MAX),
        Value::I8(i64::MIN),
        Value::Int(i32::MIN),
        Value::String("carriage\rreturn\r\n".into()),
        Value::Double(f64::NEG_INFINITY),
        Value::Double(1e-7),
        Value::Base64(vec![0xAB; 1000]),
        Value::Struct(vec![("dup".into(), Value::Int(1)), ("".into(), Value::Nil)]),
    ];
    let mut rng = Lcg(0x5eed);
    for _ in 0..300 {
        values.push(rng.value(3));
    }
    values.retain(|v| !matches!(v, Value::Double(d) if d.is_nan()));
    values
}

/// CPython's `loads` reads each of our encodings back to an equal Python value.
#[test]
fn cpython_loads_our_encodings() {
    let values: Vec<Value> = sample_values()
        .into_iter()
        .map(|v| match v {
            // NaN never compares equal; keep the tree free of it.
            Value::Double(d) if d.is_nan() => Value::Double(0.0),
            v => v,
        })
        .collect();
    let mut bodies = Vec::new();
    let mut expected = Vec::new();
    for (i, v) in values.iter().enumerate() {
        let mut body = Vec::new();
        encode_call("m.call", std::slice::from_ref(v), &mut body);
        bodies.push(body);
        expected.push(format!(
            "OK\tm.call\t{}",
            canon(&Value::Array(vec![v.clone()]))
        ));
        let mut body = Vec::new();
        encode_response(v, &mut body);
        bodies.push(body);
        expected.push(format!("OK\t\t{}", canon(&Value::Array(vec![v.clone()]))));
        if i % 10 == 0 {
            let f = Fault::new(i as i32 - 100, Lcg(i as u64).string());
            let mut body = Vec::new();
            encode_fault(&f, &mut body);
            bodies.push(body);
            expected.push(format!("FAULT\t{}", canon_fault(&f)));
        }
    }
    let mut mc = Multicall::new();
    mc.call("a", vec![Value::Int(1)]).call("b<&>", vec![]);
    let mut body = Vec::new();
    mc.encode(&mut body);
    bodies.push(body);
    expected.push(format!(
        "OK\tsystem.multicall\tA[A[M{{S({})=S(61),S({})=A[I(1)]}},M{{S({})=S({}),S({})=A[]}}]]",
        hex(b"methodName"),
        hex(b"params"),
        hex(b"methodName"),
        hex(b"b<&>"),
        hex(b"params")
    ));
    let got = cpython_loads(&bodies);
    assert_eq!(got.len(), expected.len());
    for ((g, e), body) in got.iter().zip(&expected).zip(&bodies) {
        assert_eq!(g, e, "{}", String::from_utf8_lossy(body));
    }
}

/// Hand-written documents in shapes other implementations send: both decoders agree.
#[test]
fn same_reading_as_cpython_for_other_shapes() {
    let docs: Vec<&str> = vec![
        "<methodCall><methodName>m</methodName><params><param><value>bare text</value></param></params></methodCall>",
        "<methodCall><methodName>m</methodName><params><param><value></value></param><param><value/></param></params></methodCall>",
        "<methodCall><methodName>m</methodName></methodCall>",
        "<methodCall><methodName>m</methodName><params/></methodCall>",
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!-- c --><methodCall xmlns:ex=\"http://ws.apache.org/xmlrpc/namespaces/extensions\"><methodName>m</methodName><params>\
         <param><value><ex:i8>-9223372036854775808</ex:i8></value></param>\
         <param><value><ex:nil/></value></param>\
         <param><value><i4>+42</i4></value></param>\
         <param><value><int> 7 </int></value></param>\
         <param><value><string><![CDATA[<raw & cdata>]]> &#169;&#x1D11E;&quot;&apos;</string></value></param>\
         <param><value>\n  <double>\n 1E3 </double>\n</value></param>\
         <param><value><array><data/></array></value></param>\
         <param><value><struct/></value></param>\
         <param><value><base64>AAEC\r\nAwQF</base64></value></param>\
         <param><value><dateTime.iso8601> 20240102T03:04:05 </dateTime.iso8601></value></param>\
         <?pi ignored?></params></methodCall>\n",
        "<methodResponse><params><param><value><array><data><value>x</value><value><i8>5000000000</i8></value></data></array></value></param></params></methodResponse>",
        "\u{FEFF}<methodResponse><params><param><value><string>a\r\nb\rc</string></value></param></params></methodResponse>",
        "<methodResponse><fault><value><struct><member><name>faultString</name><value>reordered</value></member><member><name>faultCode</name><value><int>7</int></value></member><member><name>extra</name><value><int>1</int></value></member></struct></value></fault></methodResponse>",
    ];
    let bodies: Vec<Vec<u8>> = docs.iter().map(|d| d.as_bytes().to_vec()).collect();
    let got = cpython_loads(&bodies);
    let limits = Limits::default();
    for (doc, py) in docs.iter().zip(&got) {
        let ours = if doc.contains("methodCall") {
            let c = parse_call(doc.as_bytes(), &limits).unwrap_or_else(|e| panic!("{e}: {doc}"));
            format!("OK\t{}\t{}", c.method, canon(&Value::Array(c.params)))
        } else {
            match parse_response(doc.as_bytes(), &limits).unwrap_or_else(|e| panic!("{e}: {doc}")) {
                Response::Success(v) => format!("OK\t\t{}", canon(&Value::Array(vec![v]))),
                Response::Fault(f) => format!("FAULT\t{}", canon_fault(&f)),
            }
        };
        assert_eq!(&ours, py, "{doc}");
    }
}

const DISPATCH: &str = r#"
from xmlrpc.server import SimpleXMLRPCDispatcher
d = SimpleXMLRPCDispatcher(allow_none=True)
def add(a, b): return a + b
def echo(x): return x
def fail(code, msg): raise Fault(code, msg)
def boom(): raise ValueError("kaboom")
for f in (add, echo, fail, boom): d.register_function(f)
d.register_introspection_functions()
d.register_multicall_functions()
for line in sys.stdin:
    print(d._marshaled_dispatch(bytes.fromhex(line.strip())).hex())
"#;

fn our_dispatcher() -> Dispatcher {
    let mut d = Dispatcher::new();
    d.register("add", |a: i32, b: i32| a + b);
    d.register("echo", |x: Value| x);
    d.register("fail", |code: i32, msg: String| -> Result<Value, Fault> {
        Err(Fault::new(code, msg))
    });
    d.register("boom", || -> Result<i32, Fault> {
        Err(Fault::exception("ValueError", "kaboom"))
    });
    d.enable_introspection().enable_multicall();
    d
}

fn call(method: &str, params: Vec<Value>) -> Vec<u8> {
    let mut out = Vec::new();
    encode_call(method, &params, &mut out);
    out
}

fn canon_response(body: &[u8]) -> String {
    match parse_response(body, &Limits::default()).expect("response decodes") {
        Response::Success(v) => canon(&v),
        Response::Fault(f) => canon_fault(&f),
    }
}

/// Our dispatcher answers the same as CPython's `SimpleXMLRPCDispatcher._marshaled_dispatch`
/// for the same request bytes, multicall shape included.
#[test]
fn dispatcher_answers_like_cpython() {
    let mc_entry = |name: &str, params: Vec<Value>| {
        Value::Struct(vec![
            ("methodName".into(), Value::from(name)),
            ("params".into(), Value::Array(params)),
        ])
    };
    let requests = vec![
        call("add", vec![2.into(), 3.into()]),
        call(
            "echo",
            vec![Value::Struct(vec![(
                "k".into(),
                Value::Array(vec![Value::Nil, 1.5.into()]),
            )])],
        ),
        call("echo", vec![Value::Base64(vec![1, 2, 3])]),
        call("nope", vec![]),
        call("add", vec![1.into(), 2.into(), 3.into()]),
        call("fail", vec![42.into(), "custom <fault>".into()]),
        call("boom", vec![]),
        call("system.listMethods", vec![]),
        call("system.methodHelp", vec!["system.multicall".into()]),
        call("system.methodHelp", vec!["system.listMethods".into()]),
        call("system.methodHelp", vec!["add".into()]),
        call("system.methodHelp", vec!["missing".into()]),
        call("system.methodSignature", vec!["add".into()]),
        call(
            "system.multicall",
            vec![Value::Array(vec![
                mc_entry("add", vec![1.into(), 2.into()]),
                mc_entry("nope", vec![]),
                mc_entry("fail", vec![7.into(), "seven".into()]),
                mc_entry("add", vec![1.into(), 2.into(), 3.into()]),
                mc_entry("echo", vec![Value::Array(vec![])]),
                mc_entry("system.listMethods", vec![]),
            ])],
        ),
        call("system.multicall", vec![Value::Array(vec![])]),
        call(
            "system.multicall",
            vec![Value::Array(vec![Value::Struct(vec![(
                "params".into(),
                Value::Array(vec![]),
            )])])],
        ),
        {
            let mut m = Multicall::new();
            m.call("add", vec![20.into(), 22.into()]);
            let mut out = Vec::new();
            m.encode(&mut out);
            out
        },
    ];
    let input: String = requests.iter().map(|b| hex(b) + "\n").collect();
    let py: Vec<Vec<u8>> = python(DISPATCH, input.as_bytes())
        .lines()
        .map(unhex)
        .collect();
    assert_eq!(py.len(), requests.len());
    let d = our_dispatcher();
    for (req, py_resp) in requests.iter().zip(&py) {
        let ours = d.handle_body(req);
        assert_eq!(
            canon_response(&ours),
            canon_response(py_resp),
            "request: {}\nours: {}\ncpython: {}",
            String::from_utf8_lossy(req),
            String::from_utf8_lossy(&ours),
            String::from_utf8_lossy(py_resp)
        );
    }
}

/// Where we deliberately differ, the shape still matches: a malformed body is a code-1
/// fault in both, and a nested multicall is a fault in its slot (CPython would run it).
#[test]
fn dispatcher_faults_for_bad_bodies_and_nested_multicall() {
    let d = our_dispatcher();
    let bad: Vec<&[u8]> = vec![b"<methodCall>", b"", b"not xml", b"<methodCall><methodName>x</methodName><params><param><value><int>x</int></value></param></params></methodCall>"];
    let input: String = bad.iter().map(|b| hex(b) + "\n").collect();
    let py: Vec<Vec<u8>> = python(DISPATCH, input.as_bytes())
        .lines()
        .map(unhex)
        .collect();
    for (req, py_resp) in bad.iter().zip(&py) {
        let ours = parse_response(&d.handle_body(req), &Limits::default()).unwrap();
        let theirs = parse_response(py_resp, &Limits::default()).unwrap();
        match (ours, theirs) {
            (Response::Fault(a), Response::Fault(b)) => {
                assert_eq!(a.code, b.code);
                assert!(a.string.starts_with("<class '"), "{}", a.string);
            }
            other => panic!("{other:?}"),
        }
    }
    let nested = call(
        "system.multicall",
        vec![Value::Array(vec![Value::Struct(vec![
            ("methodName".into(), "system.multicall".into()),
            ("params".into(), Value::Array(vec![Value::Array(vec![])])),
        ])])],
    );
    let v = parse_response(&d.handle_body(&nested), &Limits::default())
        .unwrap()
        .into_result()
        .unwrap();
    let results = netloom_core::xmlrpc::multicall_results(v).unwrap();
    assert_eq!(
        results,
        vec![Err(Fault::exception(
            "Exception",
            "system.multicall cannot be nested"
        ))]
    );
}

/// The dateTime forms other implementations send (JavaScript's `toISOString`, Perl's
/// RPC::XML, xmlrpc-c) decode, and echoing one writes exactly what CPython writes when it
/// echoes it (CPython keeps the text).
#[test]
fn peers_datetime_forms_are_echoed_as_cpython_echoes_them() {
    let forms = [
        "2025-01-02T03:04:05.000Z",
        "2025-01-02T03:04:05.123Z",
        "20250102T03:04:05Z",
        "20250102T03:04:05+02:00",
        "20250102T03:04:05-0930",
        "19980717T14:08:55.250000",
        "19980717T14:08:55",
        "  2025-01-02T030405,5+01 ",
    ];
    let mut input = String::new();
    let mut ours = Vec::new();
    for form in forms {
        let body = format!(
            "<?xml version='1.0'?><methodResponse><params><param><value>\
             <dateTime.iso8601>{form}</dateTime.iso8601></value></param></params></methodResponse>"
        );
        input.push_str(&hex(body.as_bytes()));
        input.push('\n');
        let v = match parse_response(body.as_bytes(), &Limits::default()) {
            Ok(Response::Success(v)) => v,
            other => panic!("{form}: {other:?}"),
        };
        let mut out = Vec::new();
        encode_response(&v, &mut out);
        ours.push(String::from_utf8(out).unwrap());
    }
    let echoed = python(
        r#"
for line in sys.stdin:
    params, _ = loads(bytes.fromhex(line.strip()))
    print(dumps(params, methodresponse=True).encode().hex())
"#,
        input.as_bytes(),
    );
    let cpython: Vec<String> = echoed
        .lines()
        .map(|l| String::from_utf8(unhex(l)).unwrap())
        .collect();
    assert_eq!(ours, cpython);
}

/// Documents in ISO-8859-1 and windows-1252 (every byte from 0x20 up, but the five
/// windows-1252 leaves undefined, which CPython refuses) and in UTF-16 decode to the same
/// strings as CPython decodes them.
#[test]
fn other_encodings_decode_as_cpython_decodes_them() {
    let undefined = [0x81u8, 0x8D, 0x8F, 0x90, 0x9D];
    let mut bodies = Vec::new();
    for label in ["iso-8859-1", "latin1", "windows-1252", "cp1252"] {
        let text: Vec<u8> = (0x20..=0xFFu8)
            .filter(|b| !matches!(b, b'<' | b'&'))
            .filter(|b| label.contains("1252") && !undefined.contains(b) || !label.contains("1252"))
            .collect();
        let mut body = format!(
            "<?xml version=\"1.0\" encoding=\"{label}\"?><methodCall><methodName>m</methodName>\
             <params><param><value><string>"
        )
        .into_bytes();
        body.extend_from_slice(&text);
        body.extend_from_slice(b"</string></value></param></params></methodCall>");
        bodies.push(body);
    }
    let doc = "<?xml version=\"1.0\" encoding=\"utf-16\"?><methodCall><methodName>m</methodName>\
               <params><param><value><string>π 𝄞 é</string></value></param></params></methodCall>";
    for bom in [[0xFF, 0xFE], [0xFE, 0xFF]] {
        let mut body = bom.to_vec();
        for unit in doc.encode_utf16() {
            body.extend_from_slice(&if bom[0] == 0xFF {
                unit.to_le_bytes()
            } else {
                unit.to_be_bytes()
            });
        }
        bodies.push(body);
    }
    let cpython = cpython_loads(&bodies);
    assert_eq!(cpython.len(), bodies.len());
    for (body, theirs) in bodies.iter().zip(&cpython) {
        let call = parse_call(body, &Limits::default())
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(body)));
        let ours = format!(
            "OK\t{}\t{}",
            call.method,
            canon(&Value::Array(call.params.clone()))
        );
        assert_eq!(&ours, theirs);
    }
}

/// A fault whose code is a string (Perl's XMLRPC::Lite) keeps code and message, and our
/// re-encoding of it reads back in CPython as the same fault.
#[test]
fn string_fault_codes_are_kept_and_sent_back_as_cpython_sends_them() {
    let body = b"<?xml version=\"1.0\"?><methodResponse><fault><value><struct>\
        <member><name>faultCode</name><value><string>Client</string></value></member>\
        <member><name>faultString</name><value><string>Bad args</string></value></member>\
        </struct></value></fault></methodResponse>";
    let fault = match parse_response(body, &Limits::default()) {
        Ok(Response::Fault(f)) => f,
        other => panic!("{other:?}"),
    };
    assert_eq!(fault, Fault::with_code_text("Client", "Bad args"));
    let mut ours = Vec::new();
    encode_fault(&fault, &mut ours);
    let theirs = python(
        r#"
body = sys.stdin.buffer.read()
try:
    loads(body)
except Fault as f:
    print(repr(f.faultCode), repr(f.faultString))
    print(dumps(f).encode().hex())
"#,
        body,
    );
    let mut lines = theirs.lines();
    assert_eq!(lines.next(), Some("'Client' 'Bad args'"));
    let cpython_dump = unhex(lines.next().unwrap());
    assert_eq!(
        String::from_utf8_lossy(&ours),
        String::from_utf8_lossy(&cpython_dump)
    );
}
