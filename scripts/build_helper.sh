#!/usr/bin/env bash
# Builds codex-embedded-helper and places it in python/codex/_bin/, where the
# package (editable install or wheel) finds it.
set -euo pipefail
cd "$(dirname "$0")/.."
profile="${1:-dev}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/codex-embedded/target}"
cargo build --locked --profile "$profile" -p codex-embedded-helper
dir="debug"
[ "$profile" = "dev" ] || dir="$profile"
mkdir -p python/codex/_bin
install -m 0755 "$CARGO_TARGET_DIR/$dir/codex-embedded-helper" python/codex/_bin/codex-embedded-helper
