"""TASKS.md, the status dashboard: the seed's checklist plus a Mermaid DAG coloured by state.

A pure function of a folded run and its plan: the same inputs give the same bytes (no clock,
no environment), so writing it to the state branch on every run adds no noise to its history.
"""

from __future__ import annotations

from gitorch.plan.model import Plan
from gitorch.views.fold import TASK_STATES, RunView, with_plan

# One colour per state; the classDef names are the state names themselves.
STATE_STYLES: dict[str, str] = {
    "pending": "fill:#f1f3f5,stroke:#868e96,color:#212529",
    "in_progress": "fill:#fff3bf,stroke:#f59f00,color:#212529",
    "awaiting_approval": "fill:#e5dbff,stroke:#7048e8,color:#212529",
    "blocked": "fill:#ffe8cc,stroke:#e8590c,color:#212529",
    "failed": "fill:#ffc9c9,stroke:#e03131,color:#212529",
    "completed": "fill:#d3f9d8,stroke:#2f9e44,color:#212529",
    "skipped": "fill:#e7f5ff,stroke:#1c7ed6,color:#212529",
}
DONE_STATES = frozenset({"completed", "skipped"})  # skipped = passed before, inputs unchanged


def mermaid_label(text: str) -> str:
    """`text` made safe inside a quoted Mermaid label (entity codes for the special characters)."""
    return (
        text.replace("#", "#35;").replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;")
        .replace("\n", " ")
    )


def _line(task_id: str, title: str, state: str, indent: str = "") -> str:
    box = "x" if state in DONE_STATES else " "
    name = f"{task_id} — {title}" if title else task_id
    return f"{indent}- [{box}] {name.replace(chr(10), ' ')} ({state})"


def checklist(run: RunView, plan: Plan) -> list[str]:
    """The seed's checklist: one line per task, its shards as indented sub-items.

    `run` is taken as laid out (see fold.with_plan); `plan` gives the shards' titles.
    """
    shard_titles = {(t.id, s.id): s.title for t in plan.tasks for s in t.shards}
    lines = []
    for tid, task in run.tasks.items():
        lines.append(_line(tid, task.title, task.state))
        for sid, state in task.shards.items():
            lines.append(_line(sid, shard_titles.get((tid, sid), ""), state, "  "))
    return lines


def mermaid_flowchart(run: RunView, plan: Plan) -> str:
    """The plan's DAG (tasks, dependencies, shards) as a Mermaid flowchart coloured by state."""
    shard_titles = {(t.id, s.id): s.title for t in plan.tasks for s in t.shards}
    ids: dict[str, str] = {}
    lines = ["flowchart TD"]
    by_state: dict[str, list[str]] = {s: [] for s in TASK_STATES}
    for n, (tid, task) in enumerate(run.tasks.items()):
        node = ids[tid] = f"t{n}"
        label = f"{tid} — {task.title}" if task.title else tid
        lines.append(f'  {node}["{mermaid_label(label)}"]')
        by_state.setdefault(task.state, []).append(node)
        for m, (sid, state) in enumerate(task.shards.items()):
            shard_node = f"{node}_{m}"
            title = shard_titles.get((tid, sid), "")
            label = f"{sid} — {title}" if title else sid
            lines.append(f'  {shard_node}(["{mermaid_label(label)}"])')
            lines.append(f"  {node} -.- {shard_node}")
            by_state.setdefault(state, []).append(shard_node)
    for planned in plan.tasks:
        for dep in planned.dependencies:
            if dep in ids and planned.id in ids:
                lines.append(f"  {ids[dep]} --> {ids[planned.id]}")
    for state, style in STATE_STYLES.items():
        lines.append(f"  classDef {state} {style}")
    for state, nodes in by_state.items():
        if nodes:
            lines.append(f"  class {','.join(nodes)} {state if state in STATE_STYLES else 'pending'}")
    return "\n".join(lines)


def _counts(run: RunView) -> str:
    counts: dict[str, int] = {}
    for task in run.tasks.values():
        counts[task.state] = counts.get(task.state, 0) + 1
    parts = [f"{counts[s]} {s}" for s in TASK_STATES if counts.get(s)]
    parts += [f"{n} {s}" for s, n in sorted(counts.items()) if s not in TASK_STATES]
    return f"{len(run.tasks)} tasks: " + ", ".join(parts) if parts else "no tasks"


def render_dashboard(run: RunView, plan: Plan) -> str:
    """TASKS.md for `run`: every task of `plan` (untouched ones pending), then the graph."""
    run = with_plan(run, plan)
    out = ["# Tasks — Status Dashboard", ""]
    out += checklist(run, plan)
    out += ["", "## Graph", "", "```mermaid", mermaid_flowchart(run, plan), "```", ""]
    waiting = [f"{tid} waits for approval of `{gate}`" for tid, gate in run.awaiting]
    footer = [
        f"Run `{run.id}` — {run.status} — {_counts(run)}",
        f"Commit: `{run.commit}`" if run.commit else "Commit: (none recorded)",
        f"Updated: {run.updated or run.started}",
    ]
    out += ["---", ""] + [f"{line}  " for line in footer[:-1]] + footer[-1:]
    if waiting:
        out += ["", *[f"- {w}" for w in waiting]]
    return "\n".join(out) + "\n"
