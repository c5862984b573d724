//! `netloom xmlrpc`: the seed's calculator server and a command-line client.

use netloom::seed;
use netloom::{Runtime, ServerConfig};

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
    runtime
        .serve_http(
            listener,
            handler,
            ServerConfig::default(),
            Default::default(),
        )
        .map_err(|e| CliError::io(&format!("serving on {addr}"), &e))
}
