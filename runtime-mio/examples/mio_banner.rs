//! The minimal banner server and client, on one mio event loop.
//! `cargo run -p netloom-mio --example mio_banner -- server|client [HOST] [PORT]`
use netloom_core::frame::{ConnInfo, FixedDecoder, Reply, Service};
use netloom_mio::tcp::{self, Server};

struct Banner;

impl Service for Banner {
    type Decoder = FixedDecoder;
    fn decoder(&self) -> FixedDecoder {
        FixedDecoder::new(1)
    }
    fn on_connect(&self, c: &ConnInfo) -> Reply {
        println!("Got connection from {}", c.peer);
        Reply::SendAndClose(b"Thank you for connecting".to_vec())
    }
    fn on_frame(&self, _: &ConnInfo, _: Vec<u8>) -> Reply {
        Reply::Close
    }
}

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let host = args.get(2).map_or("127.0.0.1", |s| s.as_str());
    let port: u16 = args.get(3).and_then(|p| p.parse().ok()).unwrap_or(1234);
    if args.get(1).map(String::as_str) == Some("server") {
        Server::bind((host, port), Banner)?.run()
    } else {
        let mut s = tcp::connect((host, port))?;
        let mut buf = [0u8; 1024];
        let n = s.read(&mut buf)?;
        println!("{}", String::from_utf8_lossy(&buf[..n]));
        Ok(())
    }
}
