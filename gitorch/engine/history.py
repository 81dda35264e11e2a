"""What earlier runs left: every event, each task's last pass, approvals, watch.json."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import msgspec

from gitorch import events as ev
from gitorch.store import layout

if TYPE_CHECKING:
    from gitorch.engine.setup import Loaded


@dataclass(frozen=True)
class Pass:
    """A task's last completion: on which inputs, in which run, at which commit."""

    inputs: str
    run: str
    commit: str
    ts: str


@dataclass
class History:
    events: list[ev.Event]
    passes: dict[str, Pass] = field(default_factory=dict)
    approvals: list[ev.Approved] = field(default_factory=list)
    watch: dict[str, Any] = field(default_factory=dict)  # watch.json's tasks
    watch_awaiting: list[Any] | None = None  # watch.json's gates waiting (None: no watch.json)
    commits: dict[str, str] = field(default_factory=dict)  # run -> commit it verified

    def latest_run(self) -> Any:
        """The latest run as the views fold it (RunView), or None."""
        from gitorch.views.fold import latest_run

        return latest_run(self.events)


def read_history(loaded: Loaded) -> History:
    """Fold the state branch (and any journal not yet on it) into what the engine needs."""
    store = loaded.store
    events = loaded.events
    h = History(events=events)
    for e in events:
        cls = type(e)
        if cls is ev.RunStarted:
            assert isinstance(e, ev.RunStarted)
            if e.run and e.commit:
                h.commits[e.run] = e.commit
        elif cls is ev.TaskCompleted:
            assert isinstance(e, ev.TaskCompleted)
            if e.task and e.inputs and e.run:
                h.passes[e.task] = Pass(e.inputs, e.run, h.commits.get(e.run, ""), e.ts)
        elif cls is ev.Approved:
            assert isinstance(e, ev.Approved)
            h.approvals.append(e)
    raw = store.read(layout.WATCH) if (events or store.exists()) else None
    if raw:
        try:
            doc = json.loads(raw)
            h.watch = dict(doc.get("tasks") or {})
            h.watch_awaiting = list(doc.get("awaiting") or [])
        except (ValueError, AttributeError, TypeError):
            h.watch, h.watch_awaiting = {}, None
    return h


def history_from_watch(loaded: Loaded) -> History | None:
    """Each task's last pass from `watch.json` alone, without reading a single event; None
    when that is not the whole story (then `read_history`).

    watch.json holds, per task, the inputs digest, run and commit of its last pass (the
    run writes it with the events it flushes), which is all a plain `run` needs when no gate
    is involved. Not trusted when a journal has not reached the branch (a killed run's
    passes are only there) or an entry lacks what a pass needs. A sync that kept our
    watch.json over another clone's only makes tasks run again, never skip wrongly: a
    skip still needs the same inputs digest."""
    journal = loaded.repo.scratch / "journal"
    try:
        if journal.is_dir() and any(journal.iterdir()):
            return None
    except OSError:
        return None
    raw = loaded.store.read(layout.WATCH)
    if not raw:
        return None
    try:  # msgspec: half the time of json.loads on a 1 MB watch.json (same builtins)
        doc = msgspec.json.decode(raw)
        tasks = doc.get("tasks")
        awaiting = list(doc.get("awaiting") or [])
    except (ValueError, AttributeError, TypeError):
        return None
    if not isinstance(tasks, dict):
        return None
    h = History(events=[], watch=dict(tasks), watch_awaiting=awaiting)
    for tid, entry in tasks.items():
        if not isinstance(entry, dict) or not entry.get("inputs") or not entry.get("run"):
            return None
        h.passes[tid] = Pass(str(entry["inputs"]), str(entry["run"]), str(entry.get("commit") or ""), "")
    return h
