//! `netloom demo`: every program, end to end, over every runtime, on loopback.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use netloom::seed::{self, BannerServer, Logger, SixteenServer};
use netloom::{Runtime, ServerConfig};

use super::error::CliError;

/// Collects a server's lines so they print in order next to the client's.
fn collector() -> (Logger, Arc<Mutex<Vec<String>>>) {
    let lines = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&lines);
    let log: Logger = Arc::new(move |line| {
        if let Ok(mut l) = sink.lock() {
            l.push(line);
        }
    });
    (log, lines)
}

fn flush(side: &str, lines: &Mutex<Vec<String>>) {
    if let Ok(mut l) = lines.lock() {
        for line in l.drain(..) {
            println!("    {side}| {line}");
        }
    }
}

fn loopback() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

pub fn run() -> Result<(), CliError> {
    for runtime in Runtime::ALL {
        println!("=== runtime: {runtime} ===");
        sixteen(runtime)?;
        banner(runtime)?;
        http(runtime)?;
        xmlrpc(runtime)?;
        println!();
    }
    println!("demo complete: every program ran over std, mio and smol");
    Ok(())
}

fn sixteen(runtime: Runtime) -> Result<(), CliError> {
    println!("  16-octet exchange");
    let (log, lines) = collector();
    let server = runtime
        .spawn_tcp(loopback(), SixteenServer::new(log), ServerConfig::default())
        .map_err(|e| CliError::io("starting the 16-octet server", &e))?;
    let addr = server.local_addr();
    println!("    server| Listening at {addr}");
    let (local, reply) = runtime
        .exchange(&[addr], seed::CLIENT_MESSAGE, 16)
        .map_err(|e| CliError::io("16-octet client", &e))?;
    flush("server", &lines);
    println!("    client| Client has been assigned socket name {local}");
    println!("    client| The server said {}", seed::py_repr(&reply));
    server.shutdown();
    Ok(())
}

fn banner(runtime: Runtime) -> Result<(), CliError> {
    println!("  banner");
    let (log, lines) = collector();
    let server = runtime
        .spawn_tcp(loopback(), BannerServer::new(log), ServerConfig::default())
        .map_err(|e| CliError::io("starting the banner server", &e))?;
    let data = runtime
        .read_once(&[server.local_addr()], 1024)
        .map_err(|e| CliError::io("banner client", &e))?;
    flush("server", &lines);
    println!("    client| {}", seed::py_repr(&data));
    server.shutdown();
    Ok(())
}

fn http(runtime: Runtime) -> Result<(), CliError> {
    use std::io::Read;

    use netloom::http::client::ClientConfig;
    use netloom::static_files::StaticFiles;

    println!("  HTTP: static file server, urlopen and urlretrieve");
    let dir = std::env::temp_dir().join(format!("netloom-demo-{}-{runtime}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| CliError::io("creating the demo directory", &e))?;
    let text = "Hello from netloom's HTTP server.\n";
    std::fs::write(dir.join("hello.txt"), text)
        .map_err(|e| CliError::io("writing the demo file", &e))?;
    let result = (|| {
        let files =
            StaticFiles::new(&dir).map_err(|e| CliError::io("serving the demo directory", &e))?;
        let server = runtime
            .spawn_http(
                loopback(),
                files,
                ServerConfig::default(),
                Default::default(),
            )
            .map_err(|e| CliError::io("starting the HTTP server", &e))?;
        let url = format!("http://{}/hello.txt", server.local_addr());
        let client = runtime.http_client(ClientConfig::default());
        let mut resp = client
            .get(&url)
            .map_err(|e| CliError::msg(format!("GET {url}: {e}")))?;
        let mut body = String::new();
        resp.read_to_string(&mut body)
            .map_err(|e| CliError::io(&format!("reading {url}"), &e))?;
        println!(
            "    client| GET {url} -> {} {}, {} bytes: {:?}",
            resp.status(),
            resp.reason(),
            body.len(),
            body
        );
        let saved = dir.join("copy.txt");
        let n = client
            .retrieve(&url, &saved, |_, _| {})
            .map_err(|e| CliError::msg(format!("retrieving {url}: {e}")))?;
        if !std::fs::read(&saved).is_ok_and(|b| b == text.as_bytes()) {
            return Err(CliError::msg(
                "urlretrieve saved a file that differs from the served one",
            ));
        }
        println!(
            "    client| urlretrieve saved {n} bytes to a file, identical to the served one (removed after the demo)"
        );
        server.shutdown();
        Ok(())
    })();
    let _ = std::fs::remove_dir_all(&dir);
    result
}

fn xmlrpc(runtime: Runtime) -> Result<(), CliError> {
    use netloom::http::client::ClientConfig;
    use netloom::xmlrpc::proxy::ProxyOptions;
    use netloom::xmlrpc::{Multicall, Value};

    println!("  XML-RPC: the calculator, called with one multicall");
    let server = runtime
        .spawn_xmlrpc(loopback(), seed::calculator(), ServerConfig::default())
        .map_err(|e| CliError::io("starting the XML-RPC server", &e))?;
    let url = format!("http://{}/RPC2", server.local_addr());
    let proxy = runtime
        .xmlrpc_proxy(&url, ClientConfig::default(), ProxyOptions::default())
        .map_err(|e| CliError::msg(format!("{url}: {e}")))?;
    let mut batch = Multicall::new();
    for method in ["add", "subtract", "multiply", "divide"] {
        batch.call(method, vec![Value::Int(7), Value::Int(3)]);
    }
    let results = proxy
        .multicall(&batch)
        .map_err(|e| CliError::msg(format!("{url}: {e}")))?;
    let shown: Vec<String> = ["+", "-", "*", "//"]
        .iter()
        .zip(&results)
        .map(|(op, r)| match r {
            Ok(Value::Int(v)) => format!("7{op}3={v}"),
            Ok(other) => format!("7{op}3={other:?}"),
            Err(f) => format!("7{op}3 failed: {}", f.string),
        })
        .collect();
    println!("    client| {}", shown.join(", "));
    let methods = proxy
        .list_methods()
        .map_err(|e| CliError::msg(format!("{url}: {e}")))?;
    println!("    client| system.listMethods: {}", methods.join(", "));
    server.shutdown();
    Ok(())
}
