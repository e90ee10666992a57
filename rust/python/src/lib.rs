//! `codex._native`: the PyO3 face of `codex-embedded-engine`.
//!
//! Thin by design: JSON text in and out, the GIL released around every wait,
//! engine errors mapped to one exception class that `codex.errors` refines.
//! The public Python API lives in `python/codex/`.

mod tracing_bridge;

/// The engine allocates and frees small objects for every event it handles (an SSE event's
/// JSON, the turn's event, the app-server notification, the wire text): with mimalloc
/// instead of the system allocator the 2,000-delta stream reaches Python faster
/// (docs/benchmarks.md has the before/after). It serves the extension's Rust code only;
/// Python and the C libraries keep the system allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::AtomicU32;
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
use pyo3_async_runtimes::TaskLocals;
use pyo3_async_runtimes::generic;

// One Python class per engine error variant, so the SDK maps them by class (the match in
// `to_py_err` is exhaustive: a new variant does not compile without its class).
create_exception!(
    _native,
    NativeError,
    PyException,
    "Base of the engine's failures; each variant has its own subclass."
);
create_exception!(
    _native,
    InvalidInputError,
    NativeError,
    "Options or a request the engine cannot accept: args are (message,)."
);
create_exception!(
    _native,
    RpcError,
    NativeError,
    "The engine answered with a JSON-RPC error: args are (message, code, data_json or None)."
);
create_exception!(
    _native,
    ClosedError,
    NativeError,
    "The engine is shut down or belongs to another process: args are (message,)."
);
create_exception!(
    _native,
    StartupError,
    NativeError,
    "The engine failed to start: args are (message,)."
);

/// How often a blocking wait comes back to let Python handle signals (Ctrl-C).
const SIGNAL_CHECK: Duration = Duration::from_millis(50);

/// Awaitables whose Rust side has not finished yet (see `quiesce`).
static AWAITABLES_IN_FLIGHT: AtomicUsize = AtomicUsize::new(0);
/// The process `AWAITABLES_IN_FLIGHT` counts for: a forked child starts from zero,
/// since its parent's awaitables never run there. Set when the module loads.
static AWAITABLES_PID: AtomicU32 = AtomicU32::new(0);

fn awaitables_in_flight() -> &'static AtomicUsize {
    let pid = std::process::id();
    if AWAITABLES_PID.swap(pid, Ordering::SeqCst) != pid {
        AWAITABLES_IN_FLIGHT.store(0, Ordering::SeqCst);
    }
    &AWAITABLES_IN_FLIGHT
}

struct InFlight;

impl InFlight {
    fn enter() -> Self {
        awaitables_in_flight().fetch_add(1, Ordering::SeqCst);
        Self
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        awaitables_in_flight().fetch_sub(1, Ordering::SeqCst);
    }
}

/// Runs the awaitables' futures on `runtime()`. pyo3-async-runtimes' own tokio
/// integration keeps one runtime for the life of the process (it can be set only
/// once), whose workers do not exist in a forked child; `runtime()` is rebuilt
/// there. (Its default runtime would also have 2 MiB worker stacks, on which the
/// engine overflows and the interpreter dies silently.)
struct EngineRuntime;

tokio::task_local! {
    static TASK_LOCALS: TaskLocals;
}

impl generic::Runtime for EngineRuntime {
    type JoinError = tokio::task::JoinError;
    type JoinHandle = tokio::task::JoinHandle<()>;

    fn spawn<F>(fut: F) -> Self::JoinHandle
    where
        F: Future<Output = ()> + Send + 'static,
    {
        runtime().spawn(fut)
    }

    fn spawn_blocking<F>(f: F) -> Self::JoinHandle
    where
        F: FnOnce() + Send + 'static,
    {
        runtime().spawn_blocking(f)
    }
}

impl generic::ContextExt for EngineRuntime {
    fn scope<F, R>(locals: TaskLocals, fut: F) -> Pin<Box<dyn Future<Output = R> + Send>>
    where
        F: Future<Output = R> + Send + 'static,
    {
        Box::pin(TASK_LOCALS.scope(locals, fut))
    }

    fn get_task_locals() -> Option<TaskLocals> {
        TASK_LOCALS.try_with(TaskLocals::clone).ok()
    }
}

/// Wraps `future` as an asyncio awaitable run on the engine runtime.
fn awaitable<'py, F, T>(py: Python<'py>, future: F) -> PyResult<Bound<'py, PyAny>>
where
    F: Future<Output = PyResult<T>> + Send + 'static,
    T: for<'a> IntoPyObject<'a> + Send + 'static,
{
    let guard = InFlight::enter();
    generic::future_into_py::<EngineRuntime, _, T>(py, async move {
        let _guard = guard;
        future.await
    })
}

/// The error for an engine or subscription used in a process forked from its own.
fn forked() -> PyErr {
    to_py_err(EngineError::Closed(
        "this client belongs to the parent process (it was inherited through fork()); \
         create a new client in this process"
            .into(),
    ))
}

/// (is_request, method, request_id_json, params_json)
type RawEvent = (bool, String, Option<String>, String);

fn to_py_err(err: EngineError) -> PyErr {
    match err {
        EngineError::Rpc {
            code,
            message,
            data,
        } => RpcError::new_err((message, code, data.map(|data| data.to_string()))),
        EngineError::InvalidInput(_) => InvalidInputError::new_err((err.to_string(),)),
        EngineError::Closed(_) => ClosedError::new_err((err.to_string(),)),
        EngineError::Startup(_) => StartupError::new_err((err.to_string(),)),
    }
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
    fn inherited(&self) -> bool {
        std::process::id() != self.owner_pid
    }

    fn live(&self) -> PyResult<&Arc<Engine>> {
        if self.inherited() {
            return Err(forked());
        }
        Ok(&self.engine)
    }
}

impl Drop for NativeEngine {
    fn drop(&mut self) {
        if self.inherited() {
            // The engine's tasks, sockets and files are the parent's: a forked child
            // leaks them rather than stop or deregister anything the parent still uses.
            std::mem::forget(self.engine.clone());
        }
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
            owner_pid: self.owner_pid,
        })
    }

    /// The notifications of no thread or of a thread with no open stream, queued for
    /// one subscriber (the session) until it takes them.
    fn subscribe_unrouted(&self) -> PyResult<NativeSubscription> {
        let subscription = self.live()?.subscribe_unrouted().map_err(to_py_err)?;
        Ok(NativeSubscription {
            inner: Arc::new(subscription),
            owner_pid: self.owner_pid,
        })
    }

    fn stats<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let stats = self.engine.stats();
        let dict = PyDict::new(py);
        dict.set_item("events_delivered", stats.events_delivered)?;
        dict.set_item("events_lagged", stats.events_lagged)?;
        dict.set_item("unrouted_dropped", stats.unrouted_dropped)?;
        dict.set_item("requests_declined", stats.requests_declined)?;
        dict.set_item("turn_text_deltas", stats.turn_text_deltas)?;
        dict.set_item("turn_text_delta_span_ns", stats.turn_text_delta_span_ns)?;
        Ok(dict)
    }

    /// Stops the engine; blocks (GIL released) until it is down.
    fn shutdown(&self, py: Python<'_>) -> PyResult<()> {
        let engine = self.engine.clone();
        if self.inherited() {
            return Ok(());
        }
        wait_on_runtime(py, async move { engine.shutdown().await })
    }

    fn shutdown_async<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let engine = self.engine.clone();
        if self.inherited() {
            return awaitable(py, async { Ok(()) });
        }
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
    owner_pid: u32,
}

impl NativeSubscription {
    fn inherited(&self) -> bool {
        std::process::id() != self.owner_pid
    }
}

impl Drop for NativeSubscription {
    fn drop(&mut self) {
        if self.inherited() {
            // Closing would decline the parent's queued server requests.
            std::mem::forget(self.inner.clone());
        }
    }
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
        if self.inherited() {
            return Err(forked());
        }
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
        if self.inherited() {
            return Err(forked());
        }
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
        if !self.inherited() {
            self.inner.close();
        }
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
        while awaitables_in_flight().load(Ordering::SeqCst) > 0 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(1));
        }
        // The last one may still be inside its hand-over to Python.
        std::thread::sleep(Duration::from_millis(5));
    });
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    AWAITABLES_PID.store(std::process::id(), Ordering::SeqCst);
    m.add("NativeError", m.py().get_type::<NativeError>())?;
    m.add("InvalidInputError", m.py().get_type::<InvalidInputError>())?;
    m.add("RpcError", m.py().get_type::<RpcError>())?;
    m.add("ClosedError", m.py().get_type::<ClosedError>())?;
    m.add("StartupError", m.py().get_type::<StartupError>())?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_class::<NativeEngine>()?;
    m.add_class::<NativeSubscription>()?;
    m.add_function(wrap_pyfunction!(quiesce, m)?)?;
    tracing_bridge::register(m)?;
    m.add_function(wrap_pyfunction!(schema::protocol_schema, m)?)?;
    Ok(())
}
