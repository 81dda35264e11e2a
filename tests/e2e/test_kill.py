"""Resume after SIGKILL at random points: a task recorded as completed never runs again.

The killed run is always a real `git-orch` process; what picks up after it is one too in
every fourth trial and the console entry point in this process in the others (the same
code, reading the same state from disk, without a Python start-up per trial)."""

from __future__ import annotations

import random
import shutil
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from gitorch import events as ev
from tests.conftest import make_repo
from tests.e2e.helpers import events, marks, of_type, states, write_plan

TRIALS = 20


def _plan(root: Path, mark: Path) -> None:
    tasks = [{"id": "root", "commands": {"t": f"echo root >> {mark}"}}]
    for i in range(8):
        tasks.append({"id": f"t{i}", "dependencies": ["root"],
                      "commands": {"a": f"echo t{i} >> {mark}; sleep 0.0{i % 4 + 1}"}})
    tasks.append({"id": "join", "dependencies": [f"t{i}" for i in range(8)],
                  "commands": {"t": f"echo join >> {mark}"}})
    write_plan(root, tasks)


def _process(command: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git-orch", command], cwd=cwd, capture_output=True, text=True, timeout=120)


@pytest.mark.slow
def test_resume_after_sigkill_never_reruns_a_completed_task(tmp_path: Path, entry: Any) -> None:
    rng = random.Random(20261122)
    killed_mid_run = 0
    template = make_repo(tmp_path / "template")
    for trial in range(TRIALS):
        root = tmp_path / f"trial{trial}"
        shutil.copytree(template, root, symlinks=True)
        mark = tmp_path / f"marks{trial}"
        _plan(root, mark)
        proc = subprocess.Popen(["git-orch", "run", "-j2"], cwd=root, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        # kill once a random number of commands ran (0: during start-up), a little after
        want = rng.randint(0, 10)
        deadline = time.monotonic() + 30
        while len(marks(mark)) < want and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.005)
        time.sleep(rng.uniform(0.0, 0.05) if want else rng.uniform(0.1, 0.6))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        time.sleep(0.15)  # commands in flight (their own process groups) finish
        before = Counter(marks(mark))
        evs = events(root)
        done = {e.task for e in of_type(evs, ev.TaskCompleted)}
        started_run = bool(of_type(evs, ev.RunStarted))
        pick_up = _process if trial % 4 == 0 else entry
        again = pick_up("resume" if started_run else "run", cwd=root)
        if again.returncode == 2 and "no run to resume" in again.stderr:
            again = pick_up("run", cwd=root)
        assert again.returncode == 0, f"trial {trial}: {again.stdout}{again.stderr}"
        after = Counter(marks(mark))
        assert set(states(None, root).values()) <= {"completed", "skipped"}, trial
        for task in done:
            assert after[task] == before[task], f"trial {trial}: {task} ran again after completing"
        assert set(after) == {"root", "join", *(f"t{i}" for i in range(8))}
        killed_mid_run += 0 < len(done) < 10
    assert killed_mid_run >= TRIALS // 2  # the trials did hit runs in flight
