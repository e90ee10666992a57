//! What the event pump watches besides routing: the turns in flight (shutdown interrupts
//! them) and when a turn's text deltas left the engine (its own emission rate).

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::AtomicU64;
use std::sync::atomic::Ordering;
use std::time::Instant;

/// What the pump updates besides routing.
pub(crate) struct Observers {
    pub(crate) lagged: Arc<AtomicU64>,
    pub(crate) active_turns: Arc<ActiveTurns>,
    pub(crate) deltas: Arc<DeltaClock>,
}

/// Turns the engine has started and not yet completed, by thread: shutdown interrupts
/// them, since the app-server leaves running turns (and their provider streams) alone.
#[derive(Default)]
pub(crate) struct ActiveTurns(Mutex<HashMap<String, String>>);

impl ActiveTurns {
    pub(crate) fn observe(&self, method: &str, thread_id: Option<&str>, turn_id: Option<&str>) {
        let Some(thread_id) = thread_id else {
            return;
        };
        let mut turns = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match method {
            "turn/started" => {
                if let Some(turn_id) = turn_id {
                    turns.insert(thread_id.to_owned(), turn_id.to_owned());
                }
            }
            "turn/completed" => {
                turns.remove(thread_id);
            }
            _ => {}
        }
    }

    pub(crate) fn take(&self) -> Vec<(String, String)> {
        let mut turns = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        turns.drain().collect()
    }
}

/// When the engine emitted the text deltas of the most recently started turn. Only the pump
/// writes it (one task, in order), so relaxed atomics suffice.
pub(crate) struct DeltaClock {
    epoch: Instant,
    pub(crate) count: AtomicU64,
    first_ns: AtomicU64,
    last_ns: AtomicU64,
}

impl DeltaClock {
    pub(crate) fn new() -> Self {
        Self {
            epoch: Instant::now(),
            count: AtomicU64::new(0),
            first_ns: AtomicU64::new(0),
            last_ns: AtomicU64::new(0),
        }
    }

    pub(crate) fn observe(&self, method: &str) {
        match method {
            "turn/started" => {
                self.count.store(0, Ordering::Relaxed);
                self.first_ns.store(0, Ordering::Relaxed);
                self.last_ns.store(0, Ordering::Relaxed);
            }
            "item/agentMessage/delta" => {
                // At least 1 ns, so that 0 keeps meaning "none yet".
                let now = u64::try_from(self.epoch.elapsed().as_nanos())
                    .unwrap_or(u64::MAX)
                    .max(1);
                if self.count.fetch_add(1, Ordering::Relaxed) == 0 {
                    self.first_ns.store(now, Ordering::Relaxed);
                }
                self.last_ns.store(now, Ordering::Relaxed);
            }
            _ => {}
        }
    }

    pub(crate) fn span_ns(&self) -> u64 {
        let first = self.first_ns.load(Ordering::Relaxed);
        self.last_ns.load(Ordering::Relaxed).saturating_sub(first)
    }
}
