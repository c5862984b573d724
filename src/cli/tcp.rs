//! `netloom tcp` and `netloom banner`: the seed's TCP programs.

use std::net::TcpListener;

use netloom::seed::{self, BannerServer, SixteenServer};
use netloom::Runtime;

use super::error::{resolve, CliError};

fn listen(host: &str, port: u16) -> Result<TcpListener, CliError> {
    let addrs = resolve(host, port)?;
    TcpListener::bind(&addrs[..])
        .map_err(|e| CliError::io(&format!("cannot listen on {}", addrs[0]), &e))
}

pub fn sixteen_server(runtime: Runtime, host: &str, port: u16) -> Result<(), CliError> {
    let listener = listen(host, port)?;
    let addr = listener
        .local_addr()
        .map_err(|e| CliError::io("listen", &e))?;
    println!("Listening at {addr}");
    runtime
        .serve_tcp(listener, SixteenServer::new(seed::stdout_logger()))
        .map_err(|e| CliError::io(&format!("serving on {addr}"), &e))
}

pub fn sixteen_client(runtime: Runtime, host: &str, port: u16) -> Result<(), CliError> {
    let addrs = resolve(host, port)?;
    let what = format!("talking to {host}:{port}");
    let (local, reply) = runtime
        .exchange(&addrs, seed::CLIENT_MESSAGE, 16)
        .map_err(|e| CliError::io(&what, &e))?;
    println!("Client has been assigned socket name {local}");
    println!("The server said {}", seed::py_repr(&reply));
    Ok(())
}

pub fn banner_server(runtime: Runtime, host: &str, port: u16) -> Result<(), CliError> {
    let listener = listen(host, port)?;
    let addr = listener
        .local_addr()
        .map_err(|e| CliError::io("listen", &e))?;
    println!("Listening at {addr}");
    runtime
        .serve_tcp(listener, BannerServer::new(seed::stdout_logger()))
        .map_err(|e| CliError::io(&format!("serving on {addr}"), &e))
}

pub fn banner_client(runtime: Runtime, host: &str, port: u16) -> Result<(), CliError> {
    let addrs = resolve(host, port)?;
    let data = runtime
        .read_once(&addrs, 1024)
        .map_err(|e| CliError::io(&format!("connecting to {host}:{port}"), &e))?;
    println!("{}", seed::py_repr(&data));
    Ok(())
}
