"""The plan's DAG: order (graphlib's generations), dependents, closures, the longest chain, Mermaid and DOT.

Edges point from a dependency to the task that needs it. Shards are part of their task's
run, so ordering is over tasks; the drawings show shards as nodes hanging off their task.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterable
from typing import TYPE_CHECKING

from gitorch.errors import PlanError, UsageError
from gitorch.plan.model import Plan

if TYPE_CHECKING:
    import graphlib

STATES = ("pending", "in_progress", "awaiting_approval", "blocked", "failed", "completed", "skipped")
_STYLE = {  # fill, stroke, text
    "pending": ("#f5f5f5", "#9e9e9e", "#212121"),
    "in_progress": ("#bbdefb", "#1e88e5", "#0d47a1"),
    "awaiting_approval": ("#fff9c4", "#f9a825", "#5d4037"),
    "blocked": ("#ffe0b2", "#fb8c00", "#4e342e"),
    "failed": ("#ffcdd2", "#e53935", "#b71c1c"),
    "completed": ("#c8e6c9", "#43a047", "#1b5e20"),
    "skipped": ("#eeeeee", "#bdbdbd", "#757575"),
}


def _index(plan: Plan) -> dict[str, int]:
    return {t.id: i for i, t in enumerate(plan.tasks)}


def _sorter(plan: Plan, known: dict[str, int]) -> graphlib.TopologicalSorter[str]:
    import graphlib  # pure Python: only to name a cycle

    ts: graphlib.TopologicalSorter[str] = graphlib.TopologicalSorter()
    for task in plan.tasks:
        ts.add(task.id, *(d for d in task.dependencies if d in known))
    return ts


# The last plan ordered and its order: validating, summarizing and running one plan all need
# its order (a pass over every edge of a 10,000-task plan).
_last: tuple[Plan, list[list[str]]] | None = None
# for the plan of _last when _order_forward ordered it: task id -> the dependency a longest
# chain to it comes through (its first dependency of the latest generation), for longest_chain
_via: tuple[Plan, dict[str, str]] | None = None


def order(plan: Plan) -> list[list[str]]:
    """Task ids in generations: each generation depends only on earlier ones (plan order within)."""
    return [list(g) for g in _generations(plan)]


def _generations(plan: Plan) -> list[list[str]]:
    """`order(plan)` as remembered: not to be changed by the caller."""
    global _last, _via
    if _last is not None and _last[0] is plan:
        return _last[1]
    _via = None
    generations = _order(plan)
    _last = (plan, generations)
    return generations


def remember_order(plan: Plan, generations: list[list[str]]) -> None:
    """Record `plan`'s order, known from elsewhere (the plan cache)."""
    global _last, _via
    _last, _via = (plan, generations), None


def _order(plan: Plan) -> list[list[str]]:
    """graphlib's generations, computed level by level in one pass over the edges (graphlib
    is pure Python and several times slower on 10,000 tasks); a cycle is left to graphlib,
    which names it."""
    known = _index(plan)
    if len(known) == len(plan.tasks):
        forward = _order_forward(plan, known)
        if forward is not None:
            return forward
    waiting = dict.fromkeys(known, 0)  # id -> dependencies not yet done (repeats counted, as graphlib does)
    needed_by: dict[str, list[str]] = {tid: [] for tid in known}
    for task in plan.tasks:
        for dep in task.dependencies:
            if dep in known:
                waiting[task.id] += 1
                needed_by[dep].append(task.id)
    ready = [tid for tid, count in waiting.items() if not count]
    generations: list[list[str]] = []
    placed = 0
    while ready:
        generation = sorted(ready, key=known.__getitem__) if len(ready) > 1 else ready
        generations.append(generation)
        placed += len(generation)
        ready = []
        for tid in generation:
            for child in needed_by[tid]:
                waiting[child] -= 1
                if not waiting[child]:
                    ready.append(child)
    if placed < len(known):
        return _order_graphlib(plan, known)  # raises PlanError naming the cycle
    return generations


def _order_forward(plan: Plan, known: dict[str, int]) -> list[list[str]] | None:
    """The generations in one pass when every task depends only on tasks before it (as
    plans are usually written): a task's generation is one after its latest dependency's.
    None when a task depends on itself or on a later task. Sets _via on the way."""
    global _via
    level: dict[str, int] = {}
    via: dict[str, str] = {}
    generations: list[list[str]] = []
    for task in plan.tasks:
        at = 0
        for dep in task.dependencies:
            before = level.get(dep)
            if before is None:
                if dep in known:
                    return None  # itself, or a task further down
            elif before >= at:
                at = before + 1
                via[task.id] = dep
        level[task.id] = at
        if at == len(generations):
            generations.append([task.id])
        else:
            generations[at].append(task.id)
    _via = (plan, via)
    return generations


def _order_graphlib(plan: Plan, known: dict[str, int]) -> list[list[str]]:
    import graphlib

    ts = _sorter(plan, known)
    try:
        ts.prepare()
    except graphlib.CycleError as exc:
        cycle = " -> ".join(reversed(exc.args[1]))
        raise PlanError(f"the plan's dependencies form a cycle: {cycle}") from None
    generations: list[list[str]] = []
    while ts.is_active():
        ready = sorted(ts.get_ready(), key=known.__getitem__)
        generations.append(ready)
        ts.done(*ready)
    return generations


def cycles(plan: Plan, limit: int = 20) -> list[list[str]]:
    """Distinct dependency cycles, each as [A, B, …, A] where each id depends on the next."""
    try:
        order(plan)
        return []
    except PlanError:
        pass
    import graphlib

    known = _index(plan)
    deps: dict[str, list[str]] = {}
    for t in plan.tasks:  # a duplicated id (reported elsewhere) keeps the edges of both
        deps.setdefault(t.id, []).extend(d for d in t.dependencies if d in known)
    found: list[list[str]] = []
    while len(found) < limit:
        ts: graphlib.TopologicalSorter[str] = graphlib.TopologicalSorter()
        for node, preds in deps.items():
            ts.add(node, *preds)
        try:
            ts.prepare()
            break
        except graphlib.CycleError as exc:
            # graphlib lists the cycle along "is needed by" edges; reverse it to read "depends on"
            cycle = list(reversed(exc.args[1]))
            found.append(cycle)
            # drop the cycle's nodes and look again for cycles elsewhere
            members = set(cycle)
            deps = {n: [d for d in p if d not in members] for n, p in deps.items() if n not in members}
    return found


def dependents(plan: Plan, task_id: str) -> set[str]:
    """Every task that depends on `task_id`, directly or through others."""
    needed_by: dict[str, list[str]] = {}
    for task in plan.tasks:
        for dep in task.dependencies:
            needed_by.setdefault(dep, []).append(task.id)
    out: set[str] = set()
    todo = deque([task_id])
    while todo:
        for child in needed_by.get(todo.popleft(), ()):
            if child not in out:
                out.add(child)
                todo.append(child)
    return out


def closure(plan: Plan, task_ids: Iterable[str]) -> list[str]:
    """The tasks `task_ids` plus everything they depend on, in an order that runs dependencies first."""
    known = _index(plan)
    wanted: set[str] = set()
    todo: deque[str] = deque()
    for tid in task_ids:
        if tid not in known:
            raise UsageError(f"unknown task {tid!r}", hint="`git orch plan graph` lists the plan's tasks")
        todo.append(tid)
    while todo:
        tid = todo.popleft()
        if tid in wanted:
            continue
        wanted.add(tid)
        todo.extend(d for d in plan.tasks[known[tid]].dependencies if d in known)
    return [tid for gen in order(plan) for tid in gen if tid in wanted]


def edge_count(plan: Plan) -> int:
    """Dependency edges between tasks."""
    known = _index(plan)
    keys = known.keys()
    return sum(len(keys & t.dependencies) for t in plan.tasks)


def longest_chain(plan: Plan) -> list[str]:
    """The longest path of dependencies, first dependency first (empty for an empty plan)."""
    known = _index(plan)
    generations = _generations(plan)
    if _via is not None and _via[0] is plan:
        return _chain_via(generations, _via[1])
    depth: dict[str, int] = {}
    via: dict[str, str | None] = {}
    tasks = plan.tasks
    for gen in generations:
        for tid in gen:
            best, prev = 0, None
            for dep in tasks[known[tid]].dependencies:
                here = depth.get(dep, 0)  # a task not placed yet (or unknown) counts as none
                if here > best:
                    best, prev = here, dep
            depth[tid], via[tid] = best + 1, prev
    if not depth:
        return []
    end: str | None = max(depth, key=lambda t: (depth[t], -known[t]))
    chain: list[str] = []
    while end is not None:
        chain.append(end)
        end = via[end]
    return chain[::-1]


def _chain_via(generations: list[list[str]], via: dict[str, str]) -> list[str]:
    """longest_chain from what _order_forward found: a chain of greatest length ends at the
    first task of the last generation (plan order within), and each task of it follows the
    dependency it came through (the first of the latest generation, as counted above)."""
    if not generations:
        return []
    end: str | None = generations[-1][0]
    chain: list[str] = []
    while end is not None:
        chain.append(end)
        end = via.get(end)
    return chain[::-1]


# --- drawings -------------------------------------------------------------------------

def _node_ids(plan: Plan) -> dict[str, str]:
    """Mermaid-safe node names (letters, digits, _), unique, readable."""
    out: dict[str, str] = {}
    used: set[str] = set()
    for ident in [x for t in plan.tasks for x in (t.id, *(s.id for s in t.shards))]:
        base = "n_" + re.sub(r"\W", "_", ident)
        name, k = base, 1
        while name in used:
            k += 1
            name = f"{base}_{k}"
        used.add(name)
        out.setdefault(ident, name)
    return out


def _mermaid_text(text: str) -> str:
    return text.replace('"', "#quot;").replace("\n", " ")


def to_mermaid(plan: Plan, states: dict[str, str] | None = None) -> str:
    """A Mermaid flowchart of the DAG; with `states` (id -> state) nodes are coloured by state."""
    names = _node_ids(plan)
    lines = ["flowchart LR"]
    for task in plan.tasks:
        label = f"{task.id}: {task.title}" if task.title else task.id
        lines.append(f'  {names[task.id]}["{_mermaid_text(label)}"]')
        for shard in task.shards:
            slabel = f"{shard.id}: {shard.title}" if shard.title else shard.id
            lines.append(f'  {names[shard.id]}(["{_mermaid_text(slabel)}"])')
    for task in plan.tasks:
        for dep in task.dependencies:
            if dep in names:
                lines.append(f"  {names[dep]} --> {names[task.id]}")
        for shard in task.shards:
            lines.append(f"  {names[task.id]} -.-> {names[shard.id]}")
    if states:
        used = sorted({s for s in states.values() if s in _STYLE}, key=STATES.index)
        for state in used:
            fill, stroke, color = _STYLE[state]
            lines.append(f"  classDef {state} fill:{fill},stroke:{stroke},color:{color}")
        for state in used:
            members = [names[i] for i, s in states.items() if s == state and i in names]
            if members:
                lines.append(f"  class {','.join(members)} {state}")
    return "\n".join(lines) + "\n"


def _dot_text(*lines: str) -> str:
    """A quoted DOT string; several lines are joined with DOT's own line break."""
    esc = (t.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") for t in lines)
    return '"' + "\\n".join(esc) + '"'


def to_dot(plan: Plan, states: dict[str, str] | None = None) -> str:
    """A Graphviz DOT digraph of the DAG; with `states` nodes are filled by state."""
    states = states or {}
    lines = ["digraph plan {", "  rankdir=LR;",
             '  node [shape=box, style="rounded,filled", fillcolor="#ffffff"];']

    def node(ident: str, title: str, shard: bool) -> str:
        parts = [f"label={_dot_text(ident, title) if title else _dot_text(ident)}"]
        if shard:
            parts.append("shape=ellipse")
        style = _STYLE.get(states.get(ident, ""))
        if style:
            parts += [f'fillcolor="{style[0]}"', f'color="{style[1]}"', f'fontcolor="{style[2]}"']
        return f"  {_dot_text(ident)} [{', '.join(parts)}];"

    for task in plan.tasks:
        lines.append(node(task.id, task.title, False))
        lines.extend(node(shard.id, shard.title, True) for shard in task.shards)
    known = _index(plan)
    for task in plan.tasks:
        for dep in task.dependencies:
            if dep in known:
                lines.append(f"  {_dot_text(dep)} -> {_dot_text(task.id)};")
        for shard in task.shards:
            lines.append(f"  {_dot_text(task.id)} -> {_dot_text(shard.id)} [style=dashed, arrowhead=none];")
    lines.append("}")
    return "\n".join(lines) + "\n"
