"""Locks under <common dir>/orch/locks: exclusion across processes, holder named, takeover."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import msgspec
import pytest

from gitorch.config import open_store
from gitorch.errors import Busy
from gitorch.repo import find_repo
from gitorch.store.locks import Holder, Lock, read_holder

HOLD = textwrap.dedent(
    """
    import sys, time
    from gitorch.repo import find_repo
    from gitorch.config import open_store
    store = open_store(find_repo(sys.argv[1]))
    with store.lock("run", timeout=5):
        print("held", flush=True)
        time.sleep(float(sys.argv[2]))
    """
)


def hold(repo: Path, seconds: float) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(repo), str(seconds)], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
    return proc


def test_held_lock_times_out_with_busy_naming_the_holder(repo: Path, backend: str) -> None:
    proc = hold(repo, 30)
    try:
        store = open_store(find_repo(repo))
        start = time.monotonic()
        with pytest.raises(Busy) as err, store.lock("run", timeout=0.3):
            pass
        assert time.monotonic() - start >= 0.3
        assert err.value.exit_code == 4
        assert f"pid {proc.pid}" in err.value.message and "lock 'run'" in err.value.message
    finally:
        proc.kill()
        proc.wait()


def test_lock_of_a_killed_process_is_taken_over(repo: Path) -> None:
    proc = hold(repo, 30)
    proc.kill()  # SIGKILL: no cleanup ran, its record is still in the file
    proc.wait()
    store = open_store(find_repo(repo))
    with store.lock("run", timeout=2) as lock:
        assert isinstance(lock, Lock)
        assert lock.took_over is not None and lock.took_over.pid == proc.pid
        holder = read_holder(lock.path)
        assert holder is not None and holder.pid == os.getpid()
    assert read_holder(lock.path) is None  # released: nobody named


def test_waiter_gets_the_lock_when_the_holder_finishes(repo: Path) -> None:
    proc = hold(repo, 0.3)
    store = open_store(find_repo(repo))
    with store.lock("run", timeout=10):
        assert proc.wait(timeout=10) == 0


def test_threads_exclude_each_other(tmp_path: Path) -> None:
    import threading

    inside, overlap = [0], [False]

    def work() -> None:
        for _ in range(20):
            with Lock(tmp_path, "t", timeout=10, poll=0.001):
                inside[0] += 1
                overlap[0] |= inside[0] > 1
                time.sleep(0.0005)
                inside[0] -= 1

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not overlap[0]


def test_holder_record_format(tmp_path: Path) -> None:
    with Lock(tmp_path, "x/y z", timeout=1) as lock:
        assert lock.path.parent == tmp_path and "/" not in lock.path.name
        holder = msgspec.json.decode(lock.path.read_bytes(), type=Holder)
        assert holder.pid == os.getpid() and holder.host and holder.since and holder.alive()
