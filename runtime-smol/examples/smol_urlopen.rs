//! The seed's `urlopen` / `urlretrieve` on the async smol client.
//!
//! ```sh
//! cargo run -p netloom-smol --example smol_urlopen -- http://127.0.0.1:8000/        # body to stdout
//! cargo run -p netloom-smol --example smol_urlopen -- http://127.0.0.1:8000/f out   # save to a file
//! ```

use std::process::ExitCode;

use futures_lite::AsyncReadExt;
use netloom_smol::http_client::{self, ClientError, Waiting};

async fn run(args: &[String]) -> Result<(), ClientError> {
    match args {
        [url] => {
            let mut resp = http_client::get(url).await?;
            eprintln!("{} {} ({})", resp.status(), resp.reason(), resp.url());
            let mut buf = vec![0u8; 64 * 1024];
            loop {
                let n = resp
                    .read(&mut buf)
                    .await
                    .map_err(|e| ClientError::from_io(e, Waiting::Read))?;
                if n == 0 {
                    return Ok(());
                }
                use std::io::Write;
                std::io::stdout()
                    .write_all(&buf[..n])
                    .map_err(ClientError::Io)?;
            }
        }
        [url, path] => {
            let n = http_client::retrieve(url, path, |_, _| {}).await?;
            eprintln!("saved {n} bytes to {path}");
            Ok(())
        }
        _ => Err(ClientError::InvalidUrl(
            "usage: smol_urlopen URL [FILE]".into(),
        )),
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match smol::block_on(run(&args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("smol_urlopen: {e}");
            ExitCode::FAILURE
        }
    }
}
