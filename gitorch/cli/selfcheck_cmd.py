"""`git orch self-check`: what this gitorch runs on (Python, git, backend, cache, zipapp)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add `self-check` to the root app."""
    app.command("self-check")(self_check)


def self_check(
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Report Python, git, the git backend in use, the cache location and the environment."""
    from gitorch.cli.output import emit_json, say
    from gitorch.selfcheck import gather

    report = gather()
    if as_json:
        emit_json(report)
    else:
        for key, value in report.items():
            say(f"{key}: {value}")
    if not report["ok"]:
        raise typer.Exit(1)
