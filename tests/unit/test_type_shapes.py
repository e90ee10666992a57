"""The public types have ``openai_codex`` 0.163's shapes, or docs/compatibility.md says why not.

``test_api_coverage`` compares names and keyword arguments; this compares what official
code does with the values: ``item.root`` on a ``ThreadItem``, ``MessagePhase.commentary``,
``ReasoningSummary.model_validate(...)``, ``option.reasoning_effort.value``. For every type
``openai_codex`` and ``openai_codex.types`` export, and every model reachable from their
fields, the committed snapshot (``tests/fixtures/official/public_types.json``, written by
``scripts/harvest_official_api.py --types`` under the official SDK) records: root model or
not and what its root holds, enum members, values and openness, fields with
required/optional and the types they name. Ours is described by the same code, so this
runs without the official SDK. A difference fails unless ``type_shape_differences.txt``
(next to this file) lists it with its reason; docs/compatibility.md explains those. To refresh
the snapshot for a new official release, run the harvester under that SDK's interpreter.
Extensions stay additive: more enum members, more fields, more variants are allowed.
"""

from __future__ import annotations

import fnmatch
import importlib
import importlib.util
import json
import re
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
SNAPSHOT = ROOT / "tests" / "fixtures" / "official" / "public_types.json"
API_SNAPSHOT = ROOT / "tests" / "fixtures" / "official" / "public_api.json"
HARVESTER = ROOT / "scripts" / "harvest_official_api.py"
ALLOWED = Path(__file__).with_name("type_shape_differences.txt")
DOC = ROOT / "docs" / "compatibility.md"
OURS = {"openai_codex": "codex", "openai_codex.types": "codex.types"}
PREFIX = {"openai_codex": "", "openai_codex.types": "types."}


def _harvester() -> ModuleType:
    spec = importlib.util.spec_from_file_location("harvest_official_api", HARVESTER)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def official_shapes() -> dict[str, Any]:
    return dict(json.loads(SNAPSHOT.read_text()))


def our_shapes() -> dict[str, Any]:
    from codex.protocol import models

    # Our modules import the generated names for type checking only (lazy loading).
    generated = {name: value for name, value in vars(models).items() if not name.startswith("_")}
    shapes: dict[str, Any] = _harvester().harvest_types(tuple(OURS.values()), extra_names=generated)
    return shapes


def allowed_differences() -> dict[str, str]:
    """Difference key (an fnmatch pattern) -> why it is so."""
    allowed: dict[str, str] = {}
    for line in ALLOWED.read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        key, _, reason = (part.strip() for part in line.partition("|"))
        assert reason, f"{ALLOWED.name}: no reason given for {key!r}"
        allowed[key] = reason
    return allowed


def _enum_differences(key: str, official: dict[str, Any], ours: dict[str, Any]) -> dict[str, str]:
    found: dict[str, str] = {}
    members = dict(ours["members"])
    for name, value in official["members"]:
        if name not in members:
            found[f"{key}.{name}"] = f"enum member missing (want {value!r})"
        elif members[name] != value:
            found[f"{key}.{name}"] = f"enum member is {members[name]!r} here, {value!r} in openai_codex"
    if official["open"] and not ours["open"]:
        found[f"{key}: closed"] = "a closed enum here, open (any other value accepted) in openai_codex"
    if official["str"] and not ours["str"]:
        found[f"{key}: not str"] = "not a str enum here"
    return found


def _field_differences(key: str, official: dict[str, Any], ours: dict[str, Any]) -> dict[str, str]:
    found: dict[str, str] = {}
    for name, spec in official["fields"].items():
        mine = ours["fields"].get(name)
        if mine is None:
            found[f"{key}.{name}"] = "field missing"
            continue
        if mine["required"] != spec["required"]:
            found[f"{key}.{name}: {'required' if mine['required'] else 'optional'}"] = (
                f"{'required' if mine['required'] else 'optional'} here, "
                f"{'required' if spec['required'] else 'optional'} in openai_codex"
            )
        for type_name in sorted(set(spec["types"]) - set(mine["types"])):
            if not _covered(type_name, mine["types"]):
                found[f"{key}.{name}: no {type_name}"] = f"names {mine['types']} here, not {type_name}"
    return found


def _our_class(name: str) -> Any:
    from codex import events, protocol
    from codex.protocol import models

    for namespace in (models, events, protocol):
        value = getattr(namespace, name, None)
        if isinstance(value, type):
            return value
    return None


def _covered(official_type: str, our_types: list[str]) -> bool:
    """Ours names a base class of it (``ProtocolModel`` for any notification), or has no such
    type at all (reported once, as ``models.<Name>``, rather than at every field naming it)."""
    cls = _our_class(official_type)
    if cls is None:
        return True
    bases = [_our_class(name) for name in our_types]
    return any(base is not None and issubclass(cls, base) for base in bases)


def shape_differences(official: dict[str, Any], ours: dict[str, Any] | None) -> dict[str, str]:
    """What an official program could tell apart in one type (nothing when ours is a superset)."""
    if ours is None:
        return {"": "missing"}
    if ours["kind"] != official["kind"]:
        return {": kind": f"{ours['kind']} here, {official['kind']} in openai_codex"}
    if official["kind"] == "enum":
        return _enum_differences("", official, ours)
    if official["kind"] in ("root_model", "alias"):
        key = ".root" if official["kind"] == "root_model" else ""
        held = set(ours.get("root", ours.get("types", [])))
        missing = sorted(set(official.get("root", official.get("types", []))) - held)
        return {f"{key}: no {name}": f"holds no {name} here" for name in missing if not _covered(name, sorted(held))}
    if "fields" in official:
        return _field_differences("", official, ours)
    return {}


def differences() -> dict[str, str]:
    """Every difference of ours from the snapshot, keyed ``[types.|models.]Name[.member][: what]``."""
    from codex.protocol import models

    harvester = _harvester()
    snapshot, mine = official_shapes(), our_shapes()
    found: dict[str, str] = {}
    public: set[str] = set()
    for module_name, shapes in snapshot["modules"].items():
        for name, shape in shapes.items():
            public.add(name)
            ours = mine["modules"][OURS[module_name]].get(name)
            for suffix, problem in shape_differences(shape, ours).items():
                found[f"{PREFIX[module_name]}{name}{suffix}"] = problem
    for name, shape in snapshot["reachable"].items():
        if name in public:
            continue
        # openai_codex.generated.v2_all's models are codex.protocol.models' here.
        ours = mine["reachable"].get(name)
        if ours is None and hasattr(models, name):
            ours = harvester.describe_type(getattr(models, name))
        for suffix, problem in shape_differences(shape, ours).items():
            found[f"models.{name}{suffix}"] = problem
    return found


def unexplained(found: dict[str, str], allowed: dict[str, str]) -> dict[str, str]:
    return {key: problem for key, problem in found.items() if not any(fnmatch.fnmatchcase(key, p) for p in allowed)}


def test_snapshot_is_the_official_sdk() -> None:
    snapshot = official_shapes()
    assert (snapshot["package"], snapshot["version"]) == ("openai_codex", "0.163.0")
    assert snapshot["modules"]["openai_codex.types"]["ThreadItem"]["kind"] == "root_model"
    assert len(snapshot["reachable"]) > 300


def test_every_official_type_has_its_shape_here_or_a_listed_reason() -> None:
    problems = unexplained(differences(), allowed_differences())
    assert not problems, (
        f"types shaped unlike openai_codex's, not listed in tests/unit/{ALLOWED.name}: {json.dumps(problems, indent=1)}"
    )


def test_every_listed_difference_still_exists_and_is_explained_in_the_docs() -> None:
    found = differences()
    stale = [pattern for pattern in allowed_differences() if not any(fnmatch.fnmatchcase(k, pattern) for k in found)]
    assert not stale, f"listed in {ALLOWED.name} but no longer different (remove them): {stale}"
    assert f"tests/unit/{ALLOWED.name}" in DOC.read_text(), "docs/compatibility.md must explain the listed differences"


def test_the_comparison_catches_the_shapes_issue_13_found() -> None:
    """What official programs tripped on: a plain item class, a type alias, a str field."""
    snapshot = official_shapes()
    harvester = _harvester()
    thread_item = snapshot["modules"]["openai_codex.types"]["ThreadItem"]
    plain_item = {"kind": "model", "fields": {"id": {"required": True, "types": []}}}
    assert shape_differences(thread_item, plain_item) == {": kind": "model here, root_model in openai_codex"}
    phase = snapshot["reachable"]["MessagePhase"]
    assert shape_differences(phase, {"kind": "alias", "types": []}) == {": kind": "alias here, enum in openai_codex"}
    option = snapshot["reachable"]["ReasoningEffortOption"]
    as_str = {"kind": "model", "fields": {**option["fields"], "reasoning_effort": {"required": True, "types": []}}}
    assert shape_differences(option, as_str) == {
        ".reasoning_effort: no ReasoningEffort": "names [] here, not ReasoningEffort"
    }
    # And ours, described by the same code, has the official shape of each.
    from codex.protocol import models

    assert harvester.describe_type(models.ThreadItem)["kind"] == "root_model"
    assert shape_differences(phase, harvester.describe_type(models.MessagePhase)) == {}
    assert shape_differences(option, harvester.describe_type(models.ReasoningEffortOption)) == {}


def test_a_missing_enum_member_or_field_is_caught() -> None:
    official = {"kind": "enum", "str": True, "open": False, "members": [["a", "a"], ["b", "b"]]}
    assert shape_differences(official, {**official, "members": [["a", "a"]]}) == {
        ".b": "enum member missing (want 'b')"
    }
    assert shape_differences(official, {**official, "members": [["a", "a"], ["b", "B"], ["c", "c"]]}) == {
        ".b": "enum member is 'B' here, 'b' in openai_codex"
    }
    model = {"kind": "model", "fields": {"x": {"required": True, "types": []}}}
    assert shape_differences(model, {"kind": "model", "fields": {}}) == {".x": "field missing"}
    extended = {
        "kind": "model",
        "fields": {"x": {"required": True, "types": []}, "y": {"required": False, "types": []}},
    }
    assert shape_differences(model, extended) == {}


def _api_names(module_name: str) -> set[str]:
    return set(json.loads(API_SNAPSHOT.read_text())["modules"][module_name])


def test_codex_types_exports_exactly_the_official_curated_names() -> None:
    import codex.types

    assert set(codex.types.__all__) == _api_names("openai_codex.types")
    namespace: dict[str, Any] = {}
    exec("from codex.types import *", namespace)  # the star-import an official program writes
    assert set(namespace) - {"__builtins__"} == _api_names("openai_codex.types")


def test_the_root_package_exports_the_official_names_and_only_documented_extensions() -> None:
    import codex

    official = _api_names("openai_codex")
    assert official <= set(codex.__all__)
    namespace: dict[str, Any] = {}
    exec("from codex import *", namespace)  # the star-import an official program writes
    assert official <= set(namespace)
    # Named in code spans of the docs (`codex.configure_logging(level, json=)` names configure_logging).
    documented = {word for span in re.findall(r"`([^`]+)`", DOC.read_text()) for word in re.findall(r"\w+", span)}
    undocumented = sorted(set(codex.__all__) - official - documented)
    assert not undocumented, (
        f"codex.__all__ has names beyond openai_codex that docs/compatibility.md does not name: {undocumented}"
    )
