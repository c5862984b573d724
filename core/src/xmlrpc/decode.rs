//! Decoding XML-RPC documents with quick-xml: an iterative parser with an explicit stack,
//! so nesting depth costs heap (bounded by [`Limits::max_depth`]), never call stack.

use std::borrow::Cow;

use quick_xml::events::Event;
use quick_xml::Reader;

use super::charset::{document_text, Encoding};
use super::{DateTime, Error, Fault, Limits, Value};
use crate::base64;

/// A decoded `<methodCall>`.
#[derive(Clone, Debug, PartialEq)]
pub struct MethodCall {
    /// The text of `<methodName>`.
    pub method: String,
    /// The parameters, in order (empty if `<params>` is absent, as CPython allows).
    pub params: Vec<Value>,
}

/// A decoded `<methodResponse>`: one value, or a fault.
#[derive(Clone, Debug, PartialEq)]
pub enum Response {
    /// `<params><param>value</param></params>`.
    Success(Value),
    /// `<fault>`.
    Fault(Fault),
}

impl Response {
    /// `Ok(value)` or `Err(fault)`.
    pub fn into_result(self) -> Result<Value, Fault> {
        match self {
            Response::Success(v) => Ok(v),
            Response::Fault(f) => Err(f),
        }
    }
}

/// Decodes a `<methodCall>` document.
///
/// Accepts everything CPython's `xmlrpc.client.dumps` writes (XML declaration, whitespace,
/// comments, character and predefined entity references, CDATA, namespace prefixes such as
/// `ex:i8` / `ex:nil`, a bare `<value>text</value>` string) and what other implementations
/// send: documents in UTF-16 (with a byte order mark), ISO-8859-1 or windows-1252 (PHP's
/// xmlrpc extension declares `iso-8859-1`), `<boolean>true</boolean>`, dateTimes with a
/// fraction and a zone, faults whose `faultCode` is a string. It refuses anything hostile or
/// malformed with a typed [`Error`] (characters XML does not allow among them, raw or as
/// references); it never panics and never expands entities.
///
/// ```
/// use netloom_core::xmlrpc::{parse_call, Limits, Value};
///
/// let body = b"<?xml version='1.0'?>
/// <methodCall><methodName>add</methodName>
/// <params><param><value><i4>2</i4></value></param>
/// <param><value>two &amp; more</value></param></params></methodCall>";
/// let call = parse_call(body, &Limits::default()).unwrap();
/// assert_eq!(call.method, "add");
/// assert_eq!(call.params, vec![Value::Int(2), Value::from("two & more")]);
/// ```
pub fn parse_call(body: &[u8], limits: &Limits) -> Result<MethodCall, Error> {
    let (text, encoding) = checked_text(body, limits)?;
    let mut p = Parser::new(&text, encoding, limits);
    p.expect_start(Tag::MethodCall, "<methodCall>")?;
    let method = match p.next_tag("<methodName>")? {
        Tok::Start(Tag::MethodName) => p.scalar_text(Tag::MethodName)?,
        Tok::Empty(Tag::MethodName) => Cow::Borrowed(""),
        t => return Err(p.unexpected(t, "<methodName>")),
    };
    if method.len() > limits.max_string_bytes {
        return Err(Error::StringTooLong {
            limit: limits.max_string_bytes,
        });
    }
    let method = method.into_owned();
    let params = match p.next_tag("<params> or </methodCall>")? {
        Tok::Start(Tag::Params) => {
            let params = p.params()?;
            p.expect_end(Tag::MethodCall, "</methodCall>")?;
            params
        }
        Tok::Empty(Tag::Params) => {
            p.expect_end(Tag::MethodCall, "</methodCall>")?;
            Vec::new()
        }
        Tok::End(Tag::MethodCall) => Vec::new(),
        t => return Err(p.unexpected(t, "<params> or </methodCall>")),
    };
    p.expect_eof()?;
    Ok(MethodCall { method, params })
}

/// Decodes a `<methodResponse>` document: exactly one value, or a fault.
///
/// ```
/// use netloom_core::xmlrpc::{parse_response, Fault, Limits, Response, Value};
///
/// let ok = b"<methodResponse><params><param><value><boolean>1</boolean></value></param></params></methodResponse>";
/// assert_eq!(parse_response(ok, &Limits::default()), Ok(Response::Success(Value::Bool(true))));
///
/// let fault = b"<methodResponse><fault><value><struct>
///   <member><name>faultCode</name><value><int>4</int></value></member>
///   <member><name>faultString</name><value><string>Too many params</string></value></member>
/// </struct></value></fault></methodResponse>";
/// assert_eq!(
///     parse_response(fault, &Limits::default()),
///     Ok(Response::Fault(Fault::new(4, "Too many params")))
/// );
/// ```
pub fn parse_response(body: &[u8], limits: &Limits) -> Result<Response, Error> {
    let (text, encoding) = checked_text(body, limits)?;
    let mut p = Parser::new(&text, encoding, limits);
    p.expect_start(Tag::MethodResponse, "<methodResponse>")?;
    let response = match p.next_tag("<params> or <fault>")? {
        Tok::Start(Tag::Params) => {
            let mut params = p.params()?;
            if params.len() != 1 {
                return Err(Error::BadParamCount(params.len()));
            }
            Response::Success(params.pop().unwrap_or(Value::Nil))
        }
        Tok::Empty(Tag::Params) => return Err(Error::BadParamCount(0)),
        Tok::Start(Tag::Fault) => {
            let v = p.value("<value>")?;
            p.expect_end(Tag::Fault, "</fault>")?;
            Response::Fault(fault_from_value(&v).ok_or(Error::BadFault)?)
        }
        t => return Err(p.unexpected(t, "<params> or <fault>")),
    };
    p.expect_end(Tag::MethodResponse, "</methodResponse>")?;
    p.expect_eof()?;
    Ok(response)
}

/// The fault a `{faultCode, faultString}` struct describes (extra members are ignored, as
/// CPython ignores them). A `faultCode` that is not an integer in `i32` range (Perl's
/// XMLRPC::Lite sends `Client` and `Server`) is kept as sent in [`Fault::code_text`].
pub(crate) fn fault_from_value(v: &Value) -> Option<Fault> {
    let string = v.get("faultString")?.as_str()?.to_owned();
    let code = v.get("faultCode")?;
    if let Some(small) = code.as_i64().and_then(|c| i32::try_from(c).ok()) {
        return Some(Fault::new(small, string));
    }
    let text = match code {
        Value::String(s) => s.clone(),
        Value::I8(i) => i.to_string(),
        Value::Double(d) => d.to_string(),
        Value::Bool(b) => u8::from(*b).to_string(),
        _ => return None,
    };
    Some(Fault::with_code_text(text, string))
}

/// The document's text and encoding, within the size limit.
fn checked_text<'b>(body: &'b [u8], limits: &Limits) -> Result<(Cow<'b, str>, Encoding), Error> {
    if body.len() > limits.max_body_bytes {
        return Err(Error::BodyTooLarge {
            len: body.len(),
            limit: limits.max_body_bytes,
        });
    }
    document_text(body)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tag {
    MethodCall,
    MethodName,
    MethodResponse,
    Params,
    Param,
    Fault,
    Value,
    Array,
    Data,
    Struct,
    Member,
    Name,
    Int,
    I8,
    Boolean,
    String,
    Double,
    DateTime,
    Base64,
    Nil,
    Other,
}

impl Tag {
    /// Classifies an element by its local name. Names of up to seven bytes (all but three
    /// of the XML-RPC names) are packed with their length into one `u64` and matched as an
    /// integer, so the hot path costs a few instructions instead of a chain of `memcmp`s.
    fn from_local(name: &[u8]) -> Tag {
        let n = name.len();
        if n == 0 || n > 7 {
            return match name {
                b"dateTime.iso8601" => Tag::DateTime,
                b"methodCall" => Tag::MethodCall,
                b"methodName" => Tag::MethodName,
                b"methodResponse" => Tag::MethodResponse,
                b"biginteger" => Tag::Int,
                _ => Tag::Other,
            };
        }
        Tag::from_key(pack(name))
    }

    /// The tag for a [`pack`]ed name: one multiply, one table load, one compare.
    #[inline]
    fn from_key(key: u64) -> Tag {
        let (k, tag) = TAGS[slot(key)];
        if k == key {
            tag
        } else {
            Tag::Other
        }
    }

    fn name(self) -> &'static str {
        match self {
            Tag::MethodCall => "methodCall",
            Tag::MethodName => "methodName",
            Tag::MethodResponse => "methodResponse",
            Tag::Params => "params",
            Tag::Param => "param",
            Tag::Fault => "fault",
            Tag::Value => "value",
            Tag::Array => "array",
            Tag::Data => "data",
            Tag::Struct => "struct",
            Tag::Member => "member",
            Tag::Name => "name",
            Tag::Int => "int",
            Tag::I8 => "i8",
            Tag::Boolean => "boolean",
            Tag::String => "string",
            Tag::Double => "double",
            Tag::DateTime => "dateTime.iso8601",
            Tag::Base64 => "base64",
            Tag::Nil => "nil",
            Tag::Other => "?",
        }
    }
}

/// A name of 1 to 7 bytes packed with its length: bytes in the low seven octets (zero
/// padded), the length in the top one, so distinct names give distinct keys.
const fn pack(name: &[u8]) -> u64 {
    let mut key = (name.len() as u64) << 56;
    let mut i = 0;
    while i < name.len() && i < 7 {
        key |= (name[i] as u64) << (8 * i);
        i += 1;
    }
    key
}

const VALUE: u64 = pack(b"value");
const STRING: u64 = pack(b"string");
const INT: u64 = pack(b"int");
const I4: u64 = pack(b"i4");
const I1: u64 = pack(b"i1");
const I2: u64 = pack(b"i2");
const I8: u64 = pack(b"i8");
const MEMBER: u64 = pack(b"member");
const NAME: u64 = pack(b"name");
const STRUCT: u64 = pack(b"struct");
const ARRAY: u64 = pack(b"array");
const DATA: u64 = pack(b"data");
const BOOLEAN: u64 = pack(b"boolean");
const DOUBLE: u64 = pack(b"double");
const FLOAT: u64 = pack(b"float");
const BASE64: u64 = pack(b"base64");
const NIL: u64 = pack(b"nil");
const PARAM: u64 = pack(b"param");
const PARAMS: u64 = pack(b"params");
const FAULT: u64 = pack(b"fault");

/// Multiplier of the perfect hash from [`pack`]ed XML-RPC names to [`TAGS`] slots: the
/// table's construction fails to compile if two names would share a slot.
const HASH_MUL: u64 = 0xe41a_19ca_f6c2_ce6f;

/// The [`TAGS`] slot for a packed name (the top five bits of the product).
const fn slot(key: u64) -> usize {
    (key.wrapping_mul(HASH_MUL) >> 59) as usize
}

/// Packed name and tag of every XML-RPC name of 1 to 7 bytes, at its [`slot`]. Unused
/// slots hold key 0, which no packed name equals (its top byte is the length, 1 to 7).
const TAGS: [(u64, Tag); 32] = {
    let names = [
        (VALUE, Tag::Value),
        (STRING, Tag::String),
        (INT, Tag::Int),
        (I4, Tag::Int),
        (I1, Tag::Int),
        (I2, Tag::Int),
        (I8, Tag::I8),
        (MEMBER, Tag::Member),
        (NAME, Tag::Name),
        (STRUCT, Tag::Struct),
        (ARRAY, Tag::Array),
        (DATA, Tag::Data),
        (BOOLEAN, Tag::Boolean),
        (DOUBLE, Tag::Double),
        (FLOAT, Tag::Double),
        (BASE64, Tag::Base64),
        (NIL, Tag::Nil),
        (PARAM, Tag::Param),
        (PARAMS, Tag::Params),
        (FAULT, Tag::Fault),
    ];
    let mut table = [(0u64, Tag::Other); 32];
    let mut i = 0;
    while i < names.len() {
        let s = slot(names[i].0);
        assert!(table[s].0 == 0, "HASH_MUL maps two tag names to one slot");
        table[s] = names[i];
        i += 1;
    }
    table
};

/// The local part of a qualified name (`ex:i8` → `i8`), as `QName::local_name` splits it.
fn local_name(name: &[u8]) -> &[u8] {
    match name.iter().position(|&b| b == b':') {
        Some(i) => &name[i + 1..],
        None => name,
    }
}

/// The simplified token stream the parser consumes: comments and processing instructions
/// dropped, adjacent text, CDATA and references merged into one `Text`.
#[derive(Debug)]
enum Tok<'a> {
    Start(Tag),
    Empty(Tag),
    End(Tag),
    Text(Cow<'a, str>),
    Eof,
}

struct Lexer<'a> {
    reader: Reader<&'a [u8]>,
    /// The whole document, validated as UTF-8 once; every event the reader returns borrows
    /// from it, so text is sliced out of it as `&str` without being checked again.
    text: &'a str,
    pending: Option<Tok<'a>>,
    /// Local name of the last `Tag::Other` element, for error messages.
    other: String,
    first: bool,
    /// The encoding the document was read in, which its declaration must agree with.
    encoding: Encoding,
}

impl<'a> Lexer<'a> {
    fn new(text: &'a str, encoding: Encoding) -> Self {
        let mut reader = Reader::from_str(text);
        let config = reader.config_mut();
        // Well-formedness: `<int>1</i4>` maps both names to the same tag, so the parser's own
        // structural checks would not notice the mismatch; quick-xml does.
        config.check_end_names = true;
        config.expand_empty_elements = false;
        config.trim_text(false);
        Lexer {
            reader,
            text,
            pending: None,
            other: String::new(),
            first: true,
            encoding,
        }
    }

    fn syntax(&self, e: quick_xml::Error) -> Error {
        Error::Syntax {
            offset: self.reader.error_position(),
            message: e.to_string(),
        }
    }

    /// Classifies an element by its (possibly prefixed) name.
    #[inline]
    fn tag(&mut self, name: &[u8]) -> Tag {
        match self.fast_tag(name) {
            Some(t) => t,
            // The one long name of a common value type.
            None if name == b"dateTime.iso8601" => Tag::DateTime,
            None => self.slow_tag(name),
        }
    }

    /// The common case: a name of 1 to 7 bytes without a prefix, read from the document as
    /// one 8-byte word (masked to the name) and matched as an integer. `None` when the name
    /// is not an XML-RPC name (a prefixed name never is: none contains `:`) or is not
    /// followed by 8 bytes of the document.
    #[inline]
    fn fast_tag(&self, name: &[u8]) -> Option<Tag> {
        let n = name.len();
        if n == 0 || n > 7 {
            return None;
        }
        let off = (name.as_ptr() as usize).wrapping_sub(self.text.as_ptr() as usize);
        // A wrapped end is below the start, which `get` refuses like an end past the text.
        let word: [u8; 8] = self
            .text
            .as_bytes()
            .get(off..off.wrapping_add(8))?
            .try_into()
            .ok()?;
        let word = u64::from_le_bytes(word) & ((1u64 << (8 * n)) - 1);
        match Tag::from_key(word | (n as u64) << 56) {
            Tag::Other => None,
            t => Some(t),
        }
    }

    #[cold]
    fn slow_tag(&mut self, name: &[u8]) -> Tag {
        let local = local_name(name);
        let t = Tag::from_local(local);
        if t == Tag::Other {
            self.other = String::from_utf8_lossy(local).into_owned();
        }
        t
    }

    /// The document text for `bytes`, which the reader borrowed from the document: found by
    /// its offset, so it is not validated again. Anything else (the reader never produces
    /// it) is validated.
    fn span(&self, bytes: &[u8]) -> Result<&'a str, Error> {
        let off = (bytes.as_ptr() as usize).wrapping_sub(self.text.as_ptr() as usize);
        let span = off
            .checked_add(bytes.len())
            .and_then(|end| self.text.get(off..end));
        match span {
            Some(s) => Ok(s),
            None => Err(Error::Syntax {
                offset: self.reader.buffer_position(),
                message: "text outside the document".into(),
            }),
        }
    }

    /// An upper bound on the bytes left in the current run of text (up to the next `<`),
    /// so an owned run is allocated once.
    fn run_hint(&self) -> usize {
        let pos = usize::try_from(self.reader.buffer_position()).unwrap_or(usize::MAX);
        self.text
            .get(pos..)
            .map_or(0, |rest| rest.find('<').unwrap_or(rest.len()))
    }

    /// The token a text run was returned before (`Eof` if there is none).
    #[cold]
    fn take_pending(&mut self) -> Tok<'a> {
        self.pending.take().unwrap_or(Tok::Eof)
    }

    /// The next token where only whitespace text is allowed (between elements): quick-xml
    /// skips leading whitespace itself, so the usual newline between tags costs no event.
    /// Non-whitespace text is still returned (minus its leading whitespace) for the caller
    /// to refuse.
    ///
    /// The fast path: an element event right away is classified and returned; anything
    /// else (text, references, comments, ...) goes to [`Lexer::run`].
    #[inline(always)]
    fn next_between(&mut self) -> Result<Tok<'a>, Error> {
        if self.pending.is_some() {
            return Ok(self.take_pending());
        }
        // Not before the first event: an XML declaration must be the very first thing.
        self.reader.config_mut().trim_text_start = !self.first;
        let ev = match self.reader.read_event() {
            Ok(ev) => ev,
            Err(e) => return Err(self.syntax(e)),
        };
        let first = std::mem::replace(&mut self.first, false);
        match ev {
            Event::Start(e) => Ok(Tok::Start(self.tag(e.name().as_ref()))),
            Event::Empty(e) => Ok(Tok::Empty(self.tag(e.name().as_ref()))),
            Event::End(e) => Ok(Tok::End(self.tag(e.name().as_ref()))),
            ev => {
                let (text, tok) = self.run(None, ev, first)?;
                Ok(self.flush(text, tok))
            }
        }
    }

    /// Element content up to the next element event: the run of text, CDATA and references
    /// (merged, `None` if there is none) and the element token (or `Eof`) that ends it.
    /// Used for the content of scalar elements, where the common case is one piece of text
    /// borrowed from the document followed by the end tag.
    #[inline(always)]
    fn text_run(&mut self) -> Result<(Option<Cow<'a, str>>, Tok<'a>), Error> {
        if self.pending.is_some() {
            // `pending` only ever holds the element token that ended a run.
            return Ok((None, self.take_pending()));
        }
        self.reader.config_mut().trim_text_start = false;
        let ev = match self.reader.read_event() {
            Ok(ev) => ev,
            Err(e) => return Err(self.syntax(e)),
        };
        let first = std::mem::replace(&mut self.first, false);
        let (text, ev) = match ev {
            Event::Start(e) => return Ok((None, Tok::Start(self.tag(e.name().as_ref())))),
            Event::Empty(e) => return Ok((None, Tok::Empty(self.tag(e.name().as_ref())))),
            Event::End(e) => return Ok((None, Tok::End(self.tag(e.name().as_ref())))),
            Event::Text(t) => {
                let piece = self.span(&t)?;
                if piece.as_bytes().contains(&b'\r') {
                    return self.run(None, Event::Text(t), first);
                }
                let ev = match self.reader.read_event() {
                    Ok(ev) => ev,
                    Err(e) => return Err(self.syntax(e)),
                };
                (Some(Cow::Borrowed(piece)), ev)
            }
            ev => return self.run(None, ev, first),
        };
        match ev {
            Event::End(e) => Ok((text, Tok::End(self.tag(e.name().as_ref())))),
            ev => self.run(text, ev, false),
        }
    }

    /// The general case: continues the run `text` with the event `ev` (already read;
    /// `first` says whether it was the document's first) and the events after it, up to
    /// the next element event or the end, dropping comments and processing instructions.
    #[inline(never)]
    fn run(
        &mut self,
        mut text: Option<Cow<'a, str>>,
        ev: Event<'a>,
        first: bool,
    ) -> Result<(Option<Cow<'a, str>>, Tok<'a>), Error> {
        let mut next = Some((ev, first));
        loop {
            let (ev, first) = match next.take() {
                Some(read) => read,
                None => (self.reader.read_event().map_err(|e| self.syntax(e))?, false),
            };
            match ev {
                Event::Text(t) => {
                    let piece = self.span(&t)?;
                    self.push_text(&mut text, piece);
                }
                Event::CData(t) => {
                    let piece = self.span(&t)?;
                    self.push_text(&mut text, piece);
                }
                Event::GeneralRef(r) => {
                    let c = resolve_ref(&r)?;
                    let acc = match text {
                        Some(Cow::Owned(ref mut s)) => s,
                        _ => {
                            let prefix = text.as_deref().unwrap_or("");
                            let mut s = String::with_capacity(prefix.len() + 4 + self.run_hint());
                            s.push_str(prefix);
                            text.insert(Cow::Owned(s)).to_mut()
                        }
                    };
                    acc.push(c);
                }
                Event::Comment(_) | Event::PI(_) => continue,
                Event::Decl(d) => {
                    if !first {
                        return Err(Error::Syntax {
                            offset: self.reader.buffer_position(),
                            message: "XML declaration not at the start".into(),
                        });
                    }
                    if let Some(enc) = d.encoding() {
                        let enc = enc.map_err(|e| self.syntax(e.into()))?;
                        let name = || String::from_utf8_lossy(&enc).into_owned();
                        match Encoding::from_label(&enc) {
                            Some(declared) if self.encoding.admits(declared) => {}
                            Some(_) => {
                                return Err(Error::WrongEncoding {
                                    declared: name(),
                                    found: self.encoding.name(),
                                })
                            }
                            None => return Err(Error::UnsupportedEncoding(name())),
                        }
                    }
                    continue;
                }
                Event::DocType(_) => return Err(Error::DoctypeRefused),
                Event::Start(e) => return Ok((text, Tok::Start(self.tag(e.name().as_ref())))),
                Event::Empty(e) => return Ok((text, Tok::Empty(self.tag(e.name().as_ref())))),
                Event::End(e) => return Ok((text, Tok::End(self.tag(e.name().as_ref())))),
                Event::Eof => return Ok((text, Tok::Eof)),
            }
        }
    }

    /// Appends a piece of character data (text or CDATA) to the current run, with XML 1.0
    /// end-of-line normalization (`\r\n` and a lone `\r` become `\n`). The common case, a
    /// run of one piece without `\r`, borrows from the document.
    fn push_text(&self, text: &mut Option<Cow<'a, str>>, piece: &'a str) {
        let cr = piece.as_bytes().contains(&b'\r');
        let acc = match text {
            None if !cr => {
                *text = Some(Cow::Borrowed(piece));
                return;
            }
            Some(Cow::Owned(s)) => s,
            _ => {
                let prefix = text.as_deref().unwrap_or("");
                let mut s = String::with_capacity(prefix.len() + piece.len() + self.run_hint());
                s.push_str(prefix);
                text.insert(Cow::Owned(s)).to_mut()
            }
        };
        if cr {
            push_normalized(acc, piece);
        } else {
            acc.push_str(piece);
        }
    }

    fn flush(&mut self, text: Option<Cow<'a, str>>, tok: Tok<'a>) -> Tok<'a> {
        match text {
            Some(t) => {
                self.pending = Some(tok);
                Tok::Text(t)
            }
            None => tok,
        }
    }
}

/// Appends `piece` with every `\r\n` and lone `\r` replaced by `\n`.
fn push_normalized(out: &mut String, piece: &str) {
    let mut rest = piece;
    while let Some(i) = rest.find('\r') {
        out.push_str(&rest[..i]);
        out.push('\n');
        rest = &rest[i + 1..];
        if let Some(after) = rest.strip_prefix('\n') {
            rest = after;
        }
    }
    out.push_str(rest);
}

fn resolve_ref(r: &quick_xml::events::BytesRef<'_>) -> Result<char, Error> {
    let raw = || String::from_utf8_lossy(r).into_owned();
    if r.is_char_ref() {
        return match r.resolve_char_ref() {
            Ok(Some(c)) if is_xml_char(c) => Ok(c),
            _ => Err(Error::BadCharRef(raw())),
        };
    }
    match &**r {
        b"lt" => Ok('<'),
        b"gt" => Ok('>'),
        b"amp" => Ok('&'),
        b"apos" => Ok('\''),
        b"quot" => Ok('"'),
        _ => Err(Error::UnknownEntity(raw())),
    }
}

/// XML 1.0 `Char` production.
fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

fn is_ws(s: &str) -> bool {
    s.bytes().all(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
}

/// An open container on the parser's explicit stack: where its children start on the
/// parser's shared `items` (array) or `members` (struct) stack.
enum Frame {
    Array(usize),
    Struct(usize),
}

struct Parser<'a, 'l> {
    lex: Lexer<'a>,
    limits: &'l Limits,
    values: usize,
    /// Children of the open arrays, innermost last; a closed array takes its tail in one
    /// exactly sized allocation.
    items: Vec<Value>,
    /// Members of the open structs, innermost last.
    members: Vec<(String, Value)>,
    /// Names of the members whose values are being parsed, innermost last.
    names: Vec<String>,
}

impl<'a, 'l> Parser<'a, 'l> {
    /// A parser over a document's text (see [`checked_text`]).
    fn new(text: &'a str, encoding: Encoding, limits: &'l Limits) -> Self {
        Parser {
            lex: Lexer::new(text, encoding),
            limits,
            values: 0,
            items: Vec::new(),
            members: Vec::new(),
            names: Vec::new(),
        }
    }

    fn tag_name(&self, t: Tag) -> String {
        if t == Tag::Other {
            self.lex.other.clone()
        } else {
            t.name().to_owned()
        }
    }

    fn unexpected(&self, tok: Tok<'a>, expected: &'static str) -> Error {
        match tok {
            Tok::Start(t) | Tok::Empty(t) => Error::UnexpectedTag {
                tag: self.tag_name(t),
                expected,
            },
            Tok::End(t) => Error::UnexpectedEnd {
                tag: self.tag_name(t),
                expected,
            },
            Tok::Text(_) => Error::UnexpectedText { expected },
            Tok::Eof => Error::Truncated,
        }
    }

    /// The next element token, skipping whitespace-only text.
    fn next_tag(&mut self, expected: &'static str) -> Result<Tok<'a>, Error> {
        loop {
            match self.lex.next_between()? {
                Tok::Text(t) if is_ws(&t) => continue,
                Tok::Text(_) => return Err(Error::UnexpectedText { expected }),
                t => return Ok(t),
            }
        }
    }

    fn expect_start(&mut self, tag: Tag, expected: &'static str) -> Result<(), Error> {
        match self.next_tag(expected)? {
            Tok::Start(t) if t == tag => Ok(()),
            t => Err(self.unexpected(t, expected)),
        }
    }

    fn expect_end(&mut self, tag: Tag, expected: &'static str) -> Result<(), Error> {
        match self.next_tag(expected)? {
            Tok::End(t) if t == tag => Ok(()),
            t => Err(self.unexpected(t, expected)),
        }
    }

    fn expect_eof(&mut self) -> Result<(), Error> {
        match self.lex.next_between()? {
            Tok::Eof => Ok(()),
            Tok::Text(t) if is_ws(&t) => match self.lex.next_between()? {
                Tok::Eof => Ok(()),
                _ => Err(Error::TrailingContent),
            },
            _ => Err(Error::TrailingContent),
        }
    }

    /// Text content up to `</tag>` (after `<tag>` was read); no child elements allowed.
    fn scalar_text(&mut self, tag: Tag) -> Result<Cow<'a, str>, Error> {
        match self.lex.text_run()? {
            (text, Tok::End(t)) if t == tag => Ok(text.unwrap_or(Cow::Borrowed(""))),
            (_, t) => Err(self.unexpected(t, "text or an end tag")),
        }
    }

    /// The `<param>` list after `<params>`, through `</params>`.
    fn params(&mut self) -> Result<Vec<Value>, Error> {
        let mut params = Vec::new();
        loop {
            match self.next_tag("<param> or </params>")? {
                Tok::Start(Tag::Param) => {
                    params.push(self.value("<value>")?);
                    self.expect_end(Tag::Param, "</param>")?;
                }
                Tok::End(Tag::Params) => return Ok(params),
                t => return Err(self.unexpected(t, "<param> or </params>")),
            }
        }
    }

    fn count_value(&mut self) -> Result<(), Error> {
        self.values += 1;
        if self.values > self.limits.max_values {
            return Err(Error::TooManyValues {
                limit: self.limits.max_values,
            });
        }
        Ok(())
    }

    /// One complete `<value>` element (the next tag must open it).
    fn value(&mut self, expected: &'static str) -> Result<Value, Error> {
        match self.next_tag(expected)? {
            Tok::Start(Tag::Value) => self.value_body(),
            Tok::Empty(Tag::Value) => {
                self.count_value()?;
                Ok(Value::String(String::new()))
            }
            t => Err(self.unexpected(t, expected)),
        }
    }

    /// The content of a `<value>` whose start tag was just read, through its `</value>`.
    /// Iterative: nested arrays and structs live on `stack`.
    fn value_body(&mut self) -> Result<Value, Error> {
        let mut stack: Vec<Frame> = Vec::new();
        'open: loop {
            // A `<value>` start tag has just been read.
            self.count_value()?;
            let mut done: Option<Value> = match self.value_content()? {
                Content::Done(v) => Some(v),
                Content::Array | Content::Struct if stack.len() >= self.limits.max_depth => {
                    return Err(Error::TooDeep {
                        limit: self.limits.max_depth,
                    });
                }
                Content::Array => {
                    stack.push(Frame::Array(self.items.len()));
                    None
                }
                Content::Struct => {
                    stack.push(Frame::Struct(self.members.len()));
                    None
                }
            };
            loop {
                if let Some(v) = done.take() {
                    match stack.last() {
                        None => return Ok(v),
                        Some(Frame::Array(_)) => self.items.push(v),
                        Some(Frame::Struct(_)) => {
                            let name = self.names.pop().unwrap_or_default();
                            self.members.push((name, v));
                            self.expect_end(Tag::Member, "</member>")?;
                        }
                    }
                }
                // Find the next child of the innermost container, or close it.
                let Some(top) = stack.last() else {
                    return Err(Error::Truncated);
                };
                match *top {
                    Frame::Array(start) => match self.next_tag("<value> or </data>")? {
                        Tok::Start(Tag::Value) => continue 'open,
                        Tok::Empty(Tag::Value) => {
                            self.count_value()?;
                            done = Some(Value::String(String::new()));
                        }
                        Tok::End(Tag::Data) => {
                            self.expect_end(Tag::Array, "</array>")?;
                            self.expect_end(Tag::Value, "</value>")?;
                            stack.pop();
                            done = Some(Value::Array(self.items.split_off(start)));
                        }
                        t => return Err(self.unexpected(t, "<value> or </data>")),
                    },
                    Frame::Struct(start) => match self.next_tag("<member> or </struct>")? {
                        Tok::Start(Tag::Member) => {
                            let name = match self.next_tag("<name>")? {
                                Tok::Start(Tag::Name) => self.scalar_text(Tag::Name)?,
                                Tok::Empty(Tag::Name) => Cow::Borrowed(""),
                                t => return Err(self.unexpected(t, "<name>")),
                            };
                            if name.len() > self.limits.max_string_bytes {
                                return Err(Error::StringTooLong {
                                    limit: self.limits.max_string_bytes,
                                });
                            }
                            self.names.push(name.into_owned());
                            match self.next_tag("<value>")? {
                                Tok::Start(Tag::Value) => continue 'open,
                                Tok::Empty(Tag::Value) => {
                                    self.count_value()?;
                                    done = Some(Value::String(String::new()));
                                }
                                t => return Err(self.unexpected(t, "<value>")),
                            }
                        }
                        Tok::End(Tag::Struct) => {
                            self.expect_end(Tag::Value, "</value>")?;
                            stack.pop();
                            done = Some(Value::Struct(self.members.split_off(start)));
                        }
                        t => return Err(self.unexpected(t, "<member> or </struct>")),
                    },
                }
            }
        }
    }

    /// What follows a `<value>` start tag: a finished scalar (its `</value>` consumed), or
    /// an opened array (`<array><data>` consumed) or struct (`<struct>` consumed).
    fn value_content(&mut self) -> Result<Content, Error> {
        let expected = "a type element or text";
        let (lead, tok) = self.lex.text_run()?;
        match tok {
            Tok::End(Tag::Value) => {
                let s = lead.unwrap_or(Cow::Borrowed(""));
                return Ok(Content::Done(Value::String(self.string(s)?)));
            }
            Tok::Start(_) | Tok::Empty(_) if lead.as_deref().is_some_and(|t| !is_ws(t)) => {
                return Err(Error::UnexpectedText {
                    expected: "a type element",
                });
            }
            _ => {}
        }
        let v = match tok {
            Tok::Start(Tag::Array) => {
                match self.next_tag("<data>")? {
                    Tok::Start(Tag::Data) => return Ok(Content::Array),
                    Tok::Empty(Tag::Data) => self.expect_end(Tag::Array, "</array>")?,
                    t => return Err(self.unexpected(t, "<data>")),
                }
                Value::Array(Vec::new())
            }
            Tok::Start(Tag::Struct) => return Ok(Content::Struct),
            Tok::Empty(Tag::Array) => Value::Array(Vec::new()),
            Tok::Empty(Tag::Struct) => Value::Struct(Vec::new()),
            Tok::Start(Tag::Nil) => {
                match self.next_tag("</nil>")? {
                    Tok::End(Tag::Nil) => {}
                    t => return Err(self.unexpected(t, "</nil>")),
                }
                Value::Nil
            }
            Tok::Empty(Tag::Nil) => Value::Nil,
            Tok::Start(tag) if is_scalar(tag) => {
                let text = self.scalar_text(tag)?;
                self.scalar(tag, text)?
            }
            Tok::Empty(tag) if is_scalar(tag) => self.scalar(tag, Cow::Borrowed(""))?,
            t => return Err(self.unexpected(t, expected)),
        };
        self.expect_end(Tag::Value, "</value>")?;
        Ok(Content::Done(v))
    }

    fn string(&self, s: Cow<'a, str>) -> Result<String, Error> {
        if s.len() > self.limits.max_string_bytes {
            return Err(Error::StringTooLong {
                limit: self.limits.max_string_bytes,
            });
        }
        Ok(s.into_owned())
    }

    fn scalar(&self, tag: Tag, text: Cow<'a, str>) -> Result<Value, Error> {
        Ok(match tag {
            Tag::String => Value::String(self.string(text)?),
            Tag::Int => {
                let i = parse_int(&text)?;
                match i32::try_from(i) {
                    Ok(small) => Value::Int(small),
                    Err(_) => Value::I8(i),
                }
            }
            Tag::I8 => Value::I8(parse_int(&text)?),
            // CPython writes (and reads) only 0 and 1; other implementations send words.
            Tag::Boolean => match text.trim() {
                "0" => Value::Bool(false),
                "1" => Value::Bool(true),
                t if t.eq_ignore_ascii_case("true") => Value::Bool(true),
                t if t.eq_ignore_ascii_case("false") => Value::Bool(false),
                _ => return Err(Error::BadBoolean(clip(&text))),
            },
            Tag::Double => {
                let t = text.trim();
                let ok = !t.is_empty()
                    && t.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'+' | b'-'));
                match t.parse::<f64>() {
                    Ok(d) if ok => Value::Double(d),
                    _ => return Err(Error::BadDouble(clip(&text))),
                }
            }
            Tag::DateTime => Value::DateTime(
                DateTime::parse(&text).ok_or_else(|| Error::BadDateTime(clip(&text)))?,
            ),
            Tag::Base64 => match base64::decode(text.as_bytes(), self.limits.max_base64_bytes) {
                Ok(bytes) => Value::Base64(bytes),
                Err(base64::DecodeError::TooLarge) => {
                    return Err(Error::Base64TooLarge {
                        limit: self.limits.max_base64_bytes,
                    })
                }
                Err(base64::DecodeError::Invalid) => return Err(Error::BadBase64),
            },
            _ => {
                return Err(Error::UnexpectedTag {
                    tag: tag.name().into(),
                    expected: "a scalar",
                })
            }
        })
    }
}

enum Content {
    Done(Value),
    Array,
    Struct,
}

fn is_scalar(tag: Tag) -> bool {
    matches!(
        tag,
        Tag::String | Tag::Int | Tag::I8 | Tag::Boolean | Tag::Double | Tag::DateTime | Tag::Base64
    )
}

/// At most 64 characters of offending text for an error message.
fn clip(s: &str) -> String {
    s.chars().take(64).collect()
}

/// A decimal integer as Python's `int()` reads it (surrounding whitespace, optional sign),
/// within `i64`.
fn parse_int(text: &str) -> Result<i64, Error> {
    let t = text.trim();
    let digits = t.strip_prefix(['+', '-']).unwrap_or(t);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Error::BadInt(clip(text)));
    }
    t.parse::<i64>()
        .map_err(|_| Error::IntOutOfRange(clip(text)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(xml: &str) -> Result<Value, Error> {
        let body =
            format!("<methodResponse><params><param>{xml}</param></params></methodResponse>");
        parse_response(body.as_bytes(), &Limits::default()).map(|r| match r {
            Response::Success(v) => v,
            Response::Fault(f) => panic!("{f}"),
        })
    }

    #[test]
    fn scalars() {
        assert_eq!(value("<value><int> 7 </int></value>"), Ok(Value::Int(7)));
        assert_eq!(value("<value><i4>-7</i4></value>"), Ok(Value::Int(-7)));
        assert_eq!(
            value("<value><int>4294967296</int></value>"),
            Ok(Value::I8(1 << 32))
        );
        assert_eq!(value("<value><ex:i8>5</ex:i8></value>"), Ok(Value::I8(5)));
        assert_eq!(value("<value><ex:nil/></value>"), Ok(Value::Nil));
        assert_eq!(
            value("<value>  plain </value>"),
            Ok(Value::from("  plain "))
        );
        assert_eq!(value("<value></value>"), Ok(Value::from("")));
        assert_eq!(value("<value/>"), Ok(Value::from("")));
        assert_eq!(value("<value><string/></value>"), Ok(Value::from("")));
        assert_eq!(
            value("<value><string>a&lt;&#x41;&#66;<![CDATA[<&>]]>\r\nb</string></value>"),
            Ok(Value::from("a<AB<&>\nb"))
        );
        assert_eq!(
            value("<value><double>-1.5e3</double></value>"),
            Ok(Value::Double(-1500.0))
        );
        assert_eq!(
            value("<value><boolean>1</boolean></value>"),
            Ok(Value::Bool(true))
        );
        assert_eq!(
            value("<value><base64>\nYWJj\n</base64></value>"),
            Ok(Value::Base64(b"abc".to_vec()))
        );
        assert_eq!(
            value("<value><array><data/></array></value>"),
            Ok(Value::Array(vec![]))
        );
        assert_eq!(
            value("<value><struct></struct></value>"),
            Ok(Value::Struct(vec![]))
        );
    }

    #[test]
    fn what_other_implementations_send() {
        assert_eq!(
            value("<value><boolean>true</boolean></value>"),
            Ok(Value::Bool(true))
        );
        assert_eq!(
            value("<value><boolean> FALSE\n</boolean></value>"),
            Ok(Value::Bool(false))
        );
        assert_eq!(
            value("<value><dateTime.iso8601>2025-01-02T03:04:05.000Z</dateTime.iso8601></value>"),
            Ok(Value::DateTime(
                DateTime::parse("2025-01-02T03:04:05.000Z").unwrap()
            ))
        );
        // Perl's XMLRPC::Lite: a string faultCode.
        let fault = b"<methodResponse><fault><value><struct>\
            <member><name>faultString</name><value><string>Bad args</string></value></member>\
            <member><name>faultCode</name><value><string>Client</string></value></member>\
            </struct></value></fault></methodResponse>";
        let f = match parse_response(fault, &Limits::default()) {
            Ok(Response::Fault(f)) => f,
            other => panic!("{other:?}"),
        };
        assert_eq!(f, Fault::with_code_text("Client", "Bad args"));
        // Written back with its code as sent, and read back the same.
        let mut out = Vec::new();
        crate::xmlrpc::encode_fault(&f, &mut out);
        assert!(String::from_utf8_lossy(&out)
            .contains("<name>faultCode</name>\n<value><string>Client</string></value>"));
        assert_eq!(
            parse_response(&out, &Limits::default()),
            Ok(Response::Fault(f))
        );
        let big = b"<methodResponse><fault><value><struct>\
            <member><name>faultCode</name><value><i8>4294967296</i8></value></member>\
            <member><name>faultString</name><value>x</value></member>\
            </struct></value></fault></methodResponse>";
        assert_eq!(
            parse_response(big, &Limits::default()),
            Ok(Response::Fault(Fault::with_code_text("4294967296", "x")))
        );
    }

    #[test]
    fn documents_in_other_encodings() {
        let latin = b"<?xml version=\"1.0\" encoding=\"iso-8859-1\"?>\
            <methodCall><methodName>caf\xE9</methodName><params><param><value>\
            <string>\xA3\xFF</string></value></param></params></methodCall>";
        let call = parse_call(latin, &Limits::default()).unwrap();
        assert_eq!(call.method, "café");
        assert_eq!(call.params, vec![Value::from("£ÿ")]);

        let doc = "<?xml version=\"1.0\" encoding=\"UTF-16\"?><methodCall>\
            <methodName>π</methodName></methodCall>";
        let utf16: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain(doc.encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        assert_eq!(parse_call(&utf16, &Limits::default()).unwrap().method, "π");
        // A UTF-8 document declared as UTF-16, and the other way round.
        assert!(matches!(
            parse_call(doc.as_bytes(), &Limits::default()),
            Err(Error::WrongEncoding { .. })
        ));
        let wrong = doc.replace("UTF-16", "utf-8");
        let utf16: Vec<u8> = [0xFE, 0xFF]
            .into_iter()
            .chain(wrong.encode_utf16().flat_map(u16::to_be_bytes))
            .collect();
        assert!(matches!(
            parse_call(&utf16, &Limits::default()),
            Err(Error::WrongEncoding { .. })
        ));
    }

    /// Inputs that leave the decoder's fast paths (one borrowed text piece, then an end
    /// tag; element names classified by their packed word) at each point where they can.
    #[test]
    fn fast_path_exits() {
        // Text pieces merged across a comment, a processing instruction, a reference and
        // a carriage return; an owned run.
        assert_eq!(
            value("<value><string>a<!-- c -->b<?pi x?>c&amp;d\re</string></value>"),
            Ok(Value::from("abc&d\ne"))
        );
        // A reference first, so the run starts owned.
        assert_eq!(
            value("<value><string>&lt;x</string></value>"),
            Ok(Value::from("<x"))
        );
        // Whitespace before the type element, and a type element after a comment.
        assert_eq!(value("<value>\n <int>4</int></value>"), Ok(Value::Int(4)));
        assert_eq!(
            value("<value><!-- c --><int>4</int></value>"),
            Ok(Value::Int(4))
        );
        // Long and prefixed names take the slow classification; unknown ones are named.
        assert_eq!(
            value("<value><x:dateTime.iso8601>20240102T03:04:05</x:dateTime.iso8601></value>"),
            Ok(Value::DateTime(DateTime::new(2024, 1, 2, 3, 4, 5).unwrap()))
        );
        assert_eq!(
            value("<value><x:value>1</x:value></value>"),
            Err(Error::UnexpectedTag {
                tag: "value".into(),
                expected: "a type element or text"
            })
        );
        assert_eq!(
            value("<value><integer>1</integer></value>"),
            Err(Error::UnexpectedTag {
                tag: "integer".into(),
                expected: "a type element or text"
            })
        );
        // A member name built from references, in a nested struct.
        assert_eq!(
            value(
                "<value><struct><member><name>a&amp;b</name><value><struct>\
                 <member><name>c</name><value><i4>1</i4></value></member>\
                 </struct></value></member></struct></value>"
            ),
            Ok(Value::Struct(vec![(
                "a&b".into(),
                Value::Struct(vec![("c".into(), Value::Int(1))])
            )]))
        );
    }

    #[test]
    fn refusals() {
        assert!(matches!(
            value("<value><int>1.5</int></value>"),
            Err(Error::BadInt(_))
        ));
        assert!(matches!(
            value("<value><int>99999999999999999999</int></value>"),
            Err(Error::IntOutOfRange(_))
        ));
        for bad in ["2", "yes", "", "tru", "1 1"] {
            assert!(matches!(
                value(&format!("<value><boolean>{bad}</boolean></value>")),
                Err(Error::BadBoolean(_))
            ));
        }
        assert!(matches!(
            value("<value><double>1,5</double></value>"),
            Err(Error::BadDouble(_))
        ));
        assert!(matches!(
            value("<value><foo>1</foo></value>"),
            Err(Error::UnexpectedTag { .. })
        ));
        assert!(matches!(
            value("<value>x<int>1</int></value>"),
            Err(Error::UnexpectedText { .. })
        ));
        assert!(matches!(
            value("<value><string>&bogus;</string></value>"),
            Err(Error::UnknownEntity(_))
        ));
        assert!(matches!(
            value("<value><string>&#0;</string></value>"),
            Err(Error::BadCharRef(_))
        ));
        assert!(matches!(
            value("<value><int>1</i4></value>"),
            Err(Error::Syntax { .. })
        ));
        assert!(matches!(
            value("<value><array></array></value>"),
            Err(Error::UnexpectedEnd { .. })
        ));
    }
}
