#!/usr/bin/env bash
# Builds the Linux x86_64 wheel users pip install: manylinux_2_28, abi3 (Python >= 3.10),
# helper executable inside, OpenSSL and liblzma linked in statically. Output: dist/.
#
#   CARGO_TARGET_DIR     default ~/.cache/codex-embedded/target-wheel
#   CODEX_WHEEL_TOOLS    venv with maturin, ziglang, auditwheel (created if missing),
#                        default ~/.cache/codex-embedded/wheel-tools
#   CODEX_WHEEL_SRC      snapshot of the tree the wheel is built from,
#                        default ~/.cache/codex-embedded/wheel-src
#   CODEX_WHEEL_PROFILE  cargo profile, default "dist" (Cargo.toml: fat LTO; "wheel" builds without)
#   CODEX_WHEEL_TARGET   rust target, default x86_64-unknown-linux-gnu (CI: aarch64-unknown-linux-gnu,
#                        x86_64-unknown-linux-musl)
#   CODEX_WHEEL_COMPAT   platform tag, default manylinux_2_28 (musllinux_1_2 for musl targets)
#
# zig (the ziglang package) is the C compiler and linker: it links against glibc 2.28's
# symbol versions whatever the build machine's glibc is, so no manylinux container is
# needed and the build works offline once the crates are in cargo's cache.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
cache="$HOME/.cache/codex-embedded"
tools="${CODEX_WHEEL_TOOLS:-$cache/wheel-tools}"
src="${CODEX_WHEEL_SRC:-$cache/wheel-src}"
profile="${CODEX_WHEEL_PROFILE:-dist}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$cache/target-wheel}"
target="${CODEX_WHEEL_TARGET:-x86_64-unknown-linux-gnu}"
default_compat="manylinux_2_28"
case "$target" in *-musl) default_compat="musllinux_1_2" ;; esac
compat="${CODEX_WHEEL_COMPAT:-$default_compat}"
# lzma-sys links the system liblzma.so.5 unless told otherwise.
export LZMA_API_STATIC=1
started=$SECONDS

step() { echo "== [$(( (SECONDS - started) / 60 ))m$(( (SECONDS - started) % 60 ))s] $*"; }

if [ ! -x "$tools/bin/maturin" ] || [ ! -x "$tools/bin/auditwheel" ] || ! "$tools/bin/python" -c "import ziglang" 2>/dev/null; then
  step "creating the build tools venv $tools"
  python3 -m venv "$tools"
  "$tools/bin/pip" install -q "maturin>=1.8,<2" ziglang auditwheel
fi
rustup target list --installed 2>/dev/null | grep -qx "$target" || rustup target add "$target"
export PATH="$tools/bin:$PATH"

# The wheel is built from a snapshot: python/codex/_bin/ of the working tree holds the dev
# helper of `scripts/install.sh`, and edits made while a long build runs must not end up
# half in the wheel. The snapshot holds the files git knows or would add (tracked and
# untracked, not ignored). A file is rewritten only when its content changed, and then gets
# the current time: cargo compares mtimes with its last build, so unchanged sources stay fresh,
# and a change made (with an older mtime) while the previous build ran is still seen. The
# snapshot's own ignored files (the prepared crates, the wheel's helper) stay in place.
step "snapshot of $repo -> $src"
mkdir -p "$src"
(cd "$repo" && git ls-files -z --cached --others --exclude-standard) | python3 -c '
import os, sys
repo, src = sys.argv[1], sys.argv[2]
for name in sys.stdin.buffer.read().decode().split("\0"):
    origin = os.path.join(repo, name)
    if not name or not os.path.isfile(origin):
        continue
    target = os.path.join(src, name)
    with open(origin, "rb") as handle:
        data = handle.read()
    try:
        with open(target, "rb") as handle:
            if handle.read() == data:
                continue
    except OSError:
        os.makedirs(os.path.dirname(target), exist_ok=True)
    with open(target, "wb") as handle:
        handle.write(data)
    os.chmod(target, os.stat(origin).st_mode & 0o7777)
' "$repo" "$src"
cd "$src"
python3 scripts/prepare_engine_patches.py

# The helper is a separate cargo build (maturin's bin mode, so that it uses the same zig
# wrappers and shares the target dir's artifacts with the extension build below).
step "building the helper (profile $profile, $target, $compat)"
rm -rf "$src/dist-helper"
(cd rust/helper && maturin build --locked --profile "$profile" --bindings bin --zig --features vendored-openssl \
  --target "$target" --compatibility "$compat" --out "$src/dist-helper")
rm -rf "$src/dist-helper/unpacked" && mkdir -p "$src/dist-helper/unpacked"
python3 -m zipfile -e "$src"/dist-helper/*.whl "$src/dist-helper/unpacked"
mkdir -p python/codex/_bin
install -m 0755 "$src"/dist-helper/unpacked/*.data/scripts/codex-embedded-helper python/codex/_bin/codex-embedded-helper

step "building the extension and the wheel"
rm -rf "$src/dist"
maturin build --locked --profile "$profile" --zig --target "$target" --compatibility "$compat" \
  --features vendored-openssl --out "$src/dist"
wheel="$(ls "$src"/dist/*.whl)"
mkdir -p "$repo/dist"
cp "$wheel" "$repo/dist/"
wheel="$repo/dist/$(basename "$wheel")"

step "auditwheel show"
auditwheel show "$wheel"
echo "== extension and helper: dynamic dependencies"
rm -rf "$src/dist/unpacked" && mkdir -p "$src/dist/unpacked"
python3 -m zipfile -e "$wheel" "$src/dist/unpacked"
for elf in "$src"/dist/unpacked/codex/_native*.so "$src"/dist/unpacked/codex/_bin/codex-embedded-helper; do
  echo "-- $(basename "$elf"): $(du -h "$elf" | cut -f1)"
  readelf -d "$elf" | awk '/NEEDED/ {print "   needs", $NF}'
  echo "   newest glibc symbol: $(objdump -T "$elf" | grep -o 'GLIBC_[0-9.]*' | sort -uV | tail -1)"
done
step "done: $wheel ($(du -h "$wheel" | cut -f1), $(stat -c %s "$wheel") bytes)"
