//! The method registry and dispatcher: pure logic that turns a request body into a response
//! body, with CPython's `SimpleXMLRPCDispatcher` semantics.

use std::collections::BTreeMap;
use std::fmt;
use std::panic::{catch_unwind, AssertUnwindSafe};

use super::{
    encode_fault, encode_response, parse_call, CallContext, ConvertError, Fault, FromValue,
    IntoValue, Limits, Value,
};
use crate::http::Headers;

/// What a typed handler may return: any [`IntoValue`] (a conversion failure becomes
/// CPython's `OverflowError` fault), or `Result<T, Fault>` to answer a fault.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be the result of an XML-RPC method",
    label = "`{Self}` does not implement `IntoResult`",
    note = "a method returns an `IntoValue` type or `Result<T: IntoValue, Fault>`",
    note = "for a `Serialize` type (the `serde` feature), wrap it: `Serde<T>`"
)]
pub trait IntoResult {
    /// Performs the conversion.
    fn into_result(self) -> Result<Value, Fault>;
}

impl<T: IntoValue> IntoResult for T {
    fn into_result(self) -> Result<Value, Fault> {
        self.into_value().map_err(|e| e.to_fault())
    }
}

impl<T: IntoValue> IntoResult for Result<T, Fault> {
    fn into_result(self) -> Result<Value, Fault> {
        self.and_then(|v| v.into_value().map_err(|e| e.to_fault()))
    }
}

/// The parameters of a typed handler, read from a call's parameter list: tuples of 0 to
/// 6 [`FromValue`] types.
///
/// A wrong number of parameters or a parameter of the wrong type is a code-1 `TypeError`
/// fault worded like CPython's (`"add() takes 2 positional arguments but 3 were given"`,
/// `"add() argument 2: expected int, got string"`, `"user.create() argument 1: missing
/// member born"`). Trailing parameters whose type has a
/// [`from_absent`](FromValue::from_absent) value (`Option<T>`) may be left out.
///
/// ```
/// use netloom_core::xmlrpc::{FromParams, Value};
///
/// let (a, b) = <(i32, Option<i32>)>::from_params("f", vec![Value::Int(1)]).unwrap();
/// assert_eq!((a, b), (1, None));
/// let fault = <(i32, Option<i32>)>::from_params("f", vec![]).unwrap_err();
/// assert_eq!(fault.string, "<class 'TypeError'>:f() missing 1 required positional argument");
/// ```
pub trait FromParams: Sized {
    /// Converts `params` for method `method` (named in fault messages).
    fn from_params(method: &str, params: Vec<Value>) -> Result<Self, Fault>;
}

/// A method implementation: a function or closure of 0 to 6 arguments.
///
/// `Args` is the tuple of argument types; it only serves to tell the implementations apart
/// and is inferred. [`Dispatcher::register`] requires `Args:` [`FromParams`] (every
/// argument [`FromValue`]) and an [`IntoResult`] return type, so a closure whose argument
/// or result type does not convert is refused with an error that names that type.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an XML-RPC method handler",
    label = "not a function or closure of 0 to 6 arguments that is `Send + Sync + 'static`",
    note = "a handler takes `FromValue` arguments and returns an `IntoResult`: `|a: i32, b: i32| a + b`"
)]
pub trait Handler<Args>: Send + Sync + 'static {
    /// What the handler returns.
    type Output;
    /// Calls the handler with converted arguments.
    fn call(&self, args: Args) -> Self::Output;
}

/// A method implementation that also receives the request's [`CallContext`]: a function
/// or closure of the context and 0 to 6 further arguments,
/// `|ctx: &CallContext, id: i32| ...`. See [`Dispatcher::register_with_context`].
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an XML-RPC method handler taking a `&CallContext`",
    label = "not a function or closure of `&CallContext` and 0 to 6 arguments that is `Send + Sync + 'static`",
    note = "such a handler starts with the context: `|ctx: &CallContext, a: i32| a`"
)]
pub trait ContextHandler<Args>: Send + Sync + 'static {
    /// What the handler returns.
    type Output;
    /// Calls the handler with the context and converted arguments.
    fn call(&self, ctx: &CallContext<'_>, args: Args) -> Self::Output;
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

fn too_many(name: &str, required: usize, takes: usize, given: usize) -> Fault {
    let was = if given == 1 { "was" } else { "were" };
    if required == takes {
        Fault::type_error(format_args!(
            "{name}() takes {takes} positional argument{} but {given} {was} given",
            plural(takes)
        ))
    } else {
        Fault::type_error(format_args!(
            "{name}() takes from {required} to {takes} positional arguments but {given} {was} given"
        ))
    }
}

fn too_few(name: &str, required: usize, given: usize) -> Fault {
    let missing = required - given;
    Fault::type_error(format_args!(
        "{name}() missing {missing} required positional argument{}",
        plural(missing)
    ))
}

/// The exact-arity check of the built-in methods.
fn check_arity(name: &str, takes: usize, given: usize) -> Result<(), Fault> {
    if given > takes {
        return Err(too_many(name, takes, takes, given));
    }
    if given < takes {
        return Err(too_few(name, takes, given));
    }
    Ok(())
}

fn arg_error(name: &str, index: usize, e: ConvertError) -> Fault {
    Fault::type_error(format_args!("{name}() argument {}: {e}", index + 1))
}

macro_rules! arities {
    ($( ($n:expr; $($a:ident),*) )*) => {$(
        impl<$($a: FromValue,)*> FromParams for ($($a,)*) {
            #[allow(unused_mut, unused_variables, unused_assignments)]
            fn from_params(name: &str, params: Vec<Value>) -> Result<Self, Fault> {
                let given = params.len();
                // How many leading parameters the caller must send: up to the last one
                // that has no value when absent.
                let required = || {
                    let optional: [bool; $n] = [$($a::from_absent().is_some()),*];
                    optional.iter().rposition(|o| !o).map_or(0, |i| i + 1)
                };
                if given > $n {
                    return Err(too_many(name, required(), $n, given));
                }
                let mut it = params.into_iter();
                let mut index = 0usize;
                Ok(($({
                    let arg = match it.next() {
                        Some(v) => $a::from_value(v).map_err(|e| arg_error(name, index, e))?,
                        None => match $a::from_absent() {
                            Some(absent) => absent,
                            None => return Err(too_few(name, required(), given)),
                        },
                    };
                    index += 1;
                    arg
                },)*))
            }
        }

        impl<Func, Ret, $($a,)*> Handler<($($a,)*)> for Func
        where
            Func: Fn($($a),*) -> Ret + Send + Sync + 'static,
        {
            type Output = Ret;
            #[allow(non_snake_case)]
            fn call(&self, ($($a,)*): ($($a,)*)) -> Ret {
                (self)($($a),*)
            }
        }

        impl<Func, Ret, $($a,)*> ContextHandler<($($a,)*)> for Func
        where
            Func: Fn(&CallContext<'_>, $($a),*) -> Ret + Send + Sync + 'static,
        {
            type Output = Ret;
            #[allow(non_snake_case)]
            fn call(&self, ctx: &CallContext<'_>, ($($a,)*): ($($a,)*)) -> Ret {
                (self)(ctx, $($a),*)
            }
        }
    )*};
}
arities! {
    (0;)
    (1; A1)
    (2; A1, A2)
    (3; A1, A2, A3)
    (4; A1, A2, A3, A4)
    (5; A1, A2, A3, A4, A5)
    (6; A1, A2, A3, A4, A5, A6)
}

type Erased = Box<dyn Fn(&str, Vec<Value>, &CallContext<'_>) -> Result<Value, Fault> + Send + Sync>;

enum Callable {
    User(Erased),
    ListMethods,
    MethodHelp,
    MethodSignature,
    Multicall,
}

struct Method {
    callable: Callable,
    help: String,
    signature: Option<Vec<Vec<String>>>,
}

/// Registered help and signature of one method; returned by the `register` calls.
///
/// ```
/// use netloom_core::xmlrpc::Dispatcher;
///
/// let mut d = Dispatcher::new();
/// d.register("add", |a: i32, b: i32| a + b)
///     .with_help("add(a, b) => a + b")
///     .with_signature(&[&["int", "int", "int"]]);
/// ```
pub struct MethodEntry<'a> {
    method: &'a mut Method,
}

impl MethodEntry<'_> {
    /// Sets the text `system.methodHelp` answers for this method (default `""`, what CPython
    /// answers for a function without a docstring).
    pub fn with_help(self, help: impl Into<String>) -> Self {
        self.method.help = help.into();
        self
    }

    /// Sets the signatures `system.methodSignature` answers: one list per signature, return
    /// type first, then the parameter types (XML-RPC type names). Without one the answer is
    /// CPython's `"signatures not supported"`.
    pub fn with_signature(self, signatures: &[&[&str]]) -> Self {
        self.method.signature = Some(
            signatures
                .iter()
                .map(|sig| sig.iter().map(|s| (*s).to_owned()).collect())
                .collect(),
        );
        self
    }
}

/// A registry of named XML-RPC methods and the pure request → response logic around it.
///
/// Register methods, optionally enable `system.multicall` and the introspection methods,
/// then hand each request body to [`handle_body`](Self::handle_body). A `Dispatcher` is
/// `Send + Sync`: put it in an `Arc` and share it between connections and threads.
///
/// ```
/// use netloom_core::xmlrpc::{encode_call, parse_response, Dispatcher, Fault, Limits, Response, Value};
///
/// let mut d = Dispatcher::new();
/// d.register("add", |a: i32, b: i32| a + b);
/// d.register("div", |a: f64, b: f64| {
///     if b == 0.0 { Err(Fault::new(2, "division by zero")) } else { Ok(a / b) }
/// });
/// d.enable_introspection().enable_multicall();
///
/// let mut request = Vec::new();
/// encode_call("add", &[Value::Int(2), Value::Int(3)], &mut request);
/// let response = d.handle_body(&request);
/// assert_eq!(parse_response(&response, &Limits::default()), Ok(Response::Success(Value::Int(5))));
///
/// assert_eq!(d.dispatch("div", vec![1.0.into(), 0.0.into()]), Err(Fault::new(2, "division by zero")));
/// ```
///
/// # Panics in handlers
///
/// A handler that panics is caught with `catch_unwind` and answered with a code-1
/// `RuntimeError` fault; the dispatcher stays usable. Handlers are called through
/// `AssertUnwindSafe`: if a handler shares state (a `Mutex`, a `RefCell` behind a lock), a
/// panic may leave that state half-updated, exactly as it would in a thread that panics.
/// The process's panic hook still runs (by default it prints the message to stderr), and a
/// build with `panic = "abort"` aborts instead.
pub struct Dispatcher {
    methods: BTreeMap<String, Method>,
    limits: Limits,
}

impl Default for Dispatcher {
    fn default() -> Self {
        Dispatcher::new()
    }
}

impl fmt::Debug for Dispatcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Dispatcher")
            .field("methods", &self.methods.keys().collect::<Vec<_>>())
            .field("limits", &self.limits)
            .finish()
    }
}

const HELP_LIST_METHODS: &str = "system.listMethods() => ['add', 'subtract', 'multiple']\n\nReturns a list of the methods supported by the server.";
const HELP_METHOD_HELP: &str = "system.methodHelp('add') => \"Adds two integers together\"\n\nReturns a string containing documentation for the specified method.";
const HELP_METHOD_SIGNATURE: &str = "system.methodSignature('add') => [double, int, int]\n\nReturns a list describing the signature of the method. In the\nabove example, the add method takes two integers as arguments\nand returns a double result.\n\nThis server does NOT support system.methodSignature.";
const HELP_MULTICALL: &str = "system.multicall([{'methodName': 'add', 'params': [2, 2]}, ...]) => [[4], ...]\n\nAllows the caller to package multiple XML-RPC calls into a single\nrequest.\n\nSee http://www.xmlrpc.com/discuss/msgReader$1208";

impl Dispatcher {
    /// An empty dispatcher with default [`Limits`] for request bodies.
    pub fn new() -> Self {
        Dispatcher::with_limits(Limits::default())
    }

    /// An empty dispatcher that decodes request bodies under `limits`.
    pub fn with_limits(limits: Limits) -> Self {
        Dispatcher {
            methods: BTreeMap::new(),
            limits,
        }
    }

    /// The limits request bodies are decoded under.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    fn insert(&mut self, name: String, callable: Callable, help: &str) -> MethodEntry<'_> {
        let method = Method {
            callable,
            help: help.to_owned(),
            signature: None,
        };
        let slot = match self.methods.entry(name) {
            std::collections::btree_map::Entry::Occupied(mut o) => {
                o.insert(method);
                o.into_mut()
            }
            std::collections::btree_map::Entry::Vacant(v) => v.insert(method),
        };
        MethodEntry { method: slot }
    }

    /// Registers a typed handler under `name` (replacing any previous method of that name,
    /// as CPython's `register_function` does). Its arguments are read with [`FromParams`]
    /// (wrong counts and types are answered with CPython's `TypeError` faults; trailing
    /// `Option` arguments may be left out) and its result with [`IntoResult`].
    ///
    /// ```
    /// use netloom_core::xmlrpc::{Dispatcher, Fault, Value};
    ///
    /// let mut d = Dispatcher::new();
    /// d.register("add", |a: i32, b: i32| a + b);
    /// d.register("greet", |name: String| format!("hello {name}"));
    /// d.register("nothing", || ());
    /// d.register("step", |a: i32, by: Option<i32>| a + by.unwrap_or(1));
    /// assert_eq!(d.dispatch("add", vec![Value::Int(1), Value::Int(2)]), Ok(Value::Int(3)));
    /// assert_eq!(
    ///     d.dispatch("add", vec![Value::Int(1)]),
    ///     Err(Fault::type_error("add() missing 1 required positional argument"))
    /// );
    /// assert_eq!(d.dispatch("step", vec![Value::Int(1)]), Ok(Value::Int(2)));
    /// assert_eq!(d.dispatch("step", vec![Value::Int(1), Value::Int(5)]), Ok(Value::Int(6)));
    /// ```
    ///
    /// With the `serde` feature, any `Deserialize`/`Serialize` type is an argument or result
    /// when wrapped in [`Serde`](super::Serde).
    pub fn register<Args, H>(&mut self, name: impl Into<String>, handler: H) -> MethodEntry<'_>
    where
        H: Handler<Args>,
        Args: FromParams,
        H::Output: IntoResult,
    {
        let erased: Erased = Box::new(move |name, params, _| {
            handler.call(Args::from_params(name, params)?).into_result()
        });
        self.insert(name.into(), Callable::User(erased), "")
    }

    /// Registers a typed handler that also gets the request's [`CallContext`] (header
    /// fields, addresses, TLS), as its first argument: for per-call authentication. The
    /// other arguments and the result are as for [`register`](Self::register).
    ///
    /// ```
    /// use netloom_core::http::Headers;
    /// use netloom_core::xmlrpc::{CallContext, Dispatcher, Fault, Value};
    ///
    /// let mut d = Dispatcher::new();
    /// d.register_with_context("whoami", |ctx: &CallContext, shout: Option<bool>| {
    ///     match ctx.basic_auth() {
    ///         Some((user, _)) if shout == Some(true) => Ok(user.to_uppercase()),
    ///         Some((user, _)) => Ok(user),
    ///         None => Err(Fault::new(401, "authentication required")),
    ///     }
    /// });
    /// let headers = Headers::new().with("Authorization", "Basic YWRhOnMzY3JldA==");
    /// let ctx = CallContext::new(&headers);
    /// assert_eq!(d.dispatch_with("whoami", vec![], &ctx), Ok(Value::from("ada")));
    /// assert_eq!(d.dispatch("whoami", vec![]), Err(Fault::new(401, "authentication required")));
    /// ```
    pub fn register_with_context<Args, H>(
        &mut self,
        name: impl Into<String>,
        handler: H,
    ) -> MethodEntry<'_>
    where
        H: ContextHandler<Args>,
        Args: FromParams,
        H::Output: IntoResult,
    {
        let erased: Erased = Box::new(move |name, params, ctx| {
            handler
                .call(ctx, Args::from_params(name, params)?)
                .into_result()
        });
        self.insert(name.into(), Callable::User(erased), "")
    }

    /// Registers a handler that takes the raw parameter list and answers a [`Value`] or a
    /// [`Fault`], for methods with variadic parameters.
    ///
    /// ```
    /// use netloom_core::xmlrpc::{Dispatcher, Value};
    ///
    /// let mut d = Dispatcher::new();
    /// d.register_raw("count", |params: &[Value]| Ok(Value::Int(params.len() as i32)));
    /// assert_eq!(d.dispatch("count", vec![Value::Nil, Value::Nil]), Ok(Value::Int(2)));
    /// ```
    pub fn register_raw<F>(&mut self, name: impl Into<String>, handler: F) -> MethodEntry<'_>
    where
        F: Fn(&[Value]) -> Result<Value, Fault> + Send + Sync + 'static,
    {
        let erased: Erased = Box::new(move |_, params, _| handler(&params));
        self.insert(name.into(), Callable::User(erased), "")
    }

    /// Registers `system.multicall`, as CPython's `register_multicall_functions`.
    ///
    /// The result has CPython's shape: an array with, per call, either a one-element array
    /// holding the result or a `{faultCode, faultString}` struct. Unlike CPython, a
    /// `system.multicall` nested inside a multicall is refused (a fault in its slot), so one
    /// request cannot recurse.
    pub fn enable_multicall(&mut self) -> &mut Self {
        self.insert(
            "system.multicall".into(),
            Callable::Multicall,
            HELP_MULTICALL,
        );
        self
    }

    /// Registers `system.listMethods`, `system.methodHelp` and `system.methodSignature`, as
    /// CPython's `register_introspection_functions` (with CPython's help texts).
    pub fn enable_introspection(&mut self) -> &mut Self {
        self.insert(
            "system.listMethods".into(),
            Callable::ListMethods,
            HELP_LIST_METHODS,
        );
        self.insert(
            "system.methodHelp".into(),
            Callable::MethodHelp,
            HELP_METHOD_HELP,
        );
        self.insert(
            "system.methodSignature".into(),
            Callable::MethodSignature,
            HELP_METHOD_SIGNATURE,
        );
        self
    }

    /// The registered method names, sorted (what `system.listMethods` answers).
    pub fn method_names(&self) -> Vec<&str> {
        self.methods.keys().map(String::as_str).collect()
    }

    /// Decodes the request `body`, dispatches it and returns the response document: always
    /// a valid `<methodResponse>`, a fault for a body that is not a valid call.
    pub fn handle_body(&self, body: &[u8]) -> Vec<u8> {
        let headers = Headers::new();
        self.handle_body_with(body, &CallContext::new(&headers))
    }

    /// As [`handle_body`](Self::handle_body), for a request whose [`CallContext`] is
    /// known: handlers registered with
    /// [`register_with_context`](Self::register_with_context) see `ctx`.
    pub fn handle_body_with(&self, body: &[u8], ctx: &CallContext<'_>) -> Vec<u8> {
        // Room for a typical response (a scalar result is about 130 bytes), so encoding it
        // does not regrow the buffer several times.
        let mut out = Vec::with_capacity(256);
        self.handle_body_into_with(body, ctx, &mut out);
        out
    }

    /// As [`handle_body`](Self::handle_body), appending the response to `out`.
    pub fn handle_body_into(&self, body: &[u8], out: &mut Vec<u8>) {
        let headers = Headers::new();
        self.handle_body_into_with(body, &CallContext::new(&headers), out);
    }

    /// As [`handle_body_with`](Self::handle_body_with), appending the response to `out`.
    pub fn handle_body_into_with(&self, body: &[u8], ctx: &CallContext<'_>, out: &mut Vec<u8>) {
        let result = match parse_call(body, &self.limits) {
            Ok(call) => self
                .dispatch_inner(&call.method, call.params, ctx, false)
                .and_then(|v| self.within_response_limit(v, 0)),
            Err(e) => Err(e.to_fault()),
        };
        match result {
            Ok(v) => encode_response(&v, out),
            Err(f) => encode_fault(&f, out),
        }
    }

    /// `v`, or the fault for a response over [`Limits::max_result_bytes`] when `so_far`
    /// bytes of it are already built.
    fn within_response_limit(&self, v: Value, so_far: usize) -> Result<Value, Fault> {
        if so_far.saturating_add(v.size_hint()) > self.limits.max_result_bytes {
            return Err(self.response_too_large());
        }
        Ok(v)
    }

    fn response_too_large(&self) -> Fault {
        Fault::exception(
            "MemoryError",
            format_args!(
                "response over {} bytes (Limits::max_result_bytes)",
                self.limits.max_result_bytes
            ),
        )
    }

    /// Calls method `name` with `params`: the value or fault a response would carry.
    /// An unknown name is answered with [`Fault::method_not_found`].
    pub fn dispatch(&self, name: &str, params: Vec<Value>) -> Result<Value, Fault> {
        let headers = Headers::new();
        self.dispatch_inner(name, params, &CallContext::new(&headers), false)
    }

    /// As [`dispatch`](Self::dispatch), in the request context `ctx`.
    pub fn dispatch_with(
        &self,
        name: &str,
        params: Vec<Value>,
        ctx: &CallContext<'_>,
    ) -> Result<Value, Fault> {
        self.dispatch_inner(name, params, ctx, false)
    }

    fn dispatch_inner(
        &self,
        name: &str,
        params: Vec<Value>,
        ctx: &CallContext<'_>,
        nested: bool,
    ) -> Result<Value, Fault> {
        let method = self
            .methods
            .get(name)
            .ok_or_else(|| Fault::method_not_found(name))?;
        match &method.callable {
            Callable::User(f) => match catch_unwind(AssertUnwindSafe(|| f(name, params, ctx))) {
                Ok(r) => r,
                Err(payload) => {
                    let msg = payload
                        .downcast_ref::<&str>()
                        .map(|s| (*s).to_owned())
                        .or_else(|| payload.downcast_ref::<String>().cloned())
                        .unwrap_or_else(|| "panic".to_owned());
                    Err(Fault::exception(
                        "RuntimeError",
                        format_args!("{name}() panicked: {msg}"),
                    ))
                }
            },
            Callable::ListMethods => {
                check_arity(name, 0, params.len())?;
                Ok(Value::Array(
                    self.methods
                        .keys()
                        .map(|k| Value::String(k.clone()))
                        .collect(),
                ))
            }
            Callable::MethodHelp => {
                check_arity(name, 1, params.len())?;
                let help = match params.first() {
                    Some(Value::String(m)) => self.methods.get(m).map(|m| m.help.clone()),
                    _ => None,
                };
                Ok(Value::String(help.unwrap_or_default()))
            }
            Callable::MethodSignature => {
                check_arity(name, 1, params.len())?;
                let sig = match params.first() {
                    Some(Value::String(m)) => self.methods.get(m).and_then(|m| m.signature.clone()),
                    _ => None,
                };
                Ok(match sig {
                    Some(sigs) => Value::Array(
                        sigs.into_iter()
                            .map(|s| Value::Array(s.into_iter().map(Value::String).collect()))
                            .collect(),
                    ),
                    None => Value::from("signatures not supported"),
                })
            }
            Callable::Multicall if nested => Err(Fault::exception(
                "Exception",
                "system.multicall cannot be nested",
            )),
            Callable::Multicall => {
                check_arity(name, 1, params.len())?;
                let calls = match params.into_iter().next() {
                    Some(Value::Array(calls)) => calls,
                    Some(other) => {
                        return Err(Fault::type_error(format_args!(
                            "'{}' object is not iterable",
                            other.python_type()
                        )))
                    }
                    None => Vec::new(),
                };
                let mut results = Vec::with_capacity(calls.len());
                // What the results add up to, so that a batch of small calls with large
                // answers cannot build an unbounded response; once over, the rest of the
                // batch is not run at all.
                let mut size = 0usize;
                let mut exhausted = false;
                for call in calls {
                    if exhausted {
                        results.push(fault_struct(self.response_too_large()));
                        continue;
                    }
                    let Value::Struct(members) = call else {
                        return Err(Fault::type_error(format_args!(
                            "'{}' object is not subscriptable",
                            call.python_type()
                        )));
                    };
                    let mut method_name = None;
                    let mut call_params = None;
                    for (k, v) in members {
                        match k.as_str() {
                            "methodName" => method_name = Some(v),
                            "params" => call_params = Some(v),
                            _ => {}
                        }
                    }
                    let method_name =
                        method_name.ok_or_else(|| Fault::exception("KeyError", "'methodName'"))?;
                    let call_params =
                        call_params.ok_or_else(|| Fault::exception("KeyError", "'params'"))?;
                    let outcome = match (method_name, call_params) {
                        (Value::String(m), Value::Array(p)) => {
                            self.dispatch_inner(&m, p, ctx, true)
                        }
                        (Value::String(m), other) => Err(Fault::type_error(format_args!(
                            "{m}() argument after * must be an iterable, not {}",
                            other.python_type()
                        ))),
                        (other, _) => Err(Fault::method_not_found(&format!("{other:?}"))),
                    };
                    let outcome = outcome.and_then(|v| {
                        let kept = self.within_response_limit(v, size);
                        exhausted = kept.is_err();
                        kept
                    });
                    let result = match outcome {
                        Ok(v) => Value::Array(vec![v]),
                        Err(f) => fault_struct(f),
                    };
                    size = size.saturating_add(result.size_hint());
                    results.push(result);
                }
                Ok(Value::Array(results))
            }
        }
    }
}

/// A fault as `system.multicall` reports it in a result slot.
fn fault_struct(f: Fault) -> Value {
    Value::Struct(vec![
        ("faultCode".into(), Value::Int(f.code)),
        ("faultString".into(), Value::String(f.string)),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn dispatcher_is_send_sync() {
        assert_send_sync::<Dispatcher>();
    }

    #[test]
    fn arity_and_types() {
        let mut d = Dispatcher::new();
        d.register("add", |a: i32, b: i32| a + b);
        d.register("one", |a: i32| a);
        assert_eq!(
            d.dispatch("add", vec![1.into(), 2.into(), 3.into()])
                .unwrap_err()
                .string,
            "<class 'TypeError'>:add() takes 2 positional arguments but 3 were given"
        );
        assert_eq!(
            d.dispatch("one", vec![1.into(), 2.into()])
                .unwrap_err()
                .string,
            "<class 'TypeError'>:one() takes 1 positional argument but 2 were given"
        );
        assert_eq!(
            d.dispatch("add", vec![1.into(), "x".into()])
                .unwrap_err()
                .string,
            "<class 'TypeError'>:add() argument 2: expected int, got string"
        );
        assert_eq!(
            d.dispatch("nope", vec![]).unwrap_err(),
            Fault::new(1, "<class 'Exception'>:method \"nope\" is not supported")
        );
    }

    #[test]
    fn trailing_options_may_be_omitted() {
        let mut d = Dispatcher::new();
        d.register("f", |a: i32, b: Option<i32>, c: Option<String>| {
            format!("{a} {b:?} {c:?}")
        });
        d.register("mid", |a: Option<i32>, b: i32| a.unwrap_or(0) + b);
        let call = |m: &str, p: Vec<Value>| d.dispatch(m, p);
        assert_eq!(call("f", vec![1.into()]), Ok(Value::from("1 None None")));
        assert_eq!(
            call("f", vec![1.into(), 2.into()]),
            Ok(Value::from("1 Some(2) None"))
        );
        assert_eq!(
            call("f", vec![1.into(), Value::Nil, "x".into()]),
            Ok(Value::from("1 None Some(\"x\")"))
        );
        assert_eq!(
            call("f", vec![]).unwrap_err().string,
            "<class 'TypeError'>:f() missing 1 required positional argument"
        );
        assert_eq!(
            call("f", vec![1.into(), 2.into(), "x".into(), 4.into()])
                .unwrap_err()
                .string,
            "<class 'TypeError'>:f() takes from 1 to 3 positional arguments but 4 were given"
        );
        // An Option before a required argument is still positional: it must be sent.
        assert_eq!(
            call("mid", vec![1.into()]).unwrap_err().string,
            "<class 'TypeError'>:mid() missing 1 required positional argument"
        );
        assert_eq!(call("mid", vec![Value::Nil, 2.into()]), Ok(Value::Int(2)));
    }

    #[test]
    fn context_reaches_handlers_directly_and_through_multicall() {
        let mut d = Dispatcher::new();
        d.register_with_context("peer", |ctx: &CallContext| {
            ctx.peer().map(|p| p.to_string()).unwrap_or_default()
        });
        d.register_with_context(
            "token",
            |ctx: &CallContext, suffix: Option<String>| match ctx.header("X-Token") {
                Some(t) => Ok(format!("{t}{}", suffix.unwrap_or_default())),
                None => Err(Fault::new(401, "no token")),
            },
        );
        d.enable_multicall();
        let headers = Headers::new().with("X-Token", "abc");
        let ctx = CallContext::new(&headers).with_peer("127.0.0.1:9".parse().unwrap());
        assert_eq!(
            d.dispatch_with("peer", vec![], &ctx),
            Ok(Value::from("127.0.0.1:9"))
        );
        assert_eq!(
            d.dispatch("token", vec![]),
            Err(Fault::new(401, "no token"))
        );
        let call = |m: &str, p: Vec<Value>| {
            Value::Struct(vec![
                ("methodName".into(), Value::from(m)),
                ("params".into(), Value::Array(p)),
            ])
        };
        let mut body = Vec::new();
        crate::xmlrpc::encode_call(
            "system.multicall",
            &[Value::Array(vec![
                call("token", vec!["!".into()]),
                call("peer", vec![]),
            ])],
            &mut body,
        );
        let reply = crate::xmlrpc::parse_response(&d.handle_body_with(&body, &ctx), &d.limits);
        assert_eq!(
            reply,
            Ok(crate::xmlrpc::Response::Success(Value::Array(vec![
                Value::Array(vec![Value::from("abc!")]),
                Value::Array(vec![Value::from("127.0.0.1:9")]),
            ])))
        );
    }

    #[test]
    fn panics_are_faults() {
        let mut d = Dispatcher::new();
        d.register("boom", || -> i32 { panic!("kaboom") });
        d.register("ok", || 1);
        let f = d.dispatch("boom", vec![]).unwrap_err();
        assert_eq!(f.code, 1);
        assert!(f.string.contains("kaboom"), "{f}");
        assert_eq!(d.dispatch("ok", vec![]), Ok(Value::Int(1)));
    }

    #[test]
    fn overflowing_result() {
        let mut d = Dispatcher::new();
        d.register("big", || 1i64 << 40);
        assert_eq!(
            d.dispatch("big", vec![]).unwrap_err().string,
            "<class 'OverflowError'>:int exceeds XML-RPC limits"
        );
    }

    #[test]
    fn responses_are_bounded_and_a_multicall_stops_running_once_over() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        use std::sync::Arc;
        let runs = Arc::new(AtomicUsize::new(0));
        let limits = Limits {
            max_result_bytes: 1000,
            ..Limits::default()
        };
        let mut d = Dispatcher::with_limits(limits);
        let counter = Arc::clone(&runs);
        d.register("big", move || {
            counter.fetch_add(1, Ordering::SeqCst);
            "x".repeat(600)
        });
        d.register("huge", || "x".repeat(2000));
        d.enable_multicall();
        let too_large = |f: &Fault| f.string.contains("MemoryError");
        // One answer over the limit is a fault.
        let mut body = Vec::new();
        crate::xmlrpc::encode_call("huge", &[], &mut body);
        let reply = crate::xmlrpc::parse_response(&d.handle_body(&body), &Limits::default());
        match reply {
            Ok(crate::xmlrpc::Response::Fault(f)) => assert!(too_large(&f), "{f}"),
            other => panic!("{other:?}"),
        }
        // A batch: the first fits, the second would pass the limit, the rest never run.
        let call = |m: &str| {
            Value::Struct(vec![
                ("methodName".into(), Value::from(m)),
                ("params".into(), Value::Array(vec![])),
            ])
        };
        let batch = Value::Array(vec![call("big"), call("big"), call("big"), call("big")]);
        let results = d.dispatch("system.multicall", vec![batch]).unwrap();
        let results = results.as_array().unwrap();
        assert!(matches!(&results[0], Value::Array(v) if v[0].as_str().map(str::len) == Some(600)));
        for r in &results[1..] {
            let text = r.get("faultString").and_then(Value::as_str).unwrap_or("");
            assert!(text.contains("MemoryError"), "{r:?}");
        }
        assert_eq!(runs.load(Ordering::SeqCst), 2);
    }
}
