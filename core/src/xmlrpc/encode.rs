//! Encoding values, calls, responses and faults, byte for byte as CPython's
//! `xmlrpc.client.dumps` writes them.

use std::io::Write as _;

use super::{Fault, Value};
use crate::base64;

const XML_HEADER: &[u8] = b"<?xml version='1.0'?>\n";

/// Bytes of a success response around its `<value>`.
const RESPONSE_FRAMING: usize = XML_HEADER.len()
    + "<methodResponse>\n<params>\n<param>\n</param>\n</params>\n</methodResponse>\n".len();

/// Appends a `<methodCall>` document to `out`: the same bytes as CPython's
/// `xmlrpc.client.dumps(params, methodname)` (with `allow_none=True`).
///
/// ```
/// use netloom_core::xmlrpc::{encode_call, Value};
///
/// let mut out = Vec::new();
/// encode_call("add", &[Value::Int(2), Value::Int(3)], &mut out);
/// assert_eq!(
///     String::from_utf8(out).unwrap(),
///     "<?xml version='1.0'?>\n<methodCall>\n<methodName>add</methodName>\n<params>\n\
///      <param>\n<value><int>2</int></value>\n</param>\n\
///      <param>\n<value><int>3</int></value>\n</param>\n</params>\n</methodCall>\n"
/// );
/// ```
pub fn encode_call(method: &str, params: &[Value], out: &mut Vec<u8>) {
    out.extend_from_slice(XML_HEADER);
    out.extend_from_slice(b"<methodCall>\n<methodName>");
    escape_into(method, out);
    out.extend_from_slice(b"</methodName>\n");
    encode_params(params, out);
    out.extend_from_slice(b"</methodCall>\n");
}

/// Appends a successful `<methodResponse>` carrying `value` to `out`, as CPython's
/// `dumps((value,), methodresponse=True)` writes it.
pub fn encode_response(value: &Value, out: &mut Vec<u8>) {
    // The fixed framing plus a small value, in one allocation.
    out.reserve(RESPONSE_FRAMING + 64);
    out.extend_from_slice(XML_HEADER);
    out.extend_from_slice(b"<methodResponse>\n");
    encode_params(std::slice::from_ref(value), out);
    out.extend_from_slice(b"</methodResponse>\n");
}

/// Appends a fault `<methodResponse>` to `out`, as CPython's `dumps(Fault(code, string))`
/// writes it (`faultCode` first, then `faultString`).
///
/// ```
/// use netloom_core::xmlrpc::{encode_fault, Fault};
///
/// let mut out = Vec::new();
/// encode_fault(&Fault::new(4, "Too many <params>"), &mut out);
/// let text = String::from_utf8(out).unwrap();
/// assert!(text.contains("<name>faultCode</name>\n<value><int>4</int></value>"));
/// assert!(text.contains("<string>Too many &lt;params&gt;</string>"));
/// ```
pub fn encode_fault(fault: &Fault, out: &mut Vec<u8>) {
    out.reserve(256 + fault.string.len());
    out.extend_from_slice(XML_HEADER);
    out.extend_from_slice(b"<methodResponse>\n<fault>\n<value><struct>\n");
    out.extend_from_slice(b"<member>\n<name>faultCode</name>\n");
    match &fault.code_text {
        Some(code) => encode_string(code, out),
        None => encode_int(b"int", i64::from(fault.code), out),
    }
    out.extend_from_slice(b"</member>\n<member>\n<name>faultString</name>\n");
    encode_string(&fault.string, out);
    out.extend_from_slice(b"</member>\n</struct></value>\n</fault>\n</methodResponse>\n");
}

fn encode_params(params: &[Value], out: &mut Vec<u8>) {
    out.extend_from_slice(b"<params>\n");
    for p in params {
        out.extend_from_slice(b"<param>\n");
        encode_value(p, out);
        out.extend_from_slice(b"</param>\n");
    }
    out.extend_from_slice(b"</params>\n");
}

/// Appends one `<value>...</value>` element (with CPython's trailing newline; `<nil/>` has
/// none, as in CPython) to `out`.
///
/// Differences from CPython, all invisible to a CPython reader: a carriage return in a
/// string is written as `&#13;` (CPython writes it raw, and XML parsers, CPython's
/// included, turn a raw one into `\n`), `Value::I8` is written as `<i8>` (CPython refuses to
/// marshal such integers but reads `<i8>`), and `Nil` is always written (CPython requires
/// `allow_none=True`).
///
/// The encoder recurses once per array/struct level.
pub fn encode_value(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::Int(i) => encode_int(b"int", i64::from(*i), out),
        Value::I8(i) => encode_int(b"i8", *i, out),
        Value::Bool(b) => out.extend_from_slice(if *b {
            b"<value><boolean>1</boolean></value>\n"
        } else {
            b"<value><boolean>0</boolean></value>\n"
        }),
        Value::String(s) => encode_string(s, out),
        Value::Double(d) => {
            out.extend_from_slice(b"<value><double>");
            write_python_float(*d, out);
            out.extend_from_slice(b"</double></value>\n");
        }
        Value::DateTime(t) => {
            out.extend_from_slice(b"<value><dateTime.iso8601>");
            let _ = write!(out, "{t}");
            out.extend_from_slice(b"</dateTime.iso8601></value>\n");
        }
        Value::Base64(data) => {
            out.extend_from_slice(b"<value><base64>\n");
            base64::encode_lines(data, out);
            out.extend_from_slice(b"</base64></value>\n");
        }
        Value::Struct(members) => {
            out.extend_from_slice(b"<value><struct>\n");
            for (name, v) in members {
                out.extend_from_slice(b"<member>\n<name>");
                escape_into(name, out);
                out.extend_from_slice(b"</name>\n");
                encode_value(v, out);
                out.extend_from_slice(b"</member>\n");
            }
            out.extend_from_slice(b"</struct></value>\n");
        }
        Value::Array(items) => {
            out.extend_from_slice(b"<value><array><data>\n");
            for v in items {
                encode_value(v, out);
            }
            out.extend_from_slice(b"</data></array></value>\n");
        }
        Value::Nil => out.extend_from_slice(b"<value><nil/></value>"),
    }
}

fn encode_int(tag: &[u8], i: i64, out: &mut Vec<u8>) {
    out.extend_from_slice(b"<value><");
    out.extend_from_slice(tag);
    out.push(b'>');
    let mut buf = [0u8; 20];
    let mut pos = buf.len();
    let mut n = i.unsigned_abs();
    loop {
        pos -= 1;
        buf[pos] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    if i < 0 {
        out.push(b'-');
    }
    out.extend_from_slice(&buf[pos..]);
    out.extend_from_slice(b"</");
    out.extend_from_slice(tag);
    out.extend_from_slice(b"></value>\n");
}

pub(crate) fn encode_string(s: &str, out: &mut Vec<u8>) {
    out.extend_from_slice(b"<value><string>");
    escape_into(s, out);
    out.extend_from_slice(b"</string></value>\n");
}

/// Escapes `&`, `<` and `>` as CPython does, and `\r` as `&#13;` so it survives parsing.
fn escape_into(s: &str, out: &mut Vec<u8>) {
    let bytes = s.as_bytes();
    out.reserve(bytes.len());
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let rep: &[u8] = match b {
            b'&' => b"&amp;",
            b'<' => b"&lt;",
            b'>' => b"&gt;",
            b'\r' => b"&#13;",
            _ => continue,
        };
        out.extend_from_slice(&bytes[start..i]);
        out.extend_from_slice(rep);
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
}

/// Writes `d` as Python's `repr(float)` does: shortest round-trip digits, positional
/// notation for exponents in `-4..16`, otherwise `1.5e-07` / `1e+16`; `inf`, `-inf`, `nan`.
fn write_python_float(d: f64, out: &mut Vec<u8>) {
    if d.is_nan() {
        out.extend_from_slice(b"nan");
        return;
    }
    if d.is_sign_negative() {
        out.push(b'-');
    }
    let a = d.abs();
    if a.is_infinite() {
        out.extend_from_slice(b"inf");
        return;
    }
    // `{:e}` gives the shortest round-trip digits: "1.2345e-7", "0e0".
    let sci = format!("{a:e}");
    let (mant, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: Vec<u8> = mant.bytes().filter(u8::is_ascii_digit).collect();
    if (-4..16).contains(&exp) {
        if exp >= 0 {
            let int_len = exp as usize + 1;
            for k in 0..int_len {
                out.push(*digits.get(k).unwrap_or(&b'0'));
            }
            out.push(b'.');
            if digits.len() > int_len {
                out.extend_from_slice(&digits[int_len..]);
            } else {
                out.push(b'0');
            }
        } else {
            out.extend_from_slice(b"0.");
            for _ in 0..(-exp - 1) {
                out.push(b'0');
            }
            out.extend_from_slice(&digits);
        }
    } else {
        out.push(digits[0]);
        if digits.len() > 1 {
            out.push(b'.');
            out.extend_from_slice(&digits[1..]);
        }
        let _ = write!(
            out,
            "e{}{:02}",
            if exp < 0 { '-' } else { '+' },
            exp.unsigned_abs()
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn py(d: f64) -> String {
        let mut out = Vec::new();
        write_python_float(d, &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn floats_like_python_repr() {
        assert_eq!(py(0.0), "0.0");
        assert_eq!(py(-0.0), "-0.0");
        assert_eq!(py(1.0), "1.0");
        assert_eq!(py(1.5), "1.5");
        assert_eq!(py(0.1), "0.1");
        assert_eq!(py(0.0001), "0.0001");
        assert_eq!(py(0.00001), "1e-05");
        assert_eq!(py(1.5e-7), "1.5e-07");
        assert_eq!(py(1e15), "1000000000000000.0");
        assert_eq!(py(1e16), "1e+16");
        assert_eq!(py(123456789.125), "123456789.125");
        assert_eq!(py(1.7976931348623157e308), "1.7976931348623157e+308");
        assert_eq!(py(5e-324), "5e-324");
        assert_eq!(py(f64::INFINITY), "inf");
        assert_eq!(py(f64::NEG_INFINITY), "-inf");
        assert_eq!(py(f64::NAN), "nan");
    }

    #[test]
    fn escapes() {
        let mut out = Vec::new();
        escape_into("a<b>&c\r\n'\"", &mut out);
        assert_eq!(out, b"a&lt;b&gt;&amp;c&#13;\n'\"");
    }
}
