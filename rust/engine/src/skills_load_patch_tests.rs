//! A thread start no longer waits for its skills: it starts loading them, and its first turn
//! asks the skills service for the same snapshot soon after
//! (`patches/engine-version/typeduck-codex-utils-home-dir-0.6.0.patch`). A request for a
//! snapshot being loaded must wait for that load, not walk the same roots beside it.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicUsize;
use std::sync::atomic::Ordering;

use codex_vendor::codex_config::ConfigLayerStack;
use codex_vendor::codex_core::skills::SkillsLoadInput;
use codex_vendor::codex_core::skills::SkillsService;
use codex_vendor::codex_exec_server::CopyOptions;
use codex_vendor::codex_exec_server::CreateDirectoryOptions;
use codex_vendor::codex_exec_server::ExecutorFileSystem;
use codex_vendor::codex_exec_server::ExecutorFileSystemFuture;
use codex_vendor::codex_exec_server::FileMetadata;
use codex_vendor::codex_exec_server::FileSystemReadStream;
use codex_vendor::codex_exec_server::FileSystemSandboxContext;
use codex_vendor::codex_exec_server::LocalFileSystem;
use codex_vendor::codex_exec_server::ReadDirectoryEntry;
use codex_vendor::codex_exec_server::RemoveOptions;
use codex_vendor::codex_exec_server::WalkOptions;
use codex_vendor::codex_exec_server::WalkOutcome;
use codex_vendor::codex_utils_absolute_path::AbsolutePathBuf;
use codex_vendor::codex_utils_path_uri::PathUri;

/// The local file system, counting the walks asked of it (one per skill root loaded).
struct CountingFileSystem {
    inner: LocalFileSystem,
    walks: AtomicUsize,
}

impl ExecutorFileSystem for CountingFileSystem {
    fn walk<'a>(
        &'a self,
        path: &'a PathUri,
        options: WalkOptions,
        sandbox: Option<&'a FileSystemSandboxContext>,
    ) -> ExecutorFileSystemFuture<'a, WalkOutcome> {
        self.walks.fetch_add(1, Ordering::SeqCst);
        self.inner.walk(path, options, sandbox)
    }

    fn canonicalize<'a>(
        &'a self,
        path: &'a PathUri,
        sandbox: Option<&'a FileSystemSandboxContext>,
    ) -> ExecutorFileSystemFuture<'a, PathUri> {
        self.inner.canonicalize(path, sandbox)
    }

    fn read_file<'a>(
        &'a self,
        path: &'a PathUri,
        sandbox: Option<&'a FileSystemSandboxContext>,
    ) -> ExecutorFileSystemFuture<'a, Vec<u8>> {
        self.inner.read_file(path, sandbox)
    }

    fn read_file_stream<'a>(
        &'a self,
        path: &'a PathUri,
        sandbox: Option<&'a FileSystemSandboxContext>,
    ) -> ExecutorFileSystemFuture<'a, FileSystemReadStream> {
        self.inner.read_file_stream(path, sandbox)
    }

    fn write_file<'a>(
        &'a self,
        path: &'a PathUri,
        contents: Vec<u8>,
        sandbox: Option<&'a FileSystemSandboxContext>,
    ) -> ExecutorFileSystemFuture<'a, ()> {
        self.inner.write_file(path, contents, sandbox)
    }

    fn create_directory<'a>(
        &'a self,
        path: &'a PathUri,
        options: CreateDirectoryOptions,
        sandbox: Option<&'a FileSystemSandboxContext>,
    ) -> ExecutorFileSystemFuture<'a, ()> {
        self.inner.create_directory(path, options, sandbox)
    }

    fn get_metadata<'a>(
        &'a self,
        path: &'a PathUri,
        sandbox: Option<&'a FileSystemSandboxContext>,
    ) -> ExecutorFileSystemFuture<'a, FileMetadata> {
        self.inner.get_metadata(path, sandbox)
    }

    fn read_directory<'a>(
        &'a self,
        path: &'a PathUri,
        sandbox: Option<&'a FileSystemSandboxContext>,
    ) -> ExecutorFileSystemFuture<'a, Vec<ReadDirectoryEntry>> {
        self.inner.read_directory(path, sandbox)
    }

    fn remove<'a>(
        &'a self,
        path: &'a PathUri,
        options: RemoveOptions,
        sandbox: Option<&'a FileSystemSandboxContext>,
    ) -> ExecutorFileSystemFuture<'a, ()> {
        self.inner.remove(path, options, sandbox)
    }

    fn copy<'a>(
        &'a self,
        source_path: &'a PathUri,
        destination_path: &'a PathUri,
        options: CopyOptions,
        sandbox: Option<&'a FileSystemSandboxContext>,
    ) -> ExecutorFileSystemFuture<'a, ()> {
        self.inner
            .copy(source_path, destination_path, options, sandbox)
    }
}

struct TempRepository(PathBuf);

impl Drop for TempRepository {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A git repository (its root marks the project) with one skill under `.agents/skills`, the
/// root the skills loader walks through the file system it is given.
fn repository_with_a_skill() -> TempRepository {
    let root = std::env::temp_dir().join(format!("codex-skills-load-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(root.join(".git")).expect("mkdir .git");
    std::fs::create_dir_all(root.join("home")).expect("mkdir home");
    let skill = root.join(".agents/skills/demo");
    std::fs::create_dir_all(&skill).expect("mkdir skill");
    std::fs::write(
        skill.join("SKILL.md"),
        "---\nname: demo\ndescription: A demonstration.\n---\nBody\n",
    )
    .expect("write SKILL.md");
    TempRepository(root)
}

fn absolute(path: PathBuf) -> AbsolutePathBuf {
    AbsolutePathBuf::from_absolute_path(&path).expect("absolute")
}

#[test]
fn a_load_asked_for_while_the_same_load_runs_waits_for_it() {
    let repository = repository_with_a_skill();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let input = SkillsLoadInput::new(
        absolute(repository.0.clone()),
        Vec::new(),
        ConfigLayerStack::default(),
        /*bundled_skills_enabled*/ false,
    );
    let service = SkillsService::new(absolute(repository.0.join("home")), false);
    let file_system = Arc::new(CountingFileSystem {
        inner: LocalFileSystem::unsandboxed(),
        walks: AtomicUsize::new(0),
    });
    let as_executor = || -> Option<Arc<dyn ExecutorFileSystem>> {
        Some(Arc::clone(&file_system) as Arc<dyn ExecutorFileSystem>)
    };

    let (first, second) = runtime.block_on(async {
        tokio::join!(
            service.snapshot_for_config(&input, as_executor()),
            service.snapshot_for_config(&input, as_executor()),
        )
    });
    let names = |snapshot: &codex_vendor::codex_core::skills::model::HostSkillsSnapshot| {
        snapshot
            .outcome()
            .skills
            .iter()
            .map(|skill| skill.name.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(names(&first), ["demo"]);
    assert_eq!(names(&second), ["demo"]);
    assert_eq!(
        file_system.walks.load(Ordering::SeqCst),
        1,
        "the second request walked the skill root again"
    );

    // A later request reads the cached snapshot.
    let third = runtime.block_on(service.snapshot_for_config(&input, as_executor()));
    assert_eq!(names(&third), ["demo"]);
    assert_eq!(file_system.walks.load(Ordering::SeqCst), 1);
}
