"""A problem of a plan, before the loader locates it in a file."""

from __future__ import annotations

from gitorch.frozen import Frozen
from gitorch.plan.source import PathT


class PlanIssue(Frozen):
    """One problem: where in the plan (a path such as ("tasks", 3, "dependencies", 0)) and what.
    A frozen dataclass's behaviour (gitorch/frozen.py), without loading dataclasses."""

    _fields = ("path", "message", "hint")
    path: PathT
    message: str
    hint: str | None

    def __init__(self, path: PathT, message: str, hint: str | None = None) -> None:
        set_field = object.__setattr__
        set_field(self, "path", path)
        set_field(self, "message", message)
        set_field(self, "hint", hint)
