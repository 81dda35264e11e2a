"""Progress flushes plain lines in batches: the same bytes reach the stream, every line is out
once the engine is about to wait (flush) or the run is over (close), and a line never stays
back longer than FLUSH_AFTER while lines keep coming."""

from __future__ import annotations

import io
import time

import pytest

from gitorch.views import progress as progress_mod
from gitorch.views.progress import Progress


class Seen(io.StringIO):
    """A stream that remembers what had been flushed."""

    def __init__(self) -> None:
        super().__init__()
        self.flushed = ""
        self.flushes = 0

    def flush(self) -> None:
        self.flushes += 1
        self.flushed = self.getvalue()


def run_of(p: Progress, n: int) -> None:
    p.start("r-1", n)
    for i in range(n):
        p.task_started(f"T{i}")
        p.task_finished(f"T{i}", "skipped", 0.0)


def test_same_lines_fewer_flushes() -> None:
    out = Seen()
    p = Progress(stream=out)
    run_of(p, 1000)
    p.close()
    lines = out.getvalue().splitlines()
    assert lines[0] == "orch r-1: 1000 tasks"
    assert lines[1:5] == ["[   0/1000] started T0", "[   1/1000] skipped T0 (0.00 s)",
                          "[   1/1000] started T1", "[   2/1000] skipped T1 (0.00 s)"]
    assert lines[-1].startswith("orch r-1: 1000/1000 done (1000 skipped) in ")
    assert len(lines) == 2002
    assert out.flushed == out.getvalue()  # all of it is out after close
    assert out.flushes < 1000


def test_the_engine_flush_sends_what_was_written() -> None:
    out = Seen()
    p = Progress(stream=out)
    p.start("r-1", 3)  # the first line goes at once
    assert out.flushed == "orch r-1: 3 tasks\n"
    p.task_started("A")
    assert "started A" not in out.getvalue()  # queued: sent with the next batch
    p.flush()  # the engine waits for A's command now
    assert out.flushed == out.getvalue() and out.getvalue().endswith("started A\n")
    flushes = out.flushes
    p.flush()  # nothing new: no system call
    assert out.flushes == flushes


def test_a_line_waits_at_most_flush_after(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = [100.0]
    monkeypatch.setattr(time, "monotonic", lambda: clock[0])
    out = Seen()
    p = Progress(stream=out)
    p.start("r-1", 2)
    p.task_started("A")
    assert "started A" not in out.flushed
    clock[0] += progress_mod.FLUSH_AFTER + 0.001
    p.task_finished("A", "completed", 0.1)
    assert out.flushed == out.getvalue()


def test_a_closed_stream_does_not_fail_the_run() -> None:
    out = Seen()
    p = Progress(stream=out)
    p.start("r-1", 1)
    p.task_started("A")
    out.close()
    p.flush()
    p.close()


class Counted(io.StringIO):
    """A stream that counts write calls (each one a system call where output writes through:
    a terminal, or PYTHONUNBUFFERED=1)."""

    def __init__(self) -> None:
        super().__init__()
        self.writes = 0

    def write(self, s: str) -> int:
        self.writes += 1
        return super().write(s)


def test_lines_between_two_engine_waits_go_in_one_write() -> None:
    out = Counted()
    p = Progress(stream=out)
    p.start("r-1", 300)
    rounds = 0
    for i in range(300):  # as a run's loop: a task ends, the next starts, the loop waits
        if i:
            p.task_finished(f"T{i - 1}", "completed", 0.0)
        p.task_started(f"T{i}")
        p.flush()
        rounds += 1
    p.task_finished("T299", "completed", 0.0)
    p.close()
    lines = out.getvalue().splitlines()
    assert len(lines) == 2 + 600 and lines[1] == "[  0/300] started T0"
    assert lines[-2] == "[300/300] completed T299 (0.00 s)"
    assert out.writes <= rounds + 3  # not one per line
