//! XML-RPC faults and the fault codes CPython uses.

use std::fmt;

/// An XML-RPC fault: the `<fault>` answer of a method response, or one failed call inside a
/// `system.multicall` result.
///
/// CPython's `SimpleXMLRPCDispatcher` answers every exception with code `1` and the string
/// `"<class 'ExceptionType'>:message"`; the constructors here build the same shapes.
///
/// ```
/// use netloom_core::xmlrpc::Fault;
///
/// let f = Fault::method_not_found("nope");
/// assert_eq!(f.code, 1);
/// assert_eq!(f.string, "<class 'Exception'>:method \"nope\" is not supported");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Fault {
    /// `faultCode` (0 when it was sent as text that is not an integer: see
    /// [`code_text`](Fault::code_text)).
    pub code: i32,
    /// `faultString`.
    pub string: String,
    /// The `faultCode` as sent, when it was not an integer in `i32` range: Perl's
    /// XMLRPC::Lite sends `Client` and `Server`, some servers send numbers as strings.
    /// `None` for an integer code. A fault with a code text is encoded with it, as a
    /// `<string>`, as CPython re-sends a fault whose code is a string.
    pub code_text: Option<String>,
}

impl Fault {
    /// Code CPython's server uses for every exception raised while dispatching.
    pub const EXCEPTION: i32 = 1;
    /// `xmlrpc.client.PARSE_ERROR` / `NOT_WELLFORMED_ERROR` (specification for fault codes).
    pub const PARSE_ERROR: i32 = -32700;
    /// `xmlrpc.client.UNSUPPORTED_ENCODING`.
    pub const UNSUPPORTED_ENCODING: i32 = -32701;
    /// `xmlrpc.client.INVALID_ENCODING_CHAR`.
    pub const INVALID_ENCODING_CHAR: i32 = -32702;
    /// `xmlrpc.client.SERVER_ERROR` / `INVALID_XMLRPC`.
    pub const INVALID_XMLRPC: i32 = -32600;
    /// `xmlrpc.client.METHOD_NOT_FOUND`.
    pub const METHOD_NOT_FOUND: i32 = -32601;
    /// `xmlrpc.client.INVALID_METHOD_PARAMS`.
    pub const INVALID_METHOD_PARAMS: i32 = -32602;
    /// `xmlrpc.client.INTERNAL_ERROR`.
    pub const INTERNAL_ERROR: i32 = -32603;
    /// `xmlrpc.client.APPLICATION_ERROR`.
    pub const APPLICATION_ERROR: i32 = -32500;
    /// `xmlrpc.client.SYSTEM_ERROR`.
    pub const SYSTEM_ERROR: i32 = -32400;
    /// `xmlrpc.client.TRANSPORT_ERROR`.
    pub const TRANSPORT_ERROR: i32 = -32300;

    /// A fault with any code and string.
    pub fn new(code: i32, string: impl Into<String>) -> Self {
        Fault {
            code,
            string: string.into(),
            code_text: None,
        }
    }

    /// A fault whose code is text, as Perl's XMLRPC::Lite sends (`Client`, `Server`).
    /// [`code`](Fault::code) is the text's value when it is a decimal integer in `i32`
    /// range, else 0.
    ///
    /// ```
    /// use netloom_core::xmlrpc::Fault;
    ///
    /// let f = Fault::with_code_text("Client", "Bad arguments");
    /// assert_eq!((f.code, f.code_text.as_deref()), (0, Some("Client")));
    /// assert_eq!(f.to_string(), "fault Client: Bad arguments");
    /// assert_eq!(Fault::with_code_text(" 42", "x").code, 42);
    /// ```
    pub fn with_code_text(code: impl Into<String>, string: impl Into<String>) -> Self {
        let code_text = code.into();
        Fault {
            code: code_text.trim().parse().unwrap_or(0),
            string: string.into(),
            code_text: Some(code_text),
        }
    }

    /// Code `1` and `"<class 'TYPE'>:MESSAGE"`: what CPython's dispatcher answers when a
    /// method raises `TYPE(MESSAGE)`. `type_name` is the Python class path, for example
    /// `"TypeError"` or `"xml.parsers.expat.ExpatError"`.
    pub fn exception(type_name: &str, message: impl fmt::Display) -> Self {
        Fault::new(Fault::EXCEPTION, format!("<class '{type_name}'>:{message}"))
    }

    /// CPython's answer to a call of a method that is not registered:
    /// code `1`, `<class 'Exception'>:method "NAME" is not supported`.
    pub fn method_not_found(name: &str) -> Self {
        Fault::exception(
            "Exception",
            format_args!("method \"{name}\" is not supported"),
        )
    }

    /// A `TypeError` fault (code `1`), CPython's answer to wrong arguments.
    pub fn type_error(message: impl fmt::Display) -> Self {
        Fault::exception("TypeError", message)
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.code_text {
            Some(code) => write!(f, "fault {code}: {}", self.string),
            None => write!(f, "fault {}: {}", self.code, self.string),
        }
    }
}

impl std::error::Error for Fault {}
