"""Recording an `observed` event from the hook process, without msgspec (stdlib only).

The line written is what `gitorch.events.encode(Observed(...))` gives (a test holds them
equal), appended to this session's journal exactly as `gitorch.store.journal.Journal`
appends: `<git common dir>/orch/journal/<session>.jsonl`, under the file's flock, rechecking
after the lock that a flush did not rotate the file away. The next
`StateStore.flush()` folds it into the state branch.
"""

from __future__ import annotations

import os

from gitorch import twins
from gitorch.ids import new_id, now
from gitorch.ids import session as session
from gitorch.journalfile import append_locked, journal_path

EVENT_SCHEMA_VERSION = 1  # gitorch.events.EVENT_SCHEMA_VERSION; the test checks they agree

def observed_line(trigger: str, drift: bool, findings: list[str], session_id: str) -> bytes:
    """An `observed` event as one JSON line, field for field what msgspec would write."""
    return twins.observed_line(trigger, drift, findings, session_id, new_id(), now())


def record_observed(
    common_dir: str, trigger: str, drift: bool, findings: list[str], *, sync: bool = False,
) -> str | None:
    """Append an `observed` event to this session's journal; the journal's path, or None
    where flock is missing (the store locks the journal with it; no lock, no write).

    No fsync unless `sync` (as `StateStore.journal(sync=False)`): on a disk an fsync can
    cost more than the whole hook, and an observation lost to a power cut is harmless."""
    try:
        import fcntl
    except ImportError:  # Windows: the store locks with msvcrt, which sh hooks do not reach
        return None
    sid = session()
    path = journal_path(common_dir, sid)
    data = observed_line(trigger, drift, findings, sid)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    append_locked(path, data, sync=sync, lock=lambda fh: fcntl.flock(fh.fileno(), fcntl.LOCK_EX),
                  unlock=lambda fh: fcntl.flock(fh.fileno(), fcntl.LOCK_UN))
    return path
