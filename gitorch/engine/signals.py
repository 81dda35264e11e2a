"""Ctrl-C and SIGTERM during a run: both stop it the same way, and neither cuts its end short."""

from __future__ import annotations

# the C module: signal.py builds three enums at import (~2.8 M instructions, ~1% of a P2
# re-run) that nothing here needs; its signal() takes back what it returned, as signal.py's
import _signal as signal
import contextlib
import threading
from collections.abc import Iterator


class _Hold:
    """Whether a command is being started or reaped (process.Children.spawn, .wait), and
    whether a Ctrl-C or SIGTERM came meanwhile.

    One that lands while posix_spawn runs is raised as it returns, before its pid is kept:
    the run stopped every command it knew of and left that one running (`sleep 30 &` in it
    outlived the run). One that lands once a command's end is reaped, before it is handed
    on, lost that end: a task whose command passed was recorded interrupted. So the run's
    handler only notes it then, and it is raised once the command is among the run's
    children, or its end is kept (`Children.ended`)."""

    __slots__ = ("now", "interrupted")

    def __init__(self) -> None:
        self.now = False
        self.interrupted = False

    def done(self) -> None:
        """The command is known (or did not start), its end kept: raise what came meanwhile."""
        self.now = False
        if self.interrupted:
            self.interrupted = False
            raise KeyboardInterrupt


HOLD = _Hold()


class _Session:
    """The run's one handler for Ctrl-C and SIGTERM (`session`), and what it does now: raise
    (`sigterm_as_interrupt`) or note (`interrupts_deferred`, and in between the two).

    Swapping handlers left a few bytecodes at each hand-over with none of ours: a SIGTERM
    there killed the run (left "running"), a Ctrl-C skipped the loop's last settling. With
    one handler for the whole session, a signal between the sections is noted, and the next
    section takes it: a deferral's `got` holds it, a raising section raises it at once."""

    __slots__ = ("on", "raising", "noted", "deferrals")

    def __init__(self) -> None:
        self.on = False
        self.raising = False
        self.noted: list[int] = []  # since the last section that took them
        self.deferrals = 0  # interrupts_deferred sections open (nested: the outermost takes)


SESSION = _Session()


def _interrupt(signum: int, frame: object) -> None:
    if SESSION.on and not SESSION.raising:
        SESSION.noted.append(signum)
        return
    if HOLD.now:
        HOLD.interrupted = True
        return
    raise KeyboardInterrupt


def _main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


@contextlib.contextmanager
def session(*, raising: bool = False) -> Iterator[None]:
    """The run's handler for SIGTERM, and for SIGINT unless it is ignored (a background job of
    a script: it stays ignored), from here to the run's end; `raising` from the start (a
    section on its own), else noting. Between the sections below a signal is noted for the
    next one; what no section took is dropped at the end, which the run recorded whole."""
    if not _main_thread() or SESSION.on:
        yield
        return
    # the mode is set before the handler goes in, and the handler out before it is cleared:
    # a signal at either edge finds one or the other whole
    SESSION.on, SESSION.raising, SESSION.noted, SESSION.deferrals = True, raising, [], 0
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
        SESSION.on, SESSION.raising, SESSION.noted, SESSION.deferrals = False, False, [], 0


@contextlib.contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM stops a run like Ctrl-C does (children stopped, run recorded, resumable): both
    are raised as KeyboardInterrupt here, one noted since the last section at once; neither
    while a command is being started or reaped (`HOLD`). A SIGINT ignored stays ignored."""
    if not _main_thread():
        yield
        return
    if SESSION.on:
        was = SESSION.raising
        SESSION.raising = True
        try:
            if SESSION.noted:  # came between the sections
                SESSION.noted = []
                raise KeyboardInterrupt
            yield
        finally:
            SESSION.raising = was
        return
    with session(raising=True):  # outside a run (a secret's probe): for this section alone
        yield


@contextlib.contextmanager
def interrupts_deferred() -> Iterator[list[int]]:
    """Ctrl-C or SIGTERM while a run records its end is noted, not raised: the end takes a
    moment, and an interruption halfway would lose the summary (and --json's document).
    `got` holds what came meanwhile, and what came since the last section; it is the
    caller's: no later section raises or gets it again."""
    if not _main_thread():
        yield []
        return
    if not SESSION.on:
        with session():  # outside a run: for this section alone
            yield SESSION.noted
        return
    was = SESSION.raising
    SESSION.raising = False
    SESSION.deferrals += 1
    got = SESSION.noted
    try:
        yield got
    finally:
        SESSION.deferrals -= 1
        if not SESSION.deferrals:
            SESSION.noted = []
        SESSION.raising = was
