"""Ctrl-C and SIGTERM during a run: both stop it the same way, and neither cuts its end short."""

from __future__ import annotations

# the C module: signal.py builds three enums at import (~2.8 M instructions, ~1% of a P2
# re-run) that nothing here needs; its signal() takes back what it returned, as signal.py's
import _signal as signal
import contextlib
import threading
from collections.abc import Iterator


@contextlib.contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM stops a run like Ctrl-C does (children stopped, run recorded, resumable)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    old = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, old)


@contextlib.contextmanager
def interrupts_deferred() -> Iterator[list[int]]:
    """Ctrl-C or SIGTERM while a run records its end is noted, not raised: the end takes a
    moment, and an interruption halfway would lose the summary (and --json's document)."""
    if threading.current_thread() is not threading.main_thread():
        yield []
        return
    got: list[int] = []

    def handler(signum: int, frame: object) -> None:
        got.append(signum)

    old_int = signal.signal(signal.SIGINT, handler)
    old_term = signal.signal(signal.SIGTERM, handler)
    try:
        yield got
    finally:
        signal.signal(signal.SIGINT, old_int)
        signal.signal(signal.SIGTERM, old_term)
