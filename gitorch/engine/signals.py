"""Ctrl-C and SIGTERM during a run: both stop it the same way, and neither cuts its end short."""

from __future__ import annotations

# the C module: signal.py builds three enums at import (~2.8 M instructions, ~1% of a P2
# re-run) that nothing here needs; its signal() takes back what it returned, as signal.py's
import _signal as signal
import contextlib
import threading
from collections.abc import Iterator


class _Starting:
    """Whether a command is being started (process.Children.spawn), and whether a Ctrl-C or
    SIGTERM came meanwhile.

    One that lands while posix_spawn runs is raised as it returns, before its pid is kept:
    the run stopped every command it knew of and left that one running (`sleep 30 &` in it
    outlived the run). So the run's handler only notes it then, and the start raises it once
    the command is among the run's children."""

    __slots__ = ("now", "interrupted")

    def __init__(self) -> None:
        self.now = False
        self.interrupted = False

    def done(self) -> None:
        """The command is known (or did not start): raise what came meanwhile."""
        self.now = False
        if self.interrupted:
            self.interrupted = False
            raise KeyboardInterrupt


STARTING = _Starting()


def _interrupt(signum: int, frame: object) -> None:
    if STARTING.now:
        STARTING.interrupted = True
        return
    raise KeyboardInterrupt


@contextlib.contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM stops a run like Ctrl-C does (children stopped, run recorded, resumable); neither
    is raised while a command is being started (`STARTING`). A SIGINT ignored (a background
    job of a script) stays ignored."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    old_term = signal.signal(signal.SIGTERM, _interrupt)
    old_int = signal.getsignal(signal.SIGINT)
    if old_int is signal.default_int_handler:
        signal.signal(signal.SIGINT, _interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, old_term)
        if old_int is signal.default_int_handler:
            signal.signal(signal.SIGINT, old_int)


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
