"""Every git subprocess goes through here (stdlib only: the hook path imports it)."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping, Sequence

# Neither pathlib nor gitorch.errors (dataclasses) is imported here: together they cost the
# git hooks about 15 ms, a third of their budget (docs/hooks.md).

# Variables git sets for hooks and sub-commands; they must not leak into a call on another repo.
_GIT_REPO_VARS = (
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_COMMON_DIR",
    "GIT_PREFIX",
    "GIT_NAMESPACE",
    "GIT_CEILING_DIRECTORIES",
    "GIT_QUARANTINE_PATH",
)


def clean_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment minus git's per-repository variables, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if k not in _GIT_REPO_VARS}
    env.setdefault("GIT_TERMINAL_PROMPT", "0")
    if extra:
        env.update(extra)
    return env


def git(
    args: Sequence[str],
    cwd: str | os.PathLike[str] | None = None,
    *,
    input: bytes | None = None,
    check: bool = True,
    env: Mapping[str, str] | None = None,
) -> subprocess.CompletedProcess[bytes]:
    """Run `git ARGS` in `cwd` with a clean environment; raise GitError on failure when `check`."""
    proc = subprocess.run(
        ["git", *args],
        cwd=cwd,
        input=input,
        capture_output=True,
        env=clean_env(env),
    )
    if check and proc.returncode != 0:
        from gitorch.errors import GitError

        msg = proc.stderr.decode(errors="replace").strip() or f"exit {proc.returncode}"
        raise GitError(f"git {' '.join(args[:2])} failed: {msg}")
    return proc


def git_out(args: Sequence[str], cwd: str | os.PathLike[str] | None = None, **kw: object) -> str:
    """Run git and return its stdout as stripped text."""
    return git(args, cwd, **kw).stdout.decode(errors="replace").strip()  # type: ignore[arg-type]


def identity_env(cwd: str | os.PathLike[str]) -> dict[str, str]:
    """Author/committer variables so commits work in a repo without user.name/user.email."""
    env: dict[str, str] = {}
    for role in ("AUTHOR", "COMMITTER"):
        if f"GIT_{role}_NAME" not in os.environ:
            env[f"GIT_{role}_NAME"] = "gitorch"
        if f"GIT_{role}_EMAIL" not in os.environ:
            env[f"GIT_{role}_EMAIL"] = "gitorch@localhost"
    # Respect a configured identity when there is one.
    proc = git(["config", "--get", "user.name"], cwd, check=False)
    if proc.returncode == 0:
        env.pop("GIT_AUTHOR_NAME", None)
        env.pop("GIT_COMMITTER_NAME", None)
    proc = git(["config", "--get", "user.email"], cwd, check=False)
    if proc.returncode == 0:
        env.pop("GIT_AUTHOR_EMAIL", None)
        env.pop("GIT_COMMITTER_EMAIL", None)
    return env
