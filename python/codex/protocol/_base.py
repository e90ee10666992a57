"""The base of every generated protocol model."""

from __future__ import annotations

import functools
import json
from typing import Any, TypeAlias, cast

from pydantic import BaseModel, ConfigDict, TypeAdapter
from typing_extensions import TypeAliasType


class ProtocolModel(BaseModel):
    """A value of the app-server protocol, shaped like the engine's JSON.

    Fields the engine sends but this model does not declare are kept (a newer
    engine must not lose data in an older SDK), and only the fields that were
    present are written back, so ``to_dict()`` returns the wire JSON exactly.
    """

    # defer_build: a thousand models would otherwise cost seconds at import; each
    # builds its validator on first use instead.
    model_config = ConfigDict(extra="allow", populate_by_name=True, protected_namespaces=(), defer_build=True)

    def to_dict(self) -> dict[str, Any]:
        """The engine's wire JSON for this value (as a dict)."""
        return self.model_dump(by_alias=True, exclude_unset=True, mode="json")

    def to_json(self) -> str:
        """The engine's wire JSON for this value (as text)."""
        return json.dumps(self.to_dict(), separators=(",", ":"))


# A protocol type: a model class, or a union of them (generated as a TypeAliasType).
ProtocolType: TypeAlias = "type[ProtocolModel] | TypeAliasType"


@functools.cache
def adapter(protocol_type: ProtocolType) -> TypeAdapter[Any]:
    """A (cached) validator for any protocol type, model or union alike."""
    return TypeAdapter(cast("type[Any]", protocol_type))
