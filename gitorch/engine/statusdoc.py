"""The status document: what `status` returns and `status --json` encodes.

Its own module so that the status of a run shown without a plan file (engine/recorded.py)
and `status` itself build the same Structs without importing each other.
"""

from __future__ import annotations

import msgspec

from gitorch.views.states import RunStatus, TaskState


class RunInfo(msgspec.Struct, frozen=True, omit_defaults=True):
    """The latest run, as `status` shows it."""

    id: str
    status: RunStatus
    started: str
    ended: str | None
    duration: float
    commit: str | None
    plan_digest: str
    plan_changed: bool
    dirty: int = 0  # files that differed from `commit` when the run verified the work tree
    tree: str | None = None  # the tree it verified then
    title: str = ""  # an imported workflow's task description (gitorch.engine.recorded)
    source: str = ""  # "imported" or "recorded" when shown without a plan file


class TaskStatus(msgspec.Struct, frozen=True):
    """One task in `status`."""

    id: str
    title: str
    state: TaskState
    duration: float = 0.0
    reason: str = ""
    gate: str | None = None
    blocked_by: list[str] = []
    waiting_on: list[str] = []
    attempts: int = 0


class GateWait(msgspec.Struct, frozen=True):
    task: str
    gate: str


class Status(msgspec.Struct, frozen=True):
    """`status --json`: the latest run and each task's state in it."""

    plan: str | None  # None: shown from the plan the run recorded (no plan file)
    plan_digest: str
    run: RunInfo | None
    tasks: list[TaskStatus]
    awaiting: list[GateWait]
    counts: dict[str, int]
