"""A task's latest failure from its events: the reason, the end of the failing command's
output (already redacted when recorded) and where the whole output is kept."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from gitorch import events as ev

if TYPE_CHECKING:
    from gitorch.engine.explain import Failure

EXCERPT_LINES = 20


def last_lines(text: str, n: int = EXCERPT_LINES) -> str:
    """The last `n` lines of `text` (its trailing newline dropped)."""
    return "\n".join(text.rstrip("\n").splitlines()[-n:])


def latest_failure(events: Sequence[ev.Event], task: str) -> Failure | None:
    """The task's latest failure (None when its latest end was not a failure)."""
    from gitorch.engine.explain import Failure

    failed: ev.TaskFailed | None = None
    for e in reversed(events):
        if e.task != task:
            continue
        if isinstance(e, ev.TaskFailed):
            failed = e
            break
        if isinstance(e, ev.TaskCompleted | ev.Skipped):
            return None  # it passed since
    if failed is None:
        return None
    run = failed.run or ""
    cmd = failing_command(events, run, task)
    if cmd is None:
        return Failure(run=run, reason=failed.reason)
    return Failure(run=run, reason=failed.reason, excerpt=last_lines(cmd.excerpt), log=cmd.log or "")


def failing_command(events: Sequence[ev.Event], run: str, task: str) -> ev.CommandRun | None:
    """The last command of `task` in `run` that did not exit 0."""
    for e in reversed(events):
        if isinstance(e, ev.CommandRun) and e.run == run and e.task == task and e.status != 0:
            return e
    return None
