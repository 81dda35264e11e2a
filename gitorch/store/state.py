"""The state branch as one object: append events, read them back, records, notes.

CONTRACT (engine, workspace, hooks, config, discovery): these method names and signatures
are what the rest of gitorch calls; the branch's layout: store/layout.py and docs/state.md.
"""

from __future__ import annotations

import builtins
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from itertools import repeat
from pathlib import Path

import msgspec

from gitorch import events as ev
from gitorch.events import Event
from gitorch.repo import Repo, ensure_dir
from gitorch.store import layout, runindex
from gitorch.store.backend import Backend, CommitInfo
from gitorch.store.journal import Journal, Known
from gitorch.store.locks import Lock, thread_lock
from gitorch.store.statebranch import Changes, StateBranch, lookup, read_segments


class StateStore:
    """The state branch (default `orch/state`) and notes ref (default `refs/notes/orch`)."""

    repo: Repo
    branch: str  # short name, e.g. "orch/state"
    notes_ref: str  # full ref, e.g. "refs/notes/orch"

    def __init__(
        self,
        repo: Repo,
        *,
        backend: str = "auto",
        branch: str = "orch/state",
        notes_ref: str = "refs/notes/orch",
        lock_timeout: float = 30.0,
    ) -> None:
        from gitorch.store.select import choose

        self.repo = repo
        self.branch = branch.removeprefix("refs/heads/")
        self.notes_ref = notes_ref if notes_ref.startswith("refs/") else f"refs/notes/{notes_ref}"
        self.ref = f"refs/heads/{self.branch}"
        self.choice = choose(backend)
        self.backend_name: str = self.choice.name
        self.lock_timeout = lock_timeout
        self.session = ev.default_session()
        self.problems: list[str] = []  # what the last read could not use (reported, skipped)
        self.index_cache: tuple[str, runindex.Index | None] | None = None  # (tree, run index)
        self._backend: Backend | None = None
        self._state: StateBranch | None = None
        # Not `repo.scratch`, which creates the folder: reading state must work in a
        # repository this user cannot write (the folder is made by the first write).
        self._scratch = repo.common_dir / "orch"
        self._journal = Journal(self._scratch)
        self._mutex = threading.RLock()

    # --- plumbing ------------------------------------------------------------------
    @property
    def backend(self) -> Backend:
        if self._backend is None:
            from gitorch.store.select import open_backend

            self._backend, self.choice = open_backend(
                str(self.repo.git_dir), self.choice, str(self._scratch)
            )
            self.backend_name = self.choice.name
        return self._backend

    @property
    def state(self) -> StateBranch:
        if self._state is None:
            self._state = StateBranch(self.backend, self.ref, self.repo.common_dir)
        return self._state

    def prepare_writes(self) -> None:
        """A commit will follow (a run's): let the backend start what it waits for now."""
        with self._mutex:
            self.backend.prepare_writes()

    def close(self) -> None:
        """Stop the backend's helper processes (the CLI backend keeps some)."""
        if self._backend is not None:
            self._backend.close()
            self._backend, self._state = None, None

    def __enter__(self) -> StateStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _write_lock(self) -> Lock:
        return Lock(self._scratch / "locks", "write-" + self.branch, self.lock_timeout)

    # --- the branch ---------------------------------------------------------------
    def exists(self) -> bool:
        """Whether the state branch exists."""
        return self.tip() is not None

    def init(self) -> bool:
        """Create the orphan state branch if missing; True when it was created."""
        if self.exists():
            tree = self.state.root_tree()
            if tree:
                self.state.check_marker(tree)
            return False
        # Under a lock, so that of several `init`s at once only one says it created the branch.
        with self.lock("init-" + self.branch):
            if self.exists():
                return False
            after = self._commit([], {}, "orch: create the state branch", readme=True)
        return after is not None

    def tip(self) -> str | None:
        """The commit the state branch points at, or None."""
        with self._mutex:
            return self.state.tip()

    # --- events -------------------------------------------------------------------
    def append(
        self,
        events: Sequence[Event],
        files: Mapping[str, bytes | None] | None = None,
        message: str | None = None,
    ) -> str:
        """Commit `events` (one new segment) and `files` (path -> bytes, None deletes) in one
        compare-and-swap of the branch, retried on conflict; creates the branch if missing.
        Returns the new commit. Never touches the work tree, the index or HEAD."""
        tip = self._commit([list(events)], dict(files or {}), message, readme=bool(files))
        assert tip is not None
        return tip

    def _commit(
        self,
        batches: Sequence[Sequence[Event]],
        files: Mapping[str, bytes | None],
        message: str | None,
        *,
        readme: bool,
        raw: Sequence[bytes | None] = (),
    ) -> str | None:
        """One commit of event batches (one segment per batch and session) and files, with
        the run summaries and run index they change (store/runindex.py); `raw[n]`, when given:
        batch n as a segment holds it (ev.encode_lines), taken as it is."""
        for path in files:
            layout.check_path(path)
        all_events = [e for batch in batches for e in batch]
        with self._mutex, thread_lock(str(self.repo.common_dir) + self.ref), self._write_lock():
            backend = self.backend
            # Objects are content-addressed: write them once, outside the retry loop.
            fixed: Changes = {}
            located: list[tuple[str, Event]] = []
            for n, batch in enumerate(batches):
                groups = _by_session(batch)
                data = raw[n] if n < len(raw) and len(groups) == 1 else None
                for session, group in groups.items():
                    path = layout.segment_path(session, layout.segment_name(group))
                    fixed[path] = backend.write_blob(data if data is not None else ev.encode_lines(group))
                    located.extend(zip(repeat(runindex.folder_of(path)), group))
            for path, data in files.items():
                fixed[path] = None if data is None else backend.write_blob(data)
            box: list[layout.Seal] = [layout.Seal()]  # the seal the last build made
            made: list[dict[str, layout.RunSummary]] = [{}]  # the summaries it changed
            build = _builder(backend, self.branch, fixed, all_events, located, box, readme, made)

            def seal(trees: Mapping[str, str]) -> Changes:
                return runindex.seal_changes(backend, trees, box[0])

            def described() -> str:  # what the build did, told by the summaries it changed
                return _message(all_events, files, made[0])

            schema = (layout.COMPACT_SKIPS_SCHEMA if ev.TasksSkipped in set(map(type, all_events))
                      else layout.SCHEMA_VERSION)
            tip = self.state.update(build, message if message is not None else described, seal=seal,
                                    schema=schema)
        from gitorch.store.pack import maybe_pack

        maybe_pack(self.repo.common_dir, self._scratch)  # like gc --auto, outside the write lock
        return tip

    def events(self, *, run: str | None = None, types: Iterable[str] | None = None) -> list[Event]:
        """Every event on the branch (plus a journal not yet folded in), ordered by (ts, id);
        a `tasks_skipped` comes as the `skipped` events it stands for (events.expand), and
        also as itself when `types` asks for it by name."""
        with self._mutex:
            problems: list[str] = []
            found: list[Event] = []
            tree = self.state.root_tree()
            if tree is not None:
                self.state.check_marker(tree)
                result = read_segments(self.backend, tree)
                found.extend(result.events)
                problems.extend(result.problems)
            for pending in self._journal.live():
                found.extend(pending.events)
                problems.extend(pending.problems)
            self.problems = problems
        wanted = set(types) if types is not None else None
        every = ev.expanded(found)  # a tasks_skipped as the `skipped` event of each task
        if wanted is not None and "tasks_skipped" in wanted:  # asked for by name: itself too
            every += [e for e in found if type(e) is ev.TasksSkipped]
        unique: dict[str, Event] = {}
        for e in every:
            if run is not None and e.run != run:
                continue
            if wanted is not None and ev.type_of(e) not in wanted:
                continue
            unique.setdefault(e.id, e)
        return sorted(unique.values(), key=lambda e: (e.ts, e.id))

    # --- the local journal (cheap, durable appends between commits) ------------------
    def journal(self, events: Sequence[Event], *, sync: bool = True) -> None:
        """Append to this session's journal under the git dir (fsync'd); not yet on the branch.
        `sync=False` skips the fsync: the write still survives the process being killed
        (it is in the page cache), only not a power loss; the engine uses it between tasks."""
        self._journal.append(list(events), self.session, sync=sync)

    def flush(self, files: Mapping[str, bytes | None] | None = None, *,
              known: Known | None = None) -> str | None:
        """Fold every pending journal (any session, live or dead) into one commit, with
        `files`. Idempotent after a crash (events keep their ids). Returns the commit.

        `known`: the events this process journaled since its last flush with their bytes; a
        pending file holding exactly those bytes is taken as those events, not decoded, and
        those bytes are its segment, not encoded again."""
        with Lock(self._scratch / "locks", "flush-" + self.branch, self.lock_timeout):
            self._journal.rotate()
            pending = self._journal.pending(known)
            batches = [p.events for p in pending if p.events]
            raw = [known.data if known is not None and _taken_whole(b, known) else None for b in batches]
            self.problems = [m for p in pending for m in p.problems]
            if not batches and not files and not self.exists():
                self._journal.remove(pending)
                return None  # nothing to write: do not create the branch for nothing
            tip = self._commit(batches, dict(files or {}), None, readme=True, raw=raw)  # says what happened
            # Committed (or already there from a flush that crashed before this point).
            self._journal.remove(pending)
            return tip

    # --- records (files on the branch) ---------------------------------------------
    def read(self, path: str) -> bytes | None:
        """A file on the state branch (e.g. `plans/<digest>.json`, `config.toml`)."""
        with self._mutex:
            return self.state.read_file(path)

    def blob_id(self, path: str) -> str | None:
        """The object id of a file on the state branch, without reading it (None: no file)."""
        with self._mutex:
            tree = self.state.root_tree()
            entry = lookup(self.backend, tree, path) if tree is not None else None
            return entry.oid if entry is not None and not entry.is_tree else None

    def list(self, path: str) -> list[str]:
        """Names directly under a directory of the state branch ([] when missing)."""
        with self._mutex:
            return self.state.list_dir(path)

    def log(self, limit: int | None = None) -> builtins.list[CommitInfo]:
        """Commits of the state branch, newest first (first parents only)."""
        out: builtins.list[CommitInfo] = []
        with self._mutex:
            oid = self.tip()
            while oid and (limit is None or len(out) < limit):
                info = self.backend.read_commit(oid)
                out.append(info)
                oid = info.parents[0] if info.parents else None
        return out

    # --- notes --------------------------------------------------------------------
    def add_note(self, commit: str, text: str) -> None:
        """Attach `text` to `commit` on the notes ref, merged with an existing note."""
        from gitorch.store.notes import Notes

        with self._mutex, Lock(self._scratch / "locks", "notes", self.lock_timeout):
            Notes(self.backend, self.notes_ref, self.repo.common_dir).add(commit, text)

    def note(self, commit: str) -> str | None:
        """The note on `commit` in the notes ref, or None."""
        from gitorch.store.notes import Notes

        with self._mutex:
            return Notes(self.backend, self.notes_ref).read(commit)

    # --- locks --------------------------------------------------------------------
    def lock(self, name: str, timeout: float | None = None) -> Lock:
        """A context manager: an exclusive lock `<git common dir>/orch/locks/<name>.lock`,
        waiting up to `timeout` (default: settings.lock_timeout) then raising Busy naming
        the holder; a lock left by a dead process is taken over."""
        return Lock(self._scratch / "locks", name, self.lock_timeout if timeout is None else timeout)

    def scratch(self) -> Path:
        """`<git common dir>/orch`, created (NotARepoError naming it when it cannot be)."""
        return ensure_dir(self._scratch)


def _taken_whole(events: Sequence[Event], known: Known) -> bool:
    """Whether Journal.pending took `events` as `known`'s (a decoded file's are new objects)."""
    return bool(events) and len(events) == len(known.events) and events[0] is known.events[0]


def _by_session(batch: Sequence[Event]) -> dict[str, list[Event]]:
    """A batch's events by session ("unknown": none), in order; one session's batch as it is."""
    sessions = {e.session for e in batch}
    if len(sessions) == 1:
        return {sessions.pop() or "unknown": batch if isinstance(batch, list) else list(batch)}
    out: dict[str, list[Event]] = {}
    for e in batch:
        out.setdefault(e.session or "unknown", []).append(e)
    return out


def _builder(backend: Backend, branch: str, fixed: Changes, all_events: Sequence[Event],
             located: Sequence[tuple[str, Event]], box: list[layout.Seal], readme: bool,
             made: list[dict[str, layout.RunSummary]]) -> Callable[[str | None], Changes]:
    """What a commit adds to a tree: the segments and files, the run summaries with their
    index (rebuilt from every event when the tree's seal does not hold), the README; the
    seal they make is left in `box`, the summaries in `made`."""
    from gitorch.store import summary

    run_events = summary.has_run_events(all_events)

    def build(tree: str | None) -> Changes:
        changes = dict(fixed)
        try:
            runs = _index_runs(backend, tree, all_events, located, box, rebuild_all=False)
        except runindex.StaleIndex:
            runs = _index_runs(backend, tree, all_events, located, box, rebuild_all=True)
        made[0] = runs
        for path, s in runs.items():
            data = msgspec.json.encode(s) + b"\n"
            kept = lookup(backend, tree, path) if tree else None
            if kept is None or kept.oid != summary.remember(data):  # unchanged: left alone
                changes[path] = backend.write_blob(data)
        if readme or run_events or tree is None:
            text = summary.render_readme(backend, tree, runs, branch, box[0].readme)
            changes[layout.README] = backend.write_blob(text)
        return changes

    return build


def _index_runs(backend: Backend, tree: str | None, all_events: Sequence[Event],
                located: Sequence[tuple[str, Event]], box: list[layout.Seal], *, rebuild_all: bool
                ) -> dict[str, layout.RunSummary]:
    from gitorch.store import summary

    base, found = runindex.prepare(backend, tree, rebuild_all)
    runs = summary.run_updates(backend, tree, all_events, base)
    runs = runindex.updated(backend, tree, runs, located)
    box[0] = runindex.finish(backend, tree, found, runs, runindex.index_events(runs, located))
    return runs


_OUTCOME_ORDER = ("completed", "failed", "blocked", "skipped", "awaiting_approval", "waiting")


def _tally(s: layout.RunSummary | None) -> str:
    """`12 completed, 1 failed` for a run summary."""
    from gitorch.store.summary import counts

    found = counts(s) if s is not None else {}
    order = sorted(found, key=lambda w: (_OUTCOME_ORDER.index(w) if w in _OUTCOME_ORDER else 99, w))
    return ", ".join(f"{found[w]} {w}" for w in order)


def _describe(events: Sequence[Event], runs: Mapping[str, layout.RunSummary]) -> str | None:
    """What a commit of `events` did to a run, in words (None: no run event in it)."""
    from gitorch.store.summary import TASK_OUTCOMES

    by_run = {s.run: s for s in runs.values()}
    for e in reversed(events):  # type(e) is isinstance: every event type is a leaf of the union
        if e.run and type(e) in (ev.Completed, ev.Interrupted):
            status = e.status if isinstance(e, ev.Completed) else "interrupted"
            tally = _tally(by_run.get(e.run))
            return f"run {e.run} {status}" + (f": {tally}" if tally else "")
    for e in reversed(events):
        if e.run and (type(e) in (ev.RunStarted, ev.Resumed) or type(e) in TASK_OUTCOMES):
            verb = ("started" if type(e) is ev.RunStarted else "resumed" if type(e) is ev.Resumed else "")
            tally = _tally(by_run.get(e.run))
            return f"run {e.run}" + (f" {verb}" if verb else "") + (f": {tally} so far" if tally else "")
    return None


def _message(events: Sequence[Event], files: Mapping[str, bytes | None],
             summaries: Mapping[str, layout.RunSummary] | None = None) -> str:
    if described := _describe(events, summaries or {}):
        return described
    runs = sorted({e.run for e in events if e.run})
    head = f"orch: {len(events)} event{'s' if len(events) != 1 else ''}"
    if runs:
        head += f" (run {', '.join(runs[:3])})"
    if files:
        head += f", {len(files)} file{'s' if len(files) != 1 else ''}"
    return head
