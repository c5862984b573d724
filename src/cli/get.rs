//! `netloom get URL [-o FILE]`: the seed's `urlopen` and `urlretrieve` on the command line.

use std::io::{self, IsTerminal, Read, Write};
use std::path::Path;
use std::time::{Duration, Instant};

use indicatif::{HumanBytes, ProgressBar, ProgressStyle};
use netloom::http::client::{is_success, ClientConfig, ClientError, Waiting};
use netloom::Runtime;

use super::error::CliError;

/// Fetches `url` on `runtime`: the body to stdout, or to `output` (with a progress bar when
/// stderr is a terminal, one plain line otherwise).
pub fn run(runtime: Runtime, url: &str, output: Option<&Path>) -> Result<(), CliError> {
    let fail = |e: ClientError| CliError::msg(format!("GET {url}: {e}"));
    let config = ClientConfig::default();
    match output {
        None => to_stdout(runtime, url, config).map_err(fail),
        Some(path) => to_file(runtime, url, path, config).map_err(fail),
    }
}

fn to_stdout(runtime: Runtime, url: &str, config: ClientConfig) -> Result<(), ClientError> {
    let mut resp = runtime.get(url, config)?;
    if !is_success(resp.status()) {
        return Err(ClientError::Status {
            code: resp.status(),
            reason: resp.reason().to_owned(),
        });
    }
    let mut out = io::stdout().lock();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = resp
            .read(&mut buf)
            .map_err(|e| ClientError::from_io(e, Waiting::Read))?;
        if n == 0 {
            break;
        }
        if let Err(e) = out.write_all(&buf[..n]) {
            return stdout_error(e);
        }
    }
    match out.flush() {
        Ok(()) => Ok(()),
        Err(e) => stdout_error(e),
    }
}

/// A reader that went away (`netloom get URL | head`) is not a failure.
fn stdout_error(e: io::Error) -> Result<(), ClientError> {
    if e.kind() == io::ErrorKind::BrokenPipe {
        return Ok(());
    }
    Err(ClientError::Io(io::Error::new(
        e.kind(),
        format!("cannot write to stdout: {e}"),
    )))
}

fn to_file(
    runtime: Runtime,
    url: &str,
    path: &Path,
    config: ClientConfig,
) -> Result<(), ClientError> {
    let interactive = io::stderr().is_terminal();
    let mut bar: Option<ProgressBar> = None;
    let start = Instant::now();
    let result = runtime.retrieve(url, path, config, |done, total| {
        if !interactive {
            return;
        }
        let bar = bar.get_or_insert_with(|| new_bar(total));
        bar.set_position(done);
    });
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let bytes = result?;
    let secs = start.elapsed().as_secs_f64();
    let rate = if secs > 0.0 {
        format!(", {}/s", HumanBytes((bytes as f64 / secs) as u64))
    } else {
        String::new()
    };
    eprintln!(
        "saved {bytes} bytes ({}) to {} in {secs:.2} s{rate}",
        HumanBytes(bytes),
        path.display()
    );
    Ok(())
}

fn new_bar(total: Option<u64>) -> ProgressBar {
    let (bar, template) = match total {
        Some(len) => (
            ProgressBar::new(len),
            "{bar:40.cyan/blue} {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
        ),
        None => (
            ProgressBar::new_spinner(),
            "{spinner} {bytes} {bytes_per_sec} {elapsed}",
        ),
    };
    if let Ok(style) = ProgressStyle::with_template(template) {
        bar.set_style(style);
    }
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}
