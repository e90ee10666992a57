#!/usr/bin/env bash
# First command of the README: install everything, then run one real agent turn
# through the embedded engine against the built-in mock.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
.venv/bin/python -m codex demo
