//! The client side: building call and multicall bodies, reading responses.

use std::fmt;

use super::encode::encode_string;
use super::{
    decode::fault_from_value, encode_call, encode_value, parse_response, ConvertError,
    ConvertErrorKind, Error, Fault, FromValue, IntoValue, Limits, Response, Value,
};

/// A parameter list: `()`, a tuple of up to 6 [`IntoValue`]s, or a `Vec<Value>`.
///
/// ```
/// use netloom_core::xmlrpc::{IntoParams, Value};
///
/// assert_eq!((2, "x").into_params(), Ok(vec![Value::Int(2), Value::from("x")]));
/// assert_eq!(().into_params(), Ok(vec![]));
/// ```
pub trait IntoParams {
    /// Performs the conversion.
    fn into_params(self) -> Result<Vec<Value>, ConvertError>;
}

impl IntoParams for Vec<Value> {
    fn into_params(self) -> Result<Vec<Value>, ConvertError> {
        Ok(self)
    }
}

impl IntoParams for &[Value] {
    fn into_params(self) -> Result<Vec<Value>, ConvertError> {
        Ok(self.to_vec())
    }
}

impl IntoParams for () {
    fn into_params(self) -> Result<Vec<Value>, ConvertError> {
        Ok(Vec::new())
    }
}

macro_rules! param_tuples {
    ($( ($($t:ident),+) )*) => {$(
        impl<$($t: IntoValue),+> IntoParams for ($($t,)+) {
            #[allow(non_snake_case)]
            fn into_params(self) -> Result<Vec<Value>, ConvertError> {
                let ($($t,)+) = self;
                Ok(vec![$($t.into_value()?),+])
            }
        }
    )*};
}
param_tuples! {
    (A)
    (A, B)
    (A, B, C)
    (A, B, C, D)
    (A, B, C, D, E)
    (A, B, C, D, E, F)
}

/// Appends a `<methodCall>` for `method` with typed arguments to `out`; fails (writing
/// nothing) if an argument cannot be sent (an integer beyond `i32`, as CPython refuses).
///
/// ```
/// use netloom_core::xmlrpc::{encode_call_with, parse_call, Limits, Value};
///
/// let mut out = Vec::new();
/// encode_call_with("add", (2, 3), &mut out).unwrap();
/// let call = parse_call(&out, &Limits::default()).unwrap();
/// assert_eq!(call.params, vec![Value::Int(2), Value::Int(3)]);
/// ```
pub fn encode_call_with(
    method: &str,
    args: impl IntoParams,
    out: &mut Vec<u8>,
) -> Result<(), ConvertError> {
    let params = args.into_params()?;
    encode_call(method, &params, out);
    Ok(())
}

/// A batch of calls sent as one `system.multicall` request (CPython's `MultiCall`).
///
/// ```
/// use netloom_core::xmlrpc::{parse_multicall_response, Dispatcher, Fault, Limits, Multicall, Value};
///
/// let mut calls = Multicall::new();
/// calls.call("add", vec![Value::Int(2), Value::Int(2)]).call("nope", vec![]);
/// let mut body = Vec::new();
/// calls.encode(&mut body);
///
/// let mut server = Dispatcher::new();
/// server.register("add", |a: i32, b: i32| a + b);
/// server.enable_multicall();
/// let results = parse_multicall_response(&server.handle_body(&body), &Limits::default())
///     .unwrap()   // the document decoded
///     .unwrap();  // the multicall itself did not fault
/// assert_eq!(results[0], Ok(Value::Int(4)));
/// assert_eq!(results[1], Err(Fault::method_not_found("nope")));
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Multicall {
    calls: Vec<(String, Vec<Value>)>,
}

impl Multicall {
    /// An empty batch.
    pub fn new() -> Self {
        Multicall::default()
    }

    /// Adds a call of `method` with `params`.
    pub fn call(&mut self, method: impl Into<String>, params: Vec<Value>) -> &mut Self {
        self.calls.push((method.into(), params));
        self
    }

    /// Adds a call with typed arguments (see [`IntoParams`]).
    pub fn call_with(
        &mut self,
        method: impl Into<String>,
        args: impl IntoParams,
    ) -> Result<&mut Self, ConvertError> {
        let params = args.into_params()?;
        Ok(self.call(method, params))
    }

    /// Number of calls in the batch.
    pub fn len(&self) -> usize {
        self.calls.len()
    }

    /// Whether the batch is empty.
    pub fn is_empty(&self) -> bool {
        self.calls.is_empty()
    }

    /// Appends the `system.multicall` request to `out`: the bytes CPython's
    /// `MultiCall(server)()` sends, one `{methodName, params}` struct per call.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(
            b"<?xml version='1.0'?>\n<methodCall>\n<methodName>system.multicall</methodName>\n\
              <params>\n<param>\n<value><array><data>\n",
        );
        for (method, params) in &self.calls {
            out.extend_from_slice(b"<value><struct>\n<member>\n<name>methodName</name>\n");
            encode_string(method, out);
            out.extend_from_slice(
                b"</member>\n<member>\n<name>params</name>\n<value><array><data>\n",
            );
            for p in params {
                encode_value(p, out);
            }
            out.extend_from_slice(b"</data></array></value>\n</member>\n</struct></value>\n");
        }
        out.extend_from_slice(b"</data></array></value>\n</param>\n</params>\n</methodCall>\n");
    }
}

/// The per-call results of a `system.multicall` result value: a one-element array becomes
/// `Ok(value)`, a `{faultCode, faultString}` struct becomes `Err(fault)` (CPython's
/// `MultiCallIterator`). Anything else is [`Error::BadMulticallResult`].
pub fn multicall_results(value: Value) -> Result<Vec<Result<Value, Fault>>, Error> {
    let Value::Array(items) = value else {
        return Err(Error::BadMulticallResult);
    };
    items
        .into_iter()
        .map(|item| match item {
            Value::Array(mut one) if one.len() == 1 => Ok(Ok(one.pop().unwrap_or(Value::Nil))),
            s @ Value::Struct(_) => fault_from_value(&s)
                .map(Err)
                .ok_or(Error::BadMulticallResult),
            _ => Err(Error::BadMulticallResult),
        })
        .collect()
}

/// Decodes the response to a `system.multicall` request: `Ok(Ok(results))` with one entry
/// per call, `Ok(Err(fault))` if the multicall as a whole faulted, `Err(error)` if the
/// document is malformed.
pub fn parse_multicall_response(
    body: &[u8],
    limits: &Limits,
) -> Result<Result<Vec<Result<Value, Fault>>, Fault>, Error> {
    match parse_response(body, limits)? {
        Response::Success(v) => multicall_results(v).map(Ok),
        Response::Fault(f) => Ok(Err(f)),
    }
}

/// Why [`typed_results`] could not give the results the type asked for.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum MulticallError {
    /// Call `index` (from 0) answered `fault`, and its slot was not asked for as
    /// `Result<T, Fault>`.
    Fault {
        /// Which call.
        index: usize,
        /// What it answered.
        fault: Fault,
    },
    /// A result did not convert (the error's path starts with the call's `[index]`), or
    /// there are more or fewer results than slots.
    Convert(ConvertError),
}

impl fmt::Display for MulticallError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MulticallError::Fault { index, fault } => write!(f, "call {index}: {fault}"),
            MulticallError::Convert(e) => write!(f, "multicall result {e}"),
        }
    }
}

impl std::error::Error for MulticallError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            MulticallError::Fault { fault, .. } => Some(fault),
            MulticallError::Convert(e) => Some(e),
        }
    }
}

#[cfg(feature = "client")]
impl<T> From<MulticallError> for super::proxy::CallError<T> {
    /// A fault in a slot becomes [`CallError::Fault`](super::proxy::CallError::Fault), a
    /// conversion error [`CallError::Convert`](super::proxy::CallError::Convert), so `?`
    /// works in a function that returns a proxy's error.
    fn from(e: MulticallError) -> Self {
        match e {
            MulticallError::Fault { fault, .. } => super::proxy::CallError::Fault(fault),
            MulticallError::Convert(e) => super::proxy::CallError::Convert(e),
        }
    }
}

/// One slot of typed multicall results: any [`FromValue`] (a fault in the slot is then a
/// [`MulticallError::Fault`]), or `Result<T, Fault>` to keep that call's fault.
pub trait FromSlot: Sized {
    /// Converts the result of call `index`.
    fn from_slot(index: usize, result: Result<Value, Fault>) -> Result<Self, MulticallError>;
}

impl<T: FromValue> FromSlot for T {
    fn from_slot(index: usize, result: Result<Value, Fault>) -> Result<Self, MulticallError> {
        match result {
            Ok(v) => T::from_value(v).map_err(|e| MulticallError::Convert(e.at_index(index))),
            Err(fault) => Err(MulticallError::Fault { index, fault }),
        }
    }
}

impl<T: FromValue> FromSlot for Result<T, Fault> {
    fn from_slot(index: usize, result: Result<Value, Fault>) -> Result<Self, MulticallError> {
        match result {
            Ok(v) => T::from_value(v)
                .map(Ok)
                .map_err(|e| MulticallError::Convert(e.at_index(index))),
            Err(fault) => Ok(Err(fault)),
        }
    }
}

/// Typed multicall results: a tuple of up to 12 [`FromSlot`]s, one per call, or a `Vec` of
/// one slot type for a batch of like calls. See [`typed_results`].
pub trait FromMulticall: Sized {
    /// Converts the per-call results.
    fn from_results(results: Vec<Result<Value, Fault>>) -> Result<Self, MulticallError>;
}

impl<S: FromSlot> FromMulticall for Vec<S> {
    fn from_results(results: Vec<Result<Value, Fault>>) -> Result<Self, MulticallError> {
        results
            .into_iter()
            .enumerate()
            .map(|(i, r)| S::from_slot(i, r))
            .collect()
    }
}

macro_rules! slot_tuples {
    ($( ($n:expr; $($t:ident),+) )*) => {$(
        impl<$($t: FromSlot),+> FromMulticall for ($($t,)+) {
            fn from_results(results: Vec<Result<Value, Fault>>) -> Result<Self, MulticallError> {
                if results.len() != $n {
                    return Err(MulticallError::Convert(ConvertError::new(
                        ConvertErrorKind::Length { expected: $n, found: results.len() },
                    )));
                }
                let mut it = results.into_iter().enumerate();
                Ok(($({
                    let (i, r) = it.next().unwrap_or((0, Ok(Value::Nil)));
                    $t::from_slot(i, r)?
                },)+))
            }
        }
    )*};
}
slot_tuples! {
    (1; A)
    (2; A, B)
    (3; A, B, C)
    (4; A, B, C, D)
    (5; A, B, C, D, E)
    (6; A, B, C, D, E, F)
    (7; A, B, C, D, E, F, G)
    (8; A, B, C, D, E, F, G, H)
    (9; A, B, C, D, E, F, G, H, I)
    (10; A, B, C, D, E, F, G, H, I, J)
    (11; A, B, C, D, E, F, G, H, I, J, K)
    (12; A, B, C, D, E, F, G, H, I, J, K, L)
}

/// Gives the results of a `system.multicall` (what a proxy's `multicall` or
/// [`parse_multicall_response`] returns) the types asked for: a tuple with one slot per
/// call, each a [`FromValue`] type or `Result<T, Fault>`, or a `Vec` of one slot type.
///
/// ```
/// use netloom_core::xmlrpc::{
///     parse_multicall_response, typed_results, Dispatcher, Fault, Limits, Multicall,
///     MulticallError,
/// };
///
/// let mut server = Dispatcher::new();
/// server.register("add", |a: i32, b: i32| a + b);
/// server.register("name", |id: i32| format!("user{id}"));
/// server.enable_multicall();
///
/// let mut batch = Multicall::new();
/// batch.call_with("add", (2, 2))?.call_with("name", (7,))?.call_with("nope", ())?;
/// let mut body = Vec::new();
/// batch.encode(&mut body);
/// let results = parse_multicall_response(&server.handle_body(&body), &Limits::default())??;
///
/// let (sum, name, missing): (i32, String, Result<i32, Fault>) = typed_results(results.clone())?;
/// assert_eq!((sum, name.as_str()), (4, "user7"));
/// assert!(missing.is_err());
///
/// // Asked for as a plain value, the fault is an error that says which call it was.
/// let e = typed_results::<(i32, String, i32)>(results).unwrap_err();
/// assert!(matches!(e, MulticallError::Fault { index: 2, .. }));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn typed_results<R: FromMulticall>(
    results: Vec<Result<Value, Fault>>,
) -> Result<R, MulticallError> {
    R::from_results(results)
}
