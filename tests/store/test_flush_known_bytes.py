"""A flush takes the bytes a run journaled as the segment of those events (no second
encoding, store/state.py), and encodes a file it had to decode; the branch holds the same
segment either way."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitorch import events as ev
from gitorch.repo import find_repo
from gitorch.store import layout
from gitorch.store.journal import Known
from gitorch.store.state import StateStore
from tests.conftest import git


def _segment(repo: Path) -> bytes:
    [path] = [p for p in git(repo, "ls-tree", "-r", "--name-only", "orch/state").splitlines()
              if p.startswith(layout.SESSIONS + "/")]
    return git(repo, "show", f"orch/state:{path}").encode() + b"\n"


def test_a_flush_commits_the_journaled_bytes_as_they_are(repo: Path, backend: str,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    store = StateStore(find_repo(repo))
    events: list[ev.Event] = [ev.RunStarted(run="r1", plan_digest="p"), ev.TaskCompleted(run="r1", task="a"),
                              ev.Completed(run="r1", status="completed")]
    store.journal(events)
    data = ev.encode_lines(events)

    def refuse(_events: object) -> bytes:
        raise AssertionError("encoded again")

    monkeypatch.setattr(ev, "encode_lines", refuse)
    assert store.flush(known=Known(data, events)) is not None
    assert _segment(repo) == data
    assert [e.id for e in StateStore(find_repo(repo)).events(run="r1")] == [e.id for e in events]


def test_a_journal_other_than_the_known_bytes_is_encoded(repo: Path, backend: str) -> None:
    store = StateStore(find_repo(repo))
    mine: list[ev.Event] = [ev.TaskCompleted(run="r1", task="a")]
    other: list[ev.Event] = [ev.TaskCompleted(run="r1", task="b")]
    store.journal(mine)
    store.journal(other)  # another writer of the session's file: the file is not `known`'s bytes
    store.flush(known=Known(ev.encode_lines(mine), mine))
    assert _segment(repo) == ev.encode_lines(mine + other)
