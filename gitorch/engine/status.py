"""`status`, `next`, `explain` and `report`: read-only views of the latest run."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec

# Only what `status` needs is imported here: these commands are start-up bound, and the
# inputs, gates and history modules cost ~30 ms that `status` and `next` never use.
from gitorch.engine.setup import Loaded, load
from gitorch.engine.statusdoc import GateWait, RunInfo, Status, TaskStatus
from gitorch.errors import UsageError
from gitorch.views.fold import fold_runs, latest_run
from gitorch.views.states import DONE, RunStatus, TaskState

if TYPE_CHECKING:
    from gitorch.context import Context
    from gitorch.engine.decide import Decision
    from gitorch.views.fold import RunView


def _latest(lp: Loaded) -> RunView | None:
    """The latest run, as a fold of every event shows it; read through the run index (the
    latest run's events alone) when the branch has one."""
    from gitorch.engine.history import latest_events

    found = latest_events(lp.store)
    if found is None:
        return latest_run(lp.events, lp.plan)
    latest, events = found
    if latest is None:
        return None
    return next(r for r in fold_runs(events, lp.plan) if r.id == latest)


def _legacy_notice(lp: Loaded) -> None:
    """The one-time legacy-migration notice, on stderr (never fails the command)."""
    from gitorch.legacypaths import exists

    root = lp.repo.root
    if root is None or not exists(root):  # what legacy_notice asks first, without importing
        return  # the migrate package (~10 ms) where there is nothing legacy
    from gitorch.migrate import show_legacy_notice

    show_legacy_notice(lp.repo)


def status(ctx: Context, *, notice: bool = False) -> Status:
    """The latest run: each task's state, duration, what blocks it, which gates wait.

    `notice`: also print the one-time legacy-migration notice (not with --json)."""
    from gitorch.errors import PlanError

    try:
        lp = load(ctx, run_plan=True)
    except PlanError:
        from gitorch.engine.recorded import recorded_status  # no plan file yet: the branch's run

        recorded = recorded_status(ctx)
        if recorded is None:
            raise
        return recorded
    if notice:
        _legacy_notice(lp)
    run = _latest(lp)
    info = None
    states: dict[str, TaskState] = {}
    if run is not None:
        info = RunInfo(id=run.id, status=run.status, started=run.started, ended=run.ended,
                       duration=round(run.duration, 3), commit=run.commit, plan_digest=run.plan_digest,
                       plan_changed=bool(run.plan_digest and run.plan_digest != lp.digest),
                       dirty=run.dirty, tree=run.tree)
        states = {tid: t.state for tid, t in run.tasks.items()}
    tasks: list[TaskStatus] = []
    for task in lp.plan.tasks:
        tv = run.tasks.get(task.id) if run is not None else None
        state = states.get(task.id, "pending")
        waiting_on: list[str] = []
        if state in ("pending", "blocked"):
            d = _dependencies(lp, task.id, states)
            waiting_on = d.blocked_by + d.waiting_on
        if tv is None:
            tasks.append(TaskStatus(id=task.id, title=task.title, state=state, waiting_on=waiting_on))
            continue
        tasks.append(TaskStatus(
            id=task.id, title=task.title, state=state, duration=round(tv.duration, 3), reason=tv.reason,
            gate=tv.gate, blocked_by=list(tv.blocked_by), waiting_on=waiting_on, attempts=tv.attempts))
    counts: dict[str, int] = {}
    for t in tasks:
        counts[t.state] = counts.get(t.state, 0) + 1
    awaiting = [GateWait(t, g) for t, g in (run.awaiting if run else [])]
    return Status(plan=lp.file, plan_digest=lp.digest, run=info, tasks=tasks, awaiting=awaiting,
                  counts=counts)


def _dependencies(lp: Loaded, task_id: str, states: dict[str, TaskState]) -> Decision:
    """decide() on what the latest run left: blocked by, waiting on, or ready."""
    from gitorch.engine.decide import decide

    task = lp.by_id[task_id]
    dep_states = {d: states.get(d, "pending") for d in task.dependencies if d in lp.by_id}
    return decide(task, plan=lp.plan, plan_digest=lp.digest, inputs=None, last=None, approvals=(),
                  dep_states=dep_states)


class NextTask(msgspec.Struct, frozen=True):
    """A task left to do: ready, or what it still waits for."""

    task: str
    title: str
    state: TaskState
    ready: bool
    unmet: list[str]


class Next(msgspec.Struct, frozen=True):
    """`next --json`: tasks ready now (ranked), then the others; with a limit, the top ones
    and how many there are in all (`ready_count`, `later_count`)."""

    run: str | None
    ready: list[NextTask]
    later: list[NextTask]
    ready_count: int = 0
    later_count: int = 0


NEXT_LIMIT = 10  # tasks `next` shows by default (an agent's budget: --json stays small)
NEXT_CHARS = 4_000  # `next --json` with the default limit stays under this many characters
_TITLE = 120
_UNMET = 3


def next_tasks(ctx: Context, limit: int | None = None) -> Next:
    """Tasks to work on next, ranked (fewest unmet dependencies, then plan order); tasks
    done or held at a gate are left out. With `limit`, the top `limit` ready ones and fewer
    of the others, titles and unmet lists shortened, under NEXT_CHARS of JSON."""
    lp = load(ctx, run_plan=True)
    run = _latest(lp)
    states: dict[str, TaskState] = {tid: t.state for tid, t in run.tasks.items()} if run else {}
    ranked: list[tuple[int, int, NextTask]] = []
    for i, task in enumerate(lp.plan.tasks):
        state = states.get(task.id, "pending")
        if state in DONE or state == "awaiting_approval":
            continue
        d = _dependencies(lp, task.id, states)
        unmet = d.blocked_by + d.waiting_on
        ranked.append((len(unmet), i, NextTask(task.id, task.title, state, not unmet, unmet)))
    ranked.sort(key=lambda r: r[:2])
    items = [r[2] for r in ranked]
    ready = [t for t in items if t.ready]
    later = [t for t in items if not t.ready]
    out = Next(run=run.id if run else None, ready=ready, later=later, ready_count=len(ready),
               later_count=len(later))
    return out if limit is None else _top(out, limit)


def _top(doc: Next, limit: int) -> Next:
    """`doc` bounded for an agent's budget: the top of each list, short titles and unmet lists."""
    def short(t: NextTask) -> NextTask:
        title = t.title if len(t.title) <= _TITLE else t.title[: _TITLE - 1] + "…"
        unmet = t.unmet[:_UNMET] + ([f"… {len(t.unmet) - _UNMET} more"] if len(t.unmet) > _UNMET else [])
        return NextTask(t.task, title, t.state, t.ready, unmet)

    ready = [short(t) for t in doc.ready[:limit]]
    later = [short(t) for t in doc.later[: max(1, limit // 2)]]
    while (ready or later) and len(msgspec.json.encode(
            Next(doc.run, ready, later, doc.ready_count, doc.later_count))) > NEXT_CHARS:
        (later if later else ready).pop()
    return msgspec.structs.replace(doc, ready=ready, later=later)


class Report(msgspec.Struct, frozen=True, omit_defaults=True):
    """`report --json`: the Markdown report, and where it and the JUnit XML were written."""

    run: str
    status: RunStatus
    report: str
    warnings: list[str]
    out: str | None = None
    junit: str | None = None


def report(ctx: Context, out: str | None = None, junit: str | None = None, *,
           notice: bool = False) -> Report:
    """The latest run's report (Markdown) and optionally JUnit XML, written where asked.

    `notice`: also print the one-time legacy-migration notice (not with --json)."""
    from gitorch.errors import PlanError
    from gitorch.views.report import render_junit, render_report

    warnings: list[str] = []
    try:
        lp = load(ctx, run_plan=True)
    except PlanError as exc:
        # a report is made from the events: a plan file being edited (and not loading right
        # now) does not stop it; the plan the run recorded gives the titles and shards
        recorded = _recorded_plan(ctx)
        if recorded is None:
            raise
        store, run, plan = recorded
        first = (str(exc).splitlines() or ["does not load"])[0]
        warnings.append(f"the plan file does not load ({first}); "
                        f"the report uses the plan recorded by run {run.id}")
        text = render_report(run, plan, log_reader=store.read)
    else:
        if notice:
            _legacy_notice(lp)
        latest = _latest(lp)
        if latest is None:
            raise UsageError("no run to report on", hint="start one with `git orch run`")
        run = latest
        text = render_report(run, lp.plan, log_reader=lp.store.read)
        plan = lp.plan
    if out:
        _write_file(out, text, "--out")
    if junit:
        _write_file(junit, render_junit(run, plan), "--junit")
    return Report(run=run.id, status=run.status, report=text, warnings=warnings, out=out or None,
                  junit=junit or None)


def _recorded_plan(ctx: Context) -> tuple[Any, RunView, Any] | None:
    """The store, the latest run and the plan it recorded (`plans/<digest>.json`), or None."""
    from gitorch.plan.model import Plan
    from gitorch.store import layout

    store = ctx.store
    run = latest_run(store.events())
    if run is None or not run.plan_digest:
        return None
    plan = layout.read_recorded_plan(store.read, run.plan_digest, Plan).value
    if plan is None:
        return None
    return store, latest_run(store.events(), plan) or run, plan


def _write_file(where: str, text: str, flag: str) -> None:
    """Write a file the user asked for; its folder is created (like `mkdir -p`) when missing."""
    path = Path(where)
    if path.is_dir():
        raise UsageError(f"{flag} {where}: is a directory", hint="name a file, e.g. REPORT.md")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        from gitorch.atomic import write_text

        write_text(path, text)  # never a half-written report where an old one was
    except OSError as exc:
        raise UsageError(f"{flag} {where}: cannot write it ({exc.strerror or exc})") from None
