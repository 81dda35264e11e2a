"""What the `ws` command modules share: the typer group, the --json option, output and
the workspace of the current repository (built over one Context)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

ws_app = typer.Typer(
    name="ws", help="Multi-repo workspaces: link a library into its consumers and undo it exactly.",
    no_args_is_help=True, add_completion=False, rich_markup_mode=None,
)

JSON = typer.Option(False, "--json", help="Machine-readable output.")
FROZEN = typer.Option(False, "--frozen", help="Each repo at the commit workspace.lock records.")


def _emit(as_json: bool, obj: Any, lines: list[str]) -> None:
    from gitorch.cli.output import emit_json, say

    if as_json:
        emit_json(obj)
    else:
        for line in lines:
            say(line)


def _write_out(path: Path, data: bytes) -> None:
    """Write `--out`; a path that cannot be written is bad input naming it, not a crash."""
    from gitorch.cli.ws_snapshot import write_out

    write_out(path, data)


def _workspace() -> Any:
    """The workspace of the repository here, over the one Context this command builds."""
    from gitorch.context import build_context
    from gitorch.workspace.materialize import Workspace

    return Workspace.of(build_context())


def _builtins_list(objs: list[Any]) -> list[Any]:
    import msgspec

    return [msgspec.to_builtins(o) for o in objs]


def _builtins(obj: Any) -> dict[str, Any]:
    import msgspec

    out = msgspec.to_builtins(obj)
    assert isinstance(out, dict)
    return out
