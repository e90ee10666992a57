//! The OS detection behind the engine's User-Agent, kept across processes.
//!
//! The User-Agent names the OS, which `os_info` detects by running `lsb_release -a` (on Debian
//! a shell script that runs about ten more processes) and `getconf LONG_BIT`: ~5 ms and ~6.6 ms
//! of CPU at each process's first client start, beside the configuration and the state
//! databases (the app-server's initialize waits for it when those are faster). The answer
//! depends only on the programs it runs and the release files they read, so it is kept in a
//! small file with a fingerprint of those (and of the boot and the `PATH`). A process whose
//! fingerprint differs, or that finds the file unreadable or older than a day, detects the OS
//! again and rewrites it.

use std::path::Path;
use std::path::PathBuf;
use std::time::SystemTime;
use std::time::UNIX_EPOCH;

use serde::Deserialize;
use serde::Serialize;

/// Bumped when what is kept, or how the fingerprint is made, changes.
const FORMAT: u32 = 1;

/// Even with the same fingerprint a detection is redone daily: `lsb_release` implementations
/// may read more than the files listed here.
const MAX_AGE_SECS: u64 = 24 * 60 * 60;

/// The files `os_info` 3.15 and the `lsb_release` implementations read.
#[cfg(target_os = "linux")]
const RELEASE_FILES: [&str; 12] = [
    "/etc/os-release",
    "/usr/lib/os-release",
    "/etc/lsb-release",
    "/etc/upstream-release/lsb-release",
    "/etc/debian_version",
    "/etc/rpi-issue",
    "/etc/mariner-release",
    "/etc/centos-release",
    "/etc/fedora-release",
    "/etc/alpine-release",
    "/etc/redhat-release",
    "/etc/system-release",
];

/// The programs `os_info` runs on Linux (found on the `PATH`, as it finds them).
#[cfg(target_os = "linux")]
const PROGRAMS: [&str; 2] = ["lsb_release", "getconf"];

/// The environment those programs' answers depend on.
#[cfg(target_os = "linux")]
const ENVIRONMENT: [&str; 2] = ["PATH", "LSB_ETC_LSB_RELEASE"];

#[derive(Serialize, Deserialize)]
struct KeptDetection {
    format: u32,
    fingerprint: String,
    detected_at: u64,
    info: os_info::Info,
}

/// Makes the process's OS detection ready for the User-Agent: from `cache` when it holds this
/// machine's answer, otherwise detected in a background thread (and kept in `cache`). The
/// first call in a process decides; later ones do nothing.
pub fn detect_os(cache: Option<&Path>) {
    static STARTED: std::sync::Once = std::sync::Once::new();
    STARTED.call_once(|| {
        let kept = cache.and_then(|path| Some((path.to_path_buf(), fingerprint()?)));
        if let Some((path, fingerprint)) = &kept
            && let Some(info) = load(path, fingerprint)
        {
            os_info::remember(info);
            return;
        }
        let spawned = std::thread::Builder::new()
            .name("codex-os-detect".into())
            .spawn(move || {
                let info = os_info::get();
                if let Some((path, fingerprint)) = kept
                    && let Err(err) = store(&path, fingerprint, info)
                {
                    tracing::debug!("cannot keep the OS detection in {}: {err}", path.display());
                }
            });
        if let Err(err) = spawned {
            // The initialize detects it itself then.
            tracing::debug!("cannot detect the OS in the background: {err}");
        }
    });
}

fn load(path: &Path, fingerprint: &str) -> Option<os_info::Info> {
    let text = std::fs::read(path).ok()?;
    let kept: KeptDetection = serde_json::from_slice(&text).ok()?;
    let age = now_secs().checked_sub(kept.detected_at)?;
    (kept.format == FORMAT && kept.fingerprint == fingerprint && age < MAX_AGE_SECS)
        .then_some(kept.info)
}

fn store(path: &Path, fingerprint: String, info: os_info::Info) -> std::io::Result<()> {
    let kept = KeptDetection {
        format: FORMAT,
        fingerprint,
        detected_at: now_secs(),
        info,
    };
    let text = serde_json::to_vec_pretty(&kept).map_err(std::io::Error::other)?;
    replace_file(path, &text)
}

/// Writes `contents` beside `path` and renames it into place (creating the parent), so a
/// concurrent reader, in this process or another, sees the old file or the new one.
pub(crate) fn replace_file(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let mut partial = path.as_os_str().to_owned();
    partial.push(format!(".{}.partial", std::process::id()));
    let partial = PathBuf::from(partial);
    std::fs::write(&partial, contents)?;
    std::fs::rename(&partial, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&partial);
    })
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs())
}

/// Everything the detection's answer depends on; None where it cannot be told (then nothing is
/// kept).
#[cfg(target_os = "linux")]
fn fingerprint() -> Option<String> {
    let boot = std::fs::read_to_string("/proc/sys/kernel/random/boot_id").ok()?;
    let environment = ENVIRONMENT.map(|name| (name, std::env::var_os(name)));
    Some(fingerprint_of(boot.trim(), &environment, &RELEASE_FILES))
}

#[cfg(target_os = "linux")]
fn fingerprint_of(
    boot: &str,
    environment: &[(&str, Option<std::ffi::OsString>)],
    release_files: &[&str],
) -> String {
    use std::fmt::Write as _;

    let mut fingerprint = format!("boot {boot}\n");
    let mut path = None;
    for (name, value) in environment {
        let _ = writeln!(fingerprint, "env {name} {value:?}");
        if *name == "PATH" {
            path = value.clone();
        }
    }
    let path = path.unwrap_or_default();
    for program in PROGRAMS {
        let found = std::env::split_paths(&path)
            .map(|dir| dir.join(program))
            .find(|candidate| is_executable(candidate));
        match found {
            Some(found) => {
                let _ = writeln!(fingerprint, "program {}", file_identity(&found));
            }
            None => {
                let _ = writeln!(fingerprint, "program {program} absent");
            }
        }
    }
    for file in release_files {
        let _ = writeln!(fingerprint, "file {}", file_identity(Path::new(file)));
    }
    fingerprint
}

#[cfg(not(target_os = "linux"))]
fn fingerprint() -> Option<String> {
    None
}

#[cfg(target_os = "linux")]
fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt as _;

    std::fs::metadata(path)
        .is_ok_and(|metadata| metadata.is_file() && metadata.permissions().mode() & 0o111 != 0)
}

/// A file's path with what changes when it is replaced or edited (links followed).
#[cfg(target_os = "linux")]
fn file_identity(path: &Path) -> String {
    use std::os::unix::fs::MetadataExt as _;

    match std::fs::metadata(path) {
        Ok(metadata) => format!(
            "{} {}:{} {} {}.{}",
            path.display(),
            metadata.dev(),
            metadata.ino(),
            metadata.size(),
            metadata.mtime(),
            metadata.mtime_nsec()
        ),
        Err(_) => format!("{} absent", path.display()),
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    #[test]
    fn a_kept_detection_is_used_only_with_its_fingerprint_and_while_fresh() {
        let dir = std::env::temp_dir().join(format!("codex-os-detection-{}", std::process::id()));
        let path = dir.join("os-detection.json");
        let info = os_info::Info::unknown();
        store(&path, "machine A".into(), info.clone()).unwrap();

        assert_eq!(load(&path, "machine A"), Some(info.clone()));
        assert_eq!(load(&path, "machine B"), None);

        let mut stale: KeptDetection =
            serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        stale.detected_at -= MAX_AGE_SECS;
        std::fs::write(&path, serde_json::to_vec(&stale).unwrap()).unwrap();
        assert_eq!(load(&path, "machine A"), None);

        std::fs::write(&path, b"{not json").unwrap();
        assert_eq!(load(&path, "machine A"), None);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn the_fingerprint_follows_the_release_files_and_the_programs_on_the_path() {
        use std::os::unix::fs::PermissionsExt as _;

        let dir = std::env::temp_dir().join(format!("codex-os-fingerprint-{}", std::process::id()));
        let bin = dir.join("bin");
        std::fs::create_dir_all(&bin).unwrap();
        let release = dir.join("os-release");
        std::fs::write(&release, "ID=one\n").unwrap();
        let release_name = release.to_str().unwrap();
        let environment = [("PATH", Some(bin.clone().into_os_string()))];
        let of = || fingerprint_of("boot", &environment, &[release_name]);

        let first = of();
        assert!(first.contains("program lsb_release absent"), "{first}");
        assert_eq!(of(), first);

        std::fs::write(&release, "ID=two, longer\n").unwrap();
        let edited = of();
        assert_ne!(edited, first);

        let program = bin.join("lsb_release");
        std::fs::write(&program, "#!/bin/sh\n").unwrap();
        assert_eq!(of(), edited, "a file that cannot run is not the program");
        std::fs::set_permissions(&program, std::fs::Permissions::from_mode(0o755)).unwrap();
        let with_program = of();
        assert!(with_program.contains(&format!("program {}", program.display())));

        assert_ne!(
            fingerprint_of("another boot", &environment, &[release_name]),
            with_program
        );
        assert!(
            fingerprint()
                .expect("a Linux machine has a boot id")
                .contains("file /etc/os-release")
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
