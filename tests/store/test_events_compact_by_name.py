"""`git orch events --type tasks_skipped`: the compact event is a known type (the CLI accepts
it), so asking for it by name gives it as recorded; every other reader still gets the
`skipped` event of each task it names (docs/state.md)."""

from __future__ import annotations

import json
from pathlib import Path

from gitorch import events as ev
from gitorch.repo import find_repo
from gitorch.store.state import StateStore
from tests.conftest import OrchRunner

TS = "2026-12-07T03:00:0{}.000Z"


def _types(out: str) -> list[tuple[str, str | None]]:
    docs = [json.loads(line) for line in out.splitlines() if line.strip()]
    return [(d["type"], d.get("task")) for d in docs]


def test_asking_for_tasks_skipped_by_name_gives_it_as_recorded(repo: Path, backend: str,
                                                              orch: OrchRunner) -> None:
    store = StateStore(find_repo(repo))
    compact = ev.TasksSkipped(run="r1", ts=TS.format(1), reason="unchanged", tasks=["a", "b"])
    store.append([ev.RunStarted(run="r1", ts=TS.format(0), plan_digest="p"), compact,
                  ev.Completed(run="r1", ts=TS.format(2), status="completed")])
    asked = orch("events", "--type", "tasks_skipped", "--json", cwd=repo)
    assert asked.returncode == 0, asked.stderr
    docs = [json.loads(line) for line in asked.stdout.splitlines()]
    assert [(d["type"], d["id"], d["tasks"]) for d in docs] == [("tasks_skipped", compact.id, ["a", "b"])]
    both = orch("events", "--type", "tasks_skipped", "--type", "skipped", "--json", cwd=repo).stdout
    assert _types(both) == [("tasks_skipped", None), ("skipped", "a"), ("skipped", "b")]
    # not asked for by name: only the skipped events it stands for, as before
    assert _types(orch("events", "--type", "skipped", "--json", cwd=repo).stdout) == [
        ("skipped", "a"), ("skipped", "b")]
    every = _types(orch("events", "--json", cwd=repo).stdout)
    assert every == [("run_started", None), ("skipped", "a"), ("skipped", "b"), ("completed", None)]
    assert [ev.type_of(e) for e in store.events(types=["tasks_skipped"])] == ["tasks_skipped"]
    assert [e.task for e in store.events(run="r1", types=["skipped"])] == ["a", "b"]
