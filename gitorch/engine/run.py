"""A run: load the plan, decide what to run, run up to -j tasks at once, record it.

`execute(ctx, opts, progress)` is what `git orch run` and `git orch resume` call. It takes
the run lock, reads what earlier runs left (after the lock: a run that just ended is seen),
begins or resumes the run (start.py), drives its tasks (driver.py) and records its end
(finish.py). It returns a `RunResult` (the CLI renders it and exits with its code); it raises
OrchError only for bad input (exit 2) or a held lock (exit 4). The dry run is in dryrun.py.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from gitorch import events as ev
from gitorch.engine.runtypes import Progress, RunOptions, RunResult, Silent
from gitorch.engine.setup import Loaded, load, selection_of, task_inputs
from gitorch.engine.start import new_run_id

if TYPE_CHECKING:
    from gitorch.context import Context

__all__ = ["Progress", "RunOptions", "RunResult", "Silent", "execute", "new_run_id"]


def execute(ctx: Context, opts: RunOptions, progress: Progress | None = None) -> RunResult:
    """Run (or resume) the plan as `opts` asks; see the module docstring."""
    lp = load(ctx, run_plan=opts.resume, prefetch="run")
    _take_reader(ctx, lp)
    selection_of(lp, opts.tasks)  # an unknown --task id: exit 2 before anything starts
    if opts.only:
        from gitorch.engine.only import check_only

        check_only(lp, opts.tasks, opts.run_id)
    if not opts.dry_run:
        # Refuse before any command runs, not at the first write after the work is done.
        from gitorch.store.statebranch import check_not_checked_out

        check_not_checked_out(lp.store.repo.common_dir, lp.store.ref)
    with lp.store.lock("run", timeout=lp.settings.lock_timeout) as held:
        # what was read before the lock may be stale: a run of this plan that held the lock
        # has ended since (a resume must see it completed, never run its tasks again)
        lp.__dict__.pop("events", None)
        if held.waited:
            _forget_work_tree(lp)
        result = _session(lp, opts, progress or Silent())
    if _wants_sync(lp):
        result.sync = sync_state(lp)
    return result


def _forget_work_tree(lp: Loaded) -> None:
    """Drop the work-tree listing, HEAD and git's config read before the lock: while another
    run held it, its commands or the user may have changed files or moved HEAD, and a listing
    from before would skip a task whose inputs changed. All are read again when first needed."""
    reader = lp.__dict__.pop("worktree", None)
    if reader is not None:
        reader.close()
    started = lp.__dict__.pop("_head_proc", None)
    if started is not None:
        started.communicate()
    lp.__dict__.pop("head", None)
    from gitorch import earlyconfig  # the store's config keys: read again too

    earlyconfig.forget()


def _take_reader(ctx: Context, lp: Loaded) -> None:
    """The state store (CLI backend) reads through the `git cat-file --batch` the entry point
    started (engine/prestart) when that ran in this command's directory, whose repository
    the store's is: its first answer does not wait for git to start. Else it is stopped."""
    from gitorch.engine import prestart

    proc = prestart.reader_for(ctx.cwd)
    if proc is None:
        return
    store = lp.store
    same = ctx.given_repo is None and store.repo is ctx.repo
    if not same or store.choice.name != "cli":  # pygit2 reads in-process: no git needed
        prestart.stop_reader(proc)
        return
    adopt = getattr(store.backend, "adopt_reader", None)  # "auto" may have fallen back
    if adopt is None or str(store.repo.git_dir) != getattr(store.backend, "git_dir", None):
        prestart.stop_reader(proc)
        return
    adopt(proc)


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
    from gitorch.engine.signals import session

    # one handler from the first record to the end: a Ctrl-C or SIGTERM between the loop's
    # sections and the end's is noted for the next one, never lost nor fatal (signals.py)
    with session():
        d.rec.add(opening)
        _record_plan(d)
        d.rec.boundary()
        progress.start(d.run_id, len(d.sched.state), done=len(start.done))
        try:
            return finish(d, _drive_tasks(d))
        except Exception as exc:  # a bug: the run is recorded failed, never left "running"
            _record_crash(d, exc)
            raise


def _drive_tasks(d: Any) -> str:
    """Skip every task when none changed, else run the loop: "ended" or "interrupted"."""
    from gitorch.engine.signals import interrupts_deferred
    from gitorch.engine.skipall import skip_all  # every task unchanged: no loop (issue 15 P2)

    try:
        with interrupts_deferred() as got:  # quick, and no command: a signal waits
            skipped = skip_all(d)
        if got:
            return "interrupted"
        if skipped:
            return "ended"
        from gitorch import collector  # commands run: their garbage is collected (cli/entry)

        collector.resume()
        return d.loop()
    except KeyboardInterrupt:  # outside the loop's own stop (before it took over)
        return "interrupted"


def _record_plan(d: Any) -> None:
    from gitorch.store import layout

    path = layout.plan_path(d.lp.digest)
    if d.store.blob_id(path) is None:  # asked of the tree: the plan (~400 kB at 1,000 tasks) is not read
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


