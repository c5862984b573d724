//! Every size limit the HTTP/1.1 state machine enforces, in one place.

/// Size limits for one HTTP/1.1 [`Connection`](super::Connection).
///
/// All fields are public; start from [`Limits::default`] and change what you need:
///
/// ```
/// use netloom_core::http::Limits;
/// let limits = Limits {
///     max_request_body_bytes: 1 << 20, // 1 MiB uploads
///     ..Limits::default()
/// };
/// ```
///
/// Each limit maps to a typed [`Error`](super::Error) with the status code a server should
/// answer with (shown in brackets).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Largest accepted head (start line, header fields and the empty line), in bytes.
    /// Over it: [`Error::HeadTooLarge`](super::Error::HeadTooLarge) \[431\].
    /// Default 16 KiB.
    pub max_head_bytes: usize,
    /// Largest number of header fields in one head, and of trailer fields after a chunked
    /// body. Over it: [`Error::TooManyHeaders`](super::Error::TooManyHeaders) \[431\].
    /// Default 100.
    pub max_headers: usize,
    /// Longest accepted request target, in bytes (server role).
    /// Over it: [`Error::UriTooLong`](super::Error::UriTooLong) \[414\]. Default 8 KiB.
    pub max_uri_bytes: usize,
    /// Largest request body the server role accepts, after chunked decoding.
    /// Over it: [`Error::BodyTooLarge`](super::Error::BodyTooLarge) \[413\]. A declared
    /// `Content-Length` over the limit is rejected as soon as the head arrives.
    /// Default 16 MiB.
    pub max_request_body_bytes: u64,
    /// Largest response body the client role accepts. Default `u64::MAX` (unlimited):
    /// downloads are streamed as [`Event::Data`](super::Event::Data), so a client only needs
    /// a limit if it buffers whole bodies.
    pub max_response_body_bytes: u64,
    /// Longest chunk extension (everything between the chunk size and its CRLF) accepted on
    /// one chunk-size line. Extensions are skipped, never surfaced.
    /// Over it: [`Error::ChunkExtensionTooLong`](super::Error::ChunkExtensionTooLong) \[400\].
    /// Default 1 KiB.
    pub max_chunk_ext_bytes: usize,
    /// Largest trailer section after a chunked body, in bytes.
    /// Over it: [`Error::TrailersTooLarge`](super::Error::TrailersTooLarge) \[431\].
    /// Default 8 KiB.
    pub max_trailer_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_head_bytes: 16 * 1024,
            max_headers: 100,
            max_uri_bytes: 8 * 1024,
            max_request_body_bytes: 16 * 1024 * 1024,
            max_response_body_bytes: u64::MAX,
            max_chunk_ext_bytes: 1024,
            max_trailer_bytes: 8 * 1024,
        }
    }
}
