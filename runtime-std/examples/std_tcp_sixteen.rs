//! Simple TCP client and server that send and receive 16 octets.
//! `cargo run -p netloom-std --example std_tcp_sixteen -- server|client [HOST] [PORT]`
use std::io::Write;
use std::net::TcpListener;

use netloom_std::tcp::{connect, recvall};

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let host = args.get(2).map_or("127.0.0.1", |s| s.as_str());
    let port: u16 = args.get(3).and_then(|p| p.parse().ok()).unwrap_or(1060);
    if args.get(1).map(String::as_str) == Some("server") {
        let listener = TcpListener::bind((host, port))?;
        println!("Listening at {}", listener.local_addr()?);
        loop {
            let (mut sc, sockname) = listener.accept()?;
            println!("We have accepted a connection from {sockname}");
            println!("  Socket name: {}", sc.local_addr()?);
            println!("  Socket peer: {}", sc.peer_addr()?);
            match recvall(&mut sc, 16) {
                Ok(message) => println!(
                    "  Incoming sixteen-octet message: {:?}",
                    String::from_utf8_lossy(&message)
                ),
                Err(e) => {
                    println!("  Error: {e}");
                    continue;
                }
            }
            sc.write_all(b"Farewell, client")?;
            println!("  Reply sent, socket closed");
        }
    } else {
        let mut sock = connect((host, port))?;
        println!(
            "Client has been assigned socket name {}",
            sock.local_addr()?
        );
        sock.write_all(b"Hi there, server")?;
        let reply = recvall(&mut sock, 16)?;
        println!("The server said {:?}", String::from_utf8_lossy(&reply));
        Ok(())
    }
}
