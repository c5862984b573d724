//! The serde mapping (`serde` feature): derived types round-trip through `Value` and
//! through the wire encoding, every error names its member, and `Value` itself survives
//! serde exactly.
#![cfg(feature = "serde")]

use std::collections::BTreeMap;

use netloom_core::xmlrpc::serde::{from_value, to_value};
use netloom_core::xmlrpc::{
    encode_call, encode_response, parse_call, parse_response, Base64, ConvertErrorKind, DateTime,
    Dispatcher, FromValue, IntoParams, Limits, Response, Serde, Value,
};
use proptest::prelude::*;
use serde::{Deserialize, Serialize};

fn dt(text: &str) -> DateTime {
    DateTime::parse(text).unwrap()
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
struct Address {
    city: String,
    zip: Option<u32>,
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
enum Role {
    Admin,
    Guest(String),
    Pair(i32, bool),
    Custom { level: u8 },
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
struct User {
    name: String,
    tags: Vec<String>,
    born: DateTime,
    nickname: Option<String>,
    address: Address,
    avatar: Base64,
    #[serde(with = "serde_bytes")]
    key: Vec<u8>,
    roles: Vec<Role>,
    scores: BTreeMap<String, f64>,
    point: (i32, char),
    active: bool,
}

fn ada() -> User {
    User {
        name: "Ada <&> ünï".into(),
        tags: vec!["math".into(), String::new()],
        born: dt("18151210T06:30:00"),
        nickname: None,
        address: Address {
            city: "London".into(),
            zip: Some(12345),
        },
        avatar: Base64(vec![0, 1, 2, 255]),
        key: b"k\x00y".to_vec(),
        roles: vec![
            Role::Admin,
            Role::Guest("x".into()),
            Role::Pair(-1, true),
            Role::Custom { level: 9 },
        ],
        scores: [("a".to_string(), 1.5), ("b".to_string(), -0.0)].into(),
        point: (7, 'é'),
        active: true,
    }
}

/// `value` through a whole call document and back.
fn over_the_wire(value: Value) -> Value {
    let mut body = Vec::new();
    encode_call("m", &[value], &mut body);
    let mut call = parse_call(&body, &Limits::default()).unwrap();
    call.params.pop().unwrap()
}

#[test]
fn the_mapping_by_type() {
    let v = to_value(&ada()).unwrap();
    let m = |name: &str| v.get(name).cloned().unwrap();
    assert_eq!(m("name"), Value::from("Ada <&> ünï"));
    assert_eq!(m("tags"), Value::Array(vec!["math".into(), "".into()]));
    assert_eq!(m("born"), Value::DateTime(dt("18151210T06:30:00")));
    assert_eq!(m("nickname"), Value::Nil);
    assert_eq!(
        m("address"),
        Value::Struct(vec![
            ("city".into(), "London".into()),
            ("zip".into(), Value::Int(12345))
        ])
    );
    assert_eq!(m("avatar"), Value::Base64(vec![0, 1, 2, 255]));
    assert_eq!(m("key"), Value::Base64(b"k\x00y".to_vec()));
    assert_eq!(
        m("roles"),
        Value::Array(vec![
            "Admin".into(),
            Value::Struct(vec![("Guest".into(), "x".into())]),
            Value::Struct(vec![(
                "Pair".into(),
                Value::Array(vec![Value::Int(-1), Value::Bool(true)])
            )]),
            Value::Struct(vec![(
                "Custom".into(),
                Value::Struct(vec![("level".into(), Value::Int(9))])
            )]),
        ])
    );
    assert_eq!(
        m("point"),
        Value::Array(vec![Value::Int(7), Value::from("é")])
    );
    assert_eq!(m("active"), Value::Bool(true));
    // Member order is field order.
    let Value::Struct(members) = &v else {
        panic!("{v:?}")
    };
    let names: Vec<&str> = members.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(names[..3], ["name", "tags", "born"]);
}

#[test]
fn derived_types_round_trip_through_the_wire() {
    let user = ada();
    let back: User = from_value(over_the_wire(to_value(&user).unwrap())).unwrap();
    assert_eq!(back, user);
}

#[test]
fn absent_and_nil_are_none_and_skip_leaves_the_member_out() {
    #[derive(Serialize, Deserialize, Debug, PartialEq)]
    struct Opt {
        a: Option<i32>,
        #[serde(skip_serializing_if = "Option::is_none")]
        b: Option<i32>,
    }
    let v = to_value(&Opt { a: None, b: None }).unwrap();
    assert_eq!(v, Value::Struct(vec![("a".into(), Value::Nil)]));
    assert_eq!(
        from_value::<Opt>(Value::Struct(vec![])),
        Ok(Opt { a: None, b: None })
    );
    assert_eq!(
        from_value::<Opt>(Value::Struct(vec![("b".into(), Value::Int(2))])),
        Ok(Opt {
            a: None,
            b: Some(2)
        })
    );
}

#[test]
fn errors_name_the_member() {
    let mut v = to_value(&ada()).unwrap();
    let Value::Struct(members) = &mut v else {
        unreachable!()
    };
    // A wrong element deep inside.
    let mut wrong = members.clone();
    wrong[1].1 = Value::Array(vec!["a".into(), "b".into(), Value::Int(3)]);
    let e = from_value::<User>(Value::Struct(wrong)).unwrap_err();
    assert_eq!(e.to_string(), "tags[2]: expected string, got int");
    // A missing member of a nested struct.
    let mut no_city = members.clone();
    no_city[4].1 = Value::Struct(vec![("zip".into(), Value::Nil)]);
    let e = from_value::<User>(Value::Struct(no_city)).unwrap_err();
    assert_eq!(e.kind(), &ConvertErrorKind::MissingMember);
    assert_eq!(e.to_string(), "missing member address.city");
    // A top-level member missing.
    members.retain(|(k, _)| k != "born");
    let e = from_value::<User>(v).unwrap_err();
    assert_eq!(e.to_string(), "missing member born");
    // A date-time that is a number; an integer too wide for its field; an unknown variant.
    let e = from_value::<Address>(Value::Struct(vec![
        ("city".into(), "x".into()),
        ("zip".into(), Value::I8(1 << 40)),
    ]))
    .unwrap_err();
    assert_eq!(e.to_string(), "zip: integer 1099511627776 out of range");
    let e = from_value::<Vec<Role>>(Value::Array(vec!["Admin".into(), "Root".into()])).unwrap_err();
    assert_eq!(e.to_string(), "[1]: unknown variant \"Root\"");
    let e = from_value::<DateTime>(Value::Int(1)).unwrap_err();
    assert_eq!(e.to_string(), "expected dateTime.iso8601, got int");
    #[derive(Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Strict {
        a: i32,
    }
    let e = from_value::<Strict>(Value::Struct(vec![
        ("a".into(), Value::Int(1)),
        ("zz".into(), Value::Int(1)),
    ]))
    .unwrap_err();
    assert_eq!(e.kind(), &ConvertErrorKind::UnknownMember);
    assert_eq!(e.to_string(), "unknown member zz");
    // Sending: an integer CPython would refuse, named by its path.
    let e = to_value(&BTreeMap::from([("n".to_string(), vec![1u64, 1 << 33])])).unwrap_err();
    assert_eq!(e.to_string(), "n[1]: integer 8589934592 out of range");
}

#[test]
fn a_repeated_member_reads_as_cpython_reads_it_the_last_one() {
    let v = Value::Struct(vec![
        ("city".into(), "first".into()),
        ("zip".into(), Value::Nil),
        ("city".into(), "last".into()),
    ]);
    assert_eq!(
        from_value::<Address>(v.clone()).unwrap(),
        Address {
            city: "last".into(),
            zip: None
        }
    );
    // A `Value` keeps all of them.
    assert_eq!(from_value::<Value>(v.clone()), Ok(v));
}

#[test]
fn lenient_reading() {
    // `int` for a double, base64 for a plain `Vec<u8>`, a date-time from its text.
    assert_eq!(from_value::<f64>(Value::Int(2)), Ok(2.0));
    assert_eq!(
        from_value::<Vec<u8>>(Value::Base64(vec![1, 2])),
        Ok(vec![1, 2])
    );
    let t = from_value::<DateTime>(Value::from("2024-02-29T23:59:60.25+01:00")).unwrap();
    assert_eq!((t.year, t.day, t.second), (2024, 29, 60));
    assert_eq!((t.nanosecond, t.offset_minutes), (250_000_000, Some(60)));
    // Untagged enums see the value as it is.
    #[derive(Deserialize, Debug, PartialEq)]
    #[serde(untagged)]
    enum IdOrName {
        Id(i64),
        Name(String),
    }
    assert_eq!(
        from_value::<IdOrName>(Value::I8(1 << 40)),
        Ok(IdOrName::Id(1 << 40))
    );
    assert_eq!(
        from_value::<IdOrName>(Value::from("x")),
        Ok(IdOrName::Name("x".into()))
    );
    // Internally tagged enums too.
    #[derive(Serialize, Deserialize, Debug, PartialEq)]
    #[serde(tag = "kind")]
    enum Shape {
        Circle { r: f64 },
        Dot,
    }
    let v = to_value(&Shape::Circle { r: 1.0 }).unwrap();
    assert_eq!(
        v,
        Value::Struct(vec![
            ("kind".into(), "Circle".into()),
            ("r".into(), Value::Double(1.0))
        ])
    );
    assert_eq!(from_value::<Shape>(v), Ok(Shape::Circle { r: 1.0 }));
    assert_eq!(
        from_value::<Shape>(to_value(&Shape::Dot).unwrap()),
        Ok(Shape::Dot)
    );
}

#[test]
fn value_inside_a_serde_type_is_exact_and_other_formats_see_plain_shapes() {
    #[derive(Serialize, Deserialize, Debug, PartialEq)]
    struct Envelope {
        id: i32,
        extra: Value,
    }
    let extra = Value::Array(vec![
        Value::I8(5),
        Value::DateTime(dt("20000101T00:00:00")),
        Value::Base64(vec![9]),
        Value::Nil,
    ]);
    let e = Envelope {
        id: 1,
        extra: extra.clone(),
    };
    let v = to_value(&e).unwrap();
    assert_eq!(v.get("extra"), Some(&extra));
    assert_eq!(from_value::<Envelope>(v), Ok(e));
    // serde_json: a date-time is its text, `<i8>` a number, nil null.
    let json = serde_json::to_string(&extra).unwrap();
    assert_eq!(json, r#"[5,"20000101T00:00:00",[9],null]"#);
    let back: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(
        back,
        Value::Array(vec![
            Value::Int(5),
            Value::from("20000101T00:00:00"),
            Value::Array(vec![Value::Int(9)]),
            Value::Nil
        ])
    );
    let t: DateTime = serde_json::from_str(r#""20000101T00:00:00""#).unwrap();
    assert_eq!(t, dt("20000101T00:00:00"));
}

#[test]
fn serde_types_as_handler_arguments_results_and_call_params() {
    let mut d = Dispatcher::new();
    d.register(
        "user.rename",
        |Serde(mut u): Serde<User>, name: String, suffix: Option<Serde<Address>>| {
            u.name = name;
            if let Some(Serde(a)) = suffix {
                u.address = a;
            }
            Serde(u)
        },
    );
    d.register("maybe", |x: Serde<Option<Address>>| x.0.is_some());
    let user = ada();
    let params = (Serde(&user), "Grace").into_params().unwrap();
    let mut body = Vec::new();
    encode_call("user.rename", &params, &mut body);
    let Ok(Response::Success(v)) = parse_response(&d.handle_body(&body), &Limits::default()) else {
        panic!()
    };
    let Serde(renamed) = Serde::<User>::from_value(v).unwrap();
    assert_eq!(renamed.name, "Grace");
    assert_eq!(renamed.tags, user.tags);
    // A trailing `Serde<Option<_>>` may be left out; a bad struct is a fault naming its member.
    assert_eq!(d.dispatch("maybe", vec![]), Ok(Value::Bool(false)));
    let fault = d
        .dispatch(
            "user.rename",
            vec![Value::Struct(vec![("name".into(), "x".into())]), "y".into()],
        )
        .unwrap_err();
    assert_eq!(
        fault.string,
        "<class 'TypeError'>:user.rename() argument 1: missing member tags"
    );
    // A result that cannot be sent is CPython's OverflowError, with its path.
    d.register("big", || Serde(vec![(1u64 << 40)]));
    assert_eq!(
        d.dispatch("big", vec![]).unwrap_err().string,
        "<class 'OverflowError'>:int exceeds XML-RPC limits at [0]"
    );
    // A response document carries the struct like any other.
    let mut out = Vec::new();
    encode_response(&to_value(&user).unwrap(), &mut out);
    let Ok(Response::Success(v)) = parse_response(&out, &Limits::default()) else {
        panic!()
    };
    assert_eq!(from_value::<User>(v), Ok(user));
}

#[test]
fn typed_multicall_results() {
    use netloom_core::xmlrpc::{
        parse_multicall_response, typed_results, Fault, Multicall, MulticallError,
    };
    let mut d = Dispatcher::new();
    d.register("user.get", |id: i32| {
        if id == 1 {
            Ok(Serde(ada()))
        } else {
            Err(Fault::new(404, format!("no user {id}")))
        }
    });
    d.register("count", || 3);
    d.enable_multicall();
    let mut batch = Multicall::new();
    batch
        .call_with("user.get", (1,))
        .unwrap()
        .call_with("count", ())
        .unwrap()
        .call_with("user.get", (2,))
        .unwrap();
    let mut body = Vec::new();
    batch.encode(&mut body);
    let results = parse_multicall_response(&d.handle_body(&body), &Limits::default())
        .unwrap()
        .unwrap();
    let (Serde(user), count, missing): (Serde<User>, u8, Result<Serde<User>, Fault>) =
        typed_results(results.clone()).unwrap();
    assert_eq!((user, count), (ada(), 3));
    assert_eq!(missing.unwrap_err(), Fault::new(404, "no user 2"));
    // Like results into a Vec; a fault, a wrong type, a wrong count are errors that say where.
    let all: Vec<Result<Serde<Address>, Fault>> = typed_results(results[2..].to_vec()).unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(
        typed_results::<(Serde<User>, u8, Serde<User>)>(results.clone()),
        Err(MulticallError::Fault {
            index: 2,
            fault: Fault::new(404, "no user 2")
        })
    );
    let e =
        typed_results::<(Serde<User>, String, Result<i32, Fault>)>(results.clone()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "multicall result [1]: expected string, got int"
    );
    let e = typed_results::<Vec<Result<Serde<Address>, Fault>>>(results.clone()).unwrap_err();
    assert_eq!(e.to_string(), "multicall result missing member [0].city");
    let e = typed_results::<(Serde<User>, u8)>(results).unwrap_err();
    assert_eq!(
        e.to_string(),
        "multicall result expected an array of 2 elements, got 3"
    );
}

// ---- properties ----

fn datetime() -> impl Strategy<Value = DateTime> {
    (
        (
            0u16..=9999,
            1u8..=12,
            1u8..=28,
            0u8..=23,
            0u8..=59,
            0u8..=59,
        ),
        prop_oneof![Just(0u32), 0u32..1_000_000_000],
        proptest::option::of(-1439i16..=1439),
    )
        .prop_map(|((y, mo, d, h, mi, s), nanos, offset)| {
            let t = dt(&format!("{y:04}{mo:02}{d:02}T{h:02}:{mi:02}:{s:02}"))
                .with_nanosecond(nanos)
                .unwrap();
            let t = match offset {
                Some(m) => t.with_offset_minutes(m).unwrap(),
                None => t,
            };
            // As a peer's text decodes: `DateTime` also keeps how it was written, and a
            // built one is written in a style its text does not record.
            dt(&t.to_string())
        })
}

fn text() -> impl Strategy<Value = String> {
    // Any text XML 1.0 carries (no C0 controls but tab and newline; CR is normalized).
    "[^\u{0}-\u{8}\u{B}-\u{1F}\u{FFFE}\u{FFFF}]{0,24}"
}

fn role() -> impl Strategy<Value = Role> {
    prop_oneof![
        Just(Role::Admin),
        text().prop_map(Role::Guest),
        (any::<i32>(), any::<bool>()).prop_map(|(a, b)| Role::Pair(a, b)),
        any::<u8>().prop_map(|level| Role::Custom { level }),
    ]
}

prop_compose! {
    fn user()(
        name in text(),
        tags in proptest::collection::vec(text(), 0..4),
        born in datetime(),
        nickname in proptest::option::of(text()),
        city in text(),
        zip in proptest::option::of(0u32..=i32::MAX as u32),
        avatar in proptest::collection::vec(any::<u8>(), 0..64),
        key in proptest::collection::vec(any::<u8>(), 0..16),
        roles in proptest::collection::vec(role(), 0..4),
        scores in proptest::collection::btree_map(text(), any::<f64>().prop_filter("NaN", |f| !f.is_nan()), 0..3),
        point in (any::<i32>(), any::<char>().prop_filter("XML text", |c| !c.is_control() && !matches!(c, '\u{FFFE}' | '\u{FFFF}'))),
        active in any::<bool>(),
    ) -> User {
        User {
            name, tags, born, nickname, address: Address { city, zip },
            avatar: Base64(avatar), key, roles, scores, point, active,
        }
    }
}

fn value() -> impl Strategy<Value = Value> {
    let scalar = prop_oneof![
        any::<i32>().prop_map(Value::Int),
        any::<i64>().prop_map(Value::I8),
        any::<bool>().prop_map(Value::Bool),
        text().prop_map(Value::String),
        any::<f64>()
            .prop_filter("NaN", |d| !d.is_nan())
            .prop_map(Value::Double),
        datetime().prop_map(Value::DateTime),
        proptest::collection::vec(any::<u8>(), 0..32).prop_map(Value::Base64),
        Just(Value::Nil),
    ];
    scalar.prop_recursive(4, 32, 5, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            proptest::collection::vec(("[a-c]{0,2}", inner), 0..5).prop_map(Value::Struct),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// A derived type → `Value` → wire → `Value` → the same type.
    #[test]
    fn users_round_trip(u in user()) {
        let wire = over_the_wire(to_value(&u).unwrap());
        prop_assert_eq!(from_value::<User>(wire).unwrap(), u);
    }

    /// `Value` through serde, both ways, is the identity (repeated member names included).
    #[test]
    fn values_survive_serde_exactly(v in value()) {
        prop_assert_eq!(to_value(&v).unwrap(), v.clone());
        prop_assert_eq!(from_value::<Value>(v.clone()).unwrap(), v);
    }

    /// Any value read as a `User` either converts or fails with an error, never a panic;
    /// the error's path starts at a member the value has, or is a missing member.
    #[test]
    fn arbitrary_values_never_panic(v in value()) {
        if let Err(e) = from_value::<User>(v.clone()) {
            if let Some(netloom_core::xmlrpc::PathSegment::Member(first)) = e.path().segments().first() {
                prop_assert!(
                    v.get(first).is_some() || e.kind() == &ConvertErrorKind::MissingMember,
                    "{} for {:?}", e, v
                );
            }
        }
    }
}
