"""`git orch sessions` counts a journaled `tasks_skipped` (not flushed yet) as pending: the
`skipped` events it stands for are all in the local journal (store/sessions.py)."""

from __future__ import annotations

from pathlib import Path

from gitorch import events as ev
from gitorch.repo import find_repo
from gitorch.store.sessions import list_sessions
from gitorch.store.state import StateStore


def test_a_journaled_tasks_skipped_counts_as_pending(repo: Path, backend: str) -> None:
    store = StateStore(find_repo(repo))
    store.journal([ev.RunStarted(run="r1", plan_digest="p"),
                   ev.TasksSkipped(run="r1", reason="unchanged", tasks=["a", "b", "c"])])
    [only] = list_sessions(store)
    assert (only.events, only.pending, only.runs) == (4, 4, ["r1"])  # nothing on the branch yet
    store.flush()
    [only] = list_sessions(StateStore(find_repo(repo)))
    assert (only.events, only.pending, only.segments) == (4, 0, 1)
