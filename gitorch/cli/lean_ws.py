"""What the `ws` group does before any of its commands, free of typer: expired ephemeral
workspaces go first (`ws gc` itself reports what it removes).

Most repositories record none, and the folders alone say so (expiry.maybe_recorded): then no
git process starts and nothing more is imported. The ws group's typer callback
(cli/ws_ephemeral_cmd._before_any) calls `before_command`; the lean start-up path calls it
too before `ws snapshot`, so both sweep alike.
"""

from __future__ import annotations


def before_command(command: str | None) -> None:
    """Sweep expired ephemeral workspaces before the ws command `command` (not before gc)."""
    if command == "gc":
        return
    import os

    from gitorch.workspace.expiry import maybe_recorded

    try:
        if not maybe_recorded(os.getcwd()):
            return  # no ephemeral workspace recorded: no git process, no repository looked for
    except FileNotFoundError:
        pass  # the current folder is gone: the Context says so, as before
    from gitorch.errors import NotARepoError

    try:
        from gitorch.context import build_context

        here = build_context()
        repo = here.repo
    except NotARepoError:
        return  # the command itself says so, if it needs a repository
    from gitorch.workspace.expiry import any_recorded

    if not any_recorded(repo):
        return  # no ephemeral workspace: their code (msgspec, apply, ...) is not loaded
    from gitorch.cli.output import warn
    from gitorch.workspace.ephemeral import sweep_expired

    for name, why in sweep_expired(repo, lambda: here.store):
        warn(f"git orch: kept expired ephemeral workspace {name}: {why}")
