//! Resource limits for XML-RPC: what the decoder accepts, and how large a response the
//! dispatcher builds.

/// Bounds on what the decoder accepts, and on the responses a dispatcher builds. Every
/// decoding check happens before the corresponding work or allocation, so a hostile peer
/// cannot make the decoder use more than about `max_body_bytes` of memory beyond the decoded
/// values, nor recurse (the decoder is iterative; `max_depth` bounds its explicit stack).
///
/// ```
/// use netloom_core::xmlrpc::Limits;
///
/// let tight = Limits { max_depth: 8, ..Limits::default() };
/// assert_eq!(tight.max_body_bytes, Limits::default().max_body_bytes);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Largest document accepted, in bytes. Default 32 MiB.
    pub max_body_bytes: usize,
    /// Deepest nesting of arrays and structs (a scalar parameter has depth 0, an array of
    /// scalars depth 1). Default 64.
    pub max_depth: usize,
    /// Longest string, struct member name or method name, in bytes after decoding.
    /// Default 16 MiB.
    pub max_string_bytes: usize,
    /// Largest decoded `<base64>` value, in bytes. Default 16 MiB.
    pub max_base64_bytes: usize,
    /// Most values (of any type, at any depth) in one document. Default 1,000,000.
    pub max_values: usize,
    /// Largest result the [`Dispatcher`](super::Dispatcher) answers with, by
    /// [`Value::size_hint`](super::Value::size_hint): a result over it is answered with a
    /// `MemoryError` fault instead, and once the results of a `system.multicall` would pass
    /// it, that call and every later one get the fault (the later ones are not run). So a
    /// small request cannot make the server build an unbounded answer. Default 64 MiB.
    pub max_result_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body_bytes: 32 << 20,
            max_depth: 64,
            max_string_bytes: 16 << 20,
            max_base64_bytes: 16 << 20,
            max_values: 1_000_000,
            max_result_bytes: 64 << 20,
        }
    }
}
