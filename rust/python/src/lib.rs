//! `codex._native`: the PyO3 face of `codex-embedded-engine`.
//!
//! Thin by design: JSON text in and out, the GIL released around every wait,
//! engine errors mapped to one exception class that `codex.errors` refines.
//! The public Python API lives in `python/codex/`.

mod tracing_bridge;

use std::sync::Arc;
use std::sync::atomic::AtomicUsize;
use std::sync::atomic::Ordering;
use std::time::Duration;
use std::time::Instant;

mod schema;

use codex_embedded_engine::Engine;
use codex_embedded_engine::EngineError;
use codex_embedded_engine::EngineOptions;
use codex_embedded_engine::Event;
use codex_embedded_engine::EventKind;
use codex_embedded_engine::Subscription;
use codex_embedded_engine::runtime;
use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use pyo3::types::PyDict;

create_exception!(
    _native,
    NativeError,
    PyException,
    "An engine failure: args are (kind, message, code, data_json)."
);

/// How often a blocking wait comes back to let Python handle signals (Ctrl-C).
const SIGNAL_CHECK: Duration = Duration::from_millis(50);

/// Awaitables whose Rust side has not finished yet (see `quiesce`).
static AWAITABLES_IN_FLIGHT: AtomicUsize = AtomicUsize::new(0);

struct InFlight;

impl InFlight {
    fn enter() -> Self {
        AWAITABLES_IN_FLIGHT.fetch_add(1, Ordering::SeqCst);
        Self
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        AWAITABLES_IN_FLIGHT.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Wraps `future` as an asyncio awaitable run on the engine runtime.
fn awaitable<'py, F, T>(py: Python<'py>, future: F) -> PyResult<Bound<'py, PyAny>>
where
    F: std::future::Future<Output = PyResult<T>> + Send + 'static,
    T: for<'a> IntoPyObject<'a> + Send + 'static,
{
    // pyo3-async-runtimes would otherwise build its own runtime with 2 MiB worker
    // stacks, on which the engine overflows and the interpreter dies silently.
    let _ = pyo3_async_runtimes::tokio::init_with_runtime(runtime());
    let guard = InFlight::enter();
    pyo3_async_runtimes::tokio::future_into_py(py, async move {
        let _guard = guard;
        future.await
    })
}

/// (is_request, method, request_id_json, params_json)
type RawEvent = (bool, String, Option<String>, String);

fn to_py_err(err: EngineError) -> PyErr {
    let (code, data) = match &err {
        EngineError::Rpc { code, data, .. } => (Some(*code), data.as_ref().map(|d| d.to_string())),
        _ => (None, None),
    };
    let message = match &err {
        EngineError::Rpc { message, .. } => message.clone(),
        other => other.to_string(),
    };
    NativeError::new_err((err.kind(), message, code, data))
}

fn invalid(message: String) -> PyErr {
    to_py_err(EngineError::InvalidInput(message))
}

fn parse_json(text: &str, what: &str) -> PyResult<serde_json::Value> {
    serde_json::from_str(text).map_err(|err| invalid(format!("{what} is not valid JSON: {err}")))
}

fn raw(event: Event) -> RawEvent {
    (
        event.kind == EventKind::Request,
        event.method,
        event.id,
        event.params,
    )
}

/// Runs `future` on the engine runtime and waits for it with the GIL released,
/// waking regularly so that Ctrl-C raises KeyboardInterrupt in the caller.
fn wait_on_runtime<T, F>(py: Python<'_>, future: F) -> PyResult<T>
where
    T: Send + 'static,
    F: std::future::Future<Output = T> + Send + 'static,
{
    let mut task = runtime().spawn(future);
    loop {
        let outcome = py.detach(|| {
            runtime().block_on(async { tokio::time::timeout(SIGNAL_CHECK, &mut task).await })
        });
        match outcome {
            Ok(Ok(value)) => return Ok(value),
            Ok(Err(join_error)) => {
                return Err(to_py_err(EngineError::Closed(format!(
                    "engine task failed: {join_error}"
                ))));
            }
            Err(_elapsed) => py.check_signals()?,
        }
    }
}

/// One in-process app-server.
#[pyclass(module = "codex._native", frozen)]
struct NativeEngine {
    engine: Arc<Engine>,
    owner_pid: u32,
}

impl NativeEngine {
    fn live(&self) -> PyResult<&Arc<Engine>> {
        if std::process::id() != self.owner_pid {
            return Err(to_py_err(EngineError::Closed(
                "this engine belongs to the parent process; create a new client after fork()"
                    .into(),
            )));
        }
        Ok(&self.engine)
    }
}

#[pymethods]
impl NativeEngine {
    /// Starts an engine from JSON options; blocks with the GIL released.
    #[staticmethod]
    fn start(py: Python<'_>, options_json: &str) -> PyResult<Self> {
        let options = EngineOptions::from_json(options_json).map_err(to_py_err)?;
        let engine = wait_on_runtime(py, Engine::start(options))?.map_err(to_py_err)?;
        Ok(Self {
            engine: Arc::new(engine),
            owner_pid: std::process::id(),
        })
    }

    /// Awaitable twin of `start`.
    #[staticmethod]
    fn start_async<'py>(py: Python<'py>, options_json: &str) -> PyResult<Bound<'py, PyAny>> {
        let options = EngineOptions::from_json(options_json).map_err(to_py_err)?;
        awaitable(py, async move {
            let engine = Engine::start(options).await.map_err(to_py_err)?;
            Ok(NativeEngine {
                engine: Arc::new(engine),
                owner_pid: std::process::id(),
            })
        })
    }

    #[getter]
    fn closed(&self) -> bool {
        self.engine.is_closed()
    }

    /// Sends a client request; returns the JSON result text.
    fn request(&self, py: Python<'_>, method: String, params_json: &str) -> PyResult<String> {
        let engine = self.live()?.clone();
        let params = parse_json(params_json, "params")?;
        let result = wait_on_runtime(py, async move { engine.request(&method, params).await })?;
        result.map(|value| value.to_string()).map_err(to_py_err)
    }

    fn request_async<'py>(
        &self,
        py: Python<'py>,
        method: String,
        params_json: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        let engine = self.live()?.clone();
        let params = parse_json(params_json, "params")?;
        awaitable(py, async move {
            let value = engine.request(&method, params).await.map_err(to_py_err)?;
            Ok(value.to_string())
        })
    }

    /// Answers a server request with a JSON result.
    fn respond(&self, request_id: &str, result_json: &str) -> PyResult<()> {
        let result = parse_json(result_json, "result")?;
        self.live()?.respond(request_id, result).map_err(to_py_err)
    }

    /// Refuses a server request (the engine treats an error answer as a denial).
    fn fail_request(&self, request_id: &str, code: i64, message: String) -> PyResult<()> {
        self.live()?
            .fail_request(request_id, code, message)
            .map_err(to_py_err)
    }

    /// Routes one thread's events to a new subscription.
    fn subscribe(&self, thread_id: &str) -> PyResult<NativeSubscription> {
        let subscription = self.live()?.subscribe(thread_id).map_err(to_py_err)?;
        Ok(NativeSubscription {
            inner: Arc::new(subscription),
        })
    }

    /// Recent notifications that belonged to no subscribed thread.
    fn take_unrouted(&self) -> Vec<RawEvent> {
        self.engine.take_unrouted().into_iter().map(raw).collect()
    }

    fn stats<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let stats = self.engine.stats();
        let dict = PyDict::new(py);
        dict.set_item("events_delivered", stats.events_delivered)?;
        dict.set_item("events_lagged", stats.events_lagged)?;
        dict.set_item("unrouted_dropped", stats.unrouted_dropped)?;
        dict.set_item("requests_declined", stats.requests_declined)?;
        Ok(dict)
    }

    /// Stops the engine; blocks (GIL released) until it is down.
    fn shutdown(&self, py: Python<'_>) -> PyResult<()> {
        let engine = self.engine.clone();
        if std::process::id() != self.owner_pid {
            return Ok(());
        }
        wait_on_runtime(py, async move { engine.shutdown().await })
    }

    fn shutdown_async<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let engine = self.engine.clone();
        awaitable(py, async move {
            engine.shutdown().await;
            Ok(())
        })
    }
}

/// The events of one thread, in engine order.
#[pyclass(module = "codex._native", frozen)]
struct NativeSubscription {
    inner: Arc<Subscription>,
}

#[pymethods]
impl NativeSubscription {
    #[getter]
    fn thread_id(&self) -> &str {
        self.inner.thread_id()
    }

    /// Up to `max_events` events, waiting at most `timeout` seconds (forever if
    /// None) for the first. `[]` on timeout, `None` once the stream has ended.
    #[pyo3(signature = (max_events = 512, timeout = None))]
    fn next_batch(
        &self,
        py: Python<'_>,
        max_events: usize,
        timeout: Option<f64>,
    ) -> PyResult<Option<Vec<RawEvent>>> {
        let deadline = match timeout {
            Some(seconds) if !(seconds.is_finite() && seconds >= 0.0) => {
                return Err(invalid(format!(
                    "timeout must be >= 0 seconds, got {seconds}"
                )));
            }
            Some(seconds) => Some(Instant::now() + Duration::from_secs_f64(seconds)),
            None => None,
        };
        loop {
            let wait = match deadline {
                Some(deadline) => deadline
                    .saturating_duration_since(Instant::now())
                    .min(SIGNAL_CHECK),
                None => SIGNAL_CHECK,
            };
            let inner = self.inner.clone();
            let batch = py.detach(move || {
                runtime().block_on(async move { inner.next_batch_timeout(max_events, wait).await })
            });
            match batch {
                None => return Ok(None),
                Some(events) if !events.is_empty() => {
                    return Ok(Some(events.into_iter().map(raw).collect()));
                }
                Some(_) => {
                    py.check_signals()?;
                    if deadline.is_some_and(|deadline| Instant::now() >= deadline) {
                        return Ok(Some(Vec::new()));
                    }
                }
            }
        }
    }

    /// Awaitable twin of `next_batch` (no timeout: use asyncio's).
    #[pyo3(signature = (max_events = 512))]
    fn next_batch_async<'py>(
        &self,
        py: Python<'py>,
        max_events: usize,
    ) -> PyResult<Bound<'py, PyAny>> {
        let inner = self.inner.clone();
        awaitable(py, async move {
            Ok(inner
                .next_batch(max_events)
                .await
                .map(|events| events.into_iter().map(raw).collect::<Vec<_>>()))
        })
    }

    /// Ends the stream; queued server requests are declined.
    fn close(&self) {
        self.inner.close();
    }
}

/// Waits (GIL released, at most `timeout` seconds) until no awaitable is still
/// completing on an engine thread. Registered with `atexit`: an engine thread
/// that hands a result to asyncio while the interpreter finalizes aborts the
/// process, so exit waits for those hand-overs first.
#[pyfunction]
#[pyo3(signature = (timeout = 1.0))]
fn quiesce(py: Python<'_>, timeout: f64) {
    let deadline = Instant::now() + Duration::from_secs_f64(timeout.clamp(0.0, 60.0));
    py.detach(|| {
        while AWAITABLES_IN_FLIGHT.load(Ordering::SeqCst) > 0 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(1));
        }
        // The last one may still be inside its hand-over to Python.
        std::thread::sleep(Duration::from_millis(5));
    });
}

/// Facts about the process-wide runtime, for diagnostics and tests.
#[pyfunction]
fn runtime_info<'py>(py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    dict.set_item(
        "worker_stack_bytes",
        codex_embedded_engine::WORKER_STACK_BYTES,
    )?;
    dict.set_item("workers", runtime().metrics().num_workers())?;
    dict.set_item("alive_tasks", runtime().metrics().num_alive_tasks())?;
    dict.set_item(
        "awaitables_in_flight",
        AWAITABLES_IN_FLIGHT.load(Ordering::SeqCst),
    )?;
    Ok(dict)
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("NativeError", m.py().get_type::<NativeError>())?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_class::<NativeEngine>()?;
    m.add_class::<NativeSubscription>()?;
    m.add_function(wrap_pyfunction!(runtime_info, m)?)?;
    m.add_function(wrap_pyfunction!(quiesce, m)?)?;
    tracing_bridge::register(m)?;
    m.add_function(wrap_pyfunction!(schema::protocol_schema, m)?)?;
    Ok(())
}
