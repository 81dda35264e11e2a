"""A problem of a plan, before the loader locates it in a file."""

from __future__ import annotations

from dataclasses import dataclass

from gitorch.plan.source import PathT


@dataclass(frozen=True)
class PlanIssue:
    """One problem: where in the plan (a path such as ("tasks", 3, "dependencies", 0)) and what."""

    path: PathT
    message: str
    hint: str | None = None
