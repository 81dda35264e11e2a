"""Fold events into run and task state: the one place that says what a log of events means.

Rules (a task's latest event wins; events are taken in timestamp order, ties in log order):
- `run_started` opens a run (status running); `resumed` reopens it (running again, later
  events override); `interrupted` sets status interrupted; `completed` sets the status
  from its `status` field.
- `task_started` -> in_progress and starts a fresh record of the task's commands, checks
  and shard states (the record always shows the latest execution; `attempts` counts them
  all, together with the `attempt` numbers of task_started and command_run events).
- `task_completed` -> completed, `task_failed` -> failed, `task_blocked` -> blocked,
  `task_waiting` -> in_progress with a reason (a manual/agent task waiting for its
  acceptance), `skipped` -> skipped, `awaiting_approval` -> awaiting_approval with the gate;
  `tasks_skipped` is read as the `skipped` event of each task it names, in its order.
- Events that also name a shard change only that shard's state.
- `plan_updated` within a run (a resume on a changed plan) moves the run to the new digest.
- `approved` (which may carry no run) never changes a state by itself: it is listed in every
  run with the same plan digest (or the run it names; stale when given for another digest
  than the run follows now), and marks a waiting task whose gate (and task, when the
  approval names one) it matches, unless stale.
- Any other event type, unknown ones included, is ignored.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import cast

import msgspec

from gitorch import events as ev
from gitorch.plan.model import Plan
from gitorch.views.runviews import ApprovalView as ApprovalView  # re-exported: views import them here
from gitorch.views.runviews import CheckView as CheckView
from gitorch.views.runviews import CommandView as CommandView
from gitorch.views.runviews import PatchView as PatchView
from gitorch.views.runviews import RunView as RunView
from gitorch.views.runviews import TaskView as TaskView
from gitorch.views.states import RUN_STATUSES as RUN_STATUSES  # re-exported for views and tests
from gitorch.views.states import TASK_STATES as TASK_STATES
from gitorch.views.states import RunStatus, TaskState
from gitorch.views.timestamps import canonical_ts as canonical_ts
from gitorch.views.timestamps import parse_ts as parse_ts  # re-exported for report.py
from gitorch.views.timestamps import seconds_between


def _sort_key(e: ev.Event) -> str:
    ts = e.ts  # canonical_ts's own first test, without its call (a fold sorts every event)
    return ts if len(ts) == 24 and ts[-1] == "Z" else canonical_ts(ts)


class _RunFold:
    """Mutable folding state of one run (kept apart from the view for speed and clarity)."""

    __slots__ = ("view", "segment_start", "last_ts")

    def __init__(self, view: RunView) -> None:
        self.view = view
        self.segment_start: str | None = None
        self.last_ts = ""


def _end(t: TaskView, state: TaskState, e: ev.Event, duration: float) -> None:
    t.state = state
    t.ended = e.ts
    t.gate = None
    # prefer the duration the engine measured; else the span between the events
    t.duration = duration if duration > 0 else seconds_between(t.started, e.ts)


def _apply_shard(t: TaskView, e: ev.Event, shard: str) -> None:
    cls = type(e)
    if cls is ev.ShardStarted or cls is ev.TaskStarted or cls is ev.TaskWaiting:
        t.shards[shard] = "in_progress"
    elif cls is ev.ShardCompleted or cls is ev.TaskCompleted:
        t.shards[shard] = "completed"
    elif cls is ev.TaskFailed:
        t.shards[shard] = "failed"
    elif cls is ev.Skipped:
        t.shards[shard] = "skipped"
    elif cls is ev.TaskBlocked:
        t.shards[shard] = "blocked"
    elif cls is ev.AwaitingApproval:
        t.shards[shard] = "awaiting_approval"


def _apply_evidence(t: TaskView, e: ev.Event) -> bool:
    """A command's or a check's record (not a state change); whether `e` was one."""
    cls = type(e)
    if cls is ev.CommandRun:
        assert isinstance(e, ev.CommandRun)
        t.commands.append(CommandView(
            name=e.name, cmd=e.cmd, status=e.status, duration=e.duration, excerpt=e.excerpt,
            log=e.log, attempt=e.attempt, timed_out=e.timed_out, shard=e.shard, ts=e.ts,
        ))
        if e.attempt > t.attempts:
            t.attempts = e.attempt
        return True
    if cls is ev.AcceptancePassed or cls is ev.AcceptanceFailed:
        assert isinstance(e, ev.AcceptancePassed | ev.AcceptanceFailed)
        t.checks.append(CheckView(
            check=e.check, passed=cls is ev.AcceptancePassed, evidence=e.evidence,
            shard=e.shard, ts=e.ts,
        ))
        return True
    if cls is ev.PatchApplied:
        assert isinstance(e, ev.PatchApplied)
        t.patches.append(PatchView(attempt=e.attempt, stage=e.stage, files=len(e.paths), added=e.added,
                                   removed=e.removed, reverted=list(e.reverted), diff=e.diff))
        return True
    return False


def _skip(t: TaskView, ts: str, reason: str) -> None:
    t.state, t.ended, t.gate, t.duration = "skipped", ts, None, 0.0
    t.reason = reason


def _apply_skips(tasks: dict[str, TaskView], e: ev.TasksSkipped) -> None:
    """A `tasks_skipped` event: what a `skipped` event per task, in its order, would do."""
    ts, reason = e.ts, e.reason
    for tid in e.tasks:
        t = tasks.get(tid)
        if t is None:  # what _skip makes of a new view, built at once
            tasks[tid] = TaskView(id=tid, state="skipped", ended=ts, reason=reason)
        else:
            _skip(t, ts, reason)


def _apply_task(t: TaskView, e: ev.Event) -> None:
    cls = type(e)
    if cls in _EVIDENCE:
        _apply_evidence(t, e)
        return
    if e.shard is not None:
        _apply_shard(t, e, e.shard)
        return
    if cls is ev.TaskStarted:
        assert isinstance(e, ev.TaskStarted)
        t.state = "in_progress"
        t.started, t.ended, t.duration = e.ts, None, 0.0
        t.reason, t.gate, t.approved_by = "", None, None
        t.blocked_by = []
        t.commands, t.checks, t.patches = [], [], []
        t.shards = dict.fromkeys(t.shards, "pending")
        t.attempts = max(t.attempts + 1, e.attempt)
        if e.inputs is not None:
            t.inputs = e.inputs
    elif cls is ev.TaskCompleted:
        assert isinstance(e, ev.TaskCompleted)
        _end(t, "completed", e, e.duration)
        t.reason = ""
        if e.inputs is not None:
            t.inputs = e.inputs
    elif cls is ev.TaskFailed:
        assert isinstance(e, ev.TaskFailed)
        _end(t, "failed", e, e.duration)
        t.reason = e.reason
    elif cls is ev.Skipped:
        assert isinstance(e, ev.Skipped)
        _skip(t, e.ts, e.reason)
    elif cls is ev.TaskBlocked:
        assert isinstance(e, ev.TaskBlocked)
        t.state, t.ended, t.gate = "blocked", e.ts, None
        t.blocked_by = list(e.blocked_by)
        t.reason = "blocked by " + ", ".join(e.blocked_by) if e.blocked_by else "blocked"
    elif cls is ev.TaskWaiting:
        assert isinstance(e, ev.TaskWaiting)
        t.state, t.gate, t.ended = "in_progress", None, None
        t.reason = e.reason or "waits for its acceptance"  # a reason marks it waiting, not running
        if t.started is None:
            t.started = e.ts
    elif cls is ev.AwaitingApproval:
        assert isinstance(e, ev.AwaitingApproval)
        t.state, t.ended, t.approved_by = "awaiting_approval", None, None
        t.gate = e.gate
        t.reason = f"waiting for approval of gate {e.gate}"


def _apply_run(st: _RunFold, e: ev.Event) -> None:
    r = st.view
    cls = type(e)
    if cls is ev.RunStarted:
        assert isinstance(e, ev.RunStarted)
        r.plan_digest, r.plan_file, r.commit = e.plan_digest, e.plan_file, e.commit
        r.jobs, r.targets = e.jobs, list(e.targets)
        r.tree, r.dirty = e.tree, e.dirty
        r.status, r.ended = "running", None
        st.segment_start = e.ts
    elif cls is ev.PlanUpdated:  # resumed on a changed plan: the run now follows the new one
        assert isinstance(e, ev.PlanUpdated)
        r.plan_digest = e.digest or r.plan_digest
        r.plan_changes.extend(e.changes)
    elif cls is ev.Resumed:
        assert isinstance(e, ev.Resumed)
        r.tree, r.dirty = e.tree, e.dirty  # this session verifies the work tree as it is now
        r.status, r.ended = "running", None
        if st.segment_start is None:
            st.segment_start = e.ts
    elif cls is ev.Interrupted or cls is ev.Completed:
        r.status = _run_status(e.status) if isinstance(e, ev.Completed) else "interrupted"
        r.ended = e.ts
        if st.segment_start is not None:
            r.duration += seconds_between(st.segment_start, e.ts)
            st.segment_start = None


def _run_status(text: str) -> RunStatus:
    """A recorded run status as the type (an unknown word, from a newer gitorch: failed)."""
    return cast(RunStatus, text) if text in RUN_STATUSES else "failed"


_RUN_EVENTS = (ev.RunStarted, ev.PlanUpdated, ev.Resumed, ev.Interrupted, ev.Completed)
_TASK_EVENTS = (
    ev.TaskStarted, ev.TaskCompleted, ev.TaskFailed, ev.TaskBlocked, ev.TaskWaiting, ev.Skipped,
    ev.ShardStarted, ev.ShardCompleted, ev.CommandRun, ev.AcceptancePassed, ev.AcceptanceFailed,
    ev.AwaitingApproval, ev.PatchApplied,
)
# the records _apply_evidence keeps (a command's, a check's, a patch's), not state changes
_EVIDENCE = frozenset({ev.CommandRun, ev.AcceptancePassed, ev.AcceptanceFailed, ev.PatchApplied})
_RUN_SET = frozenset(_RUN_EVENTS)
_TASK_SET = frozenset(_TASK_EVENTS)
# every event type the fold counts into a run (the store's run index keeps the same set)
FOLDED_TYPES = _RUN_SET | _TASK_SET | {ev.TasksSkipped}


def with_plan(run: RunView, plan: Plan) -> RunView:
    """A copy of `run` laid out by `plan`: plan order, plan titles, untouched tasks and shards
    pending (but the shards of a skipped or completed task take its state); tasks only in
    the events (no longer in the plan) follow in their own order. A task the layout leaves
    as it is (no shards, its title) is the same TaskView in both: render, do not mutate."""
    tasks: dict[str, TaskView] = {}
    for pt in plan.tasks:
        t = run.tasks.get(pt.id)
        if t is not None and not pt.shards and not t.shards and (pt.title or t.title) == t.title:
            tasks[pt.id] = t  # what the copy below would hold, field for field (1,000 skips: ~1 ms)
            continue
        shards: dict[str, TaskState] = {s.id: "pending" for s in pt.shards}
        if t is None:
            tasks[pt.id] = TaskView(id=pt.id, title=pt.title, shards=shards)
        else:
            shards.update(t.shards)
            if t.state in ("skipped", "completed"):
                # a skipped task ran none of its shards in this run, and a completed one passed
                # them all: a shard without events of its own takes the task's state
                shards = {sid: t.state if st == "pending" else st for sid, st in shards.items()}
            tasks[pt.id] = msgspec.structs.replace(t, title=pt.title or t.title, shards=shards)
    for tid, t in run.tasks.items():
        if tid not in tasks:
            tasks[tid] = t
    return msgspec.structs.replace(run, tasks=tasks)


def _finish(st: _RunFold, approvals: list[ev.Approved], plan: Plan | None) -> RunView:
    r = st.view
    r.updated = st.last_ts
    if st.segment_start is not None:  # still running (or killed without a record): count to now-ish
        r.duration += seconds_between(st.segment_start, st.last_ts)
    if plan is not None:
        r.tasks = with_plan(r, plan).tasks
    r.approvals = [
        ApprovalView(gate=a.gate, by=a.by, plan_digest=a.plan_digest, commit=a.commit, ts=a.ts,
                     task=a.task, inputs=a.inputs,
                     stale=bool(a.plan_digest and r.plan_digest and a.plan_digest != r.plan_digest))
        for a in approvals
        if a.run == r.id or (a.plan_digest and a.plan_digest == r.plan_digest)
    ]
    if r.status == "interrupted":
        # what was running when the run stopped did not end: it was interrupted (a manual
        # task waiting for its acceptance, with its reason, still waits)
        for t in r.tasks.values():
            if t.state == "in_progress" and not t.reason:
                t.state = "interrupted"
    r.failures = [tid for tid, t in r.tasks.items() if t.state == "failed"]
    r.awaiting = []
    for tid, t in r.tasks.items():
        if t.state != "awaiting_approval" or t.gate is None:
            continue
        r.awaiting.append((tid, t.gate))
        for a in r.approvals:
            if not a.stale and a.gate == t.gate and (a.task is None or a.task == tid):
                t.approved_by = a.by
    return r


def fold_runs(events: Iterable[ev.Event], plan: Plan | None = None) -> list[RunView]:
    """Every run in `events` (grouped by run id), ordered by start time.

    With a plan, each run lists the plan's tasks in plan order, with titles, and tasks
    never touched appear as pending.
    """
    ordered: Sequence[ev.Event] = sorted(events, key=_sort_key)
    runs: dict[str, _RunFold] = {}
    approvals: list[ev.Approved] = []
    run_set, task_set = _RUN_SET, _TASK_SET
    for e in ordered:
        cls = type(e)
        if cls is ev.Approved:
            assert isinstance(e, ev.Approved)
            approvals.append(e)
            continue
        rid = e.run
        if rid is None:
            continue
        is_run, is_task = cls in run_set, cls in task_set
        many = cls is ev.TasksSkipped and bool(e.tasks)  # type: ignore[attr-defined]
        if not (is_run or is_task or many):
            continue
        st = runs.get(rid)
        if st is None:
            # events come in time order: the run's first one marks its start
            st = runs[rid] = _RunFold(RunView(id=rid, started=e.ts, tasks={}))
        st.last_ts = e.ts
        if many:  # counted as the `skipped` events it stands for
            assert isinstance(e, ev.TasksSkipped)
            st.view.events += len(e.tasks)
            _apply_skips(st.view.tasks, e)
            continue
        st.view.events += 1
        if is_run:
            _apply_run(st, e)
        elif e.task is not None:
            tasks = st.view.tasks
            t = tasks.get(e.task)
            if t is None:
                t = tasks[e.task] = TaskView(id=e.task, commands=[], checks=[], shards={})
            _apply_task(t, e)
    views = [_finish(st, approvals, plan) for st in runs.values()]
    views.sort(key=lambda r: (canonical_ts(r.started), r.id))
    return views


def latest_run(events: Iterable[ev.Event], plan: Plan | None = None) -> RunView | None:
    """The run that started last, or None when there is none."""
    runs = fold_runs(events, plan)
    return runs[-1] if runs else None


def task_states(run: RunView) -> dict[str, str]:
    """Task id -> state, in the run's task order."""
    return {tid: t.state for tid, t in run.tasks.items()}
