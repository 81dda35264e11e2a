"""A `tasks_skipped` of any length: the `skipped` events it stands for have ids that sort in
the order of its tasks (readers order events by time, then id, and every one of these has
the compact event's time). Ids of the first 100,000 places are the ones written before."""

from __future__ import annotations

from pathlib import Path

from gitorch import events as ev
from gitorch.repo import find_repo
from gitorch.store.state import StateStore

BIG = 100_003  # past the five digits that used to be the whole place
TASKS = [f"t{n}" for n in range(BIG)]
TS = "2026-12-07T09:00:00.000Z"


def test_expanded_ids_sort_in_task_order_past_five_digits() -> None:
    compact = ev.TasksSkipped(run="r1", ts=TS, reason="unchanged", tasks=TASKS)
    got = ev.expand(compact)
    ids = [e.id for e in got]
    assert [e.task for e in got] == TASKS
    assert ids == sorted(ids) and len(set(ids)) == BIG
    assert ids[99_999] == f"{compact.id}.99999"  # the ids readers have always seen stay as they were
    assert ids[0] == f"{compact.id}.00000"
    assert ids[99_999] < ids[100_000] < ids[100_001] < ids[100_002]


def test_the_store_gives_them_in_task_order(repo: Path, backend: str) -> None:
    store = StateStore(find_repo(repo))
    store.append([ev.RunStarted(run="r1", ts=TS, plan_digest="p"),
                  ev.TasksSkipped(run="r1", ts=TS, reason="unchanged", tasks=TASKS)])
    skipped = [e.task for e in store.events(types=["skipped"])]
    assert skipped == TASKS  # sorted by (time, id): the task order, all states unaffected
