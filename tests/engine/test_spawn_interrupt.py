"""A Ctrl-C that lands while a command is being started, and the signals a command starts
with. Real runs of the CLI in a subprocess; the interrupt is delivered from inside
os.posix_spawn's call (after the real spawn), where a terminal's Ctrl-C lands when the
machine is busy: CI saw `sleep 30 &` of an interrupted run's command outlive the run."""

from __future__ import annotations

import os
import signal
import threading
from pathlib import Path

import pytest

from gitorch.engine.process import Children, CommandOutcome, run_command
from tests.conftest import alive
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
        assert [p for p in started if alive(p)] == []
    finally:
        for pid in started:
            if alive(pid):
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
    # in either order: head may close the pipe before its "y" reaches the file
    assert sorted(out.splitlines()) == ["y", "yes ended with 141"], out  # 128 + SIGPIPE, no message


@pytest.mark.skipif(not hasattr(os, "pidfd_open"), reason="the posix_spawn path needs pidfds (Linux)")
def test_a_ctrl_c_during_the_start_of_a_secret_probe_stops_the_probe(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A secret's probe runs outside the run's loop (run_command): the same deferral."""
    if threading.current_thread() is not threading.main_thread():
        pytest.skip("signal handlers are the main thread's")
    real, started = os.posix_spawn, []

    def posix_spawn(path: str, argv: list[str], *a: object, **kw: object) -> int:
        pid = real(path, argv, *a, **kw)  # type: ignore[arg-type]
        started.append(pid)
        signal.raise_signal(signal.SIGINT)  # the Ctrl-C lands as posix_spawn returns
        return pid

    monkeypatch.setattr(os, "posix_spawn", posix_spawn)
    with pytest.raises(KeyboardInterrupt):
        run_command("sleep 30", cwd=tmp_path, env=dict(os.environ), timeout=None,
                    log_path=tmp_path / "probe.log")
    assert started and [p for p in started if alive(p)] == []
