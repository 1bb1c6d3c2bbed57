"""The import layers of docs/architecture.md (``## Layers``), checked on the source with ``ast``.

A module may import its own layer's packages and lower layers, never a higher one; the core and the base
never import FastAPI or Starlette; and neither the packages nor the modules import each other in a circle.
Every import counts, also one inside a function: a lazy import is still a dependency. Only an import under
``if TYPE_CHECKING:`` does not: it names a type for the checker and never runs.
"""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from pathlib import Path

import reelq

ROOT = Path(reelq.__file__).parent

# Highest first. A unit is a top-level package or module of reelq.
LAYERS: dict[str, set[str]] = {
    "edge": {
        "api",
        "app",
        "cli",
        "cli_analyze",
        "cli_client",
        "cli_errors",
        "cli_storage",
        "client",
        "doctor",
        "http",
        "serving",
        "testing",
        "web",
    },
    "wiring": {"runtime"},
    "core": {"jobs", "uploads", "notify", "queue", "worker", "auth", "metrics", "embedded"},
    "base": {
        "analysis",
        "files",
        "storage",
        "db",
        "errors",
        "config",
        "ids",
        "logs",
        "cache",
        "timeutil",
        "__init__",
    },
}
RANK = {unit: rank for rank, units in enumerate(LAYERS.values()) for unit in units}
WEB_FRAMEWORKS = {"fastapi", "starlette"}
NO_WEB = LAYERS["core"] | LAYERS["base"] | LAYERS["wiring"]


def module_name(path: Path) -> str:
    parts = ("reelq", *path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def unit_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def imports_of(path: Path, module: str, modules: set[str]) -> set[str]:
    """What ``module`` imports: ``from p import m`` counts as ``p.m`` when that is a module, else ``p``."""
    found: set[str] = set()
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    tree = ast.parse(path.read_text(), str(path))
    typing_only = {
        id(inner)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and ast.unparse(node.test) in ("TYPE_CHECKING", "typing.TYPE_CHECKING")
        for stmt in node.body
        for inner in ast.walk(stmt)
    }
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                found.add(sub if sub in modules else target)
    return found


def graph() -> dict[str, set[str]]:
    modules = {module_name(p): p for p in ROOT.rglob("*.py")}
    edges: dict[str, set[str]] = defaultdict(set)
    for module, path in modules.items():
        for target in imports_of(path, module, set(modules)):
            if target in modules:
                edges[module].add(target)
            elif target.split(".")[0] in WEB_FRAMEWORKS:
                edges[module].add(target.split(".")[0])
    return edges


def find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(edges):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def unit_edges() -> dict[str, set[str]]:
    out: dict[str, set[str]] = defaultdict(set)
    for module, targets in graph().items():
        for target in targets:
            if target not in WEB_FRAMEWORKS and unit_of(target) != unit_of(module):
                out[unit_of(module)].add(unit_of(target))
    return out


def test_every_unit_has_a_layer() -> None:
    units = {unit_of(m) for m in graph()} | {unit_of(module_name(p)) for p in ROOT.rglob("*.py")}
    assert units <= set(RANK), f"add to LAYERS: {sorted(units - set(RANK))}"


def test_no_layer_imports_a_higher_one() -> None:
    wrong = [
        f"{module} imports {target}"
        for module, targets in graph().items()
        for target in targets
        if target not in WEB_FRAMEWORKS
        and unit_of(module) in RANK
        and RANK[unit_of(target)] < RANK[unit_of(module)]
    ]
    assert wrong == []


def test_the_core_never_imports_the_web_framework() -> None:
    wrong = [
        f"{module} imports {target}"
        for module, targets in graph().items()
        for target in targets
        if target in WEB_FRAMEWORKS and unit_of(module) in NO_WEB
    ]
    assert wrong == []


def test_no_package_cycle() -> None:
    assert find_cycle(unit_edges()) is None


def test_no_module_cycle() -> None:
    edges = {m: {t for t in ts if t not in WEB_FRAMEWORKS} for m, ts in graph().items()}
    assert find_cycle(edges) is None


def test_the_checker_sees_a_cycle_and_an_upward_import() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None
    assert RANK["jobs"] > RANK["runtime"] > RANK["api"]  # so jobs → runtime would be reported


def test_the_console_does_not_import_the_api() -> None:
    """The console and the API are side by side on the HTTP edge (reelq/http/), not stacked."""
    wrong = [
        f"{module} imports {target}"
        for module, targets in graph().items()
        if unit_of(module) == "web"
        for target in targets
        if unit_of(target) == "api"
    ]
    assert wrong == []


JOB_TABLES = {"jobs", "job_events", "workers"}
JOB_SQL = re.compile(r"\b(FROM|JOIN|UPDATE|INTO)\s+(jobs|job_events|workers)\b", re.IGNORECASE)


def test_only_the_jobs_package_touches_the_jobs_tables() -> None:
    """Other packages read the jobs tables through ``reelq.jobs`` (the store, ``jobs/queries.py``)."""
    wrong = []
    for path in ROOT.rglob("*.py"):
        module = module_name(path)
        if unit_of(module) in ("jobs", "db"):
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.ImportFrom) and node.module == "reelq.db.schema":
                wrong += [f"{module} imports {a.name}" for a in node.names if a.name in JOB_TABLES]
            elif isinstance(node, ast.Attribute) and node.attr in JOB_TABLES:
                if isinstance(node.value, ast.Name) and node.value.id == "schema":
                    wrong.append(f"{module} uses schema.{node.attr}")
            elif (
                isinstance(node, ast.Constant) and isinstance(node.value, str) and JOB_SQL.search(node.value)
            ):
                wrong.append(f"{module} has SQL on {JOB_SQL.search(node.value).group(2)}")  # type: ignore[union-attr]
    assert wrong == []


def test_no_circle_even_through_type_only_imports() -> None:
    """No two modules import each other, not even one of them only for the type checker."""
    edges: dict[str, set[str]] = defaultdict(set)
    modules = {module_name(p): p for p in ROOT.rglob("*.py")}
    for module, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.ImportFrom) and node.module and not node.level:
                for alias in node.names:
                    sub = f"{node.module}.{alias.name}"
                    target = sub if sub in modules else node.module
                    if target in modules:
                        edges[module].add(target)
            elif isinstance(node, ast.Import):
                edges[module].update(a.name for a in node.names if a.name in modules)
    assert find_cycle(edges) is None
