"""Run summaries (`runs/<run>.json`) and the generated README.md of the state branch."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from operator import attrgetter

import msgspec

from gitorch import events as ev
from gitorch.events import Event
from gitorch.store import layout
from gitorch.store.backend import Backend
from gitorch.store.blobcache import blob_id as blob_id  # the cache's home: store/blobcache.py
from gitorch.store.blobcache import is_kept
from gitorch.store.blobcache import read_cached as read_cached
from gitorch.store.blobcache import remember as remember
from gitorch.store.statebranch import lookup

# A task's outcome events, and the word each leaves in the run summary's `tasks`.
TASK_OUTCOMES: dict[type[Event], str] = {
    ev.TaskCompleted: "completed", ev.TaskFailed: "failed", ev.Skipped: "skipped",
    ev.TaskBlocked: "blocked", ev.AwaitingApproval: "awaiting_approval", ev.TaskWaiting: "waiting",
}
# Every event type is a leaf of the union (gitorch/events.py), so a type's membership here
# is isinstance's answer; isinstance on msgspec's metaclass asks __instancecheck__ (~1 µs a call).
_RUN_TYPES: frozenset[type[Event]] = frozenset({
    ev.RunStarted, ev.Resumed, ev.Interrupted, ev.Completed, ev.TasksSkipped, *TASK_OUTCOMES})
_BY_TIME = attrgetter("ts", "id")


def has_run_events(events: Iterable[Event]) -> bool:
    return not _RUN_TYPES.isdisjoint(map(type, events))


def read_run(backend: Backend, tree: str | None, run: str) -> layout.RunSummary | None:
    if tree is None:
        return None
    entry = lookup(backend, tree, layout.run_path(run))
    if entry is None or entry.is_tree:
        return None
    try:
        return msgspec.json.decode(read_cached(backend, entry.oid), type=layout.RunSummary)
    except (msgspec.DecodeError, msgspec.ValidationError):
        return None  # a hand-edited summary: rebuilt from the events it sees next


def fold(summary: layout.RunSummary, e: Event) -> None:
    """Update a run summary with one event."""
    if e.session and e.session not in summary.sessions:
        summary.sessions = [*summary.sessions, e.session]
    cls = type(e)
    outcome = TASK_OUTCOMES.get(cls)
    if outcome is not None:
        if e.task:
            summary.tasks[e.task] = outcome
    elif cls is ev.TasksSkipped:  # as a `skipped` event per task
        assert isinstance(e, ev.TasksSkipped)
        summary.tasks.update(dict.fromkeys(e.tasks, "skipped"))
    elif cls is ev.RunStarted:
        assert isinstance(e, ev.RunStarted)
        if not summary.started or e.ts < summary.started:
            summary.started = e.ts
        summary.plan_digest = e.plan_digest or summary.plan_digest
        summary.plan_file = e.plan_file or summary.plan_file
        summary.commit = e.commit or summary.commit
    elif cls is ev.Resumed:
        summary.status = "running"
    elif cls is ev.Interrupted and e.ts >= summary.ended:
        summary.status, summary.ended = "interrupted", e.ts
    elif cls is ev.Completed and e.ts >= summary.ended:
        assert isinstance(e, ev.Completed)
        summary.status, summary.ended, summary.failures = e.status, e.ts, list(e.failures)


def run_updates(
    backend: Backend, tree: str | None, events: Sequence[Event],
    base: Mapping[str, layout.RunSummary] | None = None,
) -> dict[str, layout.RunSummary]:
    """The run summaries the run-level events in `events` change (path -> summary), with
    `base` (summaries already changed, e.g. rebuilt) in it and read before `tree`'s."""
    out: dict[str, layout.RunSummary] = dict(base or {})
    kinds = _RUN_TYPES
    for e in sorted([e for e in events if type(e) in kinds and e.run], key=_BY_TIME):
        assert e.run is not None
        path = layout.run_path(e.run)
        if path not in out:
            out[path] = read_run(backend, tree, e.run) or layout.RunSummary(run=e.run)
        fold(out[path], e)
    return out


def merge_runs(a: layout.RunSummary, b: layout.RunSummary) -> layout.RunSummary:
    """Two clones' summaries of one run: the earliest start, the latest end."""
    first, last = (a, b) if (a.ended or "") <= (b.ended or "") else (b, a)
    starts = [s for s in (a.started, b.started) if s]
    return layout.RunSummary(
        run=a.run,
        plan_digest=a.plan_digest or b.plan_digest,
        plan_file=a.plan_file or b.plan_file,
        commit=a.commit or b.commit,
        started=min(starts) if starts else "",
        ended=last.ended,
        status=last.status if last.ended or not first.ended else first.status,
        failures=last.failures,
        sessions=sorted(set(a.sessions) | set(b.sessions)),
        tasks={**first.tasks, **last.tasks},
        index=merge_index(a.index, b.index),
    )


def merge_index(a: layout.RunIndex | None, b: layout.RunIndex | None) -> layout.RunIndex | None:
    """Two clones' indexes of one run (None when either side has none)."""
    if a is None or b is None:
        return None
    firsts = [f for f in (a.first, b.first) if f]
    launches = [x for x in (a.launch, b.launch) if x]
    return layout.RunIndex(folders=sorted(set(a.folders) | set(b.folders)),
                           first=min(firsts) if firsts else "", last=max(a.last, b.last),
                           launch=max(launches) if launches else [], exact=a.exact and b.exact)


def counts(s: layout.RunSummary) -> dict[str, int]:
    """How many tasks of the run ended in each outcome."""
    out: dict[str, int] = {}
    for outcome in s.tasks.values():
        out[outcome] = out.get(outcome, 0) + 1
    return out


def _names(backend: Backend, tree: str | None, pending: Mapping[str, layout.RunSummary]
           ) -> dict[str, str | None]:
    """The run summaries' names (`<run>.json`) of `tree` and `pending` -> blob id (None: not a
    blob on the tree)."""
    names: dict[str, str | None] = {}
    if tree is not None:
        runs = lookup(backend, tree, layout.RUNS)
        if runs is not None and runs.is_tree:
            names = {e.name: None if e.is_tree else e.oid
                     for e in backend.read_tree(runs.oid) if e.name.endswith(".json")}
    for path in pending:
        names.setdefault(path.rsplit("/", 1)[-1], None)
    return names


def _latest(backend: Backend, tree: str | None, pending: Mapping[str, layout.RunSummary]
            ) -> tuple[list[layout.RunSummary | layout.RunLine], int]:
    """The latest runs' summaries (at most README_RUNS, newest first) and how many runs there
    are, without the seal's lines: the summaries on the branch are read in one exchange with
    the backend."""
    names = _names(backend, tree, pending)
    # Run ids are time-ordered, so the newest names are the latest runs; read only those.
    newest = sorted(names, reverse=True)[: layout.README_RUNS]
    wanted = {n: names[n] for n in newest if f"{layout.RUNS}/{n}" not in pending and names[n]}
    missing = [oid for oid in wanted.values() if oid and not is_kept(oid)]
    read = dict(zip(missing, backend.read_blobs(missing), strict=True)) if missing else {}
    found: list[layout.RunSummary | layout.RunLine] = []
    for name in newest:
        s = pending.get(f"{layout.RUNS}/{name}")
        oid = wanted.get(name)
        if s is None and oid:
            try:
                data = read.get(oid) or read_cached(backend, oid)
                found.append(msgspec.json.decode(data, type=layout.RunLine))
            except (msgspec.DecodeError, msgspec.ValidationError):
                pass  # a hand-edited summary: rebuilt from the events it sees next
        elif s is not None:
            found.append(s)
    found.sort(key=lambda s: s.started or "", reverse=True)
    return found, len(names)


def render_readme(
    backend: Backend, tree: str | None, pending: Mapping[str, layout.RunSummary], branch: str,
    lines: Sequence[layout.RunLine] | None = None,
) -> bytes:
    """README.md for the branch root: what this branch is and the latest runs. `lines`: the
    latest runs as the seal of the commit keeps them (runindex.readme_lines), so no summary
    is read; else they are read from `tree` (and `pending`)."""
    summaries: list[layout.RunSummary | layout.RunLine]
    if lines is None:
        summaries, total = _latest(backend, tree, pending)
    else:
        summaries, total = list(lines), len(_names(backend, tree, pending))
        summaries.sort(key=lambda s: s.started or "", reverse=True)
    text = [
        "# gitorch state",
        "",
        f"This is the state branch `{branch}` of [gitorch](https://pypi.org/project/gitorch/)"
        " (`git orch`). It is written by gitorch; do not edit it by hand.",
        "",
        f"- `{layout.MARKER}`: format marker (its schema version: what a reader must know)",
        "- `sessions/<yyyy-mm>/<dd>/<h>/<h>/<session>/<bb>/*.jsonl`: event segments (a JSON event a line)",
        "- `runs/<run>.json`: one summary per run; `logs/<run>/<task>/`: full command output",
        "- `plans/`: plans as loaded (approvals are `approved` events)",
        "",
        f"## Latest runs ({len(summaries)} of {total})",
        "",
    ]
    if summaries:
        text += ["| run | started | ended | status | plan | failures |", "|---|---|---|---|---|---|"]
        for s in summaries:
            plan = s.plan_file or (s.plan_digest[:12] if s.plan_digest else "")
            fails = ", ".join(s.failures[:5]) + (" …" if len(s.failures) > 5 else "")
            text.append(
                f"| `{s.run}` | {s.started} | {s.ended} | {s.status} | {plan} | {fails} |"
            )
    else:
        text.append("No runs yet.")
    return ("\n".join(text) + "\n").encode()
