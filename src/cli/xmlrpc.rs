//! `netloom xmlrpc`: the seed's calculator server and a command-line client.

use netloom::http::client::ClientConfig;
use netloom::seed;
use netloom::xmlrpc::proxy::{CallError, ProxyOptions};
use netloom::xmlrpc::{Multicall, Value};
use netloom::{Runtime, ServerConfig, XmlRpcError};

use super::error::{resolve, CliError};

pub fn serve(runtime: Runtime, bind: &str, port: u16) -> Result<(), CliError> {
    let addrs = resolve(bind, port)?;
    let listener = std::net::TcpListener::bind(&addrs[..])
        .map_err(|e| CliError::io(&format!("cannot listen on {}", addrs[0]), &e))?;
    let addr = listener
        .local_addr()
        .map_err(|e| CliError::io("listen", &e))?;
    println!("Serving XML-RPC on http://{addr}/ [{runtime}]: add, subtract, multiply, divide, system.multicall, system.listMethods, system.methodHelp, system.methodSignature");
    let handler =
        netloom::xmlrpc::http::XmlRpcHandler::new(std::sync::Arc::new(seed::calculator()));
    // The calculator never blocks (bounded arithmetic), so mio and smol run it on their I/O
    // thread rather than hand each call to a worker.
    let config = ServerConfig {
        handler_threads: 0,
        ..ServerConfig::default()
    };
    let limits = handler.http_limits();
    runtime
        .serve_http(listener, handler, config, limits)
        .map_err(|e| CliError::io(&format!("serving on {addr}"), &e))
}

/// Types a command-line argument: `true`/`false`, integers, doubles, JSON for arrays, structs
/// and quoted strings; anything else is a string.
pub fn parse_arg(text: &str) -> Result<Value, CliError> {
    match text {
        "true" => return Ok(Value::Bool(true)),
        "false" => return Ok(Value::Bool(false)),
        _ => {}
    }
    if let Ok(i) = text.parse::<i64>() {
        return Ok(match i32::try_from(i) {
            Ok(small) => Value::Int(small),
            Err(_) => Value::I8(i),
        });
    }
    if text.starts_with(['[', '{', '"']) {
        let json: serde_json::Value = serde_json::from_str(text)
            .map_err(|e| CliError::msg(format!("argument {text:?} is not valid JSON: {e}")))?;
        return Ok(from_json(json));
    }
    if let Ok(d) = text.parse::<f64>() {
        if text.contains(['.', 'e', 'E']) && d.is_finite() {
            return Ok(Value::Double(d));
        }
    }
    Ok(Value::String(text.to_string()))
}

fn from_json(json: serde_json::Value) -> Value {
    use serde_json::Value as J;
    match json {
        J::Null => Value::Nil,
        J::Bool(b) => Value::Bool(b),
        J::Number(n) => match n.as_i64() {
            Some(i) => i32::try_from(i).map(Value::Int).unwrap_or(Value::I8(i)),
            None => Value::Double(n.as_f64().unwrap_or(f64::NAN)),
        },
        J::String(s) => Value::String(s),
        J::Array(items) => Value::Array(items.into_iter().map(from_json).collect()),
        J::Object(map) => Value::Struct(map.into_iter().map(|(k, v)| (k, from_json(v))).collect()),
    }
}

/// Renders a result: scalars as plain text, arrays and structs as JSON.
pub fn show(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => to_json(other).to_string(),
    }
}

fn to_json(value: &Value) -> serde_json::Value {
    use serde_json::Value as J;
    match value {
        Value::Int(i) => J::from(*i),
        Value::I8(i) => J::from(*i),
        Value::Bool(b) => J::Bool(*b),
        Value::String(s) => J::String(s.clone()),
        Value::Double(d) => serde_json::Number::from_f64(*d)
            .map(J::Number)
            .unwrap_or_else(|| J::String(d.to_string())),
        Value::DateTime(dt) => J::String(dt.to_string()),
        Value::Base64(bytes) => J::String(format!("base64:{} bytes", bytes.len())),
        Value::Struct(members) => J::Object(
            members
                .iter()
                .map(|(k, v)| (k.clone(), to_json(v)))
                .collect(),
        ),
        Value::Array(items) => J::Array(items.iter().map(to_json).collect()),
        Value::Nil => J::Null,
    }
}

fn proxy(runtime: Runtime, url: &str) -> Result<netloom::XmlRpcProxy, CliError> {
    runtime
        .xmlrpc_proxy(url, ClientConfig::default(), ProxyOptions::default())
        .map_err(|e| CliError::msg(format!("{url}: {e}")))
}

fn describe(url: &str, e: XmlRpcError) -> CliError {
    match e {
        CallError::Fault(f) => CliError::msg(format!("fault {}: {}", f.code, f.string)),
        other => CliError::msg(format!("{url}: {other}")),
    }
}

pub fn call(runtime: Runtime, url: &str, method: &str, args: &[String]) -> Result<(), CliError> {
    let params = args
        .iter()
        .map(|a| parse_arg(a))
        .collect::<Result<Vec<_>, _>>()?;
    let value = proxy(runtime, url)?
        .call_values(method, &params)
        .map_err(|e| describe(url, e))?;
    println!("{}", show(&value));
    Ok(())
}

pub fn list(runtime: Runtime, url: &str) -> Result<(), CliError> {
    for name in proxy(runtime, url)?
        .list_methods()
        .map_err(|e| describe(url, e))?
    {
        println!("{name}");
    }
    Ok(())
}

pub fn multicall(runtime: Runtime, url: &str, calls: &[String]) -> Result<(), CliError> {
    let mut batch = Multicall::new();
    for call in calls {
        let mut words = call.split_whitespace();
        let Some(method) = words.next() else {
            return Err(CliError::msg("an empty call in the multicall"));
        };
        let params = words.map(parse_arg).collect::<Result<Vec<_>, _>>()?;
        batch.call(method, params);
    }
    let results = proxy(runtime, url)?
        .multicall(&batch)
        .map_err(|e| describe(url, e))?;
    let mut faults = 0;
    for result in results {
        match result {
            Ok(v) => println!("{}", show(&v)),
            Err(f) => {
                faults += 1;
                println!("fault {}: {}", f.code, f.string);
            }
        }
    }
    if faults > 0 {
        return Err(CliError::msg(format!("{faults} of the calls failed")));
    }
    Ok(())
}
