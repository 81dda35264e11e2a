"""What a run is asked (RunOptions), what it tells the terminal (Progress) and how it ended
(RunResult): the types run.py, start.py, driver.py and finish.py share, in their own module
so those four do not import each other in a circle.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

import msgspec

from gitorch.views.states import RunStatus, TaskState

if TYPE_CHECKING:
    from gitorch.engine.runner import EditStep


class RunOptions(msgspec.Struct):
    """What `git orch run` was asked."""

    tasks: list[str] = msgspec.field(default_factory=list)
    all: bool = False
    dry_run: bool = False
    resume: bool = False
    jobs: int | None = None
    keep_going: bool = False
    no_build: bool = False
    force: bool = False
    dashboard: bool | None = None
    argv: list[str] = msgspec.field(default_factory=list)
    only: bool = False  # exactly `tasks`; their dependencies must be done already (gitorch/engine/only.py)
    run_id: str | None = None  # the CI run's id, shared by all its jobs (else a new one)
    # who does the edit step of agent tasks, given the loaded run (gitorch.agent.setup, wired
    # by the CLI); None: such tasks are manual work that waits
    edit_step: Callable[[Any], EditStep | None] | None = None


class RunResult(msgspec.Struct):
    """How a session of a run ended, for rendering and the exit code (not the per-run record
    on the state branch, which is store/layout.RunSummary)."""

    run: str
    status: RunStatus  # completed | failed | paused | interrupted
    exit_code: int
    counts: dict[str, int]
    # {"task", "reason"} and, for a failed command, "excerpt" (its last lines, redacted) and
    # "log" (branch:path of its whole output)
    failures: list[dict[str, str]] = msgspec.field(default_factory=list)
    awaiting: list[dict[str, str]] = msgspec.field(default_factory=list)
    waiting: list[dict[str, str]] = msgspec.field(default_factory=list)
    plan_changes: list[str] = msgspec.field(default_factory=list)
    stale_approvals: list[dict[str, str]] = msgspec.field(default_factory=list)  # given, but no longer apply
    duration: float = 0.0
    commit: str | None = None
    resumed: bool = False
    build: str | None = None  # completed | failed | interrupted when the build phase ran
    tree: str | None = None  # the verified tree when the work tree had uncommitted changes
    dirty: int = 0  # how many files differed from HEAD (0: HEAD itself was verified)
    noted: bool = False  # the result note was put on `commit`
    # after a run with sync_after_run (or portable state on an ephemeral machine):
    # {"remote", "pushed", "state"} when the state was pushed, {"error"} when it could not be
    sync: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "run": self.run, "status": self.status, "exit_code": self.exit_code,
            "counts": self.counts, "failures": self.failures, "awaiting": self.awaiting,
            "waiting": self.waiting, "plan_changes": self.plan_changes,
            "stale_approvals": self.stale_approvals,
            "duration": round(self.duration, 3), "commit": self.commit, "resumed": self.resumed,
            "build": self.build, "sync": self.sync, "tree": self.tree, "dirty": self.dirty,
            "noted": self.noted,
        }


class Progress(Protocol):
    """What a run tells the terminal as it goes (gitorch.views.progress.Progress)."""

    def start(self, run: str, total: int, done: int = 0) -> None: ...
    def task_started(self, task_id: str) -> None: ...
    def task_finished(self, task_id: str, state: TaskState, duration: float) -> None: ...
    def flush(self) -> None: ...
    def due(self) -> float | None: ...  # seconds until written lines must go out (None: none)
    def close(self) -> None: ...


class Silent:
    """No progress at all (tests, library use)."""

    def start(self, run: str, total: int, done: int = 0) -> None:
        pass

    def task_started(self, task_id: str) -> None:
        pass

    def task_finished(self, task_id: str, state: TaskState, duration: float) -> None:
        pass

    def flush(self) -> None:
        pass

    def due(self) -> float | None:
        return None

    def close(self) -> None:
        pass
