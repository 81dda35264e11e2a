"""Where gitorch's hooks can go in a repository, and which way git would run them.

Three mechanisms: hook files in the folder git runs hooks from (`<git dir>/hooks`, or the
one `core.hooksPath` names); git's config-based hooks (`hook.<name>.command` and
`hook.<name>.event`, git >= 2.54), which touch no file and coexist with husky, lefthook and
pre-commit; and, where a hook manager keeps its hooks in a tracked folder, a one-line call
the user adds to the tracked hook by hand (gitorch never writes a tracked file: it would
publish this machine's paths with the next `git commit -a`).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from gitorch.gitcmd import git
from gitorch.repo import Repo

HOOK_NAMES = ("post-checkout", "post-merge", "post-rewrite", "pre-commit")
CONFIG_NAME = "gitorch-observe"  # hook.gitorch-observe.command / .event
CONFIG_HOOKS_SINCE = (2, 54)
CALL_MARK = "git orch observe --trigger"  # what a hand-added call to gitorch contains


@dataclass(frozen=True)
class HooksDir:
    """Where git runs hooks from, and the `core.hooksPath` value that chose it (if any)."""

    path: Path
    hooks_path: str | None  # core.hooksPath as configured, None when unset
    shared: bool  # outside this repository: other repositories run these hooks too
    tracked: bool = False  # a folder of the work tree that holds tracked files (husky, .githooks)


def hooks_dir(repo: Repo) -> HooksDir:
    """Where git looks for this repository's hooks."""
    cwd = repo.cwd
    configured = git(["config", "--get", "core.hooksPath"], cwd, check=False)
    value = configured.stdout.decode().strip() or None
    out = git(["rev-parse", "--git-path", "hooks"], cwd).stdout.decode().strip()
    path = (Path(out) if os.path.isabs(out) else cwd / out).resolve()
    inside = [p.resolve() for p in (repo.common_dir, repo.git_dir, repo.root) if p is not None]
    shared = not any(path.is_relative_to(p) for p in inside)
    return HooksDir(path, value, shared, tracked=is_tracked(repo, path))


def is_tracked(repo: Repo, path: Path) -> bool:
    """Whether `path` (a file or a folder) is, or holds, a file git tracks in this work tree."""
    root = repo.root.resolve() if repo.root is not None else None
    if root is None or not path.is_relative_to(root) or path == root:
        return False
    rel = path.relative_to(root).as_posix()
    out = git(["--literal-pathspecs", "ls-files", "-z", "--", rel], root, check=False).stdout
    return bool(out.strip(b"\0"))


def git_version(cwd: Path | None = None) -> tuple[int, ...]:
    """git's version as numbers, e.g. (2, 39, 5); (0,) when it cannot be read."""
    out = git(["--version"], cwd, check=False).stdout.decode()
    m = re.search(r"(\d+)\.(\d+)(?:\.(\d+))?", out)
    return tuple(int(g) for g in m.groups() if g is not None) if m else (0,)


def config_hooks_supported(cwd: Path | None = None) -> bool:
    """Whether this git runs config-based hooks (`hook.<name>.event`, git >= 2.54)."""
    return git_version(cwd) >= CONFIG_HOOKS_SINCE


def config_hook(repo: Repo) -> tuple[str | None, list[str]]:
    """(the command, its events) of gitorch's config-based hook in this repository's config."""
    key = f"hook.{CONFIG_NAME}"
    cmd = git(["config", "--get", f"{key}.command"], repo.cwd, check=False).stdout.decode().strip()
    events = git(["config", "--get-all", f"{key}.event"], repo.cwd, check=False).stdout.decode().split()
    return cmd or None, events


def set_config_hook(repo: Repo, command: str) -> None:
    """Register `command` for the three events in the repository's own config (.git/config)."""
    key = f"hook.{CONFIG_NAME}"
    git(["config", "--local", "--replace-all", f"{key}.command", command], repo.cwd)
    git(["config", "--local", "--unset-all", f"{key}.event"], repo.cwd, check=False)
    for event in HOOK_NAMES:
        git(["config", "--local", "--add", f"{key}.event", event], repo.cwd)


def unset_config_hook(repo: Repo) -> bool:
    """Remove gitorch's config-based hook; whether there was one."""
    proc = git(["config", "--local", "--remove-section", f"hook.{CONFIG_NAME}"], repo.cwd, check=False)
    return proc.returncode == 0


def manual_call(hook: str) -> str:
    """The line to add to a tracked `hook` by hand: no machine paths, never fails the hook,
    and a file checkout (post-checkout flag 0) costs nothing."""
    if hook == "pre-commit":  # the link guard must be able to refuse the commit
        return f"if command -v git-orch >/dev/null; then {CALL_MARK} {hook} </dev/null || exit 1; fi"
    call = f"{CALL_MARK} {hook} </dev/null || true"
    return f'[ "$3" = 0 ] || {call}' if hook == "post-checkout" else call


def has_manual_call(path: Path) -> bool:
    """Whether the hook file at `path` calls gitorch by the line `manual_call` prints."""
    try:
        return CALL_MARK in path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
