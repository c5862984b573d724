//! `netloom tcp` and `netloom banner`: the seed's TCP programs.

use std::io;

use netloom::seed::{self, BannerServer, SixteenServer};
use netloom::Runtime;

use super::args::ServerFlags;
use super::error::{host_port, io_text, is_connect_failure, resolve, CliError};
use super::serve;
use super::signals::Stop;

/// A client error: `connecting to …` when no connection was made, `talking to …` after.
fn client_error(host: &str, port: u16, e: &io::Error) -> CliError {
    if is_connect_failure(e) {
        CliError::connecting(host, port, &io_text(e))
    } else {
        CliError::io(&format!("talking to {}", host_port(host, port)), e)
    }
}

fn serve_tcp<S>(
    runtime: Runtime,
    host: &str,
    port: u16,
    flags: &ServerFlags,
    service: S,
) -> Result<(), CliError>
where
    S: netloom::frame::Service + Send + Sync + 'static,
{
    let (listener, addr) = serve::listen(host, port, flags.unix.as_deref())?;
    let config = flags.config(netloom::ServerConfig::default().handler_threads)?;
    let grace = config.shutdown_grace;
    let server = runtime
        .spawn_tcp_on(listener, service, config)
        .map_err(|e| CliError::io(&format!("serving on {addr}"), &e))?;
    let stop = Stop::watch()?;
    println!("Listening at {addr}");
    serve::until_stopped(stop, server, grace, None)
}

pub fn sixteen_server(
    runtime: Runtime,
    host: &str,
    port: u16,
    flags: &ServerFlags,
) -> Result<(), CliError> {
    let service = SixteenServer::new(seed::stdout_logger());
    serve_tcp(runtime, host, port, flags, service)
}

pub fn sixteen_client(runtime: Runtime, host: &str, port: u16) -> Result<(), CliError> {
    let addrs = resolve(host, port)?;
    let (local, reply) = runtime
        .exchange(&addrs, seed::CLIENT_MESSAGE, 16)
        .map_err(|e| client_error(host, port, &e))?;
    println!("Client has been assigned socket name {local}");
    println!("The server said {}", seed::py_repr(&reply));
    Ok(())
}

pub fn banner_server(
    runtime: Runtime,
    host: &str,
    port: u16,
    flags: &ServerFlags,
) -> Result<(), CliError> {
    let service = BannerServer::new(seed::stdout_logger());
    serve_tcp(runtime, host, port, flags, service)
}

pub fn banner_client(runtime: Runtime, host: &str, port: u16) -> Result<(), CliError> {
    let addrs = resolve(host, port)?;
    let data = runtime
        .read_once(&addrs, 1024)
        .map_err(|e| client_error(host, port, &e))?;
    println!("{}", seed::py_repr(&data));
    Ok(())
}
