"""The sessions of one day fan out (sessions/<yyyy-mm>/<dd>/<h>/<h>/<session>/…): every tree
an append rewrites stays small however many sessions run that day, and older branches' paths
(sessions/<day>/<session>/…, sessions/<day>/<hh>/<session>/…) still read."""

from __future__ import annotations

import json
import time
from pathlib import Path

from gitorch import events as ev
from gitorch.repo import find_repo
from gitorch.store import layout
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
    months = git(repo, "ls-tree", "--name-only", "orch/state:sessions").split()
    assert len(months) == 1 and layout.session_day(ids[0]).startswith(months[0] + "-")
    days = git(repo, "ls-tree", "--name-only", f"orch/state:sessions/{months[0]}").split()
    assert len(days) == 1
    day = f"orch/state:sessions/{months[0]}/{days[0]}"
    first = git(repo, "ls-tree", "--name-only", day).split()
    assert first == [f"{n:x}" for n in range(16)]  # 300 sessions fill every bucket, no more
    sizes = [len(git(repo, "ls-tree", "--name-only", f"{day}/{a}/{b}").split())
             for a in first for b in git(repo, "ls-tree", "--name-only", f"{day}/{a}").split()]
    assert all(len(git(repo, "ls-tree", "--name-only", f"{day}/{a}").split()) <= 16 for a in first)
    assert sum(sizes) == SESSIONS and max(sizes) <= 8  # ~1.2 sessions a bucket
    found = list_sessions(store)
    assert sorted(i.session for i in found) == sorted(ids)
    assert all((i.events, i.segments) == (1, 1) for i in found)
    assert sorted(e.session for e in store.events()) == sorted(ids)


def test_a_session_in_the_older_layout_still_reads(repo: Path, orch: OrchRunner, backend: str) -> None:
    assert orch("init", cwd=repo).returncode == 0
    _add_blob(repo, "sessions/2026-01-02/s-old/00/seg.jsonl",
              '{"type": "run_started", "id": "e1", "ts": "2026-01-02T00:00:00Z", "run": "r"}\n')
    _add_blob(repo, "sessions/2026-01-03/4f/s-hh/00/seg.jsonl",  # the <day>/<hh>/ layout
              '{"type": "run_started", "id": "e2", "ts": "2026-01-03T00:00:00Z", "run": "r3"}\n')
    store = StateStore(find_repo(repo))
    store.append([ev.RunStarted(run="r2", session="s-new")])
    sessions = {s["session"]: s for s in json.loads(orch("sessions", "--json", cwd=repo).stdout)}
    assert (sessions["s-old"]["events"], sessions["s-old"]["segments"]) == (1, 1)
    assert (sessions["s-new"]["events"], sessions["s-new"]["segments"]) == (1, 1)
    assert (sessions["s-hh"]["events"], sessions["s-hh"]["segments"]) == (1, 1)
    events = json.loads("[" + ",".join(orch("events", "--json", cwd=repo).stdout.split()) + "]")
    assert {e["session"] for e in events} >= {"s-old", "s-new", "s-hh"}
    assert {e["run"] for e in events} >= {"r", "r2", "r3"}


def test_a_session_begun_in_the_previous_layout_continues_as_one(repo: Path, orch: OrchRunner,
                                                                   backend: str) -> None:
    """A session that wrote under sessions/<day>/<hh>/ (the previous gitorch) and goes on
    writing under today's path is one session with both segments, and its run is indexed
    from both folders."""
    sid = f"s-{int(time.time() * 1000):012x}-4242"
    day = layout.session_day(sid)
    assert orch("init", cwd=repo).returncode == 0
    _add_blob(repo, f"sessions/{day}/ab/{sid}/00/old.jsonl",
              json.dumps({"type": "run_started", "id": "e0", "ts": "2026-01-02T00:00:00.000Z",
                          "run": "r", "session": sid}) + "\n")
    store = StateStore(find_repo(repo))
    store.append([ev.TaskStarted(run="r", task="t", session=sid)])
    found = {i.session: i for i in list_sessions(store)}
    assert (found[sid].events, found[sid].segments) == (2, 2)
    summary = json.loads(store.read("runs/r.json") or b"{}")
    assert sorted(summary["index"]["folders"]) == sorted(
        [f"{day}/ab/{sid}", "/".join(layout.segment_path(sid, "x").split("/")[1:-2])])
    assert json.loads(orch("status", "--json", cwd=repo).stdout)["run"]["id"] == "r"
