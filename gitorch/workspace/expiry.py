"""Where ephemeral workspaces are recorded, and whether any is: what the sweep every `ws`
command runs first asks before loading their code.

Most repositories have no ephemeral workspace: their records folder is missing or empty, and
one directory read says so, without importing workspace/ephemeral.py (msgspec, apply,
materialize: 40-190 ms at load, before `ws snapshot` could start).
"""

from __future__ import annotations

import os

TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path

    from gitorch.repo import Repo


_RECORDS = ("orch", "workspace", "ephemeral")  # under the common git directory (Repo.scratch is its orch)


def records_dir(repo: Repo) -> Path:
    """Where the records of `repo`'s ephemeral workspaces live (`<name>.json` each)."""
    return repo.scratch.joinpath(*_RECORDS[1:])


def maybe_recorded(cwd: str) -> bool:
    """False only when no repository git could find from `cwd` records an ephemeral workspace:
    read from the folders alone, with no git process (the sweep before every `ws` command asks
    this before looking for the repository).

    git finds the nearest folder holding a valid `.git` (or one that is a git directory
    itself); an invalid one is skipped. So every candidate up to the root is looked at: a
    `.git` directory, a `.git` file naming one (its `commondir`, as in linked worktrees), a
    bare repository's folder. A `.git` file that cannot be read says "maybe"."""
    folder = os.path.abspath(cwd)
    while True:
        for gitdir in _candidates(folder):
            if gitdir is None or _holds_records(os.path.join(_common(gitdir), *_RECORDS)):
                return True
        parent = os.path.dirname(folder)
        if parent == folder:
            return False
        folder = parent


def _candidates(folder: str) -> list[str | None]:
    """The git directories `folder` may stand for (None: one that cannot be read)."""
    out: list[str | None] = []
    dot = os.path.join(folder, ".git")
    if os.path.isdir(dot):
        out.append(dot)
    elif os.path.lexists(dot):
        try:
            with open(dot, encoding="utf-8") as f:
                text = f.read().strip()
        except (OSError, UnicodeDecodeError):
            return [None]
        if text.startswith("gitdir:"):
            out.append(os.path.join(folder, text[len("gitdir:"):].strip()))
    if os.path.isfile(os.path.join(folder, "HEAD")) and os.path.isdir(os.path.join(folder, "objects")):
        out.append(folder)  # a bare repository (or a git directory itself)
    return out


def _common(gitdir: str) -> str:
    """The common directory of `gitdir` (a linked worktree's names it in `commondir`)."""
    try:
        with open(os.path.join(gitdir, "commondir"), encoding="utf-8") as f:
            return os.path.join(gitdir, f.read().strip())
    except (OSError, UnicodeDecodeError):
        return gitdir


def _holds_records(folder: str) -> bool:
    try:
        with os.scandir(folder) as entries:
            return any(e.name.endswith(".json") for e in entries)
    except (FileNotFoundError, NotADirectoryError):
        return False
    except OSError:
        return True  # unreadable: let the sweep find the repository and say so


def any_recorded(repo: Repo) -> bool:
    """Whether `repo` has a record of an ephemeral workspace (expired or not)."""
    try:
        with os.scandir(records_dir(repo)) as entries:
            return any(e.name.endswith(".json") for e in entries)
    except (FileNotFoundError, NotADirectoryError):
        return False
