"""The workspace's data: the seed's Workspace.Snapshot and its parts, as msgspec Structs
(the one definition; `ws snapshot` computes them as workspace/records.py's plain records).

Stored records decode tolerantly (unknown fields ignored, new fields have defaults), and a
record with a newer `schema_version` is refused rather than rewritten (see `decode_snapshot`).
"""

from __future__ import annotations

from typing import Any

import msgspec

from gitorch.errors import StateConflict
from gitorch.workspace.records import MAX_CHANGED as MAX_CHANGED
from gitorch.workspace.records import SNAPSHOT_SCHEMA_VERSION, _sha256, plain
from gitorch.workspace.records import sha256 as sha256

ECOSYSTEMS = ("python", "npm", "cargo", "go", "mix")


class _S(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=False):
    pass


class Provided(_S, frozen=True):
    """A package a repo provides: its name in one ecosystem and the manifest declaring it."""

    ecosystem: str
    name: str
    file: str
    dir: str = ""  # the member folder of a monorepo providing it ('' for the repository root)


class SnapshotRepo(_S, frozen=True):
    name: str
    path: str  # absolute
    exists: bool
    manifests: list[str] = []  # manifest files found, relative to the repo
    provides: list[Provided] = []
    languages: list[str] = []
    capabilities: list[str] = []
    url: str | None = None
    ref: str | None = None


class GitState(_S, frozen=True):
    repo: str
    branch: str | None = None  # None when HEAD is detached or the repo is missing
    sha: str | None = None
    upstream: str | None = None
    ahead: int = 0
    behind: int = 0
    dirty: bool = False
    changed: list[str] = []  # paths git status reports (tracked and untracked), first MAX_CHANGED
    changed_total: int = 0
    conflicts: list[str] = []  # unmerged paths
    in_progress: str | None = None  # merge | rebase | cherry-pick | revert | bisect


class Dependency(_S, frozen=True):
    repo: str
    ecosystem: str
    name: str
    raw: str  # the declaration as written (requirement string, version, table)
    source: str = "registry"  # registry | path | git | url | workspace
    path: str | None = None  # local path for path sources, as written
    file: str = ""  # manifest, relative to the repo
    section: str = ""  # e.g. project.dependencies, tool.uv.sources, patch.crates-io


class LinkHashes(_S, frozen=True):
    before: str = ""  # sha256 of the consumer manifest before the edit
    after: str = ""  # ... and after it


class Link(_S, frozen=True):
    """`repo` (the consumer) uses the local checkout of `provider` for dependency `dep`.

    A link gitorch made records the exact edit: at character `offset` of `file` the text
    `preimage` was replaced by `replacement`, and the file's hashes before and after.
    A link found on disk that gitorch did not make has empty hashes and preimage.
    """

    repo: str
    dep: str
    provider: str
    ecosystem: str
    file: str  # consumer manifest, relative to the consumer repo
    path: str = ""  # where the declaration points, as written
    hashes: LinkHashes = LinkHashes()
    preimage: str = ""
    replacement: str = ""
    offset: int = 0
    seq: int = 0  # creation order among the links gitorch made; removal is in reverse

    @property
    def key(self) -> str:
        return f"{self.repo}/{self.provider}"

    @property
    def recorded(self) -> bool:
        return bool(self.hashes.after)


class FileState(_S, frozen=True):
    """A manifest file of a repo and the sha256 of its bytes ('' when missing)."""

    repo: str
    file: str
    sha256: str


class Topology(_S, frozen=True):
    consumers: dict[str, list[str]] = {}  # provider -> repos depending on it
    providers: dict[str, list[str]] = {}  # consumer -> repos it depends on
    order: list[str] = []  # providers before consumers
    cycles: list[list[str]] = []
    cyclic: bool = False


class Diagnostic(_S, frozen=True):
    severity: str  # error | warning | info
    repo: str | None
    kind: str  # missing_repo | unparsable_manifest | cycle | detached_head | ...
    message: str


class Snapshot(_S, frozen=True):
    id: str
    schema_version: int = SNAPSHOT_SCHEMA_VERSION
    root: str = ""
    generated_at: str = ""
    manifest: str | None = None  # the manifest file, None when auto-discovered
    repos: list[SnapshotRepo] = []
    git: list[GitState] = []
    deps: list[Dependency] = []
    links: list[Link] = []
    files: list[FileState] = []
    topology: Topology = Topology()
    diagnostics: list[Diagnostic] = []
    # The seed's enriched parts, from what `git orch discover` stored on the state branch
    # (attached by `ws snapshot` after the id is stamped: they describe the forge and the
    # indexes, not the workspace). `github`: {"issues": [...], "prs": [...]}; one part per
    # package index: {"packages": [...]}. None when nothing was discovered.
    github: dict[str, Any] | None = None
    pypi: dict[str, Any] | None = None
    npm: dict[str, Any] | None = None
    crates: dict[str, Any] | None = None
    hex: dict[str, Any] | None = None

    def repo(self, name: str) -> SnapshotRepo | None:
        return next((r for r in self.repos if r.name == name), None)

    def git_of(self, name: str) -> GitState | None:
        return next((g for g in self.git if g.repo == name), None)

    def link(self, key: str) -> Link | None:
        return next((lk for lk in self.links if lk.key == key), None)


_enc = msgspec.json.Encoder(order="deterministic")


def encode(obj: Any) -> bytes:
    """Canonical JSON bytes (sorted keys): the same object always gives the same bytes."""
    return _enc.encode(obj)


def digest(obj: Any) -> str:
    return _sha256(encode(obj)).hexdigest()


def from_record(record: Any) -> Snapshot:
    """The model of a snapshot computed as a record (workspace/records.py)."""
    return msgspec.convert(plain(record), Snapshot)


def decode_snapshot(data: bytes, where: str | None = None) -> Snapshot:
    """A stored snapshot, upgraded from an older schema version; one written by a newer
    gitorch is refused."""
    from gitorch.workspace.upgrade import upgrade

    raw = msgspec.json.decode(data)
    if not isinstance(raw, dict):
        raise StateConflict("a stored workspace snapshot is not a JSON object", hint="upgrade gitorch")
    return msgspec.convert(upgrade("snapshot", raw, where), Snapshot)
