"""What a run verifies: HEAD's tree, or, when the work tree has uncommitted changes, the
tree of HEAD plus those changes (tracked files as they are, untracked files the tasks name by
their paths), written to the object database so git remembers exactly what was verified.

A run notes its result on a commit only when that commit's tree is the verified tree; the
report of a dirty run says "uncommitted changes in N files (tree <id>)"."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import msgspec

from gitorch.errors import CheckFailed
from gitorch.gitcmd import git
from gitorch.store import layout
from gitorch.views.text import printable
from gitorch.words import plural

if TYPE_CHECKING:
    from collections.abc import Callable

    from gitorch.engine.inputs import TaskInputs
    from gitorch.engine.setup import Loaded

SHOWN = 20  # files named in the refusal of a dirty run


class Verified(msgspec.Struct, frozen=True):
    """The tree a run verifies: `tree` is None when it is HEAD's (nothing uncommitted)."""

    tree: str | None = None
    files: list[str] = msgspec.field(default_factory=list)  # the uncommitted files, sorted

    @property
    def dirty(self) -> bool:
        return bool(self.files)


def uncommitted(lp: Loaded, inputs: dict[str, TaskInputs]) -> list[str]:
    """Tracked files that differ from HEAD, and untracked files a task names in its paths
    (but TASKS.md, which a run itself writes)."""
    named = {p for ti in inputs.values() for p in ti.untracked}
    files = set(lp.worktree.status().changed) | named
    files.discard(layout.DASHBOARD)
    return sorted(files)


def verify(lp: Loaded, inputs: dict[str, TaskInputs]) -> Verified:
    """The verified tree of this run; CheckFailed (exit 1, the files listed) when the work
    tree is dirty and refuse_dirty is set."""
    files = uncommitted(lp, inputs)
    if not files:
        return Verified()
    if lp.settings.refuse_dirty:
        more = f"\n  … and {len(files) - SHOWN} more" if len(files) > SHOWN else ""
        shown = "\n  ".join(printable(f) for f in files[:SHOWN]) + more
        raise CheckFailed(
            f"the work tree has uncommitted changes in {plural(len(files), 'file')} "
            f"and refuse_dirty is set:\n  {shown}",
            hint="commit or stash them, or `git orch config set refuse_dirty false`")
    return Verified(tree=write_tree(lp, files), files=files)


def write_tree(lp: Loaded, files: list[str]) -> str | None:
    """HEAD's tree with `files` as they are in the work tree (deleted ones removed), written
    to the object database through a private index; None when git cannot make it."""
    root = lp.repo_root
    index = lp.repo.scratch / f"verify-{os.getpid()}.index"
    env = {"GIT_INDEX_FILE": str(index)}
    try:
        start = ["read-tree", "HEAD"] if lp.head else ["read-tree", "--empty"]
        if git(start, root, check=False, env=env).returncode != 0:
            return None
        listing = "".join(f + "\0" for f in files).encode("utf-8", "surrogateescape")
        upd = git(["update-index", "--add", "--remove", "-z", "--stdin"], root, check=False, env=env,
                  input=listing)
        if upd.returncode != 0:
            return None
        out = git(["write-tree"], root, check=False, env=env)
        return out.stdout.decode().strip() or None if out.returncode == 0 else None
    finally:
        index.unlink(missing_ok=True)


def head_tree_is(lp: Loaded, commit: str, tree: str | None) -> bool:
    """Whether `commit`'s tree is the verified `tree` (None: HEAD's own, always true)."""
    if tree is None:
        return True
    out = git(["rev-parse", "-q", "--verify", f"{commit}^{{tree}}"], lp.repo_root, check=False)
    return out.stdout.decode().strip() == tree


def changed_since(lp: Loaded, commit: str, *, ran: bool = True) -> bool:
    """Whether tracked files now differ from `commit` (the run's own tasks edited them): the
    run then verified content no commit holds, and `commit` gets no note. `ran`: whether
    any command ran in this session; when none did, the work tree is the one verified at
    its start (`verify`), so git need not stat every file again."""
    return changed_since_start(lp, commit, ran=ran)()


def changed_since_start(lp: Loaded, commit: str, *, ran: bool = True) -> Callable[[], bool]:
    """`changed_since` with its `git diff` started now: what waits for its answer (call it
    once the tasks can no longer touch the work tree, and always, so git is reaped)."""
    if not ran:
        return lambda: False
    from gitorch.gitcmd import git_start

    args = ["diff", "--quiet", commit, "--", ".", f":(exclude){layout.DASHBOARD}"]
    done = git_start(args, str(lp.repo_root), env={"GITORCH_HOOKS": "0"})
    return lambda: done()[0] != 0
