//! XML-RPC (in progress).
