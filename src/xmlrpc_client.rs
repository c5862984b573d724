//! The XML-RPC proxy of every runtime behind one API: [`Runtime::xmlrpc_proxy`].

use netloom_core::http::client::{ClientConfig, ClientError};
use netloom_core::xmlrpc::proxy::{CallError, ProxyOptions};
use netloom_core::xmlrpc::{Fault, FromValue, IntoParams, Multicall, Value};

use crate::Runtime;

/// One of the three proxies; the smol one is driven with `async_io::block_on`.
#[derive(Debug)]
pub enum XmlRpcProxy {
    /// `netloom_std::xmlrpc::ServerProxy`.
    Std(netloom_std::xmlrpc::ServerProxy),
    /// `netloom_mio::xmlrpc::ServerProxy`.
    Mio(netloom_mio::xmlrpc::ServerProxy),
    /// `netloom_smol::xmlrpc::ServerProxy`.
    Smol(netloom_smol::xmlrpc::ServerProxy),
}

/// What a call through [`XmlRpcProxy`] can fail with.
pub type XmlRpcError = CallError<ClientError>;

impl XmlRpcProxy {
    /// Calls `method` with [`Value`]s.
    pub fn call_values(&self, method: &str, params: &[Value]) -> Result<Value, XmlRpcError> {
        match self {
            XmlRpcProxy::Std(p) => p.call_values(method, params),
            XmlRpcProxy::Mio(p) => p.call_values(method, params),
            XmlRpcProxy::Smol(p) => async_io::block_on(p.call_values(method, params)),
        }
    }

    /// Calls `method` with typed arguments and converts the result.
    pub fn call<P: IntoParams, R: FromValue>(
        &self,
        method: &str,
        params: P,
    ) -> Result<R, XmlRpcError> {
        let params = params.into_params()?;
        Ok(R::from_value(self.call_values(method, &params)?)?)
    }

    /// One `system.multicall` for all of `calls`.
    pub fn multicall(&self, calls: &Multicall) -> Result<Vec<Result<Value, Fault>>, XmlRpcError> {
        match self {
            XmlRpcProxy::Std(p) => p.multicall(calls),
            XmlRpcProxy::Mio(p) => p.multicall(calls),
            XmlRpcProxy::Smol(p) => async_io::block_on(p.multicall(calls)),
        }
    }

    /// `system.listMethods`.
    pub fn list_methods(&self) -> Result<Vec<String>, XmlRpcError> {
        self.call("system.listMethods", ())
    }
}

impl Runtime {
    /// An XML-RPC proxy for `url` on this runtime.
    pub fn xmlrpc_proxy(
        self,
        url: &str,
        config: ClientConfig,
        options: ProxyOptions,
    ) -> Result<XmlRpcProxy, ClientError> {
        Ok(match self {
            Runtime::Std => XmlRpcProxy::Std(netloom_std::xmlrpc::ServerProxy::with_config(
                url, config, options,
            )?),
            Runtime::Mio => XmlRpcProxy::Mio(netloom_mio::xmlrpc::ServerProxy::with_config(
                url, config, options,
            )?),
            Runtime::Smol => XmlRpcProxy::Smol(netloom_smol::xmlrpc::ServerProxy::with_config(
                url, config, options,
            )?),
        })
    }
}
