//! In a Python host `current_exe()` is the interpreter, so the engine cannot
//! re-execute itself. It re-executes this binary instead: under the file name
//! `codex-linux-sandbox` (a link made per client) or with a `--codex-run-as-*`
//! first argument, `arg0_dispatch` runs the matching personality and exits.

fn main() {
    if std::env::args().nth(1).as_deref() == Some("--codex-embedded-probe") {
        // Lets the SDK verify at start-up that the path it was given is this helper:
        // the engine itself never checks, and a wrong path fails much later, obscurely.
        println!("codex-embedded-helper {}", env!("CARGO_PKG_VERSION"));
        return;
    }
    let _guard = codex_vendor::codex_arg0::arg0_dispatch();
    let argv: Vec<String> = std::env::args().collect();
    eprintln!("codex-embedded-helper: no helper personality matches argv {argv:?}");
    std::process::exit(2);
}
