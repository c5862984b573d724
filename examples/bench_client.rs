//! HTTP client load: N GETs of one URL, sequential on one keep-alive connection
//! (`--concurrency 1`) or from C callers at once, with each runtime's own client API; prints
//! requests per second. The anchor programs (ureq, reqwest) in `bench/anchors` do the same;
//! `bench/client.sh` runs them all against one local server in one run.
//!
//! `cargo run --release --example bench_client -- --runtime mio --url http://127.0.0.1:8080/ --requests 100000 --concurrency 1`
use std::time::Instant;

fn arg(argv: &[String], flag: &str, default: &str) -> String {
    argv.iter()
        .position(|a| a == flag)
        .and_then(|i| argv.get(i + 1))
        .cloned()
        .unwrap_or_else(|| default.to_owned())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let argv: Vec<String> = std::env::args().collect();
    let runtime = arg(&argv, "--runtime", "std");
    let url = arg(&argv, "--url", "http://127.0.0.1:8080/");
    let requests: usize = arg(&argv, "--requests", "100000").parse()?;
    let callers: usize = arg(&argv, "--concurrency", "1").parse::<usize>()?.max(1);
    let per_caller = requests / callers;
    let started = Instant::now();
    match runtime.as_str() {
        "std" => {
            let client = netloom::runtime::std::http_client::Client::new();
            std::thread::scope(|s| {
                for _ in 0..callers {
                    let (client, url) = (client.clone(), &url);
                    s.spawn(move || {
                        for _ in 0..per_caller {
                            let mut resp = client.get(url).expect("GET");
                            resp.bytes().expect("body");
                        }
                    });
                }
            });
        }
        "mio" => {
            // One event-loop thread carries every caller's fetches.
            let client = netloom::runtime::mio::http_client::Client::new();
            std::thread::scope(|s| {
                for _ in 0..callers {
                    let (client, url) = (client.clone(), &url);
                    s.spawn(move || {
                        for _ in 0..per_caller {
                            let mut resp = client.get(url).expect("GET");
                            resp.bytes().expect("body");
                        }
                    });
                }
            });
        }
        "smol" => {
            // Every caller a task, on an executor run by two threads (as reqwest's runtime).
            let client = netloom::runtime::smol::http_client::Client::new();
            let ex = smol::Executor::new();
            let (stop, stopped) = smol::channel::unbounded::<()>();
            std::thread::scope(|s| {
                s.spawn(|| smol::block_on(ex.run(stopped.recv())));
                smol::block_on(ex.run(async {
                    let tasks: Vec<_> = (0..callers)
                        .map(|_| {
                            let (client, url) = (client.clone(), url.clone());
                            ex.spawn(async move {
                                for _ in 0..per_caller {
                                    let mut resp = client.get(&url).await.expect("GET");
                                    resp.bytes().await.expect("body");
                                }
                            })
                        })
                        .collect();
                    for t in tasks {
                        t.await;
                    }
                }));
                drop(stop);
            });
        }
        other => return Err(format!("unknown runtime {other}").into()),
    }
    let secs = started.elapsed().as_secs_f64();
    let done = per_caller * callers;
    println!(
        "{:.0} requests/s ({done} in {secs:.2} s)",
        done as f64 / secs
    );
    Ok(())
}
