"""The result cache inside a run: look a task up before it starts, record it after it passed.

On where GITORCH_CACHE=1 (the files `git orch ci export` writes set it for every job), off
otherwise, so a local run, or a run in some other CI, pays nothing for it. A hit skips the
task with the evidence `cached: run <id> on <host or CI run>, key <k>`, printed at once on
stderr and recorded as the skip's reason (which status and the report show).
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gitorch.engine.setup import Loaded
    from gitorch.plan.model import Task


class RunCache:
    """The cache as one run uses it."""

    def __init__(self, lp: Loaded) -> None:
        from gitorch.cirun import ci_run
        from gitorch.store import cacheentries as c

        self.cwd = lp.repo_root
        self.root = lp.project_root  # where a task's outputs are (plan paths are relative to it)
        self.plan = lp.plan
        self.ci = ci_run()
        self.writable, self.why = c.may_write()
        self.written: list[c.Entry] = []

    def key(self, task: Task, digest: str) -> str:
        from gitorch.store import cacheentries as c

        return c.cache_key(digest, [*self.plan.secrets, *task.secrets], task.outputs)

    def hit(self, task: Task, digest: str) -> str | None:
        """The evidence line when `task` on these inputs is cached, else None."""
        from gitorch.store import cacheentries as c

        entry = c.lookup(self.cwd, self.key(task, digest))
        if entry is None:
            return None
        evidence = entry.evidence()
        if task.outputs:
            from gitorch.gitcmd import git
            from gitorch.store.outputtree import restore_tree

            tree = git(["rev-parse", f"{entry.ref}^{{tree}}"], self.cwd).stdout.decode().strip()
            count = restore_tree(self.root, tree, task.outputs)
            evidence += f"; {count} output file{'s' if count != 1 else ''} restored"
        sys.stderr.write(f"{task.id}: {evidence}\n")
        return evidence

    def record(self, task: Task, digest: str, run: str) -> None:
        """Add the entry for a task that passed on `digest` (its inputs before it ran)."""
        if not self.writable:
            return
        from gitorch.errors import OrchError
        from gitorch.store import cacheentries as c

        ci = (self.ci.url or self.ci.id) if self.ci else ""
        try:
            tree = None
            if task.outputs:
                from gitorch.store.outputtree import store_tree

                tree = store_tree(self.root, task.outputs)
            entry = c.put(self.cwd, self.key(task, digest), task.id, run, ci=ci, tree=tree)
        except OrchError as exc:  # the task passed; a cache that cannot be written only costs time later
            sys.stderr.write(f"git orch: warning: {task.id} not cached: {str(exc).splitlines()[0]}\n")
            return
        if entry is not None:
            self.written.append(entry)


def for_run(lp: Loaded) -> RunCache | None:
    """The run's cache, or None when it is off (see the module docstring)."""
    if os.environ.get("GITORCH_CACHE", "") != "1":
        return None
    return RunCache(lp)
