"""What every engine command starts from: the repo, the plan, settings, the store, HEAD."""

from __future__ import annotations

import contextlib
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import msgspec

from gitorch.config import Settings
from gitorch.events import Event
from gitorch.gitcmd import git
from gitorch.plan.load import LoadedPlan
from gitorch.plan.model import Plan, Task
from gitorch.repo import Repo
from gitorch.store import layout
from gitorch.store.state import StateStore

if TYPE_CHECKING:  # inputs (fnmatch, subprocess, json) is imported where digests are taken
    from gitorch.context import Context
    from gitorch.engine.inputs import TaskInputs, WorktreeReader


class Loaded(msgspec.Struct, dict=True):  # dict: the cached_property members
    """A repository with its plan, ready for the engine."""

    repo: Repo
    lp: LoadedPlan
    settings: Settings
    store: StateStore

    @cached_property
    def worktree(self) -> WorktreeReader:
        """git's view of the work tree (started early by `load(prefetch=True)`)."""
        return _reader(self.repo_root)

    @property
    def plan(self) -> Plan:
        return self.lp.plan

    @property
    def digest(self) -> str:
        return self.lp.digest

    @property
    def repo_root(self) -> Path:
        return self.repo.require_worktree()

    @property
    def project_root(self) -> Path:
        return self.lp.root

    @cached_property
    def file(self) -> str:
        """The plan file as the user sees it (relative to the repository when inside it)."""
        try:
            return str(self.lp.file.relative_to(self.repo_root))
        except ValueError:
            return str(self.lp.file)

    @cached_property
    def by_id(self) -> dict[str, Task]:
        return {t.id: t for t in self.plan.tasks}

    @cached_property
    def order(self) -> list[str]:
        """Every task id, dependencies before dependents, otherwise in plan order."""
        from gitorch.plan.graph import order

        return [tid for level in order(self.plan) for tid in level]

    @cached_property
    def events(self) -> list[Event]:
        """Every event of the state branch and the journal (read once)."""
        return self.store.events()  # the branch and any journal (a killed run may have no branch yet)

    @cached_property
    def head(self) -> str | None:
        """The commit the work tree is on (None before the first commit)."""
        started = self.__dict__.pop("_head_proc", None)  # by load(prefetch="run")
        if started is not None:
            out = started.communicate()[0].decode().strip()
        else:
            proc = git(["rev-parse", "--verify", "-q", "HEAD"], self.repo_root, check=False)
            out = proc.stdout.decode().strip()
        return out or None


def task_inputs(loaded: Loaded) -> dict[str, TaskInputs]:
    """Every task's inputs digest, from the work tree as git sees it: `git status` and the
    inputs cache (inputcache.py) when nothing changed since they were computed, else
    `git ls-files -s` too and the digests computed afresh."""
    from gitorch.engine import inputcache
    from gitorch.engine.inputs import compute_inputs

    root = loaded.repo_root
    exclude = [layout.DASHBOARD]  # a TASKS.md kept in the work tree (run --dashboard)
    for f in loaded.lp.files:
        with contextlib.suppress(ValueError):
            exclude.append(str(Path(f).absolute().relative_to(root)))
    if not inputcache.enabled():
        return compute_inputs(definitions(loaded.plan.tasks), loaded.worktree.result(),
                              loaded.order, exclude)
    git_dir = loaded.repo.git_dir
    status = loaded.worktree.status()  # first: git status may refresh the index
    index = inputcache.index_stamp(git_dir)
    key = inputcache.cache_key(plan_digest=loaded.digest, order=loaded.order, exclude=exclude,
                               index=index, status=status, head=loaded.head)
    where = inputcache.slot(loaded.repo.scratch, root)
    found = inputcache.lookup(where, key)
    if found is not None:
        return found
    out = compute_inputs(definitions(loaded.plan.tasks), loaded.worktree.result(),
                         loaded.order, exclude)
    if inputcache.index_stamp(git_dir) == index:  # the index listed is the one in the key
        inputcache.store(where, key, out)
    return out


def load(ctx: Context, *, run_plan: bool = False, prefetch: bool | str = False) -> Loaded:
    """The context's repository and its plan (--file, default: orchestrator.yml).

    `run_plan`: without --file, take the plan file the latest run used (resume, approve,
    status, next, report follow the run, whichever plan file it was started with).
    `prefetch`: start listing the work tree with git now (for inputs digests), so it runs
    while the plan and the state branch are read; "run": and resolving HEAD.
    """
    repo = ctx.repo
    root = repo.require_worktree()
    worktree = None
    head_proc = None
    early_head: tuple[str | None] | None = None
    if prefetch:
        from gitorch.engine import prestart
        from gitorch.engine.inputs import start_git

        here = _same_dir(ctx.cwd)
        worktree = (prestart.take(root) if here else None) or _reader(root)
        if prefetch == "run":  # a run reads HEAD too: the early rev-parse's answer, or ask now
            from gitorch.repo import take_early_head

            early_head = take_early_head(repo)
            if early_head is None:
                head_proc = start_git(["rev-parse", "--verify", "-q", "HEAD"], root)
    store = ctx.store
    file = ctx.file
    try:
        if file is None and run_plan:
            from gitorch.store.runread import last_plan_file

            recorded = last_plan_file(store)  # through the run index: not every event
            if recorded and (root / recorded).is_file():
                file = str(root / recorded)
        lp = ctx.with_file(file).plan
    except BaseException:
        if worktree is not None:  # refused (no plan, a bad one): its git status waited for, not
            worktree.close()      # left running after gitorch exits, holding .git/index.lock
        raise
    loaded = Loaded(repo=repo, lp=lp, settings=ctx.settings, store=store)
    if worktree is not None:
        loaded.__dict__["worktree"] = worktree
    if head_proc is not None:
        loaded.__dict__["_head_proc"] = head_proc
    elif early_head is not None:
        loaded.__dict__["head"] = early_head[0]
    return loaded


def _reader(root: Path) -> WorktreeReader:
    """A reader of the work tree; `git ls-files -s` waits for a miss of the inputs cache."""
    from gitorch.engine import inputcache
    from gitorch.engine.inputs import WorktreeReader

    return WorktreeReader(root, eager=not inputcache.enabled())


def _same_dir(cwd: Path) -> bool:
    """Whether `cwd` is the process's directory (where prestart listed the work tree)."""
    try:
        return cwd.resolve() == Path.cwd().resolve()
    except OSError:
        return False


def selection_of(loaded: Loaded, targets: list[str], all_tasks: bool = False) -> set[str]:
    """The tasks a run with these --task targets runs: them and their dependencies (every
    task without targets); UsageError (exit 2) for an unknown id."""
    from gitorch.engine.scheduler import closure
    from gitorch.errors import UsageError

    unknown = [t for t in targets if t not in loaded.by_id]
    if unknown:
        known = ", ".join(list(loaded.by_id)[:10])
        raise UsageError(f"unknown task {', '.join(unknown)} (--task)",
                         hint=f"tasks in {loaded.file}: {known}")
    if all_tasks or not targets:
        return {t.id for t in loaded.plan.tasks}
    return closure({t.id: list(t.dependencies) for t in loaded.plan.tasks}, targets)


def definition(task: Task) -> dict[str, object]:
    """A task as builtins (what its inputs digest is made of)."""
    out = msgspec.to_builtins(task)
    assert isinstance(out, dict)
    return out


def definitions(tasks: list[Task]) -> list[dict[str, object]]:
    """Every task as builtins, as `definition` gives each (one call for all: ~1.5 M instructions
    less than one a task at 1,000 tasks)."""
    out = msgspec.to_builtins(tasks)
    assert isinstance(out, list)
    return out


def plan_changes(store: StateStore, old_digest: str, plan: Plan) -> list[str]:
    """What changed between the plan recorded as `old_digest` and `plan`, in words."""
    from gitorch.engine.inputs import definition_parts

    recorded = layout.read_recorded_plan(store.read, old_digest, Plan)
    old = recorded.value
    if old is None and recorded.problem == "unreadable":
        return [f"the plan changed (the recorded plan {old_digest[:12]} cannot be read)"]
    if old is None:
        return [f"the plan changed (digest {old_digest[:12]} -> now; the old plan is not recorded)"]
    before = {t.id: t for t in old.tasks}
    after = {t.id: t for t in plan.tasks}
    changes = [f"task {tid} added" for tid in after if tid not in before]
    changes += [f"task {tid} removed" for tid in before if tid not in after]
    for tid in after:
        if tid not in before or before[tid] == after[tid]:
            continue
        a, b = definition_parts(definition(before[tid])), definition_parts(definition(after[tid]))
        parts = [p for p in a if a[p] != b[p]]
        if before[tid].dependencies != after[tid].dependencies:
            parts.append("dependencies")
        changes.append(f"task {tid} changed ({', '.join(parts) or 'title or description'})")
    if old.project != plan.project:
        changes.append("project settings changed")
    if old.orchestrator != plan.orchestrator:
        changes.append("orchestrator settings (gates) changed")
    return changes or ["the plan changed (formatting only)"]


def task_root(loaded: Loaded, task: Task) -> Path:
    """Where `task`'s commands run: the project root, or its workspace repo (`repo:`)."""
    if not task.repo:
        return loaded.project_root
    # A missing manifest, an unknown name or a repo not checked out: a WorkspaceError (exit 2).
    from gitorch.workspace.manifest import resolve_repo

    return resolve_repo(loaded.repo_root, task.repo)
