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
    /// An API key for the engine's own OpenAI provider: kept in the engine's in-memory
    /// login store for this home while the engine runs, never written to disk.
    #[serde(default)]
    pub api_key: Option<ApiKey>,
    /// The exec server that runs the agent's commands (a `ws://` URL, or `"none"` to
    /// disable command execution). Without it commands run locally: the engine's
    /// `CODEX_EXEC_SERVER_*` variables are never read.
    #[serde(default)]
    pub exec_server_url: Option<String>,
    /// Where pre-migrated copies of a fresh home's state databases are kept (made after the
    /// first start, copied into each later fresh home). None: every fresh home migrates its own.
    #[serde(default)]
    pub database_templates: Option<PathBuf>,
    /// Where the OS detection behind the User-Agent is kept across processes (a file). None:
    /// every process detects it again.
    #[serde(default)]
    pub os_detection_cache: Option<PathBuf>,
    /// Where the answer of the helper executable's check is kept across clients and processes
    /// (a file). None: every client asks the helper again.
    #[serde(default)]
    pub helper_check_cache: Option<PathBuf>,
    /// How long a thread with no subscriber and no running turn stays loaded, in
    /// milliseconds. None: the app-server's default (30 minutes).
    #[serde(default)]
    pub thread_unload_delay_ms: Option<u64>,
}

/// A secret that never appears in `Debug` output.
#[derive(Clone, Deserialize)]
#[serde(transparent)]
pub struct ApiKey(String);

impl ApiKey {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for ApiKey {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("ApiKey(***)")
    }
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
            .map(|(key, value)| Ok((key.clone(), json_to_toml(key, value)?)))
            .collect()
    }
}

/// Converts by hand: serde's generic path breaks on numbers when another crate in
/// the engine's graph turns on serde_json's `arbitrary_precision`.
fn json_to_toml(key: &str, value: &serde_json::Value) -> Result<toml::Value, EngineError> {
    use serde_json::Value;
    Ok(match value {
        Value::Null => {
            return Err(EngineError::InvalidInput(format!(
                "config override {key:?} is null, which TOML cannot express"
            )));
        }
        Value::Bool(flag) => toml::Value::Boolean(*flag),
        Value::Number(number) => {
            if let Some(int) = number.as_i64() {
                toml::Value::Integer(int)
            } else if let Some(float) = number.as_f64() {
                toml::Value::Float(float)
            } else {
                return Err(EngineError::InvalidInput(format!(
                    "config override {key:?}: {number} does not fit a TOML number"
                )));
            }
        }
        Value::String(text) => toml::Value::String(text.clone()),
        Value::Array(items) => toml::Value::Array(
            items
                .iter()
                .map(|item| json_to_toml(key, item))
                .collect::<Result<_, _>>()?,
        ),
        Value::Object(map) => toml::Value::Table(
            map.iter()
                .map(|(name, item)| Ok((name.clone(), json_to_toml(key, item)?)))
                .collect::<Result<_, EngineError>>()?,
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(overrides: serde_json::Value) -> EngineOptions {
        EngineOptions::from_json(
            &serde_json::json!({"codex_home": "/nonexistent", "overrides": overrides}).to_string(),
        )
        .expect("valid options")
    }

    #[test]
    fn overrides_convert_to_toml() {
        let converted = options(serde_json::json!([
            ["a", 1], ["b", 1.5], ["c", true], ["d", "x"], ["e", [1, 2]], ["f", {"g": "h"}]
        ]))
        .toml_overrides()
        .expect("convertible");
        assert_eq!(converted[0].1, toml::Value::Integer(1));
        assert_eq!(converted[1].1, toml::Value::Float(1.5));
        assert_eq!(converted[2].1, toml::Value::Boolean(true));
        assert_eq!(converted[3].1, toml::Value::String("x".into()));
        assert_eq!(
            converted[4].1,
            toml::Value::Array(vec![toml::Value::Integer(1), toml::Value::Integer(2)])
        );
        assert_eq!(
            converted[5].1.get("g"),
            Some(&toml::Value::String("h".into()))
        );
    }

    #[test]
    fn null_override_is_rejected() {
        let err = options(serde_json::json!([["a", null]]))
            .toml_overrides()
            .expect_err("null has no TOML form");
        assert_eq!(err.kind(), "invalid_input");
    }

    #[test]
    fn api_key_is_redacted_in_debug_output() {
        let options =
            EngineOptions::from_json(r#"{"codex_home": "/x", "api_key": "sk-secret"}"#).unwrap();
        assert_eq!(
            options.api_key.as_ref().map(ApiKey::expose),
            Some("sk-secret")
        );
        assert!(!format!("{options:?}").contains("sk-secret"));
    }

    #[test]
    fn unknown_option_is_rejected() {
        let err = EngineOptions::from_json(r#"{"codex_home": "/x", "bogus": 1}"#)
            .expect_err("unknown field");
        assert!(err.to_string().contains("bogus"));
    }
}
