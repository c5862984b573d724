//! Simple TCP client and server that send and receive 16 octets, on one mio event loop.
//! `cargo run -p netloom-mio --example mio_tcp_sixteen -- server|client [HOST] [PORT]`
use netloom_core::frame::{ConnInfo, FixedDecoder, FrameError, Reply, Service};
use netloom_mio::tcp::{self, Server};

struct Sixteen;

impl Service for Sixteen {
    type Decoder = FixedDecoder;
    fn decoder(&self) -> FixedDecoder {
        FixedDecoder::new(16)
    }
    fn on_connect(&self, c: &ConnInfo) -> Reply {
        println!("We have accepted a connection from {}", c.peer);
        println!("  Socket name: {}\n  Socket peer: {}", c.local, c.peer);
        Reply::Nothing
    }
    fn on_frame(&self, _: &ConnInfo, message: Vec<u8>) -> Reply {
        println!(
            "  Incoming sixteen-octet message: {:?}",
            String::from_utf8_lossy(&message)
        );
        println!("  Reply sent, socket closed");
        Reply::SendAndClose(b"Farewell, client".to_vec())
    }
    fn on_error(&self, _: &ConnInfo, e: &FrameError) {
        println!("  Error: {e}");
    }
}

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let host = args.get(2).map_or("127.0.0.1", |s| s.as_str());
    let port: u16 = args.get(3).and_then(|p| p.parse().ok()).unwrap_or(1060);
    if args.get(1).map(String::as_str) == Some("server") {
        let server = Server::bind((host, port), Sixteen)?;
        println!("Listening at {}", server.local_addr()?);
        server.run()
    } else {
        let mut sock = tcp::connect((host, port))?;
        println!(
            "Client has been assigned socket name {}",
            sock.local_addr()?
        );
        sock.write_all(b"Hi there, server")?;
        let reply = tcp::recvall(&mut sock, 16)?;
        println!("The server said {:?}", String::from_utf8_lossy(&reply));
        Ok(())
    }
}
