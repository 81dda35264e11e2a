"""`git orch migrate --remove-legacy`: remove legacy files gitorch holds an exact copy of.

Only an untracked file whose bytes still match what a migration stored is removed. A file
git tracks is the repository's content, not the old tool's private state: it is reported
and left (`git rm` it if it should go). Worktrees, another tool's files and secrets are
never touched.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from pathlib import Path
from typing import TYPE_CHECKING

from gitorch import events as ev
from gitorch.errors import UsageError
from gitorch.migrate import legacy
from gitorch.migrate.record import accepted, encode, read_records, record_path
from gitorch.migrate.report import Report

if TYPE_CHECKING:
    from gitorch.context import Context


def tracked_files(root: Path, paths: list[str]) -> list[str]:
    """Which of `paths` (relative to `root`) git tracks."""
    if not paths:
        return []
    from gitorch.gitcmd import git

    proc = git(["ls-files", "-z", "--", *paths], root, check=False)
    if proc.returncode != 0:
        return []
    out = proc.stdout.decode(errors="surrogateescape") if isinstance(proc.stdout, bytes) else proc.stdout
    return sorted(p for p in out.split("\0") if p)


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def remove(ctx: Context) -> Report:
    """Remove the untracked legacy files whose bytes still match what a migration stored."""
    root = ctx.repo.require_worktree()
    store = ctx.store
    with store.lock("migrate"):
        acc = accepted(read_records(store))
        if acc.latest is None:
            raise UsageError("no migration recorded: nothing is safe to remove",
                             hint="`git orch migrate` first")
        tracked = set(tracked_files(root, sorted(acc.stored)))
        removed: list[str] = []
        kept: list[dict[str, str]] = []
        by_record: dict[str, list[str]] = {}
        for rel, (rec, frec) in sorted(acc.stored.items()):
            path = root / rel
            if path.is_symlink() or not path.is_file():
                continue
            if rel in tracked:
                kept.append({"path": rel, "reason": "tracked by git: part of the repository, left "
                                                    "in place (`git rm` it if it should go)"})
                continue
            if acc.digests.get(rel) != frec.sha256 or sha256_of(path) != frec.sha256:
                kept.append({"path": rel, "reason": "changed since it was imported"})
                continue
            path.unlink()
            removed.append(rel)
            by_record.setdefault(rec.id, []).append(rel)
        _prune_dirs(root)
        if by_record:
            _record_removal(store, by_record, removed)
    msg = f"removed {len(removed)} legacy files"
    if kept:
        msg += f", kept {len(kept)} (tracked by git or changed since migration)"
    return Report("removed", msg, migration=acc.latest.id, removed=removed, kept=kept)


def _record_removal(store: object, by_record: dict[str, list[str]], removed: list[str]) -> None:
    records = {r.id: r for r in read_records(store)}
    files: dict[str, bytes | None] = {}
    now = ev.now()
    for rid, rels in by_record.items():
        rec = records[rid]
        rec.removed = sorted(set(rec.removed) | set(rels))
        rec.removed_at = now
        files[record_path(rid)] = encode(rec)
    store.append([ev.LegacyRemoved(session="legacy", run="legacy:migration", files=removed)],  # type: ignore[attr-defined]
                 files=files, message=f"orch: legacy files removed ({len(removed)})")


def _prune_dirs(root: Path) -> None:
    """Remove legacy folders left empty (never following symlinks, never into a worktree)."""
    for top in legacy.DIRECTORIES:
        base = root / top
        if base.is_symlink() or not base.is_dir() or os.path.lexists(base / ".git"):
            continue
        found: list[str] = []
        for dirpath, dirs, _files in os.walk(base):
            dirs[:] = [d for d in dirs if not os.path.lexists(os.path.join(dirpath, d, ".git"))]
            found.append(dirpath)
        for dirpath in sorted(found, key=len, reverse=True):
            with contextlib.suppress(OSError):
                os.rmdir(dirpath)
    with contextlib.suppress(OSError):
        (root / ".codex").rmdir()
