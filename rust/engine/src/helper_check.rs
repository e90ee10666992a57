//! The helper executable is asked who it is before the engine relies on it: the engine never
//! checks the path itself, and a wrong one fails much later with garbage output. Asking spawns
//! a process (~2 ms of CPU at each client's start), so the answer is kept in a file, keyed by
//! the helper's identity (path, device, inode, size, mtime): a later client, in this process or
//! another, that finds the same file skips the question, and a replaced or edited helper is
//! asked again.

use std::path::Path;
use std::path::PathBuf;

use crate::error::EngineError;

pub(crate) async fn check_helper(
    helper: PathBuf,
    kept: Option<PathBuf>,
) -> Result<(), EngineError> {
    let identity = identity(&helper);
    if let (Some(kept), Some(identity)) = (&kept, &identity)
        && std::fs::read_to_string(kept).is_ok_and(|text| text == *identity)
    {
        return Ok(());
    }
    ask(&helper).await?;
    if let (Some(kept), Some(identity)) = (kept, identity)
        && let Err(err) = crate::os_detection::replace_file(&kept, identity.as_bytes())
    {
        tracing::debug!("cannot keep the helper check in {}: {err}", kept.display());
    }
    Ok(())
}

async fn ask(helper: &Path) -> Result<(), EngineError> {
    let output = tokio::process::Command::new(helper)
        .arg("--codex-embedded-probe")
        .output()
        .await
        .map_err(|err| {
            EngineError::startup(&format!("cannot run helper {}", helper.display()), err)
        })?;
    let answer = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() || !answer.starts_with("codex-embedded-helper ") {
        return Err(EngineError::Startup(format!(
            "{} is not the codex-embedded helper executable",
            helper.display()
        )));
    }
    Ok(())
}

/// What changes when the file is replaced or edited; None when it cannot be read.
fn identity(helper: &Path) -> Option<String> {
    let metadata = std::fs::metadata(helper).ok()?;
    #[cfg(unix)]
    let file = {
        use std::os::unix::fs::MetadataExt as _;
        format!(
            "{}:{} {} {}.{}",
            metadata.dev(),
            metadata.ino(),
            metadata.size(),
            metadata.mtime(),
            metadata.mtime_nsec()
        )
    };
    #[cfg(not(unix))]
    let file = format!("{} {:?}", metadata.len(), metadata.modified().ok()?);
    Some(format!("{} {file}\n", helper.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_identity_follows_the_file() {
        let dir = std::env::temp_dir().join(format!("codex-helper-check-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let helper = dir.join("helper");
        std::fs::write(&helper, "one").unwrap();
        let first = identity(&helper).unwrap();
        assert_eq!(identity(&helper).unwrap(), first);
        let replacement = dir.join("replacement");
        std::fs::write(&replacement, "two!").unwrap();
        std::fs::rename(&replacement, &helper).unwrap();
        assert_ne!(identity(&helper).unwrap(), first);
        assert!(identity(&dir.join("gone")).is_none());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
