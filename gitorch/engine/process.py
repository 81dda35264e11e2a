"""Running one shell command: its own process group, a timeout that kills the whole group,
output to a file (never a pipe, so megabytes cost no memory), a bounded tail as excerpt.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

KILL_GRACE = 0.5  # seconds between SIGTERM and SIGKILL of a group that overran


@dataclass
class Outcome:
    """What one command did."""

    status: int | None  # exit code; None when killed (timeout, interrupt, signal) or not started
    duration: float
    timed_out: bool
    size: int  # bytes of output
    error: str = ""  # why it could not start, or which signal ended it


class ProcessTable:
    """The live children of a run, so an interrupt can stop them all (by process group)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._procs: set[subprocess.Popen[bytes]] = set()
        self.stopping = threading.Event()

    def add(self, proc: subprocess.Popen[bytes]) -> None:
        with self._lock:
            self._procs.add(proc)

    def discard(self, proc: subprocess.Popen[bytes]) -> None:
        with self._lock:
            self._procs.discard(proc)

    def stop_all(self) -> None:
        """Stop every live child's process group: SIGTERM, then SIGKILL after a grace."""
        self.stopping.set()
        with self._lock:
            procs = list(self._procs)
        for proc in procs:
            kill_group(proc, signal.SIGTERM)
        deadline = time.monotonic() + KILL_GRACE
        for proc in procs:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(max(0.0, deadline - time.monotonic()))
            kill_group(proc, signal.SIGKILL)


def kill_group(proc: subprocess.Popen[bytes], sig: int) -> None:
    """Send `sig` to the process group `proc` leads (it was started in its own session)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, sig)


def run_shell(
    cmd: str,
    *,
    cwd: Path,
    env: Mapping[str, str],
    log_path: Path,
    timeout: float | None,
    table: ProcessTable,
) -> Outcome:
    """Run `cmd` with /bin/sh in its own session, output (stdout and stderr) to `log_path`."""
    start = time.monotonic()
    if table.stopping.is_set():
        return Outcome(None, 0.0, False, 0, "interrupted before start")
    with open(log_path, "wb") as out:
        try:
            proc = subprocess.Popen(
                ["/bin/sh", "-c", cmd], cwd=cwd, env=dict(env), stdin=subprocess.DEVNULL,
                stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
            )
        except OSError as exc:  # e.g. the working directory vanished
            out.write(f"gitorch: cannot start: {exc}\n".encode())
            return Outcome(None, time.monotonic() - start, False, out.tell(), str(exc))
        table.add(proc)
        timed_out = False
        try:
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                timed_out = True
                kill_group(proc, signal.SIGTERM)
                try:
                    proc.wait(KILL_GRACE)
                except subprocess.TimeoutExpired:
                    pass
                kill_group(proc, signal.SIGKILL)
                proc.wait()
            if timed_out or proc.returncode < 0:
                # children that outlived their parent in the group go too
                kill_group(proc, signal.SIGKILL)
        finally:
            table.discard(proc)
        code = proc.returncode
        size = os.fstat(out.fileno()).st_size
    duration = time.monotonic() - start
    if timed_out:
        return Outcome(None, duration, True, size, f"timed out after {timeout:g}s")
    if code < 0:
        name = signal.Signals(-code).name if -code in signal.Signals._value2member_map_ else str(-code)
        return Outcome(None, duration, False, size, f"killed by {name}")
    return Outcome(code, duration, False, size)


def tail(path: Path, size: int, limit: int) -> str:
    """The last `limit` bytes of the file as text, cut at a line start, with a marker."""
    if size <= 0:
        return ""
    with open(path, "rb") as f:
        if size <= limit:
            return f.read().decode("utf-8", "replace")
        f.seek(size - limit)
        data = f.read(limit)
    nl = data.find(b"\n")
    if 0 <= nl < len(data) - 1:
        data = data[nl + 1:]
    omitted = size - len(data)
    return f"[… {omitted} bytes omitted; full output in the log …]\n" + data.decode("utf-8", "replace")
