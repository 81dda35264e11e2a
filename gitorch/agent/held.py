"""The `apply_patch` gate: the agent works in a separate worktree, people approve the patch.

A task gated by `apply_patch` whose edit step the agent does never touches the user's work
tree before approval: the agent works in a git worktree on a scratch branch (made from
the work tree as it is, uncommitted changes included), gitorch's checks run there, and
the passing patch is held on the state branch. After `git orch approve apply_patch --task
ID`, `resume` applies exactly that patch to the work tree (nothing, with a clear reason,
when it no longer applies cleanly) and verifies it there.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from gitorch.engine.gates import APPLY_PATCH
from gitorch.gitcmd import git

__all__ = ["APPLY_PATCH", "apply", "close_worktree", "open_worktree"]


def open_worktree(repo_root: Path, where: Path, tree: str, branch: str) -> Path:
    """A worktree at `where` on `branch`, holding exactly `tree` (a snapshot of the work tree)."""
    close_worktree(repo_root, where, branch)
    head = git(["rev-parse", "--verify", "-q", "HEAD"], repo_root, check=False).stdout.decode().strip()
    start = ["-b", branch, str(where), head] if head else ["--orphan", branch, str(where)]
    git(["worktree", "add", "-q", "--force", *start], repo_root)
    git(["read-tree", "-u", "--reset", tree], where)
    return where


def close_worktree(repo_root: Path, where: Path, branch: str) -> None:
    """Remove the worktree and its scratch branch (nothing to do when they are gone)."""
    if where.exists():
        git(["worktree", "remove", "--force", str(where)], repo_root, check=False)
        shutil.rmtree(where, ignore_errors=True)
    git(["worktree", "prune"], repo_root, check=False)
    git(["branch", "-D", "-q", branch], repo_root, check=False)


def apply(root: Path, diff: bytes) -> str | None:
    """Apply `diff` to the work tree at `root`: None when it did, else why nothing was applied."""
    if not diff:
        return None
    check = git(["apply", "--check", "--binary", "-"], root, input=diff, check=False)
    if check.returncode != 0:
        why = check.stderr.decode(errors="replace").strip().splitlines()
        return "; ".join(why[:3]) or "git apply refused the patch"
    done = git(["apply", "--binary", "-"], root, input=diff, check=False)
    if done.returncode != 0:  # checked a moment ago: only a concurrent edit gets here
        return done.stderr.decode(errors="replace").strip() or "git apply failed"
    return None
