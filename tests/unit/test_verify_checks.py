"""``python -m codex verify``: each check's verdict, the table, the exit status (in-process).

tests/e2e/test_verify.py runs the command on this installation in a child process; these pin
the verdicts that installation cannot show (a tampered file, a helper that lost its mode bit,
an unwritable cache, a platform without bubblewrap).
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import os
import sys
from pathlib import Path

import pytest

from codex import _engine, cli, verify
from codex.verify import FAIL, OK, WARN, Check


def record_of(path: Path) -> str:
    digest = hashlib.sha256(path.read_bytes()).digest()
    return "sha256=" + base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def test_a_file_matching_the_wheels_record_is_ok(tmp_path: Path) -> None:
    engine = tmp_path / "_native.so"
    engine.write_bytes(b"engine bytes")
    check = verify.check_file("engine", engine, {engine.resolve(): record_of(engine)})
    assert check.status == OK
    assert "matches" in check.detail


def test_a_file_that_differs_from_the_record_fails_and_shows_both_hashes(tmp_path: Path) -> None:
    engine = tmp_path / "_native.so"
    engine.write_bytes(b"tampered")
    expected = "sha256=not-the-same"
    check = verify.check_file("engine", engine, {engine.resolve(): expected})
    assert check.status == FAIL
    assert expected in check.detail
    assert record_of(engine) in check.detail


def test_a_file_outside_the_record_is_a_warning(tmp_path: Path) -> None:
    helper = tmp_path / "helper"
    helper.write_bytes(b"x")
    check = verify.check_file("helper", helper, {})
    assert check.status == WARN
    assert "development install" in check.detail


def test_a_missing_file_fails(tmp_path: Path) -> None:
    check = verify.check_file("helper", tmp_path / "gone", {})
    assert check == Check("helper", FAIL, f"missing: {tmp_path / 'gone'}")


def test_a_helper_without_the_execute_bit_fails(tmp_path: Path) -> None:
    helper = tmp_path / "helper"
    helper.write_bytes(b"#!/bin/sh\n")
    helper.chmod(0o644)
    if os.access(helper, os.X_OK):  # root may execute anything with some x bit; 0o644 has none
        pytest.skip("this user can execute a file without an execute bit")
    assert verify.check_helper_runs(helper).status == FAIL
    helper.chmod(0o755)
    assert verify.check_helper_runs(helper).status == OK


def test_sandbox_fails_without_bubblewrap_on_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setenv("PATH", "/nonexistent")
    check = verify.check_sandbox()
    assert check.status == FAIL
    assert "apt install bubblewrap" in check.detail


def test_sandbox_is_a_warning_off_linux(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "platform", "darwin")
    check = verify.check_sandbox()
    assert check.status == WARN
    assert "darwin" in check.detail


def test_sandbox_fails_when_bubblewrap_cannot_make_namespaces(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    fake_bwrap = tmp_path / "bwrap"
    fake_bwrap.write_text("#!/bin/sh\necho 'bwrap: No permissions to create new namespace' >&2\nexit 1\n")
    fake_bwrap.chmod(0o755)
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setenv("PATH", str(tmp_path))
    check = verify.check_sandbox()
    assert check.status == FAIL
    assert "No permissions to create new namespace" in check.detail


def test_sandbox_is_ok_when_bubblewrap_runs(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    fake_bwrap = tmp_path / "bwrap"
    fake_bwrap.write_text("#!/bin/sh\nexit 0\n")
    fake_bwrap.chmod(0o755)
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setenv("PATH", str(tmp_path))
    check = verify.check_sandbox()
    assert check == Check("sandbox", OK, f"{fake_bwrap} runs a namespaced command")


def test_home_is_ok_when_its_nearest_existing_parent_is_writable(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "not-yet"))
    check = verify.check_home()
    assert check.status == OK
    assert str(tmp_path / "not-yet" / "codex-embedded" / "homes") in check.detail


def test_home_fails_when_nothing_above_it_is_writable(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(os, "access", lambda path, mode: False)
    check = verify.check_home()
    assert check.status == FAIL
    assert "cannot be created" in check.detail


def test_render_aligns_the_columns() -> None:
    table = verify.render([Check("engine", OK, "fine"), Check("helper runs", FAIL, "not executable")])
    lines = table.splitlines()
    assert lines[0] == "check        status  detail"
    assert lines[1] == "-----------  ------  ------"
    assert lines[2] == "engine       ok      fine"
    assert lines[3] == "helper runs  FAIL    not executable"


@pytest.mark.parametrize(("statuses", "exit_code"), [((OK, WARN), 0), ((OK, FAIL, WARN), 1)])
def test_verify_exits_1_only_when_a_check_fails(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], statuses: tuple[str, ...], exit_code: int
) -> None:
    checks = [Check(f"check{index}", status, "detail") for index, status in enumerate(statuses)]
    monkeypatch.setattr(verify, "run_checks", lambda: checks)
    assert cli.main(["verify"]) == exit_code
    assert capsys.readouterr().out == verify.render(checks) + "\n"


def test_run_checks_skips_the_run_check_when_the_helper_is_missing(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    engine = tmp_path / "_native.so"
    engine.write_bytes(b"engine")
    monkeypatch.setattr(_engine, "extension_version", lambda: "9.9.9")
    monkeypatch.setattr(_engine, "extension_file", lambda: str(engine))
    monkeypatch.setattr(verify, "bundled_helper", lambda: tmp_path / "no-helper")
    monkeypatch.setattr(verify, "_recorded_hashes", lambda: {engine.resolve(): record_of(engine)})
    checks = {check.name: check for check in verify.run_checks()}
    assert checks["package"].detail.startswith(f"{verify.DISTRIBUTION} 9.9.9 from ")
    assert checks["engine"].status == OK
    assert checks["helper"].status == FAIL
    assert "helper runs" not in checks
    assert {"sandbox", "home"} <= checks.keys()


def test_recorded_hashes_are_empty_without_the_distribution(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(verify, "DISTRIBUTION", "codex-embedded-not-installed-anywhere")
    assert verify._recorded_hashes() == {}


def test_recorded_hashes_of_the_installed_distribution_are_resolved_paths() -> None:
    recorded = verify._recorded_hashes()
    # An editable install records its .pth/metadata files, not the engine; every key is absolute.
    assert all(path.is_absolute() for path in recorded)
    assert all(value.startswith("sha256=") for value in recorded.values())


def test_add_arguments_marks_the_namespace() -> None:
    parser = argparse.ArgumentParser()
    verify.add_arguments(parser)
    assert parser.parse_args([]).verify is True
