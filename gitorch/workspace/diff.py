"""Diff of two snapshots as the seed's Delta: added, removed, changed, each with a path.

Snapshots are compared on their *view*: what a workspace is declared to be (repos present,
what HEAD is, links, manifest hashes), leaving out what changes on every snapshot (id, time)
or with ordinary work (commits ahead/behind, unrelated dirty files). The same two
snapshots always give the same bytes.
"""

from __future__ import annotations

from typing import Any

import msgspec

from gitorch.workspace.model import GitState, Snapshot, encode


class Change(msgspec.Struct, frozen=True, kw_only=True):
    path: list[str]
    before: Any = None
    after: Any = None


class Delta(msgspec.Struct, frozen=True, kw_only=True):
    added: list[Change] = []
    removed: list[Change] = []
    changed: list[Change] = []

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed)

    def to_bytes(self) -> bytes:
        return encode(self)


def head_of(state: GitState) -> str | None:
    """The branch, or `detached@<sha12>`, or None for a repo without commits."""
    if state.branch:
        return state.branch
    return f"detached@{state.sha[:12]}" if state.sha else None


def view(snap: Snapshot) -> dict[str, dict[str, Any]]:
    """The parts of a snapshot a workspace declares, keyed for comparison."""
    present = {r.name for r in snap.repos if r.exists}
    return {
        "repos": {r.name: {"path": r.path, "exists": r.exists} for r in snap.repos},
        "git": {
            g.repo: {"head": head_of(g), "in_progress": g.in_progress, "conflicts": len(g.conflicts)}
            for g in snap.git if g.repo in present
        },
        "links": {
            lk.key: {"dep": lk.dep, "provider": lk.provider, "ecosystem": lk.ecosystem,
                     "file": lk.file, "path": lk.path}
            for lk in snap.links
        },
        "files": {f"{f.repo}/{f.file}": f.sha256 for f in snap.files},
    }


def diff(current: Snapshot, desired: Snapshot) -> Delta:
    """What must change to turn `current` into `desired`."""
    return diff_views(view(current), view(desired))


def diff_views(a: dict[str, dict[str, Any]], b: dict[str, dict[str, Any]]) -> Delta:
    added: list[Change] = []
    removed: list[Change] = []
    changed: list[Change] = []
    for section in sorted(set(a) | set(b)):
        left, right = a.get(section, {}), b.get(section, {})
        for key in sorted(set(left) | set(right)):
            path = [section, key]
            if key not in left:
                added.append(Change(path=path, after=right[key]))
            elif key not in right:
                removed.append(Change(path=path, before=left[key]))
            elif left[key] != right[key]:
                changed.append(Change(path=path, before=left[key], after=right[key]))
    return Delta(added=added, removed=removed, changed=changed)
