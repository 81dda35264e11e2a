"""A task's latest failure from its events: the reason, the end of the failing command's
output (already redacted when recorded) and where the whole output is kept."""

from __future__ import annotations

from collections.abc import Sequence

import msgspec

from gitorch import events as ev

EXCERPT_LINES = 20


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
    """The task's latest failure (None when it passed since), as `context TASK` finds it
    (engine/context.latest_failure: the failing command or check), its excerpt cut to the
    last EXCERPT_LINES lines."""
    from gitorch.engine.context import latest_failure as found_by_context

    doc = found_by_context(task, list(events))
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
