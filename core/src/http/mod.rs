//! HTTP/1.1 (in progress).
