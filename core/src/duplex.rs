//! The one interface every runtime drives: a sans-IO connection seen as bytes in, bytes out.

/// A server-side connection state machine, as a runtime sees it.
///
/// A runtime's whole job is this loop: write what [`transmit`](Duplex::transmit) holds and
/// report it with [`advance`](Duplex::advance); while [`wants_read`](Duplex::wants_read), read
/// and hand the bytes to [`receive`](Duplex::receive) (or call
/// [`receive_eof`](Duplex::receive_eof) when the peer closes); close the socket once
/// [`is_finished`](Duplex::is_finished). Implementations never block and never fail on
/// partial input.
pub trait Duplex {
    /// Feeds bytes read from the socket.
    fn receive(&mut self, data: &[u8]);
    /// The peer closed its side.
    fn receive_eof(&mut self);
    /// Bytes waiting to be written.
    fn transmit(&self) -> &[u8];
    /// `n` bytes of [`transmit`](Duplex::transmit) were written.
    fn advance(&mut self, n: usize);
    /// Whether reading more input is useful now. A runtime stops reading (and so pushes back
    /// on the peer) while this is false.
    fn wants_read(&self) -> bool;
    /// Whether the connection is over and its output fully written: close the socket.
    fn is_finished(&self) -> bool;
    /// Whether the peer is part-way through a message. A runtime bounds how long that may
    /// last ([`ServerConfig::request_timeout`](crate::ServerConfig::request_timeout)), so a
    /// peer trickling bytes cannot hold a connection forever. Default: never.
    fn mid_message(&self) -> bool {
        false
    }
}
