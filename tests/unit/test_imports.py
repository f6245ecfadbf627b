"""No import cycle anywhere in trayapp/: every import counts, at module level or inside a function.

A function-level import hides a cycle from Python (it runs late) but not from the design: two
modules that need each other are one module in two files, and the next refactor that moves the
import up breaks start-up. So the walk reads every `import` in the syntax tree.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from pathlib import Path

import trayapp

Graph = Mapping[str, frozenset[str]]


def module_name(root: Path, file: Path) -> str:
    parts = list(file.relative_to(root.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules(root: Path) -> dict[str, Path]:
    return {module_name(root, f): f for f in sorted(root.rglob("*.py"))}


def _base(name: str, file: Path, node: ast.ImportFrom) -> str:
    """The module an ImportFrom reads from, relative imports resolved against `name`'s package."""
    if not node.level:
        return node.module or ""
    package = name.split(".") if file.name == "__init__.py" else name.split(".")[:-1]
    package = package[: len(package) - node.level + 1]
    return ".".join([*package, *([node.module] if node.module else [])])


def _targets(name: str, file: Path, node: ast.AST, known: Mapping[str, Path]) -> Iterator[str]:
    if isinstance(node, ast.Import):
        for alias in node.names:
            yield _longest_known(alias.name, known)
    elif isinstance(node, ast.ImportFrom):
        base = _base(name, file, node)
        for alias in node.names:
            submodule = f"{base}.{alias.name}"
            yield submodule if submodule in known else _longest_known(base, known)


def _longest_known(dotted: str, known: Mapping[str, Path]) -> str:
    parts = dotted.split(".")
    while parts and ".".join(parts) not in known:
        parts.pop()
    return ".".join(parts)


def import_graph(root: Path) -> dict[str, frozenset[str]]:
    """module -> the trayapp modules it imports anywhere in its file (not itself)."""
    known = modules(root)
    graph = {}
    for name, file in known.items():
        tree = ast.parse(file.read_text(encoding="utf-8"), str(file))
        found = {t for node in ast.walk(tree) for t in _targets(name, file, node, known)}
        graph[name] = frozenset(found - {"", name})
    return graph


def cycles(graph: Graph) -> list[list[str]]:
    """One cycle (a -> b -> ... -> a) per strongly connected group of modules, sorted."""
    return sorted(_one_cycle(graph, group) for group in _groups(graph) if len(group) > 1)


def _groups(graph: Graph) -> list[set[str]]:
    """Strongly connected components: each node's reach intersected with what reaches it."""
    reach = {node: _reachable(graph, node) for node in graph}
    groups: list[set[str]] = []
    for node in sorted(graph):
        if not any(node in g for g in groups):
            groups.append({node} | {other for other in reach[node] if node in reach.get(other, set())})
    return groups


def _reachable(graph: Graph, start: str) -> set[str]:
    seen: set[str] = set()
    todo = list(graph.get(start, ()))
    while todo:
        node = todo.pop()
        if node not in seen:
            seen.add(node)
            todo.extend(graph.get(node, ()))
    return seen


def _one_cycle(graph: Graph, group: set[str]) -> list[str]:
    """The shortest way from the group's first module back to itself (breadth first)."""
    start = min(group)
    paths = {start: [start]}
    todo = [start]
    while todo:
        node = todo.pop(0)
        for nxt in sorted(graph[node] & group):
            if nxt == start:
                return [*paths[node], start]
            if nxt not in paths:
                paths[nxt] = [*paths[node], nxt]
                todo.append(nxt)
    raise AssertionError(f"{sorted(group)} is not strongly connected")


def _write(root: Path, files: Mapping[str, str]) -> Path:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root / "pkg"


def test_the_walk_finds_a_cycle_hidden_in_a_function(tmp_path: Path) -> None:
    root = _write(tmp_path, {
        "pkg/__init__.py": "",
        "pkg/a.py": "from pkg import b\n",
        "pkg/b.py": "def late():\n    from pkg.sub.c import thing\n",
        "pkg/sub/__init__.py": "",
        "pkg/sub/c.py": "from ..a import x\nimport json\n",
        "pkg/d.py": "import pkg.a\n",
    })
    graph = import_graph(root)
    assert graph["pkg.sub.c"] == {"pkg.a"} and graph["pkg.d"] == {"pkg.a"}
    assert cycles(graph) == [["pkg.a", "pkg.b", "pkg.sub.c", "pkg.a"]]


def test_a_package_importing_its_own_submodules_is_no_cycle(tmp_path: Path) -> None:
    root = _write(tmp_path, {
        "pkg/__init__.py": "from pkg.config.presets import P\n",
        "pkg/config/__init__.py": "from .presets import P\nfrom . import reader\n",
        "pkg/config/presets.py": "P = 1\n",
        "pkg/config/reader.py": "from pkg.config.presets import P\n",
    })
    graph = import_graph(root)
    assert graph["pkg.config"] == {"pkg.config.presets", "pkg.config.reader"}
    assert cycles(graph) == []


def test_trayapp_has_no_import_cycle() -> None:
    found = cycles(import_graph(Path(trayapp.__file__).parent))
    assert not found, "import cycles in trayapp/ (break each by moving what both need below them):\n" + \
        "\n".join(" -> ".join(cycle) for cycle in found)
