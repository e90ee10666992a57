//! Where the engine runs the agent's commands: locally, or on an exec server the host names.
//!
//! The engine's own constructor (`EnvironmentManager::from_codex_home`) also reads
//! `CODEX_EXEC_SERVER_URL` and the `CODEX_EXEC_SERVER_NOISE_*` variables from the process
//! environment, so any of them would send every command (and file access) of every client
//! in the process to a remote server. A client is configured by its options only: the exec
//! server is [`EngineOptions::exec_server_url`](crate::EngineOptions), and those variables
//! are never consulted.

use std::path::Path;

use codex_vendor::codex_exec_server::CODEX_EXEC_SERVER_NOISE_AUTH_TOKEN_ENV_VAR;
use codex_vendor::codex_exec_server::CODEX_EXEC_SERVER_NOISE_ENVIRONMENT_ID_ENV_VAR;
use codex_vendor::codex_exec_server::CODEX_EXEC_SERVER_NOISE_REGISTRY_URL_ENV_VAR;
use codex_vendor::codex_exec_server::EnvironmentManager;
use codex_vendor::codex_exec_server::ExecServerRuntimePaths;

use crate::error::EngineError;

/// The file in a home that configures named execution environments.
const ENVIRONMENTS_TOML: &str = "environments.toml";

/// The variables through which the engine's constructor would pick a Noise exec server.
const NOISE_ENV_VARS: [&str; 3] = [
    CODEX_EXEC_SERVER_NOISE_REGISTRY_URL_ENV_VAR,
    CODEX_EXEC_SERVER_NOISE_ENVIRONMENT_ID_ENV_VAR,
    CODEX_EXEC_SERVER_NOISE_AUTH_TOKEN_ENV_VAR,
];

/// The execution environments of one engine.
///
/// - `exec_server_url` given: commands run on that exec server (`"none"` disables
///   command execution, as the engine's variable does).
/// - otherwise, a home with an `environments.toml` gets the environments it configures;
///   the engine would let `CODEX_EXEC_SERVER_NOISE_*` override that file, so its use is
///   refused while they are set.
/// - otherwise, commands run locally, whatever the process environment says.
pub(crate) async fn environment_manager(
    home: &Path,
    exec_server_url: Option<&str>,
    runtime_paths: Option<ExecServerRuntimePaths>,
) -> Result<EnvironmentManager, EngineError> {
    if let Some(url) = exec_server_url {
        if url.trim().is_empty() {
            return Err(EngineError::InvalidInput(
                "exec_server_url is empty; omit it to run commands locally".to_string(),
            ));
        }
        // The engine's constructor from an explicit URL value (it builds the same manager
        // as `from_codex_home` does for `CODEX_EXEC_SERVER_URL=<url>`); it cannot fail
        // for a non-empty URL, which never asks for the local environment.
        return Ok(EnvironmentManager::create_for_tests(Some(url.to_owned()), runtime_paths).await);
    }
    if home.join(ENVIRONMENTS_TOML).is_file() {
        if let Some(name) = NOISE_ENV_VARS
            .iter()
            .find(|name| std::env::var_os(name).is_some())
        {
            return Err(EngineError::InvalidInput(format!(
                "{} in the engine home would be overridden by {name} in the process \
                 environment; unset it (a client's exec server is set with exec_server_url)",
                home.join(ENVIRONMENTS_TOML).display()
            )));
        }
        return EnvironmentManager::from_codex_home(home, runtime_paths)
            .await
            .map_err(|err| EngineError::startup("cannot set up the execution environment", err));
    }
    let Some(runtime_paths) = runtime_paths else {
        return Err(EngineError::startup(
            "cannot set up the execution environment",
            "local command execution needs the helper executable",
        ));
    };
    // No URL: the local environment only, exactly what `from_codex_home` builds when
    // neither environments.toml nor the variables are present.
    Ok(EnvironmentManager::create_for_tests(None, Some(runtime_paths)).await)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_url_is_refused() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime");
        let err = runtime
            .block_on(environment_manager(
                Path::new("/nonexistent"),
                Some(" "),
                None,
            ))
            .expect_err("empty URL");
        assert_eq!(err.kind(), "invalid_input");
    }

    #[test]
    fn a_url_selects_a_remote_default_environment() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let manager = runtime
            .block_on(environment_manager(
                Path::new("/nonexistent"),
                Some("ws://127.0.0.1:9"),
                None,
            ))
            .expect("manager");
        let default = manager
            .default_environment()
            .expect("a default environment");
        assert!(default.is_remote());
        assert!(manager.try_local_environment().is_none());
    }
}
