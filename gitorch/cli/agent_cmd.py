"""Commands for agents: `diff` (an edit step's patches) and `mcp` (the MCP server)."""

from __future__ import annotations

import sys

import typer

from gitorch.cli.output import emit_json, say
from gitorch.words import plural

JSON_OPT = typer.Option(False, "--json", help="Machine-readable output.")


def diff_command(
    task: str = typer.Argument(..., metavar="TASK", help="Task id."),
    attempt: int | None = typer.Option(None, "--attempt", metavar="N",
                                       help="Which attempt (default: the last)."),
    as_json: bool = JSON_OPT,
) -> None:
    """Show the patch an agent made for TASK in its latest run."""
    from gitorch.agent.diffs import task_patch
    from gitorch.context import build_context

    patch = task_patch(build_context(json=as_json), task, attempt)
    if as_json:
        emit_json(patch.__dict__)
        return
    files = plural(len(patch.paths), "file")
    stage = {"held": " (held for apply_patch)", "applied": " (applied after approval)"}.get(patch.stage, "")
    say(f"# run {patch.run}, task {patch.task}, attempt {patch.attempt} of {patch.attempts}{stage}: "
        f"{files}, +{patch.added} -{patch.removed}")
    if patch.reverted:
        say(f"# undone (forbidden paths): {', '.join(patch.reverted)}")
    sys.stdout.write(patch.diff)


def mcp_command() -> None:
    """Serve next, context, run_task, status and report to an agent over MCP (stdio)."""
    from gitorch.agent.mcp_server import serve

    serve()


def register(app: typer.Typer) -> None:
    app.command("diff")(diff_command)
    app.command("mcp")(mcp_command)
