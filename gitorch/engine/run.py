"""A run: load the plan, decide what to run, run up to -j tasks at once, record it.

`execute(ctx, opts, progress)` is what `git orch run` and `git orch resume` call. It takes
the run lock, reads what earlier runs left (after the lock: a run that just ended is seen),
begins or resumes the run (start.py), drives its tasks (driver.py) and records its end
(finish.py). It returns a `RunResult` (the CLI renders it and exits with its code); it raises
OrchError only for bad input (exit 2) or a held lock (exit 4). The dry run is in dryrun.py.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from gitorch import events as ev
from gitorch.engine.setup import Loaded, load, selection_of, task_inputs
from gitorch.engine.start import new_run_id

if TYPE_CHECKING:
    from gitorch.context import Context

__all__ = ["Progress", "RunOptions", "RunResult", "Silent", "execute", "new_run_id"]


@dataclass
class RunOptions:
    """What `git orch run` was asked."""

    tasks: list[str] = field(default_factory=list)
    all: bool = False
    dry_run: bool = False
    resume: bool = False
    jobs: int | None = None
    keep_going: bool = False
    no_build: bool = False
    force: bool = False
    dashboard: bool | None = None
    argv: list[str] = field(default_factory=list)
    only: bool = False  # exactly `tasks`; their dependencies must be done already (gitorch/engine/only.py)
    run_id: str | None = None  # the CI run's id, shared by all its jobs (else a new one)


@dataclass
class RunResult:
    """How a session of a run ended, for rendering and the exit code (not the per-run record
    on the state branch, which is store/layout.RunSummary)."""

    run: str
    status: str  # completed | failed | paused | interrupted
    exit_code: int
    counts: dict[str, int]
    # {"task", "reason"} and, for a failed command, "excerpt" (its last lines, redacted) and
    # "log" (branch:path of its whole output)
    failures: list[dict[str, str]] = field(default_factory=list)
    awaiting: list[dict[str, str]] = field(default_factory=list)
    waiting: list[dict[str, str]] = field(default_factory=list)
    plan_changes: list[str] = field(default_factory=list)
    stale_approvals: list[dict[str, str]] = field(default_factory=list)  # given, but no longer apply
    duration: float = 0.0
    commit: str | None = None
    resumed: bool = False
    build: str | None = None  # completed | failed when the build phase ran
    tree: str | None = None  # the verified tree when the work tree had uncommitted changes
    dirty: int = 0  # how many files differed from HEAD (0: HEAD itself was verified)
    noted: bool = False  # the result note was put on `commit`
    # after a run with sync_after_run (or portable state on an ephemeral machine):
    # {"remote", "pushed", "state"} when the state was pushed, {"error"} when it could not be
    sync: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "run": self.run, "status": self.status, "exit_code": self.exit_code,
            "counts": self.counts, "failures": self.failures, "awaiting": self.awaiting,
            "waiting": self.waiting, "plan_changes": self.plan_changes,
            "stale_approvals": self.stale_approvals,
            "duration": round(self.duration, 3), "commit": self.commit, "resumed": self.resumed,
            "build": self.build, "sync": self.sync, "tree": self.tree, "dirty": self.dirty,
            "noted": self.noted,
        }


class Progress(Protocol):
    """What a run tells the terminal as it goes (gitorch.views.progress.Progress)."""

    def start(self, run: str, total: int, done: int = 0) -> None: ...
    def task_started(self, task_id: str) -> None: ...
    def task_finished(self, task_id: str, state: str, duration: float) -> None: ...
    def close(self) -> None: ...


class Silent:
    """No progress at all (tests, library use)."""

    def start(self, run: str, total: int, done: int = 0) -> None:
        pass

    def task_started(self, task_id: str) -> None:
        pass

    def task_finished(self, task_id: str, state: str, duration: float) -> None:
        pass

    def close(self) -> None:
        pass


def execute(ctx: Context, opts: RunOptions, progress: Progress | None = None) -> RunResult:
    """Run (or resume) the plan as `opts` asks; see the module docstring."""
    lp = load(ctx, run_plan=opts.resume, prefetch="run")
    selection_of(lp, opts.tasks)  # an unknown --task id: exit 2 before anything starts
    if opts.only:
        from gitorch.engine.only import check_only

        check_only(lp, opts.tasks, opts.run_id)
    if not opts.dry_run:
        # Refuse before any command runs, not at the first write after the work is done.
        from gitorch.store.statebranch import check_not_checked_out

        check_not_checked_out(lp.store.repo.common_dir, lp.store.ref)
    with lp.store.lock("run", timeout=lp.settings.lock_timeout):
        # what was read before the lock may be stale: a run of this plan that held the lock
        # has ended since (a resume must see it completed, never run its tasks again)
        lp.__dict__.pop("events", None)
        result = _session(lp, opts, progress or Silent())
    if _wants_sync(lp):
        result.sync = sync_state(lp)
    return result


def _session(lp: Loaded, opts: RunOptions, progress: Progress) -> RunResult:
    """One session of a run under the lock: begin or resume, drive, finish."""
    from gitorch.engine.driver import RunDriver
    from gitorch.engine.finish import finish
    from gitorch.engine.history import History, history_from_watch, read_history
    from gitorch.engine.start import choose, opening_events

    gated_plan = any(lp.plan.gates_for(t) for t in lp.plan.tasks)
    # a plain run without gates needs only each task's last pass: watch.json has it,
    # so the events (which grow with every run) are not read at all
    fast = None if opts.resume or gated_plan else history_from_watch(lp)
    history: History = fast or read_history(lp)
    latest = history.latest_run() if opts.resume else None
    start = choose(lp, opts, latest)
    if start is None:  # resume of a run that completed: nothing to continue
        return _already_completed(latest)
    selection = set(start.targets) if opts.only else selection_of(lp, start.targets, opts.all)
    inputs = task_inputs(lp)
    from gitorch.engine.verified import verify

    verified = verify(lp, inputs)  # refuse_dirty: exit 1 before anything is recorded
    jobs = max(1, opts.jobs or lp.settings.jobs or os.cpu_count() or 1)
    opening = opening_events(lp, start, opts, lp.head, jobs, selection, inputs, verified)
    d = RunDriver(lp, opts, progress, history, start, inputs, selection)
    d.verified = verified
    d.rec.add(opening)
    _record_plan(d)
    d.rec.boundary()
    progress.start(d.run_id, len(d.sched.state), done=len(start.done))
    try:
        loop = d.loop()
        return finish(d, loop)
    except Exception as exc:  # a bug: the run is recorded failed, never left "running"
        _record_crash(d, exc)
        raise


def _record_plan(d: Any) -> None:
    from gitorch.store import layout

    path = layout.plan_path(d.lp.digest)
    if not d.store.read(path):
        import msgspec

        d.rec.add_files({path: msgspec.json.encode(d.plan)})


def _record_crash(d: Any, exc: Exception) -> None:
    """The run's end after an internal error: failed (the CLI prints the error itself)."""
    import contextlib

    with contextlib.suppress(Exception):  # recording must not hide the error itself
        d.rec.add([ev.Completed(run=d.run_id, status="failed", failures=[])])
        d.rec.flush()


def _already_completed(latest: Any) -> RunResult:
    from gitorch.errors import EXIT_OK

    counts: dict[str, int] = {}
    for t in latest.tasks.values():
        counts[t.state] = counts.get(t.state, 0) + 1
    return RunResult(run=latest.id, status="completed", exit_code=EXIT_OK, counts=counts,
                     commit=latest.commit, resumed=False)


def _wants_sync(lp: Loaded) -> bool:
    """sync_after_run, or portable state on a machine that will not outlive the session."""
    if lp.settings.sync_after_run:
        return True
    if not lp.settings.portable:
        return False
    from gitorch.ephemeral import detect

    return detect() is not None


def sync_state(lp: Loaded) -> dict[str, Any]:
    """Push the state branch and notes (`git orch sync`); a failure is reported, not raised:
    the run itself is recorded locally either way."""
    from gitorch.errors import OrchError
    from gitorch.store.sync import sync

    try:
        result = sync(lp.store)
    except OrchError as exc:  # git's own message can run to several lines: the first says it
        return {"error": (str(exc).strip().splitlines() or ["sync failed"])[0]}
    return {"remote": result.remote, "pushed": result.pushed, "state": result.merge.state}


