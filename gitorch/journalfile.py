"""The local journal's file format and locked append (standard library only).

Both the store (`gitorch.store.journal`) and the git hook's recorder write here, so the
naming and the append protocol live in one place: `<common dir>/orch/journal/<session>.jsonl`,
appended under the file's lock, rechecking after the lock that a flush did not rotate the
file away meanwhile.
"""

from __future__ import annotations

import os

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
