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
# The whole suite (no arguments, as .ci/run calls it) runs under line and branch coverage and
# fails below the floor in pyproject.toml ([tool.coverage.report] fail_under); a part of the
# suite named in the arguments runs without it (its figure would be below the floor).
# coverage run, not pytest-cov: codex's pytest plugin (an entry point) imports the package
# before pytest-cov starts measuring, which would count every import-time line as missed.
if [ "$#" -eq 0 ]; then
  # First the unit tests with codex._native blocked: the pure-Python layers must not need the build.
  CODEX_TEST_NO_NATIVE=1 .venv/bin/python -m pytest -q -p no:cacheprovider tests/unit
  .venv/bin/python -m coverage erase
  .venv/bin/python -m coverage run -m pytest
  .venv/bin/python -m coverage report
else
  .venv/bin/python -m pytest "$@"
fi
