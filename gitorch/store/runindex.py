"""The run index: where each run's events are, so `status` reads the latest run alone.

Each run summary (`runs/<run>.json`) carries a `RunIndex`: the session folders that hold
the run's events, the earliest timestamp a fold counts (a fold's `started`, which orders
runs), the latest timestamp of its run-level and outcome events, and its latest
`run_started` naming a plan file. `index.json` seals it: the ids of the `sessions/` and
`runs/` trees it describes and the folders holding approvals (which every run's fold
needs) or outcomes that name no run.

Every append updates the index and the seal in the commit that adds the events, so the
branch never holds events the index does not know. A writer that does not know the index
(an older gitorch, a hand-written segment, a migration's rollback, a sync merge) changes
`sessions/` or `runs/` without the seal: the seal no longer matches, readers fall back to
reading every event, and the next append rebuilds the index from all of them (once).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import msgspec

from gitorch import events as ev
from gitorch.events import Event
from gitorch.store import layout
from gitorch.store.backend import Backend
from gitorch.store.statebranch import decode_segment, lookup

# The events a fold (views/fold.py) counts into a run; the first of them is its start.
# tests/views/test_run_index.py checks this is exactly the fold's set.
FOLDED: frozenset[type[Event]] = frozenset({
    ev.RunStarted, ev.PlanUpdated, ev.Resumed, ev.Interrupted, ev.Completed,
    ev.TaskStarted, ev.TaskCompleted, ev.TaskFailed, ev.TaskBlocked, ev.TaskWaiting, ev.Skipped,
    ev.ShardStarted, ev.ShardCompleted, ev.CommandRun, ev.AcceptancePassed, ev.AcceptanceFailed,
    ev.AwaitingApproval, ev.PatchApplied,
})
# Run-level and outcome events: `last` bounds their timestamps (a task's passes, failures).
_MARKS: frozenset[type[Event]] = frozenset({
    ev.RunStarted, ev.Resumed, ev.Interrupted, ev.Completed, ev.TaskCompleted, ev.TaskFailed,
    ev.Skipped, ev.TaskBlocked, ev.AwaitingApproval, ev.TaskWaiting,
})
_UNBOUND = (ev.TaskCompleted, ev.TaskFailed)  # without a run: kept in the seal's loose folders


def gitorch_ts(ts: str) -> bool:
    """Whether `ts` has the form gitorch writes (UTC, milliseconds, Z): such stamps sort as
    strings exactly as the fold orders them."""
    return len(ts) == 24 and ts.endswith("Z") and ts[10] == "T"


def folder_of(path: str) -> str:
    """The session folder of a segment path, relative to sessions/ (`<day>/<hh>/<session>`;
    older branches `<day>/<session>`)."""
    return "/".join(path.split("/")[1:-2])


def note(entry: layout.RunIndex, folder: str, e: Event) -> None:
    """Add one event of the run, found in `folder`, to its index."""
    if folder not in entry.folders:
        entry.folders = [*entry.folders, folder]
    cls = type(e)
    if cls in FOLDED:
        if not gitorch_ts(e.ts):
            entry.exact = False
        if not entry.first or e.ts < entry.first:
            entry.first = e.ts
    if cls in _MARKS and e.ts > entry.last:
        entry.last = e.ts
    if isinstance(e, ev.RunStarted) and e.plan_file and (not entry.launch or [e.ts, e.id] > entry.launch[:2]):
        entry.launch = [e.ts, e.id, e.plan_file]


def is_loose(e: Event) -> bool:
    """An event every reader needs whatever run it reads: an approval, an outcome of no run."""
    return isinstance(e, ev.Approved) or (e.run is None and isinstance(e, _UNBOUND))


# --- the seal ------------------------------------------------------------------------
def _oid(backend: Backend, tree: str, name: str) -> str:
    entry = backend.tree_entry(tree, name)
    return entry.oid if entry is not None and entry.is_tree else ""


def read_seal(backend: Backend, tree: str | None) -> layout.Seal | None:
    """The seal of `tree` when it still describes its sessions/ and runs/; else None."""
    if tree is None:
        return None
    entry = backend.tree_entry(tree, layout.INDEX)
    if entry is None or entry.is_tree:
        return None
    try:
        seal = msgspec.json.decode(backend.read_blob(entry.oid), type=layout.Seal)
    except (msgspec.DecodeError, msgspec.ValidationError):
        return None
    if seal.version != 1:
        return None
    if seal.sessions != _oid(backend, tree, layout.SESSIONS) or seal.runs != _oid(backend, tree, layout.RUNS):
        return None
    return seal


def seal_blob(backend: Backend, trees: Mapping[str, str], loose: Iterable[str]) -> str:
    """The seal for a tree whose sessions/ and runs/ are `trees` (name -> id, "": none)."""
    seal = layout.Seal(sessions=trees.get(layout.SESSIONS, ""), runs=trees.get(layout.RUNS, ""),
                       loose=sorted(set(loose)))
    return backend.write_blob(msgspec.json.encode(seal) + b"\n")


# --- rebuilding from every event -------------------------------------------------------
def located_events(backend: Backend, tree: str, folders: Iterable[str] | None = None,
                   problems: list[str] | None = None) -> list[tuple[str, Event]]:
    """(folder, event) for every event under sessions/ (or only under `folders`)."""
    bad = problems if problems is not None else []
    sessions = lookup(backend, tree, layout.SESSIONS)
    if sessions is None or not sessions.is_tree:
        return []
    out: list[tuple[str, Event]] = []
    for folder in (None,) if folders is None else folders:
        root = lookup(backend, sessions.oid, folder) if folder else sessions
        if root is None or not root.is_tree:
            continue
        prefix = f"{layout.SESSIONS}/{folder}/" if folder else f"{layout.SESSIONS}/"
        for path, entry in backend.walk(root.oid, prefix):
            if path.endswith(".jsonl"):
                here = folder_of(path)
                out.extend((here, e) for e in decode_segment(backend, path, entry.oid, bad))
    return out


def rebuild(backend: Backend, tree: str) -> tuple[dict[str, layout.RunSummary], set[str]]:
    """Every run summary of `tree` with its index made from all its events (path ->
    summary, for runs with events and for summaries without any), and the loose folders."""
    from gitorch.store import summary

    located = located_events(backend, tree)
    by_run: dict[str, list[Event]] = {}
    for _folder, e in located:
        if e.run:
            by_run.setdefault(e.run, []).append(e)
    out: dict[str, layout.RunSummary] = {}
    for run, events in by_run.items():
        made = summary.run_updates(backend, None, events).get(layout.run_path(run))
        out[layout.run_path(run)] = made or summary.read_run(backend, tree, run) or layout.RunSummary(run=run)
    runs = lookup(backend, tree, layout.RUNS)
    for entry in backend.read_tree(runs.oid) if runs is not None and runs.is_tree else []:
        path = f"{layout.RUNS}/{entry.name}"
        if path not in out and entry.name.endswith(".json"):
            kept = summary.read_run(backend, tree, entry.name[: -len(".json")])
            if kept is not None:
                out[path] = kept
    for s in out.values():
        s.index = layout.RunIndex()
    loose = index_events(out, located)
    return out, loose


def index_events(summaries: dict[str, layout.RunSummary], located: Sequence[tuple[str, Event]]) -> set[str]:
    """Note each located event in its run's summary (which must be in `summaries` with an
    index); the loose folders among them."""
    loose: set[str] = set()
    for folder, e in located:
        if is_loose(e):
            loose.add(folder)
        if e.run:
            entry = summaries[layout.run_path(e.run)].index
            assert entry is not None
            note(entry, folder, e)
    return loose


# --- reading -----------------------------------------------------------------------------
@dataclass
class Index:
    """The run index of one state tree: every run's summary (with its index) and the
    folders every reader reads."""

    tree: str
    runs: dict[str, layout.RunSummary]
    loose: list[str]

    def entry(self, run: str) -> layout.RunIndex:
        found = self.runs[run].index
        assert found is not None
        return found


def read_index(backend: Backend, tree: str | None) -> Index | None:
    """The index of `tree`, or None when there is none to trust (read every event then)."""
    seal = read_seal(backend, tree)
    if seal is None or tree is None:
        return None
    runs: dict[str, layout.RunSummary] = {}
    folder = lookup(backend, tree, layout.RUNS)
    for entry in backend.read_tree(folder.oid) if folder is not None and folder.is_tree else []:
        if not entry.name.endswith(".json") or entry.is_tree:
            return None
        try:
            s = msgspec.json.decode(backend.read_blob(entry.oid), type=layout.RunSummary)
        except (msgspec.DecodeError, msgspec.ValidationError):
            return None
        if s.index is None or not s.index.exact:
            return None
        runs[s.run] = s
    return Index(tree, runs, seal.loose)


class StaleIndex(Exception):
    """A sealed tree holds a summary without an index: rebuild it."""


def updated(backend: Backend, tree: str | None, summaries: Mapping[str, layout.RunSummary],
            located: Sequence[tuple[str, Event]]) -> dict[str, layout.RunSummary]:
    """The summaries (path -> summary) the events change, with their indexes: `summaries`
    (already changed by the same commit) first, then those on `tree`, else new ones.
    Raises StaleIndex when one on `tree` has no index."""
    from gitorch.store import summary

    out = dict(summaries)
    for _folder, e in located:
        if not e.run:
            continue
        path = layout.run_path(e.run)
        if path not in out:
            kept = summary.read_run(backend, tree, e.run)
            if kept is not None and kept.index is None:
                raise StaleIndex(path)
            out[path] = kept or layout.RunSummary(run=e.run)
        s = out[path]
        if s.index is None:
            s.index = layout.RunIndex()
    return out


def prepare(backend: Backend, tree: str | None, rebuild_all: bool = False
            ) -> tuple[dict[str, layout.RunSummary], set[str]]:
    """What a commit on `tree` starts from: the summaries a rebuild rewrote (none when
    the seal holds) and the loose folders."""
    seal = None if rebuild_all else read_seal(backend, tree)
    if tree is None:
        return {}, set()
    if seal is None:
        return rebuild(backend, tree)
    return {}, set(seal.loose)
