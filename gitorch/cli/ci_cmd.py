"""`git orch ci …`: export the plan to a CI engine, and the commands its jobs run."""

from __future__ import annotations

import typer

from gitorch.cli.output import emit_json, say, warn

ci_app = typer.Typer(
    name="ci", help="Run the plan's DAG on GitHub Actions or GitLab CI; results come back through git.",
    no_args_is_help=True, rich_markup_mode=None,
)

FILE_OPT = typer.Option(None, "--file", "-f", help="Plan file (default: orchestrator.yml at the repo root).")
JSON_OPT = typer.Option(False, "--json", help="Machine-readable output.")
REMOTE_OPT = typer.Option("origin", "--remote", help="The remote CI jobs push to.")


@ci_app.command("export")
def export_cmd(
    target: str = typer.Option(..., "--target", help="github or gitlab."),
    file: str | None = FILE_OPT,
    out: str | None = typer.Option(None, "--out", "-o",
                                   help="Where to write (default: the engine's usual file)."),
    check: bool = typer.Option(False, "--check", help="Write nothing; exit 1 when the file is not current."),
    max_jobs: int = typer.Option(150, "--max-jobs", help="Over this many tasks, chains share a job."),
    install: str = typer.Option("pyz", "--install", help="How jobs get gitorch: pyz (committed orch.pyz), "
                                                          "pip, or path (already installed)."),
    pyz: str = typer.Option("orch.pyz", "--pyz", help="The committed zipapp (--install pyz)."),
    local_gate: list[str] = typer.Option([], "--local-gate", help="A gate approved with `git orch approve`"
                                                                   " in the state branch, not by the forge."),
    as_json: bool = JSON_OPT,
) -> None:
    """Write the plan as a CI workflow: a plan job, one job per task, a collect job."""
    from gitorch import __version__
    from gitorch.ci.export import export
    from gitorch.ci.model import INSTALLS, Options
    from gitorch.errors import UsageError

    if install not in INSTALLS:
        raise UsageError(f"--install {install!r}: use one of {', '.join(INSTALLS)}")
    opts = Options(target=target, plan_file=file, max_jobs=max_jobs, install=install,  # type: ignore[arg-type]
                   pyz=pyz, version=__version__, local_gates=tuple(local_gate))
    result = export(opts, file, out, check=check)
    if as_json:
        emit_json({"path": str(result.path), "jobs": result.jobs, "tasks": result.tasks,
                   "changed": result.changed, "diff": result.diff})
    elif check:
        if result.changed:
            warn(f"git orch: {result.path} is not current with the plan "
                 f"(run `git orch ci export --target {target}`):")
            for line in result.diff:
                warn("  " + line)
        else:
            say(f"{result.path} is current ({result.jobs} jobs for {result.tasks} tasks)")
    else:
        verb = "wrote" if result.changed else "unchanged:"
        say(f"{verb} {result.path} ({result.jobs} jobs for {result.tasks} tasks)")
    if check and result.changed:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add the `ci` group to the root app."""
    app.add_typer(ci_app, name="ci")
