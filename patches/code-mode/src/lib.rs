//! Replacement for codex-rs's `codex-code-mode` crate without V8.
//!
//! Code mode runs model-written JavaScript cells in an embedded V8. V8's build
//! script downloads a prebuilt static library, which cannot happen in an offline
//! build, and the models we target use the classic tool set anyway. This crate
//! keeps the engine's types and traits (re-exported from the protocol crate) and
//! makes every session report that code mode is unavailable, so a model that asks
//! for it gets a clear tool error instead of a crash.

use std::path::PathBuf;
use std::sync::Arc;

pub use codex_code_mode_protocol::*;
use tokio_util::sync::CancellationToken;

const UNAVAILABLE: &str = "code mode is not available in codex-embedded (built without V8)";

fn unavailable<T>() -> Result<T, String> {
    Err(UNAVAILABLE.to_string())
}

#[derive(Clone, Copy, Debug, Default, Eq, PartialEq)]
pub enum V8JitMode {
    #[default]
    Enabled,
    Disabled,
}

pub fn initialize_v8(_jit_mode: V8JitMode) -> Result<(), String> {
    unavailable()
}

pub struct NoopCodeModeSessionDelegate;

impl CodeModeSessionDelegate for NoopCodeModeSessionDelegate {
    fn invoke_tool<'a>(
        &'a self,
        _call: CodeModeNestedToolCall,
        _cancel: CancellationToken,
    ) -> ToolInvocationFuture<'a> {
        Box::pin(async { unavailable() })
    }

    fn notify<'a>(
        &'a self,
        _call_id: String,
        _cell_id: CellId,
        _text: String,
        _cancel: CancellationToken,
    ) -> NotificationFuture<'a> {
        Box::pin(async { Ok(()) })
    }

    fn cell_closed(&self, _cell_id: &CellId) {}
}

#[derive(Default)]
pub struct InProcessCodeModeSessionProvider;

impl CodeModeSessionProvider for InProcessCodeModeSessionProvider {
    fn create_session<'a>(
        &'a self,
        _delegate: Arc<dyn CodeModeSessionDelegate>,
    ) -> CodeModeSessionProviderFuture<'a> {
        Box::pin(async { unavailable() })
    }
}

#[derive(Default)]
pub struct ProcessOwnedCodeModeSessionProvider {
    _host_program: Option<PathBuf>,
}

impl ProcessOwnedCodeModeSessionProvider {
    pub fn with_host_program(host_program: PathBuf) -> Self {
        Self {
            _host_program: Some(host_program),
        }
    }
}

impl CodeModeSessionProvider for ProcessOwnedCodeModeSessionProvider {
    fn create_session<'a>(
        &'a self,
        _delegate: Arc<dyn CodeModeSessionDelegate>,
    ) -> CodeModeSessionProviderFuture<'a> {
        Box::pin(async { unavailable() })
    }
}

#[derive(Default)]
pub struct InProcessCodeModeSession;

impl InProcessCodeModeSession {
    pub fn new() -> Self {
        Self
    }

    pub async fn execute(&self, _request: ExecuteRequest) -> Result<StartedCell, String> {
        unavailable()
    }

    pub async fn wait(&self, _request: WaitRequest) -> Result<WaitOutcome, String> {
        unavailable()
    }

    pub async fn terminate(&self, _cell_id: CellId) -> Result<WaitOutcome, String> {
        unavailable()
    }

    pub async fn shutdown(&self) -> Result<(), String> {
        Ok(())
    }
}

#[derive(Default)]
pub struct ProcessOwnedCodeModeSession;

impl ProcessOwnedCodeModeSession {
    pub fn new() -> Self {
        Self
    }
}
