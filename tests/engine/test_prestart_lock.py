"""A run's early `git status` (engine/prestart) that the run does not take (its folder changed
before `take`, or the command ended first: `forget`) is waited for, never signalled: git
creates `.git/index.lock` a moment before it installs the handler that removes it on SIGTERM,
so a signal in that window leaves the lock in the user's repository and every later git
command that writes the index fails on it. A git status that hangs (a stuck fsmonitor, NFS)
is stopped after a time limit, so gitorch does not hang with it.

A core.fsmonitor hook that sleeps keeps git status running while the test stops it: the hook
records its parent (git) when it starts and again when it ends; a git that was signalled has
died by then and the hook was handed to another parent. No timing window: without the wait,
git is signalled every time."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest

from gitorch import earlyconfig, repo
from gitorch.engine import prestart
from tests.conftest import git, make_repo

HOOK = """#!/bin/sh
echo "$PPID" >> {marks}/started
sleep {seconds}
awk '{{print $4}}' /proc/$$/stat >> {marks}/ended
exit 1
"""


def slow_status_repo(tmp_path: Path, seconds: float) -> tuple[Path, Path]:
    """A repository whose git status waits `seconds` in its fsmonitor hook; (root, marks folder)."""
    root = make_repo(tmp_path / "r")
    return root, slow_status(root, tmp_path, seconds)


def slow_status(root: Path, tmp_path: Path, seconds: float) -> Path:
    """Make git status in `root` wait `seconds` in its fsmonitor hook; the hook's marks folder."""
    marks = tmp_path / "marks"
    marks.mkdir()
    hook = tmp_path / "fsmonitor"
    hook.write_text(HOOK.format(marks=marks, seconds=seconds))
    hook.chmod(0o755)
    git(root, "config", "core.fsmonitor", str(hook))
    return marks


def status_was_waited_for(marks: Path) -> bool:
    """Whether every hook run ended with git, its parent, still alive (git not signalled)."""
    started = (marks / "started").read_text().split()
    ended = (marks / "ended").read_text().split() if (marks / "ended").exists() else []
    return bool(started) and ended == started


def _forget() -> None:
    """What cli/entry's end does: nothing started early is left for the next start."""
    prestart.forget()
    earlyconfig.forget()
    repo.forget_early()


def test_a_status_for_a_changed_folder_is_waited_for_and_leaves_no_index_lock(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root, marks = slow_status_repo(tmp_path, 0.3)
    monkeypatch.chdir(root)
    try:
        prestart.start()
        monkeypatch.chdir(tmp_path)
        assert prestart.take(root) is None  # started in another folder: not this run's listing
        assert status_was_waited_for(marks), "git status was signalled while it could hold the index lock"
        assert not (root / ".git" / "index.lock").exists()
    finally:
        _forget()


def test_a_status_nobody_took_is_waited_for_at_the_end(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    root, marks = slow_status_repo(tmp_path, 0.3)
    monkeypatch.chdir(root)
    try:
        prestart.start()
    finally:
        _forget()
    assert status_was_waited_for(marks), "git status was signalled while it could hold the index lock"
    assert not (root / ".git" / "index.lock").exists()


def test_a_hung_status_is_stopped_after_the_time_limit(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    root, marks = slow_status_repo(tmp_path, 30)
    monkeypatch.chdir(root)
    prestart.start()
    assert prestart._started is not None
    status = prestart._started[1]
    begun = time.monotonic()
    try:
        prestart.finish(status, timeout=0.2)
    finally:
        _forget()
    assert status.returncode is not None and time.monotonic() - begun < 20, "gitorch waited for a hung git"


def test_a_run_refused_for_its_plan_waits_for_the_status_it_took(tmp_path: Path) -> None:
    """`git orch run` in a repository without a plan: the run took the early git status
    (setup.load) before it found no plan; it ends (exit 2) once that status ended, not with
    the status still running, about to hold .git/index.lock after gitorch is gone."""
    root, marks = slow_status_repo(tmp_path, 0.5)
    (root / "a.txt").write_text("changed\n")  # a status with work to do
    refused = subprocess.run(["git", "orch", "run"], cwd=root, capture_output=True, text=True, timeout=60)
    assert refused.returncode == 2, refused.stderr
    assert "plan" in refused.stderr.lower(), refused.stderr
    assert status_was_waited_for(marks), "git status still running after gitorch exited"
    assert not (root / ".git" / "index.lock").exists()
