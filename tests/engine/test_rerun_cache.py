"""The inputs cache (engine/inputcache.py) gives exactly the inputs the slow path computes
(`git ls-files -s` + `git status` + digests), is used when nothing changed, and notices
every change: a racy same-size, same-mtime edit, an untracked file under a task's paths, a
deleted file, a second edit of a modified file, a plan edit, a new HEAD, a branch switch."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from gitorch.engine import inputcache
from gitorch.engine.inputs import TaskInputs
from gitorch.engine.setup import load, task_inputs
from tests.conftest import git, make_repo
from tests.engine.helpers import fresh_context, write_plan

TASKS = [
    {"id": "a", "paths": {"preferred": ["a/"]}, "commands": {"t": "true"}},
    {"id": "b", "paths": {"preferred": ["b/x.txt", "b/*.md"]}, "commands": {"t": "true"}},
    {"id": "c", "dependencies": ["a"], "commands": {"t": "true"}},  # no paths: the whole tree
]


@pytest.fixture
def root(tmp_path: Path) -> Path:
    path = make_repo(tmp_path / "r", {"a/one.txt": "one\n", "a/two.txt": "two\n", "b/x.txt": "x\n",
                                      "b/y.md": "y\n", ".gitignore": "*.log\n"})
    write_plan(path, TASKS)
    git(path, "add", "orchestrator.json")
    git(path, "commit", "-q", "-m", "plan")
    return path


def _inputs(root: Path, monkeypatch: pytest.MonkeyPatch, cache: bool) -> dict[str, TaskInputs]:
    monkeypatch.setenv("GITORCH_INPUTS_CACHE", "1" if cache else "0")
    return task_inputs(load(fresh_context(root)))


def _cache_file(root: Path) -> Path:
    [found] = (root / ".git/orch/inputs-cache").iterdir()
    return found


def both(root: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, TaskInputs]:
    """The inputs through the cache, held equal to the slow path's (cache off)."""
    fast = _inputs(root, monkeypatch, cache=True)
    slow = _inputs(root, monkeypatch, cache=False)
    assert fast == slow
    assert list(fast) == list(slow)  # the same order too (dependencies first)
    return fast


def hit(root: Path, monkeypatch: pytest.MonkeyPatch) -> bool:
    """Whether computing the inputs now uses the cache (a miss writes a new file)."""
    before = os.stat(_cache_file(root)).st_ino
    both(root, monkeypatch)
    return os.stat(_cache_file(root)).st_ino == before


def test_unchanged_work_tree_hits_and_equals_the_slow_path(root: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    first = both(root, monkeypatch)  # a miss: computed and stored
    assert hit(root, monkeypatch)
    assert both(root, monkeypatch) == first
    # an ignored file under a task's paths is no input on either path
    (root / "a/build.log").write_text("noise\n")
    assert both(root, monkeypatch) == first


def test_racy_edit_same_size_same_mtime_is_noticed(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = both(root, monkeypatch)
    f = root / "a/one.txt"
    st = f.stat()
    f.write_text("ONE\n")  # same size, written within the second the index was written
    os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns))  # and the very same mtime
    assert f.stat().st_size == st.st_size and f.stat().st_mtime_ns == st.st_mtime_ns
    now = both(root, monkeypatch)
    assert now["a"].digest != first["a"].digest
    assert now["b"].digest == first["b"].digest
    assert now["c"].digest != first["c"].digest  # the whole tree, and its dependency a


def test_second_edit_of_a_modified_file_is_noticed(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (root / "b/x.txt").write_text("first edit\n")
    once = both(root, monkeypatch)
    (root / "b/x.txt").write_text("second edit\n")  # git status says " M b/x.txt" both times
    twice = both(root, monkeypatch)
    assert twice["b"].digest != once["b"].digest
    assert hit(root, monkeypatch)
    assert both(root, monkeypatch) == twice


def test_untracked_and_deleted_files_are_noticed(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = both(root, monkeypatch)
    (root / "a/three.txt").write_text("new\n")
    added = both(root, monkeypatch)
    assert added["a"].digest != first["a"].digest
    assert "a/three.txt" in added["a"].oids and added["a"].untracked == frozenset({"a/three.txt"})
    (root / "b/y.md").unlink()
    removed = both(root, monkeypatch)
    assert "b/y.md" not in removed["b"].oids
    assert removed["b"].digest != added["b"].digest


def test_plan_edit_is_noticed(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = both(root, monkeypatch)
    edited = json.loads(json.dumps(TASKS))
    edited[1]["commands"]["t"] = "echo changed"
    write_plan(root, edited)
    now = both(root, monkeypatch)
    assert now["b"].digest != first["b"].digest
    assert now["a"].digest == first["a"].digest


def test_new_head_and_branch_switch(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = both(root, monkeypatch)
    git(root, "commit", "-q", "--allow-empty", "-m", "empty")  # a new HEAD, the same files
    assert not hit(root, monkeypatch)
    assert both(root, monkeypatch) == first
    git(root, "switch", "-q", "-c", "other")
    (root / "a/one.txt").write_text("other branch\n")
    git(root, "commit", "-q", "-am", "other")
    other = both(root, monkeypatch)
    assert other["a"].digest != first["a"].digest
    git(root, "switch", "-q", "main")
    back = both(root, monkeypatch)
    assert back["a"].digest == first["a"].digest
    git(root, "switch", "-q", "other")
    assert both(root, monkeypatch)["a"].digest == other["a"].digest


def test_staged_change_is_noticed(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = both(root, monkeypatch)
    (root / "a/two.txt").write_text("staged\n")
    git(root, "add", "a/two.txt")  # the index changes, the work tree agrees with it
    assert both(root, monkeypatch)["a"].digest != first["a"].digest


def test_unreadable_or_foreign_cache_is_not_used(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = both(root, monkeypatch)
    path = _cache_file(root)
    path.write_bytes(path.read_bytes()[:64] + b"\xc1 not msgpack")
    assert both(root, monkeypatch) == first  # a broken cache is computed again, and replaced
    assert hit(root, monkeypatch)


@pytest.mark.parametrize("damage", [b"e", b"\xc1"])
def test_damaged_inner_row_is_a_miss_not_an_error(root: Path, monkeypatch: pytest.MonkeyPatch,
                                                   damage: bytes) -> None:
    """One byte of a task's file list changed: the outer rows still decode, but the row read
    later would give a wrong oid (b"e") or fail to decode (b"\xc1"). The checksum makes it a miss."""
    first = both(root, monkeypatch)
    path = _cache_file(root)
    data = bytearray(path.read_bytes())
    oid = first["a"].oids["a/one.txt"].encode()
    at = data.index(oid)
    data[at:at + 1] = damage if data[at:at + 1] != damage else b"f"
    path.write_bytes(bytes(data))
    assert inputcache.lookup(path, data[:64].decode()) is None
    got = both(root, monkeypatch)  # through the real setup: computed again, equal, and replaced
    assert {t: i.oids for t, i in got.items()} == {t: i.oids for t, i in first.items()}
    assert hit(root, monkeypatch)


def test_index_stamp_follows_the_index_bytes(root: Path) -> None:
    git_dir = root / ".git"
    one = inputcache.index_stamp(git_dir)
    assert inputcache.index_stamp(git_dir) == one
    (root / "a/one.txt").write_text("changed\n")
    git(root, "add", "a/one.txt")
    assert inputcache.index_stamp(git_dir) != one
    git(root, "config", "index.skipHash", "true")  # no checksum: the whole file is hashed
    (root / "a/one.txt").write_text("again\n")
    git(root, "add", "a/one.txt")
    skipped = inputcache.index_stamp(git_dir)
    (root / "a/one.txt").write_text("and again\n")
    git(root, "add", "a/one.txt")
    assert inputcache.index_stamp(git_dir) != skipped
    assert inputcache.index_stamp(root / "nowhere") == "-"


def test_lazy_listing_equals_the_eager_one(root: Path) -> None:
    from gitorch.engine.worktree import WorktreeReader, read_worktree

    (root / "a/one.txt").write_text("modified\n")
    (root / "a/new.txt").write_text("untracked\n")
    (root / "b/y.md").unlink()
    lazy = WorktreeReader(root, eager=False)
    status = lazy.status()
    assert status.changed == ["a/one.txt", "b/y.md"] and status.gone == ["b/y.md"]
    assert sorted(status.rehashed) == ["a/new.txt", "a/one.txt"] and status.new == ["a/new.txt"]
    assert lazy.result() == read_worktree(root)
