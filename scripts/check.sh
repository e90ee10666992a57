#!/usr/bin/env bash
# Second command of the README: install, lint (ruff, actionlint, mypy --strict, stubtest,
# clippy, rustfmt) and run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/codex-embedded/target}"
bash scripts/install.sh

echo "== ruff"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
echo "== actionlint"
.venv/bin/actionlint .github/workflows/*.yml
echo "== mypy --strict"
.venv/bin/mypy
echo "== stubtest"
.venv/bin/python -m mypy.stubtest codex._native
echo "== rustfmt"
cargo fmt --all -- --check
echo "== clippy"
cargo clippy --locked --workspace --all-targets -- -D warnings
echo "== cargo test"
cargo test --locked -p codex-embedded-engine
echo "== pytest"
.venv/bin/python -m pytest "$@"
