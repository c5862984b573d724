#!/usr/bin/env python3
"""Regenerates the seed corpus in fuzz/corpus/<target>/ from the project's own test inputs.

Run from anywhere: `python3 fuzz/make_seeds.py`. It rewrites only files named `seed-*`, so
minimised findings kept next to them survive. Sources:

- HTTP requests: core/tests/http_corpus/*.http, the byte-string requests of
  core/tests/http_rules.rs, and a few pipelining / 100-continue / HTTP/1.0 cases.
- HTTP responses: the byte-string responses of core/tests/http_rules.rs and a few framings.
- chunked bodies: the chunked bodies of the above plus edge cases (extensions, trailers,
  bare LF, overflowing sizes).
- XML-RPC: CPython's xmlrpc.client.dumps over the values core/tests/xmlrpc_cpython.rs uses,
  plus the hostile documents of core/tests/xmlrpc_hostile.rs.
- frames: hand-written length-prefixed streams.

The HTTP and framing targets take a control byte first (see fuzz/src/lib.rs): bits 0-2 say
how many chunk-size bytes follow, bit 3 picks small limits, bits 4-7 are target flags.
"""

import datetime
import hashlib
import pathlib
import re
import struct
from xmlrpc.client import Binary, DateTime, Fault, dumps

ROOT = pathlib.Path(__file__).resolve().parent.parent
CORPUS = ROOT / "fuzz" / "corpus"
TESTS = ROOT / "core" / "tests"

# Control prefixes: whole input; small limits; byte by byte; pieces of 4 and 17 bytes.
CONTROLS = [b"\x00", b"\x08", b"\x01\x00", b"\x02\x03\x10"]


def rust_byte_strings(path):
    """The contents of every b"..." literal in a Rust file, unescaped."""
    text = path.read_text()
    out = []
    for m in re.finditer(r'b"((?:[^"\\]|\\.|\\\n)*)"', text, re.S):
        raw = m.group(1)
        raw = re.sub(r"\\\n\s*", "", raw)  # line continuations
        buf = bytearray()
        i = 0
        while i < len(raw):
            c = raw[i]
            if c == "\\":
                n = raw[i + 1]
                if n == "x":
                    buf.append(int(raw[i + 2 : i + 4], 16))
                    i += 4
                    continue
                buf += {"r": b"\r", "n": b"\n", "t": b"\t", "0": b"\0", "\\": b"\\",
                        '"': b'"', "'": b"'"}[n]
                i += 2
            else:
                buf += c.encode()
                i += 1
        out.append(bytes(buf))
    return out


def write(target, data):
    d = CORPUS / target
    d.mkdir(parents=True, exist_ok=True)
    name = "seed-" + hashlib.sha1(data).hexdigest()[:12]
    (d / name).write_bytes(data)


def clear(target):
    d = CORPUS / target
    if d.exists():
        for f in d.glob("seed-*"):
            f.unlink()


METHODS = (b"GET ", b"POST ", b"PUT ", b"HEAD ", b"DELETE ", b"OPTIONS ", b"\r\n", b"\n")

EXTRA_REQUESTS = [
    b"GET /a HTTP/1.1\r\nHost: h\r\n\r\nGET /b HTTP/1.1\r\nHost: h\r\n\r\n",
    b"POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhelloGET /q HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
    b"POST /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n0\r\nX-T: 1\r\n\r\n",
    b"PUT /e HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\nabc",
    b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET / HTTP/1.0\r\n\r\n",
    b"HEAD / HTTP/1.1\r\nHost: h\r\n\r\n",
]

EXTRA_RESPONSES = [
    b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nX-T: v\r\n\r\n",
    b"HTTP/1.1 200 OK\r\n\r\nclose-delimited body",
    b"HTTP/1.1 204 No Content\r\n\r\nHTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n",
    b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
    b"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 1\r\n\r\nx",
    b"HTTP/1.1 200 OK\r\nX-Folded: a\r\n b\r\nContent-Length: 0\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabcHTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n",
    b"HTTP/1.1 101 Switching Protocols\r\n\r\n",
]

EXTRA_CHUNKED = [
    b"0\r\n\r\n",
    b"5\r\nhello\r\n0\r\n\r\n",
    b"1;a=b;c\r\nx\r\nA\r\n0123456789\r\n0\r\n\r\n",
    b"3 ;ext\r\nabc\r\n0\r\nX-A: 1\r\nX-B: 2\r\n\r\n",
    b"3\r\nabc\r\n0\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n",
    b"3\nabc\r\n0\r\n\r\n",
    b"3\r\nabc\n0\r\n\r\n",
    b"FFFFFFFFFFFFFFFFF\r\n",
    b"0000000000000000000001\r\nz\r\n0\r\n\r\n",
    b"64\r\n" + b"y" * 100 + b"\r\n0\r\n\r\n",
    b"3\r\nabc\r\n0\r\nBad Name: x\r\n\r\n",
    b"-1\r\n",
]


def http_seeds():
    requests = [p.read_bytes() for p in sorted((TESTS / "http_corpus").glob("*.http"))]
    responses = []
    for s in rust_byte_strings(TESTS / "http_rules.rs"):
        if s.startswith(b"HTTP/"):
            responses.append(s)
        elif s.startswith(METHODS) and (b"HTTP/" in s):
            requests.append(s)
    requests += EXTRA_REQUESTS
    responses += EXTRA_RESPONSES
    requests = list(dict.fromkeys(requests))
    responses = list(dict.fromkeys(responses))

    clear("http_request")
    for i, r in enumerate(requests):
        write("http_request", CONTROLS[i % len(CONTROLS)] + r)
        if i % 3 == 0:
            write("http_request", CONTROLS[(i + 1) % len(CONTROLS)] + r)

    clear("http_response")
    for i, r in enumerate(responses):
        ctl = bytearray(CONTROLS[i % len(CONTROLS)])
        ctl[0] |= ((i * 5) % 16) << 4  # HEAD/GET pattern
        write("http_response", bytes(ctl) + r)

    clear("chunked_body")
    chunked = list(EXTRA_CHUNKED)
    for r in requests:
        head, sep, body = r.partition(b"\r\n\r\n")
        if sep and b"chunked" in head.lower() and body:
            chunked.append(body)
    for body in dict.fromkeys(chunked):
        write("chunked_body", body)


def xmlrpc_seeds():
    values = [
        0, 1, -1, 2**31 - 1, -2**31, True, False,
        0.0, -0.0, 1.5, 0.1, 1e300, 5e-324, float("inf"), float("nan"),
        "", "hello", "a<b>&c'\"", "ünïcødé ☃ 𝄞", "line1\r\nline2\ttab", "]]>",
        Binary(b""), Binary(bytes(range(64))),
        DateTime("20240102T03:04:05"), datetime.datetime(1999, 12, 31, 23, 59, 58),
        None, [], {}, [1, "two", 3.0, [4, [5, {}]]],
        {"a": 1, "b": {"c": [None, True]}, "ü<&>": "x"},
    ]
    calls = [dumps((v,), "some.method", allow_none=True).encode() for v in values]
    calls.append(dumps(tuple(values[:12]), "all.params", allow_none=True).encode())
    calls.append(dumps((), "noargs").encode())
    calls.append(dumps((2, 3), "add").encode())
    calls.append(dumps(("a", "b"), "concat").encode())
    calls.append(dumps(([1.5, 2.0],), "sum").encode())
    calls.append(dumps((), "system.listMethods").encode())
    calls.append(dumps(("add",), "system.methodHelp").encode())
    calls.append(dumps(([{"methodName": "add", "params": [1, 2]},
                         {"methodName": "echo", "params": ["x", None]},
                         {"methodName": "nope", "params": []}],),
                       "system.multicall", allow_none=True).encode())
    responses = [dumps((v,), methodresponse=True, allow_none=True).encode() for v in values]
    responses += [dumps(Fault(1, "x")).encode(), dumps(Fault(-32601, "<nasty> & 'q'")).encode()]
    responses.append(dumps(([[4], {"faultCode": 1, "faultString": "e"}],),
                           methodresponse=True).encode())

    hostile = rust_byte_strings(TESTS / "xmlrpc_hostile.rs")
    hostile = [h for h in hostile if h.startswith((b"<", b"\xef"))]
    hostile.append(b"<methodCall><methodName>m</methodName><params><param><value><i8>9223372036854775807</i8></value></param>"
                   b"<param><value><ex:nil/></value></param><param><value><![CDATA[<raw>]]></value></param>"
                   b"<param><value>&#x1F600;&#13;&lt;</value></param></params></methodCall>")

    clear("xmlrpc_call")
    for c in calls + [h for h in hostile if b"methodResponse" not in h]:
        write("xmlrpc_call", c)
    clear("xmlrpc_response")
    for r in responses + [h for h in hostile if b"methodCall" not in h]:
        write("xmlrpc_response", r)
    clear("xmlrpc_roundtrip")
    for i, doc in enumerate(calls + responses):
        if i % 2 == 0:
            write("xmlrpc_roundtrip", doc)
    # Value recipes (see ValueGen in fuzz/src/lib.rs): method name, then tagged values.
    for recipe in [b"\x03add\x00\x01\x00\x00\x00\x0a\x02\x01\x00\x00\x00\x00",
                   b"\x00\x04\x00\x00\x00\x00\x00\x00\xf8\x7f\x04\x00\x00\x00\x00\x00\x00\x00\x80",
                   b"\x01m\x09\x03\x03\x05hello\x07\x0a\x02\x01k\x02\x01\x01z\x06\x03abc"]:
        write("xmlrpc_roundtrip", recipe)


def frame_seeds():
    def frame(p):
        return struct.pack(">I", len(p)) + p

    streams = [
        b"",
        frame(b""),
        frame(b"hello") + frame(b"world"),
        frame(b"x" * 70),
        frame(b"abc")[:5],
        b"\x00\x00",
        b"\xff\xff\xff\xff",
        b"\x00\x80\x00\x01" + b"z" * 8,
        frame(b"one") + frame(b"") + frame(bytes(range(32))),
    ]
    clear("frame_prefixed")
    for i, s in enumerate(streams):
        ctl = bytearray(CONTROLS[i % len(CONTROLS)])
        ctl[0] |= ((i * 3) % 16) << 4  # fixed-frame size
        write("frame_prefixed", bytes(ctl) + s)
        write("frame_prefixed", bytes([0x0F]) + bytes(range(7)) + s)


if __name__ == "__main__":
    http_seeds()
    xmlrpc_seeds()
    frame_seeds()
    for d in sorted(CORPUS.iterdir()):
        files = list(d.iterdir())
        print(f"{d.name}: {len(files)} files, {sum(f.stat().st_size for f in files)} bytes")
