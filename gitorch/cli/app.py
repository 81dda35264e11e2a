"""The root of `git orch`: global options, command groups, and error handling.

Each command module exposes `register(app)`; command functions stay thin and import the
domain lazily, so `git orch --help` and `status` stay fast.
"""

from __future__ import annotations

import copy
import os
import sys
from typing import Any

import typer
from typer import _click as click  # typer >= 0.26 bundles its own click
from typer.core import TyperGroup

from gitorch import __version__, invocation
from gitorch.cli.lean_guard import failed, report, silence_stdout
from gitorch.errors import EXIT_INTERRUPTED, EXIT_USAGE, OrchError
from gitorch.invocation import localize


class OrchGroup(TyperGroup):
    """Turns every error into one message and a documented exit code, never a traceback."""

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        from gitorch.cli.helptext import polish

        command = super().get_command(ctx, cmd_name)
        return polish(command) if command is not None else None

    def invoke(self, ctx: click.Context) -> Any:
        as_json = "--json" in sys.argv or "--json" in (ctx.args or []) or _wants_json(ctx)
        try:
            return super().invoke(ctx)
        except click.exceptions.UsageError as exc:
            if as_json:  # bad flags: still one JSON document on stdout (click's text on stderr)
                from gitorch.cli.output import emit_json

                emit_json({"error": "UsageError", "message": exc.format_message(), "exit_code": EXIT_USAGE})
            raise
        except (typer.Exit, typer.Abort, click.exceptions.ClickException):
            raise
        except (Exception, KeyboardInterrupt) as exc:  # the lean path (cli/lean) does the same
            raise typer.Exit(failed(exc, as_json)) from None


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
        from gitorch.store.select import describe

        typer.echo(f"gitorch {__version__} (backend: {describe()})")
        raise typer.Exit()


def _completion(show: bool, install: bool) -> None:
    """`--show-completion` / `--install-completion` for the shell in $SHELL (bash, zsh, fish)."""
    from gitorch.cli import completion

    try:
        if show:
            sys.stdout.write(completion.script(None))
        else:
            shell, path = completion.install(None)
            sys.stdout.write(f"{shell} completion installed in {path}; it takes effect in a new shell\n")
    except OrchError as exc:
        report(exc, False)
        raise typer.Exit(exc.exit_code) from None
    raise typer.Exit()


@app.callback()
def root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
    show_completion: bool = typer.Option(
        False, "--show-completion", is_eager=True, expose_value=False,
        callback=lambda v: _completion(True, False) if v else None,
        help="Print the completion script for your shell ($SHELL: bash, zsh or fish) and exit.",
    ),
    install_completion: bool = typer.Option(
        False, "--install-completion", is_eager=True, expose_value=False,
        callback=lambda v: _completion(False, True) if v else None,
        help="Install completion for your shell ($SHELL: bash, zsh or fish) and exit.",
    ),
) -> None:
    """git orch: plans, runs, gates and workspaces, with state kept in git."""


def _register_all() -> None:
    from gitorch.cli import (
        agent_cmd,
        ci_cmd,
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
        plan_cmd, run_cmd, state_cmd, hooks_cmd, ws_cmd, config_cmd, discovery_cmd, selfcheck_cmd, ci_cmd,
        agent_cmd,
    ):
        module.register(app)


_register_all()


def _command_word(args: list[str]) -> str | None:
    """The subcommand named on the command line (None for `--help`, `--version`, nothing)."""
    for arg in args:
        if arg in ("--", "-h", "--help"):  # `git orch -h status` lists every command
            return None
        if not arg.startswith("-"):
            return arg
    return None


def _info_name(info: Any) -> str:
    name = info.name
    if not name and info.callback is not None:  # typer derives it from the function
        name = info.callback.__name__.replace("_", "-")
    return str(name or "")


def app_for(args: list[str]) -> typer.Typer:
    """The root app pruned to the one command `args` name, so typer builds only that one.

    typer turns every registered function into a click command (signature inspection,
    parameter objects) before it dispatches: with ~50 commands that was ~40 ms of every
    `git orch status`. Help, unknown commands and typos keep the whole tree, so listings
    and "No such command" messages are unchanged.
    """
    word = _command_word(args)
    if word is None:
        return app
    commands = [c for c in app.registered_commands if _info_name(c) == word]
    groups = [g for g in app.registered_groups if g.name == word]
    if not commands and not groups:
        return app
    pruned = copy.copy(app)
    pruned.registered_commands = commands
    pruned.registered_groups = groups
    return pruned


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point (`git-orch`, so `git orch …` works)."""
    args = sys.argv[1:] if argv is None else list(argv)
    from gitorch.store.select import command_prefers_cli, preferring_cli

    try:
        with preferring_cli(command_prefers_cli(args)):  # "auto" is the git CLI for some commands
            if os.environ.get("_GIT_ORCH_COMPLETE"):  # a shell asks for completions
                from gitorch.cli.completion import COMPLETE_VAR, prepare_request

                prepare_request()
                app(args=args, prog_name="git-orch", complete_var=COMPLETE_VAR)
            app_for(args)(args=args, prog_name=invocation.name())
    except BrokenPipeError:
        silence_stdout()
    except KeyboardInterrupt:
        sys.stderr.write(localize("git orch: interrupted\n"))
        sys.exit(EXIT_INTERRUPTED)


__all__ = ["app", "main", "EXIT_USAGE"]
