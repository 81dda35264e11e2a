"""`git orch migrate --rollback`: revert the latest migration in a new commit (history is
never rewritten) and restore the legacy files it removed, byte for byte and mode for mode."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gitorch import events as ev
from gitorch.errors import StateConflict, UsageError
from gitorch.migrate.record import FileRecord, MigrationRecord, encode, read_records, record_path
from gitorch.migrate.removal import sha256_of
from gitorch.migrate.report import Report
from gitorch.repo import Repo

if TYPE_CHECKING:
    from gitorch.context import Context


def rollback(ctx: Context) -> Report:
    """Revert the latest active migration and restore the legacy files it removed."""
    root = ctx.repo.require_worktree()
    store = ctx.store
    with store.lock("migrate"):
        active = [r for r in read_records(store) if r.active]
        if not active:
            raise UsageError("nothing to roll back: no migration is recorded on the state branch",
                             hint="`git orch migrate --dry-run` shows what a migration would import")
        rec = active[-1]
        restored, kept = _restore(ctx.repo, store, root, rec)
        commit = _revert(ctx.repo, store, rec)
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
    return bytes(data)


def _restore(repo: Repo, store: Any, root: Path, rec: MigrationRecord
             ) -> tuple[list[str], list[dict[str, str]]]:
    from gitorch.atomic import write_bytes

    restored: list[str] = []
    kept: list[dict[str, str]] = []
    for frec in rec.files:
        if not frec.stored:
            continue
        path = root / frec.path
        if os.path.lexists(path):
            if path.is_file() and not path.is_symlink() and sha256_of(path) == frec.sha256:
                continue
            kept.append({"path": frec.path, "reason": "exists with other content; left as is"})
            continue
        data = _blob_bytes(repo, store, rec, frec)
        path.parent.mkdir(parents=True, exist_ok=True)
        write_bytes(path, data, mode=frec.mode or 0o644)
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
    # Plans recorded by the migration may be shared with runs recorded since: keep them.
    keep = {layout.MARKER, layout.README, record_path(rec.id)}
    rec.rolled_back = ev.now()
    note = ev.MigrationRolledBack(session="legacy", run="legacy:migration", migration=rec.id, commit=commit)
    backend = store.backend
    changes: dict[str, str | None] = {p: None for p in added
                                      if p and p not in keep and not p.startswith("plans/")}
    changes[record_path(rec.id)] = backend.write_blob(encode(rec))
    seg = layout.segment_path(note.session, layout.segment_name([note]))
    changes[seg] = backend.write_blob(ev.encode_lines([note]))

    def build(_tree: str | None) -> dict[str, str | None]:
        return dict(changes)

    with store.lock("write-" + store.branch):
        tip: str | None = store.state.update(build, f"orch: roll back migration {rec.id}")
    return tip
