use std::fmt;

/// Why an engine operation failed, in terms a host can map to its own errors.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The options or the request could not be turned into something the engine accepts.
    #[error("{0}")]
    InvalidInput(String),
    /// The engine answered a request with a JSON-RPC error.
    #[error("JSON-RPC error {code}: {message}")]
    Rpc {
        code: i64,
        message: String,
        data: Option<serde_json::Value>,
    },
    /// The engine is shut down (or shutting down) and cannot take requests.
    #[error("the embedded engine is closed: {0}")]
    Closed(String),
    /// The engine could not start.
    #[error("the embedded engine failed to start: {0}")]
    Startup(String),
}

impl EngineError {
    /// A short stable name for the variant, for hosts that map errors by kind.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::InvalidInput(_) => "invalid_input",
            Self::Rpc { .. } => "rpc",
            Self::Closed(_) => "closed",
            Self::Startup(_) => "startup",
        }
    }

    pub(crate) fn startup(context: &str, err: impl fmt::Display) -> Self {
        Self::Startup(format!("{context}: {err}"))
    }
}
