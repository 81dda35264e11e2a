"""Named exclusive locks under `<git common dir>/orch/locks/` (portalocker).

The lock is the kernel's (flock), so a process that dies, even by SIGKILL, releases it;
the file also records who holds it (pid, host, session, command, time) so a waiter can
name the holder when it gives up (exit 4). A record left by a dead process is simply
overwritten by the next holder, which notes the takeover. Lock files are never deleted:
unlinking a lock file while someone waits on it would let two processes hold "the" lock.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import IO, Any

import msgspec

from gitorch.errors import Busy
from gitorch.events import default_session, now
from gitorch.repo import ensure_dir


def hostname() -> str:
    """This machine's name, as socket.gethostname() gives it (uname's on POSIX: the same
    system call, without importing socket for every run)."""
    if hasattr(os, "uname"):
        return os.uname().nodename
    import socket

    return socket.gethostname()


class Holder(msgspec.Struct, frozen=True):
    """Who holds (or last held) a lock."""

    pid: int = 0
    host: str = ""
    session: str = ""
    command: str = ""
    since: str = ""

    def describe(self) -> str:
        cmd = f" running `{self.command}`" if self.command else ""
        return f"pid {self.pid} on {self.host} (session {self.session}{cmd}, since {self.since})"

    def alive(self) -> bool | None:
        """Whether the holder's process still runs (None when it ran on another host)."""
        if self.host != hostname():
            return None
        if self.pid <= 0:
            return False
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True


def _command() -> str:
    argv = [os.path.basename(sys.argv[0])] + sys.argv[1:] if sys.argv else []
    return " ".join(argv)[:200]


def read_holder(path: Path) -> Holder | None:
    """The holder recorded in a lock file (None when empty or unreadable)."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    if not data.strip():
        return None
    try:
        return msgspec.json.decode(data, type=Holder)
    except msgspec.DecodeError:
        return None


def try_flock(fh: IO[Any], *, blocking: bool = False) -> bool:
    """Take an exclusive lock on the open file `fh`; False when it is held (and not `blocking`).

    On POSIX this calls `fcntl.flock` itself, which is exactly what portalocker does there:
    importing portalocker costs ~40 ms (it loads its package metadata), a tenth of a
    `git orch run` that skips everything. Elsewhere portalocker does it."""
    if os.name == "posix":
        import fcntl

        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
        except BlockingIOError:
            return False
        return True
    import portalocker

    try:
        portalocker.lock(fh, portalocker.LOCK_EX | (0 if blocking else portalocker.LOCK_NB))
    except portalocker.LockException:
        return False
    return True


def funlock(fh: IO[Any]) -> None:
    """Release a lock taken with `try_flock`."""
    if os.name == "posix":
        import fcntl

        fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
        return
    import portalocker

    portalocker.unlock(fh)


class Lock:
    """An exclusive lock on `<locks dir>/<name>.lock`; use as a context manager."""

    def __init__(self, locks_dir: Path, name: str, timeout: float, *, poll: float = 0.02) -> None:
        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in name)
        ensure_dir(locks_dir)
        self.name = name
        self.path = locks_dir / f"{safe}.lock"
        self.timeout = timeout
        self.poll = poll
        self.took_over: Holder | None = None
        self.waited = False  # whether another process held it when asked (what was read before may be stale)
        self._fh: IO[Any] | None = None

    def acquire(self) -> Lock:
        """Take the lock, waiting up to `timeout` seconds; raise Busy naming the holder."""
        deadline = time.monotonic() + max(self.timeout, 0.0)
        fh = open(self.path, "a+b")  # noqa: SIM115 - kept open while the lock is held
        delay = self.poll
        while True:
            if try_flock(fh):
                break
            if time.monotonic() >= deadline:
                fh.close()
                holder = read_holder(self.path)
                who = holder.describe() if holder else "another process"
                if holder and holder.alive() is False:
                    who += " (that process is gone; a child it started may still hold the lock)"
                raise Busy(
                    f"lock '{self.name}' is held by {who}",
                    hint=f"wait for it to finish, or raise lock_timeout (lock file: {self.path})",
                ) from None
            self.waited = True
            time.sleep(delay)
            delay = min(delay * 1.5, 0.2)
        previous = read_holder(self.path)
        if previous and previous.pid != os.getpid() and previous.alive() is False:
            self.took_over = previous  # a dead process's record: ours now
        me = Holder(os.getpid(), hostname(), default_session(), _command(), now())
        fh.seek(0)
        fh.truncate()
        fh.write(msgspec.json.encode(me) + b"\n")
        fh.flush()
        self._fh = fh
        return self

    def release(self) -> None:
        fh, self._fh = self._fh, None
        if fh is None:
            return
        try:
            fh.seek(0)
            fh.truncate()  # nobody holds it now
            fh.flush()
        finally:
            funlock(fh)
            fh.close()

    def __enter__(self) -> Lock:
        return self.acquire()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()


_thread_locks: dict[str, threading.RLock] = {}
_guard = threading.Lock()


def thread_lock(key: str) -> threading.RLock:
    """A process-wide re-entrant lock per key (flock does not exclude threads sharing a fd)."""
    with _guard:
        return _thread_locks.setdefault(key, threading.RLock())
