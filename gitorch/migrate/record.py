"""Migration records: `migrations/<id>.json` on the state branch (the seed's completion marker).

A record is written in the same commit as everything it imports, so its presence means the
migration is complete. It lists every legacy file with its size, SHA-256 and git blob id, so
`--remove-legacy` only removes files still equal to what was imported and `--rollback`
can restore them byte for byte.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import msgspec

RECORD_VERSION = 1
DIRECTORY = "migrations"
LEGACY_COPIES = "legacy"  # legacy/<migration id>/<original path>


class FileRecord(msgspec.Struct, kw_only=True, omit_defaults=True):
    path: str
    size: int
    sha256: str
    blob: str
    mode: int = 0o644
    kind: str = ""
    events: int = 0
    stored: str = ""  # where its bytes are on the state branch ("" when not stored)


class MigrationRecord(msgspec.Struct, kw_only=True, omit_defaults=True):
    """What one `git orch migrate` did."""

    schema_version: int = RECORD_VERSION
    id: str
    time: str
    gitorch: str = ""
    kind: str = "import"  # import | prefer-state (changed legacy files acknowledged, not imported)
    files: list[FileRecord] = []
    skipped: list[dict[str, str]] = []  # {"path", "reason"}: invalid files left out with --skip-bad
    warnings: list[str] = []  # lines left out of files that were imported (file and line)
    symlinks: list[str] = []
    excluded: list[str] = []
    worktrees: list[str] = []  # folders holding .git: work trees, not state
    foreign: list[dict[str, str]] = []  # {"path", "reason"}: another tool's files, left alone
    tracked: list[str] = []  # legacy files git tracks: imported, never removed by gitorch
    events: int = 0
    supersedes: str | None = None  # the previous migration when importing changed files
    removed: list[str] = []
    removed_at: str | None = None
    rolled_back: str | None = None  # time of the rollback

    @property
    def active(self) -> bool:
        return self.rolled_back is None


def record_path(migration_id: str) -> str:
    return f"{DIRECTORY}/{migration_id}.json"


def encode(record: MigrationRecord) -> bytes:
    return msgspec.json.format(msgspec.json.encode(record)) + b"\n"


def read_records(store: Any) -> list[MigrationRecord]:
    """Every migration record on the branch, oldest first (unreadable ones are skipped)."""
    if not store.exists():
        return []
    out: list[MigrationRecord] = []
    for name in store.list(DIRECTORY):
        if not name.endswith(".json"):
            continue
        data = store.read(f"{DIRECTORY}/{name}")
        if data is None:
            continue
        try:
            out.append(msgspec.json.decode(data, type=MigrationRecord))
        except (msgspec.DecodeError, msgspec.ValidationError):
            continue
    return sorted(out, key=lambda r: (r.time, r.id))


@dataclass
class Accepted:
    """For each legacy path, the digest the state branch already accounts for."""

    digests: dict[str, str] = field(default_factory=dict)  # path -> sha256
    stored: dict[str, tuple[MigrationRecord, FileRecord]] = field(default_factory=dict)
    latest: MigrationRecord | None = None


def accepted(records: list[MigrationRecord]) -> Accepted:
    out = Accepted()
    for rec in records:
        if not rec.active:
            continue
        out.latest = rec
        for f in rec.files:
            out.digests[f.path] = f.sha256
            if f.stored:
                out.stored[f.path] = (rec, f)
    return out
