"""`git orch migrate`: import legacy state in one compare-and-swap commit.

One function, `prepare`, decides everything a migration would do (files to store, events,
recorded plans, the record, and whether it must refuse); the dry run renders what it
decided and the migration commits it, so a dry run never promises what the migration then
refuses. Removal and rollback live in `removal` and `rollback`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gitorch import __version__
from gitorch import events as ev
from gitorch.errors import OrchError, StateConflict, UsageError
from gitorch.migrate import legacy
from gitorch.migrate.record import FileRecord, MigrationRecord, accepted, encode, read_records
from gitorch.migrate.report import Report
from gitorch.repo import Repo

if TYPE_CHECKING:
    from gitorch.context import Context

PREFER = ("legacy", "state")


@dataclass
class Status:
    """Legacy state beside the state branch, for doctor and the dual-read notice."""

    legacy_files: list[str]
    symlinks: list[str]
    migration: str | None  # the latest active migration
    changed: list[str]  # legacy files not accounted for by an active migration
    worktrees: list[str] = field(default_factory=list)
    foreign: list[dict[str, str]] = field(default_factory=list)

    @property
    def notes(self) -> list[str]:
        """What migrate leaves alone, and why (for doctor and the notice)."""
        out = [f"{w}: a git work tree, not state; skipped" for w in self.worktrees]
        out += [f"{f['path']}: {f['reason']}" for f in self.foreign]
        return out


def status(repo: Repo) -> Status:
    """Legacy files, the latest migration, and which files changed since (cheap when none)."""
    if repo.root is None or not legacy.exists(repo.root):
        return Status([], [], None, [])
    from gitorch.config import open_store

    found = legacy.scan(repo.root, read=False)
    acc = accepted(read_records(open_store(repo)))
    changed = [f.rel for f in found.files if acc.digests.get(f.rel) != f.sha256]
    return Status([f.rel for f in found.files], found.symlinks,
                  acc.latest.id if acc.latest else None, changed, found.worktrees, found.foreign)


@dataclass
class Prepared:
    """Everything one migration would write, decided once."""

    found: legacy.Scan
    todo: list[legacy.LegacyFile]
    latest: MigrationRecord | None
    kind: str  # import | prefer-state
    events: list[ev.Event]
    files: dict[str, bytes | None]
    record: MigrationRecord
    runs: list[str]
    refusal: OrchError | None = None


def _refusal(found: legacy.Scan, todo: list[legacy.LegacyFile], latest: MigrationRecord | None,
             skip_bad: bool, strict: bool, prefer: str | None) -> OrchError | None:
    if found.bad and not skip_bad:
        lines = "; ".join(f"{f.rel}: {f.problem}" for f in found.bad)
        return UsageError(f"legacy file{'s' if len(found.bad) > 1 else ''} not valid: {lines}",
                          hint="fix or remove them, or `git orch migrate --skip-bad` to import the rest")
    if found.warnings and strict:
        return UsageError("--strict: lines that cannot be read: " + "; ".join(found.warnings),
                          hint="without --strict they are skipped with a warning and the rest imported")
    if latest is not None and todo and prefer is None:
        return StateConflict(
            f"legacy files differ from what migration {latest.id} imported: "
            + ", ".join(f.rel for f in todo),
            hint="`git orch migrate --prefer legacy` imports the legacy versions too, "
                 "`--prefer state` keeps the state branch as it is")
    return None


def prepare(store: Any, root: Path, *, skip_bad: bool = False, strict: bool = False,
            prefer: str | None = None) -> Prepared:
    """What migrating `root` into `store` would write, and why it would refuse (if it would)."""
    from gitorch.migrate.convert import convert
    from gitorch.migrate.removal import tracked_files
    from gitorch.store import layout

    found = legacy.scan(root)
    acc = accepted(read_records(store))
    todo = [f for f in found.good if acc.digests.get(f.rel) != f.sha256]
    converted = convert(found)
    kind = "prefer-state" if prefer == "state" and acc.latest is not None else "import"
    migration_id = "m-" + ev.new_id()
    files: dict[str, bytes | None] = {}
    events: list[ev.Event] = []
    notes: list[str] = []  # warnings of the import itself (not of a file's lines)
    if kind == "import" and todo:
        existing = _existing_ids(store, converted.events) if acc.latest is not None else set()
        events = [e for e in converted.events if e.id not in existing]
        files.update({p: d for p, d in converted.plans.items() if store.read(p) is None})
        for f in todo:
            files[layout.legacy_copy_path(migration_id, f.rel)] = f.data
        files.update(_graft_records(store, root, todo, notes))
    tracked = tracked_files(root, [f.rel for f in found.files])
    record = MigrationRecord(
        id=migration_id, time=ev.now(), gitorch=__version__, kind=kind,
        files=[_file_record(f, migration_id, kind) for f in todo],
        skipped=[{"path": f.rel, "reason": f.problem or ""} for f in found.bad],
        warnings=found.warnings + notes, symlinks=found.symlinks, excluded=found.excluded,
        worktrees=found.worktrees, foreign=found.foreign, tracked=tracked,
        events=len(events), supersedes=acc.latest.id if acc.latest else None)
    files[layout.migration_path(migration_id)] = encode(record)
    refusal = _refusal(found, todo, acc.latest, skip_bad, strict, prefer)
    for path in files:
        try:
            layout.check_path(path)
        except UsageError as exc:  # never promise a write the store would refuse
            refusal = refusal or exc
    if todo:
        events.append(ev.Migrated(session="legacy", run="legacy:migration", source=kind,
                                  files=[f.rel for f in todo]))
    runs = sorted({e.run for e in events if isinstance(e, ev.RunStarted) and e.run})
    return Prepared(found, todo, acc.latest, kind, events, files, record, runs, refusal)


def _graft_records(store: Any, root: Path, todo: list[legacy.LegacyFile],
                   notes: list[str]) -> dict[str, bytes | None]:
    from gitorch.migrate.graft_state import GRAFT_STATE, workspace_records

    state = next((f for f in todo if f.rel == GRAFT_STATE and f.lines), None)
    return workspace_records(store, root, state.lines[0].value, notes) if state else {}


def _file_record(f: legacy.LegacyFile, migration_id: str, kind: str) -> FileRecord:
    from gitorch.store import layout

    stored = layout.legacy_copy_path(migration_id, f.rel) if kind == "import" else ""
    return FileRecord(path=f.rel, size=f.size, sha256=f.sha256, blob=f.blob, mode=f.mode,
                      kind=f.kind, stored=stored, events=f.events if kind == "import" else 0)


def _existing_ids(store: Any, events: list[ev.Event]) -> set[str]:
    """Ids of imported events already on the branch (a re-import skips them)."""
    runs = {e.run for e in events}
    return {e.id for e in store.events() if e.run in runs}


def _type_counts(events: list[ev.Event]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for e in events:
        tag = ev.type_of(e)
        counts[tag] = counts.get(tag, 0) + 1
    return dict(sorted(counts.items()))


def _report(action: str, message: str, p: Prepared) -> Report:
    return Report(action, message, migration=p.latest.id if p.latest else None,
                  files=[f.to_json() for f in p.todo], events=len(p.events),
                  event_types=_type_counts(p.events), runs=p.runs,
                  skipped=p.record.skipped, warnings=p.record.warnings, symlinks=p.record.symlinks,
                  excluded=p.record.excluded, worktrees=p.record.worktrees,
                  foreign=p.record.foreign, tracked=p.record.tracked)


def migrate(ctx: Context, *, dry_run: bool = False, skip_bad: bool = False, strict: bool = False,
            prefer: str | None = None, remove_legacy: bool = False) -> Report:
    """Import the legacy state of the context's repository (see the module docstring)."""
    if prefer is not None and prefer not in PREFER:
        raise UsageError(f"--prefer takes legacy or state, not {prefer!r}")
    root = ctx.repo.require_worktree()
    store = ctx.store
    if dry_run:
        return _dry_run(prepare(store, root, skip_bad=skip_bad, strict=strict, prefer=prefer))
    with store.lock("migrate"):
        report = _import(store, prepare(store, root, skip_bad=skip_bad, strict=strict, prefer=prefer))
    if remove_legacy and report.action in ("imported", "no-op"):
        from gitorch.migrate.removal import remove

        removal = remove(ctx)
        report.removed, report.kept = removal.removed, removal.kept
        report.message += f"; {removal.message}"
    return report


def _dry_run(p: Prepared) -> Report:
    if not p.found.present:
        return _report("dry-run", "no legacy state found; nothing to migrate", p)
    if not p.todo:
        msg = (f"already migrated ({p.latest.id}); nothing would change" if p.latest
               else "no importable legacy files")
        return _report("dry-run", msg, p)
    size = sum(f.size for f in p.todo)
    rep = _report("dry-run", f"would import {len(p.todo)} files ({size} bytes) as {len(p.events)} "
                  f"events and {len(p.runs)} runs in one commit", p)
    if p.refusal is not None:
        rep.message = f"the migration would refuse: {p.refusal.message}"
        rep.refused = {"message": p.refusal.message, "hint": p.refusal.hint,
                       "exit_code": p.refusal.exit_code}
    return rep


def _import(store: Any, p: Prepared) -> Report:
    if p.refusal is not None:
        raise p.refusal
    if not p.found.present:
        return Report("nothing", "no legacy state found; nothing to migrate")
    if not p.todo:
        if p.latest is None:
            return _report("nothing", "no importable legacy files", p)
        return _report("no-op", f"already migrated ({p.latest.id} at {p.latest.time}); nothing to do", p)
    _check_space(store, sum(f.size for f in p.todo))
    commit = store.append(p.events, files=p.files, message=f"orch: migrate legacy state "
                          f"({p.record.id}, {len(p.todo)} files)")
    if p.kind == "prefer-state":
        msg = (f"kept the state branch; recorded {len(p.todo)} changed legacy files as seen "
               f"({p.record.id})")
        rep = _report("prefer-state", msg, p)
    else:
        msg = (f"imported {len(p.todo)} legacy files as {len(p.events)} events"
               + (f" and {len(p.runs)} runs" if p.runs else "") + f" ({p.record.id})")
        rep = _report("imported", msg, p)
    rep.migration, rep.commit = p.record.id, commit
    return rep


def _check_space(store: Any, size: int) -> None:
    """Objects need about the files' size: refuse early instead of failing half-way."""
    import shutil

    from gitorch.errors import CheckFailed

    free = shutil.disk_usage(store.repo.common_dir).free
    need = 2 * size + 10 * 1024 * 1024
    if free < need:
        raise CheckFailed(f"not enough disk space to migrate: {free // 1024} KB free, "
                          f"about {need // 1024} KB needed", hint="free some space and retry")
