//! Hostile and malformed input: each document is refused with a typed error, quickly,
//! without a panic, a stack overflow or unbounded work.

use netloom_core::xmlrpc::{parse_call, parse_response, Dispatcher, Error, Limits, Response};

fn call_err(body: &[u8]) -> Error {
    parse_call(body, &Limits::default()).expect_err("document must be refused")
}

fn wrap_value(v: &str) -> Vec<u8> {
    format!(
        "<methodCall><methodName>m</methodName><params><param>{v}</param></params></methodCall>"
    )
    .into_bytes()
}

#[test]
fn billion_laughs_is_refused_without_expansion() {
    let mut doc =
        String::from("<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n<!ENTITY lol \"lol\">\n");
    for i in 1..10 {
        let prev = if i == 1 {
            "lol".to_string()
        } else {
            format!("lol{}", i - 1)
        };
        doc.push_str(&format!(
            "<!ENTITY lol{i} \"{}\">\n",
            format!("&{prev};").repeat(10)
        ));
    }
    doc.push_str("]>\n<methodCall><methodName>&lol9;</methodName></methodCall>");
    assert_eq!(call_err(doc.as_bytes()), Error::DoctypeRefused);
}

#[test]
fn external_entities_are_refused() {
    let doc = b"<?xml version=\"1.0\"?><!DOCTYPE m [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>\
        <methodCall><methodName>&xxe;</methodName></methodCall>";
    assert_eq!(call_err(doc), Error::DoctypeRefused);
    let doc = b"<!DOCTYPE methodCall SYSTEM \"http://example.com/x.dtd\"><methodCall><methodName>m</methodName></methodCall>";
    assert_eq!(call_err(doc), Error::DoctypeRefused);
    // An undeclared entity without a DOCTYPE is an error too, never a lookup.
    let doc = b"<methodCall><methodName>&xxe;</methodName></methodCall>";
    assert_eq!(call_err(doc), Error::UnknownEntity("xxe".into()));
}

#[test]
fn deep_nesting_is_cut_at_the_limit() {
    for (open, close) in [
        ("<value><array><data>", "</data></array></value>"),
        (
            "<value><struct><member><name>a</name>",
            "</member></struct></value>",
        ),
    ] {
        let n = 100_000;
        let mut doc = String::with_capacity(n * 60);
        doc.push_str("<methodCall><methodName>m</methodName><params><param>");
        for _ in 0..n {
            doc.push_str(open);
        }
        doc.push_str("<value><int>1</int></value>");
        for _ in 0..n {
            doc.push_str(close);
        }
        doc.push_str("</param></params></methodCall>");
        assert_eq!(call_err(doc.as_bytes()), Error::TooDeep { limit: 64 });
    }
    // Arbitrary deep XML fails at the first element out of place.
    let doc = format!("<methodCall>{}", "<a>".repeat(100_000));
    assert!(matches!(
        call_err(doc.as_bytes()),
        Error::UnexpectedTag { .. }
    ));
    // Exactly at the limit is fine.
    let limits = Limits {
        max_depth: 3,
        ..Limits::default()
    };
    let ok = wrap_value(&format!(
        "{}<value><int>1</int></value>{}",
        "<value><array><data>".repeat(3),
        "</data></array></value>".repeat(3)
    ));
    assert!(parse_call(&ok, &limits).is_ok());
    let deep = wrap_value(&format!(
        "{}<value><int>1</int></value>{}",
        "<value><array><data>".repeat(4),
        "</data></array></value>".repeat(4)
    ));
    assert_eq!(parse_call(&deep, &limits), Err(Error::TooDeep { limit: 3 }));
}

#[test]
fn size_limits() {
    let big = "QUFB".repeat(300_000); // 900,000 decoded bytes
    let doc = wrap_value(&format!("<value><base64>{big}</base64></value>"));
    let limits = Limits {
        max_base64_bytes: 512 * 1024,
        ..Limits::default()
    };
    assert_eq!(
        parse_call(&doc, &limits),
        Err(Error::Base64TooLarge { limit: 512 * 1024 })
    );
    assert!(parse_call(&doc, &Limits::default()).is_ok());

    let limits = Limits {
        max_body_bytes: 1000,
        ..Limits::default()
    };
    assert_eq!(
        parse_call(&doc, &limits),
        Err(Error::BodyTooLarge {
            len: doc.len(),
            limit: 1000
        })
    );

    let limits = Limits {
        max_string_bytes: 10,
        ..Limits::default()
    };
    let doc = wrap_value("<value><string>01234567890</string></value>");
    assert_eq!(
        parse_call(&doc, &limits),
        Err(Error::StringTooLong { limit: 10 })
    );
    let doc = wrap_value("<value>01234567890</value>");
    assert_eq!(
        parse_call(&doc, &limits),
        Err(Error::StringTooLong { limit: 10 })
    );
    let doc = wrap_value(
        "<value><struct><member><name>01234567890</name><value/></member></struct></value>",
    );
    assert_eq!(
        parse_call(&doc, &limits),
        Err(Error::StringTooLong { limit: 10 })
    );

    let limits = Limits {
        max_values: 5,
        ..Limits::default()
    };
    let doc = wrap_value(&format!(
        "<value><array><data>{}</data></array></value>",
        "<value/>".repeat(5)
    ));
    assert_eq!(
        parse_call(&doc, &limits),
        Err(Error::TooManyValues { limit: 5 })
    );
}

#[test]
fn truncated_documents() {
    let full = b"<?xml version='1.0'?>\n<methodCall>\n<methodName>m</methodName>\n<params>\n<param>\n\
        <value><struct>\n<member>\n<name>a</name>\n<value><array><data>\n<value><i4>1</i4></value>\n\
        </data></array></value>\n</member>\n</struct></value>\n</param>\n</params>\n</methodCall>\n";
    assert!(parse_call(full, &Limits::default()).is_ok());
    // Every strict prefix ending before the root closes is refused.
    let end = full.len() - b"</methodCall>\n".len();
    for cut in 0..end {
        let e = parse_call(&full[..cut], &Limits::default()).expect_err("prefix must fail");
        assert!(
            matches!(
                e,
                Error::Truncated
                    | Error::Syntax { .. }
                    | Error::BadInt(_)
                    | Error::UnexpectedEnd { .. }
            ),
            "cut at {cut}: {e:?}"
        );
    }
    assert_eq!(call_err(b""), Error::Truncated);
    assert_eq!(
        call_err(b"<methodCall><methodName>m</methodName>"),
        Error::Truncated
    );
}

#[test]
fn invalid_utf8() {
    let mut doc = wrap_value("<value><string>ok</string></value>");
    let at = doc.windows(2).position(|w| w == b"ok").unwrap();
    doc[at] = 0xC3;
    doc[at + 1] = 0x28;
    assert_eq!(call_err(&doc), Error::InvalidUtf8 { offset: at });
    assert_eq!(
        call_err(b"<methodCall><methodName>\xff</methodName></methodCall>"),
        Error::InvalidUtf8 { offset: 24 }
    );
}

#[test]
fn bad_scalars_and_structure() {
    type Check = fn(&Error) -> bool;
    let cases: Vec<(&str, Check)> = vec![
        ("<value><base64>YQ=</base64></value>", |e| {
            *e == Error::BadBase64
        }),
        ("<value><base64>Y$==</base64></value>", |e| {
            *e == Error::BadBase64
        }),
        (
            "<value><dateTime.iso8601>2024-1-2</dateTime.iso8601></value>",
            |e| matches!(e, Error::BadDateTime(_)),
        ),
        (
            "<value><dateTime.iso8601>20241302T00:00:00</dateTime.iso8601></value>",
            |e| matches!(e, Error::BadDateTime(_)),
        ),
        ("<value><int>12a</int></value>", |e| {
            matches!(e, Error::BadInt(_))
        }),
        ("<value><int></int></value>", |e| {
            matches!(e, Error::BadInt(_))
        }),
        ("<value><i8>9223372036854775808</i8></value>", |e| {
            matches!(e, Error::IntOutOfRange(_))
        }),
        ("<value><double>1.0.0</double></value>", |e| {
            matches!(e, Error::BadDouble(_))
        }),
        ("<value><double>1_0</double></value>", |e| {
            matches!(e, Error::BadDouble(_))
        }),
        ("<value><boolean>yes</boolean></value>", |e| {
            matches!(e, Error::BadBoolean(_))
        }),
        ("<value><bigdecimal>1.5</bigdecimal></value>", |e| {
            matches!(e, Error::UnexpectedTag { .. })
        }),
        ("<value><int><int>1</int></int></value>", |e| {
            matches!(e, Error::UnexpectedTag { .. })
        }),
        ("<value><array><value/></array></value>", |e| {
            matches!(e, Error::UnexpectedTag { .. })
        }),
        (
            "<value><struct><member><value/></member></struct></value>",
            |e| matches!(e, Error::UnexpectedTag { .. }),
        ),
        ("<value><struct>text</struct></value>", |e| {
            matches!(e, Error::UnexpectedText { .. })
        }),
        ("<value><int>1</int><int>2</int></value>", |e| {
            matches!(e, Error::UnexpectedTag { .. })
        }),
        ("<value><string>&#xD800;</string></value>", |e| {
            matches!(e, Error::BadCharRef(_) | Error::Syntax { .. })
        }),
        ("<value><string>&#1;</string></value>", |e| {
            matches!(e, Error::BadCharRef(_))
        }),
    ];
    for (v, ok) in cases {
        let e = call_err(&wrap_value(v));
        assert!(ok(&e), "{v}: {e:?}");
    }
    assert_eq!(
        call_err(b"<methodCall><methodName>m</methodName></methodCall><methodCall/>"),
        Error::TrailingContent
    );
    assert_eq!(
        call_err(b"<methodCall><methodName>m</methodName></methodCall>junk"),
        Error::TrailingContent
    );
    assert!(matches!(
        call_err(b"<?xml version='1.0' encoding='koi8-r'?><methodCall/>"),
        Error::UnsupportedEncoding(_)
    ));
    // XML 1.0's `Char` production: a raw C0 control is refused like its reference.
    for raw in [
        &b"\x1b"[..],
        b"\x00",
        b"\x08",
        b"\x0b",
        b"\x0c",
        b"\x1f",
        b"\xef\xbf\xbe",
    ] {
        let mut doc =
            b"<methodCall><methodName>m</methodName><params><param><value><string>a".to_vec();
        let at = doc.len();
        doc.extend_from_slice(raw);
        doc.extend_from_slice(b"</string></value></param></params></methodCall>");
        let e = call_err(&doc);
        assert!(
            matches!(e, Error::InvalidChar { offset, .. } if offset == at),
            "{raw:?}: {e:?}"
        );
    }
    assert!(matches!(
        call_err(b"<methodResponse/>"),
        Error::UnexpectedTag { .. }
    ));
    let limits = Limits::default();
    assert_eq!(
        parse_response(
            b"<methodResponse><params></params></methodResponse>",
            &limits
        ),
        Err(Error::BadParamCount(0))
    );
    assert_eq!(
        parse_response(
            b"<methodResponse><fault><value><struct><member><name>faultCode</name><value>x</value></member></struct></value></fault></methodResponse>",
            &limits
        ),
        Err(Error::BadFault)
    );
}

#[test]
fn dispatcher_answers_every_hostile_body_with_a_fault() {
    let d = Dispatcher::new();
    let bodies: Vec<Vec<u8>> = vec![
        b"<!DOCTYPE x [<!ENTITY a \"b\">]><methodCall/>".to_vec(),
        format!("<methodCall>{}", "<value><array><data>".repeat(50_000)).into_bytes(),
        vec![0xff, 0xfe, 0x00],
        Vec::new(),
    ];
    for body in bodies {
        let resp = d.handle_body(&body);
        match parse_response(&resp, &Limits::default()) {
            Ok(Response::Fault(f)) => assert_eq!(f.code, 1),
            other => panic!("{other:?}"),
        }
    }
}
