//! Argument parsing and dispatch.

mod demo;
mod error;
mod get;
mod http;
mod tcp;
mod xmlrpc;

use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use netloom::Runtime;

#[derive(Parser)]
#[command(
    name = "netloom",
    version,
    about = "Network programming tour: TCP, HTTP and XML-RPC on std, mio or smol"
)]
struct Cli {
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
    Tcp {
        /// Which side to run.
        role: Role,
        /// Interface the server listens on, or host the client connects to.
        host: String,
        /// TCP port.
        #[arg(short = 'p', default_value_t = netloom::seed::SIXTEEN_PORT)]
        port: u16,
        /// Runtime that drives the sockets.
        #[arg(long, value_enum, default_value = "std")]
        runtime: RuntimeArg,
    },
    /// The banner pair: the server says "Thank you for connecting" and closes.
    Banner {
        /// Which side to run.
        role: Role,
        /// Interface the server listens on, or host the client connects to.
        host: String,
        /// TCP port.
        #[arg(short = 'p', default_value_t = netloom::seed::BANNER_PORT)]
        port: u16,
        /// Runtime that drives the sockets.
        #[arg(long, value_enum, default_value = "std")]
        runtime: RuntimeArg,
    },
    /// HTTP tools.
    Http {
        #[command(subcommand)]
        command: HttpCommand,
    },
    /// XML-RPC: the seed's calculator server, and a client.
    Xmlrpc {
        #[command(subcommand)]
        command: XmlrpcCommand,
    },
    /// Fetches an http:// URL: the body to stdout, or saved to a file with -o.
    Get {
        /// The URL (http:// only for now).
        url: String,
        /// Save the body to this file (written to a temporary file, renamed when complete).
        #[arg(short = 'o', long = "output")]
        output: Option<std::path::PathBuf>,
        /// Runtime that drives the sockets.
        #[arg(long, value_enum, default_value = "std")]
        runtime: RuntimeArg,
    },
    /// Runs every program end to end over every runtime on loopback.
    Demo,
}

#[derive(Subcommand)]
enum HttpCommand {
    /// Serves a directory's files, like `python3 -m http.server`.
    Serve {
        /// Directory to serve.
        #[arg(default_value = ".")]
        dir: std::path::PathBuf,
        /// TCP port.
        #[arg(short = 'p', long, default_value_t = 8000)]
        port: u16,
        /// Address to listen on.
        #[arg(short = 'b', long, default_value = "127.0.0.1")]
        bind: String,
        /// Runtime that drives the sockets.
        #[arg(long, value_enum, default_value = "std")]
        runtime: RuntimeArg,
    },
}

#[derive(Subcommand)]
enum XmlrpcCommand {
    /// Serves the calculator (add, subtract, multiply, divide) with multicall and
    /// introspection.
    Serve {
        /// TCP port.
        #[arg(short = 'p', long, default_value_t = netloom::seed::XMLRPC_PORT)]
        port: u16,
        /// Address to listen on.
        #[arg(short = 'b', long, default_value = "127.0.0.1")]
        bind: String,
        /// Runtime that drives the sockets.
        #[arg(long, value_enum, default_value = "std")]
        runtime: RuntimeArg,
    },
    /// Calls METHOD with ARGs (typed from their text: ints, doubles, true/false, JSON arrays,
    /// structs and "quoted strings"; anything else is a string) and prints the result.
    Call {
        /// Server URL, e.g. http://127.0.0.1:8000/
        url: String,
        /// Method name.
        method: String,
        /// Arguments.
        #[arg(allow_negative_numbers = true)]
        args: Vec<String>,
        /// Runtime that drives the sockets.
        #[arg(long, value_enum, default_value = "std")]
        runtime: RuntimeArg,
    },
    /// Lists the server's methods (system.listMethods).
    List {
        /// Server URL.
        url: String,
        /// Runtime that drives the sockets.
        #[arg(long, value_enum, default_value = "std")]
        runtime: RuntimeArg,
    },
    /// Sends several calls in one system.multicall, each given as 'METHOD ARG ...'; prints
    /// one result (or fault) per line.
    Multicall {
        /// Server URL.
        url: String,
        /// Calls, e.g. 'add 7 3' 'divide 7 0'.
        #[arg(required = true)]
        calls: Vec<String>,
        /// Runtime that drives the sockets.
        #[arg(long, value_enum, default_value = "std")]
        runtime: RuntimeArg,
    },
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Tcp {
            role,
            host,
            port,
            runtime,
        } => match role {
            Role::Server => tcp::sixteen_server(runtime.into(), &host, port),
            Role::Client => tcp::sixteen_client(runtime.into(), &host, port),
        },
        Command::Banner {
            role,
            host,
            port,
            runtime,
        } => match role {
            Role::Server => tcp::banner_server(runtime.into(), &host, port),
            Role::Client => tcp::banner_client(runtime.into(), &host, port),
        },
        Command::Http {
            command:
                HttpCommand::Serve {
                    dir,
                    port,
                    bind,
                    runtime,
                },
        } => http::serve(runtime.into(), &dir, &bind, port),
        Command::Xmlrpc {
            command:
                XmlrpcCommand::Serve {
                    port,
                    bind,
                    runtime,
                },
        } => xmlrpc::serve(runtime.into(), &bind, port),
        Command::Xmlrpc {
            command:
                XmlrpcCommand::Call {
                    url,
                    method,
                    args,
                    runtime,
                },
        } => xmlrpc::call(runtime.into(), &url, &method, &args),
        Command::Xmlrpc {
            command: XmlrpcCommand::List { url, runtime },
        } => xmlrpc::list(runtime.into(), &url),
        Command::Xmlrpc {
            command:
                XmlrpcCommand::Multicall {
                    url,
                    calls,
                    runtime,
                },
        } => xmlrpc::multicall(runtime.into(), &url, &calls),
        Command::Get {
            url,
            output,
            runtime,
        } => get::run(runtime.into(), &url, output.as_deref()),
        Command::Demo => demo::run(),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("netloom: {e}");
            ExitCode::FAILURE
        }
    }
}
