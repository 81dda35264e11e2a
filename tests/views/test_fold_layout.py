"""with_plan keeps a task's view as it is when the layout would copy it unchanged (no shards,
the same title: issue 15 P2, 1,000 skipped tasks); the answer is the copy's, field for field."""

from __future__ import annotations

import itertools

import msgspec

from gitorch.plan.model import Plan, Shard, Task
from gitorch.views.fold import RunView, TaskView, with_plan


def _copying(run: RunView, plan: Plan) -> RunView:
    """with_plan as it was before the shortcut: every task of the plan copied."""
    tasks: dict[str, TaskView] = {}
    for pt in plan.tasks:
        shards = {s.id: "pending" for s in pt.shards}
        t = run.tasks.get(pt.id)
        if t is None:
            tasks[pt.id] = TaskView(id=pt.id, title=pt.title, shards=shards)  # type: ignore[arg-type]
        else:
            shards.update(t.shards)
            if t.state in ("skipped", "completed"):
                shards = {sid: t.state if st == "pending" else st for sid, st in shards.items()}
            tasks[pt.id] = msgspec.structs.replace(t, title=pt.title or t.title, shards=shards)
    for tid, t in run.tasks.items():
        if tid not in tasks:
            tasks[tid] = t
    return msgspec.structs.replace(run, tasks=tasks)


def test_the_layout_equals_the_copying_one_for_every_shape() -> None:
    titles, states = ("", "Plan title"), ("skipped", "completed", "failed", "in_progress")
    plan_tasks, views = [], {}
    for n, (plan_title, view_title, state, sharded, viewed) in enumerate(itertools.product(
            titles, ("", "Old title", "Plan title"), states, (False, True), (False, True))):
        tid = f"t{n:03d}"
        shards = [Shard(id=f"{tid}.1"), Shard(id=f"{tid}.2")] if sharded else []
        plan_tasks.append(Task(id=tid, title=plan_title, shards=shards))
        if viewed:
            views[tid] = TaskView(id=tid, title=view_title, state=state, reason="why",  # type: ignore[arg-type]
                                  shards={f"{tid}.1": "failed"} if sharded and state == "failed" else {})
    views["gone"] = TaskView(id="gone", state="skipped")  # no longer in the plan
    run = RunView(id="r", tasks=views)
    plan = Plan(tasks=plan_tasks)
    got, want = with_plan(run, plan), _copying(run, plan)
    assert msgspec.to_builtins(got) == msgspec.to_builtins(want)
    assert list(got.tasks) == list(want.tasks)
    shared = [tid for tid, t in got.tasks.items() if t is run.tasks.get(tid)]
    assert shared and all(not got.tasks[t].shards for t in shared)
    assert msgspec.to_builtins(run) == msgspec.to_builtins(RunView(id="r", tasks=views))  # input untouched


def test_a_tasks_skipped_event_folds_as_its_skipped_events() -> None:
    """The compact event (new views built at once, earlier ones updated) against the `skipped`
    events it stands for, with tasks seen before it and tasks it names first."""
    from gitorch import events as ev
    from gitorch.views.fold import fold_runs

    ts = "2026-12-07T06:00:00Z"
    start = [ev.RunStarted(run="r", ts=ts), ev.TaskStarted(run="r", task="a", ts=ts),
             ev.TaskFailed(run="r", task="a", reason="boom", ts=ts)]
    ids = ["a", "b", "c"]
    compact = [*start, ev.TasksSkipped(run="r", reason="unchanged", tasks=ids, ts=ts)]
    one_by_one = [*start, *(ev.Skipped(run="r", task=t, reason="unchanged", ts=ts) for t in ids)]
    for plan in (None, Plan(tasks=[Task(id="c", title="C"), Task(id="b"), Task(id="a")])):
        got, want = fold_runs(compact, plan), fold_runs(one_by_one, plan)
        assert msgspec.to_builtins(got) == msgspec.to_builtins(want)
        assert {t.id: t.state for t in got[0].tasks.values()} == dict.fromkeys(ids, "skipped")
