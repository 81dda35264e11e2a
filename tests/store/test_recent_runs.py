"""The seal's runs part lives in `recent.json`: the lasts of the RECENT_RUNS greatest runs
(by last outcome, then id) and the README's lines, rewritten only when they change, so the
seal every append rewrites (`index.json`) stays small whatever the number of runs. Walking
runs newest outcome first gives the order every summary gives; a seal from before
recent.json (every run's last in index.json) still reads, a stale recent.json is ignored,
and a gitorch that knows only the old seal reads the new one as knowing no lasts (it reads
every summary: same answers). Both backends."""

from __future__ import annotations

import random
from collections.abc import Mapping
from pathlib import Path

import msgspec
import pytest

from gitorch import config
from gitorch import events as ev
from gitorch.repo import find_repo
from gitorch.store import layout, runindex
from gitorch.store.state import StateStore
from gitorch.store.sync import sync
from tests.conftest import git, make_repo

KEEP = 4  # RECENT_RUNS for these tests: past it with a handful of runs


@pytest.fixture(autouse=True)
def _few_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(layout, "RECENT_RUNS", KEEP)


def open_store(path: Path) -> StateStore:
    config._cache.clear()
    return config.open_store(find_repo(path))


def _index(store: StateStore) -> runindex.Index:
    idx = runindex.read_index(store.backend, store.state.root_tree())
    assert idx is not None
    return idx


def _every_last(store: StateStore) -> list[tuple[str, str]]:
    """(last, run) of every run from its summary, the greatest first (what the walk must give)."""
    runs = _index(store).runs()
    return sorted(((s.index.last, run) for run, s in runs.items() if s.index is not None), reverse=True)


def _outcome(run: str, second: int) -> ev.TaskCompleted:
    return ev.TaskCompleted(run=run, task="a", ts=f"2026-01-01T00:00:{second:02d}.000Z")


def _run(run: str, second: int, session: str | None = None) -> list[ev.Event]:
    """A run started at the first second of the day whose outcome is at `second`."""
    events: list[ev.Event] = [ev.RunStarted(run=run, ts="2026-01-01T00:00:00.000Z"), _outcome(run, second)]
    return events if session is None else [msgspec.structs.replace(e, session=session) for e in events]


def _check(store: StateStore) -> None:
    idx = _index(store)
    every = _every_last(store)
    assert idx.seal.lasts is not None and len(idx.seal.lasts) == min(KEEP, len(every))
    assert idx.seal.older == (len(every) > KEEP)
    assert sorted(((last, run) for run, last in idx.seal.lasts.items()), reverse=True) == every[:KEEP]
    assert list(_index(store).by_last()) == every  # a fresh index: the rest from the summaries


def test_recent_keeps_the_greatest_lasts_and_the_walk_gives_every_run(repo: Path, backend: str) -> None:
    store = open_store(repo)
    rng = random.Random(7)
    seconds = rng.sample(range(60), 40)
    for i, second in enumerate(seconds[:10]):
        store.append(_run(f"r{i}", second))
        _check(store)
    for second in seconds[10:20]:  # runs gain outcomes, newer and older than the kept ones
        store.append([_outcome(f"r{rng.randrange(10)}", second)])
        _check(store)
    raw = store.read(layout.INDEX)
    assert raw is not None and b"lasts" not in raw and b"readme" not in raw  # all in recent.json


def test_an_append_that_changes_no_run_keeps_recent_json(repo: Path, backend: str) -> None:
    store = open_store(repo)
    for i in range(KEEP + 3):
        store.append(_run(f"r{i}", i + 1))
    before = store.blob_id(layout.RECENT)
    store.append([ev.TaskStarted(run="r2", task="b")])  # no outcome: no last, no README line changes
    store.append([ev.Observed(trigger="manual")])
    assert store.blob_id(layout.RECENT) == before
    store.append([_outcome("r2", 59)])
    assert store.blob_id(layout.RECENT) != before
    _check(store)


def _as_old_writer(store: StateStore, seal: layout.Seal) -> None:
    """index.json written as a gitorch before recent.json wrote it (lasts and lines inside)."""

    def reseal(trees: Mapping[str, str]) -> dict[str, str | None]:
        return {layout.INDEX: runindex.seal_blob(store.backend, trees, seal)}

    store.state.update(lambda base: {}, "an older writer", seal=reseal)


def test_a_seal_from_before_recent_json_reads_and_is_converted(repo: Path, backend: str) -> None:
    store = open_store(repo)
    for i in range(KEEP + 2):
        store.append(_run(f"r{i}", 10 + i))
    every = _every_last(store)
    idx = _index(store)
    old = msgspec.structs.replace(idx.seal, recent="", older=False, lasts={run: last for last, run in every})
    _as_old_writer(store, old)  # every run's last in index.json; the tree keeps a stale recent.json
    raw = store.read(layout.INDEX)
    assert raw is not None and b'"lasts"' in raw and b'"recent"' not in raw
    idx = _index(store)
    assert idx.seal.lasts == {run: last for last, run in every} and not idx.seal.older
    assert list(idx.by_last()) == every
    store.append([_outcome("r0", 59)])  # the next append moves them to recent.json, the greatest kept
    raw = store.read(layout.INDEX)
    assert raw is not None and b'"lasts"' not in raw and b'"recent"' in raw
    _check(store)


def test_a_recent_json_the_seal_does_not_name_is_not_read(repo: Path, backend: str) -> None:
    store = open_store(repo)
    for i in range(KEEP + 2):
        store.append(_run(f"r{i}", 10 + i))
    forged = layout.Recent(lasts={"r0": "2999-01-01T00:00:00.000Z"})
    wrong = store.backend.write_blob(layout.encode_recent(forged))
    store.state.update(lambda base: {layout.RECENT: wrong}, "recent.json by hand")
    idx = _index(store)  # the seal still holds; its runs part is not known
    assert idx.seal.lasts is None and idx.seal.readme is None
    assert list(idx.by_last()) == _every_last(store)
    store.append([ev.Observed(trigger="manual")])  # asks every summary once
    _check(store)


def test_a_gitorch_knowing_only_the_old_seal_reads_no_lasts(repo: Path, backend: str) -> None:
    """An older gitorch decodes index.json into its Seal (no `recent`): it finds no lasts and
    no lines, so it reads every summary (same answers) and, writing, recomputes them."""

    class OldSeal(msgspec.Struct, kw_only=True, omit_defaults=True):  # layout.Seal before recent.json
        version: int = 1
        sessions: str = ""
        runs: str = ""
        loose: list[str] = []
        latest: list[str] = []
        launch: list[str] = []
        exact: bool = True
        lasts: dict[str, str] | None = None
        readme: list[layout.RunLine] | None = None

    store = open_store(repo)
    for i in range(KEEP + 2):
        store.append(_run(f"r{i}", 10 + i))
    raw = store.read(layout.INDEX)
    assert raw is not None
    old = msgspec.json.decode(raw, type=OldSeal)
    assert old.lasts is None and old.readme is None and old.sessions and old.runs


def test_a_sync_of_two_clones_keeps_the_greatest(tmp_path: Path, bare_remote: Path, backend: str) -> None:
    one = make_repo(tmp_path / "one")
    git(one, "remote", "add", "origin", str(bare_remote))
    git(one, "push", "-q", "origin", "main")
    git(tmp_path, "clone", "-q", str(bare_remote), str(tmp_path / "two"))
    s1, s2 = StateStore(find_repo(one)), StateStore(find_repo(tmp_path / "two"))
    for i in range(KEEP + 1):
        s1.append(_run(f"a{i}", 2 * i + 1, "s-1"))
        s2.append(_run(f"b{i}", 2 * i + 2, "s-2"))
    assert sync(s1).pushed
    assert sync(s2).merge.state == "merged"
    _check(s2)  # sealed by the merge: the greatest of both sides' runs
    assert sync(s1).merge.state == "fast-forward"
    _check(s1)
    s1.append([_outcome("a0", 59)])
    _check(s1)
