"""``python -m codex verify``: is this installation whole and able to run sandboxed commands?

Each check gives ``ok``, ``warn`` (works, but something is worth knowing) or ``FAIL``; the
command exits 1 when any check fails. The engine and helper are compared with the sha256
that the wheel's RECORD took when the wheel was built; an editable (development) install
has no such record for them, which is a warning, not a failure.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from . import _engine
from .config import bundled_helper, default_homes_root

DISTRIBUTION = "codex-embedded"
OK, WARN, FAIL = "ok", "warn", "FAIL"


@dataclass(frozen=True)
class Check:
    name: str
    status: str
    detail: str


def _sha256_record(path: Path) -> str:
    digest = hashlib.sha256(path.read_bytes()).digest()
    return "sha256=" + base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _recorded_hashes() -> dict[Path, str]:
    try:
        files = metadata.files(DISTRIBUTION) or []
    except metadata.PackageNotFoundError:
        return {}
    return {Path(str(file.locate())).resolve(): f"{file.hash.mode}={file.hash.value}" for file in files if file.hash}


def check_file(name: str, path: Path, recorded: dict[Path, str]) -> Check:
    if not path.is_file():
        return Check(name, FAIL, f"missing: {path}")
    actual = _sha256_record(path)
    expected = recorded.get(path.resolve())
    if expected is None:
        return Check(name, WARN, f"{path} (not in the wheel's RECORD: a development install?)")
    if expected != actual:
        return Check(name, FAIL, f"{path} differs from the wheel's RECORD (expected {expected}, found {actual})")
    return Check(name, OK, f"{path} matches the build's sha256")


def check_sandbox() -> Check:
    bwrap = shutil.which("bwrap")
    if sys.platform != "linux":
        return Check("sandbox", WARN, f"no bubblewrap sandbox on {sys.platform}: see docs/install.md")
    if bwrap is None:
        return Check(
            "sandbox", FAIL, "bubblewrap (bwrap) not on PATH: sandboxed commands cannot run (apt install bubblewrap)"
        )
    probe = [bwrap, "--ro-bind", "/", "/", "--dev", "/dev", "--unshare-all", "true"]
    result = subprocess.run(probe, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        return Check("sandbox", FAIL, f"`{' '.join(probe)}` failed: {result.stderr.strip()}")
    return Check("sandbox", OK, f"{bwrap} runs a namespaced command")


def check_helper_runs(helper: Path) -> Check:
    if not os.access(helper, os.X_OK):
        return Check("helper runs", FAIL, f"{helper} is not executable")
    return Check("helper runs", OK, "executable")


def check_home() -> Check:
    """Where clients create their private homes when no ``codex_home`` is given."""
    root = default_homes_root()
    existing = next((parent for parent in (root, *root.parents) if parent.exists()), None)
    if existing is None or not os.access(existing, os.W_OK):
        return Check("home", FAIL, f"{root}: cannot be created ({existing} is not writable)")
    return Check("home", OK, f"private homes under {root}")


def run_checks() -> list[Check]:
    recorded = _recorded_hashes()
    helper = bundled_helper()
    checks = [
        Check("package", OK, f"{DISTRIBUTION} {_engine.extension_version()} from {Path(__file__).resolve().parent}"),
        check_file("engine", Path(_engine.extension_file()), recorded),
        check_file("helper", helper, recorded),
    ]
    if helper.is_file():
        checks.append(check_helper_runs(helper))
    checks += [check_sandbox(), check_home()]
    return checks


def render(checks: list[Check]) -> str:
    width = max(len(check.name) for check in checks)
    lines = [f"{'check'.ljust(width)}  status  detail", f"{'-' * width}  ------  ------"]
    lines += [f"{check.name.ljust(width)}  {check.status.ljust(6)}  {check.detail}" for check in checks]
    return "\n".join(lines)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.set_defaults(verify=True)


def run_command(_args: argparse.Namespace) -> int:
    checks = run_checks()
    print(render(checks))
    return 1 if any(check.status == FAIL for check in checks) else 0
