"""The workspace's records on the state branch, and the machine-local copy the hooks read.

Layout on the state branch (of the repository holding workspace.toml):
  workspace/plans/<plan id>.json        every plan verified or applied
  workspace/snapshots/<snapshot id>.json snapshots taken after each commit
  workspace/desired.json                the last committed (desired) snapshot
  workspace/base.json                   the snapshot before the first attach (teardown target)
Every transition of the seed's state machine is a `ws_transition` event.
The desired state is also written to `<git dir>/orch/workspace/desired.json`, so the
post-checkout hook can check drift without reading the state branch.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from gitorch.events import Event, WorkspaceTransition
from gitorch.repo import Repo
from gitorch.store import layout

if TYPE_CHECKING:
    from gitorch.store.state import StateStore
from gitorch.workspace.model import Snapshot, decode_snapshot, encode

DESIRED = layout.WORKSPACE_DESIRED
BASE = layout.WORKSPACE_BASE
LEFTOVERS = layout.WORKSPACE_LEFTOVERS
plan_path = layout.workspace_plan_path
snapshot_path = layout.workspace_snapshot_path


class WorkspaceRecorder:
    """Appends workspace events and records to one repository's state branch."""

    def __init__(self, store: StateStore) -> None:
        self.store = store
        self.repo: Repo = store.repo

    def lock(self, timeout: float | None = None) -> AbstractContextManager[Any]:
        """The workspace lock (Busy, exit 4, naming the holder when taken)."""
        return cast(AbstractContextManager[Any], self.store.lock("workspace", timeout))

    def transition(self, plan_id: str, *states: str, detail: str = "", operation: int | None = None,
                   files: Mapping[str, bytes | None] | None = None) -> None:
        events: list[Event] = [WorkspaceTransition(plan_id=plan_id, state=s, detail=detail,
                                                   operation=operation) for s in states]
        self.store.append(events, files=files or {}, message=f"workspace: {plan_id} {states[-1]}")

    def read_snapshot(self, path: str) -> Snapshot | None:
        data = self.store.read(path)
        return decode_snapshot(data) if data else None

    def desired(self) -> Snapshot | None:
        return self.read_snapshot(DESIRED)

    def base(self) -> Snapshot | None:
        return self.read_snapshot(BASE)

    def commit_files(self, desired: Snapshot, base: Snapshot | None) -> dict[str, bytes | None]:
        files: dict[str, bytes | None] = {
            DESIRED: encode(desired),
            snapshot_path(desired.id): encode(desired),
        }
        if base is not None:
            files[BASE] = encode(base)
        return files

    def cache_desired(self, desired: Snapshot | None) -> None:
        write_cache(self.repo.scratch, desired)


def cache_path(scratch: Path) -> Path:
    return scratch / "workspace" / "desired.json"


def write_cache(scratch: Path, desired: Snapshot | None) -> None:
    """What quick_drift needs (stdlib JSON): repo paths, heads, linked files and their hashes."""
    from gitorch.atomic import write_bytes
    from gitorch.workspace.diff import head_of

    path = cache_path(scratch)
    if desired is None:
        path.unlink(missing_ok=True)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {
        "snapshot": desired.id,
        "repos": {r.name: r.path for r in desired.repos if r.exists},
        "heads": {g.repo: head_of(g) for g in desired.git if g.sha},
        "links": [
            {"key": lk.key, "repo": lk.repo, "file": lk.file, "provider": lk.provider,
             "sha256": lk.hashes.after or _file_hash(desired, lk.repo, lk.file)}
            for lk in desired.links
        ],
    }
    write_bytes(path, json.dumps(data, sort_keys=True, indent=1).encode() + b"\n")


def _file_hash(snap: Snapshot, repo: str, file: str) -> str:
    return next((f.sha256 for f in snap.files if f.repo == repo and f.file == file), "")

