"""The run index: where each run's events are, so `status` reads the latest run alone.

Each run summary (`runs/<run>.json`) carries a `RunIndex`: the session folders holding
the run's events (those a fold counts: no reader needs a run's other events), the
earliest timestamp a fold counts (a fold's `started`, which orders runs), the latest
timestamp of its run-level and outcome events, and its latest `run_started` naming a
plan file. `index.json` seals it: the ids of the `sessions/` and `runs/` trees it
describes, the folders holding approvals (which every run's fold needs) or outcomes that
name no run, the latest run and the latest launch; its runs part, in `recent.json`
(named by the seal, rewritten only when it changes), holds the lasts of the RECENT_RUNS
greatest runs (so `explain` orders its walk without reading every summary) and the
README's lines. A seal from before them gains them, from every summary, at the next append.

Every append updates the index and the seal in the commit that adds the events, so the
branch never holds events the index does not know. A writer that does not know the index
(an older gitorch, a hand-written segment, a migration's rollback, a sync merge with an
unindexed clone) changes `sessions/` or `runs/` without the seal: the seal no longer
matches, readers read every event, and the next append rebuilds the index from all (once).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence

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
    ev.TasksSkipped, ev.ShardStarted, ev.ShardCompleted, ev.CommandRun, ev.AcceptancePassed,
    ev.AcceptanceFailed, ev.AwaitingApproval, ev.PatchApplied,
})
# Run-level and outcome events: `last` bounds their timestamps (a task's passes, failures).
_MARKS: frozenset[type[Event]] = frozenset({
    ev.RunStarted, ev.Resumed, ev.Interrupted, ev.Completed, ev.TaskCompleted, ev.TaskFailed,
    ev.Skipped, ev.TasksSkipped, ev.TaskBlocked, ev.AwaitingApproval, ev.TaskWaiting,
})
_UNBOUND = frozenset({ev.TaskCompleted, ev.TaskFailed})  # no run: in the seal's loose folders


def gitorch_ts(ts: str) -> bool:
    """Whether `ts` is as gitorch writes it (UTC, ms, Z): it sorts as the fold orders stamps."""
    return len(ts) == 24 and ts.endswith("Z") and ts[10] == "T"


def folder_of(path: str) -> str:
    """The session folder of a segment path, relative to sessions/ (`<day>/<hh>/<session>`;
    older branches `<day>/<session>`)."""
    return "/".join(path.split("/")[1:-2])


def note(entry: layout.RunIndex, folder: str, e: Event) -> None:
    """Add one event of the run (one a fold counts), found in `folder`, to its index."""
    if folder not in entry.folders:
        entry.folders = [*entry.folders, folder]
    ts, cls = e.ts, type(e)  # every event type is a leaf of the union: `is` is isinstance
    if not gitorch_ts(ts):
        entry.exact = False
    if not entry.first or ts < entry.first:
        entry.first = ts
    if cls in _MARKS and ts > entry.last:
        entry.last = ts
    if cls is ev.RunStarted and isinstance(e, ev.RunStarted) and e.plan_file and (
            not entry.launch or [ts, e.id] > entry.launch[:2]):
        entry.launch = [ts, e.id, e.plan_file]


def is_loose(e: Event) -> bool:
    """An event every reader needs whatever run it reads: an approval, an outcome of no run."""
    return type(e) is ev.Approved or (e.run is None and type(e) in _UNBOUND)


# --- the seal ------------------------------------------------------------------------
def _oid(backend: Backend, tree: str, name: str) -> str:
    return entry.oid if (entry := backend.tree_entry(tree, name)) is not None and entry.is_tree else ""


def read_seal(backend: Backend, tree: str | None) -> layout.Seal | None:
    """The seal of `tree` when it still describes its sessions/ and runs/, with its
    recent.json's runs part (lasts, readme, older); else None."""
    if tree is None:
        return None
    entry = backend.tree_entry(tree, layout.INDEX)
    if entry is None or entry.is_tree:
        return None
    from gitorch.store.summary import read_cached

    try:
        seal = layout.decode_seal(read_cached(backend, entry.oid))
    except (msgspec.DecodeError, msgspec.ValidationError):
        return None
    if seal.version != 1:
        return None
    if seal.sessions != _oid(backend, tree, layout.SESSIONS) or seal.runs != _oid(backend, tree, layout.RUNS):
        return None
    recent = _recent(backend, tree, seal.recent) if seal.recent else None
    if not seal.recent:  # a seal from before recent.json: its runs part (if any) in itself
        return msgspec.structs.replace(seal, older=False)
    if recent is None:  # recent.json is not the one sealed: the runs part is not known
        return msgspec.structs.replace(seal, lasts=None, readme=None, older=False)
    return msgspec.structs.replace(seal, lasts=recent.lasts, readme=recent.readme, older=recent.older)


def _recent(backend: Backend, tree: str, oid: str) -> layout.Recent | None:
    """recent.json of `tree` when its blob is `oid` (as its seal says), else None."""
    entry = backend.tree_entry(tree, layout.RECENT)
    if entry is None or entry.is_tree or entry.oid != oid:
        return None
    return _decoded_recent(backend, oid)


def _decoded_recent(backend: Backend, oid: str) -> layout.Recent | None:
    from gitorch.store.summary import read_cached
    try:
        return layout.decode_recent(read_cached(backend, oid))
    except (msgspec.DecodeError, msgspec.ValidationError):
        return None


def seal_changes(backend: Backend, trees: Mapping[str, str], seal: layout.Seal) -> dict[str, str | None]:
    """index.json and recent.json for a tree whose sessions/ and runs/ are `trees` (name ->
    id, "": none). recent.json is written only when its content changed (an append that
    changes no run's last or README line keeps the blob), so the blob every append writes,
    index.json, stays the same size whatever the number of runs."""
    if seal.lasts is None or seal.readme is None:  # not known: the next append asks every summary
        unknown = msgspec.structs.replace(seal, recent="", older=False)
        return {layout.INDEX: seal_blob(backend, trees, unknown), layout.RECENT: None}
    from gitorch.store.summary import remember

    recent = layout.Recent(lasts=seal.lasts, older=seal.older, readme=seal.readme)
    oid = seal.recent  # read from this repository's tree: the blob is there
    if not oid or _decoded_recent(backend, oid) != recent:
        data = layout.encode_recent(recent)
        remember(data)  # the next commit of this process reads it back without git
        oid = backend.write_blob(data)
    index = msgspec.structs.replace(seal, lasts=None, readme=None, older=False, recent=oid)
    return {layout.INDEX: seal_blob(backend, trees, index), layout.RECENT: oid}


def seal_blob(backend: Backend, trees: Mapping[str, str], seal: layout.Seal) -> str:
    """index.json holding `seal` as it is (as a gitorch before recent.json wrote it) for a
    tree whose sessions/ and runs/ are `trees`."""
    from gitorch.store.summary import remember

    done = msgspec.structs.replace(seal, sessions=trees.get(layout.SESSIONS, ""),
                                   runs=trees.get(layout.RUNS, ""), loose=sorted(set(seal.loose)))
    data = layout.encode_seal(done)
    remember(data)  # the next commit of this process reads it back without git
    return backend.write_blob(data)


def sealed(base: layout.Seal, summaries: Iterable[layout.RunSummary]) -> layout.Seal:
    """`base` with what `summaries` (new or changed) bring: the latest run, the latest
    launch, exactness, the runs' lasts (the RECENT_RUNS greatest) and the README's lines
    (when `base` has them: from every summary). The caller recomputes from every summary
    when a run that was the latest moved back (`moved_back`), a run's last fell (`fell`) or
    `base` has no runs' lasts or lines (a seal that does not know them)."""
    summaries = list(summaries)
    latest, launch, exact = list(base.latest), list(base.launch), base.exact
    lasts = dict(base.lasts) if base.lasts is not None else None
    readme = readme_lines(base.readme, summaries) if base.readme is not None else None
    for s in summaries:
        entry = s.index
        if entry is None:
            continue
        exact = exact and entry.exact
        if lasts is not None:
            lasts[s.run] = entry.last
        if entry.launch and entry.launch[:2] > launch[:2]:
            launch = list(entry.launch)
        if entry.first and [entry.first, s.run] > latest:
            latest = [entry.first, s.run]
    older = base.older
    if lasts is not None and len(lasts) > layout.RECENT_RUNS:
        # the greatest stay; every run dropped is smaller than each of them (as those outside were)
        kept = sorted(((last, run) for run, last in lasts.items()), reverse=True)[: layout.RECENT_RUNS]
        lasts, older = {run: last for last, run in kept}, True
    return msgspec.structs.replace(base, latest=latest, launch=launch, exact=exact, lasts=lasts,
                                   readme=readme, older=older)


def readme_lines(kept: Iterable[layout.RunLine], summaries: Iterable[layout.RunSummary]
                 ) -> list[layout.RunLine]:
    """The README's lines: of the README_RUNS greatest summary names (runs/<name>.json, as
    the README picks them) among `kept` and `summaries` (which replace kept lines)."""
    by_name = {layout.safe_name(line.run): line for line in kept}
    for s in summaries:
        by_name[layout.safe_name(s.run)] = layout.RunLine(
            run=s.run, plan_digest=s.plan_digest, plan_file=s.plan_file, started=s.started, ended=s.ended,
            status=s.status, failures=list(s.failures))
    return [by_name[name] for name in sorted(by_name, reverse=True)[: layout.README_RUNS]]


def fell(base: layout.Seal, summaries: Iterable[layout.RunSummary]) -> bool:
    """Whether a run among `summaries` has a last below `base`'s (an unkept run may pass it)."""
    lasts = base.lasts or {}
    return any(s.run in lasts and s.index is not None and s.index.last < lasts[s.run] for s in summaries)


def moved_back(base: layout.Seal, summaries: Iterable[layout.RunSummary]) -> bool:
    """Whether the run `base` names the latest is among `summaries` with an earlier key."""
    for s in summaries:
        if base.latest and s.run == base.latest[1]:
            first = s.index.first if s.index is not None else ""
            return [first, s.run] < base.latest
    return False


def all_summaries(backend: Backend, tree: str | None) -> dict[str, layout.RunSummary]:
    """Every readable run summary of `tree`, by path."""
    from gitorch.store import summary

    runs = lookup(backend, tree, layout.RUNS) if tree else None
    out: dict[str, layout.RunSummary] = {}
    for entry in backend.read_tree(runs.oid) if runs is not None and runs.is_tree else []:
        if entry.name.endswith(".json"):
            kept = summary.read_run(backend, tree, entry.name[: -len(".json")])
            if kept is not None:
                out[f"{layout.RUNS}/{entry.name}"] = kept
    return out


# --- rebuilding from every event -------------------------------------------------------
def located_events(backend: Backend, tree: str, folders: Iterable[str] | None = None,
                   problems: list[str] | None = None) -> list[tuple[str, Event]]:
    """(folder, event) for every event under sessions/ (or only under `folders`)."""
    bad = [] if problems is None else problems
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


def rebuild(backend: Backend, tree: str) -> tuple[dict[str, layout.RunSummary], layout.Seal]:
    """Every run summary of `tree` with its index made from all its events (path ->
    summary, for runs with events and for summaries without any), and the seal they make."""
    from gitorch.store import summary

    located = located_events(backend, tree)
    by_run: dict[str, list[Event]] = {}
    for _folder, e in located:
        if e.run and type(e) in FOLDED:
            by_run.setdefault(e.run, []).append(e)
    out = all_summaries(backend, tree)
    for run, events in by_run.items():
        made = summary.run_updates(backend, None, events).get(layout.run_path(run))
        if made is not None:
            out[layout.run_path(run)] = made
        elif layout.run_path(run) not in out:
            out[layout.run_path(run)] = layout.RunSummary(run=run)
    for s in out.values():
        s.index = layout.RunIndex()
    loose = index_events(out, located)
    return out, sealed(layout.Seal(loose=sorted(loose), lasts={}, readme=[]), out.values())


def index_events(summaries: dict[str, layout.RunSummary], located: Sequence[tuple[str, Event]]) -> set[str]:
    """Note each located event in its run's summary (which must be in `summaries` with an
    index); the loose folders among them."""
    loose: set[str] = set()
    entries: dict[str, layout.RunIndex | None] = {}  # run -> its index (a path made once a run)
    for folder, e in located:
        cls, run = type(e), e.run
        if cls is ev.Approved or (run is None and cls in _UNBOUND):  # is_loose(e), inline
            loose.add(folder)
        if run and cls in FOLDED:  # readers need no other event of a run
            entry = entries.get(run) or entries.setdefault(run, summaries[layout.run_path(run)].index)
            assert entry is not None
            note(entry, folder, e)
    return loose


# --- reading -----------------------------------------------------------------------------
class StaleIndex(Exception):
    """A sealed tree holds a summary without an index: rebuild it (writers) or read every
    event (readers)."""


class Index:
    """The run index of one sealed state tree; run summaries are read when asked for."""

    def __init__(self, backend: Backend, tree: str, seal: layout.Seal) -> None:
        self.backend, self.tree, self.seal = backend, tree, seal
        self._read: dict[str, layout.RunSummary | None] = {}
        self._all: dict[str, layout.RunSummary] | None = None

    @property
    def loose(self) -> list[str]:
        return self.seal.loose

    def summary(self, run: str) -> layout.RunSummary | None:
        """The run's summary (None: no such run); StaleIndex when it has no index."""
        from gitorch.store import summary

        if run not in self._read:
            every = self._all
            self._read[run] = every.get(run) if every is not None else summary.read_run(
                self.backend, self.tree, run)
        found = self._read[run]
        if found is not None and found.index is None:
            raise StaleIndex(run)
        return found

    def entry(self, run: str) -> layout.RunIndex | None:
        found = self.summary(run)
        return found.index if found is not None else None

    def runs(self) -> dict[str, layout.RunSummary]:
        """Every run's summary, by run id (read once); StaleIndex as `summary`."""
        if self._all is None:
            self._all = {s.run: s for s in all_summaries(self.backend, self.tree).values()}
            if any(s.index is None for s in self._all.values()):
                raise StaleIndex("runs/")
        return self._all

    def by_last(self) -> Iterator[tuple[str, str]]:
        """(last, run) of every run, the greatest first: the seal's lasts, then (when it
        keeps only the greatest, or none) the other runs' summaries; StaleIndex as `runs`."""
        lasts = self.seal.lasts
        if lasts is not None:
            yield from sorted(((last, run) for run, last in lasts.items()), reverse=True)
            if not self.seal.older:
                return
        known = lasts or {}
        rest = [(s.index.last, run) for run, s in self.runs().items() if s.index and run not in known]
        yield from sorted(rest, reverse=True)


def read_index(backend: Backend, tree: str | None) -> Index | None:
    """The index of `tree`, or None when there is none to trust (read every event then)."""
    seal = read_seal(backend, tree)
    if seal is None or tree is None or not seal.exact:
        return None
    return Index(backend, tree, seal)


def updated(backend: Backend, tree: str | None, summaries: Mapping[str, layout.RunSummary],
            located: Sequence[tuple[str, Event]]) -> dict[str, layout.RunSummary]:
    """The summaries (path -> summary) the events change, with their indexes: `summaries`
    (already changed by the same commit) first, then those on `tree`, else new ones.
    Raises StaleIndex when one on `tree` has no index."""
    from gitorch.store import summary

    out = dict(summaries)
    for run in dict.fromkeys([e.run for _folder, e in located if e.run and type(e) in FOLDED]):
        assert run is not None
        path = layout.run_path(run)
        if path not in out:
            kept = summary.read_run(backend, tree, run)
            if kept is not None and kept.index is None:
                raise StaleIndex(path)
            out[path] = kept or layout.RunSummary(run=run)
        s = out[path]
        if s.index is None:
            s.index = layout.RunIndex()
    return out


def prepare(backend: Backend, tree: str | None, rebuild_all: bool = False
            ) -> tuple[dict[str, layout.RunSummary], layout.Seal]:
    """What a commit on `tree` starts from: the summaries a rebuild rewrote (none when
    the seal holds) and the seal so far."""
    seal = None if rebuild_all else read_seal(backend, tree)
    if tree is None:
        return {}, layout.Seal(lasts={}, readme=[])
    if seal is None:
        return rebuild(backend, tree)
    return {}, seal


def finish(backend: Backend, tree: str | None, base: layout.Seal,
           runs: Mapping[str, layout.RunSummary], loose: Iterable[str]) -> layout.Seal:
    """The seal after a commit changed `runs` (path -> summary) and found `loose`."""
    base = msgspec.structs.replace(base, loose=sorted(set(base.loose) | set(loose)))
    if (base.lasts is not None and base.readme is not None and not moved_back(base, runs.values())
            and not fell(base, runs.values())):
        return sealed(base, runs.values())
    # the latest run moved back, a last fell, or a seal that does not know the runs' lasts or
    # lines: ask them all (once)
    every = {**all_summaries(backend, tree), **runs}
    return sealed(msgspec.structs.replace(base, latest=[], launch=[], exact=True, lasts={}, readme=[],
                                          older=False), every.values())
