"""A run waiting for a long command with nothing to commit does not spin: the recorder asks
for the loop back after one interval (to look at held-back files then), not at once. Before,
once an interval had passed since the last commit, every round's wait was ~1 ms: a run
waiting on a 6-second command woke ~1,300 times (issue 15, found measuring P1)."""

from __future__ import annotations

import time
from pathlib import Path

from gitorch import events as ev
from gitorch.engine.record import FLUSH_EVERY, EventRecorder
from tests.engine.helpers import fresh_context


def _long_ago(rec: EventRecorder) -> None:
    """As if the last commit were ten intervals ago (the run waited that long)."""
    rec._last_flush = time.monotonic() - 10 * rec._every


def test_nothing_to_commit_asks_back_after_an_interval(repo: Path, backend: str) -> None:
    rec = EventRecorder(fresh_context(repo).store, dict)
    _long_ago(rec)
    assert rec.seconds_to_flush() == rec._every == FLUSH_EVERY  # nothing waits for a commit
    assert not rec.maybe_flush()

    rec.add([ev.TaskStarted(run="r1", task="a")])  # an event not yet journaled: due now
    assert rec.seconds_to_flush() == 0.0
    rec.boundary()  # journaled, not committed: still due
    assert rec.seconds_to_flush() == 0.0
    assert rec.maybe_flush()  # committed

    _long_ago(rec)
    assert rec.seconds_to_flush() == rec._every  # nothing left: an interval again (longer
    # than FLUSH_EVERY when the last commit was slow)
    rec.add_files({"notes.txt": b"x"})  # a file for the branch also waits for a commit
    assert rec.seconds_to_flush() == 0.0
    assert rec.maybe_flush()
    assert [e.task for e in rec.store.events(types=["task_started"])] == ["a"]
