"""The sessions of one day fan out (sessions/<day>/<hh>/<session>/…): the day's tree stays
bounded however many sessions run that day, and older branches' paths still read."""

from __future__ import annotations

import json
import time
from pathlib import Path

from gitorch import events as ev
from gitorch.repo import find_repo
from gitorch.store.sessions import list_sessions
from gitorch.store.state import StateStore
from tests.conftest import OrchRunner, git
from tests.store.test_hand_written_segment import _add_blob

SESSIONS = 300  # more than the 256 buckets of a day


def test_many_sessions_in_one_day_stay_bounded(repo: Path, backend: str) -> None:
    store = StateStore(find_repo(repo))
    now = int(time.time() * 1000)
    ids = [f"s-{now - i:012x}-{1000 + i}" for i in range(SESSIONS)]
    store._commit([[ev.TaskStarted(run=f"r{i}", task="t", session=sid)] for i, sid in enumerate(ids)],
                  {}, "many sessions", readme=False)
    days = git(repo, "ls-tree", "--name-only", "orch/state:sessions").split()
    assert len(days) == 1
    buckets = git(repo, "ls-tree", "--name-only", f"orch/state:sessions/{days[0]}").split()
    assert 1 < len(buckets) <= 256 and all(len(b) == 2 for b in buckets)
    found = list_sessions(store)
    assert sorted(i.session for i in found) == sorted(ids)
    assert all((i.events, i.segments) == (1, 1) for i in found)
    assert sorted(e.session for e in store.events()) == sorted(ids)


def test_a_session_in_the_older_layout_still_reads(repo: Path, orch: OrchRunner, backend: str) -> None:
    assert orch("init", cwd=repo).returncode == 0
    _add_blob(repo, "sessions/2026-01-02/s-old/00/seg.jsonl",
              '{"type": "run_started", "id": "e1", "ts": "2026-01-02T00:00:00Z", "run": "r"}\n')
    store = StateStore(find_repo(repo))
    store.append([ev.RunStarted(run="r2", session="s-new")])
    sessions = {s["session"]: s for s in json.loads(orch("sessions", "--json", cwd=repo).stdout)}
    assert (sessions["s-old"]["events"], sessions["s-old"]["segments"]) == (1, 1)
    assert (sessions["s-new"]["events"], sessions["s-new"]["segments"]) == (1, 1)
    events = json.loads("[" + ",".join(orch("events", "--json", cwd=repo).stdout.split()) + "]")
    assert {e["session"] for e in events} >= {"s-old", "s-new"}
