"""Reading some runs through the run index (store/runindex.py) instead of every event.

Each function returns None where the index cannot be trusted; the caller then reads every
event (`StateStore.events()`), which gives the same answer, only slower.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator
from typing import TYPE_CHECKING

from gitorch import events as ev
from gitorch.events import Event
from gitorch.store import runindex

if TYPE_CHECKING:
    from gitorch.store.state import StateStore


def index(store: StateStore) -> runindex.Index | None:
    """The state branch's run index, or None (no branch, or a seal that does not hold);
    read once per state tree."""
    with store._mutex:
        tree = store.state.root_tree()
        if tree is None:
            return None
        cached = store.index_cache
        if cached is not None and cached[0] == tree:
            return cached[1]
        store.state.check_marker(tree)
        found = runindex.read_index(store.backend, tree)
        store.index_cache = (tree, found)
        return found


def journal_events(store: StateStore) -> list[Event]:
    """The events of the local journal (not on the branch yet), in no particular order."""
    return [e for pending in store._journal.live() for e in pending.events]


def wanted(e: Event, runs: Collection[str]) -> bool:
    """An event a reader of `runs` needs: theirs, an approval, or one that names no run."""
    return e.run in runs if e.run else True


def read_runs(store: StateStore, idx: runindex.Index, runs: Collection[str]) -> list[Event]:
    """The events on the branch in the folders of `runs` that a reader of `runs` needs
    (see `wanted`); unsorted, possibly duplicated. StaleIndex as `Index.summary`."""
    folders: list[str] = []
    for run in runs:
        entry = idx.entry(run)
        if entry is not None:
            folders.extend(f for f in entry.folders if f not in folders)
    problems: list[str] = []
    with store._mutex:
        located = runindex.located_events(store.backend, idx.tree, folders, problems)
    store.problems.extend(problems)
    return [e for _folder, e in located if wanted(e, runs)]


def read_loose(store: StateStore, idx: runindex.Index) -> list[Event]:
    """The approvals and run-less outcomes on the branch (every reader needs them)."""
    problems: list[str] = []
    with store._mutex:
        located = runindex.located_events(store.backend, idx.tree, idx.loose, problems)
    store.problems.extend(problems)
    return [e for _folder, e in located if runindex.is_loose(e)]


def ordered(found: Iterable[Event]) -> list[Event]:
    """`found` without duplicates, ordered by (ts, id): as `StateStore.events()` orders."""
    unique: dict[str, Event] = {}
    for e in found:
        unique.setdefault(e.id, e)
    return sorted(unique.values(), key=lambda e: (e.ts, e.id))


def latest_run(idx: runindex.Index, journal: Iterable[Event]) -> tuple[bool, str | None]:
    """(known, run): the run a fold of every event shows last (the greatest first folded
    timestamp, then id), from the seal and the journal; known is False when they cannot
    tell (a journal timestamp not in gitorch's form). StaleIndex as `Index.summary`."""
    pending: dict[str, str] = {}
    for e in journal:
        if e.run and type(e) in runindex.FOLDED:
            if not runindex.gitorch_ts(e.ts):
                return False, None
            pending[e.run] = min(pending.get(e.run, e.ts), e.ts)
    best = list(idx.seal.latest)
    for run, ts in pending.items():
        entry = idx.entry(run)
        first = min(entry.first, ts) if entry is not None and entry.first else ts
        if best and run == best[1] and first < best[0]:
            return _latest_of_all(idx, pending)  # the latest run moved back: ask every run
        best = max(best, [first, run])
    return True, best[1] if best else None


def _latest_of_all(idx: runindex.Index, pending: dict[str, str]) -> tuple[bool, str | None]:
    keys = {run: s.index.first for run, s in idx.runs().items() if s.index is not None and s.index.first}
    for run, ts in pending.items():
        keys[run] = min(keys.get(run, ts), ts)
    return True, max(keys, key=lambda run: (keys[run], run)) if keys else None


def walk(idx: runindex.Index, want: Collection[str], skip: Collection[str],
         done: Callable[[str], bool]) -> Iterator[str]:
    """The runs (but those in `skip`) whose summary names a task in `want`, greatest last
    outcome first, until `done(last)` says no outcome at or before that run's last one can
    change the answer. The seal gives the greatest runs' lasts (Index.by_last), so only the
    summaries of the runs reached are read (every summary only past those, or when the seal
    has none). StaleIndex as `Index.summary`."""
    for last, run in idx.by_last():
        if run in skip:
            continue
        if done(last):  # the lasts only fall from here on: neither can a later run
            return
        found = idx.summary(run)
        if found is not None and not found.tasks.keys().isdisjoint(want):
            yield run


def last_plan_file(store: StateStore) -> str | None:
    """The plan file of the latest `run_started` naming one, in (ts, id) order (what `run_plan`
    commands follow); from the index when it holds, else from every event."""
    idx = index(store)
    if idx is None:
        for e in reversed(store.events()):
            if isinstance(e, ev.RunStarted) and e.plan_file:
                return e.plan_file
        return None
    best = list(idx.seal.launch)
    for e in journal_events(store):
        if isinstance(e, ev.RunStarted) and e.plan_file and [e.ts, e.id] > best[:2]:
            best = [e.ts, e.id, e.plan_file]
    return best[2] if best else None
