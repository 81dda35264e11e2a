"""watch.json: each task's last pass (inputs, run, commit, object ids), for the next run's
skip decisions and for the git hook; written when it changed and with the run's last flush."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from gitorch.engine import inputs as inp
from gitorch.store import layout

if TYPE_CHECKING:
    from gitorch.engine.history import History, Pass
    from gitorch.engine.setup import Loaded


class WatchRecord:
    """The watch.json of a run as it goes: entries of earlier passes, and this run's."""

    def __init__(self, history: History, lp: Loaded) -> None:
        self.tasks: dict[str, Any] = history.watch
        self.before = history.watch_awaiting  # the gates it listed (None: no watch.json yet)
        self.root = lp.repo_root
        self.added = False  # a task passed, or got its first entry, in this run
        self._changes = 0
        # on the branch already: written again only once something changed
        self._written: tuple[int, int] = (0, 0) if self.before is not None else (-1, -1)

    def skipped(self, task: str, cur: inp.TaskInputs, last: Pass) -> None:
        """A task skipped as unchanged gets an entry when it has none (an older watch.json)."""
        if task not in self.tasks:
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
        doc = {"schema_version": 1, "tasks": self.tasks, "awaiting": awaiting}
        return json.dumps(doc, sort_keys=True, separators=(",", ":")).encode()

    def flush_files(self, awaiting: list[dict[str, str]]) -> dict[str, bytes | None]:
        """watch.json with every flush in which it changed (a task passed, a gate waits); its
        index (what the git hook reads) only with the last flush (`final_files`)."""
        key = (self._changes, len(awaiting))
        if key == self._written:
            return {}
        from gitorch.hooks.watchindex import INDEX_FILE

        self._written = key
        return {layout.WATCH: self.encode(awaiting), INDEX_FILE: None}

    def final_files(self, awaiting: list[dict[str, str]]) -> dict[str, bytes | None]:
        if not self.changed(awaiting):
            return {}
        from gitorch.hooks.watchindex import INDEX_FILE, build_index

        return {layout.WATCH: self.encode(awaiting),
                INDEX_FILE: build_index({"tasks": self.tasks, "awaiting": awaiting}, str(self.root))}
