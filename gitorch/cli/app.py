"""The root of `git orch`: global options, command groups, and error handling.

Each command module exposes `register(app)`; command functions stay thin and import the
domain lazily, so `git orch --help` and `status` stay fast.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import typer
from typer import _click as click  # typer >= 0.26 bundles its own click
from typer.core import TyperGroup

from gitorch import __version__
from gitorch.errors import EXIT_INTERNAL, EXIT_INTERRUPTED, EXIT_USAGE, OrchError


def _report(exc: OrchError, as_json: bool) -> None:
    if as_json:
        from gitorch.cli.output import emit_json

        emit_json(exc.to_json())
    else:
        sys.stderr.write(f"git orch: {exc}\n")


class OrchGroup(TyperGroup):
    """Turns every error into one message and a documented exit code, never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        as_json = "--json" in sys.argv or "--json" in (ctx.args or []) or _wants_json(ctx)
        try:
            return super().invoke(ctx)
        except OrchError as exc:
            _report(exc, as_json)
            raise typer.Exit(exc.exit_code) from None
        except (typer.Exit, typer.Abort, click.exceptions.ClickException):
            raise
        except KeyboardInterrupt:
            sys.stderr.write("git orch: interrupted\n")
            raise typer.Exit(EXIT_INTERRUPTED) from None
        except Exception as exc:  # a bug: one line, the traceback only on request
            if os.environ.get("GITORCH_DEBUG"):
                raise
            sys.stderr.write(
                f"git orch: internal error: {type(exc).__name__}: {exc}\n"
                "  (set GITORCH_DEBUG=1 for a traceback, and please report it)\n"
            )
            raise typer.Exit(EXIT_INTERNAL) from None


def _wants_json(ctx: click.Context) -> bool:
    sub = ctx.protected_args if hasattr(ctx, "protected_args") else []
    return "--json" in (list(sub) + list(ctx.args))


app = typer.Typer(
    cls=OrchGroup,
    name="git orch",
    help="Run plans of work as a task DAG and reconcile workspaces; all state lives in git.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        from gitorch.store.select import backend_name

        typer.echo(f"gitorch {__version__} (backend: {backend_name()})")
        raise typer.Exit()


@app.callback()
def root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """git orch: plans, runs, gates and workspaces, with state kept in git."""


def _register_all() -> None:
    from gitorch.cli import (
        config_cmd,
        discovery_cmd,
        hooks_cmd,
        plan_cmd,
        run_cmd,
        selfcheck_cmd,
        state_cmd,
        ws_cmd,
    )

    for module in (
        plan_cmd, run_cmd, state_cmd, hooks_cmd, ws_cmd, config_cmd, discovery_cmd, selfcheck_cmd,
    ):
        module.register(app)


_register_all()


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point (`git-orch`, so `git orch …` works)."""
    try:
        app(args=argv, prog_name="git orch")
    except KeyboardInterrupt:
        sys.stderr.write("git orch: interrupted\n")
        sys.exit(EXIT_INTERRUPTED)


__all__ = ["app", "main", "EXIT_USAGE"]
