"""render_dashboard: the seed's TASKS.md checklist plus a Mermaid DAG coloured by state."""

from __future__ import annotations

import random

from gitorch import events as ev
from gitorch.plan.model import Plan, Task
from gitorch.views.dashboard import render_dashboard
from gitorch.views.fold import TASK_STATES, fold_runs

from .mermaid_check import mermaid_blocks, read_flowchart
from .scenarios import Log, diamond_plan, every_state, every_state_plan, failing_run, fan_out


def test_seed_appendix_b_checklist() -> None:
    plan = Plan(tasks=[Task(id="DOC-001", title="Add orchestration PRD"),
                       Task(id="EXC-001", title="Central exception handling")])
    log = Log()
    log.add(ev.RunStarted)
    log.add(ev.TaskStarted, "DOC-001")
    log.add(ev.TaskCompleted, "DOC-001")
    [run] = fold_runs(log.events, plan)
    text = render_dashboard(run, plan)
    assert text.startswith(
        "# Tasks — Status Dashboard\n\n"
        "- [x] DOC-001 — Add orchestration PRD (completed)\n"
        "- [ ] EXC-001 — Central exception handling (pending)\n"
    )


def test_checklist_with_shards_and_graph(log: Log) -> None:
    failing_run(log)
    plan = diamond_plan()
    [run] = fold_runs(log.events, plan)
    text = render_dashboard(run, plan)
    assert (
        "- [x] A — Prepare (completed)\n"
        "- [ ] B — Left branch (failed)\n"
        "- [x] C — Right branch (completed)\n"
        "  - [x] C1 — one (completed)\n"
        "  - [x] C2 — two (completed)\n"
        "- [ ] D — Deploy it (blocked)\n"
    ) in text
    [chart] = mermaid_blocks(text)
    labels, classes, edges = read_flowchart(chart)
    node = {label.split(" — ")[0]: n for n, label in labels.items()}
    assert {(a, b) for a, kind, b in edges if kind == "-->"} == {
        (node["A"], node["B"]), (node["A"], node["C"]), (node["B"], node["D"]), (node["C"], node["D"])}
    shard_edges = {(a, b) for a, kind, b in edges if kind == "-.-"}
    assert shard_edges == {(node["C"], node["C1"]), (node["C"], node["C2"])}
    assert {k: classes[n] for k, n in node.items()} == {
        "A": "completed", "B": "failed", "C": "completed", "C1": "completed", "C2": "completed",
        "D": "blocked"}
    assert "Run `r-1` — failed" in text and "Commit: `abc123`" in text
    assert f"Updated: {log.events[-1].ts}" in text


def test_every_state_has_its_class(log: Log) -> None:
    every_state(log)
    plan = every_state_plan()
    [run] = fold_runs(log.events, plan)
    text = render_dashboard(run, plan)
    for state in TASK_STATES:
        box = "x" if state in ("completed", "skipped") else " "
        assert f"- [{box}] T-{state} — {state.replace('_', ' ').title()} ({state})\n" in text
    [chart] = mermaid_blocks(text)
    labels, classes, _ = read_flowchart(chart)
    assert {labels[n].split(" — ")[0]: c for n, c in classes.items()} == {f"T-{s}": s for s in TASK_STATES}
    for state in TASK_STATES:
        assert f"  classDef {state} fill:" in chart
    assert "- T-awaiting_approval waits for approval of `deploy`" in text


def test_byte_stable_and_independent_of_how_the_run_was_folded(log: Log) -> None:
    failing_run(log)
    plan = diamond_plan()
    first = render_dashboard(fold_runs(log.events, plan)[0], plan)
    shuffled = list(log.events)
    random.Random(7).shuffle(shuffled)
    assert render_dashboard(fold_runs(shuffled, plan)[0], plan) == first
    assert render_dashboard(fold_runs(log.events)[0], plan) == first  # folded without the plan
    assert first.endswith("\n") and "\r" not in first


def test_untouched_plan_tasks_are_pending_and_odd_labels_are_escaped() -> None:
    plan = Plan(tasks=[
        Task(id="Q1", title='Say "hi" <b>bold</b> #1 [x]'),
        Task(id="Q2", title="Second", dependencies=["Q1"]),
    ])
    log = Log()
    log.add(ev.RunStarted)
    [run] = fold_runs(log.events)
    text = render_dashboard(run, plan)
    assert '- [ ] Q1 — Say "hi" <b>bold</b> #1 [x] (pending)' in text
    labels, classes, edges = read_flowchart(mermaid_blocks(text)[0])
    assert labels["t0"] == "Q1 — Say #quot;hi#quot; #lt;b#gt;bold#lt;/b#gt; #35;1 [x]"
    assert set(classes.values()) == {"pending"} and edges == [("t0", "-->", "t1")]


def test_a_plan_too_big_for_mermaid_is_drawn_by_generation() -> None:
    plan, events = fan_out(300, failing=(7,))  # 596 dependencies: more than Mermaid's 500 edges
    [run] = fold_runs(events, plan)
    text = render_dashboard(run, plan)
    assert text.count("\n- [") == 300 and "- [ ] T0007 (failed)\n" in text
    assert "300 tasks are more than Mermaid draws one by one" in text
    labels, classes, edges = read_flowchart(mermaid_blocks(text)[0])
    assert labels == {
        "g0": "Generation 0: 1 task — 1 completed",
        "g1": "Generation 1: 298 tasks — 1 failed, 297 completed",
        "g2": "Generation 2: 1 task — 1 blocked",
    }
    assert classes == {"g0": "completed", "g1": "failed", "g2": "blocked"}
    assert edges == [("g0", "-->", "g1"), ("g1", "-->", "g2")]


def test_a_plan_mermaid_can_draw_is_drawn_task_by_task() -> None:
    plan, events = fan_out(200)  # 396 edges, under the limit
    [run] = fold_runs(events, plan)
    labels, _, edges = read_flowchart(mermaid_blocks(render_dashboard(run, plan))[0])
    assert len(labels) == 200 and len(edges) == 396
