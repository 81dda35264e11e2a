"""Progress lines during a run (issue 15, P1): the loop sends them when FLUSH_AFTER has passed
or before a wait that would outlast that, not at every scheduling round, so a fan-out of
quick tasks writes once per batch; a line written before a long wait still reaches the
person watching while the wait goes on."""

from __future__ import annotations

import os
import select
import shlex
import subprocess
import time
from pathlib import Path

from gitorch.views.progress import FLUSH_AFTER, Progress
from tests.engine.helpers import write_plan
from tests.views.test_progress_flush import Seen

GUARD = 60.0  # seconds before a test that sees nothing gives up (a hang, not a timing check)


def test_due_says_when_the_written_lines_must_go() -> None:
    out = Seen()
    p = Progress(stream=out)
    p.start("r-1", 2)  # the first line goes at once
    assert p.due() is None  # nothing waits
    p.task_started("A")  # queued
    due = p.due()
    assert due is not None and 0.0 <= due <= FLUSH_AFTER
    assert "started A" not in out.flushed
    p.flush()
    assert p.due() is None and out.flushed.endswith("started A\n")
    quiet = Progress(stream=Seen(), json_mode=True)
    quiet.task_started("B")
    assert quiet.due() is None  # --json: no lines at all


def _line_with(proc: subprocess.Popen[bytes], text: bytes) -> bytes:
    """Read the run's stdout until a line holding `text` (GUARD seconds at most)."""
    assert proc.stdout is not None
    fd, seen, end = proc.stdout.fileno(), b"", time.monotonic() + GUARD
    while text not in seen:
        left = end - time.monotonic()
        ready, _, _ = select.select([fd], [], [], max(0.0, left))
        assert ready, f"no {text!r} on the run's output while it waits; got {seen!r}"
        chunk = os.read(fd, 4096)
        assert chunk, f"the run ended before {text!r}; got {seen!r}"
        seen += chunk
    return seen


def test_a_line_before_a_long_wait_is_out_while_the_run_waits(repo: Path, tmp_path: Path) -> None:
    go = tmp_path / "go"  # the waiting task ends once the test saw its "started" line
    wait = f"while [ ! -e {shlex.quote(str(go))} ]; do sleep 0.02; done"
    write_plan(repo, [{"id": "quick", "commands": {"t": "true"}},
                      {"id": "wait", "dependencies": ["quick"], "commands": {"t": wait}}])
    proc = subprocess.Popen(["git", "orch", "run", "-j2"], cwd=repo, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    try:
        seen = _line_with(proc, b"started wait")
        assert b"completed quick" in seen and b"completed wait" not in seen
        go.touch()
        rest, err = proc.communicate(timeout=GUARD)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err.decode()
    assert b"completed wait" in seen + rest
    assert b"2/2 done (2 completed)" in rest
