"""#11.2: the kernel imports no feature package, and no module imports itself in a circle.

Every import counts, at the top of a module or inside a function: an import moved into a
function to dodge a cycle is still the cycle.
"""
from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

from core.config import ROOT
from core.features import installed_names

# The packages the product is made of; tests/ and bench/ may import anything.
PRODUCT = ("core", *installed_names(), "demo", "emulators")


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {
        _module_name(path): path
        for package in PRODUCT
        for path in (ROOT / package).rglob("*.py")
        if (ROOT / package).is_dir()
    }


def _imported(name: str, path: Path) -> set[str]:
    """What a module imports, as module names (`from a import b` may name module a.b)."""
    found: set[str] = set()
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([node.module] if node.module else [])])
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: {target for target in _imported(name, path) if target in modules and target != name}
            for name, path in modules.items()}


def test_core_imports_no_feature_package() -> None:
    upward = set(PRODUCT) - {"core"}
    offenders = sorted(
        f"{name} imports {target}"
        for name, path in _modules().items() if name.split(".")[0] == "core"
        for target in _imported(name, path) if target.split(".")[0] in upward
    )
    assert offenders == []


def test_the_demo_imports_no_other_feature() -> None:
    """A feature adds its own part of the demo (`Feature.demo`), so the demo builds without it."""
    others = set(installed_names()) - {"demo"}
    offenders = sorted(
        f"{name} imports {target}"
        for name, path in _modules().items() if name.split(".")[0] == "demo"
        for target in _imported(name, path) if target.split(".")[0] in others
    )
    assert offenders == []


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_no_import_cycles() -> None:
    assert _cycles(_graph()) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    graph: dict[str, set[str]] = defaultdict(set, {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}})
    for name in ("a", "b", "c", "d"):
        graph.setdefault(name, set())
    assert _cycles(graph) == [["a", "b", "c"]]
