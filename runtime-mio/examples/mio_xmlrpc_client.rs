//! The seed's multicall client. `cargo run -p netloom-mio --example mio_xmlrpc_client [URL]`
use std::error::Error;

use netloom_core::xmlrpc::{FromValue, Multicall};

fn main() -> Result<(), Box<dyn Error>> {
    let url = std::env::args()
        .nth(1)
        .unwrap_or("http://127.0.0.1:8000".into());
    let proxy = netloom_mio::xmlrpc::ServerProxy::new(&url)?;
    let mut multi = Multicall::new();
    for op in ["add", "subtract", "multiply", "divide"] {
        multi.call_with(op, (7, 3))?;
    }
    let mut r = Vec::new();
    for answer in proxy.multicall(&multi)? {
        r.push(i64::from_value(answer?)?);
    }
    println!("7+3={}, 7-3={}, 7*3={}, 7//3={}", r[0], r[1], r[2], r[3]);
    Ok(())
}
