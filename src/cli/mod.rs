//! Argument parsing and dispatch.

mod access_log;
mod args;
mod demo;
mod error;
mod escape;
mod get;
mod http;
mod output;
mod serve;
mod signals;
mod tcp;
mod transfer;
mod xmlrpc;
mod xmlrpc_value;

use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use netloom::Runtime;

use args::ServerFlags;

#[derive(Parser)]
#[command(
    name = "netloom",
    version,
    about = "Network programming tour: TCP, HTTP and XML-RPC on std, mio or smol",
    after_help = "\
Examples:
  netloom http serve 8000                          python3 -m http.server 8000
  netloom get http://127.0.0.1:8000/file -O        curl -O
  netloom xmlrpc call http://127.0.0.1:8000/ add 7 3
  netloom --runtime mio tcp server 127.0.0.1       (--runtime also works after the command)"
)]
struct Cli {
    /// Runtime that drives the sockets (before or after the subcommand).
    #[arg(long, value_enum, global = true, default_value = "std")]
    runtime: RuntimeArg,
    #[command(subcommand)]
    command: Command,
}

/// The runtime, as a flag every networking command takes.
#[derive(Clone, Copy, ValueEnum)]
enum RuntimeArg {
    Std,
    Mio,
    Smol,
}

impl From<RuntimeArg> for Runtime {
    fn from(r: RuntimeArg) -> Runtime {
        match r {
            RuntimeArg::Std => Runtime::Std,
            RuntimeArg::Mio => Runtime::Mio,
            RuntimeArg::Smol => Runtime::Smol,
        }
    }
}

#[derive(Clone, Copy, ValueEnum)]
enum Role {
    Server,
    Client,
}

#[derive(Subcommand)]
enum Command {
    /// The 16-octet exchange: the client sends "Hi there, server", the server answers
    /// "Farewell, client".
    #[command(after_help = "\
Examples:
  netloom tcp server 127.0.0.1          Listening at 127.0.0.1:1060
  netloom tcp client 127.0.0.1          The server said b'Farewell, client'")]
    Tcp {
        /// Which side to run.
        role: Role,
        /// Interface the server listens on, or host the client connects to.
        host: String,
        /// TCP port.
        #[arg(short = 'p', default_value_t = netloom::seed::SIXTEEN_PORT)]
        port: u16,
        #[command(flatten)]
        server: ServerFlags,
    },
    /// The banner pair: the server says "Thank you for connecting" and closes.
    #[command(after_help = "\
Examples:
  netloom banner server 127.0.0.1       Listening at 127.0.0.1:1234
  netloom banner client 127.0.0.1       b'Thank you for connecting'")]
    Banner {
        /// Which side to run.
        role: Role,
        /// Interface the server listens on, or host the client connects to.
        host: String,
        /// TCP port.
        #[arg(short = 'p', default_value_t = netloom::seed::BANNER_PORT)]
        port: u16,
        #[command(flatten)]
        server: ServerFlags,
    },
    /// HTTP tools.
    Http {
        #[command(subcommand)]
        command: HttpCommand,
    },
    /// XML-RPC: the seed's calculator server, and a client.
    Xmlrpc {
        #[command(subcommand)]
        command: xmlrpc::XmlrpcCommand,
    },
    /// Fetches an http:// or https:// URL, with curl's flags: the body to stdout, or to a file with -o/-O.
    Get(get::GetArgs),
    /// Runs every program end to end over every runtime on loopback.
    Demo,
}

#[derive(Subcommand)]
enum HttpCommand {
    /// Serves a directory's files, like `python3 -m http.server [PORT] [-d DIR] [-b ADDR]`.
    Serve(http::ServeArgs),
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime: Runtime = cli.runtime.into();
    let result = match cli.command {
        Command::Tcp {
            role,
            host,
            port,
            server,
        } => match role {
            Role::Server => tcp::sixteen_server(runtime, &host, port, &server),
            Role::Client => tcp::sixteen_client(runtime, &host, port),
        },
        Command::Banner {
            role,
            host,
            port,
            server,
        } => match role {
            Role::Server => tcp::banner_server(runtime, &host, port, &server),
            Role::Client => tcp::banner_client(runtime, &host, port),
        },
        Command::Http {
            command: HttpCommand::Serve(args),
        } => http::serve(runtime, args),
        Command::Xmlrpc { command } => xmlrpc::run(runtime, command),
        Command::Get(args) => get::run(runtime, args),
        Command::Demo => demo::run(),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("netloom: {}", e.line());
            ExitCode::FAILURE
        }
    }
}
