"""A run that waits for another run's lock reads the work tree after the wait, not before:
files changed while it waited (by the user, or by the other run's commands) make their tasks
due (review of issue 15: the listing started at entry was used after the wait)."""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

from tests.conftest import git, make_repo
from tests.engine.helpers import write_plan

TASKS = [
    {"id": "t", "paths": {"preferred": ["a/"]}, "commands": {"t": "cat a/x"}},
    {"id": "long", "commands": {"t": "sleep 5"}},
]


def _start(root: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(["git", "orch", "run", "--json", *args], cwd=root, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=dict(os.environ))


def _holder_written(lock: Path, deadline: float) -> None:
    while time.monotonic() < deadline:
        if lock.is_file() and lock.read_bytes().strip():
            return
        time.sleep(0.05)
    raise AssertionError("the first run never took the lock")


def test_a_file_changed_while_waiting_for_the_lock_makes_its_task_due(tmp_path: Path, backend: str) -> None:
    root = make_repo(tmp_path / "r", {"a/x": "1\n"})
    write_plan(root, TASKS)
    git(root, "add", "orchestrator.json")
    git(root, "commit", "-q", "-m", "plan")
    first = subprocess.run(["git", "orch", "run", "--json"], cwd=root, capture_output=True, text=True)
    assert first.returncode == 0, first.stderr

    holder = _start(root, "--force", "--task", "long")
    _holder_written(root / ".git/orch/locks/run.lock", time.monotonic() + 30)
    waiter = _start(root, "--task", "t")  # lists the work tree at once, then waits for the lock
    time.sleep(1.5)
    (root / "a/x").write_text("2\n")  # edited while it waits
    out, err = waiter.communicate(timeout=120)
    holder.communicate(timeout=120)
    assert waiter.returncode == 0, err
    assert json.loads(out)["counts"] == {"completed": 1}  # not skipped on the listing from before
    again = subprocess.run(["git", "orch", "run", "--json", "--task", "t"], cwd=root, capture_output=True,
                           text=True)
    assert json.loads(again.stdout)["counts"] == {"skipped": 1}  # and recorded on what it read
