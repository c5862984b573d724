//! netloom's core served on tokio, a loop that is not ours: everything a server needs beyond
//! moving bytes (keep-alive, pipelining, the slowloris and idle cut-offs, never-reading
//! clients, the connection bound, lingering close, graceful shutdown) comes from
//! `netloom_core::serve`; the glue between the two markers below only moves bytes and sleeps.
//!
//! ```text
//! cargo run -p netloom-core --example embed_tokio -- --port 8080            # hello netloom
//! cargo run -p netloom-core --example embed_tokio -- --port 8000 --xmlrpc   # the calculator
//!     [--idle-timeout-ms N] [--request-timeout-ms N] [--write-timeout-ms N]
//!     [--shutdown-grace-ms N] [--max-connections N]
//!     [--tls-cert CERT.pem --tls-key KEY.pem]                            # with the `tls` feature
//! ```
//! Ctrl-C (SIGINT) shuts down gracefully: requests in flight finish, then it exits.

use std::sync::Arc;
use std::task::Waker;
use std::time::{Duration, Instant, SystemTime};

use netloom_core::frame::ConnInfo;
use netloom_core::http::server::{Handler, HttpService, IncomingRequest, OutgoingResponse};
use netloom_core::http::Limits;
use netloom_core::serve::{Acceptor, Admit, Next, Served};
use netloom_core::xmlrpc::http::XmlRpcHandler;
use netloom_core::xmlrpc::{Dispatcher, Fault};
use netloom_core::{Duplex, Now, ServerConfig};
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::time::sleep_until;

// ---- glue: begin ----
fn now() -> Now {
    Now::new(Instant::now(), SystemTime::now())
}

/// Sleeps until `deadline`, or forever.
async fn until(deadline: Option<Instant>) {
    match deadline {
        Some(d) => sleep_until(d.into()).await,
        None => std::future::pending().await,
    }
}

async fn serve<H: Handler + Send + Sync + 'static>(l: TcpListener, c: ServerConfig, h: Arc<H>) {
    let (service, tls) = (
        HttpService::new(h, Limits::default(), &c, false),
        c.tls_acceptor(),
    );
    let mut acceptor = Acceptor::new(&c, now());
    let bound = Arc::clone(acceptor.admission());
    let mut stop = std::pin::pin!(tokio::signal::ctrl_c());
    loop {
        if let Err(deadline) = acceptor.poll_accept(now(), Waker::noop()) {
            tokio::select! { _ = acceptor.ready(now()) => {}, _ = until(deadline) => {} }
            continue;
        }
        let (stream, peer) = tokio::select! {
            accepted = l.accept() => match accepted.map_err(|e| acceptor.failed(e, now())) {
                Ok(pair) => pair,
                Err(Ok(_)) => continue,
                Err(Err(_)) => break,
            },
            _ = &mut stop => break,
        };
        let (Admit::Admitted { ticket, .. }, Ok(local)) =
            (acceptor.accepted(now()), stream.local_addr())
        else {
            continue;
        };
        let _ = stream.set_nodelay(c.nodelay);
        let conn = tls.wrap(service.connection(ConnInfo {
            local: local.into(),
            peer: peer.into(),
        }));
        tokio::spawn(drive(Served::new(conn, &c, Some(ticket), now()), stream));
    }
    bound.begin_shutdown();
    if tokio::time::timeout(c.shutdown_grace, bound.empty())
        .await
        .is_err()
    {
        bound.abort_all();
        let _ = tokio::time::timeout(Duration::from_millis(100), bound.empty()).await;
    }
}

async fn drive<C: Duplex + Send + 'static>(mut served: Served<C>, mut stream: TcpStream) {
    let (mut buf, mut job) = (
        vec![0u8; 16 * 1024],
        None::<tokio::task::JoinHandle<C::Done>>,
    );
    loop {
        let next = served.next(now());
        let (deadline, kicked) = (served.poll_timeout(), served.kicked());
        let now_only = matches!(next, Next::Run(_) | Next::ShutdownWrite | Next::Close);
        tokio::select! {
            biased;
            _ = async {}, if now_only => match next {
                Next::Run(work) => job = Some(tokio::task::spawn_blocking(move || work.run())),
                Next::ShutdownWrite => drop(stream.shutdown().await),
                _ => return,
            },
            r = stream.writable(), if matches!(next, Next::Write) => {
                served.on_write(now(), r.and_then(|()| stream.try_write(served.transmit())));
            }
            r = stream.readable(), if matches!(next, Next::Read) => {
                served.on_read(now(), r.and_then(|()| stream.try_read(&mut buf)), &buf);
            }
            done = async { job.as_mut().expect("a job is out").await }, if job.is_some() => {
                job = None;
                served.on_job(now(), done.ok());
            }
            _ = until(deadline) => served.handle_timeout(now()),
            _ = async { if let Some(k) = kicked { k.await } }, if kicked.is_some() => {}
        }
    }
}
// ---- glue: end ----

/// The tour's calculator, with `//` for divide as CPython's `SimpleXMLRPCServer` example.
fn calculator() -> Dispatcher {
    let mut calc = Dispatcher::new();
    calc.register("add", |a: i32, b: i32| {
        a.checked_add(b).ok_or_else(overflow)
    });
    calc.register("subtract", |a: i32, b: i32| {
        a.checked_sub(b).ok_or_else(overflow)
    });
    calc.register("multiply", |a: i32, b: i32| {
        a.checked_mul(b).ok_or_else(overflow)
    });
    calc.register("divide", |a: i32, b: i32| {
        if b == 0 {
            return Err(Fault::exception(
                "ZeroDivisionError",
                "integer division or modulo by zero",
            ));
        }
        floor_div(a, b).ok_or_else(overflow)
    });
    calc.enable_multicall().enable_introspection();
    calc
}

/// Python's `a // b` (rounds towards negative infinity).
fn floor_div(a: i32, b: i32) -> Option<i32> {
    let q = a.checked_div(b)?;
    Some(if (a % b != 0) && ((a < 0) != (b < 0)) {
        q - 1
    } else {
        q
    })
}

fn overflow() -> Fault {
    Fault::exception("OverflowError", "int exceeds XML-RPC limits")
}

fn hello(_: IncomingRequest) -> OutgoingResponse {
    OutgoingResponse::text(200, "hello netloom\n")
}

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let (mut port, mut xmlrpc, mut config) = (8080u16, false, ServerConfig::default());
    let (mut tls_cert, mut tls_key) = (None, None);
    while let Some(arg) = args.next() {
        let mut number = |name: &str| -> std::io::Result<u64> {
            let v = args.next().unwrap_or_default();
            v.parse()
                .map_err(|_| std::io::Error::other(format!("{name} takes a number, not {v:?}")))
        };
        match arg.as_str() {
            "--port" => port = u16::try_from(number("--port")?).map_err(std::io::Error::other)?,
            "--xmlrpc" => xmlrpc = true,
            "--idle-timeout-ms" => config.idle_timeout = Duration::from_millis(number(&arg)?),
            "--request-timeout-ms" => config.request_timeout = Duration::from_millis(number(&arg)?),
            "--write-timeout-ms" => config.write_timeout = Duration::from_millis(number(&arg)?),
            "--shutdown-grace-ms" => config.shutdown_grace = Duration::from_millis(number(&arg)?),
            "--max-connections" => config.max_connections = number(&arg)? as usize,
            "--tls-cert" => tls_cert = args.next(),
            "--tls-key" => tls_key = args.next(),
            other => return Err(std::io::Error::other(format!("unknown argument {other:?}"))),
        }
    }
    if let (Some(cert), Some(key)) = (tls_cert, tls_key) {
        #[cfg(feature = "tls")]
        {
            let (cert, key) = (std::fs::read(cert)?, std::fs::read(key)?);
            let tls = netloom_core::tls::TlsServerConfig::from_pem(&cert, &key);
            config.tls = Some(tls.map_err(std::io::Error::other)?);
        }
        #[cfg(not(feature = "tls"))]
        return Err(std::io::Error::other(format!(
            "--tls-cert {cert} --tls-key {key}: build with --features tls"
        )));
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let listener = TcpListener::bind(("127.0.0.1", port)).await?;
        println!("listening on {}", listener.local_addr()?);
        if xmlrpc {
            serve(
                listener,
                config,
                Arc::new(XmlRpcHandler::new(Arc::new(calculator()))),
            )
            .await;
        } else {
            serve(listener, config, Arc::new(hello)).await;
        }
        Ok(())
    })
}
