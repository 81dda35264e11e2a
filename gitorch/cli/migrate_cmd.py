"""`git orch migrate` and `git orch plan import`: moving from the tools gitorch replaces
(thin: parse options, call gitorch.migrate, render its report)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from gitorch.errors import UsageError

if TYPE_CHECKING:
    from gitorch.migrate import Report, Status

_JSON = typer.Option(False, "--json", help="Machine-readable output.")


def migrate_command(
    dry_run: bool = typer.Option(False, "--dry-run", help="Show what would be imported (the "
                                 "migration's own decision, refusals included); change nothing."),
    rollback: bool = typer.Option(False, "--rollback", help="Revert the latest migration (a new "
                                  "commit) and restore legacy files it removed."),
    remove_legacy: bool = typer.Option(False, "--remove-legacy", help="Remove untracked legacy "
                                       "files whose bytes still match what was imported."),
    skip_bad: bool = typer.Option(False, "--skip-bad", help="Import the rest when some legacy "
                                  ".json files are not valid JSON."),
    strict: bool = typer.Option(False, "--strict", help="Refuse when any log line cannot be read "
                                "(by default it is skipped with a warning naming file and line)."),
    prefer: str = typer.Option(None, "--prefer", help="When legacy files changed since a "
                               "migration: legacy (import them) or state (keep the branch)."),
    as_json: bool = _JSON,
) -> None:
    """Import legacy state (workflow-orchestrator's .workflow_*, .orchestrator/, checkpoints,
    feedback; .codex/runs) in one commit: each workflow becomes an imported run."""
    from gitorch.cli.output import emit_json
    from gitorch.context import build_context
    from gitorch.migrate import migrate, remove
    from gitorch.migrate import rollback as do_rollback
    from gitorch.migrate import status as legacy_status

    if rollback and (dry_run or remove_legacy or skip_bad or prefer or strict):
        raise UsageError("--rollback cannot be combined with other migrate options")
    ctx = build_context(json=as_json)
    if rollback:
        report = do_rollback(ctx)
    elif remove_legacy and not dry_run and not (skip_bad or prefer or strict) and _migrated(
            legacy_status(ctx.repo)):
        report = remove(ctx)
    else:
        report = migrate(ctx, dry_run=dry_run, skip_bad=skip_bad, strict=strict, prefer=prefer,
                         remove_legacy=remove_legacy)
    if as_json:
        emit_json(report.to_json())
    else:
        _render(report)
    if report.refused is not None:
        raise typer.Exit(int(report.refused["exit_code"]))


def _migrated(st: Status) -> bool:
    return st.migration is not None and not st.changed


def _render(report: Report) -> None:
    from gitorch.cli.output import say, warn

    for f in report.files:
        note = f"  ! {f['problem']}" if f.get("problem") else ""
        say(f"  {f['path']}  {f['size']} bytes  {f['kind']}  {f['events']} events{note}")
    for run in report.runs:
        say(f"  run {run}")
    for s in report.skipped:
        say(f"  skipped {s['path']}: {s['reason']}")
    for w in report.warnings:
        warn(f"warning: {w}")
    for link in report.symlinks:
        say(f"  symlink {link}: reported, not followed")
    for ex in report.excluded:
        say(f"  not imported {ex}: secrets stay off the state branch (`git orch secrets set`)")
    for tree in report.worktrees:
        say(f"  worktree {tree}: a git work tree, not state; skipped")
    for f in report.foreign:
        say(f"  left alone {f['path']}: {f['reason']}")
    if report.event_types:
        say("  events: " + ", ".join(f"{k} {v}" for k, v in report.event_types.items()))
    for k in report.kept:
        say(f"  kept {k['path']}: {k['reason']}")
    for r in report.restored:
        say(f"  restored {r}")
    say(report.message)
    if report.refused and report.refused.get("hint"):
        say(f"  hint: {report.refused['hint']}")


def plan_import_command(
    source: Path = typer.Argument(..., help="A workflow-orchestrator workflow.yaml."),
    out: Path = typer.Option(None, "--out", "-o", help="Write the plan here (default: print it)."),
    force: bool = typer.Option(False, "--force", help="Replace --out if it exists."),
    as_json: bool = _JSON,
) -> None:
    """Convert a workflow-orchestrator workflow.yaml into a gitorch plan (validated) and list
    what did not map, with the reason."""
    from gitorch.cli.output import emit_json, say, warn
    from gitorch.migrate.import_cmd import import_workflow

    result = import_workflow(source, out, force=force)
    if as_json:
        emit_json(result)
        return
    if out is None:
        say(result["text"].rstrip("\n"))
    for item in result["unmapped"]:
        warn(f"not mapped: {item['where']}: {item['what']} ({item['why']})")
    where = f"wrote {out}" if out is not None else "plan above"
    warn(f"{where}: {result['tasks']} tasks from {result['source']} ({result['kind']} workflow), "
         f"{len(result['gates'])} gates, {len(result['unmapped'])} things not mapped; "
         "the plan validates")


def register(app: typer.Typer) -> None:
    """Add `migrate` to the root app (`plan import` is registered by the plan group)."""
    app.command("migrate")(migrate_command)
