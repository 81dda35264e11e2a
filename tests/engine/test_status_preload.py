"""git status beside the run's own work: on 2 cores or fewer without its preload threads
(gitcmd.status_config; issue 15, P2), and it finds the same changes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from gitorch.gitcmd import status_config
from tests.conftest import git, make_repo
from tests.engine.helpers import plan_repo

TASKS = [{"id": "a", "paths": {"preferred": ["a/"]}, "commands": {"t": "true"}},
         {"id": "b", "paths": {"preferred": ["b/"]}, "commands": {"t": "true"}}]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux only (gitcmd.status_config)")
def test_the_preload_threads_are_left_out_on_two_cores_or_fewer() -> None:
    off = ["-c", "core.preloadIndex=false"]
    assert status_config(1) == off and status_config(2) == off
    assert status_config(3) == [] and status_config(64) == []


def test_git_lists_the_same_changes_with_and_without_them(tmp_path: Path) -> None:
    """1,500 files: git checks them in 3 threads with preload, one by one without; modified,
    deleted, added, untracked and racily clean files (changed within the index's second)
    come out the same."""
    root = make_repo(tmp_path / "r", {f"d{n % 30:02d}/f{n:04d}.txt": f"{n}\n" for n in range(1500)})
    for n in range(0, 1500, 97):
        (root / f"d{n % 30:02d}" / f"f{n:04d}.txt").write_text(f"changed {n}\n")
    (root / "d01" / "f0001.txt").unlink()
    (root / "d02" / "new.txt").write_text("added\n")
    git(root, "add", "d02/new.txt")
    (root / "d03" / "untracked.txt").write_text("untracked\n")
    subprocess.run(["git", "update-index", "-q", "--refresh"], cwd=root, check=False)
    (root / "d04" / "f0004.txt").write_text("4\n")  # rewritten, same size: racily clean or not
    (root / "d05" / "f0005.txt").write_text("5!\n")  # same second as the index, new content
    args = ["status", "--porcelain=v1", "-z", "--no-renames", "--ignore-submodules=all",
            "--untracked-files=all", "--", ":/"]

    def listing(*config: str) -> bytes:
        proc = subprocess.run(["git", *config, *args], cwd=root, capture_output=True, check=True)
        return proc.stdout

    with_threads = listing("-c", "core.preloadIndex=true")
    assert with_threads.count(b"\0") == 1500 // 97 + 1 + 4  # 16 modified, 1 deleted, added, untracked, f0005
    assert listing("-c", "core.preloadIndex=false") == with_threads == listing()


def _statuses(trace: Path) -> list[list[str]]:
    """The argv of every `git status` in a GIT_TRACE2_EVENT file."""
    found = []
    for line in trace.read_text().splitlines():
        event = json.loads(line)
        argv = event.get("argv")
        if event.get("event") == "start" and argv and "status" in argv:
            found.append(argv)
    return found


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="needs Linux's CPU affinity")
def test_a_run_on_one_core_lists_the_work_tree_without_them_and_sees_an_edit(tmp_path: Path) -> None:
    root = plan_repo(tmp_path / "r", {"a/one.txt": "one\n", "b/two.txt": "two\n"}, TASKS)

    def run(trace: Path) -> dict[str, int]:
        env = dict(os.environ, GIT_TRACE2_EVENT=str(trace))
        proc = subprocess.run([sys.executable, "-m", "gitorch", "run", "--json"], cwd=root, env=env,
                              capture_output=True, text=True, check=False,
                              preexec_fn=lambda: os.sched_setaffinity(0, {min(os.sched_getaffinity(0))}))
        assert proc.returncode == 0, proc.stderr[-2000:]
        counts: dict[str, int] = json.loads(proc.stdout)["counts"]
        return counts

    assert run(tmp_path / "t1") == {"completed": 2}
    assert run(tmp_path / "t2") == {"skipped": 2}
    statuses = _statuses(tmp_path / "t2")
    assert statuses, "the re-run listed the work tree with git status"
    for argv in statuses:
        assert argv[1:3] == ["-c", "core.preloadIndex=false"], argv
    (root / "b" / "two.txt").write_text("edited\n")  # not committed: only git status sees it
    (root / "b" / "new.txt").write_text("untracked\n")
    assert run(tmp_path / "t3") == {"skipped": 1, "completed": 1}
