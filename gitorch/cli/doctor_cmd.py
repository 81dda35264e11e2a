"""`git orch doctor`: thin: build the Context, run gitorch.doctor's checks, render them."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from gitorch.errors import EXIT_FAILED

if TYPE_CHECKING:
    from gitorch.doctor import DoctorFinding


def render(findings: list[DoctorFinding], ok: bool) -> list[str]:
    """The findings as lines: severity, check, message, and the fix of each problem."""
    lines: list[str] = []
    for f in findings:
        lines.append(f"{f.severity.upper():8} {f.check}: {f.message}")
        if f.fix and f.severity != "ok":
            lines.append(f"         fix: {f.fix}")
    count = sum(f.problem for f in findings)
    lines.append("healthy" if ok else f"{count} problem{'s' if count != 1 else ''} found")
    return lines


def doctor_command(
    file: str = typer.Option(None, "--file", "-f", help="Plan file (default: orchestrator.yml)."),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Check everything gitorch depends on here; each problem comes with a fix (exit 1 if any)."""
    from gitorch.cli.output import emit_json, say
    from gitorch.context import build_context
    from gitorch.doctor import diagnose, healthy
    from gitorch.repo import find_repo

    # Outside a repository: NotARepoError (exit 2) before any check runs.
    ctx = build_context(file=file, json=as_json, repo=find_repo())
    try:
        findings = diagnose(ctx)
    finally:
        if "store" in ctx.__dict__:  # opened by a check: stop its git helpers
            ctx.store.close()
    ok = healthy(findings)
    if as_json:
        emit_json({"ok": ok, "findings": [f.to_json() for f in findings]})
    else:
        for line in render(findings, ok):
            say(line)
    if not ok:
        raise typer.Exit(EXIT_FAILED)


def register(app: typer.Typer) -> None:
    """Add `doctor` to the root app."""
    app.command("doctor")(doctor_command)
