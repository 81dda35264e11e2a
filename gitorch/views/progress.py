"""Live progress of a run for a person watching: which tasks run, how many are done.

Three modes, chosen once: on a terminal, one status line refreshed in place (rich, imported
only then); elsewhere, one plain line per event (logs and CI stay readable); with --json,
nothing at all (stdout carries only JSON). The engine may call it from several threads.
"""

from __future__ import annotations

import sys
import threading
import time
from types import TracebackType
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from gitorch.views.states import TaskState

RUNNING_SHOWN = 3  # running task ids named on the status line; the rest are counted
NOT_DONE = frozenset({"awaiting_approval", "in_progress"})  # held at a gate, waiting for acceptance
# Plain lines go out at the latest this long after they were written (the engine asks `due`
# before it waits and cuts the wait short to send them): a flush per line cost ~20 ms of a
# 1,000-task run's output.
FLUSH_AFTER = 0.05


class Progress:
    """Progress of one run: `start`, then `task_started`/`task_finished` per task, `close`."""

    def __init__(self, *, json_mode: bool = False, stream: TextIO | None = None,
                 tty: bool | None = None) -> None:
        self.stream: TextIO = stream if stream is not None else sys.stdout
        if json_mode:
            self.mode = "json"
        else:
            is_tty = tty if tty is not None else _isatty(self.stream)
            self.mode = "tty" if is_tty else "plain"
        self.run = ""
        self.total = 0
        self.done = 0
        self._of = "/0"  # "/<total>" and the width `done` is padded to, made once per run
        self._width = 1
        self.finished: set[str] = set()  # tasks counted as done (each once)
        self.held: dict[str, str] = {}  # tasks announced but not done: gate waits, manual waits
        self.running: dict[str, float] = {}  # task id -> monotonic start, in start order
        self.states: dict[str, int] = {}
        self._began = 0.0
        self._lock = threading.Lock()
        self._live: Any = None
        self._closed = False
        self._lines: list[str] = []  # written, not yet sent (see _put)
        self._flushed_at = 0.0

    # --- the calls the engine makes ---------------------------------------------------

    def start(self, run: str, total: int, done: int = 0) -> None:
        """A run of `total` tasks begins; `done` of them finished in earlier sessions of it (a
        resume): counted, not announced again."""
        with self._lock:
            self.run, self.total, self._began = run, total, time.monotonic()
            self.done = min(done, total)
            self._of, self._width = f"/{total}", len(str(total))
        if self.mode == "tty":
            self._start_live()
        if self.mode == "plain":
            self._write(f"orch {run}: {total} task{'s' if total != 1 else ''}")

    def task_started(self, task_id: str) -> None:
        """`task_id` began running."""
        with self._lock:
            self.running[task_id] = time.monotonic()
            if self.mode == "plain":
                self._put(f"[{str(self.done).rjust(self._width)}{self._of}] started {task_id}")

    def task_finished(self, task_id: str, state: TaskState, duration: float) -> None:
        """`task_id` ended in `state` after `duration` seconds (blocked/skipped tasks count too;
        a task held at a gate or waiting for its acceptance is announced, not done)."""
        with self._lock:
            self.running.pop(task_id, None)
            if state in NOT_DONE:
                self.held[task_id] = state
            elif task_id not in self.finished:
                self.held.pop(task_id, None)
                self.finished.add(task_id)
                if self.done < self.total:
                    self.done += 1
                self.states[state] = self.states.get(state, 0) + 1
            if self.mode == "json":
                return
            line = f"[{str(self.done).rjust(self._width)}{self._of}] {state} {task_id} ({duration:.2f} s)"
            if self.mode == "plain":
                self._put(line)
                return
        if state == "failed" and self._live is not None:  # mode tty
            self._live.console.print(line, markup=False, highlight=False, style="red")  # stays on screen

    def tasks_finished(self, task_ids: list[str], state: TaskState, duration: float) -> None:
        """`task_finished` for each of `task_ids` in turn, the same lines and counts, in one
        step (engine/skipall: a re-run that skips 1,000 tasks, ~20 M instructions less)."""
        if state in NOT_DONE or self.mode == "tty":
            for task_id in task_ids:
                self.task_finished(task_id, state, duration)
            return
        with self._lock:
            lines = self._lines if self.mode == "plain" else None
            tail, width, of = f"] {state} ", self._width, self._of
            end = f" ({duration:.2f} s)"
            running, held, finished = self.running, self.held, self.finished
            done, total, added = self.done, self.total, 0
            for task_id in task_ids:
                running.pop(task_id, None)
                if task_id not in finished:
                    held.pop(task_id, None)
                    finished.add(task_id)
                    if done < total:
                        done += 1
                    added += 1
                if lines is not None:
                    lines.append(f"[{str(done).rjust(width)}{of}{tail}{task_id}{end}")
            self.done = done
            if added:
                self.states[state] = self.states.get(state, 0) + added
            if lines and time.monotonic() - self._flushed_at >= FLUSH_AFTER:
                self._send()

    def close(self) -> None:
        """The run is over (or stopped): clear the status line and print the totals once."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        if self.mode == "json":
            return
        if self._live is not None:
            self._live.stop()
            self._live = None
        self._write(self.summary())
        self.flush()

    def flush(self) -> None:
        """Send the lines written so far (the engine: when `due` says so, and at its end)."""
        with self._lock:
            self._send()

    def due(self) -> float | None:
        """Seconds until the lines written so far must be out (0: now), None when none wait.
        The engine sends them when due and cuts a wait that would last longer, so a run of
        quick tasks writes once per batch instead of once per scheduling round, and a line
        still reaches a person watching within FLUSH_AFTER."""
        with self._lock:
            if not self._lines:
                return None
            return max(0.0, self._flushed_at + FLUSH_AFTER - time.monotonic())

    # --- helpers -------------------------------------------------------------------------

    def summary(self) -> str:
        """`orch r-…: 7/9 done (6 completed, 1 failed) in 3.2 s`."""
        with self._lock:
            counts = dict(self.states)
            for state in self.held.values():
                counts[state] = counts.get(state, 0) + 1
            parts = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
            elapsed = time.monotonic() - self._began if self._began else 0.0
            return (f"orch {self.run}: {self.done}/{self.total} done"
                    + (f" ({parts})" if parts else "") + f" in {elapsed:.1f} s")

    def status_line(self) -> str:
        """The refreshed line: done/total, the running tasks, elapsed time."""
        with self._lock:
            names = list(self.running)
            shown = ", ".join(names[:RUNNING_SHOWN])
            more = f" +{len(names) - RUNNING_SHOWN}" if len(names) > RUNNING_SHOWN else ""
            elapsed = time.monotonic() - self._began if self._began else 0.0
            running = f"  running: {shown}{more}" if names else ""
            return f"orch {self.run}  {self.done}/{self.total} done{running}  {elapsed:.0f}s"

    def _write(self, line: str) -> None:
        with self._lock:
            self._put(line)

    def _put(self, line: str) -> None:
        """Queue `line` (the lock held): all queued lines go at once when the last send is
        FLUSH_AFTER old. One write per batch, also where the stream writes through (a
        terminal, or PYTHONUNBUFFERED=1 as many containers set: a system call per line)."""
        self._lines.append(line)
        if time.monotonic() - self._flushed_at >= FLUSH_AFTER:
            self._send()

    def _send(self) -> None:
        """Write the queued lines in one call and flush the stream (the lock held)."""
        if not self._lines:
            return
        text = "\n".join(self._lines) + "\n"
        self._lines.clear()
        self._flushed_at = time.monotonic()
        try:
            self.stream.write(text)
            self.stream.flush()
        except (OSError, ValueError):  # a closed pipe must not fail the run
            pass

    def _start_live(self) -> None:
        try:
            from rich.console import Console
            from rich.live import Live
            from rich.text import Text
        except ImportError:  # no rich: plain lines still tell the story
            self.mode = "plain"
            return
        progress = self

        class _Line:
            def __rich__(self) -> Text:
                return Text(progress.status_line(), no_wrap=True, overflow="ellipsis")

        console = Console(file=self.stream, force_terminal=True)
        self._live = Live(_Line(), console=console, refresh_per_second=8, transient=True)
        self._live.start()

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
