"""`tasks_skipped` (gitorch/events.py): one recorded event standing for the `skipped` event of
each task it names. The store gives it to readers of the whole log as those events; the
fold, the run summary and the run index read it as them; a reader that does not know the
type keeps it raw."""

from __future__ import annotations

import json
from pathlib import Path

import msgspec
import pytest

from gitorch import events as ev
from gitorch.repo import find_repo
from gitorch.store import runread
from gitorch.store.state import StateStore
from gitorch.views.fold import fold_runs
from tests.conftest import git

TS = "2026-12-07T03:00:0{}.000Z"


def _log() -> list[ev.Event]:
    """A run of five tasks: one ran, four skipped (two reasons), in one or two stretches."""
    r = "r1"
    return [
        ev.RunStarted(run=r, ts=TS.format(0), commit="c" * 40, plan_digest="p"),
        ev.TasksSkipped(run=r, ts=TS.format(1), reason="unchanged since the last pass in run r0 at ccccccc",
                        tasks=["a", "b"]),
        ev.TasksSkipped(run=r, ts=TS.format(1), reason="unchanged since the last pass in run rX",
                        tasks=["c"]),
        ev.TaskStarted(run=r, task="d", ts=TS.format(2), inputs="i"),
        ev.TaskCompleted(run=r, task="d", ts=TS.format(3), inputs="i"),
        ev.TasksSkipped(run=r, ts=TS.format(4), reason="unchanged since the last pass in run r0 at ccccccc",
                        tasks=["e"]),
        ev.Completed(run=r, ts=TS.format(5), status="completed"),
    ]


def test_expand_gives_a_skipped_event_per_task_in_order() -> None:
    compact = _log()[1]
    assert isinstance(compact, ev.TasksSkipped)
    got = ev.expand(compact)
    assert [(e.task, e.reason, e.run, e.ts, e.session) for e in got] == [
        (t, compact.reason, "r1", compact.ts, compact.session) for t in ("a", "b")]
    assert [e.id for e in got] == sorted(e.id for e in got) and len({e.id for e in got}) == 2
    assert ev.decode(ev.encode(compact)) == compact  # round trip under its own tag
    assert "tasks_skipped" in ev.EVENT_TYPES


def test_the_fold_reads_it_as_the_skipped_events() -> None:
    log = _log()
    assert msgspec.to_builtins(fold_runs(log)) == msgspec.to_builtins(fold_runs(ev.expanded(log)))
    run = fold_runs(log)[0]
    assert {t: v.state for t, v in run.tasks.items()} == {
        "a": "skipped", "b": "skipped", "c": "skipped", "d": "completed", "e": "skipped"}
    assert run.events == 8  # counted as the skipped events it stands for
    assert fold_runs([ev.TasksSkipped(run="r9", tasks=[])]) == []  # stands for nothing


def test_a_reader_that_does_not_know_the_type_keeps_it_raw() -> None:
    """What a gitorch older than the type does with it (its decoder has no such tag)."""
    line = ev.encode(_log()[1])
    older = msgspec.json.Decoder(ev.Skipped | ev.RunStarted | ev.UnknownEvent)
    with pytest.raises(msgspec.ValidationError):
        older.decode(line)  # then events.decode keeps it as UnknownEvent, which folds to nothing
    raw = json.loads(line)
    assert raw["type"] == "tasks_skipped" and raw["tasks"] == ["a", "b"] and "task" not in raw


def test_the_store_gives_it_as_skipped_events(repo: Path, backend: str) -> None:
    store = StateStore(find_repo(repo))
    store.append(_log())
    every = store.events()
    assert not any(isinstance(e, ev.TasksSkipped) for e in every)
    assert [e.task for e in every if isinstance(e, ev.Skipped)] == ["a", "b", "c", "e"]
    assert [e.task for e in store.events(types=["skipped"])] == ["a", "b", "c", "e"]
    assert [e.task for e in store.events(run="r1", types=["skipped"])] == ["a", "b", "c", "e"]
    assert msgspec.to_builtins(fold_runs(every)) == msgspec.to_builtins(fold_runs(_log()))
    # on the branch it is one event per stretch, as written
    segments = git(repo, "ls-tree", "-r", "--name-only", "orch/state", "sessions/").split()
    lines = [json.loads(x) for p in segments for x in git(repo, "show", f"orch/state:{p}").splitlines()]
    assert [x["type"] for x in lines].count("tasks_skipped") == 3
    # the run summary and the run index read it too
    summary = json.loads(git(repo, "show", "orch/state:runs/r1.json"))
    assert summary["tasks"] == {"a": "skipped", "b": "skipped", "c": "skipped", "d": "completed",
                                "e": "skipped"}
    idx = runread.index(store)
    assert idx is not None and runread.latest_run(idx, []) == (True, "r1")
    indexed = runread.ordered(runread.read_runs(store, idx, {"r1"}))  # what status reads: as written
    assert [ev.type_of(e) for e in indexed].count("tasks_skipped") == 3
    assert msgspec.to_builtins(fold_runs(indexed)) == msgspec.to_builtins(fold_runs(every))
