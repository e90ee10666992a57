use std::path::PathBuf;

use serde::Deserialize;

use crate::error::EngineError;

/// Everything needed to start one engine instance. Hosts build it (usually from
/// JSON); nothing here is read from the process environment.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EngineOptions {
    /// The engine's home directory (config, sessions, state DB). Must exist.
    pub codex_home: PathBuf,
    /// Default working directory for threads.
    #[serde(default)]
    pub cwd: Option<PathBuf>,
    /// The helper executable (`codex-embedded-helper`) the engine re-executes for
    /// sandboxed commands and apply_patch. Without it only unsandboxed commands work.
    #[serde(default)]
    pub helper: Option<PathBuf>,
    /// Dotted config keys with JSON values, applied like `codex -c key=value`.
    #[serde(default)]
    pub overrides: Vec<(String, serde_json::Value)>,
    /// Capacity of the engine's internal queues. The engine drops notifications
    /// silently when its event queue is full, so this must stay generous.
    #[serde(default = "default_channel_capacity")]
    pub channel_capacity: usize,
    #[serde(default = "default_client_name")]
    pub client_name: String,
    #[serde(default)]
    pub client_title: Option<String>,
    #[serde(default = "default_client_version")]
    pub client_version: String,
    #[serde(default = "default_true")]
    pub experimental_api: bool,
}

fn default_channel_capacity() -> usize {
    65_536
}

fn default_client_name() -> String {
    "codex_embedded".to_string()
}

fn default_client_version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}

fn default_true() -> bool {
    true
}

impl EngineOptions {
    pub fn from_json(text: &str) -> Result<Self, EngineError> {
        serde_json::from_str(text)
            .map_err(|err| EngineError::InvalidInput(format!("invalid engine options: {err}")))
    }

    /// The overrides as the engine wants them: TOML values under dotted keys.
    pub(crate) fn toml_overrides(&self) -> Result<Vec<(String, toml::Value)>, EngineError> {
        self.overrides
            .iter()
            .map(|(key, value)| {
                let converted = toml::Value::try_from(value).map_err(|err| {
                    EngineError::InvalidInput(format!(
                        "config override {key:?} has no TOML form ({err}); null is not allowed"
                    ))
                })?;
                Ok((key.clone(), converted))
            })
            .collect()
    }
}
