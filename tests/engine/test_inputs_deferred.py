"""The inputs cache gives each task's inputs with their file lists still encoded
(TaskInputs.deferred): the same values as computing them, decoded when first read."""

from __future__ import annotations

from pathlib import Path

import msgspec

from gitorch.engine import inputcache
from gitorch.engine.inputs import TaskInputs, compute_inputs, explain_change, read_worktree, watch_entry
from tests.conftest import make_repo


def _tasks() -> list[dict[str, object]]:
    return [{"id": "A", "paths": {"preferred": ["src/"]}, "commands": {"t": "true"}, "dependencies": []},
            {"id": "B", "commands": {"t": "make"}, "dependencies": ["A"]}]


def test_cached_inputs_equal_the_computed_ones_and_decode_when_read(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "r", {"src/a.py": "a\n", "README.md": "x\n", "plan.yml": "p\n"})
    (root / "src/new.py").write_text("new\n")  # untracked: kept with the digest
    computed = compute_inputs(_tasks(), read_worktree(root), exclude=["plan.yml"])
    where = tmp_path / "cache.msgpack"
    inputcache.store(where, "k" * 64, computed)
    assert inputcache.lookup(where, "x" * 64) is None  # another key: not these inputs
    cached = inputcache.lookup(where, "k" * 64)
    assert cached is not None and list(cached) == ["A", "B"]
    a = cached["A"]
    assert a._later is not None  # nothing but the digest, deps and untracked decoded yet
    assert (a.digest, a.deps, a.untracked) == (computed["A"].digest, {}, frozenset({"src/new.py"}))
    assert a._later is not None
    assert a.oids == computed["A"].oids and a._later is None  # the first read decodes them all
    assert cached == computed  # every field, B's tree digest and excluded files too
    assert cached["B"].exclude == ("plan.yml",) and cached["B"].tree == computed["B"].tree
    assert watch_entry(cached["B"], "r1", "c") == watch_entry(computed["B"], "r1", "c")
    (root / "src/a.py").write_text("changed\n")
    now = compute_inputs(_tasks(), read_worktree(root), exclude=["plan.yml"])
    fresh = inputcache.lookup(where, "k" * 64)
    assert fresh is not None
    why = explain_change(now["A"], watch_entry(fresh["A"], "r1", "abc1234"), "abc1234")
    assert why == explain_change(now["A"], watch_entry(computed["A"], "r1", "abc1234"), "abc1234")
    assert any("src/a.py" in line for line in why)


def test_the_cache_keeps_columns_and_one_blob_of_parts(tmp_path: Path) -> None:
    """A lookup decodes four short columns and takes each task's parts as a slice of one blob
    (nothing to skip over: ~3 M instructions less at 1,000 tasks, issue 15 P2)."""
    root = make_repo(tmp_path / "r", {"src/a.py": "a\n", "README.md": "x\n"})
    computed = compute_inputs(_tasks(), read_worktree(root))
    where = tmp_path / "cache.msgpack"
    inputcache.store(where, "k" * 64, computed)
    body = msgspec.msgpack.decode(where.read_bytes()[64 + 8:])
    tasks, digests, deps, untracked, ends, blob = body
    assert tasks == ["A", "B"] and digests == [computed["A"].digest, computed["B"].digest]
    assert deps == [{}, {"A": computed["A"].digest}] and untracked == [[], []]
    assert isinstance(blob, bytes) and ends[-1] == len(blob) and ends[0] < ends[1]
    cached = inputcache.lookup(where, "k" * 64)
    assert cached is not None and cached["B"].oids == computed["B"].oids and cached == computed


def test_a_damaged_cache_is_not_used(tmp_path: Path) -> None:
    where = tmp_path / "cache.msgpack"
    where.write_bytes(b"k" * 64 + b"\x93\xa1")  # cut short
    assert inputcache.lookup(where, "k" * 64) is None
    ti = TaskInputs("A", "d", {}, [], {}, {})
    assert ti == TaskInputs("A", "d", {}, [], {}, {}) and ti != TaskInputs("A", "e", {}, [], {}, {})
    assert "digest='d'" in repr(ti)
