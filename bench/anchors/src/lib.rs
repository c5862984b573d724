//! Shared command-line handling for the anchor servers.

/// Parsed `--port P [--threads N]` options.
pub struct Opts {
    pub port: u16,
    /// 0 selects tokio's current_thread runtime; N > 0 a multi-thread runtime with N workers.
    pub threads: usize,
}

/// Parses `--port P` (required) and `--threads N` (default `default_threads`).
pub fn parse_args(default_threads: usize) -> Opts {
    let mut port = None;
    let mut threads = default_threads;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let value = args.next();
        match (arg.as_str(), value) {
            ("--port", Some(v)) => port = Some(v.parse().expect("--port takes a number")),
            ("--threads", Some(v)) => threads = v.parse().expect("--threads takes a number"),
            (other, _) => {
                eprintln!("usage: {} --port P [--threads N]  (unknown or incomplete: {other})",
                    std::env::args().next().unwrap_or_default());
                std::process::exit(2);
            }
        }
    }
    let Some(port) = port else {
        eprintln!("--port P is required");
        std::process::exit(2);
    };
    Opts { port, threads }
}

/// Builds the tokio runtime selected by `threads`.
pub fn runtime(threads: usize) -> tokio::runtime::Runtime {
    let mut builder = if threads == 0 {
        tokio::runtime::Builder::new_current_thread()
    } else {
        let mut b = tokio::runtime::Builder::new_multi_thread();
        b.worker_threads(threads);
        b
    };
    builder.enable_io().build().expect("tokio runtime")
}
