"""What the Mermaid diagrams of the dashboard and the report share: colours, escaping, limits,
and the grouping of tasks by dependency generation (used when a plan is too big to draw).
"""

from __future__ import annotations

from collections.abc import Iterable

from gitorch.plan.model import Plan

# One colour per state; the classDef names are the state names themselves.
STATE_STYLES: dict[str, str] = {
    "pending": "fill:#f1f3f5,stroke:#868e96,color:#212529",
    "in_progress": "fill:#fff3bf,stroke:#f59f00,color:#212529",
    "interrupted": "fill:#fff4e6,stroke:#d9480f,color:#212529",
    "awaiting_approval": "fill:#e5dbff,stroke:#7048e8,color:#212529",
    "blocked": "fill:#ffe8cc,stroke:#e8590c,color:#212529",
    "failed": "fill:#ffc9c9,stroke:#e03131,color:#212529",
    "completed": "fill:#d3f9d8,stroke:#2f9e44,color:#212529",
    "skipped": "fill:#e7f5ff,stroke:#1c7ed6,color:#212529",
}

# Mermaid's defaults (`maxTextSize`, `maxEdges`); a diagram may not raise them itself, and
# GitHub renders with them, so a bigger diagram would show only an error.
MAX_TEXT = 50_000
MAX_EDGES = 500

# The state a group of tasks is coloured by: the one a reader must act on first.
URGENCY: tuple[str, ...] = (
    "failed", "interrupted", "awaiting_approval", "blocked", "in_progress", "pending", "skipped",
    "completed",
)


def label(text: str) -> str:
    """`text` made safe inside a quoted Mermaid label (entity codes for the special characters)."""
    return (
        text.replace("#", "#35;").replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;")
        .replace("\n", " ")
    )


def labels(texts: list[str]) -> list[str]:
    """label() of each text: the texts themselves when none holds a character to escape (a
    plan's usual ids and titles), found in one pass over them all instead of five a text."""
    joined = "".join(texts)
    if "#" in joined or '"' in joined or "<" in joined or ">" in joined or "\n" in joined:
        return [label(t) for t in texts]
    return texts


def fits(text: str, edges: int) -> bool:
    """Whether Mermaid (with its default limits) draws a diagram of this size."""
    return edges <= MAX_EDGES and len(text) <= MAX_TEXT


def most_urgent(states: Iterable[str]) -> str:
    """The state in `states` that comes first in URGENCY (pending when there is none)."""
    present = set(states)
    for state in URGENCY:
        if state in present:
            return state
    return "pending"


def class_defs() -> list[str]:
    """One classDef line per state."""
    return [f"  classDef {state} {style}" for state, style in STATE_STYLES.items()]


def generations(plan: Plan, task_ids: list[str]) -> dict[str, list[str]]:
    """`task_ids` grouped by dependency depth in `plan`: "Generation N" -> ids in the order given.

    Depth counts in the whole plan, so a group keeps its number whatever ran. Tasks the plan
    does not know come last ("Not in the plan"); a plan with a cycle (not valid, but a report
    must still render) gives one group in the order given.
    """
    known = {t.id for t in plan.tasks}
    depth = _depths(plan)
    groups: dict[str, list[str]] = {}
    if depth is None:
        groups["Tasks"] = [t for t in task_ids if t in known]
    else:
        by_depth: dict[int, list[str]] = {}
        for t in task_ids:
            if t in depth:
                by_depth.setdefault(depth[t], []).append(t)
        groups.update((f"Generation {n}", by_depth[n]) for n in sorted(by_depth))
    rest = [t for t in task_ids if t not in known]
    if rest:
        groups["Not in the plan"] = rest
    return groups


def _depths(plan: Plan) -> dict[str, int] | None:
    """Each task's generation: 0 without dependencies, else one more than its deepest
    dependency's (graphlib's ready rounds, layered here: its cycle search before the first
    round cost ~11 ms of a 1,000-task plan's 13); None when the dependencies make a cycle."""
    needs: dict[str, set[str]] = {}
    for task in plan.tasks:  # a task listed twice has the union of its dependencies
        needs.setdefault(task.id, set()).update(task.dependencies)
    waits: dict[str, int] = {}  # task -> its dependencies not placed yet
    dependents: dict[str, list[str]] = {t: [] for t in needs}
    for t, deps in needs.items():
        known = [d for d in deps if d in needs]
        waits[t] = len(known)
        for d in known:
            dependents[d].append(t)
    depth: dict[str, int] = {}
    layer = [t for t, n in waits.items() if n == 0]
    level = 0
    while layer:
        following = []
        for t in layer:
            depth[t] = level
            for d in dependents[t]:
                waits[d] -= 1
                if waits[d] == 0:
                    following.append(d)
        layer, level = following, level + 1
    return depth if len(depth) == len(waits) else None
