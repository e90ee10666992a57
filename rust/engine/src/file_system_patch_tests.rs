//! The local file system's walk runs whole in one blocking task, a file read in one, the open
//! of a streamed read in one, and a stat in the calling task (`patches/engine-version/typeduck-codex-utils-rustls-provider-0.6.0.patch`).
//! The walk must find what the engine's generic walk finds over the same file system, one
//! operation at a time; a read and a stat must answer what the engine's own steps answered.

use std::path::Path;
use std::path::PathBuf;

use codex_vendor::codex_exec_server::ExecutorFileSystem;
use codex_vendor::codex_exec_server::LocalFileSystem;
use codex_vendor::codex_exec_server::WalkOptions;
use codex_vendor::codex_utils_absolute_path::AbsolutePathBuf;
use codex_vendor::codex_utils_path_uri::PathUri;

struct TempTree(PathBuf);

impl Drop for TempTree {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Files, nested and hidden directories, a directory symlink that loops back, a file symlink,
/// and a dangling symlink (which a listing leaves out).
fn tree(name: &str) -> TempTree {
    let root = std::env::temp_dir().join(format!("codex-walk-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let dirs = ["a/b/c", "a/d", ".hidden/e"];
    for dir in dirs {
        std::fs::create_dir_all(root.join(dir)).expect("mkdir");
    }
    for file in [
        "top.txt",
        "a/one.md",
        "a/b/two.md",
        "a/b/c/three.md",
        ".hidden/e/SKILL.md",
    ] {
        std::fs::write(root.join(file), file).expect("write");
    }
    let link = |target: &str, at: &str| {
        std::os::unix::fs::symlink(target, root.join(at)).expect("symlink")
    };
    link("..", "a/d/up");
    link("../top.txt", "a/top-link.txt");
    link("missing", "a/dangling");
    link("a/b", "b-link");
    TempTree(root)
}

fn uri(path: &Path) -> PathUri {
    PathUri::from_abs_path(&AbsolutePathBuf::from_absolute_path(path).expect("absolute"))
}

#[test]
fn the_walk_in_one_task_finds_what_the_generic_walk_finds() {
    let root = tree("same");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let fs = LocalFileSystem::unsandboxed();
    let base = WalkOptions {
        max_depth: 8,
        max_directories: 64,
        max_entries: 256,
        follow_directory_symlinks: false,
        prune_hidden_directories: false,
    };
    let cases = [
        base,
        WalkOptions {
            follow_directory_symlinks: true,
            ..base
        },
        WalkOptions {
            prune_hidden_directories: true,
            ..base
        },
        WalkOptions {
            max_depth: 1,
            ..base
        },
        WalkOptions {
            max_directories: 2,
            ..base
        },
        WalkOptions {
            max_entries: 3,
            ..base
        },
    ];
    let start = uri(&root.0);
    for options in cases {
        let (patched, generic) = runtime.block_on(async {
            (
                fs.walk(&start, options, None).await.expect("walk"),
                fs.walk_via_directory_reads(&start, options, None)
                    .await
                    .expect("generic walk"),
            )
        });
        assert_eq!(patched, generic, "{options:?}");
    }
    let full = runtime.block_on(fs.walk(&start, base, None)).expect("walk");
    assert!(full.entries.len() >= 10, "the tree is walked: {full:?}");

    let missing = uri(&root.0.join("no-such-dir"));
    let (patched, generic) = runtime.block_on(async {
        (
            fs.walk(&missing, base, None)
                .await
                .map_err(|err| err.kind()),
            fs.walk_via_directory_reads(&missing, base, None)
                .await
                .map_err(|err| err.kind()),
        )
    });
    assert_eq!(patched, generic);
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

/// The test tree with a FIFO at `a/fifo` that has no writer (an open that waits for one blocks).
fn tree_with_fifo(name: &str) -> (TempTree, PathBuf) {
    let root = tree(name);
    let fifo = root.0.join("a/fifo");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo");
    assert!(made.success());
    (root, fifo)
}

type ReadOutcome = Result<Vec<u8>, (std::io::ErrorKind, String)>;

/// A directory, and a FIFO with no writer (opened without blocking), are not files.
fn assert_not_files(read: impl Fn(PathBuf) -> ReadOutcome, paths: [PathBuf; 2]) {
    for not_a_file in paths {
        let (kind, message) = read(not_a_file.clone()).expect_err("not a file");
        assert_eq!(kind, std::io::ErrorKind::InvalidInput, "{message}");
        assert_eq!(
            message,
            format!("path `{}` is not a file", not_a_file.display())
        );
    }
}

#[test]
fn a_read_in_one_task_answers_what_the_steps_answered() {
    let (root, fifo) = tree_with_fifo("read");
    let fs = LocalFileSystem::unsandboxed();
    let read = |path: PathBuf| {
        runtime()
            .block_on(fs.read_file(&uri(&path), None))
            .map_err(|err| (err.kind(), err.to_string()))
    };

    assert_eq!(read(root.0.join("a/b/two.md")), Ok(b"a/b/two.md".to_vec()));
    // A symlink reads its target; an empty file reads empty.
    assert_eq!(read(root.0.join("a/top-link.txt")), Ok(b"top.txt".to_vec()));
    std::fs::write(root.0.join("empty"), b"").expect("write");
    assert_eq!(read(root.0.join("empty")), Ok(Vec::new()));

    let missing = read(root.0.join("missing.md")).expect_err("missing");
    assert_eq!(missing.0, std::io::ErrorKind::NotFound);
    assert_eq!(
        read(root.0.join("a/dangling")).expect_err("dangling").0,
        std::io::ErrorKind::NotFound
    );
    assert_not_files(read, [root.0.join("a"), fifo]);
}

#[test]
fn a_streamed_read_opened_in_one_task_answers_what_the_steps_answered() {
    use futures::TryStreamExt;

    let (root, fifo) = tree_with_fifo("stream");
    // Larger than one chunk of the stream, so that it arrives in pieces.
    let big: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    std::fs::write(root.0.join("big.bin"), &big).expect("write");
    let fs = LocalFileSystem::unsandboxed();
    let runtime = runtime();
    let read = |path: PathBuf| {
        runtime
            .block_on(async {
                let stream = fs.read_file_stream(&uri(&path), None).await?;
                let chunks: Vec<_> = stream.try_collect().await?;
                Ok::<_, std::io::Error>(chunks.concat())
            })
            .map_err(|err| (err.kind(), err.to_string()))
    };

    assert_eq!(read(root.0.join("big.bin")), Ok(big));
    assert_eq!(read(root.0.join("a/top-link.txt")), Ok(b"top.txt".to_vec()));
    let missing = read(root.0.join("missing.md")).expect_err("missing");
    assert_eq!(missing.0, std::io::ErrorKind::NotFound);
    assert_not_files(read, [root.0.join("a"), fifo]);
}

#[test]
fn a_stat_in_the_calling_task_answers_what_the_pool_answered() {
    let root = tree("stat");
    let fs = LocalFileSystem::unsandboxed();
    let runtime = runtime();
    let stat = |path: PathBuf| runtime.block_on(fs.get_metadata(&uri(&path), None));

    let file = stat(root.0.join("top.txt")).expect("file");
    assert!(file.is_file && !file.is_directory && !file.is_symlink);
    assert_eq!(file.size, "top.txt".len() as u64);
    assert!(file.modified_at_ms > 0);
    let dir = stat(root.0.join("a")).expect("dir");
    assert!(dir.is_directory && !dir.is_file && !dir.is_symlink);
    let link = stat(root.0.join("a/top-link.txt")).expect("symlink");
    assert!(link.is_file && link.is_symlink);
    let dir_link = stat(root.0.join("b-link")).expect("directory symlink");
    assert!(dir_link.is_directory && dir_link.is_symlink);
    for gone in ["a/dangling", "nothing-here"] {
        let err = stat(root.0.join(gone)).expect_err(gone);
        assert_eq!(err.kind(), std::io::ErrorKind::NotFound, "{gone}");
    }
}
