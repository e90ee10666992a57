//! The codex-rs app-server, run inside the host process.
//!
//! This crate knows nothing about Python: it owns the process-wide tokio
//! runtime, turns [`EngineOptions`] into an engine configuration, starts the
//! in-process app-server, forwards JSON requests to it, and pumps its events
//! into per-thread [`Subscription`] queues that a host drains at its own pace.

mod database_templates;
mod engine;
mod environments;
mod error;
mod helper_check;
mod idle_threads;
mod observers;
mod options;
mod os_detection;
mod queue;
mod runtime;
mod wire;

#[cfg(test)]
mod file_system_patch_tests;
#[cfg(test)]
mod rollout_policy_tests;
#[cfg(test)]
mod skills_load_patch_tests;
#[cfg(test)]
mod tls_certificate_patch_tests;

pub use engine::Engine;
pub use engine::EngineStats;
pub use error::EngineError;
pub use options::EngineOptions;
pub use queue::Event;
pub use queue::EventKind;
pub use queue::Subscription;
pub use runtime::WORKER_STACK_BYTES;
pub use runtime::runtime;
