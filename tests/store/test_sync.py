"""Two clones and a bare remote: sync merges as a union, pushes with compare-and-swap."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from gitorch import events as ev
from gitorch.errors import UsageError
from gitorch.repo import find_repo
from gitorch.store.archive import export, import_
from gitorch.store.state import StateStore
from gitorch.store.sync import sync
from tests.conftest import fsck, git, make_repo

pytestmark = pytest.mark.usefixtures("backend")  # each test on both git backends

WRITER = str(Path(__file__).with_name("writer.py"))
ROOT = str(Path(__file__).resolve().parents[2])


def open_store(path: Path) -> StateStore:
    from gitorch import config

    config._cache.clear()
    return config.open_store(find_repo(path))


def ids(path: Path) -> set[str]:
    with open_store(path) as store:
        found = store.events()
        assert not store.problems
        return {e.id for e in found}


@pytest.fixture
def clones(tmp_path: Path, bare_remote: Path) -> tuple[Path, Path]:
    one = make_repo(tmp_path / "one")
    git(one, "remote", "add", "origin", str(bare_remote))
    git(one, "push", "-q", "origin", "main")
    git(tmp_path, "clone", "-q", str(bare_remote), str(tmp_path / "two"))
    return one, tmp_path / "two"


def test_sync_merges_both_ways_and_the_remote_holds_the_union(
    clones: tuple[Path, Path], bare_remote: Path, backend: str
) -> None:
    one, two = clones
    with open_store(one) as s1, open_store(two) as s2:
        s1.append([ev.RunStarted(run="r1")])
        c1 = s1.tip()
        assert c1 is not None
        s1.add_note(c1, "r1: build passed")
        s2.append([ev.TaskStarted(run="r2", task="b")], files={"logs/r2/b/x.log": b"two\n"})
        first = sync(s1)
        assert first.pushed and first.merge.state == "up to date"
        second = sync(s2)
        assert second.merge.state == "merged" and second.pushed
        assert sync(s1).merge.state == "fast-forward"
        assert s1.read("logs/r2/b/x.log") == b"two\n"
        assert s2.note(c1) == "r1: build passed\n"
    assert ids(one) == ids(two) == ids(bare_remote) and len(ids(one)) == 2
    assert git(one, "rev-parse", "orch/state") == git(bare_remote, "rev-parse", "orch/state")
    fsck(bare_remote, "--strict")


def test_notes_on_one_commit_merge_line_by_line(clones: tuple[Path, Path], backend: str) -> None:
    one, two = clones
    head = git(one, "rev-parse", "HEAD")
    with open_store(one) as s1, open_store(two) as s2:
        s1.add_note(head, "run A: build passed")
        s2.add_note(head, "run B: tests passed")
        sync(s1)
        sync(s2)
        sync(s1)
        assert s1.note(head) == s2.note(head) == "run A: build passed\nrun B: tests passed\n"
    assert "run B: tests passed" in git(one, "log", "--notes=orch", "-1", head)


@pytest.mark.slow
def test_concurrent_writers_in_two_clones(clones: tuple[Path, Path], bare_remote: Path) -> None:
    one, two = clones
    env = dict(os.environ, PYTHONPATH=ROOT)
    procs = [
        subprocess.Popen([sys.executable, WRITER, str(path), "sync", "24", "3", tag],
                         stdout=subprocess.PIPE, text=True, env=env)
        for path, tag in ((one, "one"), (two, "two"))
    ]
    written: set[str] = set()
    for p in procs:
        out, _ = p.communicate(timeout=300)
        assert p.returncode == 0
        written.update(out.split())
    for path in (one, two):
        with open_store(path) as store:
            sync(store)
    assert len(written) == 48
    assert ids(one) == ids(two) == ids(bare_remote) == written
    fsck(bare_remote, "--strict")


def test_missing_remote_is_a_clear_usage_error(repo: Path, backend: str) -> None:
    with open_store(repo) as store:
        with pytest.raises(UsageError, match="no remotes"):
            sync(store)
        with pytest.raises(UsageError, match="no remote named 'nope'"):
            sync(store, "nope")


def test_export_then_import_into_a_fresh_clone(
    clones: tuple[Path, Path], tmp_path: Path, backend: str
) -> None:
    one, two = clones
    with open_store(one) as s1:
        s1.append([ev.RunStarted(run="r1"), ev.TaskStarted(run="r1", task="a")])
        s1.journal([ev.TaskCompleted(run="r1", task="a")])
        s1.add_note(git(one, "rev-parse", "HEAD"), "r1: a passed")
        meta = export(s1, tmp_path / "state.tar.gz")
        expected = s1.events()
    assert meta.events == 3 and meta.root_commits == [git(one, "rev-list", "--max-parents=0", "HEAD")]
    with open_store(two) as s2:
        s2.append([ev.TaskStarted(run="local", task="z")])  # import merges, never clobbers
        _meta, result = import_(s2, tmp_path / "state.tar.gz")
        assert result.state == "merged"
        got = s2.events()
        assert {e.id for e in expected} <= {e.id for e in got} and len(got) == 4
        assert s2.note(git(one, "rev-parse", "HEAD")) == "r1: a passed\n"
        again = s2.tip()
        import_(s2, tmp_path / "state.tar.gz")
        assert s2.tip() == again  # importing twice changes nothing


def test_import_of_a_non_export_is_refused(repo: Path, tmp_path: Path, backend: str) -> None:
    bad = tmp_path / "bad.tar.gz"
    bad.write_bytes(b"not a tarball")
    with open_store(repo) as store, pytest.raises(UsageError, match="not a gitorch state export"):
        import_(store, bad)


def test_push_is_leased_on_what_was_fetched(
    clones: tuple[Path, Path], bare_remote: Path, backend: str
) -> None:
    from gitorch.store.sync import _push

    one, two = clones
    with open_store(one) as s1, open_store(two) as s2:
        s1.append([ev.TaskStarted(task="a")])
        sync(s1)
        remote_tip = git(bare_remote, "rev-parse", "orch/state")
        s2.append([ev.TaskStarted(task="b")])
        # s2 believes the remote has no state (it fetched before s1 pushed): refused.
        assert _push(s2, "origin", {}) is None
        assert git(bare_remote, "rev-parse", "orch/state") == remote_tip
        # A full sync fetches, merges and pushes on top of what is there.
        result = sync(s2)
        assert result.pushed and result.merge.state == "merged"
        assert git(bare_remote, "rev-parse", "orch/state^1") != git(bare_remote, "rev-parse", "orch/state^2")
