"""Progress: plain lines off a terminal, a refreshed line on one, silence in JSON mode."""

from __future__ import annotations

import io
import re
import subprocess
import sys
import threading

from gitorch.views.progress import Progress


def drive(p: Progress) -> None:
    p.start("r-1", 3)
    p.task_started("A")
    p.task_started("B")
    p.task_finished("A", "completed", 1.5)
    p.task_finished("B", "failed", 0.25)
    p.task_finished("C", "blocked", 0.0)
    p.close()


def test_plain_lines_when_not_a_terminal() -> None:
    out = io.StringIO()
    drive(Progress(stream=out))
    lines = out.getvalue().splitlines()
    assert lines[:6] == [
        "orch r-1: 3 tasks",
        "[0/3] started A",
        "[0/3] started B",
        "[1/3] completed A (1.50 s)",
        "[2/3] failed B (0.25 s)",
        "[3/3] blocked C (0.00 s)",
    ]
    assert lines[6].startswith("orch r-1: 3/3 done (1 blocked, 1 completed, 1 failed) in ")
    assert len(lines) == 7


def test_json_mode_is_silent() -> None:
    out = io.StringIO()
    drive(Progress(json_mode=True, stream=out, tty=True))
    assert out.getvalue() == ""


def test_terminal_shows_a_status_line_and_keeps_failures() -> None:
    out = io.StringIO()
    p = Progress(stream=out, tty=True)
    p.start("r-1", 3)
    p.task_started("A")
    p.task_started("B")
    assert p.status_line().startswith("orch r-1  0/3 done  running: A, B  ")
    p.task_finished("A", "completed", 1.0)
    p.task_finished("B", "failed", 2.0)
    p.close()
    p.close()  # twice is harmless
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", out.getvalue())  # the terminal's cursor moves
    assert "[2/3] failed B (2.00 s)" in text and "completed A (" not in text
    assert text.rstrip().splitlines()[-1].startswith("orch r-1: 2/3 done (1 completed, 1 failed)")


def test_many_threads_count_every_task() -> None:
    out = io.StringIO()
    p = Progress(stream=out)
    p.start("r-2", 400)

    def work(base: int) -> None:
        for i in range(base, base + 100):
            p.task_started(f"T{i}")
            p.task_finished(f"T{i}", "completed", 0.0)

    threads = [threading.Thread(target=work, args=(n * 100,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    p.close()
    assert p.done == 400 and p.running == {}
    assert out.getvalue().splitlines()[-1].startswith("orch r-2: 400/400 done (400 completed)")


def test_rich_is_not_imported_off_a_terminal() -> None:
    code = (
        "import io, sys\n"
        "from gitorch.views.progress import Progress\n"
        "p = Progress(stream=io.StringIO()); p.start('r', 1); p.task_started('A')\n"
        "p.task_finished('A', 'completed', 0.1); p.close()\n"
        "sys.exit('rich' in sys.modules)\n"
    )
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


def test_a_closed_stream_does_not_fail_the_run() -> None:
    out = io.StringIO()
    p = Progress(stream=out)
    out.close()
    drive(p)  # no exception


def test_gate_waits_are_not_done_and_done_never_exceeds_total() -> None:
    out = io.StringIO()
    p = Progress(stream=out)
    p.start("r-2", 3, done=1)  # a resume: one task finished in an earlier session
    p.task_finished("G", "awaiting_approval", 0.0)
    assert p.done == 1  # held at its gate: announced, not done
    p.task_started("G")  # approved while the run goes on
    p.task_finished("G", "completed", 0.5)
    p.task_finished("G", "completed", 0.5)  # reported twice: counted once
    p.task_finished("H", "completed", 0.1)
    p.task_finished("X", "completed", 0.1)  # more than the total: still 3/3
    assert p.done == 3
    p.close()
    text = out.getvalue()
    assert "[1/3] awaiting_approval G" in text and "4/3" not in text
    assert "completed A" not in text  # the earlier session's task is not announced again
