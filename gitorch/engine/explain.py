"""`explain TASK`: what the next run does with a task, and why, in words.

The action is `decide.forecast`'s (the run's own decision); this module only adds the
details: which inputs changed since the last pass, which approvals no longer apply, and the
latest failure of the task."""

from __future__ import annotations

from typing import TYPE_CHECKING

import msgspec

from gitorch.engine.decide import Action, Decision, forecast
from gitorch.engine.failures import Failure, latest_failure
from gitorch.errors import UsageError

if TYPE_CHECKING:
    from gitorch.context import Context
    from gitorch.engine.history import History
    from gitorch.engine.inputs import TaskInputs


class LastPass(msgspec.Struct, frozen=True):
    """When a task last completed: run, commit, inputs digest, time."""

    run: str
    commit: str
    inputs: str
    ts: str


class Explanation(msgspec.Struct, frozen=True, omit_defaults=True):
    """`explain TASK --json`."""

    task: str
    action: Action
    reasons: list[str]
    inputs: str
    paths: list[str]
    files: list[str]
    last_pass: LastPass | None = None
    gates: list[str] = []
    latest_failure: Failure | None = None


def explain(ctx: Context, task_id: str) -> Explanation:
    """Why `task_id` would run, be skipped or wait in the next `run`."""
    from gitorch.engine.history import history_of
    from gitorch.engine.scheduler import closure
    from gitorch.engine.setup import load, task_inputs

    lp = load(ctx, run_plan=True, prefetch=True)
    if task_id not in lp.by_id:
        raise UsageError(f"unknown task {task_id}", hint=f"tasks: {', '.join(list(lp.by_id)[:10])}")
    deps = {t.id: list(t.dependencies) for t in lp.plan.tasks}
    needed = closure(deps, [task_id])
    history = history_of(lp, needed, failure_of=task_id)  # the runs that answer for these tasks
    current = task_inputs(lp)
    decisions = forecast(lp.plan, lp.order, needed, plan_digest=lp.digest,
                         inputs={t: i.digest for t, i in current.items()}, passes=history.passes,
                         approvals=history.approvals)
    d, cur = decisions[task_id], current[task_id]
    last = history.passes.get(task_id)

    return Explanation(
        task=task_id, action=d.action, reasons=_reasons(d, cur, history), inputs=cur.digest,
        paths=cur.paths, files=sorted(p for p in cur.oids if p != "(tree)"),
        last_pass=LastPass(last.run, last.commit, last.inputs, last.ts) if last else None,
        gates=d.gates, latest_failure=latest_failure(history.events, task_id),
    )


def _reasons(d: Decision, cur: TaskInputs, history: History) -> list[str]:
    """The decision's reason, with what changed since the last pass where it runs."""
    from gitorch.engine import inputs as inp

    if d.action in ("skip", "blocked", "waiting_on"):
        return [d.reason]
    last = history.passes.get(d.task)
    if last is None:
        reasons = ["never passed"]
    else:
        entry = history.watch.get(d.task)
        record = entry if entry and entry.get("inputs") == last.inputs else {"inputs": last.inputs}
        reasons = inp.explain_change(cur, record, last.commit) or [d.reason]
    if d.manual:
        reasons.append(d.reason)
    if d.action == "await_approval":
        reasons.append("then waits for approval of gate " + ", ".join(d.gates))
        reasons += d.stale
    return reasons
