"""The base of the generated root models (unions, wrapped scalars); imported on first use."""

from __future__ import annotations

import importlib
import inspect
import json
import sys
import threading
from collections.abc import Mapping
from typing import Any, ClassVar, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, GetCoreSchemaHandler, GetJsonSchemaHandler, RootModel, ValidationError
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, core_schema

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


#: The lazy unions completed with their rare variants (pydantic's own flag for this is recent).
_COMPLETED: set[type[BaseModel]] = set()
_COMPLETING = threading.RLock()


class _Completing(threading.local):
    """The unions this thread is completing: their own schema is then the generated union's."""

    def __init__(self) -> None:
        self.unions: set[type[BaseModel]] = set()


_COMPLETING_NOW = _Completing()


class LazyTaggedUnion(ProtocolRootModel[Any]):
    """A tagged union whose rare variants are defined in another module, loaded on first sight.

    Building a validator for a union builds every variant's, and defining a variant defines
    every model it reaches: for a ``ThreadItem`` (18 kinds), ~60 classes of which a plain
    turn uses none. So the generated union names its common variants (``common_variants``,
    tag -> class) and writes the others as a forward reference to ``variants_module``, which
    defines them (and imports nothing of this union's module).
    Until that module is loaded, a model embedding the union validates it by its tag: a
    common variant at once, a rare one after loading the module (once), an unknown tag or a
    value no variant accepts as ``fallback`` (what the full union does, left to right).
    Loading the module completes the union: from then on it is the generated union itself,
    with its annotation, validator and JSON schema. Anything that asks the union class for
    its own validator, serializer or fields loads it first.
    """

    variants_module: ClassVar[str]
    tag: ClassVar[str]
    common_variants: ClassVar[Mapping[str, type[BaseModel]]]
    fallback: ClassVar[type[BaseModel]]

    @classmethod
    def variants_loaded(cls) -> bool:
        """Whether the rare variants are loaded and this union completed with them."""
        return cls in _COMPLETED

    @classmethod
    def load_variants(cls) -> None:
        """Loads the rare variants and completes this union with them (once; thread-safe)."""
        if not cls.variants_loaded():
            cls.model_rebuild()

    @classmethod
    def model_rebuild(
        cls,
        *,
        force: bool = False,
        raise_errors: bool = True,
        _parent_namespace_depth: int = 2,
        _types_namespace: Any = None,
    ) -> bool | None:
        # Two threads may meet their first rare variant together (pydantic before 2.11 does not
        # serialize rebuilds itself).
        with _COMPLETING:
            # The forward reference names the variants' module's classes, the rest are this one's.
            namespace = {**vars(importlib.import_module(cls.variants_module)), **vars(sys.modules[cls.__module__])}
            _COMPLETING_NOW.unions.add(cls)
            try:
                rebuilt = super().model_rebuild(force=force, raise_errors=raise_errors, _types_namespace=namespace)
            finally:
                _COMPLETING_NOW.unions.discard(cls)
            if rebuilt is not False:
                _COMPLETED.add(cls)
            return rebuilt

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        if cls.variants_loaded() or cls in _COMPLETING_NOW.unions:
            return handler(source)  # the generated union's own schema
        return core_schema.model_schema(
            cls,
            core_schema.with_info_plain_validator_function(cls._validate_variant),
            root_model=True,
            config=core_schema.CoreConfig(title=cls.__name__),
            # The reference the generated union's schema has (pydantic's form), so that a JSON
            # schema names it as a definition either way.
            ref=f"{cls.__module__}.{cls.__qualname__}:{id(cls)}",
            metadata={"pydantic_js_functions": [cls._full_json_schema]},
        )

    @classmethod
    def _validate_variant(cls, value: Any, info: core_schema.ValidationInfo) -> Any:
        if isinstance(value, BaseModel):
            if isinstance(value, (*cls.common_variants.values(), cls.fallback)):
                return value
            cls.load_variants()
            return cls.__pydantic_validator__.validate_python(value, context=info.context).root
        tag = value.get(cls.tag) if isinstance(value, dict) else None
        variant = cls.common_variants.get(tag) if isinstance(tag, str) else None
        if variant is None and isinstance(value, dict):
            cls.load_variants()
            return cls.__pydantic_validator__.validate_python(value, context=info.context).root
        if variant is not None:
            try:
                return variant.__pydantic_validator__.validate_python(value, context=info.context)
            except ValidationError:
                pass  # the full union's next choice, left to right
        return cls.fallback.__pydantic_validator__.validate_python(value, context=info.context)

    @classmethod
    def _full_json_schema(cls, _schema: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        # The generated union's JSON schema: that of its root, with the definitions it uses.
        cls.load_variants()
        full = cls.__pydantic_core_schema__
        definitions = full["definitions"] if full["type"] == "definitions" else []
        model = full["schema"] if full["type"] == "definitions" else full
        if model["type"] != "model":
            raise TypeError(f"{cls.__name__}: unexpected core schema {model['type']!r}")
        json_schema = handler(core_schema.definitions_schema(model["schema"], definitions))
        json_schema.setdefault("title", cls.__name__)
        if cls.__doc__:
            json_schema.setdefault("description", inspect.cleandoc(cls.__doc__))
        return json_schema
