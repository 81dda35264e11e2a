"""What earlier runs left: every event, each task's last pass, approvals, watch.json."""

from collections.abc import Callable, Collection
from typing import TYPE_CHECKING, Any

import msgspec

from gitorch import events as ev
from gitorch.store import layout

if TYPE_CHECKING:
    from gitorch.engine.setup import Loaded
    from gitorch.store import runindex
    from gitorch.store.state import StateStore


class Pass(msgspec.Struct, frozen=True, array_like=True, gc=False):
    """A task's last completion: on which inputs, in which run, at which commit. In
    passes.json as [inputs, run, commit] (decoded straight into it: no Python per task)."""

    inputs: str
    run: str
    commit: str
    ts: str = ""


class History(msgspec.Struct):
    events: list[ev.Event]
    passes: dict[str, Pass] = msgspec.field(default_factory=dict)
    approvals: list[ev.Approved] = msgspec.field(default_factory=list)
    watch_tasks: dict[str, Any] | None = None  # watch.json's tasks (None: `watch_load` reads them)
    watch_awaiting: list[Any] | None = None  # watch.json's gates waiting (None: no watch.json)
    commits: dict[str, str] = msgspec.field(default_factory=dict)  # run -> commit it verified
    watch_load: Callable[[], dict[str, Any]] | None = None  # watch.json's tasks, read when first asked
    watch_unmatched: str | None = None  # the blob id of a watch.json read without passes.json

    @property
    def watch(self) -> dict[str, Any]:
        """watch.json's tasks (its entries by task id)."""
        if self.watch_tasks is None:
            self.watch_tasks = self.watch_load() if self.watch_load is not None else {}
        return self.watch_tasks

    def in_watch(self, task: str) -> bool:
        """Whether watch.json has an entry for `task` (known from passes.json unread)."""
        if self.watch_tasks is None and self.watch_load is not None:
            return task in self.passes  # passes.json lists exactly watch.json's tasks
        return task in self.watch

    def latest_run(self) -> Any:
        """The latest run as the views fold it (RunView), or None."""
        from gitorch.views.fold import latest_run

        return latest_run(self.events)


def read_history(loaded: "Loaded") -> History:
    """Fold the state branch (and any journal not yet on it) into what the engine needs."""
    return _history(loaded, loaded.events)


def _history(loaded: "Loaded", events: list[ev.Event]) -> History:
    """What `events` (all of them, or all that matter to the caller) left."""
    store = loaded.store
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
        import json  # not at import: the fast paths decode with msgspec

        try:
            doc = json.loads(raw)
            h.watch_tasks = dict(doc.get("tasks") or {})
            h.watch_awaiting = list(doc.get("awaiting") or [])
        except (ValueError, AttributeError, TypeError):
            h.watch_tasks, h.watch_awaiting = {}, None
    return h


def history_from_watch(loaded: "Loaded") -> History | None:
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
    fast = _from_passes(loaded.store)
    if fast is not None:
        return fast
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
    h = History(events=[], watch_tasks=dict(tasks), watch_awaiting=awaiting,
                watch_unmatched=loaded.store.blob_id(layout.WATCH))  # its passes.json follows
    for tid, entry in tasks.items():
        if not isinstance(entry, dict) or not entry.get("inputs") or not entry.get("run"):
            return None
        h.passes[tid] = Pass(str(entry["inputs"]), str(entry["run"]), str(entry.get("commit") or ""), "")
    return h


class _Passes(msgspec.Struct):
    """passes.json (engine/watch.py)."""

    schema_version: int
    watch: str  # the blob id of the watch.json they were taken from
    tasks: dict[str, Pass]  # task -> [inputs, run, commit]
    awaiting: list[Any] = []


def _from_passes(store: "StateStore") -> History | None:
    """history_from_watch's answer from passes.json, when it was taken from the watch.json on
    the branch (else None); watch.json itself is read only if the run changes it."""
    watch = store.blob_id(layout.WATCH)
    raw = store.read(layout.PASSES) if watch else None
    if not raw:
        return None
    try:
        doc = msgspec.json.decode(raw, type=_Passes)
    except (msgspec.DecodeError, msgspec.ValidationError):
        return None
    complete = all(p.inputs and p.run for p in doc.tasks.values())
    if doc.schema_version != 1 or doc.watch != watch or not complete:
        return None

    def load() -> dict[str, Any]:
        tasks = msgspec.json.decode(store.backend.read_blob(watch)).get("tasks")  # that very blob
        return dict(tasks) if isinstance(tasks, dict) else {}

    h = History(events=[], watch_awaiting=list(doc.awaiting), watch_load=load)
    h.passes = doc.tasks
    return h


def latest_events(store: "StateStore") -> tuple[str | None, list[ev.Event]] | None:
    """The latest run's id (as a fold of every event orders runs: by first event, then id)
    and the events that fold into it exactly as all events would (its own, every approval,
    the journal's), read through the run index; None when the index cannot say."""
    from gitorch.store import runindex, runread

    idx = runread.index(store)
    if idx is None:
        return None
    journal = runread.journal_events(store)
    try:
        known, latest = runread.latest_run(idx, journal)
        if not known:
            return None
        if latest is None:
            return None, []
        found = runread.read_runs(store, idx, {latest}) + runread.read_loose(store, idx)
    except runindex.StaleIndex:
        return None
    found += [e for e in journal if runread.wanted(e, {latest})]
    return latest, runread.ordered(found)


def history_of(loaded: "Loaded", tasks: Collection[str], failure_of: str | None = None) -> History:
    """`read_history` as far as `tasks` (their last passes), `failure_of` (its latest
    failure, from History.events) and every approval go, reading runs newest first only
    while an older one could still change the answer; all events when the index cannot say."""
    from gitorch.store import runindex, runread

    store = loaded.store
    idx = runread.index(store)
    if idx is None:
        return read_history(loaded)
    try:
        found = _walk(store, idx, set(tasks), failure_of)
    except runindex.StaleIndex:
        return read_history(loaded)
    return _history(loaded, runread.ordered(found))


def _walk(store: "StateStore", idx: "runindex.Index", want: set[str], failure_of: str | None
          ) -> list[ev.Event]:
    """The journal, the loose folders and the runs, newest outcome first, until no older
    run could change the answer (see history_of)."""
    from gitorch.store import runread

    journal = runread.journal_events(store)
    mine = {e.run for e in journal if e.run}
    found = journal + runread.read_loose(store, idx) + runread.read_runs(store, idx, mine)
    seen = _Outcomes(want, failure_of)
    seen.add(found)
    for run in runread.walk(idx, want, mine, seen.known_after):
        more = runread.read_runs(store, idx, {run})
        seen.add(more)
        found += more
    return found


class _Outcomes:
    """The latest pass of each wanted task and the latest outcome (pass or failure) of the
    task whose failure is asked, among the events read so far."""

    def __init__(self, tasks: set[str], failure_of: str | None) -> None:
        self.passes: dict[str, str] = dict.fromkeys(tasks, "")
        self.failure_of = failure_of
        self.end = ""

    def add(self, events: list[ev.Event]) -> None:
        for e in events:
            cls = type(e)
            if cls is ev.TaskCompleted or cls is ev.TaskFailed:
                if e.task == self.failure_of and e.ts > self.end:
                    self.end = e.ts
                if (cls is ev.TaskCompleted and e.task in self.passes and e.run
                        and getattr(e, "inputs", None) and e.ts > self.passes[e.task]):
                    self.passes[e.task] = e.ts

    def known_after(self, bound: str) -> bool:
        """Whether no outcome at or before `bound` can change the answer."""
        return all(ts > bound for ts in self.passes.values()) and (
            self.failure_of is None or self.end > bound)
