#!/usr/bin/env python3
"""Prepares the patched engine crates that the workspace's [patch.crates-io] points at.

For each ``patches/engine-version/<package>-<version>.patch`` this unpacks the published
``.crate`` (checked against ``patches/engine-version/SHA256SUMS``) into
``patches/prepared/<package>-<version>/`` and applies the patch. It must run before any
cargo command in the workspace: a [patch] path that does not exist stops cargo from loading
the workspace at all, so this script never loads it. A crate missing from cargo's download
cache is fetched with a throw-away manifest outside the repository.

Stdlib only; run by scripts/install.sh. Re-running is cheap: a crate is prepared again only
when its patch or checksum changed.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PATCHES = ROOT / "patches" / "engine-version"
PREPARED = ROOT / "patches" / "prepared"
STAMP = ".codex-embedded-prepared"


def cargo_home() -> Path:
    return Path(os.environ.get("CARGO_HOME") or Path.home() / ".cargo")


def expected_checksums() -> dict[str, str]:
    sums: dict[str, str] = {}
    for line in (PATCHES / "SHA256SUMS").read_text().splitlines():
        if line.strip():
            digest, name = line.split()
            sums[name.removesuffix(".crate")] = digest
    return sums


def split_name(crate: str) -> tuple[str, str]:
    name, _, version = crate.rpartition("-")
    return name, version


def find_cached(crate: str) -> Path | None:
    for path in sorted((cargo_home() / "registry" / "cache").glob(f"*/{crate}.crate")):
        return path
    return None


def fetch(crates: list[str]) -> None:
    """Downloads the crates into cargo's cache through cargo itself, away from this workspace."""
    deps = "\n".join(
        f'dep{i} = {{ package = "{n}", version = "={v}" }}' for i, (n, v) in enumerate(map(split_name, crates))
    )
    with tempfile.TemporaryDirectory(prefix="codex-engine-fetch-") as tmp:
        Path(tmp, "Cargo.toml").write_text(
            f'[package]\nname = "fetch-only"\nversion = "0.0.0"\nedition = "2021"\n\n[dependencies]\n{deps}\n'
        )
        Path(tmp, "src").mkdir()
        Path(tmp, "src", "lib.rs").write_text("")
        subprocess.run(["cargo", "fetch", "--quiet"], cwd=tmp, check=True)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def prepare(crate: str, archive: Path, patch: Path, stamp: str) -> None:
    PREPARED.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{crate}-", dir=PREPARED))
    try:
        with tarfile.open(archive) as tar:
            if hasattr(tarfile, "data_filter"):
                tar.extractall(staging, filter="data")
            else:  # interpreters without extraction filters; the archive's checksum was verified
                tar.extractall(staging)
        source = staging / crate
        subprocess.run(
            ["patch", "-p1", "--batch", "--forward", "--silent", "-d", str(source), "-i", str(patch)],
            check=True,
        )
        (source / STAMP).write_text(stamp)
        target = PREPARED / crate
        shutil.rmtree(target, ignore_errors=True)
        source.rename(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def main() -> int:
    sums = expected_checksums()
    patches = {path.name.removesuffix(".patch"): path for path in sorted(PATCHES.glob("*.patch"))}
    if set(patches) != set(sums):
        print(f"patches and SHA256SUMS disagree: {sorted(set(patches) ^ set(sums))}", file=sys.stderr)
        return 1
    stamps = {
        crate: f"{sums[crate]} {hashlib.sha256(path.read_bytes()).hexdigest()}\n" for crate, path in patches.items()
    }
    todo = [crate for crate in patches if _stamp(crate) != stamps[crate]]
    missing = [crate for crate in todo if find_cached(crate) is None]
    if missing:
        print(f"== fetching {len(missing)} engine crate(s) to patch", file=sys.stderr)
        fetch(missing)
    for crate in todo:
        archive = find_cached(crate)
        if archive is None:
            print(f"{crate}.crate is not in cargo's cache after fetching", file=sys.stderr)
            return 1
        if sha256(archive) != sums[crate]:
            print(f"{archive} does not match patches/engine-version/SHA256SUMS", file=sys.stderr)
            return 1
        prepare(crate, archive, patches[crate], stamps[crate])
        print(f"== prepared patches/prepared/{crate}", file=sys.stderr)
    # Leftovers from a patch that was removed would otherwise linger unnoticed.
    if PREPARED.is_dir():
        for entry in PREPARED.iterdir():
            if entry.is_dir() and entry.name not in patches:
                shutil.rmtree(entry)
    return 0


def _stamp(crate: str) -> str | None:
    try:
        return (PREPARED / crate / STAMP).read_text()
    except OSError:
        return None


if __name__ == "__main__":
    sys.exit(main())
