"""`git orch migrate`: import legacy state in one compare-and-swap commit, remove the legacy
files that still match, and roll a migration back (a new commit; history is never rewritten).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gitorch import __version__
from gitorch import events as ev
from gitorch.errors import StateConflict, UsageError
from gitorch.migrate import legacy
from gitorch.migrate.record import (
    LEGACY_COPIES,
    FileRecord,
    MigrationRecord,
    accepted,
    encode,
    read_records,
    record_path,
)
from gitorch.repo import Repo

PREFER = ("legacy", "state")


@dataclass
class Report:
    """What a migrate command did or would do (rendered by the CLI)."""

    action: str  # dry-run | imported | no-op | nothing | prefer-state | removed | rolled-back
    message: str
    migration: str | None = None
    files: list[dict[str, Any]] = field(default_factory=list)
    events: int = 0
    event_types: dict[str, int] = field(default_factory=dict)
    skipped: list[dict[str, str]] = field(default_factory=list)
    symlinks: list[str] = field(default_factory=list)
    excluded: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    kept: list[dict[str, str]] = field(default_factory=list)
    restored: list[str] = field(default_factory=list)
    commit: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {k: v for k, v in vars(self).items()}


@dataclass
class Status:
    """Legacy state beside the state branch, for doctor and the dual-read notice."""

    legacy_files: list[str]
    symlinks: list[str]
    migration: str | None  # the latest active migration
    changed: list[str]  # legacy files not accounted for by an active migration


def _open_store(repo: Repo) -> Any:
    from gitorch.store.state import StateStore

    return StateStore.open(repo)


def status(repo: Repo) -> Status:
    """Legacy files, the latest migration, and which files changed since (cheap when none)."""
    if repo.root is None or not legacy.exists(repo.root):
        return Status([], [], None, [])
    found = legacy.scan(repo.root, convert=False)
    store = _open_store(repo)
    acc = accepted(read_records(store))
    changed = [f.rel for f in found.files if acc.digests.get(f.rel) != f.sha256]
    return Status([f.rel for f in found.files], found.symlinks,
                  acc.latest.id if acc.latest else None, changed)


def _type_counts(events: list[ev.Event]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for e in events:
        tag = ev.type_of(e)
        counts[tag] = counts.get(tag, 0) + 1
    return dict(sorted(counts.items()))


def _bad_error(bad: list[legacy.LegacyFile]) -> UsageError:
    lines = "; ".join(f"{f.rel}: {f.problem}" for f in bad)
    return UsageError(
        f"legacy file{'s' if len(bad) > 1 else ''} not valid: {lines}",
        hint="fix or remove them, or `git orch migrate --skip-bad` to import the rest",
    )


def migrate(
    repo: Repo,
    *,
    dry_run: bool = False,
    skip_bad: bool = False,
    prefer: str | None = None,
    remove_legacy: bool = False,
) -> Report:
    """Import the legacy state of `repo` (see the module docstring); idempotent."""
    if prefer is not None and prefer not in PREFER:
        raise UsageError(f"--prefer takes legacy or state, not {prefer!r}")
    root = repo.require_worktree()
    store = _open_store(repo)
    if dry_run:
        return _plan(repo, store, root, skip_bad, prefer)
    with store.lock("migrate"):
        report = _import(store, root, skip_bad, prefer)
    if remove_legacy and report.action in ("imported", "no-op"):
        removal = remove(repo)
        report.removed, report.kept = removal.removed, removal.kept
        report.message += f"; {removal.message}"
    return report


def _candidates(
    store: Any, root: Path, skip_bad: bool, prefer: str | None, *, strict: bool = True
) -> tuple[legacy.Scan, list[legacy.LegacyFile], MigrationRecord | None, list[MigrationRecord]]:
    found = legacy.scan(root)
    records = read_records(store)
    acc = accepted(records)
    if found.bad and not skip_bad and strict:
        raise _bad_error(found.bad)
    todo = [f for f in found.good if acc.digests.get(f.rel) != f.sha256]
    if acc.latest is not None and todo and prefer is None and strict:
        raise StateConflict(
            f"legacy files differ from what migration {acc.latest.id} imported: "
            + ", ".join(f.rel for f in todo),
            hint="`git orch migrate --prefer legacy` imports the legacy versions too, "
                 "`--prefer state` keeps the state branch as it is",
        )
    return found, todo, acc.latest, records


def _plan(repo: Repo, store: Any, root: Path, skip_bad: bool, prefer: str | None) -> Report:
    found, todo, latest, _records = _candidates(store, root, skip_bad, prefer, strict=False)
    existing = _existing_ids(store, todo) if latest is not None else set()
    events = [e for f in todo for e in f.events if e.id not in existing]
    if todo:  # the summary event every import adds
        events.append(ev.Migrated(session="legacy", run="legacy:migration", files=[f.rel for f in todo]))
    rep = Report("dry-run", "", migration=latest.id if latest else None,
                 files=[f.to_json() for f in todo], events=len(events),
                 event_types=_type_counts(events),
                 skipped=[{"path": f.rel, "reason": f.problem or ""} for f in found.bad],
                 symlinks=found.symlinks, excluded=found.excluded)
    if not found.present:
        rep.message = "no legacy state found; nothing to migrate"
    elif not todo:
        rep.message = (f"already migrated ({latest.id}); nothing would change" if latest
                       else "no importable legacy files")
    else:
        size = sum(f.size for f in todo)
        rep.message = (f"would import {len(todo)} files ({size} bytes) as {len(events)} events "
                       "in one commit")
        if found.bad and not skip_bad:
            rep.message += f"; {len(found.bad)} invalid files would stop it (use --skip-bad)"
        if latest is not None and prefer is None:
            rep.message += f"; they differ from migration {latest.id}: choose --prefer legacy|state"
    return rep


def _existing_ids(store: Any, files: list[legacy.LegacyFile]) -> set[str]:
    """Ids of imported events already on the branch (a re-import skips them)."""
    runs = {e.run for f in files for e in f.events}
    return {e.id for e in store.events() if e.run in runs}


def _import(store: Any, root: Path, skip_bad: bool, prefer: str | None) -> Report:
    found, todo, latest, _records = _candidates(store, root, skip_bad, prefer)
    skipped = [{"path": f.rel, "reason": f.problem or ""} for f in found.bad]
    if not found.present:
        return Report("nothing", "no legacy state found; nothing to migrate")
    if not todo:
        if latest is None:
            return Report("nothing", "no importable legacy files", skipped=skipped,
                          symlinks=found.symlinks)
        return Report("no-op", f"already migrated ({latest.id} at {latest.time}); nothing to do",
                      migration=latest.id, symlinks=found.symlinks)
    _check_space(store, sum(f.size for f in todo))
    migration_id = "m-" + ev.new_id()
    kind = "prefer-state" if prefer == "state" and latest is not None else "import"
    files: dict[str, bytes | None] = {}
    file_records: list[FileRecord] = []
    events: list[ev.Event] = []
    existing = _existing_ids(store, todo) if latest is not None else set()
    for f in todo:
        stored = ""
        new_events = [e for e in f.events if e.id not in existing]
        if kind == "import":
            stored = f"{LEGACY_COPIES}/{migration_id}/{f.rel}"
            files[stored] = f.data
            events.extend(new_events)
        file_records.append(FileRecord(path=f.rel, size=f.size, sha256=f.sha256, blob=f.blob,
                                       mode=f.mode, kind=f.kind, stored=stored,
                                       events=len(new_events) if kind == "import" else 0))
    record = MigrationRecord(
        id=migration_id, time=ev.now(), gitorch=__version__, kind=kind, files=file_records,
        skipped=skipped, symlinks=found.symlinks, excluded=found.excluded,
        events=len(events), supersedes=latest.id if latest else None,
    )
    files[record_path(migration_id)] = encode(record)
    summary = ev.Migrated(session="legacy", run="legacy:migration", source=kind,
                          files=[f.rel for f in todo])
    commit = store.append(events + [summary], files=files,
                          message=f"orch: migrate legacy state ({migration_id}, {len(todo)} files)")
    if kind == "prefer-state":
        msg = (f"kept the state branch; recorded {len(todo)} changed legacy files as seen "
               f"({migration_id})")
    else:
        msg = f"imported {len(todo)} legacy files as {len(events) + 1} events ({migration_id})"
    return Report("prefer-state" if kind == "prefer-state" else "imported", msg,
                  migration=migration_id, files=[f.to_json() for f in todo],
                  events=len(events) + 1, event_types=_type_counts(events + [summary]),
                  skipped=skipped, symlinks=found.symlinks, excluded=found.excluded, commit=commit)


def _check_space(store: Any, size: int) -> None:
    """The seed's "validate disk space before migration": objects need about the files' size."""
    import shutil

    from gitorch.errors import CheckFailed

    free = shutil.disk_usage(store.repo.common_dir).free
    need = 2 * size + 10 * 1024 * 1024
    if free < need:
        raise CheckFailed(f"not enough disk space to migrate: {free // 1024} KB free, "
                          f"about {need // 1024} KB needed", hint="free some space and retry")


# --- removing legacy files -----------------------------------------------------------------

def remove(repo: Repo) -> Report:
    """Remove legacy files whose bytes still match what a migration stored."""
    root = repo.require_worktree()
    store = _open_store(repo)
    with store.lock("migrate"):
        acc = accepted(read_records(store))
        if acc.latest is None:
            raise UsageError("no migration recorded: nothing is safe to remove",
                             hint="`git orch migrate` first")
        removed: list[str] = []
        kept: list[dict[str, str]] = []
        by_record: dict[str, list[str]] = {}
        for rel, (rec, frec) in sorted(acc.stored.items()):
            path = root / rel
            if path.is_symlink() or not path.is_file():
                continue
            if acc.digests.get(rel) != frec.sha256 or _sha256(path) != frec.sha256:
                kept.append({"path": rel, "reason": "changed since it was imported"})
                continue
            path.unlink()
            removed.append(rel)
            by_record.setdefault(rec.id, []).append(rel)
        _prune_dirs(root)
        if by_record:
            records = {r.id: r for r in read_records(store)}
            files: dict[str, bytes | None] = {}
            now = ev.now()
            for rid, rels in by_record.items():
                rec = records[rid]
                rec.removed = sorted(set(rec.removed) | set(rels))
                rec.removed_at = now
                files[record_path(rid)] = encode(rec)
            store.append([ev.Generic(session="legacy", run="legacy:migration",
                                     kind="legacy_removed", data={"files": removed})],
                         files=files, message=f"orch: legacy files removed ({len(removed)})")
    msg = f"removed {len(removed)} legacy files"
    if kept:
        msg += f", kept {len(kept)} changed since migration"
    return Report("removed", msg, migration=acc.latest.id, removed=removed, kept=kept)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _prune_dirs(root: Path) -> None:
    """Remove legacy directories left empty (never following symlinks)."""
    for top in legacy.DIRECTORIES:
        base = root / top
        if base.is_symlink() or not base.is_dir():
            continue
        for dirpath, _dirs, _files in sorted(os.walk(base), key=lambda t: -len(t[0])):
            with contextlib.suppress(OSError):
                os.rmdir(dirpath)
    with contextlib.suppress(OSError):
        (root / ".codex").rmdir()


# --- rollback --------------------------------------------------------------------------------

def rollback(repo: Repo) -> Report:
    """Revert the latest active migration in a new commit and restore legacy files it removed."""
    root = repo.require_worktree()
    store = _open_store(repo)
    with store.lock("migrate"):
        records = read_records(store)
        active = [r for r in records if r.active]
        if not active:
            raise UsageError("nothing to roll back: no migration is recorded on the state branch",
                             hint="`git orch migrate --dry-run` shows what a migration would import")
        rec = active[-1]
        restored, kept = _restore(repo, store, root, rec)
        commit = _revert(repo, store, rec)
    msg = f"rolled back {rec.id}"
    if restored:
        msg += f"; restored {len(restored)} legacy files"
    return Report("rolled-back", msg, migration=rec.id, restored=restored, kept=kept, commit=commit)


def _blob_bytes(repo: Repo, store: Any, rec: MigrationRecord, frec: FileRecord) -> bytes:
    from gitorch.gitcmd import git

    proc = git(["cat-file", "blob", frec.blob], repo.cwd, check=False)
    data = proc.stdout if proc.returncode == 0 else None
    if data is None or hashlib.sha256(data).hexdigest() != frec.sha256:
        commit = _migration_commit(repo, store, rec)
        proc = git(["cat-file", "blob", f"{commit}:{frec.stored}"], repo.cwd, check=False)
        data = proc.stdout if proc.returncode == 0 else None
    if data is None or hashlib.sha256(data).hexdigest() != frec.sha256:
        raise StateConflict(f"cannot restore {frec.path}: its recorded bytes ({frec.blob}) are missing")
    return data


def _restore(
    repo: Repo, store: Any, root: Path, rec: MigrationRecord
) -> tuple[list[str], list[dict[str, str]]]:
    restored: list[str] = []
    kept: list[dict[str, str]] = []
    for frec in rec.files:
        if not frec.stored:
            continue
        path = root / frec.path
        if os.path.lexists(path):
            if path.is_file() and not path.is_symlink() and _sha256(path) == frec.sha256:
                continue
            kept.append({"path": frec.path, "reason": "exists with other content; left as is"})
            continue
        data = _blob_bytes(repo, store, rec, frec)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.orch-restore")
        tmp.write_bytes(data)
        os.chmod(tmp, frec.mode or 0o644)
        os.replace(tmp, path)
        restored.append(frec.path)
    return restored, kept


def _migration_commit(repo: Repo, store: Any, rec: MigrationRecord) -> str:
    from gitorch.gitcmd import git_out

    out = git_out(["log", "--format=%H", "--diff-filter=A", f"refs/heads/{store.branch}", "--",
                   record_path(rec.id)], repo.cwd)
    commits = out.split()
    if not commits:
        raise StateConflict(f"cannot find the commit of migration {rec.id} on {store.branch}")
    return commits[-1]


def _revert(repo: Repo, store: Any, rec: MigrationRecord) -> str | None:
    """One new commit deleting what the migration commit added; its record says rolled back."""
    from gitorch.gitcmd import git_out
    from gitorch.store import layout

    commit = _migration_commit(repo, store, rec)
    added = git_out(["diff-tree", "-r", "--root", "--no-commit-id", "--name-only", "--diff-filter=A",
                     "-z", commit], repo.cwd).split("\0")
    keep = {layout.MARKER, layout.README, record_path(rec.id)}
    rec.rolled_back = ev.now()
    note = ev.Generic(session="legacy", run="legacy:migration", kind="migration_rolled_back",
                      data={"migration": rec.id, "commit": commit})
    backend = store.backend
    changes: dict[str, str | None] = {p: None for p in added if p and p not in keep}
    changes[record_path(rec.id)] = backend.write_blob(encode(rec))
    seg = layout.segment_path(note.session, layout.segment_name([note]))
    changes[seg] = backend.write_blob(ev.encode_lines([note]))

    def build(_tree: str | None) -> dict[str, str | None]:
        return dict(changes)

    with store.lock("write-" + store.branch):
        tip: str | None = store.state.update(build, f"orch: roll back migration {rec.id}")
    return tip
