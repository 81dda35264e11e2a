"""Ctrl-C and SIGTERM during a run: both stop it the same way, and neither cuts its end short."""

from __future__ import annotations

import contextlib
import signal
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
