"""A sync merges two clones' run indexes into one that still holds (no rebuild needed),
its seal carrying every merged run's last outcome (`Seal.lasts`, so `explain` walks a
merged branch without reading every summary), and a merge with a clone whose index does
not hold leaves the merged branch unsealed (read event by event until the next write
indexes it again)."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitorch import events as ev
from gitorch.repo import find_repo
from gitorch.store import runindex
from gitorch.store.state import StateStore
from gitorch.store.statebranch import lookup
from gitorch.store.sync import sync
from tests.conftest import git, make_repo


@pytest.fixture
def clones(tmp_path: Path, bare_remote: Path) -> tuple[Path, Path]:
    one = make_repo(tmp_path / "one")
    git(one, "remote", "add", "origin", str(bare_remote))
    git(one, "push", "-q", "origin", "main")
    git(tmp_path, "clone", "-q", str(bare_remote), str(tmp_path / "two"))
    return one, tmp_path / "two"


def _index(store: StateStore) -> runindex.Index | None:
    return runindex.read_index(store.backend, store.state.root_tree())


def _fold_keys(store: StateStore) -> dict[str, str]:
    """Each run's first folded ts, from every event (what the index must say)."""
    out: dict[str, str] = {}
    for e in store.events():
        if e.run and type(e) in runindex.FOLDED:
            out[e.run] = min(out.get(e.run, e.ts), e.ts)
    return out


def test_two_indexed_clones_merge_into_an_index_that_holds(clones: tuple[Path, Path], backend: str) -> None:
    one, two = clones
    s1, s2 = StateStore(find_repo(one)), StateStore(find_repo(two))
    s1.append([ev.RunStarted(run="r1", session="s-1"), ev.TaskCompleted(run="r1", task="a", session="s-1")])
    s2.append([ev.RunStarted(run="r2", session="s-2"), ev.Approved(gate="g", session="s-2")])
    s2.append([ev.TaskFailed(run="r1", task="a", session="s-2")])  # the same run, on the other clone
    assert sync(s1).pushed
    assert sync(s2).merge.state == "merged"
    idx = _index(s2)
    assert idx is not None  # sealed by the merge itself
    assert {r: s.index.first for r, s in idx.runs().items() if s.index} == _fold_keys(s2)
    entry = idx.entry("r1")
    assert entry is not None and len(entry.folders) == 2 and len(idx.loose) == 1
    keys = _fold_keys(s2)
    latest = max(keys, key=lambda r: (keys[r], r))
    assert idx.seal.latest == [keys[latest], latest]
    tree = s2.state.root_tree()
    assert tree is not None and lookup(s2.backend, tree, "index.json") is not None


def test_a_clone_without_the_index_leaves_the_merge_unsealed(clones: tuple[Path, Path], backend: str) -> None:
    one, two = clones
    s1, s2 = StateStore(find_repo(one)), StateStore(find_repo(two))
    s1.append([ev.RunStarted(run="r1")])
    s1.state.update(lambda tree: {"index.json": None}, "an older gitorch")  # its seal is gone
    git(one, "push", "-q", "origin", "orch/state")  # as it wrote it (a sync would index it first)
    s2.append([ev.RunStarted(run="r2")])
    sync(s2)
    assert _index(s2) is None
    s2.append([ev.Observed(trigger="manual")])  # the next write indexes every event again
    idx = _index(s2)
    assert idx is not None and {r: s.index.first for r, s in idx.runs().items() if s.index} == _fold_keys(s2)


def test_a_merged_seal_keeps_every_runs_last(clones: tuple[Path, Path], backend: str) -> None:
    one, two = clones
    s1, s2 = StateStore(find_repo(one)), StateStore(find_repo(two))
    s1.append([ev.RunStarted(run="r1", session="s-1"), ev.TaskCompleted(run="r1", task="a", session="s-1")])
    s2.append([ev.RunStarted(run="r2", session="s-2"), ev.TaskFailed(run="r2", task="a", session="s-2")])
    s2.append([ev.TaskFailed(run="r1", task="a", session="s-2")])  # r1's last outcome, on the other clone
    assert sync(s1).pushed
    assert sync(s2).merge.state == "merged"
    idx = _index(s2)
    assert idx is not None and idx.seal.lasts is not None
    lasts: dict[str, str] = {}
    for e in s2.events():
        if e.run and isinstance(e, (ev.RunStarted, ev.TaskCompleted, ev.TaskFailed)):
            lasts[e.run] = max(lasts.get(e.run, e.ts), e.ts)
    assert idx.seal.lasts == lasts == {r: s.index.last for r, s in idx.runs().items() if s.index}
