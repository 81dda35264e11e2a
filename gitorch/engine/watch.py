"""watch.json: each task's last pass (inputs, run, commit, object ids), for the next run's
skip decisions and for the git hook; written when it changed (passes at most every
WATCH_EVERY seconds, gates waiting at once) and with the run's last flush.

passes.json goes with it: the passes alone (inputs, run, commit per task, the gates waiting)
and the blob id of the watch.json they were taken from, so the next run reads ~1/10 of the
bytes (history_from_watch); a watch.json written without it (another writer) no longer
matches that id, and the run reads watch.json itself."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from gitorch.engine import inputs as inp
from gitorch.store import layout
from gitorch.store.summary import blob_id

if TYPE_CHECKING:
    from gitorch.engine.history import History, Pass
    from gitorch.engine.setup import Loaded


WATCH_EVERY = 5.0  # seconds: how late a pass may reach watch.json in a run that goes on


class WatchRecord:
    """The watch.json of a run as it goes: entries of earlier passes, and this run's."""

    def __init__(self, history: History, lp: Loaded) -> None:
        self.history = history
        self.before = history.watch_awaiting  # the gates it listed (None: no watch.json yet)
        self.root = lp.repo_root
        self.added = False  # a task passed, or got its first entry, in this run
        self._changes = 0
        # on the branch already: written again only once something changed
        self._written_changes = 0 if self.before is not None else -1
        self._written_awaiting: list[dict[str, str]] = list(self.before or [])
        self._due = time.monotonic() + WATCH_EVERY  # no watch.json for passes alone before this

    @property
    def tasks(self) -> dict[str, Any]:
        """watch.json's entries (read when first needed: a run that changes none never does)."""
        return self.history.watch

    def skipped(self, task: str, cur: inp.TaskInputs, last: Pass) -> None:
        """A task skipped as unchanged gets an entry when it has none (an older watch.json)."""
        if not self.history.in_watch(task):
            self.tasks[task] = inp.watch_entry(cur, last.run, last.commit)
            self._changed()

    def passed(self, task: str, cur: inp.TaskInputs, run: str, commit: str) -> None:
        self.tasks[task] = inp.watch_entry(cur, run, commit)
        self._changed()

    def _changed(self) -> None:
        self.added = True
        self._changes += 1

    def changed(self, awaiting: list[dict[str, str]]) -> bool:
        """Whether the last flush must write watch.json: a re-run that skipped everything
        leaves it as it was (on a 10,000-file repository it is ~600 kB to encode and store)."""
        return self.before is None or self.added or awaiting != self.before

    def encode(self, awaiting: list[dict[str, str]]) -> bytes:
        return _json({"schema_version": 1, "tasks": self.tasks, "awaiting": awaiting})

    def flush_files(self, awaiting: list[dict[str, str]]) -> dict[str, bytes | None]:
        """watch.json with a flush in which it changed: at once when the gates waiting changed,
        else (tasks passed) at most every WATCH_EVERY seconds; its index (what the git hook
        reads) only with the last flush (`final_files`). Until then the branch keeps the
        watch.json, passes.json and index of before, consistent with each other: a reader
        sees a pass up to WATCH_EVERY late, and a run killed meanwhile leaves tasks that the
        next plain `run` may run again (a skip always needs the recorded digest; `resume` reads
        the events)."""
        same_gates = awaiting == self._written_awaiting
        if same_gates and (self._changes == self._written_changes or time.monotonic() < self._due):
            return {}  # only passes: ~1 MB to encode and store at 1,000 tasks with paths (P7)
        from gitorch.hooks.watchindex import INDEX_FILE

        self._written_changes, self._written_awaiting = self._changes, list(awaiting)
        self._due = time.monotonic() + WATCH_EVERY
        data = self.encode(awaiting)
        return {layout.WATCH: data, layout.PASSES: passes_of(self.tasks, awaiting, blob_id(data)),
                INDEX_FILE: None}

    def held_back(self) -> bool:
        """Whether passes wait for a flush and WATCH_EVERY has passed: the engine flushes for
        them even when no event came meanwhile (a long task after quick ones)."""
        return self._changes != self._written_changes and time.monotonic() >= self._due

    def final_files(self, awaiting: list[dict[str, str]]) -> dict[str, bytes | None]:
        if not self.changed(awaiting):
            unmatched = self.history.watch_unmatched  # a watch.json without its passes.json
            return {layout.PASSES: passes_of(self.tasks, awaiting, unmatched)} if unmatched else {}
        from gitorch.hooks.watchindex import INDEX_FILE, build_index

        data = self.encode(awaiting)
        return {layout.WATCH: data, layout.PASSES: passes_of(self.tasks, awaiting, blob_id(data)),
                INDEX_FILE: build_index({"tasks": self.tasks, "awaiting": awaiting}, str(self.root))}


def passes_of(tasks: dict[str, Any], awaiting: list[dict[str, str]], watch: str) -> bytes | None:
    """passes.json for the watch.json of blob id `watch` with these entries; None (no
    passes.json) when an entry lacks what a pass needs (the next run reads watch.json)."""
    passes: dict[str, list[str]] = {}
    for tid, entry in tasks.items():
        if not isinstance(entry, dict) or not entry.get("inputs") or not entry.get("run"):
            return None
        passes[tid] = [str(entry["inputs"]), str(entry["run"]), str(entry.get("commit") or "")]
    return _json({"schema_version": 1, "watch": watch, "awaiting": awaiting, "tasks": passes})


def _json(doc: dict[str, Any]) -> bytes:
    """Compact JSON with sorted keys, as json.dumps(sort_keys=True, separators=(",", ":"))
    writes it but for characters beyond ASCII, written as UTF-8 rather than escaped:
    msgspec's encoder (~1/9 of the time: a 1,000-task watch.json took ~15 ms). A name that is
    not valid Unicode (a file name git gave as bytes) goes through json's escapes."""
    import msgspec  # not at import: a re-run that skips everything encodes no watch.json

    try:
        return msgspec.json.encode(doc, order="sorted")
    except UnicodeEncodeError:
        import json

        return json.dumps(doc, sort_keys=True, separators=(",", ":")).encode()
