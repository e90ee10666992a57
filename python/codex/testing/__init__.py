"""Testing kit: a loopback mock of the Responses API and pytest fixtures.

Use it to test your own agents without a network or an API key::

    from codex import Codex
    from codex.testing import MockResponsesServer, responses

    with MockResponsesServer() as mock:
        mock.enqueue(responses.text("hi there"))
        with Codex(base_url=mock.base_url, api_key="sk-test") as codex:
            assert codex.thread_start().run("hello").final_response == "hi there"
"""

from . import responses
from .responses import ScriptedResponse
from .server import MockResponsesServer, RecordedRequest, catalog_model

__all__ = ["MockResponsesServer", "RecordedRequest", "ScriptedResponse", "catalog_model", "responses"]
