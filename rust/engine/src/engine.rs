use std::path::Path;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::AtomicBool;
use std::sync::atomic::AtomicI64;
use std::sync::atomic::AtomicU64;
use std::sync::atomic::Ordering;
use std::time::Duration;

use codex_vendor::codex_app_server::in_process;
use codex_vendor::codex_app_server::in_process::InProcessClientHandle;
use codex_vendor::codex_app_server::in_process::InProcessClientSender;
use codex_vendor::codex_app_server::in_process::InProcessServerEvent;
use codex_vendor::codex_app_server::in_process::InProcessStartArgs;
use codex_vendor::codex_app_server_protocol::ClientInfo;
use codex_vendor::codex_app_server_protocol::ClientRequest;
use codex_vendor::codex_app_server_protocol::InitializeCapabilities;
use codex_vendor::codex_app_server_protocol::InitializeParams;
use codex_vendor::codex_app_server_protocol::JSONRPCErrorError;
use codex_vendor::codex_app_server_protocol::RequestId;
use codex_vendor::codex_arg0::Arg0DispatchPaths;
use codex_vendor::codex_config::CloudConfigBundleLoader;
use codex_vendor::codex_config::LoaderOverrides;
use codex_vendor::codex_config::NoopThreadConfigLoader;
use codex_vendor::codex_core::config::ConfigBuilder;
use codex_vendor::codex_core::config::ConfigOverrides;
use codex_vendor::codex_exec_server::ExecServerRuntimePaths;
use codex_vendor::codex_feedback::CodexFeedback;
use codex_vendor::codex_login::AuthCredentialsStoreMode;
use codex_vendor::codex_login::AuthKeyringBackendKind;
use codex_vendor::codex_login::login_with_api_key;
use codex_vendor::codex_login::logout;
use codex_vendor::codex_protocol::protocol::SessionSource;
use serde_json::Value;
use tokio::sync::oneshot;
use tokio::sync::watch;

use crate::error::EngineError;
use crate::idle_threads::UnloadingDelay;
use crate::observers::ActiveTurns;
use crate::observers::DeltaClock;
use crate::observers::Observers;
use crate::options::EngineOptions;
use crate::queue::Event;
use crate::queue::EventKind;
use crate::queue::Router;
use crate::queue::Subscription;
use crate::queue::UNROUTED;
use crate::wire::notification_to_wire;
use crate::wire::to_wire;

/// JSON-RPC "server error" code used when a server request is declined for lack of an answer.
const DECLINED_CODE: i64 = -32000;
/// How long a request waits for room in the engine's submission queue.
const SUBMIT_PATIENCE: Duration = Duration::from_secs(5);
/// How long shutdown waits for the turns it interrupts to acknowledge.
const INTERRUPT_PATIENCE: Duration = Duration::from_secs(2);

/// Counters describing one engine's event flow.
#[derive(Debug, Clone, Copy, Default)]
pub struct EngineStats {
    pub events_delivered: u64,
    pub events_lagged: u64,
    pub unrouted_dropped: u64,
    pub requests_declined: u64,
    /// `item/agentMessage/delta` notifications of the most recently started turn (any thread).
    pub turn_text_deltas: u64,
    /// Time between the first and the last of them leaving the engine: with the count, the rate
    /// at which the engine emitted them, to set against the rate at which they reach Python.
    pub turn_text_delta_span_ns: u64,
}

/// One running in-process app-server.
pub struct Engine {
    sender: InProcessClientSender,
    router: Arc<Router>,
    next_request_id: AtomicI64,
    closing: AtomicBool,
    stop: Mutex<Option<oneshot::Sender<()>>>,
    stopped: watch::Receiver<bool>,
    lagged: Arc<AtomicU64>,
    declined: Arc<AtomicU64>,
    active_turns: Arc<ActiveTurns>,
    deltas: Arc<DeltaClock>,
}

impl Engine {
    /// Configures and starts an engine. Runs on the engine runtime (large stacks).
    pub async fn start(options: EngineOptions) -> Result<Self, EngineError> {
        let overrides = options.toml_overrides()?;
        crate::os_detection::detect_os(options.os_detection_cache.as_deref());
        std::fs::create_dir_all(&options.codex_home)
            .map_err(|err| EngineError::startup("cannot create the engine home", err))?;
        let home = options
            .codex_home
            .canonicalize()
            .map_err(|err| EngineError::startup("cannot resolve the engine home", err))?;
        let (arg0_paths, helper_probe) = match &options.helper {
            Some(helper) => {
                let (paths, helper) = helper_paths(helper, &home)?;
                // Answered while the configuration builds; checked before the app-server starts.
                let kept = options.helper_check_cache.clone();
                (
                    paths,
                    Some(tokio::spawn(crate::helper_check::check_helper(
                        helper, kept,
                    ))),
                )
            }
            None => (Arg0DispatchPaths::default(), None),
        };

        let config = ConfigBuilder::default()
            .codex_home(home.clone())
            .cli_overrides(overrides.clone())
            .harness_overrides(ConfigOverrides {
                cwd: options.cwd.clone(),
                codex_self_exe: arg0_paths.codex_self_exe.clone(),
                codex_linux_sandbox_exe: arg0_paths.codex_linux_sandbox_exe.clone(),
                main_execve_wrapper_exe: arg0_paths.main_execve_wrapper_exe.clone(),
                ..Default::default()
            })
            .build()
            .await
            .map_err(|err| EngineError::startup("invalid engine configuration", err))?;

        let runtime_paths = match &arg0_paths.codex_self_exe {
            Some(_) => Some(
                ExecServerRuntimePaths::from_optional_paths(
                    arg0_paths.codex_self_exe.clone(),
                    arg0_paths.codex_linux_sandbox_exe.clone(),
                )
                .map_err(|err| EngineError::startup("invalid helper path", err))?,
            ),
            None => None,
        };
        let environment_manager = crate::environments::environment_manager(
            &home,
            options.exec_server_url.as_deref(),
            runtime_paths,
        )
        .await?;
        let templates = options.database_templates.as_deref();
        let state_db = crate::database_templates::open_state_databases(&config, templates).await;
        if let Some(probe) = helper_probe {
            probe.await.map_err(|err| {
                EngineError::startup("the helper executable's check did not finish", err)
            })??;
        }
        // The built-in OpenAI provider takes its key from the login store; the in-memory
        // store is read first and is keyed by home, so clients with their own homes keep
        // their own keys and nothing reaches auth.json or the environment.
        let key_home = match &options.api_key {
            Some(key) => {
                login_with_api_key(
                    &home,
                    key.expose(),
                    AuthCredentialsStoreMode::Ephemeral,
                    AuthKeyringBackendKind::default(),
                )
                .map_err(|err| EngineError::startup("cannot hold the API key", err))?;
                Some(home.clone())
            }
            None => None,
        };

        let args = InProcessStartArgs {
            arg0_paths,
            config: Arc::new(config),
            // The app-server rebuilds every thread's config from home + these.
            cli_overrides: overrides,
            loader_overrides: LoaderOverrides::default(),
            strict_config: false,
            cloud_config_bundle: CloudConfigBundleLoader::default(),
            thread_config_loader: Arc::new(NoopThreadConfigLoader),
            feedback: CodexFeedback::new(),
            log_db: None,
            state_db,
            environment_manager: Arc::new(environment_manager),
            config_warnings: Vec::new(),
            // What `codex app-server` (and so the official SDK) uses: threads are then
            // stamped the same way and appear in thread/list's default filter.
            session_source: SessionSource::VSCode,
            // The key comes from options, never from the process environment.
            enable_codex_api_key_env: false,
            initialize: InitializeParams {
                client_info: ClientInfo {
                    name: options.client_name.clone(),
                    title: options.client_title.clone(),
                    version: options.client_version.clone(),
                },
                capabilities: Some(InitializeCapabilities {
                    experimental_api: options.experimental_api,
                    ..Default::default()
                }),
            },
            channel_capacity: options.channel_capacity.max(1),
        };
        // Before the app-server starts: a thread's listener reads it when it attaches.
        let unloading_delay = UnloadingDelay::set(&home, options.thread_unload_delay_ms);
        let handle = match in_process::start(args).await {
            Ok(handle) => handle,
            Err(err) => {
                forget_api_key(key_home.as_deref());
                return Err(EngineError::startup(
                    "the app-server did not initialize",
                    err,
                ));
            }
        };

        let sender = handle.sender();
        let declined = Arc::new(AtomicU64::new(0));
        let decliner = {
            let sender = sender.clone();
            let declined = declined.clone();
            Box::new(move |event: &Event| {
                declined.fetch_add(1, Ordering::Relaxed);
                decline(&sender, event, "no handler answered this request; declined");
            })
        };
        let router = Arc::new(Router::new(decliner));
        let lagged = Arc::new(AtomicU64::new(0));
        let active_turns = Arc::new(ActiveTurns::default());
        let deltas = Arc::new(DeltaClock::new());
        let (stop_tx, stop_rx) = oneshot::channel();
        let (stopped_tx, stopped_rx) = watch::channel(false);
        crate::database_templates::ensure_template(templates);
        tokio::spawn(pump(
            handle,
            router.clone(),
            Observers {
                lagged: lagged.clone(),
                active_turns: active_turns.clone(),
                deltas: deltas.clone(),
            },
            stop_rx,
            stopped_tx,
            key_home,
            unloading_delay,
        ));
        Ok(Self {
            sender,
            router,
            next_request_id: AtomicI64::new(1),
            closing: AtomicBool::new(false),
            stop: Mutex::new(Some(stop_tx)),
            stopped: stopped_rx,
            lagged,
            declined,
            active_turns,
            deltas,
        })
    }

    pub fn is_closed(&self) -> bool {
        self.closing.load(Ordering::SeqCst) || *self.stopped.borrow()
    }

    /// Sends one client request (`method` + JSON `params`) and returns its JSON result.
    pub async fn request(&self, method: &str, params: Value) -> Result<Value, EngineError> {
        if self.is_closed() {
            return Err(EngineError::Closed(format!("cannot send {method}")));
        }
        let id = self.next_request_id.fetch_add(1, Ordering::Relaxed);
        let mut envelope = serde_json::Map::new();
        envelope.insert("id".into(), Value::from(id));
        envelope.insert("method".into(), Value::from(method));
        if !params.is_null() {
            envelope.insert("params".into(), params);
        }
        let request: ClientRequest = serde_json::from_value(Value::Object(envelope))
            .map_err(|err| EngineError::InvalidInput(format!("invalid {method} request: {err}")))?;
        let deadline = tokio::time::Instant::now() + SUBMIT_PATIENCE;
        loop {
            match self.sender.request(request.clone()).await {
                Ok(Ok(result)) => return Ok(result),
                Ok(Err(error)) => {
                    return Err(EngineError::Rpc {
                        code: error.code,
                        message: error.message,
                        data: error.data,
                    });
                }
                Err(err)
                    if err.kind() == std::io::ErrorKind::WouldBlock
                        && tokio::time::Instant::now() < deadline =>
                {
                    tokio::time::sleep(Duration::from_millis(1)).await;
                }
                Err(err) => return Err(EngineError::Closed(format!("{method}: {err}"))),
            }
        }
    }

    /// Answers a server request with a JSON result.
    pub fn respond(&self, request_id: &str, result: Value) -> Result<(), EngineError> {
        let id = parse_request_id(request_id)?;
        let sender = self.sender.clone();
        submit(move || sender.respond_to_server_request(id.clone(), result.clone()))
            .map_err(|err| EngineError::Closed(format!("cannot answer request: {err}")))
    }

    /// Answers a server request with a JSON-RPC error (the engine treats it as a refusal).
    pub fn fail_request(
        &self,
        request_id: &str,
        code: i64,
        message: String,
    ) -> Result<(), EngineError> {
        let id = parse_request_id(request_id)?;
        let error = JSONRPCErrorError {
            code,
            message,
            data: None,
        };
        let sender = self.sender.clone();
        submit(move || sender.fail_server_request(id.clone(), error.clone()))
            .map_err(|err| EngineError::Closed(format!("cannot answer request: {err}")))
    }

    /// Routes the events of `thread_id` to a new subscription. One at a time per thread.
    pub fn subscribe(&self, thread_id: &str) -> Result<Subscription, EngineError> {
        if thread_id.is_empty() {
            return Err(EngineError::InvalidInput("a thread id is required".into()));
        }
        self.subscribe_key(thread_id, || {
            format!("thread {thread_id} already has an open event stream; finish or close it first")
        })
    }

    /// The unrouted notifications (those of no thread, or of a thread with no open
    /// stream), kept for this subscriber until it takes them; one per engine.
    pub fn subscribe_unrouted(&self) -> Result<Subscription, EngineError> {
        self.subscribe_key(UNROUTED, || {
            "unrouted notifications already have a subscriber".into()
        })
    }

    fn subscribe_key(
        &self,
        key: &str,
        taken: impl FnOnce() -> String,
    ) -> Result<Subscription, EngineError> {
        if self.is_closed() {
            return Err(EngineError::Closed("cannot subscribe".into()));
        }
        if self.router.is_subscribed(key) {
            return Err(EngineError::InvalidInput(taken()));
        }
        self.router
            .subscribe(key)
            .ok_or_else(|| EngineError::Closed("cannot subscribe".into()))
    }

    pub fn stats(&self) -> EngineStats {
        EngineStats {
            events_delivered: self.router.delivered.load(Ordering::Relaxed),
            events_lagged: self.lagged.load(Ordering::Relaxed),
            unrouted_dropped: self.router.unrouted_dropped.load(Ordering::Relaxed),
            requests_declined: self.declined.load(Ordering::Relaxed),
            turn_text_deltas: self.deltas.count.load(Ordering::Relaxed),
            turn_text_delta_span_ns: self.deltas.span_ns(),
        }
    }

    /// Stops the engine and waits (bounded by the engine's own timeouts) until it is down.
    ///
    /// Running turns are interrupted first, so no model stream outlives the client.
    pub async fn shutdown(&self) {
        if !self.is_closed() {
            self.interrupt_active_turns().await;
        }
        self.begin_shutdown();
        let mut stopped = self.stopped.clone();
        let _ = stopped.wait_for(|done| *done).await;
    }

    async fn interrupt_active_turns(&self) {
        let deadline = tokio::time::Instant::now() + INTERRUPT_PATIENCE;
        for (thread_id, turn_id) in self.active_turns.take() {
            let params = serde_json::json!({ "threadId": thread_id, "turnId": turn_id });
            let interrupt = self.request("turn/interrupt", params);
            if let Ok(Err(err)) = tokio::time::timeout_at(deadline, interrupt).await {
                tracing::debug!("interrupting turn {turn_id} at shutdown: {err}");
            }
        }
    }

    fn begin_shutdown(&self) {
        self.closing.store(true, Ordering::SeqCst);
        let stop = self
            .stop
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
        if let Some(stop) = stop {
            let _ = stop.send(());
        }
    }
}

impl Drop for Engine {
    fn drop(&mut self) {
        // Dropped without shutdown(): let the pump stop the engine in the background.
        self.begin_shutdown();
    }
}

/// Answers go through the engine's bounded queue with `try_send`; an answer lost
/// to a momentarily full queue would stall the turn. The first attempt is made here;
/// retries continue on the runtime, so no caller ever sleeps: not the pump (the only
/// reader of the engine's queue) and not a Python thread holding the GIL.
fn submit(send: impl Fn() -> std::io::Result<()> + Send + 'static) -> std::io::Result<()> {
    match send() {
        Err(err) if err.kind() == std::io::ErrorKind::WouldBlock => {
            crate::runtime::runtime().spawn(async move {
                let deadline = tokio::time::Instant::now() + SUBMIT_PATIENCE;
                loop {
                    tokio::time::sleep(Duration::from_millis(1)).await;
                    match send() {
                        Err(err)
                            if err.kind() == std::io::ErrorKind::WouldBlock
                                && tokio::time::Instant::now() < deadline => {}
                        Err(err) => {
                            tracing::warn!("an answer to the engine was lost: {err}");
                            return;
                        }
                        Ok(()) => return,
                    }
                }
            });
            Ok(())
        }
        other => other,
    }
}

fn parse_request_id(text: &str) -> Result<RequestId, EngineError> {
    serde_json::from_str(text)
        .map_err(|err| EngineError::InvalidInput(format!("invalid request id {text:?}: {err}")))
}

fn decline(sender: &InProcessClientSender, event: &Event, message: &str) {
    let Some(id) = event.id.as_deref().and_then(|id| parse_request_id(id).ok()) else {
        return;
    };
    let error = JSONRPCErrorError {
        code: DECLINED_CODE,
        message: message.to_string(),
        data: None,
    };
    let sender = sender.clone();
    if let Err(err) = submit(move || sender.fail_server_request(id.clone(), error.clone())) {
        tracing::warn!("could not decline server request {}: {err}", event.method);
    }
}

/// Moves engine events into subscription queues as fast as they come, so the
/// engine's bounded queue never fills (it drops events silently when full).
async fn pump(
    mut handle: InProcessClientHandle,
    router: Arc<Router>,
    observers: Observers,
    mut stop: oneshot::Receiver<()>,
    stopped: watch::Sender<bool>,
    key_home: Option<PathBuf>,
    unloading_delay: UnloadingDelay,
) {
    loop {
        tokio::select! {
            biased;
            _ = &mut stop => break,
            event = handle.next_event() => match event {
                Some(event) => dispatch(&router, &observers, event),
                None => break,
            },
        }
    }
    // Close routing first: requests still queued are declined while the engine
    // can still hear the answer, and consumers see the end of their streams.
    router.close_all();
    if let Err(err) = handle.shutdown().await {
        tracing::warn!("engine shutdown reported: {err}");
    }
    forget_api_key(key_home.as_deref());
    drop(unloading_delay);
    let _ = stopped.send(true);
}

/// Drops the key held in memory for `home`: a later client on the same home must not inherit it.
fn forget_api_key(home: Option<&Path>) {
    if let Some(home) = home
        && let Err(err) = logout(
            home,
            AuthCredentialsStoreMode::Ephemeral,
            AuthKeyringBackendKind::default(),
        )
    {
        tracing::warn!("could not forget the in-memory API key: {err}");
    }
}

fn dispatch(router: &Router, observers: &Observers, event: InProcessServerEvent) {
    let (kind, wire) = match event {
        InProcessServerEvent::ServerNotification(notification) => {
            (EventKind::Notification, notification_to_wire(&notification))
        }
        InProcessServerEvent::ServerRequest(request) => (EventKind::Request, to_wire(&request)),
        InProcessServerEvent::Lagged { skipped } => {
            observers
                .lagged
                .fetch_add(skipped as u64, Ordering::Relaxed);
            tracing::warn!("the engine dropped {skipped} events under back-pressure");
            return;
        }
    };
    let wire = match wire {
        Ok(wire) => wire,
        Err(err) => {
            tracing::warn!("engine event could not be serialized: {err}");
            return;
        }
    };
    if kind == EventKind::Notification {
        observers.active_turns.observe(
            &wire.method,
            wire.thread_id.as_deref(),
            wire.turn_id.as_deref(),
        );
        observers.deltas.observe(&wire.method);
    }
    let event = Event {
        kind,
        method: wire.method,
        id: wire.id,
        params: wire.params,
    };
    if let Some(event) = router.route(wire.thread_id.as_deref(), event) {
        if event.kind == EventKind::Request {
            // Nobody is listening for this thread: fail closed.
            router.decline(&event);
        } else {
            router.drop_unrouted(&event);
        }
    }
}

/// Verifies the helper and gives it the file name the sandbox dispatch keys on.
/// The engine re-executes the helper for sandboxed work: its paths, and the sandbox alias
/// (a link in the home) pointing at it. Returns the canonical helper path for [`crate::helper_check::check_helper`].
fn helper_paths(helper: &Path, home: &Path) -> Result<(Arg0DispatchPaths, PathBuf), EngineError> {
    let helper = helper.canonicalize().map_err(|err| {
        EngineError::startup(&format!("helper executable {}", helper.display()), err)
    })?;
    let dir: PathBuf = home.join(".codex-embedded").join("bin");
    std::fs::create_dir_all(&dir)
        .map_err(|err| EngineError::startup("cannot create the helper link directory", err))?;
    let alias = dir.join("codex-linux-sandbox");
    match std::fs::read_link(&alias) {
        Ok(target) if target == helper => {}
        _ => {
            let _ = std::fs::remove_file(&alias);
            std::os::unix::fs::symlink(&helper, &alias)
                .map_err(|err| EngineError::startup("cannot link the sandbox helper", err))?;
        }
    }
    let paths = Arg0DispatchPaths {
        codex_self_exe: Some(helper.clone()),
        codex_linux_sandbox_exe: Some(alias),
        main_execve_wrapper_exe: None,
    };
    Ok((paths, helper))
}
