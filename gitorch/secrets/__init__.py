"""Secrets a plan declares: resolved per task (repo store, user store, environment), redacted.

The engine calls `resolve_for_task(repo, plan, task)` to build a task's environment and
`Redactor.for_repo(repo, names).redact(text)` on everything it records or prints.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from gitorch.errors import CheckFailed
from gitorch.repo import Repo
from gitorch.secrets.redact import MASK, Redactor
from gitorch.secrets.store import Resolved, check_name, lookup, unusable

if TYPE_CHECKING:
    from gitorch.plan.model import Plan, Task

__all__ = [
    "MASK", "Redactor", "Resolved", "check_name", "lookup", "required_names",
    "resolve_for_task", "redactor_for_plan",
]


def required_names(plan: Plan, task: Task | None = None) -> list[str]:
    """The secrets `task` receives (plan-level then task-level), or every name the plan uses."""
    names: list[str] = list(plan.secrets)
    tasks: Iterable[Task] = [task] if task is not None else plan.tasks
    for t in tasks:
        names.extend(t.secrets)
    return list(dict.fromkeys(names))


def resolve_for_task(repo: Repo | None, plan: Plan, task: Task) -> dict[str, str]:
    """NAME -> value for the secrets `task` declares; CheckFailed naming (never showing) a missing one."""
    out: dict[str, str] = {}
    missing: list[str] = []
    for name in required_names(plan, task):
        check_name(name)
        found = lookup(repo, name)
        why = unusable(name, found.value) if found is not None else None
        if why and found is not None:  # stored by hand, not by `secrets set`, which refuses it
            raise CheckFailed(f"task {task.id} needs secret {name}; its value ({found.where}) {why}",
                              hint=f"store a usable value: git orch secrets set {name}")
        if found is None:
            missing.append(name)
        else:
            out[name] = found.value
    if missing:
        names = ", ".join(missing)
        raise CheckFailed(
            f"task {task.id} needs secret{'s' if len(missing) > 1 else ''} {names}, not set",
            hint=f"`git orch secrets set {missing[0]}` (reads the value from stdin) or export "
                 f"{missing[0]} in the environment; `git orch secrets doctor` lists them all",
        )
    return out


def redactor_for_plan(repo: Repo | None, plan: Plan) -> Redactor:
    """A redactor for every secret the plan names (whatever task is running)."""
    return Redactor.for_repo(repo, required_names(plan))
