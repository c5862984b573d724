//! hyper 1.x HTTP/1.1 hello-world server: answers `Hello, world!` to any request, keep-alive on.
//! Listens on 127.0.0.1 only. With `--tls-cert CERT.pem --tls-key KEY.pem` it serves HTTPS
//! through tokio-rustls (*ring*, ALPN `http/1.1`), the same handler behind the handshake.

use std::convert::Infallible;

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

async fn hello(_req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    Ok(Response::new(Full::new(Bytes::from_static(b"Hello, world!"))))
}

fn main() {
    let opts = netloom_bench_anchors::parse_args(DEFAULT_THREADS);
    netloom_bench_anchors::runtime(opts.threads).block_on(async move {
        let listener = TcpListener::bind(("127.0.0.1", opts.port)).await.expect("bind");
        let tls = match (&opts.tls_cert, &opts.tls_key) {
            (Some(cert), Some(key)) => Some(tokio_rustls::TlsAcceptor::from(
                netloom_bench_anchors::tls_server_config(cert, key),
            )),
            _ => None,
        };
        loop {
            let (stream, _) = match listener.accept().await {
                Ok(conn) => conn,
                Err(e) => {
                    eprintln!("accept: {e}");
                    continue;
                }
            };
            let _ = stream.set_nodelay(true);
            let tls = tls.clone();
            tokio::spawn(async move {
                let mut http = http1::Builder::new();
                http.keep_alive(true);
                match tls {
                    None => {
                        let _ = http
                            .serve_connection(TokioIo::new(stream), service_fn(hello))
                            .await;
                    }
                    // The handshake runs on the connection's own task, as hyper-rustls and
                    // axum-server do, so one slow client does not hold the accept loop.
                    Some(acceptor) => {
                        let Ok(stream) = acceptor.accept(stream).await else {
                            return;
                        };
                        let _ = http
                            .serve_connection(TokioIo::new(stream), service_fn(hello))
                            .await;
                    }
                }
            });
        }
    });
}

/// Worker threads by default (0 = current_thread); see bench/README.md for how it was chosen.
const DEFAULT_THREADS: usize = 2;
