"""`git orch ws new|list|gc`: ephemeral workspaces, and the sweep of expired ones that every
`ws` command does first. Thin: parse, call, render."""

from __future__ import annotations

import typer

from gitorch.cli.ws_common import JSON, _builtins, _emit, _workspace, ws_app


@ws_app.callback()
def _before_any(ctx: typer.Context) -> None:
    """Expired ephemeral workspaces go first (`ws gc` itself reports what it removes)."""
    from gitorch.cli.lean_ws import before_command  # typer-free: the lean path calls it too

    before_command(ctx.invoked_subcommand)


@ws_app.command("new")
def new_cmd(
    name: str = typer.Argument(..., help="Name of the ephemeral workspace."),
    repos: str = typer.Option(..., "--repos", help="Comma-separated workspace repos."),
    ttl: str = typer.Option("2h", "--ttl", help="Time to live, e.g. 30m, 2h, 1d."),
    as_json: bool = JSON,
) -> None:
    """Make an ephemeral workspace: worktrees of the repos in a temporary folder, linked."""
    from gitorch.workspace.ephemeral import create

    record = create(_workspace(), name, [r.strip() for r in repos.split(",") if r.strip()], ttl)
    _emit(as_json, _builtins(record), [f"{record.name}: {record.path} (expires {record.expires})"])


@ws_app.command("list")
def list_cmd(as_json: bool = JSON) -> None:
    """List ephemeral workspaces with their expiry."""
    from gitorch.context import build_context
    from gitorch.workspace.ephemeral import list_all

    records = list_all(build_context().repo)
    lines = [f"{r.name:<16} {r.path}  expires {r.expires}{' (expired)' if r.expired() else ''}"
             for r in records] or ["no ephemeral workspaces"]
    _emit(as_json, [dict(_builtins(r), expired=r.expired()) for r in records], lines)


@ws_app.command("gc")
def gc_cmd(
    name: list[str] = typer.Argument(
        None, help="Remove these now, expired or not (default: every expired one)."),
    force: bool = typer.Option(False, "--force", help="Remove even with uncommitted changes."),
    as_json: bool = JSON,
) -> None:
    """Remove expired ephemeral workspaces (refusing dirty ones without --force)."""
    from gitorch.context import build_context
    from gitorch.workspace.ephemeral import gc

    ctx = build_context()
    removed, kept = gc(ctx.repo, ctx.store, names=name or [], force=force)
    lines = [f"removed {n}" for n in removed] + [f"kept {n}: {why}" for n, why in kept]
    _emit(as_json, {"removed": removed, "kept": [{"name": n, "reason": w} for n, w in kept]},
          lines or ["nothing to remove"])
    if kept:
        from gitorch.errors import CheckFailed

        if as_json:  # the document above lists them; a second one would break the JSON
            raise typer.Exit(1)
        raise CheckFailed(f"{len(kept)} ephemeral workspace(s) kept: "
                          + "; ".join(f"{n}: {w}" for n, w in kept))
