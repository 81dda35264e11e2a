"""Event ids, timestamps and session ids (standard library only: the git hooks import it)."""

from __future__ import annotations

import os
import time

_last_ms = 0
_seq = 0
_session: str | None = None


def new_id() -> str:
    """A unique, time-ordered id: 12 hex digits of milliseconds, 4 of sequence, 8 random."""
    global _last_ms, _seq
    ms = int(time.time() * 1000)
    if ms == _last_ms:
        _seq += 1
    else:
        _last_ms, _seq = ms, 0
    return f"{ms:012x}{_seq & 0xFFFF:04x}{os.urandom(4).hex()}"


def now() -> str:
    """UTC timestamp as RFC 3339 with milliseconds, e.g. 2026-11-22T07:40:01.123Z."""
    t = time.time()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + f".{int(t * 1000) % 1000:03d}Z"


def session() -> str:
    """This process's session id: `GITORCH_SESSION`, or one made once for the process."""
    global _session
    explicit = os.environ.get("GITORCH_SESSION")
    if explicit:
        return explicit
    if _session is None:
        _session = f"s-{new_id()[:12]}-{os.getpid()}"
    return _session
