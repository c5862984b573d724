//! Simple TCP client and server that send and receive 16 octets, with async-io.
//! `cargo run -p netloom-smol --example smol_tcp_sixteen -- server|client [HOST] [PORT]`
use futures_lite::AsyncWriteExt;
use netloom_smol::tcp::{connect, recvall};
use smol::net::TcpListener;

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let host = args.get(2).cloned().unwrap_or_else(|| "127.0.0.1".into());
    let port: u16 = args.get(3).and_then(|p| p.parse().ok()).unwrap_or(1060);
    smol::block_on(async {
        if args.get(1).map(String::as_str) == Some("server") {
            let listener = TcpListener::bind((host.as_str(), port)).await?;
            println!("Listening at {}", listener.local_addr()?);
            loop {
                let (mut sc, sockname) = listener.accept().await?;
                println!("We have accepted a connection from {sockname}");
                println!("  Socket name: {}", sc.local_addr()?);
                println!("  Socket peer: {}", sc.peer_addr()?);
                match recvall(&mut sc, 16).await {
                    Ok(message) => println!(
                        "  Incoming sixteen-octet message: {:?}",
                        String::from_utf8_lossy(&message)
                    ),
                    Err(e) => {
                        println!("  Error: {e}");
                        continue;
                    }
                }
                sc.write_all(b"Farewell, client").await?;
                println!("  Reply sent, socket closed");
            }
        } else {
            let mut sock = connect((host.as_str(), port)).await?;
            println!(
                "Client has been assigned socket name {}",
                sock.get_ref().local_addr()?
            );
            sock.write_all(b"Hi there, server").await?;
            let reply = recvall(&mut sock, 16).await?;
            println!("The server said {:?}", String::from_utf8_lossy(&reply));
            Ok(())
        }
    })
}
