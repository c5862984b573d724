//! The minimal banner server and client.
//! `cargo run -p netloom-std --example std_banner -- server|client [HOST] [PORT]`
use std::io::{Read, Write};
use std::net::TcpListener;

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let host = args.get(2).map_or("127.0.0.1", |s| s.as_str());
    let port: u16 = args.get(3).and_then(|p| p.parse().ok()).unwrap_or(1234);
    if args.get(1).map(String::as_str) == Some("server") {
        let listener = TcpListener::bind((host, port))?;
        loop {
            let (mut c, addr) = listener.accept()?;
            println!("Got connection from {addr}");
            let _ = c.write_all(b"Thank you for connecting");
        }
    } else {
        let mut s = netloom_std::tcp::connect((host, port))?;
        let mut buf = [0u8; 1024];
        let n = s.read(&mut buf)?;
        println!("{}", String::from_utf8_lossy(&buf[..n]));
        Ok(())
    }
}
