use std::sync::OnceLock;

/// Worker stack size for the engine's runtime.
///
/// A debug build of the engine needs a ~3 MiB frame at thread start; tokio's
/// default 2 MiB stacks abort the whole process without a message.
pub const WORKER_STACK_BYTES: usize = 16 * 1024 * 1024;

static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();

/// The one multi-thread runtime of this process, built on first use.
pub fn runtime() -> &'static tokio::runtime::Runtime {
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .thread_name("codex-engine")
            .thread_stack_size(WORKER_STACK_BYTES)
            .build()
            .unwrap_or_else(|err| panic!("cannot build the codex engine runtime: {err}"))
    })
}
