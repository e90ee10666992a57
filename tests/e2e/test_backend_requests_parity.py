"""What our engine sends to OpenAI, compared with what the official engine sends in the same setup.

``tests/fixtures/official/backend_requests.json`` holds the requests the official SDK
(``openai-codex`` 0.163 with its ``codex`` binary) made in one plain turn with a platform API
key and no provider of its own: the engine's built-in OpenAI provider, redirected to the loopback
mock through ``openai_base_url`` (``scripts/harvest_official_requests.py`` records it). Here the
same turn runs through codex-embedded against the same mock and both are normalized alike
(:func:`tests.contract.normalize.normalize_backend_requests`): the same requests over the same
transport to the same paths, the same header names and body keys, the same header values except
the differences listed in ``ALLOWED`` with their reason (docs/compatibility.md, "Requests to
OpenAI"). An unlisted difference fails, and so does a listed one that is gone.
"""

from __future__ import annotations

import fnmatch
import json
from pathlib import Path
from typing import Any

import pytest

from codex import Codex, CodexConfig
from codex.testing import MockResponsesServer, responses
from tests.contract.backend_requests import (
    API_KEY,
    DEAD_PROXY_ENV,
    MODEL,
    PROMPT,
    REPLY,
    built_in_provider_at,
    catalog,
    known_values,
)
from tests.contract.normalize import RequestDifference, compare_backend_requests, normalize_backend_requests

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "official" / "backend_requests.json"

_ENGINE = "the engine is codex 0.145.0, the official binary 0.163.0"
_NEWER_METADATA = f"turn metadata fields added to codex after 0.145 ({_ENGINE})"
#: (difference-key glob, reason); keys as :func:`compare_backend_requests` spells them. Keep in
#: step with docs/compatibility.md, "Requests to OpenAI".
ALLOWED: list[tuple[str, str]] = [
    (
        "guardian warm-up: request missing",
        "codex 0.163 pre-warms the auto-review (guardian) sub-agent's WebSocket session when a thread "
        f"starts in auto_review mode (model gpt-5.6-luna, x-openai-subagent: guardian); 0.145 does not ({_ENGINE})",
    ),
    ("*: header version changed", f"the engine's release: 0.145.0, not 0.163.0 ({_ENGINE})"),
    (
        "*: header originator changed",
        "the originator is the client's name: codex_embedded for this SDK, codex_python_sdk (the official "
        "SDK's default client_name) for openai_codex; CodexConfig.client_name sets it in both",
    ),
    (
        "*: header user-agent changed",
        "built from the originator, the engine release and the client's name and version "
        "(codex_embedded/0.145.0 ... (codex_embedded; <SDK version>) against codex_python_sdk/0.163.0 ... "
        "(codex_python_sdk; 0.163.0))",
    ),
    *(
        (f"*: header x-codex-turn-metadata.{field} missing", _NEWER_METADATA)
        for field in (
            "agent_name",
            "analytics_enabled",
            "auto_review_enabled",
            "context_window_id",
            "history_initialization",
            "model",
            "node_repl_auto_review_required",
            "node_repl_disabled",
            "reasoning_effort",
            "sandbox_mode",
            "window_number",
        )
    ),
    (
        "*: body key instructions extra",
        "codex 0.163 sends the base instructions as the first developer message of `input`; 0.145 sends "
        f"them in the Responses `instructions` field ({_ENGINE})",
    ),
    ("*: client_metadata key mcp_attribution missing", f"added to client_metadata after 0.145 ({_ENGINE})"),
    ("turn: client_metadata key root_turn_id missing", f"added to client_metadata after 0.145 ({_ENGINE})"),
]


@pytest.fixture
def ours(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, codex_workspace: Path) -> list[Any]:
    for name in ("OPENAI_API_KEY", "CODEX_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    for name, value in DEAD_PROXY_ENV.items():
        monkeypatch.setenv(name, value)
    home = tmp_path / "home"
    home.mkdir()
    with MockResponsesServer(catalog=catalog()) as mock:
        mock.enqueue(responses.text(REPLY))
        config = CodexConfig(config_overrides=built_in_provider_at(mock.base_url))
        with Codex(config, api_key=API_KEY, cwd=str(codex_workspace), codex_home=str(home)) as client:
            thread = client.thread_start(cwd=str(codex_workspace), model=MODEL)
            result = thread.run(PROMPT)
        assert result.final_response == REPLY
        known = known_values(thread.id, result.id)
        known.update({str(codex_workspace): "<workspace>", str(home): "<codex_home>"})
        return normalize_backend_requests(mock.requests, known)


def test_our_requests_to_openai_match_the_official_engines(ours: list[Any]) -> None:
    official = json.loads(FIXTURE.read_text())["requests"]
    found = compare_backend_requests(official, ours)
    used: set[str] = set()
    unlisted: list[RequestDifference] = []
    for difference in found:
        glob = next((glob for glob, _ in ALLOWED if fnmatch.fnmatchcase(difference.key, glob)), None)
        if glob is None:
            unlisted.append(difference)
        else:
            used.add(glob)
    assert not unlisted, "requests differ from the official engine's:\n" + "\n".join(d.describe() for d in unlisted)
    gone = [glob for glob, _ in ALLOWED if glob not in used]
    assert not gone, f"allowed differences no longer seen (remove them here and in docs/compatibility.md): {gone}"
