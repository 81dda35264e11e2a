"""gitcmd.git_start's wait cut short (a Ctrl-C while it reads git's output): git is ended with
what it started, and a later call raises again instead of giving the output read so far as
if it were all of it (a stop still gives git's status and no output)."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from gitorch.gitcmd import git_start
from tests.conftest import alive, make_repo, waits_on
from tests.engine.test_prestart_interrupt import all_gone, hook_pids

pytestmark = pytest.mark.skipif(not Path("/proc/self/wchan").exists(), reason="needs Linux /proc")


class Cut(Exception):
    """What the test's SIGALRM handler raises in the blocked read (as a Ctrl-C would)."""


@pytest.fixture
def cut_when_blocked() -> Iterator[list[Path]]:
    """Raise Cut in this thread once the file put in the list exists and this thread then
    sleeps reading a pipe."""
    def cut(signum: int, frame: object) -> None:
        raise Cut

    wanted: list[Path] = []
    me = threading.get_native_id()

    def watch() -> None:
        deadline = time.monotonic() + 60
        while not (wanted and wanted[0].exists()):
            if time.monotonic() > deadline:
                return
            time.sleep(0.02)
        time.sleep(0.2)  # the output written before the marks is read by then
        while "pipe_read" not in waits_on(me) and time.monotonic() < deadline:
            time.sleep(0.02)
        os.kill(os.getpid(), signal.SIGALRM)

    before = signal.signal(signal.SIGALRM, cut)
    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        yield wanted
    finally:
        watcher.join()
        signal.signal(signal.SIGALRM, before)


def test_a_wait_cut_short_ends_git_and_never_gives_its_partial_output(
        tmp_path: Path, cut_when_blocked: list[Path]) -> None:
    root = make_repo(tmp_path / "r")
    marks = tmp_path / "marks"
    alias = f"!printf partial; echo $$ > {marks}; exec sleep 5"  # git's child: output, then it hangs
    wait = git_start(["-c", f"alias.slow={alias}", "slow"], str(root))
    cut_when_blocked.append(marks)
    try:
        with pytest.raises(Cut):
            wait()
        assert all_gone(hook_pids(marks), timeout=2.0), "git's child outlived the cut wait"
        with pytest.raises(Cut):  # again: what was read is not all of git's output
            wait()
        code, out = wait(stop=True)
        assert code != 0 and out == b""
    finally:
        for pid in hook_pids(marks):
            if alive(pid):
                os.kill(pid, signal.SIGKILL)


def test_a_ctrl_c_as_end_tree_reaps_git_is_raised_and_nothing_else_is_signalled(tmp_path: Path) -> None:
    """CPython runs a Ctrl-C's handler at the call that returns from waitpid: git is reaped, its
    status lost. end_tree then neither signals git's pid (another process may have it now) nor
    waits for it again: the KeyboardInterrupt is what the caller sees."""
    from gitorch import gitcmd

    pid = os.posix_spawnp("sh", ["sh", "-c", "trap '' TERM; sleep 0.05"], dict(os.environ))
    signalled: list[int] = []
    real_kill = os.kill

    def reaped() -> int | None:
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done:
            raise KeyboardInterrupt  # the pending SIGINT, handled as waitpid returns
        return None

    def kill(target: int, sig: int) -> None:
        signalled.append(target)
        real_kill(target, sig)

    os.kill = kill  # type: ignore[assignment]
    try:
        with pytest.raises(KeyboardInterrupt):
            gitcmd.end_tree(pid, reaped, timeout=5.0)
    finally:
        os.kill = real_kill  # type: ignore[assignment]
    assert signalled.count(pid) == 1  # the SIGTERM before it exited; no SIGKILL after the reap
