"""The local journal's file format and locked append (standard library only).

Both the store (`gitorch.store.journal`) and the git hook's recorder write here, so the
naming and the append protocol live in one place: `<common dir>/orch/journal/<session>.jsonl`,
appended under the file's lock, rechecking after the lock that a flush did not rotate the
file away meanwhile.
"""

from __future__ import annotations

import os
import time

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import IO, Any


def safe_name(session: str) -> str:
    """A session id as a file name."""
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in session) or "session"


def journal_path(common_dir: str, session: str) -> str:
    """`<common dir>/orch/journal/<session>.jsonl`."""
    return os.path.join(common_dir, "orch", "journal", f"{safe_name(session)}.jsonl")


def append_locked(
    path: str,
    data: bytes,
    *,
    lock: Callable[[IO[Any]], object],
    unlock: Callable[[IO[Any]], object],
    sync: bool = True,
) -> None:
    """Append `data` to the journal at `path` under `lock`, fsync'd when `sync`."""
    while True:
        with open(path, "ab") as fh:
            lock(fh)
            try:
                # A flush may have rotated the file while we waited: then write a new one.
                try:
                    same = os.stat(path).st_ino == os.fstat(fh.fileno()).st_ino
                except FileNotFoundError:
                    same = False
                if same:
                    fh.write(data)
                    fh.flush()
                    if sync:
                        os.fsync(fh.fileno())
                    return
            finally:
                unlock(fh)


class Appender:
    """One session's journal held open across appends (a run appends once per scheduling
    round: reopening, and making the folder, each time cost more than the write).

    The same protocol as `append_locked`, with `flock` (POSIX): an append takes the file's
    lock and checks that the path still names the open file; when a flush rotated it away
    (renamed it to `.pending`, or removed it empty) the append reopens the path and writes a
    fresh file, so nothing lands in a file that was already folded in.

    `hold`: seconds the lock may stay taken after an append (0: given back at once). While
    it is held no flush can rotate the file, so the appends within a hold are one write
    each, without the lock, the unlock and the two stats (a 1,000-task run appends ~800
    times). A flush elsewhere waits at most that long; the holder gives the lock back with
    `release` once `held_left` is 0, and before it rotates the journal itself."""

    def __init__(self, path: str, hold: float = 0.0) -> None:
        self.path = path
        self.hold = hold
        self._fd = -1
        self._held_since: float | None = None  # monotonic time the held lock was taken

    def append(self, data: bytes, *, sync: bool = False) -> None:
        """Append `data` under the lock, fsync'd when `sync`."""
        while self._held_since is None:  # not within a hold: take the lock (see the class)
            import fcntl

            if self._fd < 0:
                os.makedirs(os.path.dirname(self.path), exist_ok=True)
                self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o666)
            fcntl.flock(self._fd, fcntl.LOCK_EX)
            try:
                same = os.stat(self.path).st_ino == os.fstat(self._fd).st_ino
            except FileNotFoundError:
                same = False
            if same:
                self._held_since = time.monotonic()
            else:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
                self.close()  # rotated away meanwhile: write a new file
        try:
            _write_all(self._fd, data)
            if sync:
                os.fsync(self._fd)
        except BaseException:
            self.release()
            raise
        if self.held_left() == 0.0:
            self.release()

    def held_left(self) -> float | None:
        """Seconds the lock may still be held (0.0: give it back now); None: not held."""
        if self._held_since is None:
            return None
        return max(0.0, self._held_since + self.hold - time.monotonic())

    def release(self) -> None:
        """Give the lock back (a flush may rotate the file from now on)."""
        if self._held_since is not None:
            import fcntl

            self._held_since = None
            fcntl.flock(self._fd, fcntl.LOCK_UN)

    def close(self) -> None:
        self.release()
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


def _write_all(fd: int, data: bytes) -> None:
    written = os.write(fd, data)  # a round's few events: one write, nothing left over
    if written < len(data):
        view = memoryview(data)[written:]
        while view:
            view = view[os.write(fd, view):]
