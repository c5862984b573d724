//! The reqwest anchor of bench/client.sh: N GETs, sequential (`--concurrency 1`) or from C
//! tasks sharing one client on a tokio runtime with 2 workers; prints requests per second.
use std::time::Instant;

fn arg(argv: &[String], flag: &str, default: &str) -> String {
    argv.iter()
        .position(|a| a == flag)
        .and_then(|i| argv.get(i + 1))
        .cloned()
        .unwrap_or_else(|| default.to_owned())
}

fn main() {
    let argv: Vec<String> = std::env::args().collect();
    let url = arg(&argv, "--url", "http://127.0.0.1:8080/");
    let requests: usize = arg(&argv, "--requests", "100000").parse().unwrap();
    let callers: usize = arg(&argv, "--concurrency", "1").parse::<usize>().unwrap().max(1);
    let per_caller = requests / callers;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(callers.max(8))
        .build()
        .unwrap();
    let started = Instant::now();
    rt.block_on(async {
        let tasks: Vec<_> = (0..callers)
            .map(|_| {
                let (client, url) = (client.clone(), url.clone());
                tokio::spawn(async move {
                    for _ in 0..per_caller {
                        let resp = client.get(&url).send().await.expect("GET");
                        resp.bytes().await.expect("body");
                    }
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
    });
    let secs = started.elapsed().as_secs_f64();
    let done = per_caller * callers;
    println!("{:.0} requests/s ({done} in {secs:.2} s)", done as f64 / secs);
}
