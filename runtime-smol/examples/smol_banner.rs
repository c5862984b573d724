//! The minimal banner server and client, with async-io.
//! `cargo run -p netloom-smol --example smol_banner -- server|client [HOST] [PORT]`
use futures_lite::{AsyncReadExt, AsyncWriteExt};
use smol::net::TcpListener;

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let host = args.get(2).cloned().unwrap_or_else(|| "127.0.0.1".into());
    let port: u16 = args.get(3).and_then(|p| p.parse().ok()).unwrap_or(1234);
    smol::block_on(async {
        if args.get(1).map(String::as_str) == Some("server") {
            let listener = TcpListener::bind((host.as_str(), port)).await?;
            loop {
                let (mut c, addr) = listener.accept().await?;
                println!("Got connection from {addr}");
                let _ = c.write_all(b"Thank you for connecting").await;
            }
        } else {
            let mut s = netloom_smol::tcp::connect((host.as_str(), port)).await?;
            let mut buf = [0u8; 1024];
            let n = s.read(&mut buf).await?;
            println!("{}", String::from_utf8_lossy(&buf[..n]));
            Ok(())
        }
    })
}
