//! The pinned engine's own JSON Schema for the app-server protocol, so that the
//! Python models in `codex.protocol` can be regenerated and checked against it.

use std::path::PathBuf;
use std::sync::atomic::AtomicU64;
use std::sync::atomic::Ordering;

use codex_vendor::codex_app_server_protocol::generate_json_with_experimental;
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;

/// The bundle file the protocol crate writes: every definition, namespaced.
const BUNDLE_FILE: &str = "codex_app_server_protocol.schemas.json";

static EXPORTS: AtomicU64 = AtomicU64::new(0);

/// Removes the scratch directory however the export ends.
struct ScratchDir(PathBuf);

impl Drop for ScratchDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn export(experimental: bool) -> Result<String, String> {
    // The crate only writes to a directory; a private scratch one keeps
    // concurrent exports (threads or processes) apart.
    let scratch = ScratchDir(std::env::temp_dir().join(format!(
        "codex-embedded-schema-{}-{}",
        std::process::id(),
        EXPORTS.fetch_add(1, Ordering::Relaxed)
    )));
    generate_json_with_experimental(&scratch.0, experimental).map_err(|err| format!("{err:#}"))?;
    std::fs::read_to_string(scratch.0.join(BUNDLE_FILE)).map_err(|err| err.to_string())
}

/// The protocol's JSON Schema bundle as exported by the embedded engine
/// (`experimental` includes the experimental API).
#[pyfunction]
#[pyo3(signature = (experimental = true))]
pub fn protocol_schema(py: Python<'_>, experimental: bool) -> PyResult<String> {
    py.detach(|| export(experimental))
        .map_err(|err| PyRuntimeError::new_err(format!("protocol schema export failed: {err}")))
}
