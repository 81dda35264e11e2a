"""A `ws snapshot` ended early (refused after its git status started, or Ctrl-C while it
reads them) ends every git status it started together with what each started: git status
runs `git status` in each submodule, and that one its fsmonitor hook. The stop ends each
repo's git with its descendants (gitcmd.git_start's stop, gitcmd.end_tree).

The submodule's fsmonitor hook hangs (far longer than any test) and records its pid and
its git's; the tests assert both are gone after the stop (or zombies waiting for their new
parent to reap them)."""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

from gitorch.workspace import prestart
from tests.conftest import git, make_repo
from tests.engine.test_prestart_interrupt import HOOK, all_gone, hook_pids, wait_blocked


def _workspace(tmp_path: Path) -> tuple[Path, Path]:
    """A folder (no manifest) with repo alpha, whose submodule's git status hangs in its
    fsmonitor hook, and repo beta; (the folder, the hook's marks)."""
    ws = tmp_path / "ws"
    make_repo(tmp_path / "lib", {"l.txt": "l\n"})
    alpha = make_repo(ws / "alpha", {"f.txt": "one\n"})
    git(alpha, "-c", "protocol.file.allow=always", "submodule", "add", "-q", str(tmp_path / "lib"), "sub")
    git(alpha, "commit", "-q", "-m", "sub")
    make_repo(ws / "beta", {"f.txt": "one\n"})
    marks = tmp_path / "marks"
    hook = tmp_path / "fsmonitor"
    hook.write_text(HOOK.format(marks=marks))
    hook.chmod(0o755)
    git(alpha / "sub", "config", "core.fsmonitor", str(hook))
    return ws, marks


def _hook_started(marks: Path) -> None:
    deadline = time.monotonic() + 60
    while not hook_pids(marks):
        assert time.monotonic() < deadline, "the submodule's fsmonitor hook never ran"
        time.sleep(0.02)


def test_a_stopped_early_start_ends_the_submodules_git_and_its_hook(tmp_path: Path) -> None:
    """What a refused snapshot's end does (workspace/prestart.forget, cli/entry)."""
    ws, marks = _workspace(tmp_path)
    prestart.start(["--root", str(ws)])
    try:
        _hook_started(marks)
    finally:
        prestart.forget()
    assert all_gone(hook_pids(marks)), "a submodule's git status or its hook outlived the stop"


def test_ctrl_c_while_the_snapshot_reads_git_ends_every_git_it_started(tmp_path: Path) -> None:
    ws, marks = _workspace(tmp_path)
    proc = subprocess.Popen(["git-orch", "ws", "snapshot", "--root", str(ws), "--json"], cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_blocked(proc, marks, ("pipe_read", "poll"))
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 130, err
    assert "Traceback" not in err, err
    assert all_gone(hook_pids(marks)), "a submodule's git status or its hook outlived gitorch"
