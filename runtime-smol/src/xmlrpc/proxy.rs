//! The XML-RPC client: core's call rules over this runtime's HTTP client.

use netloom_core::http::client::{ClientConfig, ClientError, Target};
use netloom_core::http::Headers;
use netloom_core::xmlrpc::proxy::{
    read_multicall_reply, read_reply, CallError, CallRequest, ProxyOptions, ReplyBody,
};
use netloom_core::xmlrpc::{Fault, FromValue, IntoParams, Multicall, Value};

use crate::http_client::Client;

/// A proxy for calling methods on a remote XML-RPC server, like CPython's `ServerProxy`,
/// with `async fn`s. Same behaviour as `netloom_std::xmlrpc::ServerProxy`: one keep-alive
/// connection, compressed answers, no redirect that would drop the call, credentials from
/// the URL, and a [`CallError`] that keeps transport failures, HTTP error statuses and faults
/// apart.
///
/// ```no_run
/// smol::block_on(async {
///     let proxy = netloom_smol::xmlrpc::ServerProxy::new("http://127.0.0.1:8000/")?;
///     let sum: i32 = proxy.call("add", (7, 3)).await?;
///     println!("7+3={sum}");
///     Ok::<(), Box<dyn std::error::Error>>(())
/// })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct ServerProxy {
    client: Client,
    target: Target,
    options: ProxyOptions,
}

impl ServerProxy {
    /// A proxy for the server at `url`, with default settings.
    pub fn new(url: &str) -> Result<Self, ClientError> {
        Self::with_config(url, ClientConfig::default(), ProxyOptions::default())
    }

    /// A proxy with the given HTTP client settings and XML-RPC options.
    pub fn with_config(
        url: &str,
        mut config: ClientConfig,
        options: ProxyOptions,
    ) -> Result<Self, ClientError> {
        let target = Target::parse(url)?;
        options.configure(&mut config);
        Ok(ServerProxy {
            client: Client::with_config(config),
            target,
            options,
        })
    }

    /// Calls `method` with typed arguments and converts the result.
    pub async fn call<P: IntoParams, R: FromValue>(
        &self,
        method: &str,
        params: P,
    ) -> Result<R, CallError<ClientError>> {
        let params = params.into_params()?;
        let value = self.call_values(method, &params).await?;
        Ok(R::from_value(value)?)
    }

    /// Calls `method` with [`Value`]s and returns the result as a [`Value`].
    pub async fn call_values(
        &self,
        method: &str,
        params: &[Value],
    ) -> Result<Value, CallError<ClientError>> {
        let req = CallRequest::call(method, params, &self.options);
        let (status, reason, headers, body) = self.post(req).await?;
        read_reply(status, &reason, &headers, body, &self.options)
    }

    /// Sends every call of `calls` in one `system.multicall`; one result or fault per call.
    pub async fn multicall(
        &self,
        calls: &Multicall,
    ) -> Result<Vec<Result<Value, Fault>>, CallError<ClientError>> {
        let req = CallRequest::multicall(calls, &self.options);
        let (status, reason, headers, body) = self.post(req).await?;
        read_multicall_reply(status, &reason, &headers, body, &self.options)
    }

    /// `system.listMethods`.
    pub async fn list_methods(&self) -> Result<Vec<String>, CallError<ClientError>> {
        self.call("system.listMethods", ()).await
    }

    async fn post(&self, call: CallRequest) -> Result<Reply, CallError<ClientError>> {
        let request = call.http_request(self.target.clone(), &self.options);
        let mut resp = self
            .client
            .send(request, None)
            .await
            .map_err(CallError::Transport)?;
        let mut body = ReplyBody::new(&self.options);
        while let Some(chunk) = resp.chunk().await.map_err(CallError::Transport)? {
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
