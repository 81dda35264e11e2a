"""Commands of a run: run, resume, approve, status, next, context, explain, report.

The hot ones (run, status, next, explain) declare their options here and call their body in
gitorch.cli.lean_run, which the lean start-up path (gitorch.cli.lean) calls too."""

from __future__ import annotations

import sys

import typer

from gitorch.cli import lean_run
from gitorch.cli.lean_run import command_context as _context
from gitorch.cli.lean_run import execute as _run
from gitorch.cli.output import emit_json, say, warn
from gitorch.views.text import printable

FILE_OPT = typer.Option(None, "--file", "-f", help="Plan file (default: orchestrator.yml at the repo root).")
JSON_OPT = typer.Option(False, "--json", help="Machine-readable output.")


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
    lean_run.run(file=file, task=task, all_tasks=all_tasks, dry_run=dry_run, resume=resume, jobs=jobs,
                 keep_going=keep_going, no_build=no_build, force=force, dashboard=dashboard, only=only,
                 claim=claim, remote=remote, as_json=as_json)

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
                                             argv=sys.argv[1:], edit_step=lean_run.edit_step))

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
    lean_run.status(file=file, as_json=as_json)


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
    lean_run.next_ready(file=file, claim=claim, remote=remote, ttl=ttl, limit=limit, as_json=as_json)


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
    lean_run.explain(task=task, file=file, as_json=as_json)


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
