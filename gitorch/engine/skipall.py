"""A run that finds every task unchanged: decided before the loop, recorded compactly.

When each selected task's inputs are the ones of its recorded pass (and it has its entry in
watch.json), the driver's loop would pop every task, ask `decide()` and skip it, writing one
`skipped` event per task. `skip_all` makes the same decisions in one pass and records them
as `tasks_skipped` events (gitorch/events.py), one per stretch of tasks with the same
reason, in the order the scheduler would have popped them; every reader folds such an event
exactly as the `skipped` events it stands for. The progress shows each task as before.

Anything else (a resume, --force, a task that would run or wait at a gate, an entry missing
from watch.json) leaves the run to the loop.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from gitorch import events as ev
from gitorch.engine.decide import unchanged_reason

if TYPE_CHECKING:
    from gitorch.engine.driver import RunDriver
    from gitorch.engine.runtypes import Progress


def every_task_unchanged(d: RunDriver) -> bool:
    """Whether `decide()` would skip every selected task of this session as unchanged."""
    if d.start.resumed or d.start.done or d.opts.force or not d.sched.state:
        return False
    passes, history = d.history.passes, d.history
    for tid in d.sched.state:
        last = passes.get(tid)
        if last is None or last.inputs != d.inputs[tid].digest or not history.in_watch(tid):
            return False
    return True


def skip_all(d: RunDriver) -> bool:
    """Skip every task of the session in one pass when each is unchanged; whether it did."""
    if not every_task_unchanged(d):
        return False
    order = d.sched.finish_all("skipped")  # the order the loop takes them in
    if order is None:
        order = _popped(d)
    passes = d.history.passes
    groups: list[tuple[str, list[str]]] = []
    reasons: dict[tuple[str, str], str] = {}  # one text per run and commit the tasks passed in
    for tid in order:
        last = passes[tid]
        key = (last.run, last.commit)
        reason = reasons.get(key)
        if reason is None:
            reason = reasons[key] = unchanged_reason(last)
        if groups and groups[-1][0] == reason:
            groups[-1][1].append(tid)
        else:
            groups.append((reason, [tid]))
    _announce(d.progress, order)
    d.rec.add([ev.TasksSkipped(run=d.run_id, reason=reason, tasks=tasks) for reason, tasks in groups])
    d.rec.boundary()
    d.progress.flush()
    return True


def _popped(d: RunDriver) -> list[str]:
    """Every task skipped through the scheduler's heap, in the order it gives them (a plan
    order where a task comes before one of its dependencies: Scheduler.finish_all)."""
    sched = d.sched
    order = []
    while sched.has_ready():
        tid = sched.pop()
        sched.finish(tid, "skipped")
        order.append(tid)
    return order


def _announce(progress: Progress, order: list[str]) -> None:
    """Each task skipped, as the loop tells it: in one step where the progress can (views/progress)."""
    many = getattr(progress, "tasks_finished", None)  # a Progress of a library caller may not have it
    if many is not None:
        many(order, "skipped", 0.0)
        return
    for tid in order:
        progress.task_finished(tid, "skipped", 0.0)
