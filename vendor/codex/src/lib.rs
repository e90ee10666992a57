//! Facade over the codex-rs engine.
//!
//! Every other crate in this workspace reaches the engine through these
//! re-exports, so that moving to another republish (or to upstream crates, once
//! they are published) changes `Cargo.toml` here and nothing else.

pub use codex_app_server;
pub use codex_app_server_protocol;
pub use codex_arg0;
pub use codex_config;
pub use codex_core;
pub use codex_exec_server;
pub use codex_feedback;
pub use codex_login;
pub use codex_protocol;
pub use codex_rollout;
pub use codex_state;
pub use codex_utils_absolute_path;
pub use codex_utils_path_uri;
