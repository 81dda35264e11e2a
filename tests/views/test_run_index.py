"""The run index (store/runindex.py) gives exactly what a fold of every event gives.

`status`, `next` and `explain` read the latest run (and, for `explain`, the runs that hold
a task's last pass or failure) through the index; a branch whose seal is gone is read the
old way, event by event. Both must print the same, on a real repository whose history has
many runs: gated and approved, resumed, failed, forced, imported from legacy files, and a
run whose events are still in the local journal. The commands go through the console entry
point in this process (the `entry` fixture: the lean path of status, next, explain and run,
as a subprocess takes it); one test reads status through a real `git orch` process too.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import msgspec
import pytest

from gitorch import events as ev
from gitorch.repo import find_repo
from gitorch.store import layout, runindex, runread
from gitorch.store.state import StateStore
from gitorch.views import fold
from tests.conftest import InprocResult, OrchRunner, git
from tests.e2e.helpers import write_plan

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "migrate"))
from legacy_fixtures import write_all  # noqa: E402

TASKS = ("build", "flaky", "ship", "docs")


def _commit(repo: Path, message: str) -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)


Orch = Callable[..., InprocResult]


def _history(repo: Path, orch: Orch) -> None:
    """Runs of every kind: gated then approved and resumed, failed, forced, legacy."""
    flag = repo / "fail-flaky"
    write_plan(repo, [
        {"id": "build", "commands": {"t": "true"}},
        {"id": "flaky", "commands": {"t": f"test ! -e {flag}"}},
        {"id": "ship", "type": "deploy", "dependencies": ["build"], "commands": {"t": "true"}},
        {"id": "docs", "dependencies": ["flaky"], "commands": {"t": "true"}},
    ], orchestrator={"approvals": {"required": ["deploy"]}})
    write_all(repo)  # legacy state, imported below as runs of its own
    _commit(repo, "plan")
    assert orch("run", cwd=repo).returncode == 3  # ship waits at the gate
    assert orch("approve", "deploy", cwd=repo).returncode == 0
    assert orch("resume", cwd=repo).returncode == 0
    flag.write_text("x")
    assert orch("run", "--force", cwd=repo).returncode == 1  # flaky fails, docs blocked
    assert orch("migrate", cwd=repo).returncode == 0
    flag.unlink()
    for _ in range(3):
        assert orch("run", "--force", cwd=repo).returncode == 0
    flag.write_text("x")
    assert orch("run", "--force", "-t", "flaky", cwd=repo).returncode == 1


def _drop_seal(repo: Path) -> None:
    """A commit by another writer that removes index.json: readers fold every event."""
    tree = git(repo, "rev-parse", "orch/state^{tree}")
    listing = git(repo, "ls-tree", tree)
    kept = "\n".join(line for line in listing.splitlines() if not line.endswith("\tindex.json"))
    new = subprocess.run(["git", "mktree"], cwd=repo, input=(kept + "\n").encode(), capture_output=True,
                         check=True).stdout.decode().strip()
    commit = git(repo, "commit-tree", new, "-p", "orch/state", "-m", "by hand")
    git(repo, "update-ref", "refs/heads/orch/state", commit)


def _as_before_the_index(repo: Path) -> None:
    """The branch as a gitorch before the index left it: no seal, summaries without one."""
    store = _store(repo)
    backend = store.backend

    def build(tree: str | None) -> dict[str, str | None]:
        assert tree is not None
        changes: dict[str, str | None] = {layout.INDEX: None}
        for name in store.list(layout.RUNS):
            path = f"{layout.RUNS}/{name}"
            raw = store.read(path)
            assert raw is not None
            s = msgspec.json.decode(raw, type=layout.RunSummary)
            s.index = None
            changes[path] = backend.write_blob(msgspec.json.encode(s) + b"\n")
        return changes

    store.state.update(build, "an older gitorch")


def _views(repo: Path, orch: Orch) -> dict[str, str]:
    out = {"status": orch("status", "--json", cwd=repo).stdout,
           "next": orch("next", "--json", cwd=repo).stdout}
    for task in TASKS:
        out[f"explain {task}"] = orch("explain", task, "--json", cwd=repo).stdout
    return out


def _store(repo: Path) -> StateStore:
    return StateStore(find_repo(repo))


@pytest.mark.slow
def test_status_next_and_explain_read_through_the_index_as_from_every_event(
    repo: Path, entry: Orch, backend: str,
) -> None:
    orch = entry
    _history(repo, orch)
    store = _store(repo)
    # a run that has not reached the branch: its events are only in the journal
    store.journal([ev.RunStarted(run="r-journal", plan_file="orchestrator.json"),
                   ev.TaskStarted(run="r-journal", task="build")])
    idx = runindex.read_index(store.backend, store.state.root_tree())
    assert idx is not None and len(idx.runs()) >= 8  # the index holds (runs + legacy runs)
    indexed = _views(repo, orch)
    assert json.loads(indexed["status"])["run"]["id"] == "r-journal"
    assert "latest_failure" in json.loads(indexed["explain flaky"])
    _drop_seal(repo)
    assert runindex.read_index(store.backend, store.state.root_tree()) is None
    assert _views(repo, orch) == indexed
    # the next write rebuilds the index from every event, and it reads the same again
    _store(repo).append([ev.Observed(session="s-hook", trigger="manual")])
    assert runindex.read_index(store.backend, _store(repo).state.root_tree()) is not None
    again = _views(repo, orch)
    _drop_seal(repo)
    assert _views(repo, orch) == again


def test_the_index_knows_what_the_fold_counts() -> None:
    """FOLDED (the store's copy) is the fold's set of run and task events."""
    assert runindex.FOLDED == fold.FOLDED_TYPES


def test_each_run_indexes_its_folders_first_event_and_launch(repo: Path, backend: str) -> None:
    store = _store(repo)
    store.append([ev.RunStarted(run="r1", plan_file="a.yml", session="s-a", ts="2026-01-01T00:00:01.000Z")])
    store.append([ev.TaskStarted(run="r1", task="t", session="s-b", ts="2026-01-01T00:00:00.500Z"),
                  ev.TaskCompleted(run="r1", task="t", session="s-b", ts="2026-01-01T00:00:03.000Z"),
                  ev.Approved(gate="g", session="s-b", ts="2026-01-01T00:00:04.000Z")])
    tree = store.state.root_tree()
    idx = runindex.read_index(store.backend, tree)
    assert idx is not None
    entry = idx.entry("r1")
    assert entry is not None
    assert [f.rsplit("/", 1)[-1] for f in entry.folders] == ["s-a", "s-b"]
    assert (entry.first, entry.last) == ("2026-01-01T00:00:00.500Z", "2026-01-01T00:00:03.000Z")
    assert entry.launch[0::2] == ["2026-01-01T00:00:01.000Z", "a.yml"]
    assert [f.rsplit("/", 1)[-1] for f in idx.loose] == ["s-b"]
    assert idx.seal.latest == ["2026-01-01T00:00:00.500Z", "r1"]
    assert idx.seal.launch[0::2] == ["2026-01-01T00:00:01.000Z", "a.yml"]


def test_the_seal_names_the_latest_run_even_when_one_moves_back(repo: Path, backend: str) -> None:
    """The latest run is the one whose first event is latest; a run that gains an earlier
    event (a clone's, a late flush) moves back, and the seal names the next one."""
    store = _store(repo)
    store.append([ev.RunStarted(run="r1", ts="2026-01-01T00:00:01.000Z")])
    store.append([ev.RunStarted(run="r2", ts="2026-01-01T00:00:02.000Z")])
    store.append([ev.TaskStarted(run="r0", task="t", ts="2026-01-01T00:00:01.500Z")])
    assert _seal(store).latest == ["2026-01-01T00:00:02.000Z", "r2"]
    store.append([ev.TaskStarted(run="r2", task="t", ts="2026-01-01T00:00:00.500Z")])
    assert _seal(store).latest == ["2026-01-01T00:00:01.500Z", "r0"]
    run = fold.latest_run(store.events())
    assert run is not None and run.id == "r0"


def _seal(store: StateStore) -> layout.Seal:
    idx = runindex.read_index(store.backend, store.state.root_tree())
    assert idx is not None
    return idx.seal


def test_a_foreign_timestamp_makes_readers_fold_everything(repo: Path, backend: str) -> None:
    store = _store(repo)
    store.append([ev.RunStarted(run="r1", ts="2026-01-01T00:00:01Z")])  # not gitorch's form
    raw = store.read(layout.run_path("r1"))
    assert raw is not None
    index = msgspec.json.decode(raw, type=layout.RunSummary).index
    assert index is not None and not index.exact
    assert runindex.read_index(store.backend, store.state.root_tree()) is None


def test_an_old_branch_reads_and_the_first_write_indexes_it(
    repo: Path, orch: OrchRunner, entry: Orch, backend: str,
) -> None:
    """A branch written before the index (no index.json, summaries without an index); read
    by a real `git orch` process."""
    write_plan(repo, [{"id": "a", "commands": {"t": "true"}}])
    _commit(repo, "plan")
    for _ in range(2):
        assert entry("run", "--force", cwd=repo).returncode == 0
    _as_before_the_index(repo)
    assert b'"index"' not in (_store(repo).read(layout.RUNS + "/" + _store(repo).list(layout.RUNS)[0]) or b"")
    before = orch("status", "--json", cwd=repo).stdout
    store = _store(repo)
    assert runindex.read_index(store.backend, store.state.root_tree()) is None
    store.append([ev.Observed(session="s-hook", trigger="manual")])
    idx = runindex.read_index(store.backend, store.state.root_tree())
    assert idx is not None and len(idx.runs()) == 2
    assert orch("status", "--json", cwd=repo).stdout == before


def _rewrite_seal(repo: Path, change: dict[str, object]) -> None:
    """Rewrite index.json by hand, keeping the trees it seals (so it still holds)."""
    store = _store(repo)
    raw = store.read(layout.INDEX)
    assert raw is not None
    doc = json.loads(raw)
    doc.update(change)
    doc = {k: v for k, v in doc.items() if v is not None}
    blob = store.backend.write_blob(json.dumps(doc).encode() + b"\n")
    store.state.update(lambda tree: {layout.INDEX: blob}, "an index.json by hand")


def _runs_out_of_order(store: StateStore) -> None:
    """Three runs whose ids, first events and last outcomes order three different ways."""
    day = "2026-01-01T00:00:"
    store.append([ev.RunStarted(run="r-b", ts=day + "01.000Z"),
                  ev.TaskCompleted(run="r-b", task="t", inputs="i1", ts=day + "09.000Z"),
                  ev.TaskFailed(run="r-b", task="u", ts=day + "09.500Z")])
    store.append([ev.RunStarted(run="r-a", ts=day + "02.000Z"),
                  ev.TaskCompleted(run="r-a", task="t", inputs="i2", ts=day + "03.000Z"),
                  ev.TaskCompleted(run="r-a", task="u", inputs="i3", ts=day + "04.000Z")])
    store.append([ev.RunStarted(run="r-c", ts=day + "05.000Z"),
                  ev.TaskCompleted(run="r-c", task="u", inputs="i4", ts=day + "06.000Z")])


def test_the_seal_keeps_each_runs_last_outcome_and_the_walk_reads_only_what_it_needs(
    repo: Path, backend: str,
) -> None:
    store = _store(repo)
    _runs_out_of_order(store)
    idx = runindex.read_index(store.backend, store.state.root_tree())
    assert idx is not None
    assert idx.seal.lasts == {run: s.index.last for run, s in idx.runs().items() if s.index}
    assert idx.seal.lasts == {"r-b": "2026-01-01T00:00:09.500Z", "r-a": "2026-01-01T00:00:04.000Z",
                              "r-c": "2026-01-01T00:00:06.000Z"}
    fresh = runindex.read_index(store.backend, store.state.root_tree())
    assert fresh is not None
    bounds: list[str] = []

    def done(last: str) -> bool:
        bounds.append(last)
        return last < "2026-01-01T00:00:09.000Z"

    # newest last outcome first (not by id, not by first event); stops at the first run
    # whose last outcome is too old, and reads no summary past it
    assert list(runread.walk(fresh, {"t"}, set(), done)) == ["r-b"]
    assert bounds == ["2026-01-01T00:00:09.500Z", "2026-01-01T00:00:06.000Z"]
    assert set(fresh._read) == {"r-b"}
    assert list(runread.walk(fresh, {"t"}, {"r-b"}, lambda last: False)) == ["r-a"]  # r-c has no t


def test_explain_walks_runs_by_last_outcome_as_every_event_says(
    repo: Path, entry: Orch, backend: str,
) -> None:
    """A run whose first event is older than another's but whose outcome is newer: the
    walk through the seal's lasts, through every summary (a seal from before the lasts)
    and the fold of every event explain alike; the next write restores the lasts."""
    flag = repo / "fail"
    write_plan(repo, [{"id": "a", "commands": {"t": "true"}},
                      {"id": "b", "commands": {"t": f"test ! -e {flag}"}}])
    _commit(repo, "plan")
    assert entry("run", cwd=repo).returncode == 0
    flag.write_text("x")
    assert entry("run", "--force", "-t", "b", cwd=repo).returncode == 1
    store = _store(repo)
    # an older run (first event before both) whose outcome of `a` is the newest of all
    store.append([ev.TaskStarted(run="r-0-early", task="a", ts="2000-01-01T00:00:00.000Z"),
                  ev.TaskFailed(run="r-0-early", task="a", ts="2999-01-01T00:00:00.000Z")])
    seal = _seal(_store(repo))
    assert seal.lasts is not None and len(seal.lasts) == 3
    views = {t: entry("explain", t, "--json", cwd=repo).stdout for t in ("a", "b")}
    assert json.loads(views["a"])["latest_failure"]["run"] == "r-0-early"
    _rewrite_seal(repo, {"lasts": None, "recent": None})  # as a gitorch before the lasts sealed it
    assert _seal(_store(repo)).lasts is None
    assert {t: entry("explain", t, "--json", cwd=repo).stdout for t in ("a", "b")} == views
    _store(repo).append([ev.Observed(session="s-hook", trigger="manual")])
    assert _seal(_store(repo)).lasts == seal.lasts
    _drop_seal(repo)
    assert {t: entry("explain", t, "--json", cwd=repo).stdout for t in ("a", "b")} == views
