"""A Ctrl-C that lands while a command is being started, and the signals a command starts
with. Real runs of the CLI in a subprocess; the interrupt is delivered from inside
os.posix_spawn's call (after the real spawn), where a terminal's Ctrl-C lands when the
machine is busy: CI saw `sleep 30 &` of an interrupted run's command outlive the run."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from gitorch.engine.process import Children, CommandOutcome
from tests.engine.helpers import orch_with_site, plan_repo

# os.posix_spawn as the run calls it, with SIGINT raised in this process once the first
# command (the one that sleeps) has started: its pid is written to PIDS first
_SITE = """
import os, signal
_real = os.posix_spawn
def posix_spawn(path, argv, *a, **kw):
    pid = _real(path, argv, *a, **kw)
    if "sleep" in " ".join(argv):
        with open({pids!r}, "a") as f:
            f.write(f"{{pid}}\\n")
        signal.raise_signal(signal.SIGINT)
    return pid
os.posix_spawn = posix_spawn
"""


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


@pytest.mark.skipif(not hasattr(os, "pidfd_open"), reason="the posix_spawn path needs pidfds (Linux)")
def test_a_ctrl_c_during_the_start_of_a_command_stops_that_command(tmp_path: Path, backend: str) -> None:
    flag, pids = tmp_path / "resumed", tmp_path / "pids"
    tasks = [{"id": "long", "commands": {"t": f"test -e {flag} || sleep 30"}}]
    repo = plan_repo(tmp_path / "repo", {"README.md": "x\n"}, tasks)
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(_SITE.format(pids=str(pids)))
    stopped = orch_with_site(repo, "run", site=site)
    started = [int(p) for p in pids.read_text().split()]
    try:
        assert stopped.returncode == 130, stopped.stdout + stopped.stderr
        assert "Traceback" not in stopped.stderr
        # stopped with the run (and reaped by it), not left sleeping
        assert [p for p in started if _alive(p)] == []
    finally:
        for pid in started:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
    assert "interrupted" in stopped.stdout, stopped.stdout
    flag.touch()
    resumed = orch_with_site(repo, "resume")
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr


def _run(tmp_path: Path, cmd: str) -> str:
    children = Children()
    log = tmp_path / "out.log"
    started = children.spawn(cmd, cwd=tmp_path, env=dict(os.environ), log_path=log, timeout=None, key=1)
    assert not isinstance(started, CommandOutcome), started
    while not children.wait(None):
        pass
    children.close()
    return log.read_text()


def test_a_command_gets_sigpipe_as_a_shell_would_give_it(tmp_path: Path) -> None:
    """Python ignores SIGPIPE (and SIGXFSZ); a command must not inherit that: `yes | head -1`
    would print "Broken pipe" and a writer to a closed pipe would go on."""
    out = _run(tmp_path, "(yes; echo \"yes ended with $?\" >&2) | head -1")
    assert out.splitlines() == ["y", "yes ended with 141"], out  # 128 + SIGPIPE, no message
