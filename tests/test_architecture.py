"""The import graph, read from the source with ast: arrows point one way, no circles, and
the concepts with one home (git processes, file replacement, state-branch paths) stay there.

Known leftovers of other areas are listed with their owner, so each list only shrinks:
remove an entry when it is fixed (a new violation fails at once).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from functools import cache
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "gitorch"

# Who may not import whom (prefix -> forbidden prefixes), lazy imports inside functions included.
LAYERS: dict[str, tuple[str, ...]] = {
    "gitorch.store": ("gitorch.config", "gitorch.engine", "gitorch.plan", "gitorch.views",
                      "gitorch.workspace", "gitorch.discovery", "gitorch.migrate", "gitorch.hooks",
                      "gitorch.context", "gitorch.doctor", "gitorch.ci", "gitorch.agent", "gitorch.cli"),
    "gitorch.config": ("gitorch.engine", "gitorch.plan", "gitorch.views", "gitorch.workspace",
                       "gitorch.discovery", "gitorch.migrate", "gitorch.context", "gitorch.doctor",
                       "gitorch.cli"),
    "gitorch.views": ("gitorch.engine", "gitorch.store", "gitorch.workspace", "gitorch.cli"),
    "gitorch.plan": ("gitorch.engine", "gitorch.store", "gitorch.views", "gitorch.workspace", "gitorch.cli"),
    # ci/ and agent/ build on the engine, never the reverse (the CLI hands the engine its
    # edit step: engine/runner.EditStep)
    "gitorch.engine": ("gitorch.ci", "gitorch.agent", "gitorch.cli"),
    "gitorch.agent": ("gitorch.ci", "gitorch.cli"),
    "gitorch.workspace": ("gitorch.engine", "gitorch.cli"),
    "gitorch.discovery": ("gitorch.engine", "gitorch.doctor", "gitorch.cli"),
    "gitorch.hooks": ("gitorch.engine", "gitorch.cli"),
    "gitorch.secrets": ("gitorch.engine", "gitorch.cli"),
    "gitorch.migrate": ("gitorch.cli",),
    "gitorch.doctor": ("gitorch.cli",),
}
# The bottom: they import nothing of gitorch but each other.
LEAVES = frozenset({"gitorch.ids", "gitorch.errors", "gitorch.atomic", "gitorch.gitcmd", "gitorch.repo",
                    "gitorch.events", "gitorch.frozen", "gitorch.standins", "gitorch.digests"})

KNOWN_UPWARD = {
    ("gitorch.plan.repos", "gitorch.workspace.manifest"): "B (plan) reads the workspace manifest",
    ("gitorch.secrets.checks", "gitorch.engine.process"): "B (secrets) runs probes with the engine's process",
}
# A cycle inside one of these groups is a known leftover (the owner is named).
KNOWN_CYCLES: dict[frozenset[str], str] = {}
# Only these start processes (gitcmd: git; engine/process: a task's commands).
SPAWNERS = frozenset({"gitorch.gitcmd", "gitorch.engine.process"})
KNOWN_SPAWNERS = {
    "gitorch.agent.index": "F: runs ctags for the context pack",
    "gitorch.workspace.toolrun": "I: runs a workspace repo's build tool",
    "gitorch.store.archive": "I: runs gpg for encrypted exports",
}


def _module(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@cache
def _modules() -> dict[str, Path]:
    return {_module(p): p for p in PACKAGE.rglob("*.py")}


def _type_checking_only(tree: ast.AST) -> set[int]:
    """ids of the nodes under `if TYPE_CHECKING:` (types only: nothing runs)."""
    out: set[int] = set()
    for node in ast.walk(tree):
        test = getattr(node, "test", None)
        name = getattr(test, "id", getattr(test, "attr", None))
        if isinstance(node, ast.If) and name == "TYPE_CHECKING":
            out.update(id(n) for n in ast.walk(node))
    return out


@cache
def _tree(module: str) -> ast.Module:
    return ast.parse(_modules()[module].read_text())


@cache
def _imports(module: str, *, runtime_only: bool = False) -> frozenset[str]:
    """Every module `module` imports, anywhere in it (functions too)."""
    tree = _tree(module)
    skip = _type_checking_only(tree) if runtime_only else set()
    out: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            subs = [f"{node.module}.{a.name}" for a in node.names if f"{node.module}.{a.name}" in _modules()]
            out.update(subs)
            if len(subs) < len(node.names):  # a name from the module itself, not a submodule
                out.add(node.module)
    return frozenset(out)


def _inside(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


def _edges() -> Iterator[tuple[str, str]]:
    for module in _modules():
        for target in _imports(module):
            if target in _modules() and target != module:
                yield module, target


def test_store_imports_nothing_of_config_engine_plan_or_views() -> None:
    above = ("gitorch.config", "gitorch.engine", "gitorch.plan", "gitorch.views")
    bad = [(m, t) for m, t in _edges() if _inside(m, "gitorch.store") and any(_inside(t, p) for p in above)]
    assert bad == []


def test_arrows_point_down() -> None:
    upward = {(m, t) for m, t in _edges() for prefix, banned in LAYERS.items()
              if _inside(m, prefix) and any(_inside(t, b) for b in banned)}
    upward |= {(m, t) for m, t in _edges() if m in LEAVES and t not in LEAVES and t != "gitorch"}
    upward |= {(m, t) for m, t in _edges() if _inside(t, "gitorch.cli")
               and not _inside(m, "gitorch.cli") and m != "gitorch.__main__"}
    assert upward - set(KNOWN_UPWARD) == set(), "new upward imports"


def _cycles() -> list[frozenset[str]]:
    """The strongly connected components of the module graph with more than one module."""
    graph: dict[str, set[str]] = {m: set() for m in _modules()}
    for m, t in _edges():
        graph[m].add(t)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[frozenset[str]] = []

    def visit(v: str) -> None:  # Tarjan; the graph is a few hundred modules deep at most
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = set()
            while True:
                w = stack.pop()
                comp.add(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(frozenset(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_no_import_cycles() -> None:
    new = [sorted(c) for c in _cycles() if not any(c <= known for known in KNOWN_CYCLES)]
    assert new == []


def test_mine_are_in_no_cycle() -> None:
    mine = ("gitorch.store", "gitorch.config", "gitorch.discovery", "gitorch.doctor", "gitorch.events",
            "gitorch.gitcmd", "gitorch.repo", "gitorch.atomic")
    assert [sorted(c) for c in _cycles() if any(_inside(m, p) for m in c for p in mine)] == []


def test_only_gitcmd_and_the_process_module_start_processes() -> None:
    spawning = {m for m in _modules() if "subprocess" in _imports(m, runtime_only=True)}
    assert spawning - SPAWNERS - set(KNOWN_SPAWNERS) == set()


def test_files_are_replaced_only_by_the_atomic_helper() -> None:
    calls = set()
    for module in _modules():
        for node in ast.walk(_tree(module)):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "replace" and getattr(node.func.value, "id", "") == "os"):
                calls.add(module)
    known = {"gitorch.hooks.install": "D: renames a hook to .legacy and back (a move, not a write)",
             "gitorch.store.archive": "I: the export's tarball",
             "gitorch.store.loose": "a loose object's temp file moved into place where the file "
                                    "system has no hard links, as git falls back (linked otherwise)"}
    assert calls - {"gitorch.atomic"} - set(known) == set()


def test_plans_paths_are_spelled_only_in_layout() -> None:
    spelled = {module for module in _modules() for node in ast.walk(_tree(module))
               if isinstance(node, ast.Constant) and isinstance(node.value, str)
               and node.value.startswith(("plans/", "workspace/plans/"))}
    known = {"gitorch.migrate.rollback": "H: keeps plans/ when reverting a migration"}
    assert spelled - {"gitorch.store.layout"} - set(known) == set()
