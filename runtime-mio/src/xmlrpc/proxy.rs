//! The XML-RPC client: core's call rules over this runtime's HTTP client.

use netloom_core::http::client::{ClientConfig, ClientError, Target};
use netloom_core::http::Headers;
use netloom_core::xmlrpc::proxy::{
    read_multicall_reply, read_reply, CallError, CallRequest, ProxyOptions, ReplyBody,
};
use netloom_core::xmlrpc::{Fault, FromValue, IntoParams, Multicall, Value};

use crate::http_client::Client;

/// A proxy for calling methods on a remote XML-RPC server, like CPython's `ServerProxy`,
/// whose calls run on this runtime's event-loop client ([`Client`]).
///
/// Calls reuse one keep-alive connection, ask for compressed answers and decode them
/// (capped), and fail with a [`CallError`] that keeps a transport failure, an HTTP error
/// status (CPython's `ProtocolError`) and an XML-RPC [`Fault`] apart. A redirect that would
/// turn the call into a `GET` is refused, naming where it pointed
/// ([`ProxyOptions::redirects`]); credentials in the URL (`http://user:pw@host/RPC2`) are
/// sent as Basic auth, as `xmlrpc.client` does.
///
/// ```no_run
/// use netloom_mio::xmlrpc::ServerProxy;
/// use netloom_core::xmlrpc::Multicall;
///
/// let proxy = ServerProxy::new("http://127.0.0.1:8000/")?;
/// let sum: i32 = proxy.call("add", (7, 3))?;
/// let mut batch = Multicall::new();
/// batch.call_with("subtract", (7, 3))?.call_with("divide", (7, 0))?;
/// for result in proxy.multicall(&batch)? {
///     println!("{result:?}"); // Ok(Int(4)), then Err(Fault { code: 1, .. })
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct ServerProxy {
    client: Client,
    target: Target,
    options: ProxyOptions,
}

impl ServerProxy {
    /// A proxy for the server at `url` (`http://host:port/path`), with default settings.
    pub fn new(url: &str) -> Result<Self, ClientError> {
        Self::with_config(url, ClientConfig::default(), ProxyOptions::default())
    }

    /// A proxy with the given HTTP client settings (timeouts...) and XML-RPC options.
    pub fn with_config(
        url: &str,
        mut config: ClientConfig,
        options: ProxyOptions,
    ) -> Result<Self, ClientError> {
        let target = Target::parse(url)?; // a bad URL fails here, not at the first call
        options.configure(&mut config);
        Ok(ServerProxy {
            client: Client::with_config(config),
            target,
            options,
        })
    }

    /// Calls `method` with typed arguments (a tuple, `()` or a `Vec<Value>`) and converts the
    /// result: `let sum: i32 = proxy.call("add", (7, 3))?;`.
    pub fn call<P: IntoParams, R: FromValue>(
        &self,
        method: &str,
        params: P,
    ) -> Result<R, CallError<ClientError>> {
        let params = params.into_params()?;
        let value = self.call_values(method, &params)?;
        Ok(R::from_value(value)?)
    }

    /// Calls `method` with [`Value`]s and returns the result as a [`Value`].
    pub fn call_values(
        &self,
        method: &str,
        params: &[Value],
    ) -> Result<Value, CallError<ClientError>> {
        let (status, reason, headers, body) =
            self.post(CallRequest::call(method, params, &self.options))?;
        read_reply(status, &reason, &headers, body, &self.options)
    }

    /// Sends every call of `calls` in one `system.multicall`; one result or fault per call.
    pub fn multicall(
        &self,
        calls: &Multicall,
    ) -> Result<Vec<Result<Value, Fault>>, CallError<ClientError>> {
        let (status, reason, headers, body) =
            self.post(CallRequest::multicall(calls, &self.options))?;
        read_multicall_reply(status, &reason, &headers, body, &self.options)
    }

    /// `system.listMethods`.
    pub fn list_methods(&self) -> Result<Vec<String>, CallError<ClientError>> {
        self.call("system.listMethods", ())
    }

    fn post(&self, call: CallRequest) -> Result<Reply, CallError<ClientError>> {
        let request = call.http_request(self.target.clone(), &self.options);
        let mut resp = self
            .client
            .send(request, None)
            .map_err(CallError::Transport)?;
        let mut body = ReplyBody::new(&self.options);
        while let Some(chunk) = resp.chunk().map_err(CallError::Transport)? {
            body.push(chunk)?;
            let n = chunk.len();
            resp.consume(n);
        }
        Ok((
            resp.status(),
            resp.reason().to_owned(),
            resp.headers().clone(),
            body.into_bytes(),
        ))
    }
}

/// Status, reason, headers and body of an answer.
type Reply = (u16, String, Headers, Vec<u8>);
