"""The git status gitorch starts (engine/prestart's early one, gitcmd.git_start's) stays in
gitorch's process group, so a signal to the group (a terminal's hangup, a CI runner's
`kill -KILL -- -PGID`) ends git and its fsmonitor hook with gitorch; and gitorch's own stop
of a hung status (gitcmd.end_tree) ends git with its hook without os.waitid, which CPython
does not have on macOS.

The fsmonitor hook sleeps far longer than any test and records its pid and git's
(tests/engine/test_prestart_interrupt); whatever a failing test leaves is killed at its end."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from gitorch import earlyconfig, repo
from gitorch.engine import prestart
from gitorch.gitcmd import git_start
from tests.conftest import alive
from tests.engine.helpers import write_plan
from tests.engine.test_prestart_interrupt import all_gone, hook_pids, hung_status_repo, wait_blocked

pytestmark = pytest.mark.skipif(not Path("/proc/self/wchan").exists(), reason="needs Linux /proc")


def _kill_left(marks: Path) -> None:
    """SIGKILL what a failing test left running (the hook would sleep for minutes)."""
    for pid in hook_pids(marks):
        if alive(pid):
            os.kill(pid, signal.SIGKILL)


def _hook_started(marks: Path) -> None:
    deadline = time.monotonic() + 60
    while not hook_pids(marks):
        assert time.monotonic() < deadline, "the fsmonitor hook never ran"
        time.sleep(0.02)


@pytest.mark.parametrize("sig", [signal.SIGHUP, signal.SIGKILL], ids=["hangup", "kill"])
def test_a_signal_to_gitorchs_process_group_ends_its_git_status_and_hook(tmp_path: Path, sig: int) -> None:
    """`setsid git-orch run`, blocked reading its early status (the hook hangs); the signal goes
    to the session's process group, as a terminal's hangup or a CI runner's kill sends it."""
    root, marks = hung_status_repo(tmp_path)
    write_plan(root, [{"id": "a", "commands": {"t": "true"}}])
    proc = subprocess.Popen(["git-orch", "run"], cwd=root, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, text=True, start_new_session=True)
    try:
        wait_blocked(proc, marks, ("pipe_read",))
        os.killpg(proc.pid, sig)
        proc.wait(timeout=60)
        assert all_gone(hook_pids(marks)), "git status or its fsmonitor hook outlived gitorch's group"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        _kill_left(marks)


def test_a_hung_status_is_ended_with_its_hook_without_os_waitid(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """As on macOS: prestart.finish past its bound, and gitcmd.git_start's stop."""
    root, marks = hung_status_repo(tmp_path)
    monkeypatch.delattr(os, "waitid", raising=False)
    monkeypatch.chdir(root)
    prestart.start()
    try:
        assert prestart._started is not None
        status = prestart._started[1]
        _hook_started(marks)
        prestart.finish(status, timeout=0.1)
        assert status.returncode is not None
        assert all_gone(hook_pids(marks)), "the hung fsmonitor hook outlived its git"
        marks.unlink()
        wait = git_start(prestart.STATUS_ARGS, str(root))
        _hook_started(marks)
        code, out = wait(stop=True)
        assert code != 0 and out == b""
        assert all_gone(hook_pids(marks)), "the hung fsmonitor hook outlived git_start's stop"
    finally:
        prestart.forget()
        earlyconfig.forget()
        repo.forget_early()
        _kill_left(marks)
    assert not (root / ".git" / "index.lock").exists()
