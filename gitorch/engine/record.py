"""The event path of a run: journal at every task boundary, commit in batches.

One writer (the scheduler's thread) calls `add` as tasks start and end and `boundary`
once per scheduling round, which journals everything new in one write (under the git
dir, so a killed run loses at most the tasks in flight). `maybe_flush` commits the
journal to the state branch at most once a second, and less often when a commit is slow
(a loaded machine): commits take at most a twentieth of the run; `flush` does it at the
end. A run of 1,000 short tasks so makes a handful of commits, not 1,000.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping, Sequence

from gitorch import events as ev
from gitorch.journalfile import Appender, journal_path
from gitorch.store.journal import Known
from gitorch.store.state import StateStore

FLUSH_EVERY = 1.0  # seconds between commits of the journal to the state branch, at least
FLUSH_SHARE = 20  # ... and at least this many times as long as the last commit took
# Seconds the journal's lock stays taken between appends (journalfile.Appender): a run's
# rounds then journal with one write each; a flush by another process waits at most this.
JOURNAL_HOLD = 0.05


class EventRecorder:
    """Events and files of one run on their way to the journal and the state branch."""

    def __init__(self, store: StateStore, files_at_flush: Callable[[], Mapping[str, bytes | None]],
                 files_due: Callable[[], bool] = lambda: False) -> None:
        self.store = store
        self.files_at_flush = files_at_flush  # extra files (watch.json…) on every flush
        self.files_due = files_due  # whether those files call for a flush with no new event
        self.new: list[ev.Event] = []  # every event of this invocation, in order
        self._unjournaled: list[ev.Event] = []
        # what the appender wrote since the last flush, and the events it stands for: the
        # flush takes them as they are instead of decoding the journal file again
        self._written: list[bytes] = []
        self._written_events: list[ev.Event] = []
        self._files: dict[str, bytes | None] = {}
        self._unflushed = 0
        self._last_flush = time.monotonic()
        self._every = FLUSH_EVERY
        self.tip: str | None = None  # the state branch as this run last committed it
        # the session's journal held open between rounds (flock: POSIX); elsewhere the store appends
        self._appender = (Appender(journal_path(str(store.repo.common_dir), store.session), JOURNAL_HOLD)
                          if os.name == "posix" else None)
        store.prepare_writes()  # a run always commits: git starts what that waits for now

    def add(self, events: Sequence[ev.Event], files: Mapping[str, bytes | None] | None = None) -> None:
        self.new.extend(events)
        self._unjournaled.extend(events)
        if files:
            self._files.update(files)

    def add_files(self, files: Mapping[str, bytes | None]) -> None:
        self._files.update(files)

    def boundary(self) -> None:
        """Journal what is new since the last boundary, in one durable write."""
        if self._unjournaled:
            batch, self._unjournaled = self._unjournaled, []
            # no fsync per boundary: a killed process loses nothing written; the commit at
            # the next flush is what makes it durable against a power loss
            if self._appender is not None:
                data = ev.encode_lines(batch)
                self._appender.append(data)
                self._written.append(data)
                self._written_events.extend(batch)
            else:
                self.store.journal(batch, sync=False)
            self._unflushed += len(batch)

    def release_journal(self) -> None:
        """Give the journal's lock back now: before anything that may take long outside the
        loop's rounds (the release build), whose commands may flush the branch themselves."""
        if self._appender is not None:
            self._appender.release()

    def seconds_to_flush(self) -> float:
        """Seconds until the recorder wants the loop back: the next commit, or the end of the
        journal lock's hold (see `maybe_flush`). With nothing to commit, one interval: the loop
        looks again then (files may be due: `files_due`) instead of at once, which woke a run
        waiting for a long command every few milliseconds once an interval had passed."""
        if self._unflushed or self._unjournaled or self._files:
            left = max(0.0, self._every - (time.monotonic() - self._last_flush))
        else:
            left = self._every
        held = self._appender.held_left() if self._appender is not None else None
        return left if held is None else min(left, held)

    def maybe_flush(self) -> bool:
        """Flush when the interval since the last one has passed; whether it did. Also gives
        the journal's lock back once its hold ran out, so a run that waits for long
        commands never keeps another process's flush waiting."""
        if self._appender is not None and self._appender.held_left() == 0.0:
            self._appender.release()
        pending = self._unflushed or self._files or self.files_due()
        if pending and time.monotonic() - self._last_flush >= self._every:
            self.flush()
            return True
        return False

    def flush(self, files: Mapping[str, bytes | None] | None = None) -> str | None:
        """Commit the journal and pending files to the state branch now."""
        began = time.monotonic()
        try:
            self.boundary()
        finally:
            self.release_journal()  # the store's rotation below takes the journal's lock
        out = dict(self._files)
        out.update(self.files_at_flush())
        if files:
            out.update(files)
        known = Known(b"".join(self._written), self._written_events) if self._written else None
        commit = self.store.flush(out, known=known)
        if self._appender is not None:
            self._appender.close()  # its file was folded in; the next round starts a new one
        self._written, self._written_events = [], []
        self.tip = commit
        self._files.clear()
        self._unflushed = 0
        self._last_flush = time.monotonic()
        self._every = max(FLUSH_EVERY, FLUSH_SHARE * (self._last_flush - began))
        return commit
