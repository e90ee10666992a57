"""The base of every generated protocol model."""

from __future__ import annotations

import functools
import json
from enum import Enum
from typing import TYPE_CHECKING, Any, TypeAlias, cast

from pydantic import BaseModel, ConfigDict


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


if TYPE_CHECKING:
    from pydantic import TypeAdapter

    from ._root import ProtocolRootModel as ProtocolRootModel


def __getattr__(name: str) -> Any:
    # PEP 562: pydantic completes ``RootModel`` (and so builds its schema machinery and loads
    # its plugins through importlib.metadata) when it is imported; ``import codex`` defines no
    # root model, so that cost waits for the first generated module that does.
    if name == "ProtocolRootModel":
        from ._root import ProtocolRootModel

        return ProtocolRootModel
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class OpenEnum(str, Enum):
    """A string enum that also takes any value it does not list (a newer engine's), as a new member."""

    @classmethod
    def _missing_(cls, value: object) -> Any:
        if not isinstance(value, str):
            return None
        member = str.__new__(cls, value)
        member._name_ = value
        member._value_ = value
        return member


# A protocol type: a model class, or a root model (a union of them, or a wrapped scalar).
ProtocolType: TypeAlias = "type[ProtocolModel] | type[ProtocolRootModel[Any]]"


@functools.cache
def adapter(protocol_type: ProtocolType) -> TypeAdapter[Any]:
    """A (cached) validator for any protocol type, model or union alike."""
    from pydantic import TypeAdapter  # pydantic.type_adapter loads with the first one, not at import

    return TypeAdapter(cast("type[Any]", protocol_type))
