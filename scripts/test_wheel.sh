#!/usr/bin/env bash
# Installs a built wheel into a fresh venv the way a user would, with no Rust toolchain
# and none of this repository on the path, then runs the demo from / and a part of the
# e2e suite against the installed package.
#   scripts/test_wheel.sh [WHEEL]     default: the newest dist/codex_embedded-*.whl
#   CODEX_WHEEL_TEST_VENV             default ~/.cache/codex-embedded/wheel-test-venv
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
wheel="${1:-$(ls -t "$repo"/dist/codex_embedded-*.whl 2>/dev/null | head -1)}"
if [ -z "$wheel" ] || [ ! -f "$wheel" ]; then
  echo "no wheel: run scripts/build_wheel.sh first (or pass one)" >&2
  exit 2
fi
venv="${CODEX_WHEEL_TEST_VENV:-$HOME/.cache/codex-embedded/wheel-test-venv}"
python="${PYTHON:-python3}"
# The environment of a machine without Rust: no cargo, rustc or ~/.cargo on PATH, no
# VIRTUAL_ENV, no variable of the build.
clean=(env -i "HOME=$HOME" "PATH=/usr/local/bin:/usr/bin:/bin" "LANG=C.UTF-8")

rm -rf "$venv"
"${clean[@]}" "$(command -v "$python")" -m venv "$venv"
"${clean[@]}" "$venv/bin/pip" install -q --upgrade pip
"${clean[@]}" "$venv/bin/pip" install -q "$wheel[testing]" "pytest>=8" "pytest-timeout>=2.3" "hypothesis>=6"

echo "== no Rust toolchain on the test PATH"
if "${clean[@]}" sh -c 'command -v cargo || command -v rustc'; then
  echo "cargo or rustc is reachable from the clean PATH" >&2
  exit 1
fi

echo "== the installed package is the one under test"
(cd / && "${clean[@]}" "$venv/bin/python" -c '
import codex, codex._native, pathlib, sys
installed = pathlib.Path(codex.__file__).resolve()
assert str(installed).startswith(sys.prefix), installed
print("codex-embedded", codex.__version__, "from", installed.parent)
')

echo "== python -m codex verify: engine and helper match the wheel's RECORD"
verify_out="$(cd / && "${clean[@]}" "$venv/bin/python" -m codex verify)"
echo "$verify_out"
[ "$(echo "$verify_out" | grep -c "matches the build's sha256")" -eq 2 ] || { echo "engine or helper unverified" >&2; exit 1; }

echo "== python -m codex demo (from /)"
(cd / && "${clean[@]}" "$venv/bin/python" -m codex demo)

echo "== e2e tests against the installed wheel"
# Run from a copy of tests/ only, so that nothing of the source tree can be imported.
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp -a "$repo/tests" "$work/tests"
cp "$repo/pyproject.toml" "$work/pyproject.toml"
(cd "$work" && "${clean[@]}" "$venv/bin/pytest" -q -p no:cacheprovider \
  tests/e2e/test_turns.py tests/e2e/test_sandbox.py tests/e2e/test_bad_input.py tests/e2e/test_verify.py)
