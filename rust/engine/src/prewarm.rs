//! Once-per-process work the engine would otherwise do on a client's critical path, started
//! on background threads where it overlaps with work that has to wait anyway.

use std::sync::Once;
use std::thread::JoinHandle;

/// The app-server's initialize builds the User-Agent, whose OS detection runs `lsb_release -a`
/// and `getconf LONG_BIT` (on Debian a shell script and a dozen processes, ~9 ms) once per
/// process. Started first, it runs while the configuration and the state databases load.
pub(crate) fn detect_os_in_background() {
    static STARTED: Once = Once::new();
    STARTED.call_once(|| {
        let spawned = std::thread::Builder::new()
            .name("codex-os-detect".into())
            .spawn(|| drop(os_info::get()));
        if let Err(err) = spawned {
            // The initialize detects it itself then.
            tracing::debug!("cannot detect the OS in the background: {err}");
        }
    });
}

/// The first turn of a process builds HTTP clients whose TLS setup loads the platform's root
/// certificates: the CA bundle and every file of the certificate directory (a few hundred on
/// Debian), ~7 ms of a first plain turn against a loopback mock. The patched
/// `rustls-native-certs` keeps a complete load for the process (keyed by `SSL_CERT_FILE` and
/// `SSL_CERT_DIR`), so loading once here, after the engine has started and while the caller
/// starts its first thread, leaves the first turn only the cached copy to take. The same
/// certificates, from the same places, as the turn would load itself.
pub(crate) fn load_tls_roots_in_background() -> Option<&'static JoinHandle<()>> {
    static STARTED: std::sync::OnceLock<Option<JoinHandle<()>>> = std::sync::OnceLock::new();
    STARTED
        .get_or_init(|| {
            let spawned = std::thread::Builder::new()
                .name("codex-tls-roots".into())
                .spawn(|| drop(rustls_native_certs::load_native_certs()));
            match spawned {
                Ok(handle) => Some(handle),
                Err(err) => {
                    // The first turn loads them itself then.
                    tracing::debug!("cannot load the TLS roots in the background: {err}");
                    None
                }
            }
        })
        .as_ref()
}

#[cfg(test)]
mod tests {
    use super::load_tls_roots_in_background;

    #[test]
    fn the_tls_roots_load_once_per_process_and_find_the_system_roots() {
        let first = load_tls_roots_in_background().expect("the loader thread starts");
        let again = load_tls_roots_in_background().expect("still the same loader");
        assert!(
            std::ptr::eq(first, again),
            "a second call starts no second load"
        );
        while !first.is_finished() {
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        let cached = rustls_native_certs::load_native_certs();
        assert!(cached.errors.is_empty(), "{:?}", cached.errors);
        assert!(
            !cached.certs.is_empty(),
            "this machine has system root certificates"
        );
    }
}
