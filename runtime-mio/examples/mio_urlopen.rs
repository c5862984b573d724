//! The seed's `urlopen` / `urlretrieve` on the mio client.
//!
//! ```sh
//! cargo run -p netloom-mio --example mio_urlopen -- http://127.0.0.1:8000/        # body to stdout
//! cargo run -p netloom-mio --example mio_urlopen -- http://127.0.0.1:8000/f out   # save to a file
//! ```

use std::io::{self, Write};
use std::process::ExitCode;

use netloom_mio::http_client;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.as_slice() {
        [url] => http_client::get(url).and_then(|mut resp| {
            eprintln!("{} {} ({})", resp.status(), resp.reason(), resp.url());
            io::copy(&mut resp, &mut io::stdout().lock())
                .map(|_| ())
                .map_err(|e| http_client::ClientError::from_io(e, http_client::Waiting::Read))
        }),
        [url, path] => http_client::retrieve(url, path, |_, _| {}).map(|n| {
            eprintln!("saved {n} bytes to {path}");
        }),
        _ => {
            eprintln!("usage: mio_urlopen URL [FILE]");
            return ExitCode::FAILURE;
        }
    };
    let _ = io::stdout().flush();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("mio_urlopen: {e}");
            ExitCode::FAILURE
        }
    }
}
