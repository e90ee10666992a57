"""The setup in which both SDKs' requests to the OpenAI backends are compared.

``scripts/harvest_official_requests.py`` runs one plain turn through the official SDK
(``openai-codex`` 0.163 and its ``codex`` binary) with the engine's built-in OpenAI provider
redirected to the loopback mock, and stores the normalized requests in
``tests/fixtures/official/backend_requests.json``; ``tests/e2e/test_backend_requests_parity.py``
runs the same turn through codex-embedded and compares. This module holds what both sides
share: the mock's catalog, the key, the model and the settings. Standard library only, so the
official SDK's interpreter could load it too.
"""

from __future__ import annotations

from typing import Any

#: A platform API key (never a real one).
API_KEY = "sk-platform-user-key"
#: The model both sides ask for, so the comparison is about the engines, not their default models.
MODEL = "gpt-5.5"
PROMPT = "hello"
REPLY = "from the backend"
#: Anything that would leave the machine goes to a dead proxy instead.
DEAD_PROXY_ENV = {
    **dict.fromkeys(
        ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"), "http://127.0.0.1:9"
    ),
    "NO_PROXY": "127.0.0.1,localhost",
    "no_proxy": "127.0.0.1,localhost",
}


def catalog() -> list[dict[str, Any]]:
    """The ChatGPT backend's model catalog, as in ``tests/e2e/test_openai_backends.py``."""
    from codex.testing.server import catalog_model

    return [
        catalog_model(MODEL, minimal_client_version="0.144.0", priority=1),
        catalog_model("gpt-from-the-future", minimal_client_version="9.0.0", priority=2),
    ]


def built_in_provider_at(url: str) -> tuple[str, ...]:
    """Config overrides pointing the engine's built-in OpenAI provider (both hosts) at ``url``."""
    return (f'openai_base_url="{url}"', f'chatgpt_base_url="{url}"')


def known_values(thread_id: str | None, turn_id: str | None) -> dict[str, str]:
    """This run's values and their placeholders, for :func:`tests.contract.normalize.normalize_header`."""
    known = {API_KEY: "<key>"}
    if thread_id:
        known[thread_id] = "<thread>"
    if turn_id:
        known[turn_id] = "<turn>"
    return known
