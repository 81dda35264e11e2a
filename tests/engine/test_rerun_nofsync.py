"""The machine-local caches (inputs, plans) are written whole but not fsynced (gitorch/atomic,
durable=False): a damaged file is a miss, never trusted; every other write still syncs."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from gitorch import atomic
from gitorch.context import build_context
from gitorch.engine import inputcache
from gitorch.engine.inputs import compute_inputs, read_worktree
from gitorch.plan import cache as plan_cache
from tests.conftest import make_repo
from tests.engine.helpers import write_plan


def _synced(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []
    real = os.fsync

    def fsync(fd: int) -> None:
        calls.append(fd)
        real(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    return calls


def test_the_caches_are_written_without_fsync(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = make_repo(tmp_path / "r", {"src/a.py": "a\n"})
    write_plan(root, [{"id": "A", "paths": {"preferred": ["src/"]}, "commands": {"t": "true"}}])
    inputs = compute_inputs([{"id": "A", "paths": {"preferred": ["src/"]}, "dependencies": []}],
                            read_worktree(root))
    synced = _synced(monkeypatch)
    where = tmp_path / "cache" / "inputs.msgpack"
    inputcache.store(where, "k" * 64, inputs)
    lp = build_context(cwd=root).plan  # a miss: read, checked, and stored in the plan cache
    assert synced == []  # neither cache fsynced its file or folder
    assert inputcache.lookup(where, "k" * 64) == inputs
    scratch = build_context(cwd=root).repo.scratch
    main = root / "orchestrator.json"
    entry = plan_cache.lookup(scratch, main, main.read_bytes())
    assert entry is not None and entry.plan == lp.plan  # the stored entry is used again
    atomic.write_bytes(tmp_path / "other", b"x")  # any other write: file and folder synced
    assert len(synced) == 2


def test_a_cache_cut_short_is_a_miss(tmp_path: Path) -> None:
    """What a power cut can leave of a file written without fsync: nothing, or a part."""
    root = make_repo(tmp_path / "r", {"src/a.py": "a\n"})
    inputs = compute_inputs([{"id": "A", "paths": {"preferred": ["src/"]}, "dependencies": []}],
                            read_worktree(root))
    where = tmp_path / "inputs.msgpack"
    inputcache.store(where, "k" * 64, inputs)
    whole = where.read_bytes()
    for cut in (0, 64, 72, len(whole) // 2, len(whole) - 1):
        where.write_bytes(whole[:cut])
        assert inputcache.lookup(where, "k" * 64) is None, cut
    where.write_bytes(b"\0" * len(whole))
    assert inputcache.lookup(where, "k" * 64) is None
