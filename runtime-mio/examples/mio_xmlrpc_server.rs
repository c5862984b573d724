//! The seed's XML-RPC calculator server. `cargo run -p netloom-mio --example mio_xmlrpc_server`
use netloom_core::xmlrpc::{Dispatcher, Fault};

fn main() -> std::io::Result<()> {
    let mut server = Dispatcher::new();
    server.register("add", |a: i32, b: i32| a + b);
    server.register("subtract", |a: i32, b: i32| a - b);
    server.register("multiply", |a: i32, b: i32| a * b);
    server.register("divide", |a: i32, b: i32| match b {
        0 => Err(Fault::exception(
            "ZeroDivisionError",
            "integer division or modulo by zero",
        )),
        _ => Ok(a.div_euclid(b) - i32::from(b < 0 && a % b != 0)),
    });
    server.enable_multicall().enable_introspection();
    println!("Server ready");
    netloom_mio::xmlrpc::server(("127.0.0.1", 8000), server)?.run()
}
