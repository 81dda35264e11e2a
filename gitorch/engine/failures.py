"""A task's latest failure from its events: the reason, the end of the failing command's
output (already redacted when recorded) and where the whole output is kept."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgspec

from gitorch import events as ev

EXCERPT_LINES = 20
EXCERPT = 1_500  # characters of output in a failure record


class Failure(msgspec.Struct, frozen=True):
    """A task's latest failure: run, reason, and the end of the failing command's output."""

    run: str
    reason: str
    excerpt: str = ""
    log: str = ""  # where the whole output is (`git orch logs TASK` or the state-branch path)


def last_lines(text: str, n: int = EXCERPT_LINES) -> str:
    """The last `n` lines of `text` (its trailing newline dropped)."""
    return "\n".join(text.rstrip("\n").splitlines()[-n:])


def latest_failure(events: Sequence[ev.Event], task: str) -> Failure | None:
    """The task's latest failure (None when it passed since), as `context TASK` shows it
    (failure_record: the failing command or check), its excerpt cut to the last
    EXCERPT_LINES lines."""
    doc = failure_record(task, list(events))
    if doc is None:
        return None
    return Failure(run=str(doc.get("run") or ""), reason=str(doc.get("reason") or ""),
                   excerpt=last_lines(str(doc.get("excerpt") or "")), log=str(doc.get("log") or ""))


def failing_command(events: Sequence[ev.Event], run: str, task: str) -> ev.CommandRun | None:
    """The last command of `task` in `run` that did not exit 0."""
    for e in reversed(events):
        if isinstance(e, ev.CommandRun) and e.run == run and e.task == task and e.status != 0:
            return e
    return None


def failure_record(task_id: str, history: list[ev.Event]) -> dict[str, Any] | None:
    """The last failure of `task_id`: its reason, the failing command or check, an excerpt."""
    failed_at = None
    for i in range(len(history) - 1, -1, -1):
        e = history[i]
        if e.task != task_id:
            continue
        if isinstance(e, ev.TaskCompleted):
            return None
        if isinstance(e, ev.TaskFailed):
            failed_at = i
            break
    if failed_at is None:
        return None
    failure = history[failed_at]
    assert isinstance(failure, ev.TaskFailed)
    out: dict[str, Any] = {"run": failure.run, "reason": failure.reason, "ts": failure.ts}
    for e in reversed(history[:failed_at]):
        if e.task != task_id or e.run != failure.run:
            continue
        if isinstance(e, ev.CommandRun) and e.status != 0:
            out.update(command=e.name, excerpt=_tail(e.excerpt), log=e.log)
            break
        if isinstance(e, ev.AcceptanceFailed):
            excerpt = str(e.evidence.get("excerpt") or e.evidence.get("reason") or "")
            out.update(check=e.check, excerpt=_tail(excerpt))
            break
    return out


def _tail(text: str, limit: int = EXCERPT) -> str:
    return text if len(text) <= limit else "…" + text[-(limit - 1):]
