"""Recording an `observed` event from the hook process, without msgspec and without `os`.

The line written is what `gitorch.events.encode(Observed(...))` gives (a test holds them
equal), appended to this session's journal exactly as `gitorch.store.journal.Journal`
appends: `<git common dir>/orch/journal/<session>.jsonl`, under the file's flock, rechecking
after the lock that a flush did not rotate the file away. The next
`StateStore.flush()` folds it into the state branch.

The event's id, time and session are `gitorch.ids`'s, and the file's name and the append
`gitorch.journalfile`'s, whenever the process has imported them (a `git orch` command).
The hook's own process records one event and has imported neither: both import `os`,
about 2 ms of the 25 ms a checkout may take. There the same formulas are applied to the
interpreter's built-in `posix` calls (tests hold them equal to `ids` and `journalfile`).
"""

import sys
import time

from gitorch import twins
from gitorch.hooks import gitfiles

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

EVENT_SCHEMA_VERSION = 1  # gitorch.events.EVENT_SCHEMA_VERSION; the test checks they agree


def observed_line(trigger: str, drift: bool, findings: "list[str]", session_id: str) -> bytes:
    """An `observed` event as one JSON line, field for field what msgspec would write."""
    return _line(trigger, twins.observed_fields(drift, findings), session_id)


def _line(trigger: str, fields: str, session_id: str) -> bytes:
    ids = sys.modules.get("gitorch.ids")
    event_id, ts = (ids.new_id(), ids.now()) if ids is not None else (new_id(), now())
    return twins.observed_event(trigger, fields, session_id, event_id, ts)


def record_observed(
    common_dir: str, trigger: str, drift: bool, findings: "list[str]", *, sync: bool = False,
) -> "str | None":
    """Append an `observed` event to this session's journal; the journal's path, or None
    where flock is missing (the store locks the journal with it; no lock, no write).

    No fsync unless `sync` (as `StateStore.journal(sync=False)`): on a disk an fsync can
    cost more than the whole hook, and an observation lost to a power cut is harmless."""
    return record_fields(common_dir, trigger, twins.observed_fields(drift, findings), sync=sync)


def record_fields(common_dir: str, trigger: str, fields: str, *, sync: bool = False) -> "str | None":
    """`record_observed` with the event's drift and findings given as their line holds them
    (`twins.observed_fields`), as a kept answer keeps them."""
    try:
        import fcntl
    except ImportError:  # Windows: the store locks with msvcrt, which sh hooks do not reach
        return None
    ids = sys.modules.get("gitorch.ids")
    sid = ids.session() if ids is not None else session()
    data = _line(trigger, fields, sid)
    gitfiles.makedirs(gitfiles.join(common_dir, "orch", "journal"))
    journal = sys.modules.get("gitorch.journalfile")
    if journal is None:
        path = journal_path(common_dir, sid)
        append_locked(path, data, fcntl.flock, fcntl.LOCK_EX, fcntl.LOCK_UN, sync)
        return path
    path = journal.journal_path(common_dir, sid)
    journal.append_locked(path, data, sync=sync, lock=lambda fh: fcntl.flock(fh.fileno(), fcntl.LOCK_EX),
                          unlock=lambda fh: fcntl.flock(fh.fileno(), fcntl.LOCK_UN))
    return path


# --- ids.new_id, ids.now, ids.session and journalfile's naming and append, for one event -----

def new_id() -> str:
    """A unique, time-ordered id as `ids.new_id` makes it (one id in this process: sequence 0)."""
    return f"{int(time.time() * 1000):012x}0000{gitfiles.urandom(4).hex()}"


def now() -> str:
    """UTC timestamp as `ids.now` writes it (RFC 3339 with milliseconds)."""
    t = time.time()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + f".{int(t * 1000) % 1000:03d}Z"


_session: "str | None" = None


def session() -> str:
    """This process's session id as `ids.session` gives it: `GITORCH_SESSION`, or one made
    once for the process."""
    global _session
    explicit = gitfiles.getenv("GITORCH_SESSION")
    if explicit:
        return explicit
    if _session is None:
        _session = f"s-{new_id()[:12]}-{gitfiles.getpid()}"
    return _session


def journal_path(common_dir: str, session_id: str) -> str:
    """`<common dir>/orch/journal/<session>.jsonl`, as `journalfile.journal_path` names it."""
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in session_id) or "session"
    return gitfiles.join(common_dir, "orch", "journal", f"{safe}.jsonl")


def append_locked(
    path: str, data: bytes, flock: "Callable[[int, int], object]", lock: int, unlock: int, sync: bool,
) -> None:
    """`journalfile.append_locked` with flock: append under the file's lock, into a new file
    when a flush rotated this one away while we waited."""
    while True:
        with open(path, "ab") as fh:
            flock(fh.fileno(), lock)
            try:
                try:
                    same = gitfiles.inode(path) == gitfiles.fd_inode(fh.fileno())
                except FileNotFoundError:
                    same = False
                if same:
                    fh.write(data)
                    fh.flush()
                    if sync:
                        gitfiles.fsync(fh.fileno())
                    return
            finally:
                flock(fh.fileno(), unlock)
