"""`git orch hooks status`: installed, missing, bypassed by core.hooksPath, or disabled, and
by which mechanism (hook files, git's config-based hooks, or a call added to a tracked hook)."""

from __future__ import annotations

import os
from dataclasses import asdict
from typing import Any

from gitorch.gitcmd import git
from gitorch.hooks.install import CURRENT_VERSION, HookState, describe
from gitorch.hooks.where import (
    CONFIG_NAME,
    HOOK_NAMES,
    HooksDir,
    config_hook,
    config_hooks_supported,
    git_version,
    has_manual_call,
    hooks_dir,
)
from gitorch.repo import Repo

_OFF = ("0", "false", "no", "off")


def hooks_status(repo: Repo) -> dict[str, Any]:
    """The hooks' state (`state`: installed | missing | bypassed | disabled), the `mechanism`
    (file | config | call | none), a `detail` line, and each hook file as found."""
    where = hooks_dir(repo)
    setting = git(["config", "--bool", "orch.hooks"], repo.cwd, check=False).stdout.decode().strip()
    disabled_by = ("GITORCH_HOOKS" if os.environ.get("GITORCH_HOOKS", "").lower() in _OFF
                   else "orch.hooks" if setting == "false" else None)
    hooks = [describe(where.path, h) for h in HOOK_NAMES]
    mechanism, state, detail = _overall(repo, where, hooks)
    if disabled_by and state == "installed":
        state, detail = "disabled", f"{detail}; switched off by {disabled_by}"
    command, events = config_hook(repo)
    return {
        "state": state, "mechanism": mechanism, "detail": detail,
        "dir": str(where.path), "core_hooks_path": where.hooks_path, "shared": where.shared,
        "tracked": where.tracked, "enabled": disabled_by is None, "disabled_by": disabled_by,
        "version": CURRENT_VERSION,
        "config_hook": {"name": CONFIG_NAME, "command": command, "events": events,
                        "supported": config_hooks_supported(repo.cwd)},
        "hooks": [asdict(h) for h in hooks],
    }


def _overall(repo: Repo, where: HooksDir, hooks: list[HookState]) -> tuple[str, str, str]:
    """(mechanism, state, detail)."""
    command, events = config_hook(repo)
    if command and set(HOOK_NAMES) <= set(events):
        if config_hooks_supported(repo.cwd):
            return "config", "installed", f"hook.{CONFIG_NAME} runs {command}"
        version = ".".join(map(str, git_version(repo.cwd)))
        return ("config", "missing", f"hook.{CONFIG_NAME} is configured, but git {version} runs "
                "config-based hooks only from 2.54 (`git orch hooks install` installs hook files here)")
    ours = [h.hook for h in hooks if h.state in ("installed", "outdated")]
    if len(ours) == len(HOOK_NAMES):
        return "file", "installed", f"hook files in {where.path}"
    # the printed line in a hook that is not gitorch's (gitorch's own has it as its fallback)
    calls = [h.hook for h in hooks if h.state == "other" and has_manual_call(where.path / h.hook)]
    if calls and len(calls) + len(ours) >= len(HOOK_NAMES):
        return "call", "installed", f"{', '.join(calls)} in {where.path} call `git orch observe`"
    default = repo.common_dir / "hooks"
    if where.hooks_path and default.resolve() != where.path:
        kept = [h for h in HOOK_NAMES if describe(default, h).state in ("installed", "outdated")]
        if kept:
            return ("file", "bypassed", f"core.hooksPath is {where.hooks_path}: git runs hooks from "
                    f"{where.path}, not from {default} where gitorch's are")
    if ours or calls:
        missing = [h for h in HOOK_NAMES if h not in ours and h not in calls]
        return ("call" if calls else "file", "missing",
                f"{', '.join(missing)} not installed in {where.path}")
    return "none", "missing", "no gitorch hook is installed (`git orch hooks install`)"
