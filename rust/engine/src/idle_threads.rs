//! How long the engine keeps a thread loaded once it is idle without a subscriber.
//!
//! The app-server unloads such a thread after a delay (30 minutes by default). A host may
//! set another for its engine: our app-server patch keeps one per engine home, read when a
//! thread's listener attaches. The setting lives as long as the engine that made it; two
//! engines running on one home share one setting, the last one set, until either stops.

use std::path::Path;
use std::path::PathBuf;
use std::time::Duration;

use codex_vendor::codex_app_server::in_process::set_thread_unloading_delay;

/// Holds an engine home's unloading delay; dropping it restores the app-server's default.
#[derive(Debug)]
pub(crate) struct UnloadingDelay {
    home: Option<PathBuf>,
}

impl UnloadingDelay {
    /// Sets the delay of the threads of the engine at `home`; `None` leaves the default.
    pub(crate) fn set(home: &Path, delay_ms: Option<u64>) -> Self {
        let Some(delay_ms) = delay_ms else {
            return Self { home: None };
        };
        set_thread_unloading_delay(home, Some(Duration::from_millis(delay_ms)));
        Self {
            home: Some(home.to_path_buf()),
        }
    }
}

impl Drop for UnloadingDelay {
    fn drop(&mut self) {
        if let Some(home) = &self.home {
            set_thread_unloading_delay(home, None);
        }
    }
}
