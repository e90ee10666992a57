use std::ptr;
use std::sync::atomic::AtomicPtr;
use std::sync::atomic::Ordering;

/// Worker stack size for the engine's runtime.
///
/// A debug build of the engine needs a ~3 MiB frame at thread start; tokio's
/// default 2 MiB stacks abort the whole process without a message.
pub const WORKER_STACK_BYTES: usize = 16 * 1024 * 1024;

/// A runtime and the process that built it.
struct ProcessRuntime {
    pid: u32,
    runtime: tokio::runtime::Runtime,
}

/// The current process's runtime. Every pointer stored here comes from
/// `Box::into_raw` and is never freed: after `fork()` the child finds its
/// parent's runtime, whose worker threads do not exist in the child, and builds
/// its own; the parent's is leaked there (dropping it would wait for threads
/// that will never answer).
static CURRENT: AtomicPtr<ProcessRuntime> = AtomicPtr::new(ptr::null_mut());

fn build() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("codex-engine")
        .thread_stack_size(WORKER_STACK_BYTES)
        .build()
        .unwrap_or_else(|err| panic!("cannot build the codex engine runtime: {err}"))
}

/// The one multi-thread runtime of this process, built on first use (and again
/// on first use in a forked child). Lock-free, so that a child forked while a
/// parent thread was in here cannot find a lock held by a thread that is gone.
pub fn runtime() -> &'static tokio::runtime::Runtime {
    let pid = std::process::id();
    let current = CURRENT.load(Ordering::Acquire);
    // SAFETY: non-null pointers in CURRENT are leaked boxes, valid forever.
    if let Some(found) = unsafe { current.as_ref() }
        && found.pid == pid
    {
        return &found.runtime;
    }
    let fresh = Box::into_raw(Box::new(ProcessRuntime {
        pid,
        runtime: build(),
    }));
    match CURRENT.compare_exchange(current, fresh, Ordering::AcqRel, Ordering::Acquire) {
        // SAFETY: `fresh` was just leaked and is now published; it is never freed.
        Ok(_) => unsafe { &(*fresh).runtime },
        Err(winner) => {
            // Another thread of this process built one first; ours was never used.
            // SAFETY: `fresh` was not published, so this is its only owner.
            let unused = unsafe { Box::from_raw(fresh) };
            unused.runtime.shutdown_background();
            // SAFETY: as above, a published pointer is valid forever. It belongs to
            // this process: only its own threads race here, and they all build for `pid`.
            unsafe { &(*winner).runtime }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_runtime_per_process() {
        let first: *const _ = runtime();
        let second: *const _ = runtime();
        assert_eq!(first, second);
        assert_eq!(runtime().block_on(async { 7 }), 7);
    }
}
