//! Pre-migrated state databases for fresh homes.
//!
//! A fresh home's four SQLite databases (state, logs, goals, memories) are created by running
//! every migration of the engine, with their commits: most of a client's start. Their content
//! right after that is the same for every home, so a copy made once per engine build (in a
//! scratch directory, by the engine's own migrations, closed cleanly) is copied into the next
//! fresh home instead. The engine still opens and migrates the copies as it would any existing
//! database: a copy that does not fit this engine fails there, and the home is then migrated
//! from scratch and the copy replaced. Copies of other builds that no fresh home has used for
//! a month (an engine upgraded or uninstalled) are removed once per process.

use std::io;
use std::path::Path;
use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::AtomicBool;
use std::sync::atomic::Ordering;
use std::time::Duration;
use std::time::SystemTime;

use codex_vendor::codex_core::config::Config;
use codex_vendor::codex_core::init_state_db;
use codex_vendor::codex_state;

/// The database files the engine's state runtime opens at start, in its order.
const DATABASES: [&str; 4] = [
    codex_state::STATE_DB_FILENAME,
    codex_state::LOGS_DB_FILENAME,
    codex_state::GOALS_DB_FILENAME,
    codex_state::MEMORIES_DB_FILENAME,
];

/// What SQLite keeps beside a database file while it is open.
const SIDE_FILES: [&str; 3] = ["-wal", "-shm", "-journal"];

/// Which engine build made a copy: the locked dependency graph (engine version and patches).
const BUILD_KEY: &str = env!("CODEX_EMBEDDED_DATABASE_KEY");

/// Templates are made once per process at most (a second client finds the first one's).
static MAKING: AtomicBool = AtomicBool::new(false);

/// Another build's copies that no fresh home was seeded from for this long are removed: a
/// build's copies are marked used each time they seed a home.
const STALE_AFTER: Duration = Duration::from_secs(30 * 24 * 60 * 60);

/// The `templates` directories this process has looked through for stale copies.
static SWEPT: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// The directory that holds this build's copies, under the host's `templates` directory.
fn template_dir(templates: &Path) -> PathBuf {
    templates.join(format!("{}-{BUILD_KEY}", env!("CARGO_PKG_VERSION")))
}

/// Opens (and migrates) the state databases of `config`'s home, as the engine does, seeding
/// them from this build's copies first when the home has none of them yet.
pub async fn open_state_databases(
    config: &Config,
    templates: Option<&Path>,
) -> Option<codex_vendor::codex_core::StateDbHandle> {
    let home = config.sqlite_home.as_path();
    let seeded = match templates {
        Some(templates) => seed(&template_dir(templates), home),
        None => false,
    };
    let state_db = init_state_db(config).await;
    if !seeded || state_db.is_some() {
        return state_db;
    }
    // The copies did not fit this engine: start over as on a fresh home, and let the next
    // template be made again.
    tracing::warn!(
        "the pre-migrated databases did not open; migrating the home {} from scratch",
        home.display()
    );
    remove_databases(home);
    if let Some(templates) = templates {
        let _ = std::fs::remove_dir_all(template_dir(templates));
    }
    init_state_db(config).await
}

/// After a client started: makes this build's copies in the background if there are none.
pub fn ensure_template(templates: Option<&Path>) {
    let Some(templates) = templates else { return };
    let first_look = SWEPT.lock().is_ok_and(|mut swept| {
        let first = !swept.iter().any(|seen| seen == templates);
        if first {
            swept.push(templates.to_path_buf());
        }
        first
    });
    if first_look {
        let templates = templates.to_path_buf();
        tokio::task::spawn_blocking(move || remove_stale_templates(&templates));
    }
    let target = template_dir(templates);
    if target.is_dir() || MAKING.swap(true, Ordering::SeqCst) {
        return;
    }
    tokio::spawn(async move {
        match make_template(&target).await {
            Ok(()) => tracing::debug!("pre-migrated databases kept in {}", target.display()),
            Err(err) => tracing::debug!(
                "cannot keep pre-migrated databases in {}: {err}",
                target.display()
            ),
        }
        MAKING.store(false, Ordering::SeqCst);
    });
}

/// Copies the template's databases into `home` if it has none of them. True when it did.
fn seed(template: &Path, home: &Path) -> bool {
    if !DATABASES.iter().all(|name| template.join(name).is_file()) {
        return false;
    }
    let untouched = DATABASES.iter().all(|name| {
        SIDE_FILES
            .iter()
            .map(|suffix| format!("{name}{suffix}"))
            .chain(std::iter::once(name.to_string()))
            .all(|file| !home.join(file).exists())
    });
    if !untouched || std::fs::create_dir_all(home).is_err() {
        return false;
    }
    for name in DATABASES {
        if let Err(err) = std::fs::copy(template.join(name), home.join(name)) {
            tracing::debug!("cannot copy the pre-migrated {name}: {err}");
            remove_databases(home);
            return false;
        }
    }
    // Marks the copies used, so that other builds' clients keep them (remove_stale_templates).
    if let Err(err) =
        std::fs::File::open(template).and_then(|dir| dir.set_modified(SystemTime::now()))
    {
        tracing::debug!("cannot mark {} used: {err}", template.display());
    }
    tracing::debug!(
        "seeded the databases of {} from {}",
        home.display(),
        template.display()
    );
    true
}

fn remove_databases(home: &Path) {
    for name in DATABASES {
        let _ = std::fs::remove_file(home.join(name));
        for suffix in SIDE_FILES {
            let _ = std::fs::remove_file(home.join(format!("{name}{suffix}")));
        }
    }
}

/// Removes other builds' copies that no fresh home was seeded from for [`STALE_AFTER`].
fn remove_stale_templates(templates: &Path) {
    let Ok(entries) = std::fs::read_dir(templates) else {
        return;
    };
    let ours = template_dir(templates);
    for entry in entries.flatten() {
        let path = entry.path();
        let stale = path != ours
            && !entry.file_name().to_string_lossy().starts_with('.')
            && entry.file_type().is_ok_and(|kind| kind.is_dir())
            && unchanged_for(&entry, STALE_AFTER);
        if stale {
            match std::fs::remove_dir_all(&path) {
                Ok(()) => {
                    tracing::debug!("removed unused pre-migrated databases {}", path.display())
                }
                Err(err) => tracing::debug!("cannot remove {}: {err}", path.display()),
            }
        }
    }
}

/// Whether `entry` was last modified longer than `age` ago (false when that cannot be read).
fn unchanged_for(entry: &std::fs::DirEntry, age: Duration) -> bool {
    entry
        .metadata()
        .and_then(|metadata| metadata.modified())
        .ok()
        .and_then(|modified| modified.elapsed().ok())
        .is_some_and(|elapsed| elapsed > age)
}

/// Scratch directories are named `.scratch-<pid>-<nanoseconds>`.
const SCRATCH_PREFIX: &str = ".scratch-";

/// A scratch directory older than this was left by a process that ended while making a
/// template (making one takes tens of milliseconds).
const SCRATCH_ABANDONED_AFTER: Duration = Duration::from_secs(600);

/// Removes the scratch directories of processes that exited before their template was done.
fn remove_abandoned_scratch(parent: &Path) {
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    for entry in entries.flatten() {
        let abandoned = entry
            .file_name()
            .to_string_lossy()
            .starts_with(SCRATCH_PREFIX)
            && unchanged_for(&entry, SCRATCH_ABANDONED_AFTER);
        if abandoned {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// Runs the engine's own migrations in a scratch directory beside `target`, closes the
/// databases (which folds their write-ahead logs in), and moves the files into place in one
/// rename, so that no client ever sees half a template.
async fn make_template(target: &Path) -> io::Result<()> {
    let parent = target
        .parent()
        .ok_or_else(|| io::Error::other("the template directory has no parent"))?;
    std::fs::create_dir_all(parent)?;
    remove_abandoned_scratch(parent);
    let scratch = parent.join(format!(
        "{SCRATCH_PREFIX}{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|elapsed| elapsed.as_nanos())
            .unwrap_or_default()
    ));
    let made = async {
        let runtime = codex_state::StateRuntime::init(scratch.clone(), "openai".to_string())
            .await
            .map_err(io::Error::other)?;
        runtime.close().await;
        drop(runtime);
        for entry in std::fs::read_dir(&scratch)? {
            let path = entry?.path();
            let name = path
                .file_name()
                .and_then(|name| name.to_str())
                .unwrap_or("");
            if !DATABASES.contains(&name) {
                if name.ends_with("-wal") {
                    return Err(io::Error::other(format!("{name} was left behind")));
                }
                std::fs::remove_file(&path)?;
            }
        }
        if !DATABASES.iter().all(|name| scratch.join(name).is_file()) {
            return Err(io::Error::other("a database file is missing"));
        }
        std::fs::rename(&scratch, target)
    }
    .await;
    if made.is_err() || scratch.exists() {
        let _ = std::fs::remove_dir_all(&scratch);
    }
    made
}
