"""How a session of a run ends: the release build (only when everything selected is done and
no gate waits), the last events, TASKS.md, watch.json, the note on the verified commit, and the
`RunResult` the CLI renders."""

from __future__ import annotations

import contextlib
import os
import time
from typing import TYPE_CHECKING, Any

from gitorch import events as ev
from gitorch.engine.signals import interrupts_deferred, sigterm_as_interrupt
from gitorch.errors import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, EXIT_PAUSED
from gitorch.store import layout

if TYPE_CHECKING:
    from pathlib import Path

    from gitorch.engine.driver import RunDriver
    from gitorch.engine.runner import RunContext, Steps
    from gitorch.engine.runtypes import RunResult
    from gitorch.views.fold import RunView
    from gitorch.views.states import RunStatus


def failures_of(d: RunDriver) -> list[dict[str, str]]:
    """Each failed task with its reason, the end of its failing command's output and the
    state-branch path of the whole output."""
    out: list[dict[str, str]] = []
    failed = d.sched.in_state("failed")
    if failed:  # a run where nothing failed (a re-run that skips all) does without the module
        from gitorch.engine.failures import failing_command, last_lines
    for tid in failed:
        res = d.results.get(tid)
        item = {"task": tid, "reason": res.reason if res else ""}
        cmd = failing_command(res.events, d.run_id, tid) if res else None
        if cmd is not None and cmd.excerpt:
            item["excerpt"] = last_lines(cmd.excerpt)
        if cmd is not None and cmd.log:
            item["log"] = f"{d.store.branch}:{cmd.log}"
        out.append(item)
    return out


def build_due(d: RunDriver) -> bool:
    """The release build runs after the last gate, not before: every selected task completed
    or skipped, at least one code-changing task completed in this run (any session of it)."""
    release = d.plan.project.build.release
    if d.opts.no_build or not release or d.sched.halted:
        return False
    states = d.sched.state
    if any(s not in ("completed", "skipped") for s in states.values()):
        return False
    return any(d.lp.by_id[t].type == "code_change" and s == "completed" for t, s in states.items())


def run_build(d: RunDriver) -> dict[str, str] | None:
    """The release build; its failure, or None."""
    from gitorch.engine.runcontext import build_task

    res, stopped = drive(build_task(d.ctx, d.plan.project.build.release or ""), d.ctx)
    if res is not None:
        d.rec.add(res.events, res.files)
    if stopped:  # its command recorded as stopped, as the loop records a stopped task's
        d.build = "interrupted"
        raise KeyboardInterrupt
    d.build = res.outcome
    return None if res.outcome == "completed" else {"task": "(build)", "reason": res.reason}


def finish(d: RunDriver, loop: str) -> RunResult:
    """Record the end of this session and say how it went."""
    from gitorch.engine.runtypes import RunResult

    with interrupts_deferred() as got:  # one now is recorded, not lost with the run "running"
        d.rec.release_journal()  # the loop's last round may hold it: the build may take long
        sched = d.sched
        failures = failures_of(d)
        blocked = sched.in_state("blocked")
        waiting = [{"task": t, "reason": d.results[t].reason} for t in sched.in_state("waiting")]
        awaiting = [{"task": a["task"], "gate": a["gate"]} for a in d.awaiting()]
        due = loop != "interrupted" and build_due(d)
    if got:
        loop = "interrupted"
    if loop != "interrupted" and due:
        try:  # a Ctrl-C or SIGTERM stops the build as the loop stops a task's commands
            with sigterm_as_interrupt():
                build_failure = run_build(d)
        except KeyboardInterrupt:
            loop, build_failure = "interrupted", None
        if build_failure:
            failures.append(build_failure)
    noted = False
    status: RunStatus
    with interrupts_deferred():  # the end (events, dashboard, note) is recorded whole
        if loop == "interrupted":
            status, code = "interrupted", EXIT_INTERRUPTED
            d.rec.add([ev.Interrupted(run=d.run_id, reason="interrupted (Ctrl-C or SIGTERM)")])
        else:
            status, code = _verdict(failures, blocked, sched.halted, awaiting, waiting)
            d.rec.add([ev.Completed(run=d.run_id, status=status, failures=[f["task"] for f in failures],
                                    duration=round(time.monotonic() - d.t0, 3))])
        d.rec.boundary()
        noted = publish(d)
        d.progress.close()
    counts: dict[str, int] = {}
    for s in sched.state.values():
        s2 = "in_progress" if s == "waiting" else s
        counts[s2] = counts.get(s2, 0) + 1
    stale = [{"task": a["task"], "gate": a["gate"], "reason": why}
             for a in awaiting for why in d.stale.get(a["task"], [])]
    return RunResult(
        run=d.run_id, status=status, exit_code=code, counts=counts, failures=failures,
        awaiting=awaiting, waiting=waiting, plan_changes=d.start.changes, stale_approvals=stale,
        duration=time.monotonic() - d.t0, commit=d.commit, resumed=d.start.resumed, build=d.build,
        tree=d.verified.tree, dirty=len(d.verified.files), noted=noted,
    )


def _verdict(failures: list[Any], blocked: list[str], halted: bool, awaiting: list[Any],
             waiting: list[Any]) -> tuple[RunStatus, int]:
    if failures or blocked or halted:
        return "failed", EXIT_FAILED
    if awaiting or waiting:
        return "paused", EXIT_PAUSED
    return "completed", EXIT_OK


def publish(d: RunDriver) -> bool:
    """The last flush: TASKS.md, watch.json; the result note on HEAD when its tree is the
    verified tree (never on a commit the run did not verify). Whether the note was put."""
    from gitorch.engine.verified import changed_since_start

    # no command runs any more: git compares the work tree with the commit (for the note)
    # while this process folds the run and commits it
    ran = bool(d.results) or d.build is not None  # a command of this session ran
    changed = changed_since_start(d.lp, d.commit, ran=ran) if d.commit else None
    try:
        view = _last_flush(d)
    finally:
        edited = changed() if changed is not None else False  # git is reaped, whatever happened
    if view is None or not d.commit:
        return False
    from gitorch.engine.verified import head_tree_is
    from gitorch.views.note import render_note

    if edited or not head_tree_is(d.lp, d.commit, d.verified.tree):
        return False
    with contextlib.suppress(Exception):  # a note is a courtesy; never fail a run on it
        d.store.add_note(d.commit, render_note(view))
        return True
    return False


def _last_flush(d: RunDriver) -> RunView | None:
    """Fold the run, render TASKS.md, commit the last events with it and watch.json."""
    from gitorch.views.dashboard import render_dashboard
    from gitorch.views.fold import latest_run

    run_events = [e for e in d.history.events
                  if e.run == d.run_id or isinstance(e, ev.Approved)] + d.rec.new
    view = latest_run(run_events, d.plan)
    files: dict[str, bytes | None] = {}
    if view is not None:
        dashboard = render_dashboard(view, d.plan, laid_out=True)  # folded with d.plan
        files[layout.DASHBOARD] = dashboard.encode()
        want = d.opts.dashboard if d.opts.dashboard is not None else d.lp.settings.dashboard
        if want:
            from gitorch.atomic import write_text

            write_text(d.lp.repo_root / layout.DASHBOARD, dashboard)
    final = d.watch.final_files(d.awaiting())
    if layout.WATCH in final:  # what every flush adds, and the index: encoded once, not twice
        d.rec.files_at_flush = dict
    files.update(final)
    d.rec.flush(files)
    remove_output(d.lp.repo.scratch / "out" / d.run_id)  # the commands' output, now on the branch
    return view


def remove_output(folder: Path) -> None:
    """Remove a run's output folder: the few files its commands wrote to (flat), then the
    folder; anything else in it goes through shutil.rmtree, whose import (bz2, lzma: ~5-10 ms
    at the end of every run) the usual case does without. Nothing there: nothing to do."""
    try:
        with os.scandir(folder) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    raise IsADirectoryError(entry.path)
                os.unlink(entry.path)
        os.rmdir(folder)
    except FileNotFoundError:
        return
    except OSError:
        import shutil

        shutil.rmtree(folder, ignore_errors=True)


def _told_stopped(gen: Steps, outcome: Any) -> Any:
    """The result of a generator stopped at its command (`outcome`: how the command ended;
    None when none ran): sent in, it records the command and ends. One the interrupt reached
    inside its own code has ended already (None)."""
    try:
        gen.send(outcome)
    except StopIteration as stop:
        return stop.value
    gen.close()  # it asked for more although stopping: nothing runs
    return None


def drive(gen: Steps, ctx: RunContext) -> tuple[Any, bool]:
    """Run one task generator to its end on its own (the build phase): its result, and whether
    a Ctrl-C or SIGTERM stopped it (its command stopped and the generator told so, as the loop
    tells a task: the result then holds the stopped command's event; None if it had none)."""
    from gitorch.engine.process import Children, CommandOutcome
    from gitorch.engine.runner import Sleep

    children = Children()
    cwd = os.getcwd()
    value: Any = None
    req: Any = None
    try:
        while True:
            try:  # `value` is cleared once handed on: an outcome in it is one not heard yet
                req, value = gen.send(value), None
            except StopIteration as stop:
                return stop.value, False
            if isinstance(req, Sleep):
                time.sleep(req.seconds)
                value = None
                continue
            started = children.spawn(req.cmd, cwd=req.cwd, env=req.env, log_path=req.log_path,
                                     timeout=req.timeout, key="build")
            if isinstance(started, CommandOutcome):
                value = started
                continue
            done: list[tuple[Any, CommandOutcome]] = []
            while not done:
                done = children.wait(None)
            value = done[0][1]
    except KeyboardInterrupt:  # in its own session, the command does not get a terminal's Ctrl-C
        with interrupts_deferred():  # a second Ctrl-C does not cut the stop short (SIGKILL)
            ctx.stopping = True
            stopped = children.stop_all()
            out = stopped[0][1] if stopped else value  # the stopped one's, or one not heard yet
            if out is None and req is not None and not isinstance(req, Sleep):
                # it waits for a command that is not running (not started yet): told so
                out = CommandOutcome(None, 0.0, False, 0, "interrupted before start")
            return _told_stopped(gen, out), True
    finally:
        children.restore_cwd(cwd)
        children.close()
