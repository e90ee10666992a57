//! Carries the engine's `tracing` events (and `log` records) to Python's `logging`.
//!
//! Engine worker threads never take the GIL here: an enabled event is turned into
//! an owned record and pushed onto a bounded queue, which a Python thread drains
//! with `next_log_records`. The level is decided on the Rust side (Python pushes
//! its logger's effective level with `set_log_level`), and a change rebuilds
//! tracing's callsite interest cache, so a disabled event costs one cached check.
//! When the queue is full, new records are counted and dropped rather than
//! blocking the engine.

use std::collections::VecDeque;
use std::fmt::Write as _;
use std::sync::Condvar;
use std::sync::Mutex;
use std::sync::Once;
use std::sync::atomic::AtomicU8;
use std::sync::atomic::AtomicU64;
use std::sync::atomic::Ordering;
use std::time::Duration;
use std::time::Instant;
use std::time::SystemTime;
use std::time::UNIX_EPOCH;

use pyo3::prelude::*;
use pyo3::types::PyDict;
use tracing::Event;
use tracing::Level;
use tracing::Metadata;
use tracing::Subscriber;
use tracing::field::Field;
use tracing::field::Visit;
use tracing::span;
use tracing::subscriber::Interest;
use tracing_log::NormalizeEvent;
use tracing_subscriber::Layer;
use tracing_subscriber::layer::Context;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::registry::LookupSpan;

/// Records waiting for Python; past this, new ones are dropped and counted.
const QUEUE_CAPACITY: usize = 10_000;

/// 0 = off, 1 = error, 2 = warn, 3 = info, 4 = debug, 5 = trace.
static MAX_LEVEL: AtomicU8 = AtomicU8::new(0);
static DROPPED: AtomicU64 = AtomicU64::new(0);
static FORWARDED: AtomicU64 = AtomicU64::new(0);
static QUEUE: Mutex<VecDeque<LogRecord>> = Mutex::new(VecDeque::new());
static READY: Condvar = Condvar::new();
static INSTALL: Once = Once::new();

/// (levelno, target, message, fields, thread_id, turn_id, created, file, line)
type LogRecord = (
    u8,
    String,
    String,
    Vec<(String, String)>,
    Option<String>,
    Option<String>,
    f64,
    Option<String>,
    Option<u32>,
);

fn rank(level: &Level) -> u8 {
    match *level {
        Level::ERROR => 1,
        Level::WARN => 2,
        Level::INFO => 3,
        Level::DEBUG => 4,
        Level::TRACE => 5,
    }
}

/// Python's level numbers, so records need no translation on the other side.
fn python_levelno(level: &Level) -> u8 {
    match *level {
        Level::ERROR => 40,
        Level::WARN => 30,
        Level::INFO => 20,
        Level::DEBUG => 10,
        Level::TRACE => 5,
    }
}

fn rank_for_python_level(levelno: i64) -> u8 {
    match levelno {
        i64::MIN..=5 => 5,
        6..=10 => 4,
        11..=20 => 3,
        21..=30 => 2,
        31..=40 => 1,
        _ => 0,
    }
}

fn level_filter(rank: u8) -> tracing::level_filters::LevelFilter {
    use tracing::level_filters::LevelFilter;
    match rank {
        0 => LevelFilter::OFF,
        1 => LevelFilter::ERROR,
        2 => LevelFilter::WARN,
        3 => LevelFilter::INFO,
        4 => LevelFilter::DEBUG,
        _ => LevelFilter::TRACE,
    }
}

fn log_level_filter(rank: u8) -> log::LevelFilter {
    match rank {
        0 => log::LevelFilter::Off,
        1 => log::LevelFilter::Error,
        2 => log::LevelFilter::Warn,
        3 => log::LevelFilter::Info,
        4 => log::LevelFilter::Debug,
        _ => log::LevelFilter::Trace,
    }
}

const CORRELATION_FIELDS: [&str; 6] = [
    "thread.id",
    "thread_id",
    "conversation.id",
    "conversation_id",
    "turn.id",
    "turn_id",
];

/// Events at the forwarded level, and, whenever anything is forwarded, the spans
/// that carry correlation ids (so a warning inside a turn still names its turn).
fn wanted(metadata: &Metadata<'_>) -> bool {
    let max = MAX_LEVEL.load(Ordering::Relaxed);
    if rank(metadata.level()) <= max {
        return true;
    }
    max > 0
        && metadata.is_span()
        && metadata
            .fields()
            .iter()
            .any(|field| CORRELATION_FIELDS.contains(&field.name()))
}

/// Correlation ids found on a span (or an event), under the engine's field names.
#[derive(Default, Clone)]
struct Correlation {
    thread_id: Option<String>,
    turn_id: Option<String>,
}

impl Correlation {
    fn note(&mut self, name: &str, value: String) -> bool {
        match name {
            "thread.id" | "thread_id" | "conversation.id" | "conversation_id" => {
                self.thread_id = Some(value);
                true
            }
            "turn.id" | "turn_id" => {
                self.turn_id = Some(value);
                true
            }
            _ => false,
        }
    }
}

impl Visit for Correlation {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        let name = field.name();
        if CORRELATION_FIELDS.contains(&name) {
            self.note(name, format!("{value:?}"));
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.note(field.name(), value.to_owned());
    }
}

struct EventFields {
    message: String,
    fields: Vec<(String, String)>,
    correlation: Correlation,
}

impl Visit for EventFields {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.message, "{value:?}");
        } else {
            self.record_value(field.name(), format!("{value:?}"));
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message.push_str(value);
        } else {
            self.record_value(field.name(), value.to_owned());
        }
    }
}

impl EventFields {
    fn record_value(&mut self, name: &str, value: String) {
        // `log` records bridged by tracing-log carry their origin as `log.*` fields.
        if name.starts_with("log.") {
            return;
        }
        self.correlation.note(name, value.clone());
        self.fields.push((name.to_owned(), value));
    }
}

struct PythonLogLayer;

impl<S> Layer<S> for PythonLogLayer
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn register_callsite(&self, metadata: &'static Metadata<'static>) -> Interest {
        if wanted(metadata) {
            Interest::always()
        } else {
            Interest::never()
        }
    }

    fn enabled(&self, metadata: &Metadata<'_>, _ctx: Context<'_, S>) -> bool {
        wanted(metadata)
    }

    fn max_level_hint(&self) -> Option<tracing::level_filters::LevelFilter> {
        // Info-level correlation spans must get past tracing's global level check.
        let max = MAX_LEVEL.load(Ordering::Relaxed);
        Some(level_filter(if max == 0 { 0 } else { max.max(3) }))
    }

    fn on_new_span(&self, attrs: &span::Attributes<'_>, id: &span::Id, ctx: Context<'_, S>) {
        let mut correlation = Correlation::default();
        attrs.record(&mut correlation);
        if (correlation.thread_id.is_some() || correlation.turn_id.is_some())
            && let Some(span) = ctx.span(id)
        {
            span.extensions_mut().insert(correlation);
        }
    }

    fn on_record(&self, id: &span::Id, values: &span::Record<'_>, ctx: Context<'_, S>) {
        let mut update = Correlation::default();
        values.record(&mut update);
        if update.thread_id.is_none() && update.turn_id.is_none() {
            return;
        }
        if let Some(span) = ctx.span(id) {
            let mut extensions = span.extensions_mut();
            match extensions.get_mut::<Correlation>() {
                Some(existing) => {
                    existing.thread_id = update.thread_id.or(existing.thread_id.take());
                    existing.turn_id = update.turn_id.or(existing.turn_id.take());
                }
                None => extensions.insert(update),
            }
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        // A `log` record names its real target and location in its normalized metadata.
        let normalized = event.normalized_metadata();
        let metadata = normalized.as_ref().unwrap_or_else(|| event.metadata());
        let mut visited = EventFields {
            message: String::new(),
            fields: Vec::new(),
            correlation: Correlation::default(),
        };
        event.record(&mut visited);
        let mut correlation = visited.correlation;
        if (correlation.thread_id.is_none() || correlation.turn_id.is_none())
            && let Some(scope) = ctx.event_scope(event)
        {
            for span in scope {
                if let Some(found) = span.extensions().get::<Correlation>() {
                    if correlation.thread_id.is_none() {
                        correlation.thread_id.clone_from(&found.thread_id);
                    }
                    if correlation.turn_id.is_none() {
                        correlation.turn_id.clone_from(&found.turn_id);
                    }
                }
                if correlation.thread_id.is_some() && correlation.turn_id.is_some() {
                    break;
                }
            }
        }
        let created = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|elapsed| elapsed.as_secs_f64())
            .unwrap_or_default();
        let record: LogRecord = (
            python_levelno(metadata.level()),
            metadata.target().to_owned(),
            visited.message,
            visited.fields,
            correlation.thread_id,
            correlation.turn_id,
            created,
            metadata.file().map(str::to_owned),
            metadata.line(),
        );
        push(record);
    }
}

fn push(record: LogRecord) {
    let Ok(mut queue) = QUEUE.lock() else {
        DROPPED.fetch_add(1, Ordering::Relaxed);
        return;
    };
    if queue.len() >= QUEUE_CAPACITY {
        DROPPED.fetch_add(1, Ordering::Relaxed);
        return;
    }
    queue.push_back(record);
    FORWARDED.fetch_add(1, Ordering::Relaxed);
    drop(queue);
    READY.notify_one();
}

fn install() {
    INSTALL.call_once(|| {
        // Another subscriber (or logger) may already be set in this library's copy
        // of tracing; then the engine's output goes there and this bridge stays idle.
        let subscriber = tracing_subscriber::registry().with(PythonLogLayer);
        let _ = tracing::subscriber::set_global_default(subscriber);
        if tracing_log::LogTracer::init().is_ok() {
            // LogTracer opens `log` to every level; keep it at ours.
            log::set_max_level(log_level_filter(MAX_LEVEL.load(Ordering::SeqCst)));
        }
    });
}

/// Forwards engine events at `levelno` (a Python logging level) and above; above
/// CRITICAL turns forwarding off.
#[pyfunction]
pub fn set_log_level(levelno: i64) {
    install();
    let rank = rank_for_python_level(levelno);
    if MAX_LEVEL.swap(rank, Ordering::SeqCst) != rank {
        log::set_max_level(log_level_filter(rank));
        tracing::callsite::rebuild_interest_cache();
    }
}

/// Up to `max_records` forwarded records, waiting at most `timeout` seconds (GIL
/// released) for the first. Each is (levelno, target, message, fields, thread_id,
/// turn_id, created, file, line).
#[pyfunction]
#[pyo3(signature = (max_records = 512, timeout = 0.5))]
pub fn next_log_records(py: Python<'_>, max_records: usize, timeout: f64) -> Vec<LogRecord> {
    let wait = Duration::from_secs_f64(timeout.clamp(0.0, 60.0));
    py.detach(|| {
        let deadline = Instant::now() + wait;
        let Ok(mut queue) = QUEUE.lock() else {
            return Vec::new();
        };
        while queue.is_empty() {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Vec::new();
            }
            queue = match READY.wait_timeout(queue, left) {
                Ok((queue, _)) => queue,
                Err(_) => return Vec::new(),
            };
        }
        let count = queue.len().min(max_records.max(1));
        queue.drain(..count).collect()
    })
}

/// Counters of the bridge: records forwarded, dropped on a full queue, waiting.
#[pyfunction]
pub fn log_bridge_stats<'py>(py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    dict.set_item("forwarded", FORWARDED.load(Ordering::Relaxed))?;
    dict.set_item("dropped", DROPPED.load(Ordering::Relaxed))?;
    dict.set_item("queued", QUEUE.lock().map(|queue| queue.len()).unwrap_or(0))?;
    dict.set_item("level", MAX_LEVEL.load(Ordering::Relaxed))?;
    Ok(dict)
}

/// Emits `count` engine-style events inside a span carrying thread and turn ids,
/// timing the emission alone (GIL released). For tests and for measuring the cost
/// of the bridge; returns the nanoseconds per event.
#[pyfunction]
#[pyo3(signature = (count, message, thread_id = "thread-probe", turn_id = "turn-probe"))]
pub fn emit_probe_events(
    py: Python<'_>,
    count: u32,
    message: String,
    thread_id: &str,
    turn_id: &str,
) -> f64 {
    install();
    py.detach(|| {
        let span = tracing::info_span!("turn", thread.id = %thread_id, turn.id = %turn_id);
        let _entered = span.enter();
        let started = Instant::now();
        for index in 0..count {
            tracing::debug!(target: "codex_embedded::probe", index, "{message}");
        }
        started.elapsed().as_nanos() as f64 / f64::from(count.max(1))
    })
}

pub fn register(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add_function(wrap_pyfunction!(set_log_level, module)?)?;
    module.add_function(wrap_pyfunction!(next_log_records, module)?)?;
    module.add_function(wrap_pyfunction!(log_bridge_stats, module)?)?;
    module.add_function(wrap_pyfunction!(emit_probe_events, module)?)?;
    Ok(())
}
