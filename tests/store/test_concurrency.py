"""Many writers at once, and writers killed at random moments: nothing lost, nothing corrupt."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from gitorch.config import open_store
from gitorch.repo import find_repo
from tests.conftest import fsck, git

WRITER = str(Path(__file__).with_name("writer.py"))
ROOT = str(Path(__file__).resolve().parents[2])


def spawn(repo: Path, *args: str, backend: str | None = None) -> subprocess.Popen[str]:
    env = dict(os.environ, PYTHONPATH=ROOT)
    if backend:
        env["GITORCH_BACKEND"] = backend
    return subprocess.Popen(
        [sys.executable, WRITER, str(repo), *args], stdout=subprocess.PIPE, text=True, env=env
    )


def read_all(repo: Path) -> tuple[list[str], list[str]]:
    from gitorch import config

    config._cache.clear()
    with open_store(find_repo(repo)) as store:
        ids = [e.id for e in store.events()]
        return ids, store.problems


def assert_linear_and_sound(repo: Path) -> None:
    merges = git(repo, "rev-list", "--min-parents=2", "--count", "orch/state")
    assert merges == "0"
    roots = git(repo, "rev-list", "--max-parents=0", "orch/state").splitlines()
    assert len(roots) == 1
    fsck(repo, "--strict", "--no-dangling")


@pytest.mark.slow
def test_eight_processes_of_500_events(repo: Path, backend: str) -> None:
    # 8 writers x 500 events in batches of 10: 400 compare-and-swaps on one ref at once.
    procs = [spawn(repo, "store", "500", "10", f"w{i}") for i in range(8)]
    written: list[str] = []
    for p in procs:
        out, _ = p.communicate(timeout=300)
        assert p.returncode == 0
        written += out.split()
    ids, problems = read_all(repo)
    assert len(written) == 4000 and sorted(ids) == sorted(written)
    assert len(set(ids)) == len(ids) == 4000
    assert problems == []
    assert_linear_and_sound(repo)
    assert git(repo, "status", "--porcelain") == ""


@pytest.mark.slow
def test_compare_and_swap_alone_across_both_backends(repo: Path) -> None:
    """No local queue: pygit2 and CLI writers race on the bare CAS and lose nothing."""
    procs = [spawn(repo, "cas", "60", "2", f"c{i}", backend=("pygit2", "cli")[i % 2]) for i in range(6)]
    written: list[str] = []
    for p in procs:
        out, _ = p.communicate(timeout=300)
        assert p.returncode == 0
        written += out.split()
    ids, problems = read_all(repo)
    assert sorted(ids) == sorted(written) and len(ids) == 360 and problems == []
    assert git(repo, "rev-list", "--count", "orch/state") == "180"
    assert_linear_and_sound(repo)


@pytest.mark.slow
def test_sigkill_at_random_moments_never_corrupts(repo: Path, backend: str) -> None:
    rng = random.Random(4)
    confirmed: set[str] = set()
    for _trial in range(12):  # x2 backends: 24 trials
        proc = spawn(repo, "mixed", "0", "3", f"k{_trial}")
        assert proc.stdout is not None
        first = proc.stdout.readline()  # it is writing now (however loaded the machine is)
        time.sleep(rng.uniform(0.0, 0.3))
        proc.send_signal(signal.SIGKILL)
        out, _ = proc.communicate()
        confirmed.update((first + out).split())
        # The ref is at a whole commit, the objects are sound, every confirmed event is there.
        fsck(repo, "--no-dangling")
        ids, problems = read_all(repo)
        assert confirmed <= set(ids)
        assert len(ids) == len(set(ids))
        assert all("unreadable journal line" in p for p in problems), problems
    with open_store(find_repo(repo)) as store:
        store.flush()
        assert confirmed <= {e.id for e in store.events()}
        assert not [p for p in store.problems if "segment" in p]
    assert_linear_and_sound(repo)


@pytest.mark.slow
def test_journal_writers_while_flushes_rotate(repo: Path, backend: str) -> None:
    """Journal writers in two processes while this one flushes: no event lost or doubled."""
    procs = [spawn(repo, "journal", "300", "1", f"j{i}") for i in range(2)]
    with open_store(find_repo(repo)) as store:
        while any(p.poll() is None for p in procs):
            store.flush()
        written: list[str] = []
        for p in procs:
            out, _ = p.communicate(timeout=60)
            assert p.returncode == 0
            written += out.split()
        store.flush()
        assert not list((store.scratch() / "journal").glob("*"))
        ids = [e.id for e in store.events()]
        assert sorted(ids) == sorted(written) and len(ids) == 600
        # Every event is on the branch once (the journal is empty now).
        tree = git(repo, "ls-tree", "-r", "--name-only", "orch/state", "sessions").splitlines()
        on_branch = sum(len(git(repo, "show", f"orch/state:{p}").splitlines()) for p in tree)
        assert on_branch == 600
    assert_linear_and_sound(repo)
