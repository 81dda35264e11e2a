"""mix_graft's `.graft/state.json`: the links it made, adopted as links gitorch made.

Each entry (`repo`, `target_app`, `mix_exs_path`, the file's sha256 before and after, the
dependency tuple before (`preimage`) and after (`replacement`), `operation: link_on`)
becomes a recorded workspace link with the same edit, so `git orch ws teardown` puts the
original dependency line back, byte for byte. The migration commit records the workspace
as applied (desired: now, with these links; base: the same without them). An entry whose
manifest changed since mix_graft wrote it is not adopted (a warning says so).
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path
from typing import Any

GRAFT_STATE = ".graft/state.json"


def events_of(doc: Any) -> list[dict[str, Any]]:
    """The entries of a state document that describe a link (others are ignored)."""
    if not isinstance(doc, dict) or not isinstance(doc.get("entries"), list):
        return []
    keys = ("repo", "target_app", "mix_exs_path", "mix_exs_before_hash", "mix_exs_after_hash",
            "preimage", "replacement")
    return [e for e in doc["entries"] if isinstance(e, dict) and all(isinstance(e.get(k), str) for k in keys)]


def workspace_records(store: Any, root: Path, doc: Any, warnings: list[str]) -> dict[str, bytes | None]:
    """The workspace records adopting mix_graft's links ({} when there is nothing to adopt)."""
    entries = events_of(doc)
    if not entries:
        return {}
    from gitorch.errors import WorkspaceError
    from gitorch.workspace.manifest import load
    from gitorch.workspace.record import DESIRED, WorkspaceRecorder

    if store.read(DESIRED) is not None:
        warnings.append(f"{GRAFT_STATE}: a workspace is already recorded on the state branch; "
                        "mix_graft's links were not adopted")
        return {}
    try:
        manifest = load(root)
    except WorkspaceError as exc:
        warnings.append(f"{GRAFT_STATE}: its links were not adopted: {exc.message}")
        return {}
    links = [link for i, e in enumerate(entries) if (link := _link(manifest, e, i + 1, warnings))]
    if not links:
        return {}
    from gitorch.workspace.desired import without_links
    from gitorch.workspace.snapshot import take

    desired = take(manifest, recorded=links)
    base = without_links(desired)
    return WorkspaceRecorder(store).commit_files(desired, base)


def _link(manifest: Any, entry: dict[str, Any], seq: int, warnings: list[str]) -> Any:
    from gitorch.errors import WorkspaceError
    from gitorch.workspace.model import Link, LinkHashes

    where = f"{GRAFT_STATE}: link {entry['repo']} -> {entry['target_app']}"
    try:
        consumer = manifest.path_of(entry["repo"])
        manifest.repo(entry["target_app"])
    except WorkspaceError:
        warnings.append(f"{where}: not a repo of the workspace manifest; not adopted")
        return None
    recorded = Path(entry["mix_exs_path"])
    file = os.path.relpath(recorded, entry.get("repo_path") or consumer)
    if file.startswith(".."):
        warnings.append(f"{where}: {recorded} is not inside the repo; not adopted")
        return None
    try:
        data = (consumer / file).read_bytes()
    except OSError:
        warnings.append(f"{where}: {entry['repo']}/{file} cannot be read; not adopted")
        return None
    text = data.decode("utf-8", errors="replace")
    same = hashlib.sha256(data).hexdigest() == entry["mix_exs_after_hash"]
    if not same or text.count(entry["replacement"]) != 1:
        warnings.append(f"{where}: {entry['repo']}/{file} changed since mix_graft linked it; not adopted")
        return None
    found = re.search(r'path:\s*"([^"]*)"', entry["replacement"])
    path = found.group(1) if found else ""
    return Link(repo=entry["repo"], dep=entry["target_app"], provider=entry["target_app"], ecosystem="mix",
                file=Path(file).as_posix(), path=path,
                hashes=LinkHashes(before=entry["mix_exs_before_hash"], after=entry["mix_exs_after_hash"]),
                preimage=entry["preimage"], replacement=entry["replacement"],
                offset=text.index(entry["replacement"]), seq=seq)
