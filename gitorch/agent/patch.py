"""Work-tree snapshots as git trees, and the patch between two of them.

A snapshot is the work tree as `git add -A` would stage it (tracked changes and untracked,
not ignored files), written to the object database through a private index, so the
user's index is never touched. Two snapshots give the agent's patch: its diff, the files
it changed and the lines it added and removed.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from gitorch.gitcmd import git, git_out
from gitorch.twins import match_paths


@dataclass(frozen=True)
class Patch:
    """What changed between two snapshots."""

    before: str
    after: str
    files: list[str]
    added: int
    removed: int
    diff: bytes

    @property
    def empty(self) -> bool:
        return self.before == self.after


def snapshot(root: Path, index: Path) -> str:
    """The tree id of the work tree at `root` (HEAD plus every change git would stage)."""
    env = {"GIT_INDEX_FILE": str(index)}
    head = git(["rev-parse", "--verify", "-q", "HEAD^{tree}"], root, check=False).stdout.strip()
    git(["read-tree", head.decode() if head else "--empty"], root, env=env)
    git(["add", "-A", "--", "."], root, env=env)
    return git_out(["write-tree"], root, env=env)


def between(root: Path, before: str, after: str) -> Patch:
    """The patch from tree `before` to tree `after`."""
    if before == after:
        return Patch(before, after, [], 0, 0, b"")
    stat = git_out(["diff-tree", "-r", "--numstat", "--no-renames", before, after], root)
    files: list[str] = []
    added = removed = 0
    for line in stat.splitlines():
        plus, minus, name = line.split("\t", 2)
        files.append(name)
        added += int(plus) if plus.isdigit() else 0
        removed += int(minus) if minus.isdigit() else 0
    diff = git(["diff-tree", "-p", "--binary", "--no-renames", before, after], root).stdout
    return Patch(before, after, files, added, removed, diff)


def revert(root: Path, before: str, paths: list[str]) -> None:
    """Put `paths` back as they were in tree `before` (a file the agent created goes away)."""
    for path in paths:
        target = _inside(root, path)
        blob = git(["rev-parse", "--verify", "-q", f"{before}:{path}"], root, check=False).stdout.strip()
        if blob:
            data = git(["cat-file", "blob", blob.decode()], root).stdout
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        elif target.is_file() or target.is_symlink():
            target.unlink()


def forbidden(files: list[str], patterns: list[str]) -> list[str]:
    """The changed `files` that `patterns` (a task's forbidden paths) cover."""
    return match_paths(sorted(files), patterns) if patterns else []


def _inside(root: Path, path: str) -> Path:
    rel = PurePosixPath(path)
    if rel.is_absolute() or ".." in rel.parts:
        raise ValueError(f"path outside the repository: {path}")
    return Path(os.path.join(root, *rel.parts))
