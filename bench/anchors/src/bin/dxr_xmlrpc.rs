//! XML-RPC server on dxr_server's axum integration: the seed's calculator (add, subtract,
//! multiply, floor divide) with `system.multicall` (dxr_server's `multicall` feature).
//! Listens on 127.0.0.1 only.

use axum::serve::ListenerExt;
use dxr::{Fault, TryFromParams, TryToValue, Value};
use dxr_server::{HandlerFn, HandlerResult, RouteBuilder, Server};
use http::HeaderMap;
use tokio::net::TcpListener;

fn args(params: &[Value]) -> Result<(i32, i32), Fault> {
    <(i32, i32)>::try_from_params(params).map_err(Fault::from)
}

fn reply(v: i32) -> HandlerResult {
    v.try_to_value().map_err(Fault::from)
}

fn add(params: &[Value], _: HeaderMap) -> HandlerResult {
    let (a, b) = args(params)?;
    reply(a.wrapping_add(b))
}

fn subtract(params: &[Value], _: HeaderMap) -> HandlerResult {
    let (a, b) = args(params)?;
    reply(a.wrapping_sub(b))
}

fn multiply(params: &[Value], _: HeaderMap) -> HandlerResult {
    let (a, b) = args(params)?;
    reply(a.wrapping_mul(b))
}

fn divide(params: &[Value], _: HeaderMap) -> HandlerResult {
    let (a, b) = args(params)?;
    if b == 0 {
        return Err(Fault::new(1, "division by zero".to_owned()));
    }
    // Python's `//`: round toward negative infinity.
    let (q, r) = (a.wrapping_div(b), a.wrapping_rem(b));
    reply(if r != 0 && ((r < 0) != (b < 0)) { q - 1 } else { q })
}

fn main() {
    let opts = netloom_bench_anchors::parse_args(2);
    if opts.tls_cert.is_some() {
        eprintln!("dxr-xmlrpc serves plaintext only");
        std::process::exit(2);
    }
    let route = RouteBuilder::new()
        .add_method("add", Box::new(add as HandlerFn))
        .add_method("subtract", Box::new(subtract as HandlerFn))
        .add_method("multiply", Box::new(multiply as HandlerFn))
        .add_method("divide", Box::new(divide as HandlerFn))
        .build();
    netloom_bench_anchors::runtime(opts.threads).block_on(async move {
        let listener = TcpListener::bind(("127.0.0.1", opts.port)).await.expect("bind");
        let listener = listener.tap_io(|s| {
            let _ = s.set_nodelay(true);
        });
        if let Err(e) = Server::from_route(route).serve_listener(listener).await {
            eprintln!("dxr server: {e}");
            std::process::exit(1);
        }
    });
}
