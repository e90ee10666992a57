//! Names this build's pre-migrated databases (src/database_templates.rs) after the locked
//! dependency graph, so that a build with another engine or other patches never reuses them.

use std::hash::Hash;
use std::hash::Hasher;
use std::path::Path;

fn main() {
    let lock = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../Cargo.lock");
    println!("cargo:rerun-if-changed={}", lock.display());
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    match std::fs::read(&lock) {
        Ok(bytes) => bytes.hash(&mut hasher),
        // Not in a workspace checkout (an unpacked source archive): the version alone.
        Err(_) => "no-lockfile".hash(&mut hasher),
    }
    println!(
        "cargo:rustc-env=CODEX_EMBEDDED_DATABASE_KEY={:016x}",
        hasher.finish()
    );
}
