"""The states a task and a run can be in: one type each, used by the fold, the engine,
status, reports and the dashboard (never bare strings that could drift)."""

from __future__ import annotations

from typing import Literal, get_args

TaskState = Literal[
    "pending",  # not started in this run (its dependencies are not done, or it was not reached)
    "in_progress",  # started, or a manual task waiting for its acceptance
    "interrupted",  # it was running when the run was stopped (Ctrl-C, SIGTERM)
    "awaiting_approval",  # held at a gate
    "blocked",  # a dependency failed
    "failed",
    "completed",
    "skipped",  # unchanged since its last pass
]
RunStatus = Literal["running", "completed", "failed", "paused", "interrupted"]

TASK_STATES: tuple[TaskState, ...] = get_args(TaskState)
RUN_STATUSES: tuple[RunStatus, ...] = get_args(RunStatus)
DONE: frozenset[TaskState] = frozenset({"completed", "skipped"})
