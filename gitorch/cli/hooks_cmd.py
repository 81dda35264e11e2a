"""`git orch hooks install|uninstall|status` and `git orch observe`."""

from __future__ import annotations

import sys
from typing import Any

import typer

from gitorch.cli.output import emit_json, say

JSON_OPT = typer.Option(False, "--json", help="Machine-readable output.")

hooks_app = typer.Typer(
    help="Git hooks that tell you after a checkout, merge or rewrite what drifted.",
    no_args_is_help=True,
)


def _render_actions(where: Any, actions: list[Any], as_json: bool, verb: str) -> None:
    from dataclasses import asdict

    if as_json:
        emit_json({"dir": str(where.path), "core_hooks_path": where.hooks_path,
                   "actions": [asdict(a) for a in actions]})
        return
    if where.hooks_path:
        say(f"core.hooksPath is set ({where.hooks_path}): hooks {verb} {where.path}")
    else:
        say(f"hooks {verb} {where.path}")
    for a in actions:
        say(f"  {a.hook}: {a.did}" + (f" ({a.detail})" if a.detail else ""))
    if not actions:
        say("  nothing to do")


@hooks_app.command("install")
def install_cmd(
    force: bool = typer.Option(
        False, "--force", help="Install into a hooks folder shared with other repositories "
        "(core.hooksPath), and replace a `.legacy` file that is in the way."),
    into: str = typer.Option(
        None, "--into", metavar="PATH", help="Put the hook files in this folder (one git does not "
        "track) instead; your own hooks call them. For hooks kept in a tracked folder."),
    as_json: bool = JSON_OPT,
) -> None:
    """Install post-checkout, post-merge and post-rewrite hooks (kept hooks still run first)."""
    from gitorch.hooks.install import install
    from gitorch.repo import find_repo

    where, actions = install(find_repo(), force=force, into=into)
    _render_actions(where, actions, as_json, "in")
    if into is not None and not as_json:
        say(f"git does not run hooks from {where.path} by itself: call them from your hooks, e.g. "
            f'add `{where.path}/post-checkout "$@"` to your post-checkout hook (and likewise for '
            "post-merge and post-rewrite)")


@hooks_app.command("uninstall")
def uninstall_cmd(
    into: str = typer.Option(None, "--into", metavar="PATH",
                             help="Remove the hook files put into this folder with --into."),
    as_json: bool = JSON_OPT,
) -> None:
    """Remove gitorch's hooks and put back the hooks they kept."""
    from gitorch.hooks.install import uninstall
    from gitorch.repo import find_repo

    where, actions = uninstall(find_repo(), into=into)
    _render_actions(where, actions, as_json, "removed from")


@hooks_app.command("status")
def status_cmd(as_json: bool = JSON_OPT) -> None:
    """Say whether the hooks are installed, missing, bypassed or disabled, and how."""
    from gitorch.hooks.status import hooks_status
    from gitorch.repo import find_repo

    info = hooks_status(find_repo())
    if as_json:
        emit_json(info)
        return
    how = {"file": "hook files", "config": "git's config-based hooks",
           "call": "a call in your own hooks", "none": "-"}[info["mechanism"]]
    say(f"hooks: {info['state']} ({how}): {info['detail']}")
    where = f" (core.hooksPath {info['core_hooks_path']}{', tracked' if info['tracked'] else ''})" \
        if info["core_hooks_path"] else ""
    say(f"hooks folder: {info['dir']}{where}")
    if info["mechanism"] == "config":
        return
    for h in info["hooks"]:
        line = f"  {h['hook']}: {h['state']}"
        if h["version"] is not None:
            line += f" (version {h['version']})"
        if h["pre_commit"]:
            line += f", run by pre-commit as {h['at']}"
        if h["legacy"]:
            line += f", runs {h['legacy']} first"
        if h["python"] and not h["python_found"]:
            line += f", its interpreter {h['python']} is gone (falls back to `git orch`)"
        elif h["python"] and not h["gitorch_found"]:
            line += ", gitorch is no longer where it was installed from (falls back to `git orch`)"
        say(line)


def observe_cmd(
    as_json: bool = JSON_OPT,
    trigger: str = typer.Option("manual", "--trigger", hidden=True,
                                help="The hook that asks (the hooks' fallback path)."),
) -> None:
    """Say what drifted since the last run: stale tasks, waiting approvals, the workspace."""
    if trigger != "manual":
        _observe_for_hook(trigger)
        return
    from gitorch.config import settings
    from gitorch.hooks.observe import observe
    from gitorch.hooks.record import record_observed
    from gitorch.repo import find_repo

    repo = find_repo()
    root = repo.require_worktree()
    obs = observe(str(root), branch=settings(repo).state_branch, trigger=trigger)
    if obs.has_state:
        record_observed(str(repo.common_dir), trigger, obs.drift, obs.findings())
    if as_json:
        emit_json(obs.to_json())
        return
    lines = obs.notices()
    for line in lines:
        say(line)
    if not lines:
        say("orch: nothing drifted" if obs.has_state else "orch: no state branch yet (nothing recorded)")


def _observe_for_hook(trigger: str) -> None:
    """The hooks' fallback when their interpreter is gone: same output, never an error."""
    from gitorch.hooks.run import main

    main([trigger])
    sys.stdout.flush()


def register(app: typer.Typer) -> None:
    """Add this group's commands to the root app."""
    app.add_typer(hooks_app, name="hooks")
    app.command("observe")(observe_cmd)
