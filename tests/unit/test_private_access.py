"""No module of ``codex`` reaches into another's private members.

An approximation on the syntax tree: ``obj._name`` (not a dunder) is accepted when ``obj``
is ``self`` or ``cls``, or when ``_name`` belongs to a class defined in the same module (set
on ``self``/``cls``, defined in a class body or listed in ``__slots__``): a module may touch
the private parts of its own classes, e.g. ``other._session`` in ``__eq__``. Importing a
private name from another module (``from .config import _helper``) or a private module of
another package counts as access too. The few unavoidable cases are listed with a reason.
"""

from __future__ import annotations

import ast
from pathlib import Path

import codex

PACKAGE_DIR = Path(codex.__file__).resolve().parent

#: (module, private name) -> why it is accessed from outside its owner.
ALLOWED = {
    ("codex._logging", "_startTime"): "logging has no public start time; LogRecord.relativeCreated is computed from it",
    ("codex._logging", "_codex_handler"): "marks the handler configure_logging added on the stdlib handler itself",
    ("codex._logging", "_codex_env_handler"): "marks the handler CODEX_LOG added, likewise",
    ("codex._logging", "_codex_prepared"): "marks a stdlib LogRecord the filter already redacted",
    ("codex.mcp", "pydantic._internal._model_construction"): "pydantic exports no name for its model metaclass",
    ("codex.protocol._base", "_name_"): "Enum's documented sunder attribute",
    ("codex.protocol._base", "_value_"): "Enum's documented sunder attribute",
}


def _is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _class_body_names(statements: list[ast.stmt]) -> set[str]:
    """Names a class body defines, also under ``if`` (``if TYPE_CHECKING:`` declarations)."""
    names: set[str] = set()
    for statement in statements:
        if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(statement.name)
        elif isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
            names.add(statement.target.id)
        elif isinstance(statement, ast.Assign):
            for target in statement.targets:
                if isinstance(target, ast.Name):
                    names.add(target.id)
                    if target.id == "__slots__" and isinstance(statement.value, ast.Tuple | ast.List):
                        names |= {
                            e.value
                            for e in statement.value.elts
                            if isinstance(e, ast.Constant) and isinstance(e.value, str)
                        }
        elif isinstance(statement, ast.If):
            names |= _class_body_names(statement.body) | _class_body_names(statement.orelse)
    return names


def _own_members(tree: ast.Module) -> set[str]:
    """Member names of the classes this module defines."""
    owned: set[str] = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.ClassDef):
            continue
        owned |= _class_body_names(node.body)
        for inner in ast.walk(node):
            if (
                isinstance(inner, ast.Attribute)
                and isinstance(inner.ctx, ast.Store)
                and isinstance(inner.value, ast.Name)
                and inner.value.id in ("self", "cls")
            ):
                owned.add(inner.attr)
    return owned


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE_DIR.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def private_accesses(module: str, source: str) -> list[tuple[int, str, str]]:
    """(line, private name, what was written) for every access outside the module's own classes."""
    tree = ast.parse(source)
    owned = _own_members(tree)
    found: list[tuple[int, str, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and _is_private(node.attr):
            if isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"):
                continue
            if node.attr not in owned:
                found.append((node.lineno, node.attr, ast.unparse(node)))
        elif isinstance(node, ast.ImportFrom):
            external = node.level == 0 and node.module and node.module.split(".")[0] != "codex"
            # The package's own private modules are its own; another package's are not.
            if external and node.module and any(_is_private(part) for part in node.module.split(".")):
                found.append((node.lineno, node.module, f"from {node.module} import ..."))
            for alias in node.names:
                if _is_private(alias.name) and not _is_module(module, node, alias.name):
                    found.append(
                        (node.lineno, alias.name, f"from {'.' * node.level}{node.module or ''} import {alias.name}")
                    )
    return found


def _is_module(importer: str, node: ast.ImportFrom, name: str) -> bool:
    """Whether ``from X import name`` names a module of the package (``from . import _engine``)."""
    if node.level:
        base = importer.split(".")
        if not (PACKAGE_DIR.parent / Path(*base)).is_dir():
            base = base[:-1]
        base = base[: len(base) - (node.level - 1)]
        target = [*base, *(node.module.split(".") if node.module else [])]
    else:
        target = (node.module or "").split(".")
    directory = PACKAGE_DIR.parent / Path(*target)
    # The extension module is known by its stub too: before the build there is no .so.
    return (
        (directory / f"{name}.py").exists()
        or (directory / f"{name}.pyi").exists()
        or (directory / name).is_dir()
        or any(directory.glob(f"{name}.*.so"))
    )


def _all_accesses() -> dict[tuple[str, str], list[str]]:
    found: dict[tuple[str, str], list[str]] = {}
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        module = _module_name(path)
        for line, name, written in private_accesses(module, path.read_text(encoding="utf-8")):
            found.setdefault((module, name), []).append(f"{path.relative_to(PACKAGE_DIR.parent)}:{line}: {written}")
    return found


def test_the_scan_sees_private_access() -> None:
    source = (
        "class Own:\n"
        "    __slots__ = ('_slot',)\n"
        "    def __init__(self):\n"
        "        self._mine = 1\n"
        "    def same(self, other):\n"
        "        return other._mine, other._slot, self._anything\n"
        "def reach(client, handle):\n"
        "    return client._request, handle._collector.started_s, client.__class__\n"
        "from .config import _helper\n"
    )
    names = sorted(name for _line, name, _written in private_accesses("codex.example", source))
    assert names == ["_collector", "_helper", "_request"]


def test_no_module_reaches_into_another_modules_private_members() -> None:
    found = _all_accesses()
    unexpected = {key: where for key, where in found.items() if key not in ALLOWED}
    assert not unexpected, "private access:\n" + "\n".join(line for where in unexpected.values() for line in where)
    stale = sorted(set(ALLOWED) - set(found))
    assert not stale, f"allow-list entries no longer needed: {stale}"
