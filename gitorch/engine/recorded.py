"""`status` before there is a plan file: the latest run on the state branch, laid out by
the plan it recorded (an imported workflow records the plan its definition converts to).

Returns the `Status` (engine/statusdoc.py) that `status` returns, with `plan` None, the
run's `title` (an imported workflow's task description) and `source` ("imported" for runs
`git orch migrate` made), so the CLI renders it unchanged.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from gitorch import events as ev

if TYPE_CHECKING:
    from gitorch.context import Context
    from gitorch.engine.statusdoc import Status


def _title(events: list[ev.Event], run_id: str) -> str:
    for e in events:
        if e.run == run_id and isinstance(e, ev.LegacyRecord) and e.kind == "legacy_run":
            return str(e.data.get("task_description") or "")
    return ""


def recorded_status(ctx: Context) -> Status | None:
    """The status document of the latest run from the state branch alone; None when the
    branch has no run (the caller then reports the missing plan file)."""
    from gitorch.engine.statusdoc import GateWait, RunInfo, Status, TaskStatus
    from gitorch.plan.load import find_plan_file
    from gitorch.plan.model import Plan
    from gitorch.store import layout
    from gitorch.views.fold import latest_run

    root = ctx.repo.root
    if ctx.file is not None or root is None or find_plan_file(root) is not None:
        return None  # a plan file exists: its own errors are the answer
    store = ctx.store
    if not store.exists():
        return None
    events = store.events()
    run = latest_run(events)
    if run is None:
        return None
    plan = layout.read_recorded_plan(store.read, run.plan_digest, Plan).value
    if plan is not None:
        run = latest_run(events, plan) or run
    deps = {t.id: list(t.dependencies) for t in plan.tasks} if plan is not None else {}
    states = {tid: t.state for tid, t in run.tasks.items()}
    tasks: list[TaskStatus] = []
    for tid, tv in run.tasks.items():
        waiting = [d for d in deps.get(tid, []) if states.get(d, "pending") not in ("completed", "skipped")]
        tasks.append(TaskStatus(id=tid, title=tv.title, state=tv.state, duration=round(tv.duration, 3),
                                reason=tv.reason, gate=tv.gate, blocked_by=list(tv.blocked_by),
                                waiting_on=waiting if tv.state in ("pending", "blocked") else [],
                                attempts=tv.attempts))
    counts: dict[str, int] = {}
    for t in tasks:
        counts[t.state] = counts.get(t.state, 0) + 1
    info = RunInfo(id=run.id, status=run.status, started=run.started, ended=run.ended,
                   duration=round(run.duration, 3), commit=run.commit, plan_digest=run.plan_digest,
                   plan_changed=False, title=_title(events, run.id),
                   source="imported" if run.id.startswith("legacy:") else "recorded")
    return Status(plan=None, plan_digest=run.plan_digest, run=info, tasks=tasks,
                  awaiting=[GateWait(t, g) for t, g in run.awaiting], counts=counts)
