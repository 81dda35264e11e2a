"""Event ids, timestamps and session ids (standard library only: the git hooks import it)."""

from __future__ import annotations

import _thread
import os
import time

_POOL_BYTES = 2048  # random bytes drawn per system call: 512 ids' worth
_lock = _thread.allocate_lock()  # the engine makes events from several threads
_last_ms = 0
_seq = 0
_pool = ""  # hex digits of random bytes not handed out yet
_pos = 0
_prefix = ""  # `_last_ms` as an id's first 12 hex digits, formatted once per millisecond
# Both tables are made by joining digits, not formatting numbers (2,000 format calls were
# ~6 M instructions of every process that imports this module: the hook, `ws snapshot`).
_HEX_PAIRS = [a + b for a in "0123456789abcdef" for b in "0123456789abcdef"]
_SEQ_TEXT = tuple([a + b for a in ("00", "01", "02", "03") for b in _HEX_PAIRS])  # f"{n:04x}", n < 1024
_second: tuple[int, str] = (-1, "")  # the last second formatted by `now`, and its text
_MS_TEXT = tuple([a + b + "Z" for a in (".0", ".1", ".2", ".3", ".4", ".5", ".6", ".7", ".8", ".9")
                  for b in [c + d for c in "0123456789" for d in "0123456789"]])  # f".{n:03d}Z", n < 1000
_session: str | None = None
# CPython's os.environ keeps its items encoded in `_data`: a dict lookup, where os.environ.get
# encodes the key and raises KeyError inside when the variable is unset (~3 us per event)
_env_data = getattr(os.environ, "_data", None)
_SESSION_KEY: object = (os.environ.encodekey("GITORCH_SESSION")  # type: ignore[attr-defined]
                        if _env_data is not None else None)


def new_id() -> str:
    """A unique, time-ordered id: 12 hex digits of milliseconds, 4 of sequence, 8 random."""
    global _last_ms, _seq, _pool, _pos, _prefix
    # Formatting is most of an id's cost (a run makes three events a task): the millisecond's
    # digits are made once per millisecond and a small sequence is looked up, not formatted.
    with _lock:  # the clock read inside: ids made one after another sort in that order
        ms = int(time.time() * 1000)
        if ms == _last_ms:
            _seq += 1
        else:
            _last_ms, _seq, _prefix = ms, 0, f"{ms:012x}"
        seq, prefix, pos = _seq & 0xFFFF, _prefix, _pos
        if pos >= len(_pool):
            _pool, pos = os.urandom(_POOL_BYTES).hex(), 0
        _pos = pos + 8
        rand = _pool[pos:pos + 8]
    return prefix + (_SEQ_TEXT[seq] if seq < 1024 else f"{seq:04x}") + rand


def _forget_random() -> None:
    """A forked child draws its own random bytes (a copied pool would repeat the parent's ids)."""
    global _pool, _pos, _lock
    _pool, _pos, _lock = "", 0, _thread.allocate_lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_random)


def now() -> str:
    """UTC timestamp as RFC 3339 with milliseconds, e.g. 2026-11-22T07:40:01.123Z."""
    global _second
    t = time.time()
    sec, text = _second
    if int(t) != sec:  # gmtime floors t as int() does (t > 0): the same second, the same text
        text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t))
        _second = (int(t), text)  # one assignment: a thread never sees a second with another's text
    return text + _MS_TEXT[int(t * 1000) % 1000]


def session() -> str:
    """This process's session id: `GITORCH_SESSION`, or one made once for the process."""
    global _session
    if _env_data is not None:
        raw = _env_data.get(_SESSION_KEY)
        explicit = os.environ.decodevalue(raw) if raw else None  # type: ignore[attr-defined]
    else:
        explicit = os.environ.get("GITORCH_SESSION")
    if explicit:
        return explicit
    if _session is None:
        _session = f"s-{new_id()[:12]}-{os.getpid()}"
    return _session
