//! The local file system's walk runs whole in one blocking task
//! (`patches/engine-version/typeduck-codex-utils-rustls-provider-0.6.0.patch`). It must find
//! what the engine's generic walk finds over the same file system, one operation at a time.

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
