//! The client side: building call and multicall bodies, reading responses.

use super::encode::encode_string;
use super::{
    decode::fault_from_value, encode_call, encode_value, parse_response, ConvertError, Error,
    Fault, IntoValue, Limits, Response, Value,
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
