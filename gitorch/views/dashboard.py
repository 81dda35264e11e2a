"""TASKS.md, the status dashboard: the seed's checklist plus a Mermaid DAG coloured by state.

A pure function of a folded run and its plan: the same inputs give the same bytes (no clock,
no environment), so writing it to the state branch on every run adds no noise to its history.
"""

from __future__ import annotations

from gitorch.plan.model import Plan
from gitorch.views import mermaid
from gitorch.views.fold import TASK_STATES, RunView, with_plan
from gitorch.views.text import printable
from gitorch.views.verified import verified_text

DONE_STATES = frozenset({"completed", "skipped"})  # skipped = passed before, inputs unchanged


def _line(task_id: str, title: str, state: str, indent: str = "") -> str:
    box = "x" if state in DONE_STATES else " "
    name = f"{task_id} — {title}" if title else task_id
    if "\n" in name:
        name = name.replace("\n", " ")
    return f"{indent}- [{box}] {name} ({state})"


def _shard_titles(plan: Plan) -> dict[tuple[str, str], str]:
    return {(t.id, s.id): s.title for t in plan.tasks for s in t.shards}


def checklist(run: RunView, plan: Plan) -> list[str]:
    """The seed's checklist: one line per task, its shards as indented sub-items.

    `run` is taken as laid out (see fold.with_plan); `plan` gives the shards' titles.
    """
    # one loop, the line written inline: a re-run renders this for every task (issue 15, P2)
    shard_titles: dict[tuple[str, str], str] | None = None
    lines: list[str] = []
    append = lines.append
    for tid, task in run.tasks.items():
        title, state = task.title, task.state
        if title or "\n" in tid:
            append(_line(tid, title, state))
        else:
            append(f"- [{'x' if state in DONE_STATES else ' '}] {tid} ({state})")
        if task.shards:
            if shard_titles is None:
                shard_titles = _shard_titles(plan)
            for sid, shard_state in task.shards.items():
                append(_line(sid, shard_titles.get((tid, sid), ""), shard_state, "  "))
    return lines


def _drawable_flowchart(run: RunView, plan: Plan) -> str | None:
    """task_flowchart, or None when Mermaid would refuse it (counted first: cheaper to know)."""
    edges = 0
    for t in plan.tasks:
        edges += len(t.dependencies) + len(t.shards)
    if edges > mermaid.MAX_EDGES:
        return None
    text, edges = task_flowchart(run, plan)
    return text if mermaid.fits(text, edges) else None


def task_flowchart(run: RunView, plan: Plan) -> tuple[str, int]:
    """Every task and shard, dependencies as arrows, coloured by state; and the edge count."""
    ids: dict[str, str] = {}
    lines = ["flowchart TD"]
    by_state: dict[str, list[str]] = {s: [] for s in TASK_STATES}
    edges = 0
    tasks = run.tasks
    if not any(task.shards for task in tasks.values()):  # the usual plan: nodes in one pass
        texts = [f"{tid} — {task.title}" if task.title else tid for tid, task in tasks.items()]
        labels = mermaid.labels(texts)
        ids = {tid: f"t{n}" for n, tid in enumerate(tasks)}
        lines += [f'  {node}["{text}"]' for node, text in zip(ids.values(), labels, strict=True)]
        for node, task in zip(ids.values(), tasks.values(), strict=True):
            by_state.setdefault(task.state, []).append(node)
    else:
        edges = _nodes_with_shards(run, plan, ids, lines, by_state)
    for planned in plan.tasks:
        for dep in planned.dependencies:
            if dep in ids and planned.id in ids:
                lines.append(f"  {ids[dep]} --> {ids[planned.id]}")
                edges += 1
    lines += mermaid.class_defs()
    for name, nodes in by_state.items():
        if nodes:
            lines.append(f"  class {','.join(nodes)} {name if name in mermaid.STATE_STYLES else 'pending'}")
    return "\n".join(lines), edges


def _nodes_with_shards(run: RunView, plan: Plan, ids: dict[str, str], lines: list[str],
                       by_state: dict[str, list[str]]) -> int:
    """task_flowchart's nodes when some task has shards (each drawn beside its task); the
    edges drawn."""
    shard_titles = _shard_titles(plan)
    edges = 0
    for n, (tid, task) in enumerate(run.tasks.items()):
        node = ids[tid] = f"t{n}"
        text = f"{tid} — {task.title}" if task.title else tid
        lines.append(f'  {node}["{mermaid.label(text)}"]')
        by_state.setdefault(task.state, []).append(node)
        for m, (sid, state) in enumerate(task.shards.items()):
            shard_node = f"{node}_{m}"
            title = shard_titles.get((tid, sid), "")
            text = f"{sid} — {title}" if title else sid
            lines.append(f'  {shard_node}(["{mermaid.label(text)}"])')
            lines.append(f"  {node} -.- {shard_node}")
            by_state.setdefault(state, []).append(shard_node)
            edges += 1
    return edges


def condensed_flowchart(run: RunView, plan: Plan) -> str:
    """One node per dependency generation (its tasks counted by state), coloured by the most
    urgent state among them: what a plan of hundreds of tasks can show."""
    lines = ["flowchart TD"]
    classes: dict[str, list[str]] = {}
    nodes: list[str] = []
    for n, (name, group) in enumerate(mermaid.generations(plan, list(run.tasks)).items()):
        states = [run.tasks[t].state for t in group]
        counts = ", ".join(f"{states.count(s)} {s}" for s in TASK_STATES if s in states)
        node = f"g{n}"
        tasks = f"{len(group)} task{'s' if len(group) != 1 else ''}"
        lines.append(f'  {node}["{mermaid.label(f"{name}: {tasks} — {counts}")}"]')
        classes.setdefault(mermaid.most_urgent(states), []).append(node)
        if name.startswith("Generation"):
            nodes.append(node)
    lines += [f"  {a} --> {b}" for a, b in zip(nodes, nodes[1:], strict=False)]
    lines += mermaid.class_defs()
    lines += [f"  class {','.join(members)} {state}" for state, members in classes.items()]
    return "\n".join(lines)


def _counts(run: RunView) -> str:
    counts: dict[str, int] = {}
    for task in run.tasks.values():
        counts[task.state] = counts.get(task.state, 0) + 1
    parts = [f"{counts[s]} {s}" for s in TASK_STATES if counts.get(s)]
    parts += [f"{n} {s}" for s, n in sorted(counts.items()) if s not in TASK_STATES]
    n = len(run.tasks)
    return f"{n} task{'s' if n != 1 else ''}: " + ", ".join(parts) if parts else "no tasks"


def render_dashboard(run: RunView, plan: Plan, *, laid_out: bool = False) -> str:
    """TASKS.md for `run`: every task of `plan` (untouched ones pending), then the graph.

    `laid_out`: `run` was folded with this `plan` (fold_runs lays it out with with_plan
    already, and laying it out again gives the same run: skipped, not redone).
    """
    if not laid_out:
        run = with_plan(run, plan)
    out = ["# Tasks — Status Dashboard", ""]
    out += checklist(run, plan)
    chart = _drawable_flowchart(run, plan)
    out += ["", "## Graph", ""]
    if chart is None:
        chart = condensed_flowchart(run, plan)
        out += [f"{len(run.tasks)} tasks are more than Mermaid draws one by one: "
                "they are grouped by dependency generation, each group coloured by its most "
                "urgent state (the checklist above lists every task).", ""]
    out += ["```mermaid", chart, "```", ""]
    waiting = [f"{tid} waits for approval of `{gate}`" for tid, gate in run.awaiting]
    footer = [
        f"Run `{run.id}` — {run.status} — {_counts(run)}",
        ("Verified: " + verified_text(run, lambda t: f"`{t}`")) if run.dirty else
        (f"Commit: `{run.commit}`" if run.commit else "Commit: (none recorded)"),
        f"Updated: {run.updated or run.started}",
    ]
    out += ["---", ""] + [f"{line}  " for line in footer[:-1]] + footer[-1:]
    if waiting:
        out += ["", *[f"- {w}" for w in waiting]]
    return escaped("\n".join(out) + "\n")  # text from any clone: escaped


def escaped(text: str) -> str:
    """printable(text, newlines=True): nothing to escape when every character but the newlines
    is printable (str.isprintable refuses all that printable() escapes), one C pass instead
    of the regular expression's scan of the whole page."""
    return text if text.replace("\n", " ").isprintable() else printable(text, newlines=True)
