"""The base of the generated root models (unions, wrapped scalars); imported on first use."""

from __future__ import annotations

import json
from typing import Any, Generic, TypeVar

from pydantic import ConfigDict, RootModel

RootT = TypeVar("RootT")


class ProtocolRootModel(RootModel[RootT], Generic[RootT]):
    """A protocol union or wrapped scalar, as in ``openai_codex``: ``.root`` is the value.

    A ``ThreadItem`` is one of these; its ``root`` is the concrete item
    (``AgentMessageThreadItem``, ...). ``to_dict()`` gives back the wire JSON of the value.
    """

    model_config = ConfigDict(populate_by_name=True, protected_namespaces=(), defer_build=True)

    def to_dict(self) -> Any:
        """The engine's wire JSON for this value (a dict for a union of models)."""
        return self.model_dump(by_alias=True, exclude_unset=True, mode="json")

    def to_json(self) -> str:
        """The engine's wire JSON for this value (as text)."""
        return json.dumps(self.to_dict(), separators=(",", ":"))
