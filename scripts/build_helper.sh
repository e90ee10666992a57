#!/usr/bin/env bash
# Builds codex-embedded-helper and places it in python/codex/_bin/, where the
# package (editable install or wheel) finds it.
set -euo pipefail
cd "$(dirname "$0")/.."
profile="${1:-dev}"
# Release builds get their own directory: cargo locks a target dir while building,
# and a 40-minute release build must not block dev builds and tests.
default_target="$HOME/.cache/codex-embedded/target"
[ "$profile" = "dev" ] || default_target="$default_target-$profile"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$default_target}"
cargo build --locked --profile "$profile" -p codex-embedded-helper
dir="debug"
[ "$profile" = "dev" ] || dir="$profile"
mkdir -p python/codex/_bin
install -m 0755 "$CARGO_TARGET_DIR/$dir/codex-embedded-helper" python/codex/_bin/codex-embedded-helper
