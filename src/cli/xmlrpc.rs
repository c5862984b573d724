//! `netloom xmlrpc`: the seed's calculator server and a command-line client, like
//! CPython's `SimpleXMLRPCServer` and `xmlrpc.client.ServerProxy`.

use std::io::{IsTerminal, Read};
use std::sync::Arc;

use clap::{Args, Subcommand};
use netloom::http::client::ClientError;
use netloom::http::content_coding::decode_body;
use netloom::http::Headers;
use netloom::seed;
use netloom::xmlrpc::http::XmlRpcHandler;
use netloom::xmlrpc::proxy::{
    read_multicall_reply, read_reply, CallError, CallRequest, ProxyOptions,
};
use netloom::xmlrpc::{Multicall, Value};
use netloom::Runtime;

use super::args::{ConnectFlags, HttpLimitFlags, ServerFlags};
use super::error::CliError;
use super::escape::{clip, clip_lines, escape};
use super::output::print_line;
use super::serve::{self, AccessLog};
use super::signals::Stop;
use super::transfer::{self, describe, Credentials, Options, Request};
use super::xmlrpc_value::{parse_arg, to_json, to_raw};

/// How much of each XML document `--verbose` shows.
const VERBOSE_BYTES: usize = 64 * 1024;

#[derive(Subcommand, Debug)]
pub enum XmlrpcCommand {
    /// Serves the calculator (add, subtract, multiply, divide) with multicall and
    /// introspection, logging each call as SimpleXMLRPCServer does.
    #[command(after_help = "\
Examples:
  netloom xmlrpc serve                      on http://127.0.0.1:8000/
  netloom xmlrpc serve -p 9000 --max-body-bytes 1M --request-timeout 5")]
    Serve(ServeArgs),
    /// Calls METHOD with ARGs and prints the result as JSON.
    #[command(after_help = "\
Each ARG is JSON (null, true, 42, 2.5, '\"42\"', '[1,\"a\"]', '{\"k\":1}') or else a bare word,
which is sent as a string. Integers beyond 32 bits are sent as <i8>.
dateTime:20240102T03:04:05 and base64:aGk= send those types. Results print as JSON, with
dateTime and base64 values as \"dateTime:...\" and \"base64:...\" strings.

Examples:
  netloom xmlrpc call http://127.0.0.1:8000/ add 7 3                    10
  netloom xmlrpc call http://127.0.0.1:8000/ echo null '[1,\"a\"]' dateTime:20240102T03:04:05
  netloom xmlrpc call -v http://127.0.0.1:8000/ system.methodHelp add    with the XML")]
    Call(CallArgs),
    /// Lists the server's methods (system.listMethods), one per line.
    List(ListArgs),
    /// Sends several calls in one system.multicall, each given as 'METHOD ARG ...' with
    /// shell-style quoting; prints one result (or fault) per line.
    #[command(after_help = "\
Examples:
  netloom xmlrpc multicall http://127.0.0.1:8000/ 'add 7 3' 'divide 7 0'
  netloom xmlrpc multicall http://127.0.0.1:8000/ 'echo \"a b\" 2' \"echo '{\\\"k\\\": 1}'\"")]
    Multicall(MulticallArgs),
}

/// `xmlrpc serve` flags.
#[derive(Args, Debug)]
pub struct ServeArgs {
    /// TCP port.
    #[arg(short = 'p', long, default_value_t = netloom::seed::XMLRPC_PORT)]
    port: u16,
    /// Address to listen on.
    #[arg(short = 'b', long, value_name = "ADDR", default_value = "127.0.0.1")]
    bind: String,
    /// Worker threads for calls (mio and smol). The calculator never blocks, so it runs on
    /// the I/O thread by default (0).
    #[arg(long, value_name = "N", default_value_t = 0)]
    handler_threads: usize,
    #[command(flatten)]
    server: ServerFlags,
    #[command(flatten)]
    limits: HttpLimitFlags,
}

/// What every client subcommand takes.
#[derive(Args, Debug)]
pub struct ClientArgs {
    /// Server URL, e.g. http://127.0.0.1:8000/ (user:password@ in it is sent as Basic auth).
    url: String,
    /// Print the request and response XML (and the response head) on stderr.
    #[arg(short = 'v', long)]
    verbose: bool,
    /// Basic authentication, USER:PASSWORD.
    #[arg(short = 'u', long = "user", value_name = "USER:PASSWORD")]
    user: Option<String>,
    #[command(flatten)]
    connect: ConnectFlags,
}

/// `xmlrpc call` flags.
#[derive(Args, Debug)]
pub struct CallArgs {
    #[command(flatten)]
    client: ClientArgs,
    /// Method name.
    method: String,
    /// Arguments (see below).
    #[arg(allow_negative_numbers = true)]
    args: Vec<String>,
    /// Print a string result as plain text (and dateTime/base64 untagged by quotes).
    #[arg(short = 'r', long)]
    raw: bool,
}

/// `xmlrpc list` flags.
#[derive(Args, Debug)]
pub struct ListArgs {
    #[command(flatten)]
    client: ClientArgs,
}

/// `xmlrpc multicall` flags.
#[derive(Args, Debug)]
pub struct MulticallArgs {
    #[command(flatten)]
    client: ClientArgs,
    /// Calls, e.g. 'add 7 3' 'divide 7 0' 'echo "a b"'.
    #[arg(required = true)]
    calls: Vec<String>,
    /// Print string results as plain text.
    #[arg(short = 'r', long)]
    raw: bool,
}

/// Runs an `xmlrpc` subcommand.
pub fn run(runtime: Runtime, command: XmlrpcCommand) -> Result<(), CliError> {
    match command {
        XmlrpcCommand::Serve(args) => serve_calculator(runtime, args),
        XmlrpcCommand::Call(args) => call(runtime, args),
        XmlrpcCommand::List(args) => list(runtime, args),
        XmlrpcCommand::Multicall(args) => multicall(runtime, args),
    }
}

fn serve_calculator(runtime: Runtime, args: ServeArgs) -> Result<(), CliError> {
    let (listener, addr) = serve::listen(&args.bind, args.port, args.server.unix.as_deref())?;
    let calculator = XmlRpcHandler::new(Arc::new(seed::calculator()));
    // XML-RPC's own HTTP limits: its documents may be larger than the HTTP default allows.
    let limits = args.limits.limits(calculator.http_limits());
    let handler = AccessLog::new(calculator);
    let in_flight = handler.in_flight();
    let config = args.server.config(args.handler_threads)?;
    let scheme = args.server.scheme();
    let grace = config.shutdown_grace;
    let server = runtime
        .spawn_http_on(listener, handler, config, limits)
        .map_err(|e| CliError::io(&format!("serving on {addr}"), &e))?;
    let stop = Stop::watch()?;
    let methods = "add, subtract, multiply, divide, system.multicall, system.listMethods, system.methodHelp, system.methodSignature";
    match &addr {
        serve::Bound::Tcp(addr) => {
            println!("Serving XML-RPC on {scheme}://{addr}/ [{runtime}]: {methods}")
        }
        serve::Bound::Unix(path) => println!(
            "Serving XML-RPC on unix socket {} [{runtime}]: {methods}",
            path.display()
        ),
    }
    serve::until_stopped(stop, server, grace, Some(in_flight))
}

/// A client for one server URL.
struct Client {
    url: String,
    options: Options,
    proxy: ProxyOptions,
    verbose: bool,
}

type Reply = (u16, String, Headers, Vec<u8>);

impl Client {
    fn new(runtime: Runtime, args: &ClientArgs) -> Result<Self, CliError> {
        let (url, url_creds) = transfer::split_credentials(&args.url);
        let mut options = Options::new(runtime, &args.connect)?;
        options.credentials = match &args.user {
            Some(u) => Some(Credentials::parse(u)?),
            None => url_creds,
        };
        Ok(Client {
            url,
            options,
            proxy: ProxyOptions::default(),
            verbose: args.verbose,
        })
    }

    /// POSTs a call and reads the whole (bounded) answer.
    fn post(&self, call: &CallRequest) -> Result<Reply, CliError> {
        if self.verbose {
            eprintln!("> POST {}", escape(self.url.as_bytes()));
            eprintln!("{}", clip_lines(&call.body, VERBOSE_BYTES));
        }
        let req = Request {
            method: "POST",
            url: &self.url,
            headers: call.headers.clone(),
            body: &call.body,
        };
        let fail = |e: &ClientError| describe(e, &self.url, &self.url);
        let mut resp = transfer::send(&req, &self.options).map_err(|e| fail(&e))?;
        let max = self.proxy.max_response_bytes();
        let mut body = Vec::new();
        (&mut resp.body)
            .take(max as u64 + 1)
            .read_to_end(&mut body)
            .map_err(|e| fail(&transfer::body_error(e)))?;
        if body.len() > max {
            return Err(CliError::msg(format!(
                "{}: the response is larger than {max} bytes",
                self.url
            )));
        }
        if self.verbose {
            eprintln!(
                "< {} {} {}",
                resp.version.as_str(),
                resp.status,
                escape(resp.reason.as_bytes())
            );
            for (name, value) in resp.headers.iter() {
                eprintln!("< {}: {}", escape(name.as_bytes()), escape(value));
            }
            let max = self.proxy.max_decoded_body as u64;
            let shown =
                decode_body(&resp.headers, body.clone(), max).unwrap_or_else(|_| body.clone());
            eprintln!("{}", clip_lines(&shown, VERBOSE_BYTES));
        }
        Ok((resp.status, resp.reason, resp.headers, body))
    }

    fn call(&self, method: &str, params: &[Value]) -> Result<Value, CliError> {
        let (status, reason, headers, body) =
            self.post(&CallRequest::call(method, params, &self.proxy))?;
        read_reply(status, &reason, &headers, body, &self.proxy).map_err(|e| self.error(e))
    }

    fn error(&self, e: CallError<ClientError>) -> CliError {
        match e {
            CallError::Transport(t) => describe(&t, &self.url, &self.url),
            CallError::Fault(f) => CliError::msg(format!("fault {}: {}", f.code, f.string)),
            other => CliError::msg(format!("{}: {other}", self.url)),
        }
    }
}

/// Prints a result: JSON, or with `raw` a string as itself (escaped on a terminal).
fn show(value: &Value, raw: bool) -> String {
    if !raw {
        return to_json(value);
    }
    let text = to_raw(value);
    if std::io::stdout().is_terminal() {
        escape(text.as_bytes())
    } else {
        text
    }
}

fn call(runtime: Runtime, args: CallArgs) -> Result<(), CliError> {
    let params = args
        .args
        .iter()
        .map(|a| parse_arg(a))
        .collect::<Result<Vec<_>, _>>()?;
    let client = Client::new(runtime, &args.client)?;
    let value = client.call(&args.method, &params)?;
    print_line(&show(&value, args.raw))
}

fn list(runtime: Runtime, args: ListArgs) -> Result<(), CliError> {
    let client = Client::new(runtime, &args.client)?;
    match client.call("system.listMethods", &[])? {
        Value::Array(names) => {
            for name in names {
                match name {
                    Value::String(s) => print_line(&escape(s.as_bytes()))?,
                    other => print_line(&to_json(&other))?,
                }
            }
            Ok(())
        }
        other => print_line(&to_json(&other)),
    }
}

fn multicall(runtime: Runtime, args: MulticallArgs) -> Result<(), CliError> {
    let mut batch = Multicall::new();
    for call in &args.calls {
        let words = shlex::split(call)
            .ok_or_else(|| CliError::msg(format!("call {call:?}: unbalanced quotes")))?;
        let Some((method, rest)) = words.split_first() else {
            return Err(CliError::msg("an empty call in the multicall"));
        };
        let params = rest
            .iter()
            .map(|a| parse_arg(a))
            .collect::<Result<Vec<_>, _>>()?;
        batch.call(method, params);
    }
    let client = Client::new(runtime, &args.client)?;
    let (status, reason, headers, body) =
        client.post(&CallRequest::multicall(&batch, &client.proxy))?;
    let results = read_multicall_reply(status, &reason, &headers, body, &client.proxy)
        .map_err(|e| client.error(e))?;
    let mut faults = 0;
    for result in results {
        match result {
            Ok(v) => print_line(&show(&v, args.raw))?,
            Err(f) => {
                faults += 1;
                print_line(&clip(&format!("fault {}: {}", f.code, f.string)))?;
            }
        }
    }
    if faults > 0 {
        return Err(CliError::msg(format!("{faults} of the calls failed")));
    }
    Ok(())
}
