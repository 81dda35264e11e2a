"""When gitorch ends a run's early `git status` (engine/prestart), it ends what git started
with it (a core.fsmonitor hook: gitcmd.end_tree), and a Ctrl-C while gitorch waits for it (to
gitorch alone, or to its process group, which git shares, as a terminal sends it) still ends
it: git is not left running (or unreaped) after gitorch exits, and gitorch exits as an
interrupt does (130, one line, no traceback; docs/cli.md). A signal to the group that ends
gitorch too: tests/engine/test_prestart_signals.py.

The fsmonitor hook sleeps far longer than any test: it records its own pid and git's when it
starts, and a test asserts both are gone (or zombies waiting for their new parent to reap
them). gitorch is signalled only once it is blocked waiting for git (/proc's wchan says so
and the hook has started): no timing window."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from gitorch import earlyconfig, repo
from gitorch.engine import prestart
from tests.conftest import alive, git, make_repo, waits_on
from tests.engine.helpers import write_plan

HOOK = """#!/bin/sh
echo "$$ $PPID" >> {marks}
exec sleep 300
"""

pytestmark = pytest.mark.skipif(not Path("/proc/self/wchan").exists(), reason="needs Linux /proc")


def hung_status_repo(tmp_path: Path) -> tuple[Path, Path]:
    """A repository whose git status hangs in its fsmonitor hook; (root, the hook's marks)."""
    root = make_repo(tmp_path / "r")
    marks = tmp_path / "marks"
    hook = tmp_path / "fsmonitor"
    hook.write_text(HOOK.format(marks=marks))
    hook.chmod(0o755)
    git(root, "config", "core.fsmonitor", str(hook))
    (root / "a.txt").write_text("changed\n")
    return root, marks


def hook_pids(marks: Path) -> list[int]:
    """The hook's and its git's pids, for every time the hook started."""
    return [int(p) for p in marks.read_text().split()] if marks.exists() else []


def all_gone(pids: list[int], timeout: float = 10.0) -> bool:
    """Whether every process in `pids` has ended within `timeout` s (a SIGKILL is delivered
    asynchronously; the hook itself would run for minutes)."""
    deadline = time.monotonic() + timeout
    while any(alive(p) for p in pids):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def wait_blocked(proc: subprocess.Popen[str], marks: Path, kinds: tuple[str, ...]) -> None:
    """Until the hook has started and gitorch sleeps in one of `kinds` (wchan names)."""
    deadline = time.monotonic() + 60
    while not (hook_pids(marks) and any(k in waits_on(proc.pid) for k in kinds)):
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "gitorch never waited for git status"
        time.sleep(0.02)


def interrupt(tmp_path: Path, args: list[str], kinds: tuple[str, ...], group: bool, times: int = 1) -> None:
    """`git-orch ARGS` (itself, not git's dispatcher) in a repository whose status hangs,
    Ctrl-C'd (SIGINT to gitorch, or to its process group as a terminal sends it) once it waits
    for git (`times` times: each time it waits for git again): it exits 130 with one line, git
    and its hook gone, no index.lock."""
    root, marks = hung_status_repo(tmp_path)
    write_plan(root, [{"id": "a", "commands": {"t": "true"}}])
    proc = subprocess.Popen(["git-orch", *args], cwd=root, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        for _ in range(times):
            wait_blocked(proc, marks, kinds)
            (os.killpg if group else os.kill)(proc.pid, signal.SIGINT)
            kinds = ("poll",)  # then its end waits for the status (engine/prestart.finish)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 130, err
    assert "Traceback" not in err and err.strip().splitlines()[-1] == "git orch: interrupted", err
    assert err.count("interrupted") == 1, err
    assert all_gone(hook_pids(marks)), "git status or its fsmonitor hook outlived gitorch"
    assert not (root / ".git" / "index.lock").exists()


@pytest.mark.parametrize("group", [False, True], ids=["kill", "terminal"])
def test_ctrl_c_while_an_untaken_status_is_waited_for_ends_it_and_exits_130(tmp_path: Path,
                                                                          group: bool) -> None:
    """`run --bogus`: refused by typer (exit 2), then prestart.finish waits for the status
    nobody took (up to 10 s); Ctrl-C there."""
    interrupt(tmp_path, ["run", "--bogus-option"], ("poll",), group)


def test_ctrl_c_while_a_run_reads_its_status_ends_it_and_exits_130(tmp_path: Path) -> None:
    """The run took the status and blocks reading it; Ctrl-C (to gitorch alone, so git got
    none either way): the command's end (prestart.forget) waits for the status the run did
    not read, as for one nobody took, and a second Ctrl-C there ends it."""
    interrupt(tmp_path, ["run"], ("pipe_read",), False, times=2)


def test_a_status_past_the_time_limit_is_ended_with_its_hook(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    root, marks = hung_status_repo(tmp_path)
    monkeypatch.chdir(root)
    prestart.start()
    try:
        assert prestart._started is not None
        status = prestart._started[1]
        deadline = time.monotonic() + 60
        while not hook_pids(marks) and time.monotonic() < deadline:
            time.sleep(0.02)
        prestart.finish(status, timeout=0.1)
    finally:
        prestart.forget()
        earlyconfig.forget()
        repo.forget_early()
    assert status.returncode is not None
    assert hook_pids(marks) and all_gone(hook_pids(marks)), "the hung fsmonitor hook outlived its git"
    assert not (root / ".git" / "index.lock").exists()
