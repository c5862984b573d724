//! The ureq 3 anchor of bench/client.sh: N GETs, sequential (`--concurrency 1`) or from C
//! threads sharing one agent; prints requests per second.
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
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .max_idle_connections_per_host(callers.max(8))
        .build()
        .into();
    let started = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..callers {
            let (agent, url) = (agent.clone(), &url);
            s.spawn(move || {
                for _ in 0..per_caller {
                    let mut resp = agent.get(url).call().expect("GET");
                    resp.body_mut().read_to_vec().expect("body");
                }
            });
        }
    });
    let secs = started.elapsed().as_secs_f64();
    let done = per_caller * callers;
    println!("{:.0} requests/s ({done} in {secs:.2} s)", done as f64 / secs);
}
