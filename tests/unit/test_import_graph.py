"""The modules of ``codex`` import each other without cycles, type-only imports included.

Every import counts: module level, under ``if TYPE_CHECKING:`` and inside functions. A
cycle that only type checkers see still ties the modules into one unit nobody can read or
test alone. ``codex/__init__.py`` is the facade: it re-exports, and nothing inside the
package imports it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import codex

PACKAGE_DIR = Path(codex.__file__).resolve().parent
FACADE = "codex"
NATIVE = "codex._native"

#: Modules that may import the facade, with the reason (none: the parity tool that did now
#: lives in tests/contract).
FACADE_IMPORTERS: set[str] = set()

#: Modules that may import the extension: the engine layer alone (it hands the log bridge
#: its native functions when it loads the extension).
NATIVE_IMPORTERS = {"codex._engine"}


def _modules() -> dict[str, tuple[Path | None, bool]]:
    """Every module of the package: name -> (source, is a package)."""
    found: dict[str, tuple[Path | None, bool]] = {NATIVE: (None, False)}
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE_DIR.parent).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        if is_package:
            parts.pop()
        found[".".join(parts)] = (path, is_package)
    return found


def _imported(module: str, is_package: bool, node: ast.Import | ast.ImportFrom, known: set[str]) -> set[str]:
    """The package's modules one import statement names."""
    if isinstance(node, ast.Import):
        return {alias.name for alias in node.names if alias.name in known}
    if node.level:
        base = (module if is_package else module.rpartition(".")[0]).split(".")
        base = base[: len(base) - (node.level - 1)]
        target = ".".join([*base, node.module] if node.module else base)
    else:
        target = node.module or ""
    if target not in known:
        return set()
    # `from pkg import name` imports the submodule pkg.name when there is one, else pkg itself.
    return {f"{target}.{alias.name}" if f"{target}.{alias.name}" in known else target for alias in node.names}


def import_graph() -> dict[str, set[str]]:
    modules = _modules()
    known = set(modules)
    graph: dict[str, set[str]] = {}
    for module, (path, is_package) in modules.items():
        edges: set[str] = set()
        if path is not None:
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
                if isinstance(node, ast.Import | ast.ImportFrom):
                    edges |= _imported(module, is_package, node, known)
        edges.discard(module)
        graph[module] = edges
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle (its modules in import order, the first repeated at the end), or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(module: str) -> list[str] | None:
        state[module] = 1
        path.append(module)
        for imported in sorted(graph.get(module, ())):
            if state.get(imported) == 1:
                return [*path[path.index(imported) :], imported]
            if imported not in state and (cycle := visit(imported)) is not None:
                return cycle
        path.pop()
        state[module] = 2
        return None

    for module in sorted(graph):
        if module not in state and (cycle := visit(module)) is not None:
            return cycle
    return None


def test_the_finder_reports_a_cycle() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) is None


def test_the_package_imports_form_no_cycle() -> None:
    graph = import_graph()
    assert {"codex.client", "codex.threads", "codex._session", NATIVE} <= set(graph), "the scan missed modules"
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_nothing_inside_the_package_imports_the_facade() -> None:
    importers = {module for module, edges in import_graph().items() if FACADE in edges}
    assert importers == FACADE_IMPORTERS


def test_only_the_engine_layer_imports_the_extension() -> None:
    importers = {module for module, edges in import_graph().items() if NATIVE in edges}
    assert importers == NATIVE_IMPORTERS
