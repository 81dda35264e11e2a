"""Commands of a run: run, resume, approve, status, next, context, explain, report."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

import typer

from gitorch.cli.output import emit_json, paint, paint_counts, say, warn
from gitorch.views.text import printable

if TYPE_CHECKING:
    from gitorch.context import Context
    from gitorch.engine.statusdoc import Status

FILE_OPT = typer.Option(None, "--file", "-f", help="Plan file (default: orchestrator.yml at the repo root).")
JSON_OPT = typer.Option(False, "--json", help="Machine-readable output.")


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
    from gitorch.agent.setup import agent_setup

    return agent_setup(loaded)


def _context(file: str | None, as_json: bool) -> Context:
    """The one Context of this command (see gitorch.context)."""
    from gitorch.context import build_context

    return build_context(file=file, json=as_json)


def _run(ctx: Context, opts: Any) -> None:
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
    if as_json:
        emit_json(summary.to_json())
    else:
        _render_summary(summary)
    if summary.exit_code:
        raise typer.Exit(summary.exit_code)


def run_command(
    file: str | None = FILE_OPT,
    task: list[str] = typer.Option([], "--task", "-t", help="Run this task and its dependencies."),
    all_tasks: bool = typer.Option(False, "--all", help="Run the whole DAG (the default)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Print the commands; run nothing."),
    resume: bool = typer.Option(False, "--resume", help="Continue the latest run."),
    jobs: int | None = typer.Option(None, "--jobs", "-j", min=1, help="Tasks at once (default: cores)."),
    keep_going: bool = typer.Option(False, "--keep-going", "-k", help="Go on after a failure."),
    no_build: bool = typer.Option(False, "--no-build", help="Skip the release build phase."),
    force: bool = typer.Option(False, "--force", help="Run tasks even when their inputs are unchanged."),
    dashboard: bool = typer.Option(False, "--dashboard", help="Also write TASKS.md to the work tree."),
    only: bool = typer.Option(False, "--only", help="Run exactly the --task tasks; their dependencies "
                                                    "must be completed already (CI jobs)."),
    claim: bool = typer.Option(False, "--claim", help="Run only the tasks you claimed (next --claim)."),
    remote: str = typer.Option("origin", "--remote", help="Where claims live (--claim)."),
    as_json: bool = JSON_OPT,
) -> None:
    """Run the plan's tasks in dependency order, up to -j at once."""
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

        return run_claimed(file, as_json, opts, remote, _run)
    _run(_context(file, as_json), opts)

def resume_command(
    file: str | None = FILE_OPT,
    jobs: int | None = typer.Option(None, "--jobs", "-j", min=1, help="Tasks at once (default: cores)."),
    keep_going: bool = typer.Option(False, "--keep-going", "-k", help="Go on after a failure."),
    no_build: bool = typer.Option(False, "--no-build", help="Skip the release build phase."),
    dashboard: bool = typer.Option(False, "--dashboard", help="Also write TASKS.md to the work tree."),
    as_json: bool = JSON_OPT,
) -> None:
    """Continue the latest run (after a crash, a fix, or an approval)."""
    from gitorch.engine.run import RunOptions

    _run(_context(file, as_json), RunOptions(resume=True, jobs=jobs, keep_going=keep_going,
                                             no_build=no_build, dashboard=dashboard or None,
                                             argv=sys.argv[1:], edit_step=edit_step))

def approve_command(
    gate: str = typer.Argument(..., help="The gate to approve, e.g. deploy."),
    task: str | None = typer.Option(None, "--task", "-t", help="Only this task's gate."),
    by: str | None = typer.Option(None, "--by", help="Who approves (default: git user.name)."),
    file: str | None = FILE_OPT,
    as_json: bool = JSON_OPT,
) -> None:
    """Approve a gate the latest run waits for (then `git orch resume`)."""
    from gitorch.engine.gates import approve, run_in_progress

    ctx = _context(file, as_json)
    given = approve(ctx, gate, task=task, by=by)
    if as_json:
        emit_json({"approved": [{"gate": a.gate, "task": a.task, "by": a.by, "commit": a.commit,
                                 "plan_digest": a.plan_digest, "inputs": a.inputs} for a in given]})
        return
    for a in given:
        say(f"approved {printable(a.gate)} for {printable(a.task or '')} by {printable(a.by)} "
            f"at {(a.commit or '')[:7]} (plan {a.plan_digest[:12]})")
    if run_in_progress(ctx.store):
        say("the run in progress picks the approval up within a second")
    else:
        say("continue with: git orch resume")

def status_command(file: str | None = FILE_OPT, as_json: bool = JSON_OPT) -> None:
    """Each task's state in the latest run, what blocks it, which gates wait."""
    from gitorch.engine.status import status

    doc = status(_context(file, as_json), notice=not as_json)
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


def next_command(
    file: str | None = FILE_OPT,
    claim: bool = typer.Option(False, "--claim", help="Claim the top ready task on --remote (exit 1: none)."),
    remote: str = typer.Option("origin", "--remote", help="Where claims live (--claim)."),
    ttl: float = typer.Option(900.0, "--ttl", help="Seconds a claim holds without renewal (--claim)."),
    limit: int = typer.Option(10, "--limit", metavar="N", min=0,
                              help="Show the top N ready tasks (0: every task and what others wait on)."),
    as_json: bool = JSON_OPT,
) -> None:
    """The task(s) ready to work on, ranked."""
    if claim:  # claims live in gitorch/ci (issue 18)
        from gitorch.cli.ci_cmd import next_claim

        return next_claim(file, remote, ttl, as_json)
    from gitorch.engine.status import next_tasks

    doc = next_tasks(_context(file, as_json), limit or None)
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

def context_command(task: str = typer.Argument(..., help="Task id."), file: str | None = FILE_OPT,
                    as_json: bool = JSON_OPT) -> None:
    """The minimal pack an agent needs for TASK."""
    from gitorch.agent.pack import context, render

    doc = context(_context(file, as_json), task)
    if as_json:
        emit_json(doc)
        return
    sys.stdout.write(render(doc))


def explain_command(task: str = typer.Argument(..., help="Task id."), file: str | None = FILE_OPT,
                    as_json: bool = JSON_OPT) -> None:
    """Why TASK would run or be skipped."""
    from gitorch.engine.explain import explain

    ctx = _context(file, as_json)
    doc = explain(ctx, task)
    if as_json:
        emit_json(doc)
        return
    say(f"{printable(doc.task)} would {_VERB.get(doc.action, doc.action)}:")
    for reason in doc.reasons:
        say(f"  - {printable(reason)}")
    _say_failure(doc.latest_failure, ctx.settings.state_branch)

def report_command(
    file: str | None = FILE_OPT,
    out: str | None = typer.Option(None, "--out", "-o", help="Write the Markdown report here."),
    junit: str | None = typer.Option(None, "--junit", help="Also write JUnit XML here."),
    as_json: bool = JSON_OPT,
) -> None:
    """The latest run's report: summary, durations, timeline, failures, approvals."""
    from gitorch.engine.status import report

    doc = report(_context(file, as_json), out, junit, notice=not as_json)
    for text in doc.warnings if not as_json else []:
        warn(f"git orch: warning: {text}")
    if as_json:
        emit_json(doc)
    elif out:
        say(f"wrote {out}" + (f" and {junit}" if junit else ""))
    else:
        sys.stdout.write(doc.report)


def register(app: typer.Typer) -> None:
    """Add this group's commands to the root app."""
    for name, command in (("run", run_command), ("resume", resume_command), ("approve", approve_command),
                          ("status", status_command), ("next", next_command), ("context", context_command),
                          ("explain", explain_command), ("report", report_command)):
        app.command(name)(command)
