"""A sync's merged seal carries every merged run's last outcome (`Seal.lasts`), as the
summaries of the merged tree say, so `explain` walks a merged branch without reading
every summary."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitorch import events as ev
from gitorch.repo import find_repo
from gitorch.store import runindex
from gitorch.store.state import StateStore
from gitorch.store.sync import sync
from tests.conftest import git, make_repo


@pytest.fixture
def clones(tmp_path: Path, bare_remote: Path) -> tuple[Path, Path]:
    one = make_repo(tmp_path / "one")
    git(one, "remote", "add", "origin", str(bare_remote))
    git(one, "push", "-q", "origin", "main")
    git(tmp_path, "clone", "-q", str(bare_remote), str(tmp_path / "two"))
    return one, tmp_path / "two"


def test_a_merged_seal_keeps_every_runs_last(clones: tuple[Path, Path], backend: str) -> None:
    one, two = clones
    s1, s2 = StateStore(find_repo(one)), StateStore(find_repo(two))
    s1.append([ev.RunStarted(run="r1", session="s-1"), ev.TaskCompleted(run="r1", task="a", session="s-1")])
    s2.append([ev.RunStarted(run="r2", session="s-2"), ev.TaskFailed(run="r2", task="a", session="s-2")])
    s2.append([ev.TaskFailed(run="r1", task="a", session="s-2")])  # r1's last outcome, on the other clone
    assert sync(s1).pushed
    assert sync(s2).merge.state == "merged"
    idx = runindex.read_index(s2.backend, s2.state.root_tree())
    assert idx is not None and idx.seal.lasts is not None
    lasts: dict[str, str] = {}
    for e in s2.events():
        if e.run and isinstance(e, (ev.RunStarted, ev.TaskCompleted, ev.TaskFailed)):
            lasts[e.run] = max(lasts.get(e.run, e.ts), e.ts)
    assert idx.seal.lasts == lasts == {r: s.index.last for r, s in idx.runs().items() if s.index}
