"""Record what the official engine sends to the OpenAI backends in one plain turn.

Runs one turn through the official SDK (``openai-codex==0.163.0`` with ``openai-codex-cli-bin``,
installed in their own venv, see CONTRIBUTING.md) with no provider of its own: the engine's
built-in OpenAI provider, redirected to the loopback mock through ``openai_base_url`` /
``chatgpt_base_url`` config overrides, as ``tests/e2e/test_openai_backends.py`` does for ours.
Logged in with a platform API key (``login_api_key``). Every request the mock
receives (model calls over WebSocket or HTTP, warm-ups, catalog and other requests) is stored
normalized (:func:`tests.contract.normalize.normalize_backend_requests`): method, path, header
names and values with ids, keys and tokens replaced by placeholders and versions verbatim, and
the body's top-level keys. Nothing leaves the machine: the child's proxies point at a dead port.

A ChatGPT-login variant is not recorded: with a ChatGPT ``auth.json`` the 0.163 engine first
asks ``GET {chatgpt_base_url}/wham/accounts/check`` (workspace routing discovery) and fails the
turn unless that undocumented endpoint names an HTTPS workspace backend and a valid routing
override, which the loopback mock cannot stand in for (see docs/compatibility.md).

    .venv/bin/python scripts/harvest_official_requests.py [--official-python PATH]

writes ``tests/fixtures/official/backend_requests.json``; commit it.
``tests/e2e/test_backend_requests_parity.py`` compares our engine's requests with it.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
FIXTURE = REPO_ROOT / "tests" / "fixtures" / "official" / "backend_requests.json"


def official_child(spec: dict[str, Any]) -> dict[str, Any]:
    """Runs in the official SDK's interpreter: one plain turn, the ids it produced."""
    import openai_codex  # type: ignore[import-not-found]
    from openai_codex import Codex, CodexConfig

    config = CodexConfig(config_overrides=tuple(spec["overrides"]), cwd=spec["cwd"], env=spec["env"])
    with Codex(config) as client:
        if spec["api_key"]:
            # The official app-server does not read OPENAI_API_KEY / CODEX_API_KEY from its
            # environment (a turn then goes out with no Authorization header): log in with the key.
            client.login_api_key(spec["api_key"])
        thread = client.thread_start(cwd=spec["cwd"], model=spec["model"])
        result = thread.run(spec["prompt"])
        return {
            "sdk": f"openai-codex {getattr(openai_codex, '__version__', '?')}",
            "thread_id": thread.id,
            "turn_id": result.id,
            "final_response": result.final_response,
        }


def _cli_version(official_python: Path) -> str:
    probe = subprocess.run(
        [
            str(official_python),
            "-c",
            "import codex_cli_bin, json, pathlib;"
            "p = pathlib.Path(codex_cli_bin.__file__).parent / 'codex-package.json';"
            "print(json.loads(p.read_text())['version'])",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return probe.stdout.strip() or "?"


def harvest(official_python: Path, scratch: Path) -> dict[str, Any]:
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
    from tests.contract.normalize import normalize_backend_requests

    from codex.testing import MockResponsesServer, responses

    root = Path(tempfile.mkdtemp(prefix="backend-requests-", dir=scratch))
    home, workspace = root / "home", root / "workspace"
    home.mkdir()
    workspace.mkdir()
    try:
        with MockResponsesServer(catalog=catalog()) as mock:
            mock.enqueue(responses.text(REPLY))
            spec = {
                "overrides": list(built_in_provider_at(mock.base_url)),
                "cwd": str(workspace),
                "env": {"CODEX_HOME": str(home)},
                "api_key": API_KEY,
                "model": MODEL,
                "prompt": PROMPT,
            }
            env = {k: v for k, v in os.environ.items() if k not in ("OPENAI_API_KEY", "CODEX_API_KEY", "CODEX_HOME")}
            env.update(DEAD_PROXY_ENV)
            done = subprocess.run(
                [str(official_python), __file__, "--official-child", json.dumps(spec)],
                capture_output=True,
                text=True,
                timeout=600,
                env=env,
                check=False,
            )
            if done.returncode != 0:
                seen = "\n".join(f"  {r.method} {r.path}" for r in mock.requests)
                raise RuntimeError(f"the official turn failed:\n{done.stderr[-4000:]}\nthe mock saw:\n{seen}")
            outcome = json.loads(done.stdout.strip().splitlines()[-1])
            known = known_values(outcome["thread_id"], outcome["turn_id"])
            known.update({str(workspace): "<workspace>", str(home): "<codex_home>"})
            return {
                "sdk": outcome["sdk"],
                "final_response": outcome["final_response"],
                "requests": normalize_backend_requests(mock.requests, known),
            }
    finally:
        shutil.rmtree(root, ignore_errors=True)


def main() -> int:
    if len(sys.argv) == 3 and sys.argv[1] == "--official-child":
        print(json.dumps(official_child(json.loads(sys.argv[2]))))
        return 0
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--official-python", type=Path, default=Path.home() / ".cache/official-venv/bin/python")
    parser.add_argument("--output", type=Path, default=FIXTURE)
    args = parser.parse_args()
    if not args.official_python.exists():
        parser.error(f"no official SDK interpreter at {args.official_python}: pass --official-python")

    # The backend-request helpers are repository tooling, in tests/contract (not in the package).
    sys.path.insert(0, str(REPO_ROOT))
    from tests.contract.scenario_runner import default_scratch

    scratch = default_scratch()
    scratch.mkdir(parents=True, exist_ok=True)
    fixture: dict[str, Any] = {
        "description": "Requests the official openai-codex SDK's engine sends to the OpenAI backends in one "
        "plain turn (scripts/harvest_official_requests.py).",
        "codex_cli": _cli_version(args.official_python),
        **harvest(args.official_python, scratch),
    }
    kinds = [request["kind"] for request in fixture["requests"]]
    print(f"{len(kinds)} requests: {', '.join(kinds)}")
    args.output.write_text(json.dumps(fixture, indent=2, sort_keys=True) + "\n")
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
