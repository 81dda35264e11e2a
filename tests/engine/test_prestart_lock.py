"""A run's early `git status` (engine/prestart) that the run cannot use (its folder changed
before `take`) is stopped so that git removes the `.git/index.lock` it holds while it
refreshes the index: by SIGTERM, on which git removes its lock files; SIGKILL would leave
the lock, and every later git command that writes the index would fail on it."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from gitorch import earlyconfig, repo
from gitorch.engine import prestart
from tests.conftest import make_repo

SIGTERM_BIT = 1 << 14  # signal 15's bit in /proc/PID/status's SigCgt


def _handles_sigterm(pid: int) -> bool:
    """Whether process `pid` has a handler for SIGTERM (git installs one with its first lock file)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            caught = next(line for line in f if line.startswith("SigCgt:"))
    except (OSError, StopIteration):
        return False
    return bool(int(caught.split()[1], 16) & SIGTERM_BIT)


def _forget() -> None:
    """What cli/entry's end does: nothing started early is left for the next start."""
    prestart.forget()
    earlyconfig.forget()
    repo.forget_early()


def _start_until_locked(lock: Path) -> bool:
    """Start a run's early git processes here and wait until git status holds `lock` with its
    handler installed; False when it finished first (a busy machine: then it is tried again)."""
    prestart.start()
    assert prestart._started is not None
    status = prestart._started[1]
    while status.poll() is None:
        if lock.exists() and _handles_sigterm(status.pid):
            return True
        time.sleep(0.0002)
    _forget()
    return False


def test_a_status_stopped_for_a_changed_folder_leaves_no_index_lock(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    root = make_repo(tmp_path / "r")
    for i in range(1500):  # untracked: git status lists them holding the index lock
        (root / f"u{i}.txt").write_text("")
    lock = root / ".git" / "index.lock"
    monkeypatch.chdir(root)
    try:
        assert any(_start_until_locked(lock) for _ in range(5)), "git status never took the index lock"
        monkeypatch.chdir(tmp_path)
        assert prestart.take(root) is None  # started in another folder: not this run's listing
        assert not lock.exists(), "the stopped git status left .git/index.lock behind"
    finally:
        _forget()
