"""``import codex`` loads what a client needs to start and run turns; the approval requests'
models, the policies built on them, TOML parsing, the callback pool, pydantic's TypeAdapter,
and the file store's temp files and MIME guessing (with shutil's archive modules) load on
first use.

Each check runs in a fresh interpreter: this test process has long imported everything.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from typing import Any

import pytest

import codex


def _fresh(code: str) -> Any:
    """Runs ``code`` in a fresh interpreter; it prints one JSON value."""
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, check=True, timeout=120
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


LOADED_ON_FIRST_USE = (
    "codex.approvals",
    "codex.policies",
    "tomllib",
    "tomli",
    "concurrent.futures",
    "pydantic.type_adapter",
    "shutil",
    "tempfile",
    "mimetypes",
)


def test_import_codex_leaves_what_a_plain_turn_does_not_use_unloaded() -> None:
    loaded = _fresh(
        f"""
        import json, sys
        import codex
        print(json.dumps([m for m in {LOADED_ON_FIRST_USE!r} if m in sys.modules]))
        """
    )
    assert loaded == []


def test_the_lazy_names_resolve_to_the_same_objects_every_way_they_are_reached() -> None:
    found = _fresh(
        """
        import json, sys
        import codex
        from codex import Allow, ApprovalRequest, policies
        import codex.approvals as approvals
        import codex.policies as policies_module
        print(json.dumps({
            "same": [Allow is approvals.Allow, ApprovalRequest is approvals.ApprovalRequest,
                     policies is policies_module, codex.Deny is approvals.Deny],
            "in_dir": all(name in dir(codex) for name in codex.__all__),
            "loaded": "codex.approvals" in sys.modules,
        }))
        """
    )
    assert found == {"same": [True, True, True, True], "in_dir": True, "loaded": True}


def test_star_import_gives_every_public_name() -> None:
    missing = _fresh(
        """
        import json
        import codex
        namespace = {}
        exec("from codex import *", namespace)
        print(json.dumps(sorted(set(codex.__all__) - set(namespace))))
        """
    )
    assert missing == []


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'NoSuchThing'"):
        codex.NoSuchThing  # noqa: B018


def test_config_overrides_and_config_toml_still_parse_as_toml(tmp_path: Any) -> None:
    # TOML loads on first use: a literal override is typed, a bad config.toml is reported.
    result = _fresh(
        f"""
        import json, pathlib
        from codex.config import _UserConfig, _parse_override
        from codex.errors import ConfigurationError
        home = pathlib.Path({str(tmp_path)!r})
        (home / "config.toml").write_text("model = [unclosed")
        try:
            _UserConfig.load(home)
            error = None
        except ConfigurationError as exc:
            error = str(exc)
        print(json.dumps([_parse_override("a=3"), _parse_override("b=not toml ["), error]))
        """
    )
    assert result[0] == ["a", 3]
    assert result[1] == ["b", "not toml ["]
    assert "is not valid TOML" in result[2]
