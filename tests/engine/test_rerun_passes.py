"""passes.json (engine/watch.py): a run starts from it instead of the whole watch.json when
it was taken from the watch.json on the branch, and gets exactly what watch.json gives;
a watch.json written without it is read itself, and the next run writes a matching one."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gitorch.engine.history import History, history_from_watch
from gitorch.engine.setup import Loaded, load
from gitorch.store import layout
from tests.conftest import OrchRunner, git
from tests.engine.helpers import fresh_context, plan_repo

TASKS = [
    {"id": "a", "paths": {"preferred": ["a/"]}, "commands": {"t": "true"}},
    {"id": "b", "paths": {"preferred": ["b/"]}, "commands": {"t": "true"}},
    {"id": "c", "dependencies": ["a"], "commands": {"t": "true"}},
]


def _repo(path: Path) -> Path:
    return plan_repo(path, {"a/one.txt": "one\n", "b/x.txt": "x\n"}, TASKS)


def _loaded(root: Path) -> Loaded:
    return load(fresh_context(root))


def _as_watch_says(lp: Loaded) -> History:
    """history_from_watch's answer read from watch.json itself (passes.json out of the way)."""
    raw = lp.store.read(layout.WATCH)
    assert raw is not None
    doc = json.loads(raw)
    h = History(events=[], watch_tasks=doc["tasks"], watch_awaiting=doc["awaiting"])
    from gitorch.engine.history import Pass

    h.passes = {t: Pass(e["inputs"], e["run"], e.get("commit") or "", "") for t, e in doc["tasks"].items()}
    return h


def _run(orch: OrchRunner, root: Path) -> dict[str, int]:
    proc = orch("run", "--json", cwd=root)
    assert proc.returncode == 0, proc.stderr
    counts: dict[str, int] = json.loads(proc.stdout)["counts"]
    return counts


def test_passes_give_what_watch_json_gives(tmp_path: Path, orch: OrchRunner, backend: str) -> None:
    root = _repo(tmp_path / "r")
    assert _run(orch, root) == {"completed": 3}
    lp = _loaded(root)
    passes = json.loads(lp.store.read(layout.PASSES) or b"{}")
    assert passes["watch"] == lp.store.blob_id(layout.WATCH)
    fast, slow = history_from_watch(lp), _as_watch_says(lp)
    assert fast is not None and fast.watch_tasks is None  # watch.json not read
    assert fast.passes == slow.passes and fast.watch_awaiting == slow.watch_awaiting
    assert all(fast.in_watch(t) for t in ("a", "b", "c")) and not fast.in_watch("zz")
    assert fast.watch_tasks is None
    assert fast.watch == slow.watch  # read when asked, from that very blob


def test_a_watch_json_written_without_passes_is_read_and_passes_follow(
        tmp_path: Path, orch: OrchRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _repo(tmp_path / "r")
    _run(orch, root)
    lp = _loaded(root)
    doc = json.loads(lp.store.read(layout.WATCH) or b"{}")
    doc["tasks"]["b"]["inputs"] = "0" * 64  # as another writer (ci results) would: b must run
    lp.store.append([], files={layout.WATCH: json.dumps(doc).encode()})
    lp = _loaded(root)
    h = history_from_watch(lp)
    assert h is not None and h.watch_tasks is not None  # passes.json no longer matched
    assert h.passes["b"].inputs == "0" * 64 and h.watch_unmatched == lp.store.blob_id(layout.WATCH)
    assert _run(orch, root) == {"completed": 1, "skipped": 2}  # b, on what watch.json says
    lp = _loaded(root)
    assert json.loads(lp.store.read(layout.PASSES) or b"{}")["watch"] == lp.store.blob_id(layout.WATCH)
    assert _run(orch, root) == {"skipped": 3}
    lp = _loaded(root)
    before = lp.store.read(layout.WATCH)
    assert _run(orch, root) == {"skipped": 3}  # skipped everything: neither file rewritten
    assert _loaded(root).store.read(layout.WATCH) == before


def test_a_task_that_passes_keeps_the_other_entries(tmp_path: Path, orch: OrchRunner) -> None:
    root = _repo(tmp_path / "r")
    _run(orch, root)
    assert _run(orch, root) == {"skipped": 3}
    before = json.loads(_loaded(root).store.read(layout.WATCH) or b"{}")["tasks"]
    (root / "b/x.txt").write_text("changed\n")
    assert _run(orch, root) == {"completed": 2, "skipped": 1}  # b, and c (no paths: the whole tree)
    lp = _loaded(root)
    after = json.loads(lp.store.read(layout.WATCH) or b"{}")["tasks"]
    assert after["a"] == before["a"] and after["b"] != before["b"] and after["c"] != before["c"]
    h = history_from_watch(lp)
    assert h is not None and h.passes == _as_watch_says(lp).passes


def test_passes_alone_reach_watch_json_at_most_every_watch_every_seconds(tmp_path: Path) -> None:
    """Mid-run, a flush carries watch.json for passes only once WATCH_EVERY has passed since
    the last write (a gate that starts waiting goes at once); the last flush always has it."""
    from types import SimpleNamespace

    from gitorch.engine.history import History
    from gitorch.engine.inputs import TaskInputs
    from gitorch.engine.watch import WatchRecord
    from gitorch.hooks.watchindex import INDEX_FILE
    from gitorch.store import layout

    cur = TaskInputs("a", "d" * 64, {}, [], {"(tree)": "t" * 64}, {}, tree="t" * 64)
    gate = [{"run": "r", "task": "b", "gate": "review"}]
    for before in (None, []):  # a first run (no watch.json yet) and a later one
        watch = WatchRecord(History(events=[], watch_tasks={}, watch_awaiting=before),
                            SimpleNamespace(repo_root=tmp_path))  # type: ignore[arg-type]
        watch.passed("a", cur, "r", "")
        assert watch.flush_files([]) == {}  # a pass alone, just now: later
        gated = watch.flush_files(gate)  # a gate waits: at once, with the pass
        assert set(gated) == {layout.WATCH, layout.PASSES, INDEX_FILE}
        assert json.loads(gated[layout.WATCH] or b"")["tasks"]["a"]["inputs"] == "d" * 64
        watch.passed("b", TaskInputs("b", "e" * 64, {}, [], {}, {}), "r", "")
        assert watch.flush_files(gate) == {} and not watch.held_back()
        watch._due = 0.0  # WATCH_EVERY seconds later
        assert watch.held_back()  # the engine flushes for it even if no event comes (a long task)
        assert json.loads(watch.flush_files(gate)[layout.WATCH] or b"")["tasks"].keys() == {"a", "b"}
        assert not watch.held_back()
        other = [{"run": "r", "task": "d", "gate": "review"}]  # one gate approved, another waits
        assert json.loads(watch.flush_files(other)[layout.WATCH] or b"")["awaiting"] == other
        watch.passed("c", TaskInputs("c", "f" * 64, {}, [], {}, {}), "r", "")
        final = watch.final_files(gate)  # the last flush: everything, whatever the time
        assert json.loads(final[layout.WATCH] or b"")["tasks"].keys() == {"a", "b", "c"}
        assert INDEX_FILE in final


def test_a_pass_reaches_the_branch_while_a_long_task_still_runs(tmp_path: Path, backend: str) -> None:
    """A quick task's pass reaches watch.json on the branch about WATCH_EVERY seconds later
    even when the next event is far off (a long task runs): the engine flushes for it."""
    import os
    import subprocess
    import time

    from gitorch.engine.watch import WATCH_EVERY
    root = plan_repo(tmp_path / "r", {"a/x": "1\n"},
                     [{"id": "a", "paths": {"preferred": ["a/"]}, "commands": {"t": "cat a/x"}},
                      {"id": "b", "dependencies": ["a"], "commands": {"t": f"sleep {WATCH_EVERY + 4}"}}])

    def a_run() -> str:
        doc = json.loads(git(root, "show", "refs/heads/orch/state:watch.json"))
        return str(doc["tasks"]["a"]["run"])

    subprocess.run(["git", "orch", "run", "--task", "a"], cwd=root, check=True, capture_output=True)
    first = a_run()
    (root / "a/x").write_text("2\n")
    proc = subprocess.Popen(["git", "orch", "run"], cwd=root, env=dict(os.environ),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        seen = first
        while proc.poll() is None and seen == first:
            time.sleep(0.25)
            seen = a_run()
        assert seen != first and proc.poll() is None, "a's pass reached watch.json only at the end"
    finally:
        proc.kill()  # b's sleep is not waited for
        proc.communicate(timeout=120)
