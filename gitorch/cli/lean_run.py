"""The bodies of the hot run commands (run, status, next, explain), free of typer.

run_cmd's typer commands declare the options and call these functions; the lean start-up
path (gitorch.cli.lean) calls the same functions with the same arguments without importing
typer, so both paths share one body per command.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

from gitorch.cli.output import emit_json, paint, paint_counts, say, warn
from gitorch.views.text import printable

if TYPE_CHECKING:
    from gitorch.context import Context
    from gitorch.engine.statusdoc import Status


def _render_summary(summary: Any) -> None:
    counts = paint_counts(summary.counts) or "no tasks"
    for change in summary.plan_changes:
        say(f"plan changed since the run started: {printable(change)}")
    say(f"run {summary.run} {summary.status}: {counts} ({summary.duration:.1f}s)")
    if summary.dirty:
        say(f"  verified{_dirty_words(summary.dirty, summary.tree)}; no note on "
            f"{(summary.commit or 'HEAD')[:7]} (its tree is not what was verified)")
    if summary.build:
        say(f"  release build {summary.build}")
    for f in summary.failures:
        say(f"  {paint('FAILED', 'failed')} {printable(f['task'])}: {printable(f['reason'])}")
        _say_output(f.get("excerpt", ""), f.get("log", ""))
    blocked = summary.counts.get("blocked", 0)
    if blocked:
        say(f"  {blocked} task{'s' if blocked != 1 else ''} blocked by the failures")
    for a in summary.awaiting:
        task, gate = printable(a["task"]), printable(a["gate"])
        say(f"  {task} {paint('waits', 'waits')} for approval of gate {gate}: "
            f"git orch approve {gate} --task {task}, then git orch resume")
    for s in summary.stale_approvals:
        say(f"    {printable(s['reason'])} (`git orch explain {printable(s['task'])}` says what changed)")
    for w in summary.waiting:
        say(f"  {printable(w['task'])} {paint('waits', 'waits')} for its acceptance "
            f"({printable(w['reason'])}); `git orch resume` re-checks it")
    if summary.sync is not None:
        if "error" in summary.sync:
            warn(f"git orch: warning: the state was not synced: {summary.sync['error']}"
                 " (it is kept locally; run `git orch sync` later)")
        else:
            say(f"state synced with {summary.sync['remote']}"
                + (" (pushed)" if summary.sync["pushed"] else " (nothing to push)"))


def _dirty_words(dirty: int, tree: str | None) -> str:
    """" + uncommitted changes in 2 files (tree 1a2b3c4)" for a dirty run, else ""."""
    if not dirty:
        return ""
    where = f" (tree {tree[:12]})" if tree else ""
    return f" + uncommitted changes in {dirty} file{'s' if dirty != 1 else ''}{where}"


_VERB = {"await_approval": "wait for approval", "waiting_on": "wait", "blocked": "be blocked"}


def _say_output(excerpt: str, log: str) -> None:
    """The end of a failing command's output (redacted when recorded) and where the rest is."""
    for line in excerpt.splitlines():
        say(f"    | {printable(line)}")
    if log:
        say(f"    full output: git show {log}")


def _say_failure(failure: Any, branch: str) -> None:
    """The latest failure of a task: its reason, the end of its output, where the rest is."""
    if failure is None:
        return
    say(f"  latest failure (run {failure.run}): {printable(failure.reason)}")
    _say_output(failure.excerpt, f"{branch}:{failure.log}" if failure.log else "")


def edit_step(loaded: Any) -> Any:
    """Who does agent tasks' edit steps in this run: the configured agent command, or None
    (docs/agents.md). Handed to the engine, which never imports gitorch.agent."""
    plan = loaded.plan
    if not any(plan.agent_does(t) for t in plan.tasks):
        return None  # agent_setup's first answer, without importing gitorch.agent
    from gitorch.agent.setup import agent_setup

    return agent_setup(loaded)


def command_context(file: str | None, as_json: bool) -> Context:
    """The one Context of this command (see gitorch.context); its find_repo takes the entry
    point's early `git rev-parse` (repo.start_early) when that ran in this folder."""
    from gitorch.context import build_context

    return build_context(file=file, json=as_json)


# The exit code of the run being shown, known before its summary is written: a reader that
# leaves while it is written (cli/lean_guard.failed) does not turn a failed run into 0
known_exit_code = 0


def forget_outcome() -> None:
    """Forget the run's code (cli/entry, at the command's end): the next command's is its own."""
    global known_exit_code
    known_exit_code = 0


def execute(ctx: Context, opts: Any) -> None:
    """Run (or dry-run) the plan with `opts` and render the summary; exit with the run's code."""
    as_json = ctx.json
    if opts.dry_run:
        from gitorch.engine.dryrun import dry_run, print_dry_run

        doc = dry_run(ctx, opts)
        if as_json:
            emit_json(doc)
        else:
            print_dry_run(doc)
        return
    from gitorch.engine import run as engine
    from gitorch.views.progress import Progress

    progress = Progress(json_mode=as_json)
    summary = engine.execute(ctx, opts, progress)
    global known_exit_code
    known_exit_code = summary.exit_code  # also when the reader leaves while the summary is written
    if as_json:
        emit_json(summary.to_json())
    else:
        _render_summary(summary)
    if summary.exit_code:
        raise SystemExit(summary.exit_code)  # as typer.Exit would end the process


def run(file: str | None, task: list[str], all_tasks: bool, dry_run: bool, resume: bool, jobs: int | None,
        keep_going: bool, no_build: bool, force: bool, dashboard: bool, only: bool, claim: bool, remote: str,
        as_json: bool) -> None:
    """`git orch run`: run the plan's tasks in dependency order, up to -j at once."""
    from gitorch.engine.run import RunOptions

    if task and all_tasks:
        from gitorch.errors import UsageError

        raise UsageError("--task and --all exclude each other")
    opts = RunOptions(tasks=list(dict.fromkeys(task)), all=all_tasks, dry_run=dry_run,
                      resume=resume, jobs=jobs, keep_going=keep_going, no_build=no_build, force=force,
                      dashboard=dashboard or None, argv=sys.argv[1:], only=only, edit_step=edit_step)
    if only:
        from gitorch.cirun import ci_run

        ci = ci_run()
        opts.run_id = ci.id if ci else None
    if claim:  # claims live in gitorch/ci (issue 18)
        from gitorch.cli.ci_cmd import run_claimed

        return run_claimed(file, as_json, opts, remote, execute)
    execute(command_context(file, as_json), opts)


def status(file: str | None, as_json: bool) -> None:
    """`git orch status`: each task's state in the latest run."""
    from gitorch.engine.status import status as status_doc

    doc = status_doc(command_context(file, as_json), notice=not as_json)
    if as_json:
        emit_json(doc)
        return
    _say_status(doc)


def _say_status(doc: Status) -> None:
    run = doc.run
    if run is None:
        n = len(doc.tasks)
        say(f"no run yet ({n} task{'s' if n != 1 else ''} pending); start one with `git orch run`")
    else:
        changed = " (the plan changed since)" if run.plan_changed else ""
        say(f"run {run.id}: {paint(run.status, run.status)}{changed}, {run.duration:.1f}s, "
            f"commit {(run.commit or '-')[:7]}" + _dirty_words(run.dirty, run.tree)
            + (f" — {printable(run.title)}" if run.title else ""))
    for t in doc.tasks:
        extra = ""
        if t.gate:
            extra = f" — waits for gate {t.gate}"
        elif t.blocked_by:
            extra = f" — blocked by {', '.join(t.blocked_by)}"
        elif t.reason and (t.state in ("failed", "in_progress") or t.reason.startswith("cached:")):
            extra = f" — {t.reason}"
        elif t.waiting_on and run is not None:
            extra = f" — after {', '.join(t.waiting_on)}"
        dur = f" {t.duration:.2f}s" if t.duration else ""
        # names, gates and reasons come from the state branch (any clone): shown escaped
        say(f"  {paint(f'{t.state:<17}', t.state)} {printable(t.id)}{dur}{printable(extra)}")


def next_ready(file: str | None, claim: bool, remote: str, ttl: float, limit: int, as_json: bool) -> None:
    """`git orch next`: the task(s) ready to work on, ranked."""
    if claim:  # claims live in gitorch/ci (issue 18)
        from gitorch.cli.ci_cmd import next_claim

        return next_claim(file, remote, ttl, as_json)
    from gitorch.engine.status import next_tasks

    doc = next_tasks(command_context(file, as_json), limit or None)
    if as_json:
        emit_json(doc)
        return
    if not doc.ready:
        say("nothing is ready" + (f"; later: {', '.join(t.task for t in doc.later)}"
                                  if doc.later else ": everything is done or waits for a gate"))
    for t in doc.ready:
        say(f"{t.task}: {t.title} ({t.state})" if t.title else f"{t.task} ({t.state})")
    if doc.ready_count > len(doc.ready):
        say(f"… and {doc.ready_count - len(doc.ready)} more ready (--limit 0 lists every task)")


def explain(task: str, file: str | None, as_json: bool) -> None:
    """`git orch explain TASK`: why TASK would run or be skipped."""
    from gitorch.engine.explain import explain as explain_doc

    ctx = command_context(file, as_json)
    doc = explain_doc(ctx, task)
    if as_json:
        emit_json(doc)
        return
    say(f"{printable(doc.task)} would {_VERB.get(doc.action, doc.action)}:")
    for reason in doc.reasons:
        say(f"  - {printable(reason)}")
    _say_failure(doc.latest_failure, ctx.settings.state_branch)
