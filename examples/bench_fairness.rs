//! Fairness under heavy calls: a flood of huge gzipped multicalls against an XML-RPC server,
//! and the latency of ordinary `add` calls meanwhile. For `bench/run.sh fairness`.
//!
//! ```text
//! cargo run --release --example bench_fairness -- --port 8000 [--seconds 10] [--heavy 4]
//!     [--calls 90000] [--rate 200]
//! ```
//!
//! `--heavy` clients each send, back to back on one keep-alive connection, a gzipped
//! `system.multicall` of `--calls` `add(7, 3)` calls (90,000 by default: 19 MiB inflated, just
//! under the 20 MiB CPython and netloom inflate a request to; about 210 KB gzipped at the fast
//! level) with `Accept-Encoding: gzip`, as Python's `ServerProxy` does with an encode
//! threshold. Meanwhile `add(7, 3)` calls go out on a fixed schedule (`--rate` per
//! second, over four connections); each call's latency runs from the moment it was due, so a
//! call held up behind a stall counts in full (no coordinated omission). Prints one line:
//!
//! `fairness: add p50 0.21 ms p99 0.90 ms max 3.10 ms (2000 calls, 0 failed, 0 unsent); heavy 1.9/s (19 in 10.0 s, 0 failed)`
//!
//! Calls still not sent two seconds after the end (held up behind a server that is not
//! fair) count as waiting until then, and as unsent.
//!
//! Only 127.0.0.1 is targeted; everything stops by itself after `--seconds`.
use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use netloom::http::content_coding;

const ADD: &str = "<?xml version='1.0'?>\n<methodCall>\n<methodName>add</methodName>\n<params>\n<param>\n<value><int>7</int></value>\n</param>\n<param>\n<value><int>3</int></value>\n</param>\n</params>\n</methodCall>\n";

/// How many connections carry the scheduled `add` calls (a call that is held up does not
/// hold up the schedule of the others).
const ADD_CONNECTIONS: u32 = 4;
/// How long past the end of the run a held-up `add` is still waited for.
const GIVE_UP: Duration = Duration::from_secs(2);

fn multicall(calls: usize) -> Vec<u8> {
    let one = "<value><struct><member><name>methodName</name><value>add</value></member><member><name>params</name><value><array><data><value><int>7</int></value><value><int>3</int></value></data></array></value></member></struct></value>";
    let mut xml = String::with_capacity(one.len() * calls + 200);
    xml.push_str("<?xml version='1.0'?><methodCall><methodName>system.multicall</methodName><params><param><value><array><data>");
    for _ in 0..calls {
        xml.push_str(one);
    }
    xml.push_str("</data></array></value></param></params></methodCall>");
    xml.into_bytes()
}

fn request(port: u16, body: &[u8], gzipped: bool) -> Vec<u8> {
    let mut head = format!(
        "POST /RPC2 HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: text/xml\r\nUser-Agent: bench_fairness\r\nContent-Length: {}\r\n",
        body.len()
    );
    if gzipped {
        head.push_str("Content-Encoding: gzip\r\nAccept-Encoding: gzip\r\n");
    }
    head.push_str("\r\n");
    let mut r = head.into_bytes();
    r.extend_from_slice(body);
    r
}

/// Sends `req` and reads one response: its status and body.
fn call(stream: &mut TcpStream, req: &[u8], buf: &mut Vec<u8>) -> io::Result<(u16, Vec<u8>)> {
    stream.write_all(req)?;
    buf.clear();
    let mut chunk = [0u8; 64 * 1024];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let n = stream.read(&mut chunk)?;
        if n == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let len: usize = head
        .lines()
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse().ok())?
        })
        .ok_or_else(|| io::Error::other("no Content-Length"))?;
    let mut body = buf[head_end..].to_vec();
    while body.len() < len {
        let n = stream.read(&mut chunk)?;
        if n == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        body.extend_from_slice(&chunk[..n]);
    }
    body.truncate(len);
    Ok((status, body))
}

fn connect(port: u16) -> io::Result<TcpStream> {
    let s = TcpStream::connect(("127.0.0.1", port))?;
    s.set_nodelay(true)?;
    s.set_read_timeout(Some(Duration::from_secs(30)))?;
    Ok(s)
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i].as_secs_f64() * 1000.0
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let argv: Vec<String> = std::env::args().collect();
    let value = |flag: &str, default: u64| -> u64 {
        argv.iter()
            .position(|a| a == flag)
            .and_then(|i| argv.get(i + 1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let port = u16::try_from(value("--port", 8000))?;
    let seconds = value("--seconds", 10);
    let heavy = value("--heavy", 4) as usize;
    let calls = value("--calls", 90_000) as usize;
    let rate = value("--rate", 200).max(1);

    let xml = multicall(calls);
    let gz = content_coding::gzip(&xml);
    eprintln!(
        "bench_fairness: {heavy} clients x multicall of {calls} calls ({} bytes gzipped, {} inflated); add at {rate}/s for {seconds} s on 127.0.0.1:{port}",
        gz.len(),
        xml.len()
    );
    let heavy_req = Arc::new(request(port, &gz, true));
    drop(xml);
    let add_req = Arc::new(request(port, ADD.as_bytes(), false));

    // One heavy call first, checked: the server answers it as a multicall of results.
    {
        let mut s = connect(port)?;
        let (status, body) = call(&mut s, &heavy_req, &mut Vec::new())?;
        let xml =
            content_coding::decode(content_coding::Coding::Gzip, &body, 1 << 30).unwrap_or(body);
        let results = xml.windows(13).filter(|w| w == b"<int>10</int>").count();
        if status != 200 || results != calls {
            return Err(format!("heavy call: status {status}, {results} results").into());
        }
    }

    let stop = Arc::new(AtomicBool::new(false));
    let start = Instant::now();
    let end = start + Duration::from_secs(seconds);
    let heavies: Vec<_> = (0..heavy)
        .map(|_| {
            let (req, stop) = (Arc::clone(&heavy_req), Arc::clone(&stop));
            thread::spawn(move || {
                let (mut done, mut failed, mut buf) = (0u64, 0u64, Vec::new());
                let mut stream = connect(port).ok();
                while !stop.load(Ordering::Relaxed) {
                    let Some(s) = stream.as_mut() else {
                        failed += 1;
                        thread::sleep(Duration::from_millis(10));
                        stream = connect(port).ok();
                        continue;
                    };
                    match call(s, &req, &mut buf) {
                        Ok((200, _)) if Instant::now() <= end => done += 1,
                        Ok((200, _)) => {}
                        _ => {
                            failed += 1;
                            stream = connect(port).ok();
                        }
                    }
                }
                (done, failed)
            })
        })
        .collect();

    // The scheduled adds: connection k takes calls k, k + N, k + 2N, ...
    let interval = Duration::from_secs_f64(1.0 / rate as f64);
    let adds: Vec<_> = (0..ADD_CONNECTIONS)
        .map(|k| {
            let req = Arc::clone(&add_req);
            thread::spawn(move || {
                let (mut lat, mut failed, mut buf) = (Vec::new(), 0u64, Vec::new());
                let mut unsent = 0u64;
                let mut stream = connect(port).ok();
                let mut i = k;
                loop {
                    let due = start + interval * i;
                    if due >= end {
                        break;
                    }
                    if let Some(wait) = due.checked_duration_since(Instant::now()) {
                        thread::sleep(wait);
                    }
                    if Instant::now() > end + GIVE_UP {
                        // Held up so long that the run is over: what is left of the schedule
                        // counts as waiting until now (a lower bound), unsent.
                        let now = Instant::now();
                        while start + interval * i < end {
                            lat.push(now - (start + interval * i));
                            unsent += 1;
                            i += ADD_CONNECTIONS;
                        }
                        break;
                    }
                    i += ADD_CONNECTIONS;
                    let answered = match stream.as_mut() {
                        Some(s) => call(s, &req, &mut buf),
                        None => Err(io::ErrorKind::NotConnected.into()),
                    };
                    match answered {
                        Ok((200, body)) if body.windows(13).any(|w| w == b"<int>10</int>") => {
                            lat.push(Instant::now() - due)
                        }
                        _ => {
                            failed += 1;
                            stream = connect(port).ok();
                        }
                    }
                }
                (lat, failed, unsent)
            })
        })
        .collect();

    let (mut lat, mut add_failed, mut unsent) = (Vec::new(), 0, 0);
    for t in adds {
        let (l, f, u) = t.join().map_err(|_| "add thread panicked")?;
        lat.extend(l);
        add_failed += f;
        unsent += u;
    }
    let elapsed = start.elapsed().min(Duration::from_secs(seconds));
    stop.store(true, Ordering::Relaxed);
    let (mut heavy_done, mut heavy_failed) = (0, 0);
    for t in heavies {
        let (d, f) = t.join().map_err(|_| "heavy thread panicked")?;
        heavy_done += d;
        heavy_failed += f;
    }
    lat.sort_unstable();
    println!(
        "fairness: add p50 {:.2} ms p99 {:.2} ms max {:.2} ms ({} calls, {add_failed} failed, {unsent} unsent); heavy {:.2}/s ({heavy_done} in {:.1} s, {heavy_failed} failed)",
        percentile(&lat, 0.50),
        percentile(&lat, 0.99),
        lat.last().map_or(f64::NAN, |d| d.as_secs_f64() * 1000.0),
        lat.len(),
        heavy_done as f64 / elapsed.as_secs_f64(),
        elapsed.as_secs_f64(),
    );
    Ok(())
}
