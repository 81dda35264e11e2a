"""Colour: on a terminal failures are red, completions green, waits yellow; none with NO_COLOR
or when output is not a terminal; FORCE_COLOR forces it. The live progress line stays."""

from __future__ import annotations

import os
import pty
import select
import subprocess
from pathlib import Path

import pytest

from tests.conftest import make_repo

RED, GREEN, YELLOW = "\x1b[31m", "\x1b[32m", "\x1b[33m"
PLAN = (
    "version: 1\nproject: {name: demo}\norchestrator: {approvals: {required: [ship]}}\ntasks:\n"
    "  - id: good\n    commands: {x: 'true'}\n"
    "  - id: bad\n    commands: {x: 'sleep 0.3; exit 3'}\n"
    "  - id: gated\n    dependencies: [good]\n    approvals: [ship]\n    commands: {x: 'true'}\n"
)


@pytest.fixture
def planned(tmp_path: Path) -> Path:
    return make_repo(tmp_path / "repo", {"orchestrator.yml": PLAN})


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    env.update(extra)
    return env


def _on_a_terminal(args: list[str], cwd: Path, env: dict[str, str]) -> str:
    """Run `args` with stdout and stderr on a pseudo-terminal; everything it wrote."""
    main, child = pty.openpty()
    proc = subprocess.Popen(args, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=child, stderr=child)
    os.close(child)
    out = b""
    while True:
        ready, _, _ = select.select([main], [], [], 60)
        if not ready:
            break
        try:
            chunk = os.read(main, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        out += chunk
    proc.wait(timeout=60)
    os.close(main)
    return out.decode("utf-8", "replace")


def test_terminal_gets_colour_and_the_live_line(planned: Path) -> None:
    out = _on_a_terminal(["git", "orch", "run", "--all", "-k"], planned, _env(TERM="xterm"))
    assert f"{RED}FAILED" in out or f"{RED}1 failed" in out, out
    assert f"{GREEN}1 completed" in out, out
    assert f"{YELLOW}waits" in out, out
    assert "done" in out and "\r" in out  # the status line was drawn and redrawn in place
    status = _on_a_terminal(["git", "orch", "status"], planned, _env(TERM="xterm"))
    assert RED in status and GREEN in status and YELLOW in status, status


def test_no_color_on_a_terminal(planned: Path) -> None:
    out = _on_a_terminal(["git", "orch", "run", "--all", "-k"], planned, _env(TERM="xterm", NO_COLOR="1"))
    assert RED not in out and GREEN not in out and YELLOW not in out, out
    assert "FAILED" in out


def test_pipe_has_no_colour_unless_forced(planned: Path) -> None:
    plain = subprocess.run(["git", "orch", "run", "--all", "-k"], cwd=planned, env=_env(),
                           capture_output=True, text=True)
    assert "\x1b[" not in plain.stdout + plain.stderr
    forced = subprocess.run(["git", "orch", "status"], cwd=planned, env=_env(FORCE_COLOR="1"),
                            capture_output=True, text=True)
    assert RED in forced.stdout and GREEN in forced.stdout, forced.stdout
    error = subprocess.run(["git", "orch", "explain", "nope"], cwd=planned, env=_env(FORCE_COLOR="1"),
                           capture_output=True, text=True)
    assert error.stderr.startswith(RED), error.stderr
